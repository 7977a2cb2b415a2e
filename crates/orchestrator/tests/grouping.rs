//! A corpus's `group` option: extractors see consecutive documents joined, the corpus and its
//! scores do not change. Run on the start of CoNLL-2003 `valid` with the shipped gazetteers
//! without surname propagation, which then use no context, and a purpose-built extractor that
//! does. (The shipped rules and dictionary as configured are not context-free: the rules'
//! `[document]` memory and the dictionary's `propagate` label repetitions of names found
//! elsewhere in the document, so grouping changes what they find.)

use std::path::{Path, PathBuf};

use nerlab_core::{BuildContext, Document, Entity, Extractor, Family, Label, Result};
use nerlab_orchestrator::report::Report;
use nerlab_orchestrator::{evaluate_corpus, Config, EvalOptions, Registry};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Tags the first whitespace token of every text it is given as MISC: it sees the groups.
struct FirstToken;

impl Extractor for FirstToken {
    fn name(&self) -> &str {
        "first-token"
    }
    fn labels(&self) -> &[Label] {
        std::slice::from_ref(&Label::MISC)
    }
    fn extract(&self, d: &Document) -> Result<Vec<Entity>> {
        let Some(token) = d.text.split_whitespace().next() else { return Ok(Vec::new()) };
        let start = d.text.find(token).unwrap_or(0);
        Ok(vec![Entity::new(&d.text, start, start + token.len(), Label::MISC)?])
    }
}

impl Family for FirstToken {
    const KIND: &'static str = "first-token";
    type Config = toml::Table;
    fn from_config(_: toml::Table, _: &BuildContext<'_>) -> Result<FirstToken> {
        Ok(FirstToken)
    }
}

/// The first `sentences` sentences of CoNLL `valid`.
fn valid_head(sentences: usize) -> String {
    let text = std::fs::read_to_string(root().join("corpus/conll2003/valid.txt")).unwrap();
    text.split("\n\n").take(sentences).collect::<Vec<_>>().join("\n\n") + "\n"
}

fn config(dir: &Path) -> Config {
    let models = root().join("models");
    let m = |p: &str| models.join(p).display().to_string();
    let text = format!(
        r#"
[corpora.flat]
path = "valid.txt"
format = "conll"

[corpora.articles]
path = "valid.txt"
format = "conll"
group = {{ by = "articles" }}

[corpora.window]
path = "valid.txt"
format = "conll"
group = {{ by = "window", size = 7 }}

[canonicalize]
enabled = false

[eval]
output_dir = "out"
repeats = 1
min_pass_seconds = 0.0
timing_documents = 50
bootstrap = {{ resamples = 20, seed = 1, confidence = 0.9 }}

[[extractors]]
name = "dictionary"
kind = "dictionary"
[extractors.params]
normalize = true
propagate = false
lexicon = "{lexicon}"
gazetteers = [{{ path = "{train}" }}, {{ path = "{countries}" }}, {{ path = "{cities}" }}, {{ path = "{names}", trigger = true }}]

[[extractors]]
name = "first-token"
kind = "first-token"
"#,
        lexicon = m("rules/english-words.txt"),
        train = m("gazetteers/conll2003-train.tsv"),
        countries = m("gazetteers/countries.tsv"),
        cities = m("gazetteers/cities.tsv"),
        names = m("gazetteers/given-names.tsv"),
    );
    std::fs::write(dir.join("nerlab.toml"), text).unwrap();
    Config::load(&dir.join("nerlab.toml")).unwrap()
}

/// Per document: its id and its entities as `(start, end, label, text)`.
type Predictions = Vec<(String, Vec<(usize, usize, String, String)>)>;

fn predictions(dir: &Path, corpus: &str, name: &str) -> Predictions {
    let path = dir.join(format!("out/{corpus}/predictions/{name}.jsonl"));
    let docs = nerlab_core::read_corpus(&path, &nerlab_core::CorpusFormat::Jsonl).unwrap();
    docs.into_iter()
        .map(|d| (d.document.id, d.entities.into_iter().map(|e| (e.start, e.end, e.label.to_string(), e.text)).collect()))
        .collect()
}

fn extractor<'a>(report: &'a Report, name: &str) -> &'a nerlab_orchestrator::report::ExtractorReport {
    report.extractors.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name} did not run: {:?}", report.failed_extractors))
}

#[test]
fn grouping_changes_what_extractors_see_but_not_the_corpus_or_the_scores_of_context_free_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("valid.txt"), valid_head(400)).unwrap();
    let config = config(dir.path());
    let mut registry = Registry::builtin();
    registry.register::<FirstToken>();
    let run = |corpus: &str| evaluate_corpus(&config, &registry, corpus, &EvalOptions::default()).unwrap();
    let (flat, articles, window) = (run("flat"), run("articles"), run("window"));

    for grouped in [&articles, &window] {
        // The corpus is the same: documents, gold, what the report counts.
        assert_eq!((grouped.documents, grouped.bytes, grouped.tokens), (400, flat.bytes, flat.tokens));
        assert_eq!(grouped.gold_counts, flat.gold_counts);
        // The dictionary without `propagate` is context-free (rules are not: `[document]` memory).
        let name = "dictionary";
        let (a, b) = (extractor(&flat, name), extractor(grouped, name));
        assert!(a.conll.micro.true_positives > 100, "{name} finds entities at all");
        assert_eq!(a.conll, b.conll, "{name}: same scores grouped as {}", grouped.corpus);
        assert_eq!(a.headline, b.headline);
        assert!(b.failed_documents.is_empty() && b.degraded_documents.is_empty(), "{:?}", b.degraded_documents);
        assert_eq!(predictions(dir.path(), "flat", name), predictions(dir.path(), &grouped.corpus, name));
    }

    // The context-dependent extractor sees the groups: one first token per group, each in the
    // offsets of the document that opens the group.
    let first = |corpus: &str| predictions(dir.path(), corpus, "first-token");
    let docs_with = |p: &Predictions| p.iter().filter(|(_, es)| !es.is_empty()).count();
    assert_eq!(docs_with(&first("flat")), 400);
    assert_eq!(docs_with(&first("window")), 400_usize.div_ceil(7));
    let opened: Vec<String> = first("articles").into_iter().filter(|(_, es)| !es.is_empty()).map(|(id, _)| id).collect();
    // The first 400 sentences of `valid` hold these articles: each starts at a headline
    // followed by a dateline (`LONDON 1996-08-30`), possibly with a byline between.
    let gold = nerlab_core::read_corpus(
        &dir.path().join("valid.txt"),
        &nerlab_core::CorpusFormat::Conll { scheme: nerlab_core::TagScheme::Iob2, sentences_per_document: 1 },
    )
    .unwrap();
    let text = |id: &str| gold.iter().find(|d| d.document.id == id).map(|d| d.document.text.clone()).unwrap();
    assert!(opened.len() > 15, "{opened:?}");
    assert_eq!(opened[0], "valid-1");
    for id in &opened[1..] {
        let n: usize = id.trim_start_matches("valid-").parse().unwrap();
        let dateline = (n + 1..=n + 2).map(|k| text(&format!("valid-{k}"))).find(|t| t.ends_with(|c: char| c.is_ascii_digit()));
        assert!(
            dateline.is_some_and(|t| t.split_whitespace().last().is_some_and(|d| d.len() == 10 && d.as_bytes()[4] == b'-')),
            "{id}: {:?}",
            text(id)
        );
    }
}
