//! Gazetteer TSV. Parsing never panics; errors are one line.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = nerlab_dictionary::gazetteer::parse(text, std::path::Path::new("fuzz.tsv"), None) {
        nerlab_fuzz::one_line(&e);
    }
});
