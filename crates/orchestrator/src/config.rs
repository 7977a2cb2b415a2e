//! The TOML configuration: which corpora exist and which extractors to compare.
//!
//! ```toml
//! [corpora.news]
//! path = "corpus/news"
//! format = "brat"
//!
//! [[extractors]]
//! name = "dictionary"        # its row in reports
//! kind = "dictionary"        # the family, looked up in the registry
//! [extractors.params]        # the family's own parameters (or `params = { ... }`)
//! gazetteers = [{ path = "..." }]
//! ```
//!
//! The form before `params` tables, with the family's parameters among `name` and `kind`, is
//! still read, with a deprecation warning in [`Config::warnings`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nerlab_core::analysis::BootstrapSettings;
use nerlab_core::grouping::Grouping;
use nerlab_core::{AnnotatedDocument, CorpusFormat, Error, Label, Result};
use serde::{Deserialize, Serialize};

/// A whole configuration file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Named corpora, e.g. `news`, `conll2003-test`.
    #[serde(default)]
    pub corpora: BTreeMap<String, CorpusSpec>,
    /// The extractors to compare, in report order.
    #[serde(default)]
    pub extractors: Vec<ExtractorSpec>,
    /// Settings of evaluation runs.
    #[serde(default)]
    pub eval: EvalSettings,
    /// Corpus-level canonicalisation after each extractor (`[canonicalize]`, on by default).
    #[serde(default)]
    pub canonicalize: nerlab_canonical::Config,
    /// The file this was read from (not part of the TOML).
    #[serde(skip)]
    pub path: PathBuf,
    /// The text it was read from, for the line numbers of errors found later (in parameters).
    #[serde(skip)]
    pub text: String,
    /// What is accepted but deprecated, one line each, for the user to see.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// The most worker threads an extractor may ask for: far above any machine's useful
/// parallelism, far below what exhausts memory or the process table.
pub const MAX_THREADS: usize = 256;

/// A corpus: where it is and its format (`format = "brat" | "conll" | "jsonl"` plus options).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "toml::Table")]
pub struct CorpusSpec {
    /// A directory (brat) or file, relative to the config file.
    pub path: PathBuf,
    /// The format and its options.
    #[serde(flatten)]
    pub format: CorpusFormat,
    /// Consecutive documents joined into one text for the extractors (`group = { by =
    /// "articles" }` or `{ by = "window", size = N }`), entities mapped back: documents,
    /// offsets and scoring unchanged ([`nerlab_core::grouping`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Grouping>,
}

/// A corpus table without `group`: serde hands every key the outer struct does not name to a
/// flattened internally tagged enum, whose `deny_unknown_fields` would refuse `group`.
#[derive(Deserialize)]
struct PathAndFormat {
    path: PathBuf,
    #[serde(flatten)]
    format: CorpusFormat,
}

impl TryFrom<toml::Table> for CorpusSpec {
    type Error = String;

    fn try_from(mut table: toml::Table) -> std::result::Result<CorpusSpec, String> {
        let group = match table.remove("group") {
            Some(value) => Some(value.try_into::<Grouping>().map_err(|e| format!("group: {}", e.message().trim()))?),
            None => None,
        };
        let PathAndFormat { path, format } =
            toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| e.message().trim().to_string())?;
        Ok(CorpusSpec { path, format, group })
    }
}

/// One extractor to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtractorSpec {
    /// A unique name, the extractor's row in reports.
    pub name: String,
    /// The extractor family, e.g. `dictionary`; see `nerlab kinds`.
    pub kind: String,
    /// Set to false to keep an entry without running it.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Worker threads that call this extractor in parallel (default: one per core). Set 1 for
    /// extractors that parallelise internally, like the transformer.
    #[serde(default)]
    pub threads: Option<usize>,
    /// Documents handed to `extract_batch` at once.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// The family's own parameters, deserialised into its `Family::Config` when built.
    #[serde(default)]
    pub params: toml::Table,
    /// Whether `params` was written in the deprecated flat form (among `name` and `kind`).
    #[serde(skip)]
    pub flat_params: bool,
    /// Keys other than the above: the flat form's parameters until [`Config::parse`] moves
    /// them into `params`.
    #[serde(flatten, skip_serializing)]
    pub other_keys: toml::Table,
}

