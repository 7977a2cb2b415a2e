//! Transformer named-entity extractor for nerlab: a BERT token classifier (rust-bert on
//! libtorch) fine-tuned by this project on CoNLL-2003. The trainer is its own crate,
//! `nerlab-train` (`crates/train`), so users of the extractor do not compile it.
//!
//! # Design
//!
//! - **Model.** rust-bert's `BertForTokenClassification` over all-MiniLM-L6-v2 (6 layers,
//!   384 wide, uncased WordPiece, ~22.7M parameters), fine-tuned on CoNLL-2003 `train` by
//!   `nerlab-train` (`cargo xtask train`), selected on `valid`. The shipped directory holds
//!   `config.json` (rust-bert's `BertConfig`, with the label map in `id2label`),
//!   `tokenizer.json` and fp16 weights `model.ot`, loaded into fp32 variables.
//! - **Casing.** The encoder is uncased, so capitalisation, the main cue for names, would be
//!   lost. Each word-piece gets the [`casing::Casing`] class of its word (lower, Title, ALL
//!   CAPS, mixed), computed on the original text, as its token type: the token-type
//!   embedding has 4 rows, all initialised from the base's row 0.
//! - **One text pipeline.** [`text::TextEncoder`] runs the whole text through
//!   `tokenizer.json`; its offsets point into the original bytes even where normalisation
//!   lower-cased or stripped accents, so entity offsets are exact by construction. Training
//!   examples are built with the same function, so train and serve cannot drift apart.
//! - **Words and labels.** A word is a pre-tokeniser word (punctuation split off); its first
//!   word-piece carries its IOB2 tag in training and its prediction at inference
//!   ([`decode::WordPooling`] offers mean and max as alternatives). Invalid IOB2 is repaired
//!   the conlleval way; an entity's score is the mean probability of its words' tags.
//! - **Long texts.** [`infer`] cuts texts into windows of whole sentences, and a sentence
//!   longer than a window into overlapping windows (`stride` pieces shared) where each piece
//!   is decided by the window where it has most context, before words and entities are
//!   built: no duplicates and no cut entities at seams. Windows of all documents
//!   of a batch are sorted by length so padding stays small; forward passes run under
//!   `no_grad`.
//! - **Bounded memory.** [`segment`] cuts a long document (at line, sentence, clause or word
//!   breaks) into segments of at most 64 KiB that are encoded, run and decoded one group at
//!   a time, so memory does not grow with the document.
//! - **Threads.** libtorch tensors are not `Sync`, so the network sits behind a mutex; one
//!   forward pass already uses every core: matrix products run on OpenBLAS's own threads.
//!   libtorch's OpenMP pool is kept to one thread by default (`torch_threads`), because its
//!   workers spin-wait on the cores OpenBLAS needs (measured 1.4x slower with two).
//! - **No panics.** libtorch reports failures by panicking inside tch; the forward pass is
//!   wrapped so a failure is an [`nerlab_core::Error`] of the batch, not a crash.
#![deny(missing_docs)]

pub mod casing;
pub mod decode;
mod extractor;
pub mod fast;
pub mod infer;
pub mod model;
pub mod segment;
pub mod text;

pub use decode::WordPooling;
pub use extractor::{TransformerConfig, TransformerExtractor};
