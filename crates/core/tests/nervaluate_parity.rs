//! The four nervaluate schemes equal nervaluate's own numbers.
//!
//! `fixtures/nervaluate_parity.json` was made by `fixtures/make_nervaluate_fixture.py` with
//! nervaluate 0.2.0 (the original `compute_metrics` algorithm that [`nerlab_core::metrics`]
//! reimplements): the sentences of the seqeval fixture, and 400 random documents whose
//! predictions overlap each other and the gold in every way, with a label (DATE) outside the
//! scored ones. Spans are end-exclusive token offsets; every count and score must agree,
//! overall and per label.

use std::path::Path;

use nerlab_core::metrics::{evaluate, SchemeScore, SchemeScores};
use nerlab_core::{Entity, Label};
use serde_json::Value;

fn entities(spans: &Value) -> Vec<Entity> {
    spans
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Entity {
            start: s[0].as_u64().unwrap() as usize,
            end: s[1].as_u64().unwrap() as usize,
            label: Label::new(s[2].as_str().unwrap()).unwrap(),
            text: String::new(),
            score: None,
            canonical: None,
        })
        .collect()
}

fn check(ours: &SchemeScore, theirs: &Value, what: &str) {
    let counts = [
        ("correct", ours.correct),
        ("incorrect", ours.incorrect),
        ("partial", ours.partial),
        ("missed", ours.missed),
        ("spurious", ours.spurious),
        ("possible", ours.possible),
        ("actual", ours.actual),
    ];
    for (k, v) in counts {
        assert_eq!(Some(v as u64), theirs[k].as_u64(), "{what} {k}");
    }
    for (k, v) in [("precision", ours.precision), ("recall", ours.recall), ("f1", ours.f1)] {
        let t = theirs[k].as_f64().unwrap();
        assert!((v - t).abs() < 1e-9, "{what} {k}: ours {v}, nervaluate {t}");
    }
}

fn check_all(ours: &SchemeScores, theirs: &Value, what: &str) {
    check(&ours.strict, &theirs["strict"], &format!("{what} strict"));
    check(&ours.exact, &theirs["exact"], &format!("{what} exact"));
    check(&ours.partial, &theirs["partial"], &format!("{what} partial"));
    check(&ours.ent_type, &theirs["ent_type"], &format!("{what} ent_type"));
}

#[test]
fn schemes_equal_nervaluate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nervaluate_parity.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for name in ["conll", "random"] {
        let set = &fixture[name];
        let docs: Vec<(Vec<Entity>, Vec<Entity>)> =
            set["documents"].as_array().unwrap().iter().map(|d| (entities(&d["gold"]), entities(&d["pred"]))).collect();
        assert!(docs.len() >= 40, "{name}");
        let eval = evaluate(docs.iter().map(|(g, p)| (&g[..], &p[..])), &Label::CONLL);
        check_all(&eval.schemes, &set["overall"], name);
        for label in &Label::CONLL {
            check_all(&eval.schemes_per_label[label], &set["per_label"][label.as_str()], &format!("{name} {label}"));
        }
    }
}