fn yes() -> bool {
    true
}

fn default_batch_size() -> usize {
    16
}

/// How predictions are written next to the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PredictionsFormat {
    /// One JSON document per line, byte offsets.
    #[default]
    Jsonl,
    /// A brat directory per extractor (`.txt` + `.ann`, character offsets).
    Brat,
}

/// Settings of `nerlab eval`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalSettings {
    /// Where reports go: `<output_dir>/<corpus>/report.{json,md}` (relative to the config file).
    #[serde(default = "default_output_dir")]
    pub output_dir: PathBuf,
    /// Format of the predictions written beside the report.
    #[serde(default)]
    pub predictions: PredictionsFormat,
    /// The labels the headline micro scores, intervals, significance and agreement cover
    /// (default PER, ORG, LOC, MISC); set your own (`["EMAIL", "URL"]`) for other corpora.
    #[serde(default = "default_labels")]
    pub labels: Vec<Label>,
    /// Bootstrap intervals and paired tests: `{ resamples = 1000, seed = ..., confidence = 0.95 }`.
    #[serde(default)]
    pub bootstrap: BootstrapSettings,
    /// Timed passes after the warm-up pass; the report gives their median and range.
    #[serde(default = "default_repeats")]
    pub repeats: usize,
    /// Processes the timed passes are spread over (`repeats` in each, after a warm-up of its
    /// own), so the printed range covers the spread between runs, not only within one
    /// process. Only `nerlab eval`'s isolated measurement uses more than one.
    #[serde(default = "default_processes")]
    pub processes: usize,
    /// A timed pass goes over the documents again until it has run this long, so that small
    /// corpora are timed over more than a few milliseconds.
    #[serde(default = "default_min_pass_seconds")]
    pub min_pass_seconds: f64,
    /// Timed passes use at most this many documents (evenly spaced over the corpus), so
    /// repeats stay affordable on large corpora; the warm-up pass that yields the predictions
    /// always covers all of them.
    #[serde(default = "default_timing_documents")]
    pub timing_documents: usize,
}

impl Default for EvalSettings {
    fn default() -> Self {
        EvalSettings {
            output_dir: default_output_dir(),
            predictions: PredictionsFormat::default(),
            labels: default_labels(),
            bootstrap: BootstrapSettings::default(),
            repeats: default_repeats(),
            processes: default_processes(),
            min_pass_seconds: default_min_pass_seconds(),
            timing_documents: default_timing_documents(),
        }
    }
}

fn default_labels() -> Vec<Label> {
    Label::CONLL.to_vec()
}

fn default_repeats() -> usize {
    3
}

fn default_processes() -> usize {
    3
}

fn default_min_pass_seconds() -> f64 {
    0.5
}

fn default_timing_documents() -> usize {
    1000
}

fn default_output_dir() -> PathBuf {
    PathBuf::from("target/nerlab")
}

impl EvalSettings {
    /// Rejects settings no run can honour.
    fn check(&self) -> Result<()> {
        let b = &self.bootstrap;
        if !(b.confidence > 0.0 && b.confidence < 1.0) {
            return Err(Error::config(format!("eval.bootstrap.confidence must be between 0 and 1 (exclusive), got {}", b.confidence)));
        }
        if self.labels.is_empty() {
            return Err(Error::config("eval.labels must name at least one label"));
        }
        if self.repeats == 0
            || self.processes == 0
            || self.timing_documents == 0
            || !(self.min_pass_seconds >= 0.0 && self.min_pass_seconds.is_finite())
        {
            return Err(Error::config(
                "eval.repeats, eval.processes and eval.timing_documents must be at least 1, eval.min_pass_seconds at least 0",
            ));
        }
        Ok(())
    }
}

impl Config {
    /// Reads and checks a configuration file.
    ///
    /// # Errors
    /// A missing file, TOML syntax errors and unknown keys (naming the file, line and key),
    /// duplicate extractor names.
    pub fn load(path: &Path) -> Result<Config> {
        let text = nerlab_core::formats::read_utf8(path)?;
        Config::parse(&text, path)
    }

