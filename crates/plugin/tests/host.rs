//! The host against real plugin libraries: the faults it must contain, loading twice, threads.
//!
//! The purpose-built plugins live in `crates/plugin/test-plugins/`; they are built here, into
//! a target directory of their own (see `nerlab_plugin::testing`), so `cargo test` from a
//! fresh clone needs no prior build step.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use nerlab_core::{conformance::check_extractor, BuildContext, Document, ErrorKind, Extractor, Family};
use nerlab_plugin::{testing, PluginConfig, PluginExtractor, PluginLibrary};

const PACKAGES: [&str; 6] = [
    "nerlab-plugin-patterns",
    "nerlab-test-plugin-faults",
    "nerlab-test-plugin-serial",
    "nerlab-test-plugin-abi-mismatch",
    "nerlab-test-plugin-no-entry",
    "nerlab-test-plugin-liar",
];

/// The library of `package`, building all of [`PACKAGES`] once per test run.
fn plugin(package: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-tests");
        testing::build_plugins(&PACKAGES, &target, testing::Profile::Dev).unwrap_or_else(|e| panic!("{e}"))
    });
    testing::library_path(dir, package)
}

fn load(package: &str, config: &str) -> nerlab_core::Result<PluginExtractor> {
    PluginExtractor::load(plugin(package), config, Path::new("."))
}

fn faults(fault: &str, trigger: &str) -> PluginExtractor {
    load("nerlab-test-plugin-faults", &format!(r#"{{"fault": "{fault}", "trigger": "{trigger}"}}"#)).unwrap()
}

fn docs(texts: &[&str]) -> Vec<Document> {
    texts.iter().enumerate().map(|(i, t)| Document::new(format!("d{i}"), *t)).collect()
}

#[test]
fn real_plugins_pass_the_conformance_suite_across_the_abi() {
    check_extractor(&load("nerlab-plugin-patterns", "{}").unwrap());
    check_extractor(&faults("none", ""));
    check_extractor(&load("nerlab-test-plugin-serial", "{}").unwrap());
}

#[test]
fn descriptor_and_instance_labels_come_through() {
    let patterns = load("nerlab-plugin-patterns", r#"{"labels": ["URL", "EMAIL"]}"#).unwrap();
    assert_eq!(patterns.name(), "patterns");
    assert_eq!(patterns.info().version, "0.1.0");
    assert!(patterns.info().thread_safe);
    let all: Vec<&str> = patterns.info().labels.iter().map(|l| l.as_str()).collect();
    assert_eq!(all, ["EMAIL", "URL", "HANDLE", "NUMBER"]);
    let mine: Vec<&str> = patterns.labels().iter().map(|l| l.as_str()).collect();
    assert_eq!(mine, ["URL", "EMAIL"]);
    let text = "Mail press@nato.int or see https://nato.int, 42 times, @NATO.";
    let got = patterns.extract(&Document::new("d", text)).unwrap();
    let got: Vec<(&str, &str)> = got.iter().map(|e| (e.label.as_str(), e.text.as_str())).collect();
    assert_eq!(got, [("EMAIL", "press@nato.int"), ("URL", "https://nato.int")]);
}

#[test]
fn a_panic_in_extract_fails_that_document_only() {
    let faulty = faults("panic", "PANIC");
    let patterns = load("nerlab-plugin-patterns", "{}").unwrap();
    let docs = docs(&["Alpha at 10", "PANIC in Beta at 20", "Gamma at 30"]);
    let results = faulty.extract_batch(&docs);
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().len(), 1);
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Extraction);
    let message = err.to_string();
    assert!(message.contains("panicked: deliberate panic on document \"d1\""), "{message}");
    assert!(message.contains("libnerlab_test_plugin_faults"), "names the library: {message}");
    assert_eq!(results[2].as_ref().unwrap().len(), 1);
    // The instance still works after the panic, and another extractor is unaffected.
    assert_eq!(faulty.extract(&docs[0]).unwrap().len(), 1);
    for doc in &docs {
        assert_eq!(patterns.extract(doc).unwrap().len(), 1, "{}", doc.id);
    }
}

#[test]
fn in_a_batch_each_documents_error_or_invalid_span_is_its_own() {
    let texts = docs(&["Alpha", "ERR Beta", "Gamma Delta", "Epsilon"]);
    let results = faults("error", "ERR").extract_batch(&texts);
    let counts: Vec<Option<usize>> = results.iter().map(|r| r.as_ref().ok().map(Vec::len)).collect();
    assert_eq!(counts, [Some(1), None, Some(2), Some(1)]);
    let message = results[1].as_ref().unwrap_err().to_string();
    assert!(message.contains("document \"d1\"") && message.contains("deliberate error"), "{message}");

    let results = faults("out_of_bounds", "Gamma").extract_batch(&texts);
    assert!(results[0].is_ok() && results[1].is_ok() && results[3].is_ok());
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSpan, "{err}");
    assert!(err.to_string().contains("document \"d2\""), "{err}");
    // The batch answers what the documents alone answer.
    let patterns = load("nerlab-plugin-patterns", "{}").unwrap();
    let mixed = docs(&["Mail press@nato.int", "", "42 and 43 at https://nato.int", "nothing"]);
    let alone: Vec<_> = mixed.iter().map(|d| patterns.extract(d).unwrap()).collect();
    let batched: Vec<_> = patterns.extract_batch(&mixed).into_iter().map(Result::unwrap).collect();
    assert_eq!(batched, alone);
    assert_eq!(alone.iter().map(Vec::len).collect::<Vec<_>>(), [1, 0, 3, 0]);
}

