//! Every policy on hand-made member outputs: agreement, type disagreement, nested and crossing
//! spans, an empty member, a failing member; the learned combiner's file and fitting.

use std::collections::BTreeMap;

use nerlab_core::conformance::check_extractor;
use nerlab_core::{Document, Entity, Error, Extractor, Label, Result};
use nerlab_ensemble::{fit, Combiner, Ensemble, EnsembleConfig, FitExample, FitOptions, Policy, PolicyKind, Vote};

/// Returns the spans whose text it is given, wherever they occur; errors on documents
/// containing `FAIL`, panics on `PANIC`, returns a broken span on `BAD`.
struct Fixed {
    name: &'static str,
    finds: Vec<(&'static str, Label)>,
}

impl Extractor for Fixed {
    fn name(&self) -> &str {
        self.name
    }
    fn labels(&self) -> &[Label] {
        &Label::CONLL
    }
    fn extract(&self, d: &Document) -> Result<Vec<Entity>> {
        if d.text.contains("FAIL") {
            return Err(Error::extraction(format!("{} cannot", self.name)));
        }
        if d.text.contains("PANIC") {
            panic!("{} panicked", self.name);
        }
        if d.text.contains("BAD") {
            return Ok(vec![Entity { start: 0, end: 1, label: Label::PER, text: "wrong".into(), score: None, canonical: None }]);
        }
        let mut out = Vec::new();
        for (needle, label) in &self.finds {
            for (i, _) in d.text.match_indices(needle) {
                out.push(Entity::new(&d.text, i, i + needle.len(), label.clone())?.with_score(0.9));
            }
        }
        out.sort_by_key(|e| (e.start, e.end));
        Ok(out)
    }
}

fn member(name: &'static str, finds: &[(&'static str, Label)]) -> (String, Box<dyn Extractor>) {
    (name.to_string(), Box::new(Fixed { name, finds: finds.to_vec() }))
}

fn spans(es: &[Entity]) -> Vec<(&str, &str)> {
    es.iter().map(|e| (e.text.as_str(), e.label.as_str())).collect()
}

fn config(policy: PolicyKind, members: &[&str]) -> EnsembleConfig {
    EnsembleConfig {
        members: members.iter().map(|s| s.to_string()).collect(),
        policy,
        model: None,
        threshold: None,
        weights: BTreeMap::new(),
        label_weights: BTreeMap::new(),
        stand_ins: BTreeMap::new(),
    }
}

const TEXT: &str = "Foreign Ministry of Russia met NATO in New York City";

/// a: the ministry (ORG), Russia (LOC), NATO (ORG), New York (LOC)
/// b: the ministry with Russia (ORG, crossing nothing but containing a's Russia), NATO (ORG), York City (LOC)
/// c: nothing at all
fn three() -> Vec<(String, Box<dyn Extractor>)> {
    vec![
        member("a", &[("Foreign Ministry", Label::ORG), ("Russia", Label::LOC), ("NATO", Label::ORG), ("New York", Label::LOC)]),
        member(
            "b",
            &[("Foreign Ministry of Russia", Label::ORG), ("NATO", Label::MISC), ("York City", Label::LOC), ("Russia", Label::LOC)],
        ),
        member("c", &[]),
    ]
}

#[test]
fn vote_keeps_what_enough_weight_agrees_on() {
    let doc = Document::new("d", TEXT);
    // Equal weights, threshold 0.5: Russia (a, b) has 2/3; everything else 1/3 and goes.
    let e = Ensemble::with_members("e", config(PolicyKind::Vote, &["a", "b", "c"]), three(), ".".as_ref()).unwrap();
    let out = e.extract(&doc).unwrap();
    assert_eq!(spans(&out), [("Russia", "LOC")]);
    assert!((out[0].score.unwrap() - 2.0 / 3.0).abs() < 1e-6);

    // The empty member is what holds the rest back: without it, single proposals reach 1/2.
    let two: Vec<_> = three().into_iter().take(2).collect();
    let out = Ensemble::with_members("e", config(PolicyKind::Vote, &["a", "b"]), two, ".".as_ref()).unwrap().extract(&doc).unwrap();
    // Nested: Russia (1.0) beats the ministry-of-Russia span (0.5) containing it, and the
    // ministry (0.5, longer than nothing) survives beside it; type disagreement on NATO is a
    // tie at 0.5 that the earlier member wins; crossing New York / York City: tie, the longer
    // span wins.
    assert_eq!(spans(&out), [("Foreign Ministry", "ORG"), ("Russia", "LOC"), ("NATO", "ORG"), ("York City", "LOC")]);
}

