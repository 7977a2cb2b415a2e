//! nerlab's `transformer` extractor family as the library the `nerlab` binary loads when a
//! config builds a `kind = "transformer"` extractor (`nerlab_plugin::bundled`).
//!
//! The family links libtorch, whose loading costs ~0.6 s and ~150 MiB before `main`; as a
//! library of its own, only the runs that use it pay that. Its parameters are exactly those of
//! `kind = "transformer"`, and batches cross the C ABI whole (`extract_batch`), so documents of
//! similar length are still padded together.

#![deny(missing_docs)]

nerlab_plugin::export_plugin!(nerlab_transformer::TransformerExtractor);