#[test]
fn an_error_in_extract_is_passed_on_with_its_message() {
    let err = faults("error", "").extract(&Document::new("x", "Text")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Extraction);
    assert!(err.to_string().contains("deliberate error"), "{err}");
}

#[test]
fn invalid_spans_and_labels_are_rejected_with_a_clear_error() {
    // One row per fault: the fault, then what the message must say.
    let cases = [
        ("out_of_bounds", "out of bounds"),
        ("char_boundary", "not on character boundaries"),
        ("empty_span", "empty or reversed span 0..0"),
        ("unknown_label", "label \"BOGUS\", not one the extractor declares (CAP)"),
        ("bad_score", "score 7 outside [0, 1]"),
    ];
    let doc = Document::new("zoe", "Zoë met Łukasz");
    for (fault, expected) in cases {
        let err = faults(fault, "").extract(&doc).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSpan, "{fault}: {err}");
        let message = err.to_string();
        assert!(message.contains(expected), "{fault}: {message}");
        assert!(message.contains("document \"zoe\""), "{fault}: {message}");
    }
}

#[test]
fn unsorted_entities_are_sorted_by_the_host() {
    let got = faults("unsorted", "").extract(&Document::new("d", "Alpha and Beta and Gamma")).unwrap();
    let words: Vec<&str> = got.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(words, ["Alpha", "Beta", "Gamma"]);
}