#[test]
fn vote_weights_per_member_and_label_decide_disagreements() {
    let doc = Document::new("d", TEXT);
    let run = |label_weights: &[(&str, Label, f64)]| {
        let mut c = config(PolicyKind::Vote, &["a", "b"]);
        c.weights.insert("b".into(), 3.0);
        for (m, l, w) in label_weights {
            c.label_weights.entry(m.to_string()).or_default().insert(l.clone(), *w);
        }
        let two: Vec<_> = three().into_iter().take(2).collect();
        let e = Ensemble::with_members("e", c, two, ".".as_ref()).unwrap();
        spans(&e.extract(&doc).unwrap()).iter().map(|(t, l)| format!("{t}/{l}")).collect::<Vec<_>>()
    };
    // b weighs 3 of 4: its spans win (Russia, which both propose, beats b's longer ministry).
    assert_eq!(run(&[]), ["Russia/LOC", "NATO/MISC", "York City/LOC"]);
    // b is not trusted for MISC (0.5 of 1.5), and a is for ORG (6 of 9).
    assert_eq!(run(&[("b", Label::MISC, 0.5)]), ["Russia/LOC", "York City/LOC"]);
    assert_eq!(
        run(&[("b", Label::MISC, 0.5), ("a", Label::ORG, 6.0)]),
        ["Foreign Ministry/ORG", "Russia/LOC", "NATO/ORG", "York City/LOC"]
    );

    let mut bad = config(PolicyKind::Vote, &["a"]);
    bad.weights.insert("zz".into(), 1.0);
    let err = Ensemble::with_members("e", bad, vec![member("a", &[])], ".".as_ref()).err().unwrap().to_string();
    assert!(err.contains("\"zz\""), "{err}");
}

#[test]
fn a_failing_member_degrades_the_document_and_is_reported() {
    let docs = [
        Document::new("ok", "Russia"),
        Document::new("fails", "Russia FAIL"),
        Document::new("panics", "Russia PANIC"),
        Document::new("bad", "Russia BAD"),
    ];
    let members = vec![
        member("flaky", &[("Russia", Label::LOC)]),
        ("steady".to_string(), Box::new(Steady(Fixed { name: "steady", finds: vec![("Russia", Label::LOC)] })) as Box<dyn Extractor>),
    ];
    let mut c = config(PolicyKind::Vote, &["flaky", "steady"]);
    c.threshold = Some(0.9);
    let e = Ensemble::with_members("e", c, members, ".".as_ref()).unwrap();
    for batched in [true, false] {
        let results: Vec<Result<Vec<Entity>>> = if batched { e.extract_batch(&docs) } else { docs.iter().map(|d| e.extract(d)).collect() };
        for (doc, r) in docs.iter().zip(&results) {
            // One member of two agreeing is 1/1 of the members that ran: still kept.
            assert_eq!(spans(r.as_ref().unwrap()), [("Russia", "LOC")], "{}", doc.id);
        }
        let warnings = e.take_warnings();
        let failed: Vec<&str> = warnings.iter().map(|w| w.document.as_str()).collect();
        assert_eq!(failed, ["fails", "panics", "bad"]);
        assert!(warnings.iter().all(|w| w.message.starts_with("member flaky:")), "{warnings:?}");
        assert!(warnings[1].message.contains("panicked"));
        assert!(e.take_warnings().is_empty(), "warnings are handed out once");
    }
}

/// Like [`Fixed`] but never fails.
struct Steady(Fixed);

impl Extractor for Steady {
    fn name(&self) -> &str {
        self.0.name
    }
    fn labels(&self) -> &[Label] {
        &Label::CONLL
    }
    fn extract(&self, d: &Document) -> Result<Vec<Entity>> {
        let clean = d.text.replace("FAIL", "    ").replace("PANIC", "     ").replace("BAD", "   ");
        self.0
            .extract(&Document::new(d.id.clone(), clean))
            .map(|es| es.into_iter().map(|e| Entity { text: d.text[e.start..e.end].to_string(), ..e }).collect())
    }
}

#[test]
fn a_document_fails_only_when_every_member_does() {
    let e =
        Ensemble::with_members("e", config(PolicyKind::Vote, &["a", "b"]), three().into_iter().take(2).collect(), ".".as_ref()).unwrap();
    let err = e.extract(&Document::new("d", "FAIL")).unwrap_err().to_string();
    assert!(err.contains("member a") && err.contains("member b"), "{err}");
}

