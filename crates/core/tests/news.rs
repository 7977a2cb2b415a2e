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

#[test]
fn news_gold_has_canonical_ids_except_for_dates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/news");
    let docs = read_corpus(&dir, &CorpusFormat::Brat).unwrap_or_else(|e| panic!("{e}"));
    for doc in &docs {
        for e in &doc.entities {
            let id = &doc.document.id;
            match (e.label.as_str(), &e.canonical) {
                ("DATE", None) => {}
                ("DATE", Some(c)) => panic!("{id}: DATE {:?} has an id {c}", e.text),
                (_, None) => panic!("{id}: {} {:?} has no canonical id", e.label, e.text),
                (_, Some(c)) => {
                    let slug = c.strip_prefix("nerlab:").unwrap_or_else(|| panic!("{id}: {c} is not a nerlab: id"));
                    assert!(
                        !slug.is_empty() && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                        "{id}: {c} is not a slug"
                    );
                }
            }
        }
    }
}
