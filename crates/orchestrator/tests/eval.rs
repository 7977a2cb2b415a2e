//! End to end: config → registry → run → scores → report files, with purpose-built extractors.

use std::path::Path;

use nerlab_core::{Document, Entity, Error, Extractor, Label, Result};
use nerlab_orchestrator::{evaluate_corpus, Config, EvalOptions, Registry};
use serde::Deserialize;

/// Tags every occurrence of each configured word with the configured label.
struct Words {
    words: Vec<(String, Label)>,
    labels: Vec<Label>,
    panic_on: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsConfig {
    words: Vec<(String, String)>,
    #[serde(default)]
    panic_on: Option<String>,
}

impl Extractor for Words {
    fn name(&self) -> &str {
        "words"
    }
    fn labels(&self) -> &[Label] {
        &self.labels
    }
    fn extract(&self, d: &Document) -> Result<Vec<Entity>> {
        if let Some(p) = &self.panic_on {
            if d.text.contains(p.as_str()) {
                panic!("found {p}");
            }
        }
        let mut out = Vec::new();
        for (w, l) in &self.words {
            for (i, _) in d.text.match_indices(w.as_str()) {
                out.push(Entity::new(&d.text, i, i + w.len(), l.clone())?);
            }
        }
        out.sort_by_key(|e| (e.start, e.end));
        Ok(out)
    }
}

fn registry() -> Registry {
    let mut r = Registry::empty();
    r.register("words", |c: WordsConfig, _| {
        let words: Vec<(String, Label)> =
            c.words.into_iter().map(|(w, l)| Ok((w, Label::new(&l)?))).collect::<Result<_>>()?;
        let mut labels: Vec<Label> = words.iter().map(|(_, l)| l.clone()).collect();
        labels.sort();
        labels.dedup();
        Ok(Box::new(Words { words, labels, panic_on: c.panic_on }) as Box<dyn Extractor>)
    });
    r.register("broken", |_: toml::Table, _| Err(Error::config("this extractor never builds")));
    r
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Two brat documents; `ó` makes character and byte offsets differ.
fn corpus(dir: &Path) {
    let news = dir.join("news");
    std::fs::create_dir_all(&news).unwrap();
    write(&news, "a.txt", "Grushkó met NATO in Brussels on Monday.");
    write(&news, "a.ann", "T1\tPER 0 7\tGrushkó\nT2\tORG 12 16\tNATO\nT3\tLOC 20 28\tBrussels\nT4\tDATE 32 38\tMonday\n");
    write(&news, "b.txt", "NATO and Moscow. BOOM");
    write(&news, "b.ann", "T1\tORG 0 4\tNATO\nT2\tLOC 9 15\tMoscow\n");
}

const CONFIG: &str = r#"
[corpora.news]
path = "news"
format = "brat"

[eval]
output_dir = "out"

[[extractors]]
name = "good"
kind = "words"
words = [["NATO", "ORG"], ["Brussels", "LOC"], ["Monday", "LOC"]]

[[extractors]]
name = "broken"
kind = "broken"

[[extractors]]
name = "panicky"
kind = "words"
panic_on = "BOOM"
words = [["NATO", "ORG"]]

[[extractors]]
name = "off"
kind = "words"
enabled = false
words = []
"#;

#[test]
fn eval_scores_reports_and_contains_failures() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let config_path = dir.path().join("nerlab.toml");
    write(dir.path(), "nerlab.toml", CONFIG);
    let config = Config::load(&config_path).unwrap();
    let report = evaluate_corpus(&config, &registry(), "news", &EvalOptions::default()).unwrap();

    assert_eq!(report.documents, 2);
    assert_eq!(report.gold_counts.values().sum::<usize>(), 6);
    let names: Vec<&str> = report.extractors.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["good", "panicky"], "disabled and unbuildable extractors do not run");
    assert_eq!(report.failed_extractors.len(), 1);
    assert!(report.failed_extractors[0].error.contains("never builds"));
    assert!(report.failed_extractors[0].error.contains("nerlab.toml"), "{}", report.failed_extractors[0].error);

    // good: NATO x2 + Brussels correct, Monday as LOC wrong. CoNLL-4 gold: PER, ORG x2, LOC x2.
    let good = &report.extractors[0];
    assert_eq!((good.conll.micro.true_positives, good.conll.micro.false_positives, good.conll.micro.false_negatives), (3, 1, 2));
    assert!((good.conll.micro.f1 - 2.0 * 0.75 * 0.6 / 1.35).abs() < 1e-9);
    // Declared scope is ORG+LOC: the missed PER does not count there.
    assert_eq!(good.declared.micro.false_negatives, 1);
    assert!(good.failed_documents.is_empty());

    // panicky fails on document b only; its NATO in a still counts.
    let panicky = &report.extractors[1];
    assert_eq!(panicky.failed_documents.len(), 1);
    assert_eq!(panicky.failed_documents[0].document, "b");
    assert!(panicky.failed_documents[0].error.contains("found BOOM"));
    assert_eq!(panicky.conll.micro.true_positives, 1);

