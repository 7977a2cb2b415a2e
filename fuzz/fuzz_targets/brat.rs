//! brat: a `.txt` and an `.ann` (the input split at its first NUL). Parsing never panics;
//! what parses keeps the span invariant and survives writing and reading back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nerlab_core::formats::brat::{parse_ann, to_ann};
use nerlab_core::{AnnotatedDocument, Document};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let (text, ann) = input.split_once('\0').unwrap_or((input, ""));
    match parse_ann(ann, text) {
        Ok(entities) => {
            nerlab_fuzz::check(text, &entities);
            let doc = AnnotatedDocument { document: Document::new("d", text), entities };
            let written = to_ann(&doc).expect("valid entities are writable");
            let again = parse_ann(&written, text).expect("what was written reads back");
            assert_eq!(again, doc.entities);
        }
        Err(e) => nerlab_fuzz::one_line(&e),
    }
});
