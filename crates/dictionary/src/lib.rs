//! The dictionary extractor: finds the entries of gazetteers (lists of names) in text.
//!
//! A gazetteer is a TSV file, one entry a line: `surface TAB label TAB canonical TAB source`
//! (see [`gazetteer::parse`]; `crates/dictionary/README.md` describes the shipped files and
//! how `cargo xtask gazetteer` builds them). [`DictionaryExtractor::from_config`] loads the
//! files of a [`DictionaryConfig`] in priority order and builds the automata **once**;
//! extraction is then a scan of the text plus a few character checks per match.
//!
//! Design choices:
//!
//! - **Aho-Corasick, leftmost-longest.** All surfaces go into one automaton (the
//!   `aho-corasick` crate), searched leftmost-longest, so `New York Stock Exchange` wins
//!   over `New York` and overlapping entries never both come out. When two gazetteers have
//!   the same surface, the earlier file in the config wins.
//! - **Token boundaries by character checks.** A match counts only when the characters
//!   next to it are not letters, digits or combining marks (Unicode-aware: `Rome` is not
//!   found in `Romeo` nor in `Romé`; curly quotes and dashes are boundaries). A rejected
//!   match does not hide a later one: the search resumes one character in. Hyphens join
//!   words by default (`NATO` is not found in `NATO-Russia`, which CoNLL-2003 and the
//!   annotation guidelines annotate as a whole); `hyphen_splits = true` changes that. A
//!   letter and an apostrophe before a match also join (`Neill` is not found in `O'Neill`);
//!   a possessive after one does not (`Russia's` gives `Russia`).
//! - **Case policies per gazetteer.** `exact` (default) matches the surface as written;
//!   `insensitive` matches any case (a second automaton with ASCII case folding, plus the
//!   Unicode lower and upper forms of each entry). Headlines are handled explicitly: with
//!   `all_caps` (default on) the upper-case form of an exact entry is a pattern too, but
//!   it counts only on a line with almost no lower-case letters, so `RUSSIA SUSPENDS ITS
//!   MISSION` finds `Russia` while `US` in running text never matches an entry `Us`.
//! - **Canonical ids.** Aliases and spelling variants carry the same canonical column
//!   (`Moskva` and `Moscow` → `geonames:524901`), copied into [`Entity::canonical`].
//!
//! [`Entity::canonical`]: nerlab_core::Entity::canonical
//!
//! - **Normalisation, optional.** With `normalize = true` the text is first repaired by
//!   [`nerlab_core::normalize`] (`NA-TO` → `NATO` when the joined word is in the
//!   dictionary or the configured word list; curly quotes straightened), matched, and every
//!   span mapped back, so entities cover the original characters (`NA-TO`).

#![deny(missing_docs)]

mod config;
mod extractor;
pub mod gazetteer;
pub mod learn;
mod matcher;

pub use config::{default_gazetteers, CasePolicy, DictionaryConfig, GazetteerConfig};
pub use extractor::{DictionaryBuilder, DictionaryExtractor};
pub use gazetteer::GazetteerEntry;
pub use matcher::DictMatch;
