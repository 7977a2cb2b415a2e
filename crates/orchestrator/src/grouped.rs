//! A corpus's `group` option at run time: the extractors are measured on the grouped
//! documents ([`nerlab_core::grouping`]), and what they produce is mapped back onto the
//! corpus's own documents before anything is scored or reported.

use std::borrow::Cow;
use std::collections::HashMap;

use nerlab_core::grouping::{Grouping, Groups};
use nerlab_core::{Document, Warning};

use crate::measure::{Measurement, Spread};
use crate::run::DocumentFailure;

/// The documents the extractors of a corpus are run on: the corpus's own, or its groups.
pub struct Extraction<'a> {
    /// What the extractors see.
    pub documents: Cow<'a, [Document]>,
    groups: Option<Groups>,
}

impl<'a> Extraction<'a> {
    /// `corpus` grouped as `grouping` says (as it is when `None`).
    pub fn new(corpus: &'a [Document], grouping: Option<Grouping>) -> Extraction<'a> {
        match grouping {
            None => Extraction { documents: Cow::Borrowed(corpus), groups: None },
            Some(g) => {
                let (documents, groups) = g.apply(corpus);
                Extraction { documents: Cow::Owned(documents), groups: Some(groups) }
            }
        }
    }

    /// A measurement over [`Extraction::documents`] as one over `corpus`: predictions moved
    /// back onto their documents, a failure or warning of a group given to each of its
    /// documents, and documents per second counted in the corpus's documents. Entities that
    /// crossed from one document into the next are dropped, counted in one warning (on the
    /// corpus's first document).
    pub fn ungroup(&self, corpus: &[Document], mut m: Measurement) -> Measurement {
        let Some(groups) = &self.groups else { return m };
        let (predictions, dropped) = groups.split(corpus, std::mem::take(&mut m.predictions));
        m.predictions = predictions;
        let index: HashMap<&str, usize> = self.documents.iter().enumerate().map(|(g, d)| (d.id.as_str(), g)).collect();
        // The documents of the group named `id` (a document's own id when it was not grouped).
        let members = |id: &str| -> Vec<String> {
            match index.get(id) {
                Some(&g) => groups.documents(g).map(|d| corpus[d].id.clone()).collect(),
                None => vec![id.to_string()],
            }
        };
        m.failures = m
            .failures
            .iter()
            .flat_map(|f| members(&f.document).into_iter().map(|document| DocumentFailure { document, error: f.error.clone() }))
            .collect();
        m.warnings = m
            .warnings
            .iter()
            .flat_map(|w| members(&w.document).into_iter().map(|document| Warning { document, message: w.message.clone() }))
            .collect();
        if dropped > 0 {
            let document = corpus.first().map(|d| d.id.clone()).unwrap_or_default();
            let message = format!("{dropped} entities found across the seam of two grouped documents were dropped");
            m.warnings.push(Warning { document, message });
        }
        let per_group = corpus.len() as f64 / groups.len().max(1) as f64;
        let scale = |s: &mut Spread| {
            s.median *= per_group;
            s.min *= per_group;
            s.max *= per_group;
        };
        scale(&mut m.throughput.docs_per_second);
        if let Some(single) = m.throughput.single_thread.as_mut() {
            single.docs_per_second *= per_group;
        }
        m
    }
}
