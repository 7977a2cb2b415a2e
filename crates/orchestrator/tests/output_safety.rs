//! Where `evaluate_corpus` writes, whatever names a config or command line holds: always
//! inside the output directory, never through a link, never two extractors into one file,
//! and a document that cannot be written fails alone.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nerlab_core::{BuildContext, Document, Entity, Extractor, Family, Label, Result};
use nerlab_orchestrator::{evaluate_corpus, Config, EvalOptions, Registry};

/// Tags every `NATO` as ORG.
struct Nato;

impl Extractor for Nato {
    fn name(&self) -> &str {
        "nato"
    }
    fn labels(&self) -> &[Label] {
        std::slice::from_ref(&Label::ORG)
    }
    fn extract(&self, d: &Document) -> Result<Vec<Entity>> {
        d.text.match_indices("NATO").map(|(i, _)| Entity::new(&d.text, i, i + 4, Label::ORG)).collect()
    }
}

impl Family for Nato {
    const KIND: &'static str = "nato";
    type Config = toml::Table;
    fn from_config(_: toml::Table, _: &BuildContext<'_>) -> Result<Nato> {
        Ok(Nato)
    }
}

/// [`Nato`] behind a family whose parameters are checked strictly.
struct Strict(Nato);

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictConfig {
    size: usize,
}

impl Extractor for Strict {
    fn name(&self) -> &str {
        "strict"
    }
    fn labels(&self) -> &[Label] {
        self.0.labels()
    }
    fn extract(&self, d: &Document) -> Result<Vec<Entity>> {
        self.0.extract(d)
    }
}

impl Family for Strict {
    const KIND: &'static str = "strict";
    type Config = StrictConfig;
    fn from_config(_: StrictConfig, _: &BuildContext<'_>) -> Result<Strict> {
        Ok(Strict(Nato))
    }
}

fn registry() -> Registry {
    let mut r = Registry::empty();
    r.register::<Nato>();
    r
}

/// Every file and directory under `root`, relative to it.
fn tree(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                stack.push(path.clone());
            }
            out.insert(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
    out
}

const GOLD: &str = r#"{"id":"a","text":"NATO met.","entities":[{"start":0,"end":4,"label":"ORG"}]}"#;

/// A project in `root/p/q` (so that `..` escapes stay inside the temporary directory) with
/// `config` and a JSONL corpus `gold.jsonl` holding `gold`.
fn project(root: &Path, config: &str, gold: &str) -> Config {
    let dir = root.join("p/q");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("gold.jsonl"), format!("{gold}\n")).unwrap();
    std::fs::write(dir.join("nerlab.toml"), config).unwrap();
    Config::load(&dir.join("nerlab.toml")).unwrap()
}

fn run(config: &Config, corpus: &str) -> nerlab_orchestrator::Report {
    evaluate_corpus(config, &registry(), corpus, &EvalOptions::default()).unwrap()
}

#[test]
fn hostile_corpus_names_stay_inside_the_output_directory() {
    let root = tempfile::tempdir().unwrap();
    let absolute = root.path().join("abs").display().to_string();
    for name in ["../../escape", "..", absolute.as_str(), "a/../../b"] {
        let config = format!(
            "[eval]\noutput_dir = \"out\"\n[corpora.{name:?}]\npath = \"gold.jsonl\"\nformat = \"jsonl\"\n[[extractors]]\nname = \"n\"\nkind = \"nato\"\n"
        );
        let config = project(root.path(), &config, GOLD);
        run(&config, name);
    }
    // `--corpus` with a path whose file stem is `..`.
    let config = project(root.path(), "[eval]\noutput_dir = \"out\"\n[[extractors]]\nname = \"n\"\nkind = \"nato\"\n", GOLD);
    std::fs::create_dir_all(root.path().join("p/q/dots")).unwrap();
    std::fs::write(root.path().join("p/q/dots/...jsonl"), format!("{GOLD}\n")).unwrap();
    run(&config, &root.path().join("p/q/dots/...jsonl").display().to_string());

    let outside: Vec<PathBuf> = tree(root.path())
        .into_iter()
        .filter(|p| !p.starts_with("p/q/out") && !p.starts_with("p/q/dots"))
        .filter(|p| !["p", "p/q", "p/q/out", "p/q/gold.jsonl", "p/q/nerlab.toml"].contains(&p.to_str().unwrap()))
        .collect();
    assert!(outside.is_empty(), "written outside the output directory: {outside:?}");
    let out = tree(&root.path().join("p/q/out"));
    for dir in ["______escape", "__", "a_______b"] {
        assert!(out.contains(&PathBuf::from(dir).join("report.json")), "{dir}: {out:?}");
    }
}