    /// Parses configuration text read from `path`.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        check_corpora(text, path)?;
        let mut config: Config = toml::from_str(text).map_err(|e| located_error(&e, text, path))?;
        config.path = path.to_path_buf();
        config.text = text.to_string();
        for (i, spec) in config.extractors.iter_mut().enumerate() {
            if spec.other_keys.is_empty() {
                continue;
            }
            let keys = spec.other_keys.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
            if !spec.params.is_empty() {
                return Err(Error::config(format!(
                    "extractors[{i}] ({:?}): unknown keys {keys} (the family's parameters go in its `params` table)",
                    spec.name
                ))
                .with_path(path));
            }
            config.warnings.push(format!(
                "{}: extractor {:?}: parameters among `name` and `kind` are deprecated; move {keys} into a `params` table",
                path.display(),
                spec.name
            ));
            spec.params = std::mem::take(&mut spec.other_keys);
            spec.flat_params = true;
        }
        config.eval.check().map_err(|e| e.with_path(path))?;
        let mut seen = std::collections::HashSet::new();
        for (i, spec) in config.extractors.iter().enumerate() {
            let at = |key: &str, message: String| {
                let err = Error::config(message).with_path(path);
                match crate::lines::extractor_key(text, i, key) {
                    Some(line) => err.with_line(line),
                    None => err,
                }
            };
            if !seen.insert(spec.name.as_str()) {
                return Err(at("name", format!("extractors[{i}]: duplicate extractor name {:?}", spec.name)));
            }
            if spec.batch_size == 0 || spec.threads == Some(0) {
                let key = if spec.batch_size == 0 { "batch_size" } else { "threads" };
                return Err(at(key, format!("extractors[{i}] ({:?}): batch_size and threads must be at least 1", spec.name)));
            }
            if let Some(threads) = spec.threads.filter(|&t| t > MAX_THREADS) {
                return Err(at(
                    "threads",
                    format!(
                        "extractors[{i}] ({:?}): threads = {threads} is above the limit of {MAX_THREADS} (leave it out for one per core)",
                        spec.name
                    ),
                ));
            }
        }
        Ok(config)
    }

    /// The parameters of `spec` (an extractor of this config), knowing where they were written.
    pub fn params<'a>(&'a self, spec: &'a ExtractorSpec) -> crate::params::Params<'a> {
        match self.extractors.iter().position(|s| std::ptr::eq(s, spec)) {
            Some(index) if !self.text.is_empty() => {
                crate::params::Params::located(&spec.params, &self.text, &self.path, index, spec.flat_params)
            }
            _ => crate::params::Params::new(&spec.params),
        }
    }

    /// Writes the configuration as TOML (the current form, `params` tables); reading it back
    /// gives the same configuration.
    ///
    /// # Errors
    /// Values TOML cannot hold.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::config(format!("cannot write the config: {e}")))
    }

    /// The directory relative paths are resolved from.
    pub fn base_dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// Resolves `path` against [`Config::base_dir`] unless absolute.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        nerlab_core::BuildContext::new(self.base_dir(), "").resolve(path)
    }

    /// Finds a corpus by name, or treats `name_or_path` as a path whose format is guessed from
    /// it (a directory is brat, `*.jsonl` is JSONL, anything else CoNLL IOB2).
    ///
    /// # Errors
    /// When it is neither a configured name nor an existing path.
    pub fn corpus(&self, name_or_path: &str) -> Result<(String, PathBuf, CorpusFormat)> {
        if let Some(spec) = self.corpora.get(name_or_path) {
            return Ok((name_or_path.to_string(), self.resolve(&spec.path), spec.format.clone()));
        }
        let path = PathBuf::from(name_or_path);
        if !path.exists() {
            return Err(Error::config(format!(
                "no corpus named {name_or_path:?} and no such file or directory (configured: {})",
                self.corpora.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
            .with_path(&self.path));
        }
        let format = CorpusFormat::guess(&path);
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "corpus".into());
        Ok((name, path, format))
    }

    /// Reads the corpus [`Config::corpus`] finds: its name, path and documents. `nerlab eval`
    /// and the trainer read every corpus through here, so they read it the same way.
    ///
    /// # Errors
    /// As [`Config::corpus`], and unreadable or malformed corpora (naming file and line).
    pub fn read_corpus(&self, name_or_path: &str) -> Result<(String, PathBuf, Vec<AnnotatedDocument>)> {
        let (name, path, format) = self.corpus(name_or_path)?;
        let documents = nerlab_core::read_corpus(&path, &format)?;
        Ok((name, path, documents))
    }
}

