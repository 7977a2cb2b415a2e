//! End to end: config → registry → run → scores → report files, with purpose-built extractors.

use std::path::Path;

use nerlab_core::{BuildContext, Document, Entity, Error, Extractor, Family, Label, Result};
use nerlab_orchestrator::{evaluate_corpus, Config, EvalOptions, Registry};
use serde::{Deserialize, Serialize};

/// Tags every occurrence of each configured word with the configured label.
struct Words {
    words: Vec<(String, Label)>,
    labels: Vec<Label>,
    panic_on: Option<String>,
}

#[derive(Serialize, Deserialize)]
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

impl Family for Words {
    const KIND: &'static str = "words";
    type Config = WordsConfig;
    fn from_config(c: WordsConfig, _: &BuildContext<'_>) -> Result<Words> {
        let words: Vec<(String, Label)> = c.words.into_iter().map(|(w, l)| Ok((w, Label::new(&l)?))).collect::<Result<_>>()?;
        let mut labels: Vec<Label> = words.iter().map(|(_, l)| l.clone()).collect();
        labels.sort();
        labels.dedup();
        Ok(Words { words, labels, panic_on: c.panic_on })
    }
}

/// Never builds.
struct Broken;

impl Extractor for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn labels(&self) -> &[Label] {
        &[]
    }
    fn extract(&self, _: &Document) -> Result<Vec<Entity>> {
        Ok(Vec::new())
    }
}

impl Family for Broken {
    const KIND: &'static str = "broken";
    type Config = toml::Table;
    fn from_config(_: toml::Table, _: &BuildContext<'_>) -> Result<Broken> {
        Err(Error::config("this extractor never builds"))
    }
}

fn registry() -> Registry {
    let mut r = Registry::empty();
    r.register::<Words>();
    r.register::<Broken>();
    r.register::<nerlab_core::union::Union>();
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
params = { words = [["NATO", "ORG"], ["Brussels", "LOC"], ["Monday", "LOC"]] }

[[extractors]]
name = "broken"
kind = "broken"

[[extractors]]
name = "panicky"
kind = "words"
[extractors.params]
panic_on = "BOOM"
words = [["NATO", "ORG"]]

[[extractors]]
name = "off"
kind = "words"
enabled = false
params = { words = [] }
"#;

#[test]
fn eval_scores_reports_and_contains_failures() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let config_path = dir.path().join("nerlab.toml");
    write(dir.path(), "nerlab.toml", CONFIG);
    let config = Config::load(&config_path).unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
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
fn unknown_kind_and_bad_params_name_the_config_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let config_path = dir.path().join("nerlab.toml");
    let text = r#"[corpora.news]
path = "news"
format = "brat"
[[extractors]]
name = "x"
kind = "nope"
[[extractors]]
name = "y"
kind = "words"
[extractors.params]
words = []
typo = 1
[[extractors]]
name = "z"
kind = "words"
params = { words = [["NATO", 7]] }
[[extractors]]
name = "flat"
kind = "words"
words = "NATO"
"#;
    write(dir.path(), "nerlab.toml", text);
    let config = Config::load(&config_path).unwrap();
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(config.warnings[0].contains("\"flat\"") && config.warnings[0].contains("deprecated"), "{:?}", config.warnings);
    let report =
        evaluate_corpus(&config, &registry(), "news", &EvalOptions { output_dir: Some(dir.path().join("o")), ..Default::default() })
            .unwrap();
    let errors: Vec<&str> = report.failed_extractors.iter().map(|f| f.error.as_str()).collect();
    assert!(errors[0].contains("unknown extractor kind \"nope\"") && errors[0].contains("broken, union, words"), "{}", errors[0]);
    // Errors inside parameters name the line of the offending key or value.
    assert!(errors[1].contains("nerlab.toml:12:") && errors[1].contains("extractor \"y\"") && errors[1].contains("typo"), "{}", errors[1]);
    assert!(errors[2].contains("nerlab.toml:16:") && errors[2].contains("extractor \"z\""), "{}", errors[2]);
    assert!(errors[3].contains("nerlab.toml:20:") && errors[3].contains("extractor \"flat\""), "{}", errors[3]);
}

