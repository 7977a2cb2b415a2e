//! CoNLL in each scheme (the first byte picks the scheme and the grouping). Parsing never
//! panics; what parses keeps the span invariant.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nerlab_core::formats::conll::parse_str;
use nerlab_core::TagScheme;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(source) = std::str::from_utf8(rest) else { return };
    let scheme = [TagScheme::Iob1, TagScheme::Iob2, TagScheme::Bioes][usize::from(first % 3)];
    let per_document = usize::from(first / 3 % 4);
    match parse_str(source, "d", scheme, per_document) {
        Ok(docs) => nerlab_fuzz::check_docs(&docs),
        Err(e) => nerlab_fuzz::one_line(&e),
    }
});
