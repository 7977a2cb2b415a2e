//! Fine-tuning of nerlab's transformer extractor (`crates/transformer`) on any corpus nerlab
//! reads. A tool beside the extractor families, not one of them: a user of the extractor does
//! not compile it, and nothing but the `nerlab-train` binary depends on it.
//!
//! # Design
//!
//! - **Any corpus, one reader.** Training and development corpora are config names or paths
//!   read by the orchestrator's [`Config::read_corpus`](nerlab_orchestrator::Config::read_corpus),
//!   as `nerlab eval` reads them (brat, CoNLL IOB1/IOB2/BIOES, JSONL), so they are
//!   documents with entities at byte offsets whatever their format ([`data`]).
//! - **Labels.** Derived from the training data (CoNLL's four first in CoNLL's order, then
//!   the rest sorted) or given; every entity of both corpora must have one of them and
//!   overlap no other, or the run stops naming the corpus, the document and the entity.
//!   The model directory's `config.json` records them (`id2label`); the extractor reads them
//!   back from there.
//! - **Units and examples.** Documents are cut into lines (CoNLL: sentences); a seeded share
//!   of examples joins 2 to 4 consecutive units. Each example is encoded by the serving
//!   pipeline (`nerlab_transformer::text`) and labelled from the entities on the first
//!   word-piece of each word ([`examples`]); a text longer than the window is cut by the
//!   inference code's own windows, each piece labelled in the one window that owns it.
//! - **Fractions.** `--fraction` keeps a seeded, nested share of the training documents
//!   ([`data::fraction_of`]): learning curves compare like with like.
//! - **The loop** ([`run`]): length-bucketed batches, AdamW with warm-up and linear decay
//!   (spanning `--max-steps` when that is shorter), gradient clipping, dev scores per epoch
//!   by nerlab's scorer ([`dev`]), resumable checkpoints, the best (or last) epoch exported,
//!   or the mean of the last epochs' weights (`--average-last`, each mean scored on dev).
#![deny(missing_docs)]

pub mod data;
pub mod dev;
pub mod examples;
pub mod run;
pub mod step;

pub use run::{average_checkpoints, average_models, run, Average, DataSummary, RunState, TrainOptions};
