//! JSONL. Parsing never panics; what parses keeps the span invariant.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    match nerlab_core::formats::jsonl::parse_str(source) {
        Ok(docs) => nerlab_fuzz::check_docs(&docs),
        Err(e) => nerlab_fuzz::one_line(&e),
    }
});
