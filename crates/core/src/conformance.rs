//! One table of cases run against every extractor (rules, dictionary, transformer, plugins).
//!
//! In the spirit of aho-corasick's shared test table: each extractor crate calls
//! [`check_extractor`] from a test, so offset bugs and panics on odd input are caught the same
//! way everywhere. The cases check behaviour that holds for any correct extractor (valid spans,
//! declared labels, sorted output, no panic), not what it finds.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{validate_entities, Document, Extractor};

/// Texts that have broken offset handling somewhere before.
pub fn cases() -> Vec<Document> {
    let mut cases = vec![
        Document::new("empty", ""),
        Document::new("whitespace", " \n\t  \r\n "),
        Document::new("punctuation", "... ,;:!? -- () [] “” ‘’ «»"),
        Document::new("ascii", "Russian Foreign Minister Sergey Lavrov said on Monday that NATO had expelled eight diplomats in Brussels."),
        Document::new(
            "unicode",
            "“After certain decisions taken by NATO,” said Grushkó’s deputy in Moscow — Ñuñez, Zoë and Łukasz agreed. 北京 and Москва too.",
        ),
        Document::new("hyphenation", "The NA-TO announ-ced that R-ussian diplomats in Brus-\nsels must leave."),
        Document::new("all_caps", "RUSSIA SUSPENDS ITS MISSION TO NATO IN BRUSSELS"),
        Document::new("emoji_and_controls", "NATO 🇷🇺 Moscow\u{0}\u{7}\u{200b} Lavrov\u{feff} Brussels"),
        Document::new("combining_marks", "Grushko\u{301} met Stoltenberg in Bru\u{308}ssel on October 18, 2021."),
    ];
    // A long document: spans near the end must still be exact.
    let long = "On Monday Sergey Lavrov told NATO in Brussels that Russia would leave. ".repeat(2_000);
    cases.push(Document::new("long", long));
    cases
}

/// Runs every case of [`cases`] through `extractor` and checks the results.
///
/// # Panics
/// With a message naming the case and the problem, when the extractor panics, returns an
/// invalid span, an undeclared label, unsorted entities, or errors on any case, or when its
/// batch path or several threads at once find something else than one call per case.
pub fn check_extractor(extractor: &dyn Extractor) {
    let docs = cases();
    for doc in &docs {
        let result = catch_unwind(AssertUnwindSafe(|| extractor.extract(doc)));
        let entities = match result {
            Err(_) => panic!("{}: panicked on case {:?}", extractor.name(), doc.id),
            Ok(Err(e)) => panic!("{}: failed on case {:?}: {e}", extractor.name(), doc.id),
            Ok(Ok(entities)) => entities,
        };
        if let Err(e) = validate_entities(&doc.text, &entities, Some(extractor.labels())) {
            panic!("{}: case {:?}: {e}", extractor.name(), doc.id);
        }
        assert!(
            entities.windows(2).all(|w| (w[0].start, w[0].end) <= (w[1].start, w[1].end)),
            "{}: case {:?}: entities are not sorted by (start, end)",
            extractor.name(),
            doc.id
        );
    }
    // The batch path must agree with the one-by-one path.
    let batch = extractor.extract_batch(&docs);
    assert_eq!(batch.len(), docs.len(), "{}: extract_batch returned the wrong number of results", extractor.name());
    for (doc, result) in docs.iter().zip(batch) {
        let batched = result.unwrap_or_else(|e| panic!("{}: batch failed on case {:?}: {e}", extractor.name(), doc.id));
        let single = extractor.extract(doc).unwrap();
        assert_eq!(spans(&batched), spans(&single), "{}: case {:?}: batch and single extraction differ", extractor.name(), doc.id);
    }
    check_threads_agree(extractor, &docs);
}

/// What the checks compare of two answers: each entity's span and label.
fn spans(entities: &[crate::Entity]) -> Vec<(usize, usize, crate::Label)> {
    entities.iter().map(|e| (e.start, e.end, e.label.clone())).collect()
}

/// Several threads extracting at once (each through the cases in another order, so that state
/// an extractor keeps between documents, like a per-thread cache, sees them interleaved) must
/// find what one thread finds. The long case is left out: it only adds time here.
fn check_threads_agree(extractor: &dyn Extractor, docs: &[Document]) {
    let found = |doc: &Document| {
        let entities = extractor.extract(doc).unwrap_or_else(|e| panic!("{}: failed on case {:?}: {e}", extractor.name(), doc.id));
        spans(&entities)
    };
    let short: Vec<&Document> = docs.iter().filter(|d| d.text.len() < 10_000).collect();
    let alone: Vec<_> = short.iter().map(|d| found(d)).collect();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (short, alone, found) = (&short, &alone, &found);
            scope.spawn(move || {
                for k in (0..3 * short.len()).map(|k| (k + thread * 3) % short.len()) {
                    assert_eq!(
                        found(short[k]),
                        alone[k],
                        "{}: case {:?}: another answer on a thread among others",
                        extractor.name(),
                        short[k].id
                    );
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Entity, Label};

    /// Finds its first word only when the document before it, across all threads, was the
    /// one before it in `cases()`: state shared between documents, the bug the threads check
    /// is there to catch.
    struct RemembersTheLastDocument {
        last: std::sync::Mutex<String>,
    }

    impl Extractor for RemembersTheLastDocument {
        fn name(&self) -> &str {
            "remembers"
        }
        fn labels(&self) -> &[Label] {
            &Label::CONLL
        }
        fn extract(&self, document: &Document) -> crate::Result<Vec<Entity>> {
            let mut last = self.last.lock().unwrap();
            let ids: Vec<String> = cases().into_iter().map(|d| d.id).collect();
            let in_order = ids.iter().position(|id| *id == document.id).is_some_and(|k| k > 0 && ids[k - 1] == *last);
            *last = document.id.clone();
            let first = document.text.split(' ').next().filter(|w| !w.is_empty() && w.is_ascii());
            match first {
                Some(word) if in_order => Ok(vec![Entity::new(&document.text, 0, word.len(), Label::ORG)?]),
                _ => Ok(Vec::new()),
            }
        }
    }

    #[test]
    fn an_extractor_with_state_shared_between_documents_fails_the_threads_check() {
        let extractor = RemembersTheLastDocument { last: std::sync::Mutex::new(String::new()) };
        let docs = cases();
        // One thread in the cases' order finds the same each time...
        let once: Vec<_> = docs.iter().map(|d| extractor.extract(d).unwrap().len()).collect();
        assert_eq!(once, docs.iter().map(|d| extractor.extract(d).unwrap().len()).collect::<Vec<_>>());
        // ...threads in other orders do not.
        let failed = catch_unwind(AssertUnwindSafe(|| check_threads_agree(&extractor, &docs)));
        assert!(failed.is_err());
    }
}