    let out = dir.path().join("out/news");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| good |"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["extractors"][0]["name"], "good");
    // Predictions round-trip through the JSONL reader with byte offsets intact.
    let preds = nerlab_core::read_corpus(&out.join("predictions/good.jsonl"), &nerlab_core::CorpusFormat::Jsonl).unwrap();
    assert_eq!(preds.len(), 2);
    assert_eq!(preds[0].entities[0].text, "NATO");
    assert_eq!(preds[0].entities[0].start, "Grushkó met ".len());
    assert!(report.to_text().contains("FAILED to build broken"));
}

#[test]
fn unknown_kind_and_bad_params_name_the_config_and_key() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let config_path = dir.path().join("nerlab.toml");
    write(
        dir.path(),
        "nerlab.toml",
        "[corpora.news]\npath = \"news\"\nformat = \"brat\"\n[[extractors]]\nname = \"x\"\nkind = \"nope\"\n[[extractors]]\nname = \"y\"\nkind = \"words\"\nwords = []\ntypo = 1\n",
    );
    let config = Config::load(&config_path).unwrap();
    let report = evaluate_corpus(&config, &registry(), "news", &EvalOptions { output_dir: Some(dir.path().join("o")), ..Default::default() }).unwrap();
    let errors: Vec<&str> = report.failed_extractors.iter().map(|f| f.error.as_str()).collect();
    assert!(errors[0].contains("unknown extractor kind \"nope\"") && errors[0].contains("broken, words, union"), "{}", errors[0]);
    assert!(errors[1].contains("extractor \"y\"") && errors[1].contains("typo"), "{}", errors[1]);
    assert!(errors.iter().all(|e| e.contains("nerlab.toml")));
}

#[test]
fn missing_corpus_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("nerlab.toml");
    write(dir.path(), "nerlab.toml", "[corpora.news]\npath = \"nowhere\"\nformat = \"brat\"\n");
    let config = Config::load(&config_path).unwrap();
    let err = evaluate_corpus(&config, &registry(), "news", &EvalOptions::default()).unwrap_err().to_string();
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn union_merges_members_and_rejects_cycles() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let config_path = dir.path().join("nerlab.toml");
    write(
        dir.path(),
        "nerlab.toml",
        r#"
[corpora.news]
path = "news"
format = "brat"

[[extractors]]
name = "orgs"
kind = "words"
enabled = false
words = [["NATO", "ORG"]]

[[extractors]]
name = "places"
kind = "words"
enabled = false
words = [["Brussels", "LOC"], ["Moscow", "LOC"], ["NATO in", "MISC"]]

[[extractors]]
name = "both"
kind = "union"
members = ["orgs", "places"]
overlap = "priority"

[[extractors]]
name = "loop"
kind = "union"
members = ["loop2"]

[[extractors]]
name = "loop2"
kind = "union"
members = ["loop"]
"#,
    );
    let config = Config::load(&config_path).unwrap();
    let options = EvalOptions { output_dir: Some(dir.path().join("o")), ..Default::default() };
    let report = evaluate_corpus(&config, &registry(), "news", &options).unwrap();
    let both = &report.extractors[0];
    assert_eq!(both.name, "both");
    // NATO x2 (orgs wins over the overlapping "NATO in"), Brussels, Moscow: 4 of 5 CoNLL gold.
    assert_eq!((both.conll.micro.true_positives, both.conll.micro.false_positives), (4, 0));
    assert_eq!(both.labels, [Label::LOC, Label::MISC, Label::ORG]);
    let cycle = &report.failed_extractors.iter().find(|f| f.name == "loop").unwrap().error;
    assert!(cycle.contains("cycle: loop -> loop2 -> loop"), "{cycle}");
}

