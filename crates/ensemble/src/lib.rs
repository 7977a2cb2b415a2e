//! An extractor made of other extractors that is meant to beat its best member.
//!
//! A union (`nerlab_core::union`) adds every member's false positives; this crate decides per
//! candidate span instead. Every span+label proposed by any member is a *candidate*; a policy
//! keeps some of them and fills [`Entity::score`](nerlab_core::Entity::score) with its
//! confidence:
//!
//! - [`Policy::Vote`]: weighted agreement, per member and optionally per member × label;
//! - [`Policy::Learned`]: a logistic-regression [`Combiner`] over [`features`] of what the
//!   members say about the span (stacking), fitted by [`fit`] on a development corpus;
//! - [`Policy::Union`]: core's union overlap policies, kept available.
//!
//! Members run concurrently on each batch; a member that fails (error, panic, invalid span) on
//! a document is left out of that document's decision and the failure is reported through
//! [`Extractor::take_warnings`](nerlab_core::Extractor::take_warnings), not as a failed
//! document. See the crate README for the policies, the fitting protocol and measured numbers.

#![deny(missing_docs)]

mod candidates;
mod combiner;
mod config;
mod ensemble;
pub mod features;
mod fit;
mod vote;

pub use candidates::{candidates, Candidate, MemberOutputs};
pub use combiner::Combiner;
pub use config::{EnsembleConfig, PolicyKind};
pub use ensemble::{Ensemble, Policy};
pub use fit::{fit, CvPoint, FitExample, FitOptions, FitReport};
pub use vote::Vote;
