//! The extractor's configuration, as written in a `[[extractors]]` table of `kind = "dictionary"`.

use std::path::PathBuf;

use nerlab_core::Label;
use serde::{Deserialize, Serialize};

/// Parameters of a dictionary extractor.
///
/// ```toml
/// [[extractors]]
/// name = "dictionary"
/// kind = "dictionary"
/// [[extractors.params.gazetteers]]
/// path = "models/gazetteers/conll2003-train.tsv"
/// [[extractors.params.gazetteers]]
/// path = "my-products.txt"
/// label = "MISC"
/// case = "insensitive"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DictionaryConfig {
    /// Gazetteer files, highest priority first: when two entries match the same span, the
    /// one from the earlier file wins (a longer match always wins over a shorter one).
    /// Defaults to the gazetteers shipped in `models/gazetteers/`.
    #[serde(default = "default_gazetteers")]
    pub gazetteers: Vec<GazetteerConfig>,
    /// Whether a hyphen separates tokens, so that `NATO` matches inside `NATO-Russia`.
    /// Off by default: CoNLL-2003 and the annotation guidelines treat hyphenated compounds
    /// as one unit (`British-based` is one MISC, `NATO-Russia Council` one ORG).
    #[serde(default)]
    pub hyphen_splits: bool,
    /// Labels whose matches extend over the capitalised words right after them, so that a
    /// known `Michael` or `Jones` yields `Michael Green` or `Jones Jr`, not half a name.
    /// Never applied in all-caps lines. Default `["PER"]`.
    #[serde(default = "default_extend")]
    pub extend: Vec<Label>,
    /// Whether to match on text repaired by [`nerlab_core::normalize`] (hyphenation noise
    /// such as `NA-TO` or `Brus-\nsels` undone, curly quotes straightened), with spans mapped
    /// back onto the original text. Its lexicon is the words of the gazetteers plus
    /// `lexicon`. Off by default: it costs a pass over the text.
    #[serde(default)]
    pub normalize: bool,
    /// Whether the last name of a person matched in full (`Sergey Lavrov`) is also found
    /// alone elsewhere in the same document (`Lavrov`), with the same canonical id. Only
    /// helps documents longer than a sentence. Default on.
    #[serde(default = "yes")]
    pub propagate: bool,
    /// A word list (one word a line) added to the normaliser's lexicon, so common words
    /// split by noise are repaired too (`R-ussian`). Only used with `normalize`.
    #[serde(default)]
    pub lexicon: Option<PathBuf>,
}

impl Default for DictionaryConfig {
    fn default() -> DictionaryConfig {
        DictionaryConfig {
            gazetteers: default_gazetteers(),
            hyphen_splits: false,
            extend: default_extend(),
            normalize: false,
            propagate: true,
            lexicon: None,
        }
    }
}

fn default_extend() -> Vec<Label> {
    vec![Label::PER]
}

/// One gazetteer file and how to match its entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GazetteerConfig {
    /// The TSV file (see the crate docs for the format), relative to the config's directory.
    pub path: PathBuf,
    /// A label for every entry of the file; overrides the label column, which may then be
    /// left out.
    #[serde(default)]
    pub label: Option<Label>,
    /// How the case of the text must agree with the entry.
    #[serde(default)]
    pub case: CasePolicy,
    /// Whether, in an all-caps line (a headline), an entry also matches its upper-case form
    /// (`RUSSIA` for `Russia`). Only lines with almost no lower-case letters count, so
    /// `US` in running text never matches an entry `Us`.
    #[serde(default = "yes")]
    pub all_caps: bool,
    /// Whether the entries are triggers rather than names (given names): one matches only
    /// when a capitalised word follows it, and the entity spans both (`Osmond Ezinwa` from
    /// the given name `Osmond`).
    #[serde(default)]
    pub trigger: bool,
}

impl GazetteerConfig {
    /// A gazetteer at `path` with the default policies (exact case, all-caps lines handled).
    pub fn new(path: impl Into<PathBuf>) -> GazetteerConfig {
        GazetteerConfig { path: path.into(), label: None, case: CasePolicy::Exact, all_caps: true, trigger: false }
    }
}

/// How the case of the text must agree with a gazetteer entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CasePolicy {
    /// The text must be written exactly as the entry (the default: `Bush` is not `bush`).
    #[default]
    Exact,
    /// Any case: for lists of terms written in many ways (product names, lower-case lists).
    /// ASCII letters match in any combination; other letters in the entry's own, lower and
    /// upper case forms.
    Insensitive,
}

fn yes() -> bool {
    true
}

/// The shipped gazetteers, in priority order: hand-curated aliases, then corpus-derived
/// entries (they carry the CoNLL conventions, e.g. a city that is mostly a football club is
/// ORG), then countries, nationalities, subdivisions and cities; given names last.
pub fn default_gazetteers() -> Vec<GazetteerConfig> {
    let mut list: Vec<GazetteerConfig> = ["aliases", "conll2003-train", "countries", "demonyms", "subdivisions", "cities"]
        .iter()
        .map(|name| GazetteerConfig::new(format!("models/gazetteers/{name}.tsv")))
        .collect();
    list.push(GazetteerConfig { trigger: true, ..GazetteerConfig::new("models/gazetteers/given-names.tsv") });
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_serde() {
        let config = DictionaryConfig {
            gazetteers: vec![GazetteerConfig {
                path: "a.tsv".into(),
                label: Some(Label::ORG),
                case: CasePolicy::Insensitive,
                all_caps: false,
                trigger: true,
            }],
            hyphen_splits: true,
            extend: vec![],
            normalize: true,
            propagate: false,
            lexicon: Some("words.txt".into()),
        };
        let json = serde_json::to_string(&config).unwrap();
        let back: DictionaryConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn defaults_and_unknown_fields() {
        let config: DictionaryConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, DictionaryConfig::default());
        assert_eq!(config.gazetteers.len(), 7);
        let g: GazetteerConfig = serde_json::from_str(r#"{"path": "x.tsv"}"#).unwrap();
        assert_eq!(g, GazetteerConfig::new("x.tsv"));
        assert!(serde_json::from_str::<DictionaryConfig>(r#"{"gazeteers": []}"#).is_err());
        assert!(serde_json::from_str::<GazetteerConfig>(r#"{"path": "x", "case": "upper"}"#).is_err());
    }
}
