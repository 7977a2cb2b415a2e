//! The conformance table of `nerlab_core::conformance` against every kind the registry knows,
//! each built from a config entry exactly as `nerlab eval` builds it, in the spirit of
//! aho-corasick's `testconfig!`: one line per kind in [`conformance!`], and a test that fails
//! when a registered kind has no line, so a new family is covered without opting in.
//!
//! Each case also writes its parameters back through the family's typed configuration and
//! checks that they read the same (the config round trip).

use std::path::{Path, PathBuf};

use nerlab_core::conformance::check_extractor;
use nerlab_orchestrator::{build_extractor, Config, Params, Registry};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace's plugins, built for these tests (a fresh clone has no `target/release`).
fn plugin_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-tests");
        nerlab_plugin::testing::build_plugins(&["nerlab-plugin-patterns"], &target, nerlab_plugin::testing::Profile::Dev)
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Builds the extractor `name` of the config `entries` (extractor tables, paths relative to
/// the repository root) and runs the conformance table and the round trip on it.
fn check(kind: &str, entries: &str) {
    let text = format!("{entries}\n");
    let config = Config::parse(&text, &root().join(format!("conformance-{kind}.toml"))).unwrap_or_else(|e| panic!("{e}"));
    let mut registry = Registry::builtin();
    // In place of the library `nerlab` loads it from (plugins/transformer tests that path).
    registry.register::<nerlab_transformer::TransformerExtractor>();
    let spec = config.extractors.iter().rev().find(|s| s.kind == kind).expect("an entry of the kind under test");
    let extractor = build_extractor(&config, &registry, spec).unwrap_or_else(|e| panic!("{e}"));
    check_extractor(extractor.as_ref());
    let written = registry.canonical_params(kind, &config.params(spec)).unwrap();
    assert_eq!(registry.canonical_params(kind, &Params::new(&written)).unwrap(), written);
}

/// One `#[test]` per kind, named after it, and one that every registered kind has a case.
macro_rules! conformance {
    ($($(#[$attr:meta])* $kind:ident => $entries:expr,)*) => {
        $(
            #[test]
            $(#[$attr])*
            fn $kind() {
                check(stringify!($kind), &$entries);
            }
        )*

        #[test]
        fn every_registered_kind_has_a_conformance_case() {
            let covered = [$(stringify!($kind)),*];
            for kind in Registry::builtin().kinds() {
                assert!(covered.contains(&kind), "kind {kind:?} has no line in conformance! (crates/orchestrator/tests/conformance.rs)");
            }
        }
    };
}

conformance! {
    rules => r#"
[[extractors]]
name = "rules"
kind = "rules"
params = { rules = "models/rules/news.toml" }"#,
    dictionary => r#"
[[extractors]]
name = "dictionary"
kind = "dictionary"
params = { normalize = true, lexicon = "models/rules/english-words.txt" }"#,
    transformer => r#"
[[extractors]]
name = "transformer"
kind = "transformer"
params = { model_dir = "models/minilm-conll03" }"#,
    union => r#"
[[extractors]]
name = "rules"
kind = "rules"
params = { rules = "models/rules/news.toml" }

[[extractors]]
name = "dictionary"
kind = "dictionary"

[[extractors]]
name = "union"
kind = "union"
params = { members = ["rules", "dictionary"], overlap = "longest" }"#,
    ensemble => r#"
[[extractors]]
name = "rules"
kind = "rules"
params = { rules = "models/rules/news.toml" }

[[extractors]]
name = "dictionary"
kind = "dictionary"

[[extractors]]
name = "ensemble"
kind = "ensemble"
params = { members = ["rules", "dictionary"], policy = "vote" }"#,
    command => r#"
[[extractors]]
name = "regex"
kind = "command"
params = { command = ["python3", "integrations/regex/extract.py"], offsets = "chars" }"#,
    plugin => format!(
        "[[extractors]]\nname = \"patterns\"\nkind = \"plugin\"\nparams = {{ library = {:?} }}",
        nerlab_plugin::testing::library_path(plugin_dir(), "nerlab-plugin-patterns")
    ),
}

/// The transformer's ONNX Runtime backends through the same table and round trip (the line
/// above covers libtorch). Skipped, saying why, where `cargo xtask setup` has not installed
/// ONNX Runtime under `target/onnx/`.
#[test]
fn transformer_onnx_backends() {
    if !root().join("target/onnx/libonnxruntime.so").exists() {
        eprintln!("SKIPPED: ONNX Runtime is not set up (target/onnx/libonnxruntime.so); run `cargo xtask setup`");
        return;
    }
    for backend in ["onnx-fp32", "onnx-int8"] {
        check(
            "transformer",
            &format!("[[extractors]]\nname = \"transformer\"\nkind = \"transformer\"\nparams = {{ model_dir = \"models/minilm-conll03\", backend = \"{backend}\" }}"),
        );
    }
}
