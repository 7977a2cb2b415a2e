//! The ensemble's parameters in the config file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nerlab_core::Label;
use serde::{Deserialize, Serialize};

/// Parameters of `kind = "ensemble"`:
///
/// ```toml
/// [[extractors]]
/// name = "ensemble"
/// kind = "ensemble"
/// members = ["transformer", "rules", "dictionary"]   # other extractors of this config
/// policy = "learned"                  # learned | vote | longest | priority | keep_all
/// model = "models/ensemble/conll2003-valid.json"     # learned: the fitted combiner
/// # threshold = 0.5                   # learned: overrides the model's; vote: default 0.5
/// # weights = { transformer = 2.0 }   # vote: per member (default 1)
/// # label_weights = { rules = { MISC = 0.5 } }       # vote: per member and label
/// # stand_ins = { transformer = "transformer-heldout" } # fitting only, see below
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleConfig {
    /// Names of other extractors of the same config, in priority order.
    pub members: Vec<String>,
    /// How member outputs are combined.
    #[serde(default)]
    pub policy: PolicyKind,
    /// The fitted combiner file (`learned`), relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<PathBuf>,
    /// The confidence a candidate needs (`vote`, `learned`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Vote weight per member (`vote`); members not named weigh 1.
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    /// Vote weight per member and label, overriding `weights` (`vote`).
    #[serde(default)]
    pub label_weights: BTreeMap<String, BTreeMap<Label, f64>>,
    /// For fitting only: member name -> another extractor of the config whose outputs on the
    /// fitting corpus replace the member's. For a member trained on the fitting corpus (its
    /// outputs there are training outputs, better than it will ever be on new text), a
    /// stand-in trained without it gives the combiner honest evidence. Ignored when
    /// extracting.
    #[serde(default)]
    pub stand_ins: BTreeMap<String, String>,
}

/// The merge policies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// A fitted logistic combiner over candidate features (stacking).
    Learned,
    /// Weighted agreement.
    #[default]
    Vote,
    /// Union, longest span wins (core's union policy).
    Longest,
    /// Union, earlier member wins (core's union policy).
    Priority,
    /// Union, everything kept (core's union policy).
    KeepAll,
}
