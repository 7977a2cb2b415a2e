//! `kind = "command"` through the whole evaluation: config, registry, run, report. The tool is
//! the command crate's faulty regex fixture (python3 only).

use std::path::Path;

use nerlab_orchestrator::{evaluate_corpus, Config, EvalOptions, Registry};

#[test]
fn command_extractors_are_evaluated_with_their_memory_and_failures() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("gold.jsonl");
    let line = |id: &str, text: &str, entities: &str| format!("{{\"id\":\"{id}\",\"text\":\"{text}\",\"entities\":[{entities}]}}\n");
    let gold = [
        line("a", "NATO met the UN.", r#"{"start":0,"end":4,"label":"ORG"},{"start":13,"end":15,"label":"ORG"}"#),
        line("b", "CRASH here", ""),
        line("c", "Mr. Lavrov spoke.", r#"{"start":4,"end":10,"label":"PER"}"#),
    ]
    .concat();
    std::fs::write(&corpus, gold).unwrap();
    let fixture = repo.join("crates/command/tests/fixtures/faulty.py");
    let config_text = format!(
        r#"
[corpora.tiny]
path = "gold.jsonl"
format = "jsonl"

[[extractors]]
name = "regex"
kind = "command"
command = ["python3", {fixture:?}, "--hold-mib", "150"]
offsets = "chars"
labels = ["PER", "ORG"]
threads = 1
"#
    );
    let config_path = dir.path().join("nerlab.toml");
    std::fs::write(&config_path, &config_text).unwrap();
    let config = Config::load(&config_path).unwrap();
    let options = EvalOptions { output_dir: Some(dir.path().join("out")), ..EvalOptions::default() };
    let report = evaluate_corpus(&config, &Registry::builtin(), "tiny", &options).unwrap();

    assert!(report.failed_extractors.is_empty(), "{:?}", report.failed_extractors);
    let row = &report.extractors[0];
    assert_eq!(row.kind, "command");
    assert_eq!(row.conll.micro.true_positives, 3, "the two documents that did not crash are fully right");
    assert_eq!(row.failed_documents.len(), 1);
    assert_eq!(row.failed_documents[0].document, "b");
    assert!(row.failed_documents[0].error.contains("faulty: crashing on purpose"), "{:?}", row.failed_documents);
    // The child holds 150 MiB; nerlab itself needs far less for three documents.
    let peak = row.peak_rss_mib.expect("Linux");
    assert!(peak > 150.0, "the child process's memory counts: peak {peak:.1} MiB");
}
