//! The hand-annotated news corpus loads, every gold span matches its text, and every
//! document has gold entities (so this fails while the `.ann` files are missing).

use std::path::Path;

use nerlab_core::{read_corpus, validate_entities, CorpusFormat};

#[test]
fn news_gold_spans_match() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/news");
    let docs = read_corpus(&dir, &CorpusFormat::Brat).unwrap_or_else(|e| panic!("{e}"));
    assert!(docs.len() >= 5, "expected the five news articles, found {}", docs.len());
    for doc in &docs {
        let id = &doc.document.id;
        assert!(dir.join(format!("{id}.ann")).is_file(), "{id}: no .ann file");
        assert!(!doc.entities.is_empty(), "{id}: no gold entities");
        validate_entities(&doc.document.text, &doc.entities, None).unwrap_or_else(|e| panic!("{id}: {e}"));
        for e in &doc.entities {
            assert_eq!(doc.document.text.get(e.start..e.end), Some(e.text.as_str()), "{id}");
            assert!(!e.text.trim().is_empty() && e.text.trim() == e.text, "{id}: entity {:?} has surrounding whitespace", e.text);
        }
        assert!(doc.entities.windows(2).all(|w| (w[0].start, w[0].end) <= (w[1].start, w[1].end)), "{id}: not sorted");
    }
}
