//! Corpora as the `nerlab` CLI names them: a `[corpora.NAME]` table of the config, or a path
//! whose format is guessed (a directory is brat, `*.jsonl` is JSONL, anything else CoNLL
//! IOB2), read by `nerlab_core` (the one reader of every format).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use nerlab_core::{AnnotatedDocument, CorpusFormat};
use nerlab_dictionary::learn::Tokenization;

/// A corpus resolved from a name or a path.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Its name in the config, or the file stem of the path.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// How to read it.
    pub format: CorpusFormat,
}

impl Corpus {
    /// Resolves `name_or_path` against the config file `config` (whose `[corpora]` may be
    /// missing, or the file itself when the argument is a path).
    pub fn resolve(config: &Path, name_or_path: &str) -> anyhow::Result<Corpus> {
        if let Some(table) = config_table(config)?.get("corpora").and_then(|c| c.get(name_or_path)) {
            let mut table =
                table.as_table().with_context(|| format!("{}: corpora.{name_or_path} is not a table", config.display()))?.clone();
            let path = table.remove("path").and_then(|p| p.as_str().map(PathBuf::from));
            let path = path.with_context(|| format!("{}: corpora.{name_or_path} has no `path`", config.display()))?;
            let format: CorpusFormat =
                toml::Value::Table(table).try_into().with_context(|| format!("{}: corpora.{name_or_path}", config.display()))?;
            let base = config.parent().unwrap_or(Path::new("."));
            return Ok(Corpus { name: name_or_path.to_string(), path: base.join(path), format });
        }
        let path = PathBuf::from(name_or_path);
        if !path.exists() {
            bail!("no corpus named {name_or_path:?} in {} and no such file or directory", config.display());
        }
        let format = CorpusFormat::guess(&path);
        let name = path.file_stem().map_or_else(|| "corpus".into(), |s| s.to_string_lossy().into_owned());
        Ok(Corpus { name, path, format })
    }

    /// Reads its documents (every span checked by the reader).
    pub fn read(&self) -> anyhow::Result<Vec<AnnotatedDocument>> {
        nerlab_core::read_corpus(&self.path, &self.format).with_context(|| format!("reading corpus {}", self.name))
    }

    /// How gazetteer statistics cut its text into tokens: CoNLL text is tokenised already.
    pub fn tokenization(&self) -> Tokenization {
        match self.format {
            CorpusFormat::Conll { .. } => Tokenization::Whitespace,
            _ => Tokenization::Words,
        }
    }
}

/// The config file as a TOML table (empty when the file does not exist).
pub fn config_table(config: &Path) -> anyhow::Result<toml::Table> {
    if !config.exists() {
        return Ok(toml::Table::new());
    }
    let text = std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    text.parse().with_context(|| format!("parsing {}", config.display()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::util::project_root;

    #[test]
    fn shipped_dates_corpus_has_its_own_labels_and_disjoint_splits() {
        let config = project_root().join("nerlab.toml");
        let mut texts = Vec::new();
        for (name, documents, entities) in [("dates-train", 187, 162), ("dates-dev", 66, 67)] {
            let corpus = Corpus::resolve(&config, name).unwrap();
            assert_eq!(corpus.format, CorpusFormat::Jsonl);
            // The reader checks every span against the text.
            let docs = corpus.read().unwrap();
            let labels: BTreeSet<&str> = docs.iter().flat_map(|d| d.entities.iter().map(|e| e.label.as_str())).collect();
            assert_eq!(labels.into_iter().collect::<Vec<_>>(), ["DATE", "MONEY", "PERCENT"], "{name}");
            assert_eq!((docs.len(), docs.iter().map(|d| d.entities.len()).sum::<usize>()), (documents, entities), "{name}: README table");
            texts.push(docs.into_iter().map(|d| d.document.text).collect::<BTreeSet<_>>());
        }
        assert!(texts[0].is_disjoint(&texts[1]), "a dev document is also in train");
    }

    #[test]
    fn paths_are_read_by_their_guessed_format() {
        let root = project_root();
        let config = root.join("nerlab.toml");
        let brat = Corpus::resolve(&config, root.join("corpus/news").to_str().unwrap()).unwrap();
        assert_eq!((brat.format.clone(), brat.tokenization()), (CorpusFormat::Brat, Tokenization::Words));
        assert!(!brat.read().unwrap().is_empty());
        let conll = Corpus::resolve(&config, "conll2003-valid").unwrap();
        assert_eq!(conll.tokenization(), Tokenization::Whitespace);
        let e = Corpus::resolve(&config, "no-such-corpus").unwrap_err().to_string();
        assert!(e.contains("no-such-corpus") && e.contains("nerlab.toml"), "{e}");
    }
}
