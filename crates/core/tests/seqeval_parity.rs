//! Strict scores equal seqeval's.
//!
//! `fixtures/seqeval_parity.conll` holds 40 sentences of CoNLL-2003 `valid` with gold tags and
//! deterministically perturbed predicted tags (`token GOLD PRED`; wrong types, dropped
//! entities, `I-` starts, boundary errors, split entities, spurious `B-`/`I-` entities).
//! `fixtures/seqeval_parity.json` holds what seqeval 1.2.2 (default mode, which is
//! conlleval's) reports for it. Both were made by `fixtures/make_seqeval_fixture.py` (its
//! docstring has the perturbation rules and the commands). This test splits the fixture into
//! a gold and a predicted CoNLL file, reads both with the CoNLL reader, scores them with
//! [`evaluate`] and checks every number against seqeval's to 1e-9.

use std::path::Path;

use nerlab_core::metrics::evaluate;
use nerlab_core::{read_corpus, CorpusFormat, Entity, Label, TagScheme};
use serde_json::Value;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn assert_close(ours: f64, theirs: &Value, what: &str) {
    let theirs = theirs.as_f64().unwrap_or_else(|| panic!("{what}: missing in the JSON"));
    assert!((ours - theirs).abs() < 1e-9, "{what}: ours {ours}, seqeval {theirs}");
}

#[test]
fn strict_scores_equal_seqeval() {
    let source = std::fs::read_to_string(fixture("seqeval_parity.conll")).unwrap();
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(fixture("seqeval_parity.json")).unwrap()).unwrap();

    // Split `token GOLD PRED` into two CoNLL files.
    let column = |k: usize| -> String {
        source
            .lines()
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                if cols.is_empty() {
                    String::new()
                } else {
                    format!("{} {}", cols[0], cols[k])
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let dir = tempfile::tempdir().unwrap();
    let (gold_path, pred_path) = (dir.path().join("gold.conll"), dir.path().join("pred.conll"));
    std::fs::write(&gold_path, column(1)).unwrap();
    std::fs::write(&pred_path, column(2)).unwrap();
    let format = CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 };
    let gold = read_corpus(&gold_path, &format).unwrap();
    let pred = read_corpus(&pred_path, &format).unwrap();
    assert_eq!(gold.len(), 40);
    assert_eq!(gold.len() as u64, expected["sentences"].as_u64().unwrap());
    assert_eq!(pred.len(), gold.len());
    for (g, p) in gold.iter().zip(&pred) {
        assert_eq!(g.document.text, p.document.text);
    }

    let pairs: Vec<(&[Entity], &[Entity])> = gold.iter().zip(&pred).map(|(g, p)| (&g.entities[..], &p.entities[..])).collect();
    let eval = evaluate(pairs, &Label::CONLL);

    let micro = &expected["micro"];
    assert_close(eval.micro.precision, &micro["precision"], "micro precision");
    assert_close(eval.micro.recall, &micro["recall"], "micro recall");
    assert_close(eval.micro.f1, &micro["f1"], "micro f1");
    let report = &expected["report"];
    for label in &Label::CONLL {
        let row = &report[label.as_str()];
        let ours = eval.per_label[label];
        assert_close(ours.precision, &row["precision"], &format!("{label} precision"));
        assert_close(ours.recall, &row["recall"], &format!("{label} recall"));
        assert_close(ours.f1, &row["f1-score"], &format!("{label} f1"));
        assert_eq!((ours.true_positives + ours.false_negatives) as u64, row["support"].as_u64().unwrap(), "{label} support");
    }
    let m = &report["macro avg"];
    assert_close(eval.macro_avg.precision, &m["precision"], "macro precision");
    assert_close(eval.macro_avg.recall, &m["recall"], "macro recall");
    assert_close(eval.macro_avg.f1, &m["f1-score"], "macro f1");
    let m = &report["micro avg"];
    assert_close(eval.micro.f1, &m["f1-score"], "micro avg f1");

    // The fixture exercises what it claims to: errors of every kind.
    assert!(eval.micro.true_positives > 0 && eval.micro.false_positives > 0 && eval.micro.false_negatives > 0);
    assert!(eval.schemes.partial.partial > 0 && eval.schemes.exact.correct > eval.schemes.strict.correct);
}
