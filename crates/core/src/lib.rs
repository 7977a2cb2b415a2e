//! Core types of nerlab, the toolkit for comparing named-entity extractors.
//!
//! Every other crate depends on this one and on nothing else of nerlab's:
//!
//! - [`Extractor`], the one trait an extractor implements (`extract` required,
//!   `extract_batch` defaulted), and [`Family`], what makes an extractor type a `kind` of
//!   the config file (a typed configuration and a constructor from it, given a
//!   [`BuildContext`]);
//! - [`Document`], [`Entity`] and [`Label`], with the **span invariant**: an entity's
//!   `start..end` are byte offsets into the document's original text, on character
//!   boundaries, and `entity.text == document.text[start..end]`;
//! - corpus formats ([`corpus`]: brat standoff, CoNLL IOB1/IOB2/BIOES, JSONL);
//! - [`grouping`]: consecutive documents joined for extraction (context), entities mapped
//!   back;
//! - [`metrics`]: strict conlleval/seqeval scores and the nervaluate schemes;
//! - [`coref`]: cross-document coreference scores (B³, MUC, CEAF-e) of canonical ids;
//! - [`analysis`]: error classes, bootstrap intervals, paired tests and agreement, on top of
//!   `metrics`;
//! - [`learning_curve`]: `curve.json`, the learning curve's results, and what they say;
//! - [`normalize`]: text normalisation whose spans map back onto the original text;
//! - [`conformance`]: the table of cases every extractor is tested against;
//! - [`union::Union`]: an extractor made of other extractors.
//!
//! Errors are one [`Error`] type with an [`ErrorKind`]; its `Display` names the file and
//! line when they are known.

#![deny(missing_docs)]

pub mod analysis;
pub mod conformance;
pub mod coref;
pub mod corpus;
mod document;
mod error;
mod extractor;
mod family;
pub mod formats;
pub mod grouping;
mod label;
pub mod learning_curve;
pub mod metrics;
pub mod normalize;
pub mod offsets;
pub mod union;

pub use corpus::{read_corpus, write_corpus, CorpusFormat, TagScheme};
pub use document::{check_span, validate_entities, AnnotatedDocument, Document, Entity};
pub use error::{Error, ErrorKind, Result};
pub use extractor::{Extractor, Warning};
pub use family::{BuildContext, Family, MemberBuilder};
pub use label::Label;
