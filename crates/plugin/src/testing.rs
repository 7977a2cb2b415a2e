//! Helpers for testing a plugin over the real ABI: build its `cdylib`, find the file, and
//! compare a plugin exporting a family with the same family linked statically.
//!
//! A test that runs `cargo build` while the outer `cargo test` holds the lock on the same
//! target directory would wait forever, so [`build_plugins`] builds into a target directory
//! of the caller's choosing; `env!("CARGO_TARGET_TMPDIR")` (set for integration tests) is
//! the natural parent:
//!
//! ```no_run
//! # fn main() -> nerlab_core::Result<()> {
//! let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/plugin-tests");
//! use nerlab_plugin::testing::{build_plugins, Profile};
//! let dir = build_plugins(&["nerlab-plugin-patterns"], &target, Profile::Dev)?;
//! let path = nerlab_plugin::testing::library_path(&dir, "nerlab-plugin-patterns");
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use nerlab_core::{conformance, read_corpus, BuildContext, CorpusFormat, Document, Error, ErrorKind, Extractor, Family, Result, TagScheme};

/// The cargo profile to build plugins with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `dev`, for tests: quick to build.
    Dev,
    /// `release`, for benchmarks: compare like with like.
    Release,
}

/// Builds `packages` (cdylib crates of the current workspace) with the `cargo` running the
/// tests, into `target_dir`, and returns the directory holding the libraries.
///
/// # Errors
/// [`ErrorKind::Load`] when cargo cannot be started or the build fails (its output goes to
/// the test's stderr).
pub fn build_plugins(packages: &[&str], target_dir: &Path, profile: Profile) -> Result<PathBuf> {
    // Cargo tells the processes it runs which cargo it is; fall back to the one on PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet"]).env("CARGO_TARGET_DIR", target_dir);
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    for p in packages {
        cmd.args(["--package", p]);
    }
    let status = cmd.status().map_err(|e| Error::new(ErrorKind::Load, format!("cannot run cargo to build {packages:?}: {e}")))?;
    if !status.success() {
        return Err(Error::new(ErrorKind::Load, format!("building {packages:?} failed ({status})")));
    }
    Ok(target_dir.join(match profile {
        Profile::Dev => "debug",
        Profile::Release => "release",
    }))
}

/// The file name cargo gives the `cdylib` of `package` in `dir`, e.g.
/// `dir/libnerlab_plugin_patterns.so` on Linux.
pub fn library_path(dir: &Path, package: &str) -> PathBuf {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    dir.join(format!("{DLL_PREFIX}{}{DLL_SUFFIX}", package.replace('-', "_")))
}

/// The `params` of the first `kind = KIND` entry of the config file `config` (empty if none).
///
/// # Panics
/// When the file cannot be read or is not TOML.
pub fn configured_params(config: &Path, kind: &str) -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(config).unwrap_or_else(|e| panic!("{}: {e}", config.display()));
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", config.display()));
    let params = table
        .get("extractors")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .find(|e| e.get("kind").and_then(|k| k.as_str()) == Some(kind))
        .and_then(|e| e.get("params"))
        .cloned()
        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
    match serde_json::to_value(params) {
        Ok(serde_json::Value::Object(map)) => map,
        other => panic!("{}: the params of kind {kind:?} are not a table: {other:?}", config.display()),
    }
}

/// Builds the plugin crate `package`, which exports the family `F`, into `target_dir`, and
/// checks that, loaded through the ABI with the parameters of `F`'s entry in `root`'s
/// nerlab.toml, it passes the conformance table and finds exactly what `F` linked statically
/// with the same parameters finds, on the conformance cases, the news corpus and CoNLL-2003
/// test. Returns how many entities were compared.
///
/// # Panics
/// On any difference, naming the document.
pub fn assert_plugin_matches<F: Family>(package: &str, root: &Path, target_dir: &Path) -> usize {
    let dir = build_plugins(&[package], target_dir, Profile::Dev).unwrap_or_else(|e| panic!("{e}"));
    let params = configured_params(&root.join("nerlab.toml"), F::KIND);
    let json = serde_json::Value::Object(params.clone()).to_string();
    let loaded = crate::PluginExtractor::load(library_path(&dir, package), &json, root).unwrap_or_else(|e| panic!("{e}"));
    let config: F::Config = serde_json::from_value(serde_json::Value::Object(params)).unwrap_or_else(|e| panic!("{e}"));
    let linked = F::from_config(config, &BuildContext::new(root, F::KIND)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.labels(), linked.labels());
    conformance::check_extractor(&loaded);

    let mut docs: Vec<Document> = conformance::cases();
    let conll = CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 };
    for (path, format) in [(root.join("corpus/news"), CorpusFormat::Brat), (root.join("corpus/conll2003/test.txt"), conll)] {
        let corpus = read_corpus(&path, &format).unwrap_or_else(|e| panic!("{e}"));
        docs.extend(corpus.into_iter().map(|d| d.document));
    }
    let mut compared = 0;
    for doc in &docs {
        let want = linked.extract(doc).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.extract(doc).unwrap_or_else(|e| panic!("{e}")), want, "document {}", doc.id);
        compared += want.len();
    }
    compared
}
