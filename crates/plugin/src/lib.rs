//! Dynamic extractor plugins: add an extractor to nerlab without rebuilding nerlab.
//!
//! A plugin is a `cdylib` exporting one C symbol, [`abi::ENTRY_SYMBOL`], that returns a
//! [`abi::Descriptor`]. This crate holds both sides of that boundary:
//!
//! - [`abi`]: the `#[repr(C)]` types and `extern "C"` function signatures, and
//!   [`abi::ABI_VERSION`]. Only plain C data crosses: pointers with lengths, integers,
//!   function pointers. No Rust type (`String`, `Vec`, trait objects) does, because two
//!   Rust compilers (or two versions of a crate) need not agree on their layout.
//! - [`sdk`]: for plugin authors. Export any [`nerlab_core::Family`] (the trait every
//!   built-in extractor family implements: kind, typed config, constructor) with one line,
//!   [`export_plugin!`]. Every entry point runs inside `catch_unwind`, so a panic becomes an
//!   error code and message instead of unwinding across the FFI boundary.
//! - [`host`]: for nerlab. [`PluginExtractor::load`] opens the library with `libloading`,
//!   checks the entry symbol and the ABI version, and presents the instance as an ordinary
//!   [`nerlab_core::Extractor`]. Every span a plugin returns is validated (in bounds, on
//!   character boundaries, a label the instance declared) before it reaches the evaluator;
//!   a violation is an error for that document, never a crash.
//! - [`testing`]: build a plugin crate and find its library, to test it over the real ABI.
//! - [`bundled`]: families nerlab ships as plugins of its own (the transformer, which links
//!   libtorch), registered under their ordinary kind and loaded only when a config uses them.
//!
//! # Ownership
//!
//! Memory is freed by whoever allocated it: the host lends the document text and an error
//! buffer for the duration of a call; the plugin lends its entity array until the host calls
//! `free_entities`. Each side may use a different allocator (each links its own `std`).
//! The host keeps the [`libloading::Library`] in an `Arc` held by every instance, so the code
//! stays mapped while any instance lives.
//!
//! # Threads
//!
//! The descriptor declares whether instances may be called from several threads at once
//! ([`abi::FLAG_THREAD_SAFE`]). If not, the host serialises calls to each instance behind a
//! mutex. Extractors exported through the SDK are `Send + Sync` and declare thread safety by
//! default.
//!
//! # Limits
//!
//! Containment is in-process: a plugin built with `panic = "abort"`, or one that dereferences
//! a wild pointer, still takes the process down. Process isolation would contain those too,
//! at the cost of serialising every document; see the README for the trade-off.

#![deny(missing_docs)]

pub mod abi;
pub mod bundled;
mod host;
pub mod sdk;
pub mod testing;

pub use bundled::{Bundled, BundledLibrary};
pub use host::{PluginConfig, PluginExtractor, PluginInfo, PluginLibrary};