#[test]
fn report_carries_intervals_errors_significance_and_agreement() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let config_path = dir.path().join("nerlab.toml");
    write(dir.path(), "nerlab.toml", &CONFIG.replace("output_dir = \"out\"", "output_dir = \"out\"\nrepeats = 2\nmin_pass_seconds = 0.0"));
    let config = Config::load(&config_path).unwrap();
    let report = evaluate_corpus(&config, &registry(), "news", &EvalOptions::default()).unwrap();
    let good = &report.extractors[0];
    assert_eq!(good.headline, good.conll, "the default headline scope is CoNLL-4");
    assert!(good.intervals.micro.f1.low <= good.headline.micro.f1 && good.headline.micro.f1 <= good.intervals.micro.f1.high);
    // good: NATO x2 and Brussels correct; Monday as LOC over the DATE gold entity is a type
    // error (DATE is annotated, so it is in the error classes' scope); Grushkó is missed.
    assert_eq!(good.errors.total(nerlab_core::analysis::ErrorClass::Correct), 3);
    assert_eq!(good.errors.by_label["DATE"][&nerlab_core::analysis::ErrorClass::Type], 1);
    assert_eq!(good.errors.confusion["PER"]["O"], 1);
    assert_eq!(good.throughput.repeats, 2);
    assert_eq!(good.throughput.documents, 2);
    assert!(good.throughput.docs_per_second.min <= good.throughput.docs_per_second.median);
    assert!(good.throughput.single_thread.is_some());
    assert!(good.memory.increase_mib.is_some() && !good.memory.own_process);
    // panicky failed on document b: its timed passes leave it out.
    assert_eq!(report.extractors[1].throughput.documents, 1);
    assert_eq!(report.significance.len(), 1);
    assert_eq!((report.significance[0].a.as_str(), report.significance[0].b.as_str()), ("good", "panicky"));
    assert!(!report.significance[0].test.significant, "two documents cannot show a difference");
    assert_eq!(report.agreement.names, ["gold", "good", "panicky"]);
    assert_eq!(report.agreement.f1[0][1], good.headline.micro.f1);
    assert_eq!(report.agreement.f1[2][2], 1.0);
    let md = std::fs::read_to_string(dir.path().join("out/news/report.md")).unwrap();
    for needle in ["F1 [95% CI]", "## Significance", "## Agreement", "not distinguishable", "Error classes", "boundary+type"] {
        assert!(md.contains(needle), "{needle} missing from\n{md}");
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/news/report.json")).unwrap()).unwrap();
    assert!(json["extractors"][0]["intervals"]["micro"]["f1"]["low"].is_number());
    assert!(json["extractors"][0]["errors"]["by_label"]["ORG"]["boundary_type"].is_number());
    assert!(report.to_text().contains("not distinguishable"));
}

#[test]
fn headline_labels_follow_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = r#"{"id":"a","text":"mail bob@x.org or see x.org","entities":[{"start":5,"end":14,"label":"EMAIL"},{"start":22,"end":27,"label":"URL"}]}"#;
    write(dir.path(), "c.jsonl", &format!("{corpus}\n"));
    let text = "[corpora.c]\npath = \"c.jsonl\"\nformat = \"jsonl\"\n[eval]\noutput_dir = \"out\"\nlabels = [\"EMAIL\", \"URL\"]\nrepeats = 1\nmin_pass_seconds = 0.0\n\
                [[extractors]]\nname = \"mail\"\nkind = \"words\"\nwords = [[\"bob@x.org\", \"EMAIL\"]]\n";
    write(dir.path(), "nerlab.toml", text);
    let config = Config::load(&dir.path().join("nerlab.toml")).unwrap();
    let report = evaluate_corpus(&config, &registry(), "c", &EvalOptions::default()).unwrap();
    let mail = &report.extractors[0];
    assert_eq!(mail.headline.labels, [Label::new("EMAIL").unwrap(), Label::new("URL").unwrap()]);
    assert_eq!((mail.headline.micro.precision, mail.headline.micro.recall), (1.0, 0.5));
    assert_eq!(mail.conll.micro.f1, 0.0, "CoNLL-4 sees nothing here");
    assert!(report.to_text().contains("66.67"), "{}", report.to_text());
}

/// The `nerlab` binary measures each extractor in a process of its own.
#[test]
fn extractors_are_measured_in_child_processes() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    write(dir.path(), "orgs.toml", "[[rules]]\nname = \"nato\"\nlabel = \"ORG\"\npattern = '\"NATO\"'\n");
    let text = "[corpora.news]\npath = \"news\"\nformat = \"brat\"\n[eval]\noutput_dir = \"out\"\nrepeats = 2\nmin_pass_seconds = 0.0\n\
                [[extractors]]\nname = \"orgs\"\nkind = \"rules\"\nrules = \"orgs.toml\"\n\
                [[extractors]]\nname = \"missing\"\nkind = \"rules\"\nrules = \"missing.toml\"\n";
    write(dir.path(), "nerlab.toml", text);
    let config = Config::load(&dir.path().join("nerlab.toml")).unwrap();
    let isolated = EvalOptions { isolate: Some(env!("CARGO_BIN_EXE_nerlab").into()), ..Default::default() };
    let report = evaluate_corpus(&config, &Registry::builtin(), "news", &isolated).unwrap();
    let orgs = &report.extractors[0];
    assert!(orgs.memory.own_process && orgs.throughput.single_thread_isolated, "{orgs:?}");
    assert!(orgs.memory.baseline_mib.unwrap() > 0.0);
    assert_eq!(orgs.conll.micro.true_positives, 2);
    assert_eq!(orgs.throughput.repeats, 2);
    // A build failure in the child is that extractor's failure, with the child's message.
    assert_eq!(report.failed_extractors.len(), 1);
    assert!(report.failed_extractors[0].error.contains("missing.toml"), "{}", report.failed_extractors[0].error);
    // The same predictions as in-process.
    let in_process = evaluate_corpus(&config, &Registry::builtin(), "news", &EvalOptions::default()).unwrap();
    assert_eq!(in_process.extractors[0].conll, orgs.conll);
    assert!(!dir.path().join("out/news/.measure-orgs.json").exists(), "scratch files are removed");
}