#[test]
fn create_failures_are_errors_naming_the_library() {
    let cases = [
        (r#"{"fault": "panic_on_create"}"#, ErrorKind::Load, "panicked: deliberate panic in create"),
        (r#"{"fault": "error_on_create"}"#, ErrorKind::Config, "deliberate error in create"),
        (r#"{"fault": "none", "colour": "red"}"#, ErrorKind::Config, "unknown field `colour`"),
        (r#"{"fault": "#, ErrorKind::Config, "invalid config for plugin \"faults\""),
    ];
    for (config, kind, expected) in cases {
        let err = load("nerlab-test-plugin-faults", config).unwrap_err();
        assert_eq!(err.kind(), kind, "{config}: {err}");
        let message = err.to_string();
        assert!(message.contains(expected), "{config}: {message}");
        assert!(message.contains("libnerlab_test_plugin_faults"), "{config}: {message}");
    }
}

#[test]
fn load_failures_are_one_clear_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_library = dir.path().join("libnot_a_library.so");
    std::fs::write(&not_a_library, "this is a text file\n").unwrap();
    let missing = dir.path().join("libmissing.so");
    let current = format!("ABI version {};", nerlab_plugin::abi::ABI_VERSION);
    let cases: [(PathBuf, &[&str]); 4] = [
        (missing.clone(), &["cannot open plugin"]),
        (not_a_library.clone(), &["not a loadable shared library"]),
        (plugin("nerlab-test-plugin-no-entry"), &["no `nerlab_plugin_entry` symbol"]),
        (plugin("nerlab-test-plugin-abi-mismatch"), &["ABI version 999", current.as_str()]),
    ];
    for (path, expected) in cases {
        let err = PluginLibrary::open(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Load, "{err}");
        let message = err.to_string();
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(message.contains(name), "names the path: {message}");
        assert_eq!(message.lines().count(), 1, "one line: {message}");
        for e in expected {
            assert!(message.contains(e), "{message}");
        }
    }
}

#[test]
fn the_same_plugin_loads_twice_and_outlives_either_handle() {
    let path = plugin("nerlab-plugin-patterns");
    let first = PluginLibrary::open(&path).unwrap();
    let second = PluginLibrary::open(&path).unwrap();
    let urls = first.instantiate(r#"{"labels": ["URL"]}"#, Path::new(".")).unwrap();
    let numbers = second.instantiate(r#"{"labels": ["NUMBER"]}"#, Path::new(".")).unwrap();
    // Instances keep the library loaded after every handle that opened it is gone.
    drop(first);
    drop(second);
    let doc = Document::new("d", "www.nato.int has 30 members");
    assert_eq!(urls.extract(&doc).unwrap()[0].text, "www.nato.int");
    drop(urls);
    assert_eq!(numbers.extract(&doc).unwrap()[0].text, "30");
}

#[test]
fn from_config_resolves_the_path_against_the_base_dir() {
    let path = plugin("nerlab-plugin-patterns");
    let (dir, file) = (path.parent().unwrap(), path.file_name().unwrap().to_str().unwrap());
    let config: PluginConfig = serde_json::from_value(serde_json::json!({"library": file, "labels": ["HANDLE"]})).unwrap();
    let x = PluginExtractor::from_config(config, &BuildContext::new(dir, "handles")).unwrap();
    assert_eq!(x.extract(&Document::new("d", "hi @nerlab")).unwrap()[0].text, "@nerlab");
    // The form before `params` tables reads the same.
    let legacy: PluginConfig = serde_json::from_value(serde_json::json!({"path": file, "config": {"labels": ["HANDLE"]}})).unwrap();
    assert_eq!(legacy, serde_json::from_value(serde_json::json!({"library": file, "labels": ["HANDLE"]})).unwrap());
    for bad in [serde_json::json!({"path": file, "pth": 1}), serde_json::json!({"labels": []}), serde_json::json!({"library": 3})] {
        assert!(serde_json::from_value::<PluginConfig>(bad.clone()).is_err(), "{bad}");
    }
}

fn run_on_threads(x: &Arc<PluginExtractor>, docs: &Arc<Vec<Document>>) -> Vec<Vec<(usize, usize)>> {
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (x, docs) = (Arc::clone(x), Arc::clone(docs));
            std::thread::spawn(move || {
                docs.iter()
                    .map(|d| x.extract(d).unwrap_or_else(|e| panic!("{e}")).iter().map(|e| (e.start, e.end)).collect())
                    .collect::<Vec<Vec<(usize, usize)>>>()
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for r in &results[1..] {
        assert_eq!(r, &results[0], "threads disagree");
    }
    results.into_iter().next().unwrap()
}

#[test]
fn a_plugin_not_declared_thread_safe_is_called_serially() {
    // The plugin fails any call that overlaps another one on the same instance.
    let serial = Arc::new(load("nerlab-test-plugin-serial", "{}").unwrap());
    assert!(!serial.info().thread_safe);
    let docs = Arc::new(docs(&["Ärger", "b", "c", "d", "e", "f", "g", "h"]));
    let got = run_on_threads(&serial, &docs);
    assert_eq!(got[0], [(0, 2)]);
}

#[test]
fn a_thread_safe_plugin_gives_the_same_answers_from_several_threads() {
    let patterns = Arc::new(load("nerlab-plugin-patterns", "{}").unwrap());
    let texts: Vec<String> = (0..50).map(|i| format!("Doc {i}: mail u{i}@x.org, see www.x{i}.org")).collect();
    let docs = Arc::new(texts.iter().enumerate().map(|(i, t)| Document::new(i.to_string(), t.as_str())).collect::<Vec<_>>());
    let got = run_on_threads(&patterns, &docs);
    let single: Vec<Vec<(usize, usize)>> =
        docs.iter().map(|d| patterns.extract(d).unwrap().iter().map(|e| (e.start, e.end)).collect()).collect();
    assert_eq!(got, single);
    assert!(got.iter().all(|spans| spans.len() == 3));
}

fn liar(lie: &str) -> nerlab_core::Result<PluginExtractor> {
    load("nerlab-test-plugin-liar", &format!("{lie:?}"))
}

#[test]
fn a_message_longer_than_written_reads_no_uninitialised_bytes() {
    let err = liar("message_longer_than_written").unwrap().extract(&Document::new("d", "Text")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Extraction);
    // Only what the plugin wrote: no trailing bytes of any kind.
    assert!(err.message().ends_with(": oops"), "{:?}", err.message());
}

#[test]
fn lengths_beyond_the_capacity_or_address_space_are_abi_violations() {
    let err = liar("message_longer_than_capacity").unwrap().extract(&Document::new("d", "Text")).unwrap_err().to_string();
    assert!(err.contains("ABI violation: the plugin reported a 4096-byte error message in a 1024-byte buffer"), "{err}");
    let err = liar("create_message_longer_than_capacity").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Load);
    assert!(err.to_string().contains("ABI violation"), "{err}");
    let cases = [("entities_too_many", "more than the address space holds"), ("entities_misaligned", "misaligned address")];
    for (lie, expected) in cases {
        let err = liar(lie).unwrap().extract(&Document::new("d", "Text")).unwrap_err().to_string();
        assert!(err.contains("ABI violation") && err.contains(expected), "{lie}: {err}");
    }
    // The honest path still works.
    assert!(liar("none").unwrap().extract(&Document::new("d", "Text")).unwrap().is_empty());
}
