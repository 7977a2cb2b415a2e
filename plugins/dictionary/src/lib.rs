//! nerlab's statically linked `dictionary` extractor, exported as a dynamic plugin.
//!
//! The plugin takes exactly the parameters of a `kind = "dictionary"` extractor as its `config`
//! table, so a config entry moves from static to dynamic by changing `kind` and nesting the
//! parameters (see plugins.toml at the repository root). Its entities must be identical to
//! the static extractor's (`tests/abi.rs`), and the difference in speed is the cost of the
//! ABI (the `plugin` criterion bench).

#![deny(missing_docs)]

use std::path::Path;

use nerlab_core::{BuildContext, Family, Document, Entity, Extractor, Label, Result};
use nerlab_dictionary::{DictionaryConfig, DictionaryExtractor};
use nerlab_plugin::sdk::Plugin;

/// The dictionary extractor behind the plugin ABI. A newtype, because neither the SDK's [`Plugin`]
/// trait nor [`DictionaryExtractor`] is defined in this crate.
pub struct DictionaryPlugin(pub DictionaryExtractor);

impl Extractor for DictionaryPlugin {
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

impl Plugin for DictionaryPlugin {
    const NAME: &'static str = "dictionary";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    // `LABELS` keeps its default, none: the labels come from the configured gazetteers.
    type Config = DictionaryConfig;

    fn create(config: DictionaryConfig, base_dir: &Path) -> Result<Self> {
        DictionaryExtractor::from_config(config, &BuildContext::new(base_dir, "dictionary")).map(DictionaryPlugin)
    }
}

nerlab_plugin::export_plugin!(DictionaryPlugin);