impl Config {
    /// How the corpus `name_or_path` groups its documents for extraction (`None` for a path
    /// or a corpus without `group`).
    pub fn grouping(&self, name_or_path: &str) -> Option<Grouping> {
        self.corpora.get(name_or_path).and_then(|spec| spec.group)
    }
}

/// A TOML error as an [`Error`] naming `path` and, when toml knows it, the line in `text`.
pub(crate) fn located_error(e: &toml::de::Error, text: &str, path: &Path) -> Error {
    let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let err = Error::config(e.message().trim().to_string()).with_path(path);
    match line {
        Some(l) => err.with_line(l),
        None => err,
    }
}

/// Checks each `[corpora.name]` table on its own so that errors name their line: unknown
/// keys (serde cannot reject them in a flattened table) and invalid values.
fn check_corpora(text: &str, path: &Path) -> Result<()> {
    // Syntax errors are the main parse's to report, with their own lines.
    let Ok(raw) = toml::from_str::<toml::Table>(text) else { return Ok(()) };
    let Some(toml::Value::Table(corpora)) = raw.get("corpora") else { return Ok(()) };
    for (name, value) in corpora {
        let fail = |message: String, word: Option<&str>| {
            let err = Error::config(format!("corpus {name:?}: {message}")).with_path(path);
            match crate::lines::corpus_header(text, name) {
                Some(header) => err.with_line(crate::lines::in_table(text, header, word)),
                None => err,
            }
        };
        let spec: CorpusSpec = value.clone().try_into().map_err(|e: toml::de::Error| {
            let message = e.message().trim().to_string();
            fail(message.clone(), crate::lines::key_in_message(&message))
        })?;
        let allowed: &[&str] = match spec.format {
            CorpusFormat::Conll { .. } => &["path", "format", "scheme", "sentences_per_document", "group"],
            _ => &["path", "format", "group"],
        };
        if let Some(key) = value.as_table().and_then(|t| t.keys().find(|k| !allowed.contains(&k.as_str()))) {
            return Err(fail(format!("unknown key `{key}` for this format (expected one of: {})", allowed.join(", ")), Some(key)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nerlab_core::TagScheme;

    const EXAMPLE: &str = r#"
[corpora.news]
path = "corpus/news"
format = "brat"

[corpora.conll]
path = "c/test.txt"
format = "conll"
scheme = "bioes"

[[extractors]]
name = "dict"
kind = "dictionary"
threads = 2
gazetteers = ["a.tsv"]
case = "exact"
"#;

    #[test]
    fn parses_corpora_and_extractor_params() {
        let c = Config::parse(EXAMPLE, Path::new("conf/nerlab.toml")).unwrap();
        assert_eq!(c.corpora["news"].format, CorpusFormat::Brat);
        assert_eq!(c.corpora["conll"].format, CorpusFormat::Conll { scheme: TagScheme::Bioes, sentences_per_document: 1 });
        let e = &c.extractors[0];
        assert_eq!((e.name.as_str(), e.kind.as_str(), e.threads, e.batch_size), ("dict", "dictionary", Some(2), 16));
        assert_eq!(e.params.keys().collect::<Vec<_>>(), ["case", "gazetteers"]);
        let (name, path, _) = c.corpus("news").unwrap();
        assert_eq!((name.as_str(), path), ("news", PathBuf::from("conf/corpus/news")));
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let text = "[eval]\noutput_dir = \"x\"\nbogus = 1\n";
        let err = Config::parse(text, Path::new("my.toml")).unwrap_err().to_string();
        assert!(err.starts_with("my.toml:3:"), "{err}");
        assert!(err.contains("bogus"), "{err}");

        let text = "[corpora.x]\npath = \"p\"\nformat = \"conll\"\nscheme = \"bilou\"\n";
        let err = Config::parse(text, Path::new("my.toml")).unwrap_err().to_string();
        assert!(err.contains("my.toml:"), "{err}");

        let dup = "[[extractors]]\nname = \"a\"\nkind = \"k\"\n[[extractors]]\nname = \"a\"\nkind = \"k\"\n";
        let err = Config::parse(dup, Path::new("my.toml")).unwrap_err().to_string();
        assert!(err.contains("duplicate extractor name \"a\""), "{err}");
    }

    #[test]
    fn eval_settings_default_and_override() {
        let c = Config::parse("", Path::new("n.toml")).unwrap();
        assert_eq!(c.eval.labels, Label::CONLL.to_vec());
        assert_eq!(c.eval.bootstrap, BootstrapSettings::default());
        assert_eq!(c.eval.repeats, 3);
        let text = "[eval]\nlabels = [\"EMAIL\", \"URL\"]\nrepeats = 5\nbootstrap = { resamples = 200, seed = 7 }\n";
        let c = Config::parse(text, Path::new("n.toml")).unwrap();
        assert_eq!(c.eval.labels, [Label::new("EMAIL").unwrap(), Label::new("URL").unwrap()]);
        assert_eq!((c.eval.bootstrap.resamples, c.eval.bootstrap.seed, c.eval.bootstrap.confidence), (200, 7, 0.95));
        assert_eq!(c.eval.repeats, 5);
        for bad in
            ["[eval]\nrepeats = 0\n", "[eval]\nprocesses = 0\n", "[eval]\nbootstrap = { confidence = 1.5 }\n", "[eval]\nlabels = []\n"]
        {
            let err = Config::parse(bad, Path::new("n.toml")).unwrap_err().to_string();
            assert!(err.starts_with("n.toml:") && err.contains("eval."), "{bad}: {err}");
        }
        let err = Config::parse("[eval]\nbootstrap = { samples = 3 }\n", Path::new("n.toml")).unwrap_err().to_string();
        assert!(err.contains("samples"), "{err}");
    }

    #[test]
    fn corpus_tables_reject_unknown_keys_and_name_the_line() {
        let cases = [
            ("[corpora.news]\npath = \"n\"\nformat = \"brat\"\nsheme = \"iob1\"\n", 4, "unknown key `sheme`"),
            ("[eval]\n\n[corpora.c]\npath = \"c.txt\"\nformat = \"conll\"\nscheme = \"bilou\"\n", 6, "bilou"),
            ("[corpora.c]\npath = \"c.txt\"\nformat = \"conll\"\nsentences_per_documnt = 2\n", 4, "sentences_per_documnt"),
        ];
        for (text, line, expected) in cases {
            let err = Config::parse(text, Path::new("my.toml")).unwrap_err().to_string();
            assert!(err.starts_with(&format!("my.toml:{line}:")), "{err}");
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn threads_above_the_limit_are_refused_with_their_line() {
        let text = "[[extractors]]\nname = \"a\"\nkind = \"k\"\nthreads = 1000000\n";
        let err = Config::parse(text, Path::new("my.toml")).unwrap_err().to_string();
        assert!(err.starts_with("my.toml:4:"), "{err}");
        assert!(err.contains("threads = 1000000 is above the limit of 256"), "{err}");
        let ok = text.replace("1000000", "256");
        assert_eq!(Config::parse(&ok, Path::new("my.toml")).unwrap().extractors[0].threads, Some(256));
    }

    #[test]
    fn unknown_corpus_lists_configured_ones() {
        let c = Config::parse(EXAMPLE, Path::new("nerlab.toml")).unwrap();
        let err = c.corpus("nope-not-here").unwrap_err().to_string();
        assert!(err.contains("conll, news"), "{err}");
    }
}
