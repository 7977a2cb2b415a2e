//! Maps an extractor `kind` from the config to the [`Family`] that builds it.
//!
//! Each family registers with one generic call, `registry.register::<RulesExtractor>()`: its
//! `kind` is [`Family::KIND`], and the `params` table of a config entry is deserialised into
//! its [`Family::Config`] (unknown keys rejected, with the file and line). Adding a family is
//! one line in [`Registry::builtin`] and no change to the evaluation code.

use std::collections::BTreeMap;

use nerlab_core::{Error, Extractor, Family, Result};

pub use nerlab_core::BuildContext;

use crate::params::Params;

type Constructor = fn(&Params<'_>, &BuildContext<'_>) -> Result<Box<dyn Extractor>>;
type Canonicalizer = fn(&Params<'_>) -> Result<toml::Table>;

/// What the registry knows about one family.
struct Entry {
    build: Constructor,
    canonical: Canonicalizer,
}

/// The transformer family links libtorch, which every process would load before `main` (0.6 s,
/// 150 MiB): it lives in its own library instead, opened when a config first builds one
/// (`nerlab_plugin::bundled`, ARCHITECTURE.md "A lean binary").
pub struct TransformerLibrary;

impl nerlab_plugin::BundledLibrary for TransformerLibrary {
    const KIND: &'static str = "transformer";
    const PACKAGE: &'static str = "nerlab-plugin-transformer";
    const NEEDS: &'static str = "libtorch, which `cargo xtask setup` installs";
}

/// The known extractor kinds.
pub struct Registry {
    families: BTreeMap<&'static str, Entry>,
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Registry {
        Registry { families: BTreeMap::new() }
    }

    /// Every extractor family built into nerlab.
    pub fn builtin() -> Registry {
        let mut registry = Registry::empty();
        // Register extractor families here, one line each.
        registry.register::<nerlab_core::union::Union>();
        registry.register::<nerlab_ensemble::Ensemble>();
        registry.register::<nerlab_dictionary::DictionaryExtractor>();
        registry.register::<nerlab_rules::RulesExtractor>();
        registry.register::<nerlab_plugin::PluginExtractor>();
        registry.register::<nerlab_command::CommandExtractor>();
        registry.register::<nerlab_plugin::Bundled<TransformerLibrary>>();
        registry
    }

    /// Registers the family `F` under [`Family::KIND`] (replacing a family of the same kind).
    pub fn register<F: Family>(&mut self) {
        fn build<F: Family>(params: &Params<'_>, ctx: &BuildContext<'_>) -> Result<Box<dyn Extractor>> {
            let config: F::Config = params.deserialize(F::KIND)?;
            Ok(Box::new(F::from_config(config, ctx)?))
        }
        fn canonical<F: Family>(params: &Params<'_>) -> Result<toml::Table> {
            let config: F::Config = params.deserialize(F::KIND)?;
            match toml::Value::try_from(&config) {
                Ok(toml::Value::Table(table)) => Ok(table),
                Ok(other) => Err(Error::config(format!("kind {:?}: parameters are a {}, not a table", F::KIND, other.type_str()))),
                Err(e) => Err(Error::config(format!("kind {:?}: cannot write parameters: {e}", F::KIND))),
            }
        }
        self.families.insert(F::KIND, Entry { build: build::<F>, canonical: canonical::<F> });
    }

    /// The registered kinds, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.families.keys().copied()
    }

    fn entry(&self, kind: &str) -> Result<&Entry> {
        self.families.get(kind).ok_or_else(|| {
            Error::config(format!("unknown extractor kind {kind:?} (known: {})", self.kinds().collect::<Vec<_>>().join(", ")))
        })
    }

    /// Builds an extractor of `kind` from its parameters.
    ///
    /// # Errors
    /// An unknown kind (listing the known ones), invalid parameters, or the family's error.
    pub fn build(&self, kind: &str, params: &Params<'_>, ctx: &BuildContext<'_>) -> Result<Box<dyn Extractor>> {
        (self.entry(kind)?.build)(params, ctx)
    }

    /// The parameters as the family reads them, written back: defaults filled in, in the
    /// family's own key order. Reading the result again gives the same configuration.
    ///
    /// # Errors
    /// An unknown kind or invalid parameters.
    pub fn canonical_params(&self, kind: &str, params: &Params<'_>) -> Result<toml::Table> {
        (self.entry(kind)?.canonical)(params)
    }
}