#[test]
fn union_policies_match_core_union_and_score_agreement() {
    let doc = Document::new("d", TEXT);
    let run = |p| Ensemble::with_members("e", config(p, &["a", "b", "c"]), three(), ".".as_ref()).unwrap().extract(&doc).unwrap();
    let longest = run(PolicyKind::Longest);
    assert_eq!(spans(&longest), [("Foreign Ministry of Russia", "ORG"), ("NATO", "ORG"), ("York City", "LOC")]);
    assert!((longest[0].score.unwrap() - 1.0 / 3.0).abs() < 1e-6);
    assert_eq!(spans(&run(PolicyKind::Priority)), [("Foreign Ministry", "ORG"), ("Russia", "LOC"), ("NATO", "ORG"), ("New York", "LOC")]);
    assert_eq!(run(PolicyKind::KeepAll).len(), 7);
    let mut c = config(PolicyKind::Longest, &["a"]);
    c.threshold = Some(0.5);
    assert!(Ensemble::with_members("e", c, vec![member("a", &[])], ".".as_ref()).is_err());
}

/// Documents where member `a` finds every capitalised word as PER and member `b` every word
/// after the first as LOC. Gold: words at positions 0, 3, 6... are PER, 1, 4, 7... LOC
/// (capitalised), 2, 5, 8... are lower-case words and nothing.
fn synthetic(documents: usize, offset: usize) -> Vec<(Document, Vec<Entity>)> {
    let names = ["Anna", "Boris", "cat", "Dora", "Egon", "fox", "Gil", "Hal", "ink"];
    (0..documents)
        .map(|d| {
            let words: Vec<&str> = (0..3 + (d + offset) % 7).map(|i| names[(i + d + offset) % names.len()]).collect();
            let text = words.join(" ");
            let mut gold = Vec::new();
            let mut at = 0;
            for w in &words {
                let pos = names.iter().position(|n| n == w).unwrap();
                let label = match pos % 3 {
                    0 => Some(Label::PER),
                    1 => Some(Label::LOC),
                    _ => None,
                };
                if let Some(l) = label {
                    gold.push(Entity::new(&text, at, at + w.len(), l).unwrap());
                }
                at += w.len() + 1;
            }
            (Document::new(format!("s{d}"), text), gold)
        })
        .collect()
}