#[test]
fn a_link_at_a_report_is_replaced_not_followed() {
    let root = tempfile::tempdir().unwrap();
    let config = project(
        root.path(),
        "[eval]\noutput_dir = \"out\"\n[corpora.news]\npath = \"gold.jsonl\"\nformat = \"jsonl\"\n[[extractors]]\nname = \"n\"\nkind = \"nato\"\n",
        GOLD,
    );
    let victim = root.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let out = root.path().join("p/q/out/news");
    std::fs::create_dir_all(out.join("predictions")).unwrap();
    for name in ["report.json", "report.md", "predictions/n.jsonl"] {
        std::os::unix::fs::symlink(&victim, out.join(name)).unwrap();
    }
    run(&config, "news");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::read_to_string(out.join("report.json")).unwrap().contains("\"corpus\": \"news\""));
}

#[test]
fn a_linked_corpus_directory_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let config = project(
        root.path(),
        "[eval]\noutput_dir = \"out\"\n[corpora.news]\npath = \"gold.jsonl\"\nformat = \"jsonl\"\n[[extractors]]\nname = \"n\"\nkind = \"nato\"\n",
        GOLD,
    );
    std::fs::create_dir_all(root.path().join("p/q/out")).unwrap();
    std::fs::create_dir_all(root.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(root.path().join("elsewhere"), root.path().join("p/q/out/news")).unwrap();
    let err = evaluate_corpus(&config, &registry(), "news", &EvalOptions::default()).unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(root.path().join("elsewhere")).unwrap().count(), 0);
}

#[test]
fn extractor_names_that_sanitise_alike_get_their_own_predictions() {
    let root = tempfile::tempdir().unwrap();
    let config = project(
        root.path(),
        "[eval]\noutput_dir = \"out\"\n[corpora.news]\npath = \"gold.jsonl\"\nformat = \"jsonl\"\n[[extractors]]\nname = \"r.x\"\nkind = \"nato\"\n[[extractors]]\nname = \"r_x\"\nkind = \"nato\"\n",
        GOLD,
    );
    let report = run(&config, "news");
    let paths: BTreeSet<&str> = report.extractors.iter().map(|e| e.predictions.as_str()).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    for path in paths {
        assert!(Path::new(path).is_file(), "{path}");
    }
}

#[test]
fn a_document_whose_brat_predictions_cannot_be_written_fails_alone() {
    let root = tempfile::tempdir().unwrap();
    let long = "x".repeat(300);
    let gold = format!(
        "{GOLD}\n{{\"id\":\"a/b\",\"text\":\"NATO\"}}\n{{\"id\":\"{long}\",\"text\":\"NATO\"}}\n{{\"id\":\"c\",\"text\":\"NATO again\"}}"
    );
    let config = project(
        root.path(),
        "[eval]\noutput_dir = \"out\"\npredictions = \"brat\"\n[corpora.news]\npath = \"gold.jsonl\"\nformat = \"jsonl\"\n[[extractors]]\nname = \"n\"\nkind = \"nato\"\n",
        &gold,
    );
    let report = run(&config, "news");
    let n = &report.extractors[0];
    let failed: Vec<&str> = n.failed_documents.iter().map(|f| f.document.as_str()).collect();
    assert_eq!(failed, ["a/b", long.as_str()]);
    assert!(n.failed_documents.iter().all(|f| f.error.contains("predictions not written")), "{:?}", n.failed_documents);
    assert!(n.failed_documents[1].error.contains("300 bytes"), "{}", n.failed_documents[1].error);
    let dir = Path::new(&n.predictions);
    for id in ["a", "c"] {
        assert!(dir.join(format!("{id}.ann")).is_file(), "{id}");
    }
    // Scoring is not affected by the writing.
    assert_eq!(n.conll.micro.true_positives, 1);
}

#[test]
fn errors_in_an_extractors_parameters_name_the_config_line() {
    let root = tempfile::tempdir().unwrap();
    let mut registry = registry();
    registry.register::<Strict>();
    let config = project(
        root.path(),
        "[eval]\noutput_dir = \"out\"\n[corpora.news]\npath = \"gold.jsonl\"\nformat = \"jsonl\"\n\n[[extractors]]\nname = \"s\"\nkind = \"strict\"\nsize = 1\nsiez = 2\n\n[[extractors]]\nname = \"t\"\nkind = \"strict\"\n",
        GOLD,
    );
    let report = evaluate_corpus(&config, &registry, "news", &EvalOptions::default()).unwrap();
    let errors: Vec<&str> = report.failed_extractors.iter().map(|f| f.error.as_str()).collect();
    assert!(errors[0].contains("nerlab.toml:11:") && errors[0].contains("siez"), "the key's line: {}", errors[0]);
    assert!(errors[1].contains("nerlab.toml:13:") && errors[1].contains("size"), "the header's line: {}", errors[1]);
}

#[test]
fn an_error_and_its_causes_are_described_once_each() {
    let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
    let err = nerlab_core::Error::io("gaz.tsv", io);
    let wrapped = nerlab_core::Error::config(format!("extractor \"d\": {}", err.message())).with_path("nerlab.toml").with_source(err);
    let text = nerlab_orchestrator::describe_error(&wrapped);
    assert_eq!(text.matches("No such file or directory").count(), 1, "{text}");
    assert!(text.starts_with("nerlab.toml: configuration error: extractor \"d\""), "{text}");
}