#[test]
fn params_beside_flat_parameters_are_an_error() {
    let text = "[[extractors]]\nname = \"y\"\nkind = \"words\"\nwords = []\nparams = { words = [] }\n";
    let err = Config::parse(text, Path::new("c.toml")).unwrap_err().to_string();
    assert!(err.contains("c.toml") && err.contains("unknown keys words"), "{err}");
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
params = { words = [["NATO", "ORG"]] }

[[extractors]]
name = "places"
kind = "words"
enabled = false
params = { words = [["Brussels", "LOC"], ["Moscow", "LOC"], ["NATO in", "MISC"]] }

[[extractors]]
name = "both"
kind = "union"
params = { members = ["orgs", "places"], overlap = "priority" }

[[extractors]]
name = "loop"
kind = "union"
params = { members = ["loop2"] }

[[extractors]]
name = "loop2"
kind = "union"
params = { members = ["loop"] }

[[extractors]]
name = "lost"
kind = "union"
params = { members = ["orgs", "nobody"] }
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
    let lost = &report.failed_extractors.iter().find(|f| f.name == "lost").unwrap().error;
    assert!(lost.contains("\"nobody\"") && lost.contains("not an extractor of this config"), "{lost}");
}

#[test]
fn eval_canonicalises_writes_entities_and_scores_against_gold_ids() {
    let dir = tempfile::tempdir().unwrap();
    let news = dir.path().join("news");
    std::fs::create_dir_all(&news).unwrap();
    write(&news, "a.txt", "Sergey Lavrov met NATO. Lavrov left.");
    write(
        &news,
        "a.ann",
        "T1\tPER 0 13\tSergey Lavrov\nN1\tReference T1 nerlab:sergey-lavrov\tSergey Lavrov\nT2\tORG 18 22\tNATO\n\
         N2\tReference T2 nerlab:nato\tNATO\nT3\tPER 24 30\tLavrov\nN3\tReference T3 nerlab:sergey-lavrov\tLavrov\n",
    );
    write(&news, "b.txt", "Sergei Lavrov and NATO.");
    write(
        &news,
        "b.ann",
        "T1\tPER 0 13\tSergei Lavrov\nN1\tReference T1 nerlab:sergey-lavrov\tSergei Lavrov\nT2\tORG 18 22\tNATO\nN2\tReference T2 nerlab:nato\tNATO\n",
    );
    let config = "[corpora.news]\npath = \"news\"\nformat = \"brat\"\n[eval]\noutput_dir = \"out\"\n\
                  [[extractors]]\nname = \"w\"\nkind = \"words\"\nwords = [[\"Sergey Lavrov\", \"PER\"], [\"Sergei Lavrov\", \"PER\"], [\"NATO\", \"ORG\"], [\"met\", \"PER\"]]\n";
    write(dir.path(), "nerlab.toml", config);
    let config = Config::load(&dir.path().join("nerlab.toml")).unwrap();
    let report = evaluate_corpus(&config, &registry(), "news", &EvalOptions::default()).unwrap();

    // Gold mentions: Sergey/Sergei Lavrov and Lavrov one entity, NATO another: perfect.
    let gold = report.canonical_gold_mentions.as_ref().expect("the gold has ids");
    assert_eq!((gold.key_entities, gold.response_entities), (2, 2));
    assert!((gold.b_cubed.f1 - 1.0).abs() < 1e-9, "{gold:?}");
    // End to end: `Lavrov` missed, `met` spurious.
    let c = report.extractors[0].canonical.as_ref().unwrap();
    let e2e = c.end_to_end.as_ref().unwrap();
    assert_eq!(e2e.response_mentions, 5);
    assert!(e2e.b_cubed.precision < 1.0 && e2e.b_cubed.recall < 1.0, "{e2e:?}");
    assert_eq!(c.entities, 3);

    let out = dir.path().join("out/news");
    let entities = std::fs::read_to_string(out.join("entities/w.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(entities.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], "nerlab:sergey-lavrov", "most mentioned first, then first seen");
    assert!(entities.contains("\"Sergei Lavrov\""), "{entities}");
    let preds = nerlab_core::read_corpus(&out.join("predictions/w.jsonl"), &nerlab_core::CorpusFormat::Jsonl).unwrap();
    assert_eq!(preds[1].entities[0].canonical.as_deref(), Some("nerlab:sergey-lavrov"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Canonicalisation") && md.contains("| gold mentions |"), "{md}");
    // The terminal gets an aligned table like the others, not Markdown.
    let text = report.to_text();
    let section = &text[text.find("Canonicalisation").expect("a canonicalisation section")..];
    assert!(section.lines().any(|l| l.starts_with("gold mentions ")), "{section}");
    assert!(!section.contains('|') && !section.contains("##"), "{section}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(json["extractors"][0]["canonical"]["end_to_end"]["b_cubed"]["f1"].is_number());

    // Turned off: no section, no scores.
    write(
        dir.path(),
        "off.toml",
        &format!("{}\n[canonicalize]\nenabled = false\n", std::fs::read_to_string(dir.path().join("nerlab.toml")).unwrap()),
    );
    let config = Config::load(&dir.path().join("off.toml")).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    let report = evaluate_corpus(&config, &registry(), "news", &EvalOptions::default()).unwrap();
    assert!(report.canonical_gold_mentions.is_none() && report.extractors[0].canonical.is_none());
    assert!(out.join("report.json").is_file() && !out.join("entities").exists(), "no entities/ without canonical ids");
    // A bad [canonicalize] table is one clear error naming the config.
    write(dir.path(), "bad.toml", "[canonicalize]\ngazetteers = [\"nowhere.tsv\"]\n[corpora.news]\npath = \"news\"\nformat = \"brat\"\n");
    let config = Config::load(&dir.path().join("bad.toml")).unwrap();
    let err = evaluate_corpus(&config, &registry(), "news", &EvalOptions::default()).unwrap_err().to_string();
    assert!(err.contains("nowhere.tsv") && err.contains("[canonicalize]"), "{err}");
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
    // The timed passes are spread over [eval] processes (default 3) processes.
    assert_eq!((orgs.throughput.processes, orgs.throughput.passes.len()), (3, 6), "{:?}", orgs.throughput);
    let tokens = orgs.throughput.tokens_per_second;
    assert!(tokens.min <= tokens.median && tokens.median <= tokens.max && tokens.min > 0.0, "{tokens:?}");
    // A build failure in the child is that extractor's failure, with the child's message.
    assert_eq!(report.failed_extractors.len(), 1);
    assert!(report.failed_extractors[0].error.contains("missing.toml"), "{}", report.failed_extractors[0].error);
    // The same predictions as in-process.
    let in_process = evaluate_corpus(&config, &Registry::builtin(), "news", &EvalOptions::default()).unwrap();
    assert_eq!(in_process.extractors[0].conll, orgs.conll);
    assert!(!dir.path().join("out/news/.measure-orgs.json").exists(), "scratch files are removed");
}

/// The patterns plugin (URL, EMAIL...), built once into the tests' own target directory.
fn patterns_plugin() -> std::path::PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-tests");
    let dir = nerlab_plugin::testing::build_plugins(&["nerlab-plugin-patterns"], &target, nerlab_plugin::testing::Profile::Dev)
        .unwrap_or_else(|e| panic!("{e}"));
    nerlab_plugin::testing::library_path(&dir, "nerlab-plugin-patterns")
}

#[test]
fn ensemble_mixes_plugin_and_static_members_fits_and_reports_degraded_documents() {
    let dir = tempfile::tempdir().unwrap();
    let news = dir.path().join("news");
    std::fs::create_dir_all(&news).unwrap();
    write(&news, "a.txt", "Mail press@nato.int about NATO in Brussels.");
    write(&news, "a.ann", "T1\tORG 26 30\tNATO\nT2\tLOC 34 42\tBrussels\n");
    write(&news, "b.txt", "NATO met in Brussels. BOOM");
    write(&news, "b.ann", "T1\tORG 0 4\tNATO\nT2\tLOC 12 20\tBrussels\n");
    let config_path = dir.path().join("nerlab.toml");
    write(
        dir.path(),
        "nerlab.toml",
        &format!(
            r#"
[corpora.news]
path = "news"
format = "brat"

[[extractors]]
name = "words"
kind = "words"
enabled = false
panic_on = "BOOM"
words = [["NATO", "ORG"], ["Brussels", "LOC"], ["Mail", "PER"]]

[[extractors]]
name = "patterns"
kind = "plugin"
enabled = false
path = {:?}
config = {{ labels = ["EMAIL"] }}

[[extractors]]
name = "voted"
kind = "ensemble"
members = ["words", "patterns"]
policy = "vote"

[[extractors]]
name = "learned"
kind = "ensemble"
members = ["words", "patterns"]
policy = "learned"
model = "models/learned.json"
"#,
            patterns_plugin().display().to_string()
        ),
    );
    let mut registry = registry();
    registry.register::<nerlab_plugin::PluginExtractor>();
    registry.register::<nerlab_ensemble::Ensemble>();
    let config = Config::load(&config_path).unwrap();
    let fit_options = nerlab_orchestrator::fit_ensemble::FitEnsembleOptions {
        extractor: "learned".into(),
        corpus: "news".into(),
        seed: 1,
        folds: 2,
        cache: false,
        out: None,
        progress: false,
    };
    let fitted = nerlab_orchestrator::fit_ensemble::fit_ensemble(&config, &registry, &fit_options).unwrap();
    assert!(dir.path().join("models/learned.json").exists());
    assert_eq!(fitted.members.iter().map(|m| m.1).collect::<Vec<_>>(), [1, 0], "words failed on b");

    let options = EvalOptions { output_dir: Some(dir.path().join("o")), ..Default::default() };
    let report = evaluate_corpus(&config, &registry, "news", &options).unwrap();
    let voted = &report.extractors[0];
    // Each member is alone in declaring its labels, so each of its entities is 1/1 of the vote.
    let predictions = std::fs::read_to_string(&voted.predictions).unwrap();
    assert!(predictions.contains("\"EMAIL\"") && predictions.contains("\"ORG\""), "{predictions}");
    // The panicking member degrades document b instead of failing it: the plugin answers.
    assert!(voted.failed_documents.is_empty(), "{:?}", voted.failed_documents);
    assert_eq!(voted.degraded_documents.len(), 1);
    assert_eq!(voted.degraded_documents[0].document, "b");
    assert!(voted.degraded_documents[0].message.contains("member words"));
    let learned = &report.extractors[1];
    assert_eq!(learned.conll.micro.true_positives, 2, "a's NATO and Brussels");
    assert!(learned.thresholds.as_ref().is_some_and(|t| t.len() > 3), "scored entities get a threshold table");
    let json = std::fs::read_to_string(dir.path().join("o/news/report.json")).unwrap();
    assert!(json.contains("\"degraded_documents\"") && json.contains("\"thresholds\""));
    // report.html shows the scored extractor's table, and only its.
    let html = std::fs::read_to_string(dir.path().join("o/news/report.html")).unwrap();
    assert!(html.contains("id=\"thresholds\"") && html.contains(&format!("data-extractor=\"{}\"", learned.name)), "no threshold table");
    assert_eq!(html.contains(&format!("data-extractor=\"{}\"", voted.name)), voted.thresholds.is_some());
}

/// A `curve.json` as `cargo xtask curve` writes it, scored on `dev`.
fn learning_curve(dev: &str) -> nerlab_core::learning_curve::Curve {
    use nerlab_core::analysis::{BootstrapSettings, Interval};
    use nerlab_core::learning_curve::{CorpusInfo, Curve, Flat, Learned, Point, Score};
    let score = |f1: f64| Score {
        precision: f1,
        recall: f1,
        f1,
        f1_interval: Interval { low: f1 - 0.02, high: f1 + 0.02 },
        per_label: Default::default(),
        true_positives: 0,
        false_positives: 0,
        false_negatives: 0,
        failed_documents: 0,
    };
    let point = |fraction: f64, entities: usize, f1: f64| Point {
        fraction,
        documents: entities / 2,
        entities,
        seconds: 1.0,
        score: Some(score(f1)),
        error: None,
    };
    let info = |name: &str| CorpusInfo { name: name.into(), path: name.into(), documents: 10, entities: 20 };
    Curve {
        train: info("train"),
        dev: info(dev),
        labels: vec!["ORG".into()],
        fractions: vec![0.5, 1.0],
        seed: 42,
        epochs: None,
        max_steps: None,
        quick: false,
        bootstrap: BootstrapSettings::default(),
        learned: vec![Learned { name: "transformer".into(), points: vec![point(0.5, 10, 0.5), point(1.0, 20, 0.8)] }],
        flat: vec![Flat { name: "rules".into(), kind: "rules".into(), score: Some(score(0.6)), error: None }],
        seconds: 60.0,
    }
}

#[test]
fn the_learning_curve_of_the_corpus_becomes_a_report_section() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    write(dir.path(), "nerlab.toml", CONFIG);
    let config = Config::load(&dir.path().join("nerlab.toml")).unwrap();
    let curve_dir = dir.path().join("out/curve");
    std::fs::create_dir_all(&curve_dir).unwrap();
    let html = |curve: &str| {
        write(&curve_dir, "curve.json", curve);
        evaluate_corpus(&config, &registry(), "news", &EvalOptions::default()).unwrap();
        std::fs::read_to_string(dir.path().join("out/news/report.html")).unwrap()
    };

    // Drawn on this corpus: the section, its picture, its table and what it says.
    write(&curve_dir, "curve.svg", "<svg id=\"the-curve\"></svg>");
    let page = html(&serde_json::to_string(&learning_curve("news")).unwrap());
    assert!(page.contains("id=\"curve\"") && page.contains("href=\"#curve\""), "no learning curve section");
    assert!(page.contains("<svg id=\"the-curve\">"));
    assert!(page.contains("transformer passes rules (60.0) at 20 annotated entities (100%)"), "no verdict");
    assert!(page.contains("80.00 [78.00, 82.00]"), "no table row");

    // Drawn on another corpus: no section.
    let page = html(&serde_json::to_string(&learning_curve("valid")).unwrap());
    assert!(!page.contains("id=\"curve\""));

    // Unreadable: the section says so and the report is still written.
    let page = html("{\"train\": 3");
    assert!(page.contains("could not be read") && page.contains("curve.json"), "a broken curve.json is not reported");
}
