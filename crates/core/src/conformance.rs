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
/// invalid span, an undeclared label, unsorted entities, or errors on any case.
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
        let spans = |es: &[crate::Entity]| es.iter().map(|e| (e.start, e.end, e.label.clone())).collect::<Vec<_>>();
        assert_eq!(spans(&batched), spans(&single), "{}: case {:?}: batch and single extraction differ", extractor.name(), doc.id);
    }
}
