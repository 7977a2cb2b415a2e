//! Readers and writers of the corpus formats; [`crate::corpus`] dispatches to them.

pub mod brat;
pub mod conll;
pub mod jsonl;
