//! Plugins inside a whole `nerlab eval` run: a plugin that panics on one document fails that
//! document only, a plugin that cannot be loaded fails that extractor only, and the other
//! extractors are unaffected.

use std::path::Path;

use nerlab_orchestrator::{evaluate_corpus, Config, EvalOptions, Registry};
use nerlab_plugin::testing::{build_plugins, library_path, Profile};

#[test]
fn faults_stay_with_their_extractor_and_document() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-tests");
    let packages = ["nerlab-plugin-patterns", "nerlab-test-plugin-faults"];
    let libs = build_plugins(&packages, &target, Profile::Dev).unwrap_or_else(|e| panic!("{e}"));

    let dir = tempfile::tempdir().unwrap();
    let corpus = [
        r#"{"id": "d0", "text": "Mail press@nato.int", "entities": [{"start": 5, "end": 19, "label": "EMAIL"}]}"#,
        r#"{"id": "d1", "text": "PANIC at www.nato.int", "entities": [{"start": 9, "end": 21, "label": "URL"}]}"#,
        r#"{"id": "d2", "text": "Call @NATO now", "entities": [{"start": 5, "end": 10, "label": "HANDLE"}]}"#,
    ];
    std::fs::write(dir.path().join("tiny.jsonl"), corpus.join("\n")).unwrap();
    let toml = format!(
        r#"
[corpora.tiny]
path = "tiny.jsonl"
format = "jsonl"

[[extractors]]
name = "faulty"
kind = "plugin"
params = {{ library = {faults:?}, fault = "panic", trigger = "PANIC" }}

[[extractors]]
name = "absent"
kind = "plugin"
params = {{ library = "no/such/libplugin.so" }}

[[extractors]]
name = "patterns"
kind = "plugin"
params = {{ library = {patterns:?}, labels = ["EMAIL", "URL", "HANDLE"] }}
"#,
        faults = library_path(&libs, "nerlab-test-plugin-faults"),
        patterns = library_path(&libs, "nerlab-plugin-patterns"),
    );
    let config_path = dir.path().join("nerlab.toml");
    std::fs::write(&config_path, toml).unwrap();
    let config = Config::load(&config_path).unwrap();

    let report = evaluate_corpus(&config, &Registry::builtin(), "tiny", &EvalOptions::default()).unwrap();

    assert_eq!(report.failed_extractors.len(), 1, "{:?}", report.failed_extractors);
    let absent = &report.failed_extractors[0];
    assert_eq!(absent.name, "absent");
    assert!(absent.error.contains("no/such/libplugin.so") && absent.error.contains("cannot open plugin"), "{}", absent.error);

    let by_name = |n: &str| report.extractors.iter().find(|x| x.name == n).unwrap_or_else(|| panic!("no row {n}"));
    let faulty = by_name("faulty");
    let failed: Vec<&str> = faulty.failed_documents.iter().map(|f| f.document.as_str()).collect();
    assert_eq!(failed, ["d1"]);
    assert!(faulty.failed_documents[0].error.contains("deliberate panic"), "{}", faulty.failed_documents[0].error);

    let patterns = by_name("patterns");
    assert!(patterns.failed_documents.is_empty(), "{:?}", patterns.failed_documents);
    // Every gold entity found, nothing else: the panic next door changed nothing.
    let micro = &patterns.all_labels.micro;
    assert_eq!((micro.true_positives, micro.false_positives, micro.false_negatives), (3, 0, 0));
}
