//! nerlab's `dictionary` extractor family, exported as a dynamic plugin.
//!
//! The plugin SDK exports any extractor family (a `nerlab_core::Family`), so this crate is one
//! line: the plugin takes exactly the parameters of a `kind = "dictionary"` extractor, and a config
//! entry moves from static to dynamic by changing `kind` to `"plugin"` and adding `library` to
//! its `params` (see plugins.toml at the repository root). Its entities must be identical to
//! the static extractor's (`tests/abi.rs`), and the difference in speed is the cost of the ABI
//! (the `plugin` criterion bench).

#![deny(missing_docs)]

nerlab_plugin::export_plugin!(nerlab_dictionary::DictionaryExtractor);