fn synthetic_members() -> Vec<(String, Box<dyn Extractor>)> {
    let names = ["Anna", "Boris", "cat", "Dora", "Egon", "fox", "Gil", "Hal", "ink"];
    let a: Vec<(&'static str, Label)> = names.iter().map(|n| (*n, Label::PER)).collect();
    let b: Vec<(&'static str, Label)> = names.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(_, n)| (*n, Label::LOC)).collect();
    vec![
        ("a".to_string(), Box::new(Fixed { name: "a", finds: a }) as Box<dyn Extractor>),
        ("b".to_string(), Box::new(Fixed { name: "b", finds: b })),
    ]
}

fn examples(ensemble_members: &[(String, Box<dyn Extractor>)], data: &[(Document, Vec<Entity>)]) -> Vec<FitExample> {
    data.iter()
        .map(|(doc, gold)| FitExample {
            gold: gold.clone(),
            outputs: ensemble_members.iter().map(|(_, m)| Some(m.extract(doc).unwrap())).collect(),
        })
        .collect()
}

fn f1(predicted: &[Vec<Entity>], data: &[(Document, Vec<Entity>)]) -> f64 {
    let pairs = data.iter().zip(predicted).map(|((_, g), p)| (g.as_slice(), p.as_slice()));
    nerlab_core::metrics::evaluate(pairs, &Label::CONLL).micro.f1
}

#[test]
fn learned_combiner_beats_each_member_where_each_is_right_about_part() {
    let members = synthetic_members();
    let names: Vec<String> = members.iter().map(|(n, _)| n.clone()).collect();
    let (combiner, report) = fit(&names, &examples(&members, &synthetic(40, 0)), &FitOptions::default()).unwrap();
    assert!(report.chosen.f1 > 0.99, "{:?}", report.chosen);
    let held_out = synthetic(15, 100);
    let docs: Vec<Document> = held_out.iter().map(|(d, _)| d.clone()).collect();
    let member_f1: Vec<f64> =
        members.iter().map(|(_, m)| f1(&docs.iter().map(|d| m.extract(d).unwrap()).collect::<Vec<_>>(), &held_out)).collect();
    let threshold = combiner.threshold as f32;
    let ensemble = Ensemble::new("e", members, Policy::Learned { combiner, threshold: None }).unwrap();
    let predicted: Vec<Vec<Entity>> = ensemble.extract_batch(&docs).into_iter().map(|r| r.unwrap()).collect();
    let ensemble_f1 = f1(&predicted, &held_out);
    assert!(member_f1.iter().all(|m| *m < 0.8), "{member_f1:?}");
    assert!(ensemble_f1 > 0.99, "ensemble {ensemble_f1} vs members {member_f1:?}");
    assert!(predicted.iter().flatten().all(|e| e.score.is_some_and(|s| s >= threshold)), "scores are the combiner's p");
}

#[test]
fn fitting_is_deterministic_for_a_seed_and_the_model_file_round_trips() {
    let members = synthetic_members();
    let names: Vec<String> = members.iter().map(|(n, _)| n.clone()).collect();
    let data = examples(&members, &synthetic(30, 3));
    let options = FitOptions { corpus: "synthetic".into(), seed: 7, ..FitOptions::default() };
    let (first, _) = fit(&names, &data, &options).unwrap();
    let (second, _) = fit(&names, &data, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (dir.path().join("one.json"), dir.path().join("sub/two.json"));
    first.save(&p1).unwrap();
    second.save(&p2).unwrap();
    assert_eq!(std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap(), "same seed, same bytes");
    let loaded = Combiner::load(&p1).unwrap();
    assert_eq!(loaded, first);
    assert_eq!(loaded.fitted.seed, 7);
    // A different seed deals different folds (the weights may or may not move).
    let (other, _) = fit(&names, &data, &FitOptions { seed: 8, ..options.clone() }).unwrap();
    assert_eq!(other.fitted.seed, 8);

    // A file whose feature layout is not this code's is refused, naming the file.
    let mut tampered = loaded.clone();
    tampered.features.swap(1, 2);
    tampered.save(&p2).unwrap();
    let err = Combiner::load(&p2).unwrap_err().to_string();
    assert!(err.contains("two.json") && err.contains("refit"), "{err}");
    // A model fitted for other members is refused by the ensemble.
    let err = Ensemble::new("e", synthetic_members().into_iter().rev().collect(), Policy::Learned { combiner: loaded, threshold: None })
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("fitted for members"), "{err}");
}

#[test]
fn learned_policy_loads_through_the_config() {
    let members = synthetic_members();
    let names: Vec<String> = members.iter().map(|(n, _)| n.clone()).collect();
    let (combiner, _) = fit(&names, &examples(&members, &synthetic(20, 0)), &FitOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    combiner.save(&dir.path().join("models/e.json")).unwrap();
    let mut c = config(PolicyKind::Learned, &["a", "b"]);
    c.model = Some("models/e.json".into());
    assert!(Ensemble::with_members("e", c.clone(), synthetic_members(), dir.path()).is_ok());
    c.model = Some("models/missing.json".into());
    let err = Ensemble::with_members("e", c, synthetic_members(), dir.path()).err().unwrap().to_string();
    assert!(err.contains("fit-ensemble"), "{err}");
    let err =
        Ensemble::with_members("e", config(PolicyKind::Learned, &["a", "b"]), synthetic_members(), dir.path()).err().unwrap().to_string();
    assert!(err.contains("needs `model`"), "{err}");
}

#[test]
fn conformance_cases_pass_for_every_policy() {
    let members = || {
        vec![
            member("a", &[("NATO", Label::ORG), ("Lavrov", Label::PER), ("Brussels", Label::LOC), ("Москва", Label::LOC)]),
            member("b", &[("Sergey Lavrov", Label::PER), ("NATO", Label::MISC), ("Zoë", Label::PER)]),
        ]
    };
    let names: Vec<String> = members().iter().map(|(n, _)| n.clone()).collect();
    let (combiner, _) = fit(&names, &examples(&members(), &conformance_gold()), &FitOptions { folds: 2, ..FitOptions::default() }).unwrap();
    let policies = [
        Policy::Vote(Vote::new(vec![1.0, 2.0], vec![BTreeMap::new(), BTreeMap::new()], vec![Label::CONLL.to_vec(); 2], 0.3)),
        Policy::Learned { combiner, threshold: None },
        Policy::Union(nerlab_core::union::OverlapPolicy::Longest),
        Policy::Union(nerlab_core::union::OverlapPolicy::KeepAll),
    ];
    for policy in policies {
        check_extractor(&Ensemble::new("ensemble", members(), policy).unwrap());
    }
}

fn conformance_gold() -> Vec<(Document, Vec<Entity>)> {
    ["Sergey Lavrov met NATO in Brussels.", "NATO and Lavrov.", "Brussels, Zoë."]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let gold = [("Sergey Lavrov", Label::PER), ("NATO", Label::ORG), ("Brussels", Label::LOC), ("Zoë", Label::PER)]
                .iter()
                .filter_map(|(n, l)| t.find(n).map(|s| Entity::new(t, s, s + n.len(), l.clone()).unwrap()))
                .collect::<Vec<_>>();
            let mut gold = gold;
            gold.sort_by_key(|e| e.start);
            (Document::new(format!("g{i}"), *t), gold)
        })
        .collect()
}
