//! A rule-based named-entity extractor: token patterns written in TOML rule files.
//!
//! The rule language is in the spirit of spaCy's `Matcher` and Stanford's TokensRegex, but
//! written as compact strings (see the crate README for the full reference):
//!
//! ```toml
//! [lists]
//! titles = ["Minister", "President", "Mr."]
//!
//! [[rules]]
//! name = "person-after-title"
//! label = "PER"
//! pattern = '@titles <[title & !@titles]{1,3}>'
//! ```
//!
//! # Design
//!
//! - **Compile once.** A [`RuleSet`] parses every pattern into a tiny backtracking program
//!   when it is loaded; literals and word lists become bits in one lexicon table, and every
//!   distinct token test gets a number. An invalid file is rejected at load time with the
//!   file, line and rule name.
//! - **Token classes and a lazy DFA per rule.** A token's results for all tests depend only
//!   on its text (and on whether it starts a sentence), so they are computed once per
//!   distinct text and shared by every token of the same class; a rule is tried only where
//!   its first test passes, and its program runs only where the rule's lazily built DFA over
//!   classes says a match exists (see `classes`). This is what keeps the news rules above
//!   50 MB/s on one core.
//! - **Longest match per rule and start, then a global overlap resolution**: longest entity
//!   (in tokens) first, then higher `priority`, then leftmost, then earlier in the file.
//!   Blocking rules (`block = true`) take part and then emit nothing, which is how a rule
//!   file says "this is not a name".
//! - **Document memory.** After resolution, names found once label their later repetitions
//!   (`[document] propagate`), and the last word of a multi-word person name labels its lone
//!   mentions (`surnames`): `Sergey Lavrov ... Lavrov said`.
//! - **Normalisation.** When the rule file asks for it, rules run on text normalised by
//!   [`nerlab_core::normalize`] (hyphenation artefacts such as `NA-TO` repaired, quotes
//!   straightened) and spans are mapped back exactly onto the original characters.

#![deny(missing_docs)]

mod classes;
mod pattern;
mod ruleset;
mod token;

use std::path::PathBuf;

use nerlab_core::{BuildContext, Document, Entity, Error, Extractor, Family, Label, Result};
use serde::{Deserialize, Serialize};

pub use pattern::{GaveUp, MAX_MATCH_TOKENS, STEP_BUDGET};
pub use ruleset::{BoundHit, RuleSet};

/// The configuration of a [`RulesExtractor`] (the `params` of a `kind = "rules"` extractor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// The rule file, relative to the config file's directory.
    #[serde(default = "default_rules")]
    pub rules: PathBuf,
    /// Keep only these labels (all the rules' labels when absent).
    #[serde(default)]
    pub labels: Option<Vec<Label>>,
}

fn default_rules() -> PathBuf {
    PathBuf::from("models/rules/news.toml")
}

impl Default for RulesConfig {
    fn default() -> RulesConfig {
        RulesConfig { rules: default_rules(), labels: None }
    }
}

/// Finds entities with the rules of a [`RuleSet`].
#[derive(Debug)]
pub struct RulesExtractor {
    rules: RuleSet,
    labels: Vec<Label>,
}

impl Family for RulesExtractor {
    const KIND: &'static str = "rules";
    type Config = RulesConfig;

    /// Loads the rule file named by `config`.
    ///
    /// # Errors
    /// When the rule file or a file it names cannot be read or is invalid, or `labels` names
    /// a label no rule produces.
    fn from_config(config: RulesConfig, ctx: &BuildContext<'_>) -> Result<RulesExtractor> {
        let path = ctx.resolve(&config.rules);
        let rules = RuleSet::from_file(&path)?;
        let labels = match config.labels {
            None => rules.labels().to_vec(),
            Some(wanted) => {
                if let Some(missing) = wanted.iter().find(|l| !rules.labels().contains(l)) {
                    return Err(Error::config(format!("no rule in {} produces label {missing}", path.display())));
                }
                wanted
            }
        };
        Ok(RulesExtractor { rules, labels })
    }
}

impl RulesExtractor {
    /// An extractor for an already compiled rule set.
    pub fn new(rules: RuleSet) -> RulesExtractor {
        let labels = rules.labels().to_vec();
        RulesExtractor { rules, labels }
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }
}

impl Extractor for RulesExtractor {
    fn name(&self) -> &str {
        "rules"
    }

    fn labels(&self) -> &[Label] {
        &self.labels
    }

    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        let text = &document.text;
        let (found, hits) = self.rules.find_reporting(text);
        // The extractor interface has no channel for warnings: stderr, one line per rule.
        for hit in hits {
            eprintln!("warning: rules: document {:?}: {hit}", document.id);
        }
        found
            .into_iter()
            .filter(|(_, _, l)| self.labels.contains(l))
            .map(|(s, e, l)| Entity::new(text, s, e, l).map_err(|err| Error::extraction(format!("{}: {err}", document.id))))
            .collect()
    }
}
