//! nerlab's statically linked `rules` extractor, exported as a dynamic plugin.
//!
//! The plugin takes exactly the parameters of a `kind = "rules"` extractor as its `config`
//! table, so a config entry moves from static to dynamic by changing `kind` and nesting the
//! parameters (see plugins.toml at the repository root). Its entities must be identical to
//! the static extractor's (`tests/abi.rs`), and the difference in speed is the cost of the
//! ABI (the `plugin` criterion bench).

#![deny(missing_docs)]

use std::path::Path;

use nerlab_core::{BuildContext, Family, Document, Entity, Extractor, Label, Result};
use nerlab_plugin::sdk::Plugin;
use nerlab_rules::{RulesConfig, RulesExtractor};

/// The rules extractor behind the plugin ABI. A newtype, because neither the SDK's [`Plugin`]
/// trait nor [`RulesExtractor`] is defined in this crate.
pub struct RulesPlugin(pub RulesExtractor);

impl Extractor for RulesPlugin {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn labels(&self) -> &[Label] {
        self.0.labels()
    }
    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        self.0.extract(document)
    }
}

impl Plugin for RulesPlugin {
    const NAME: &'static str = "rules";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    // `LABELS` keeps its default, none: the labels come from the configured rule file.
    type Config = RulesConfig;

    fn create(config: RulesConfig, base_dir: &Path) -> Result<Self> {
        RulesExtractor::from_config(config, &BuildContext::new(base_dir, "rules")).map(RulesPlugin)
    }
}

nerlab_plugin::export_plugin!(RulesPlugin);
