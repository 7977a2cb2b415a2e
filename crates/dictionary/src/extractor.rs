//! [`DictionaryExtractor`]: gazetteers loaded, automata built, the [`Extractor`] trait.

use nerlab_core::normalize::{Lexicon, Normalizer};
use nerlab_core::{BuildContext, Document, Entity, Extractor, Family, Label, Result};

use crate::config::{CasePolicy, DictionaryConfig};
use crate::gazetteer::{self, GazetteerEntry};
use crate::matcher::{DictMatch, Matcher, MatcherBuilder, NewEntry};

/// Finds the entries of gazetteers in text; see the crate docs.
pub struct DictionaryExtractor {
    matcher: Matcher,
    /// Applied to the text before matching, when configured.
    normalizer: Option<Normalizer>,
    /// The labels of the loaded entries, sorted (what [`Extractor::labels`] reports).
    sorted_labels: Vec<Label>,
}

/// A set of gazetteer entries with their matching policies, for building an extractor
/// without files (tests, programmatic use).
pub struct DictionaryBuilder {
    builder: MatcherBuilder,
    hyphen_splits: bool,
    extend: Vec<Label>,
    propagate: bool,
}

impl DictionaryBuilder {
    /// An empty dictionary; `hyphen_splits` and `extend` as in [`DictionaryConfig`],
    /// surname propagation off (see [`DictionaryBuilder::propagate`]).
    pub fn new(hyphen_splits: bool, extend: &[Label]) -> DictionaryBuilder {
        DictionaryBuilder { builder: MatcherBuilder::default(), hyphen_splits, extend: extend.to_vec(), propagate: false }
    }

    /// Turns surname propagation on or off, as [`DictionaryConfig::propagate`].
    pub fn propagate(&mut self, on: bool) -> &mut Self {
        self.propagate = on;
        self
    }

    /// Adds entries, after (so with lower priority than) those added before, with the
    /// policies of [`GazetteerConfig`](crate::GazetteerConfig).
    pub fn add(&mut self, entries: &[GazetteerEntry], case: CasePolicy, all_caps: bool, trigger: bool) -> &mut Self {
        for e in entries {
            self.builder.add(NewEntry { surface: &e.surface, label: &e.label, canonical: e.canonical.as_deref(), case, all_caps, trigger });
        }
        self
    }

    /// Builds the automata.
    ///
    /// # Errors
    /// When the automaton cannot be built (a dictionary too large for it).
    pub fn build(self) -> Result<DictionaryExtractor> {
        let matcher = self.builder.build(self.hyphen_splits, &self.extend, self.propagate)?;
        let mut sorted_labels = matcher.labels.clone();
        sorted_labels.sort();
        Ok(DictionaryExtractor { matcher, normalizer: None, sorted_labels })
    }
}

impl Family for DictionaryExtractor {
    const KIND: &'static str = "dictionary";
    type Config = DictionaryConfig;

    /// Loads the gazetteers of `config` and builds the automata.
    ///
    /// # Errors
    /// A gazetteer that cannot be read or has a malformed line (naming the file and line).
    fn from_config(config: DictionaryConfig, ctx: &BuildContext<'_>) -> Result<DictionaryExtractor> {
        let resolve = |p: &std::path::Path| ctx.resolve(p);
        let mut builder = DictionaryBuilder::new(config.hyphen_splits, &config.extend);
        builder.propagate(config.propagate);
        // The normaliser's lexicon: every word of every surface, so `NA-TO` is joined
        // exactly when `NATO` is something the dictionary can find.
        let mut words: Vec<String> = Vec::new();
        for g in &config.gazetteers {
            let entries = gazetteer::read(&resolve(&g.path), g.label.as_ref())?;
            if config.normalize {
                words.extend(entries.iter().flat_map(|e| e.surface.split(' ').map(str::to_string)));
            }
            builder.add(&entries, g.case, g.all_caps, g.trigger);
        }
        let mut extractor = builder.build()?;
        if config.normalize {
            if let Some(path) = &config.lexicon {
                let text = std::fs::read_to_string(resolve(path)).map_err(|e| nerlab_core::Error::io(resolve(path), e))?;
                words.extend(text.lines().map(str::trim).filter(|w| !w.is_empty() && !w.starts_with('#')).map(str::to_string));
            }
            extractor.normalizer = Some(Normalizer::new(Lexicon::new(words)));
        }
        Ok(extractor)
    }
}

impl DictionaryExtractor {
    /// The number of entries loaded (duplicates across files included).
    pub fn len(&self) -> usize {
        self.matcher.entries.len()
    }

    /// Whether no entry is loaded (the extractor then finds nothing).
    pub fn is_empty(&self) -> bool {
        self.matcher.entries.is_empty()
    }

    /// The accepted matches in `text`, without building entities.
    pub fn find(&self, text: &str) -> Vec<DictMatch> {
        self.matcher.find(text)
    }

    /// The number of raw automaton matches in `text` before boundary and case checks (for
    /// measuring the automaton alone).
    pub fn count_raw_matches(&self, text: &str) -> usize {
        self.matcher.count_raw(text)
    }

    /// The label of entry `entry` (as in [`DictMatch::entry`]).
    pub fn entry_label(&self, entry: u32) -> Option<&Label> {
        let e = self.matcher.entries.get(entry as usize)?;
        self.matcher.labels.get(e.label as usize)
    }
}

impl Extractor for DictionaryExtractor {
    fn name(&self) -> &str {
        "dictionary"
    }

    fn labels(&self) -> &[Label] {
        &self.sorted_labels
    }

    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        let text = &document.text;
        // The normaliser only touches hyphens and typographic quotes: skip its allocations
        // for texts that have neither (most CoNLL sentences).
        let may_change = !text.is_ascii() || memchr::memchr(b'-', text.as_bytes()).is_some();
        let normalized = self.normalizer.as_ref().filter(|_| may_change).map(|n| n.normalize(text)).filter(|n| !n.is_identity());
        let matches = match &normalized {
            Some(n) => self.matcher.find(&n.text),
            None => self.matcher.find(text),
        };
        matches
            .into_iter()
            .map(|m| {
                let entry = &self.matcher.entries[m.entry as usize];
                let label = self.matcher.labels[entry.label as usize].clone();
                let (start, end) = match &normalized {
                    Some(n) => n.to_original(m.start, m.end),
                    None => (m.start, m.end),
                };
                let entity = Entity::new(text, start, end, label)?;
                Ok(match &entry.canonical {
                    Some(c) if !m.extended => entity.with_canonical(&**c),
                    _ => entity,
                })
            })
            .collect()
    }
}
