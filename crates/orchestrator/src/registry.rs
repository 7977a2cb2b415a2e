//! Maps an extractor `kind` from the config to the code that builds it.
//!
//! Each extractor family registers one constructor taking its own typed configuration
//! (deserialised from the TOML table of that extractor, unknown keys rejected), so adding a
//! family is one line in [`Registry::builtin`] and no change to the evaluation code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nerlab_core::{Error, Extractor, Result};
use serde::de::DeserializeOwned;

/// What a constructor may need beyond its own parameters.
#[derive(Debug, Clone)]
pub struct BuildContext {
    /// The directory of the config file: relative paths in parameters are resolved from it.
    pub base_dir: PathBuf,
    /// The extractor's name in the config (its row in reports).
    pub name: String,
}

impl BuildContext {
    /// Resolves `path` against [`BuildContext::base_dir`] unless it is absolute.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }
}

type Constructor = Box<dyn Fn(toml::Table, &BuildContext) -> Result<Box<dyn Extractor>> + Send + Sync>;

/// The known extractor kinds.
pub struct Registry {
    constructors: BTreeMap<String, Constructor>,
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Registry {
        Registry { constructors: BTreeMap::new() }
    }

    /// Every extractor family built into nerlab.
    pub fn builtin() -> Registry {
        let mut registry = Registry::empty();
        // Register extractor families here, one line each.
        registry.register("dictionary", |c: nerlab_dictionary::DictionaryConfig, ctx| Ok(Box::new(nerlab_dictionary::DictionaryExtractor::from_config(c, &ctx.base_dir)?) as Box<dyn nerlab_core::Extractor>));
        registry.register("rules", |c: nerlab_rules::RulesConfig, ctx| Ok(Box::new(nerlab_rules::RulesExtractor::from_config(c, &ctx.base_dir)?) as Box<dyn nerlab_core::Extractor>));
        registry.register("plugin", |c: nerlab_plugin::PluginConfig, ctx| Ok(Box::new(nerlab_plugin::PluginExtractor::from_config(c, &ctx.base_dir)?) as Box<dyn nerlab_core::Extractor>));
        registry.register("command", |c: nerlab_command::CommandConfig, ctx| Ok(Box::new(nerlab_command::CommandExtractor::from_config(c, &ctx.base_dir)?) as Box<dyn nerlab_core::Extractor>));
        #[cfg(feature = "transformer")]
        registry.register("transformer", |c: nerlab_transformer::TransformerConfig, ctx| Ok(Box::new(nerlab_transformer::TransformerExtractor::from_config(c, &ctx.base_dir)?) as Box<dyn nerlab_core::Extractor>));
        registry
    }

    /// Registers `kind`, whose parameters deserialise into `C`.
    pub fn register<C, F>(&mut self, kind: &str, build: F)
    where
        C: DeserializeOwned,
        F: Fn(C, &BuildContext) -> Result<Box<dyn Extractor>> + Send + Sync + 'static,
    {
        let kind_name = kind.to_string();
        self.constructors.insert(
            kind.to_string(),
            Box::new(move |params: toml::Table, ctx: &BuildContext| {
                let config: C = toml::Value::Table(params)
                    .try_into()
                    .map_err(|e: toml::de::Error| Error::config(format!("kind {kind_name:?}: {}", e.message().trim())))?;
                build(config, ctx)
            }),
        );
    }

    /// The registered kinds, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.constructors.keys().map(String::as_str)
    }

    /// Builds an extractor of `kind` from its parameters.
    ///
    /// # Errors
    /// An unknown kind (listing the known ones), invalid parameters, or the constructor's error.
    pub fn build(&self, kind: &str, params: toml::Table, ctx: &BuildContext) -> Result<Box<dyn Extractor>> {
        let constructor = self.constructors.get(kind).ok_or_else(|| {
            Error::config(format!(
                "unknown extractor kind {kind:?} (known: {}, union)",
                self.kinds().collect::<Vec<_>>().join(", ")
            ))
        })?;
        constructor(params, ctx)
    }
}
