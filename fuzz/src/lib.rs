//! What every fuzz target asserts about what it got back.

use std::path::PathBuf;

use nerlab_core::{validate_entities, AnnotatedDocument, Entity};

/// The repository root (models, corpora).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Panics unless every entity satisfies the span invariant on `text`.
pub fn check(text: &str, entities: &[Entity]) {
    if let Err(e) = validate_entities(text, entities, None) {
        panic!("span invariant broken: {e}\nentities: {entities:?}");
    }
}

/// [`check`] for every document.
pub fn check_docs(docs: &[AnnotatedDocument]) {
    for d in docs {
        check(&d.document.text, &d.entities);
    }
}

/// Panics when an error message spans lines (errors are one line: `path:line: message`).
pub fn one_line(error: &nerlab_core::Error) {
    assert!(!error.to_string().contains('\n'), "multi-line error: {error}");
}
