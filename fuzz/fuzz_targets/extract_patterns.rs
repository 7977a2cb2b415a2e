//! The patterns plugin's extractor on arbitrary text: no panic, exact spans.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nerlab_core::{Document, Extractor};
use nerlab_plugin_patterns::{PatternsConfig, PatternsExtractor};

fuzz_target!(|data: &[u8]| {
    static EXTRACTOR: OnceLock<PatternsExtractor> = OnceLock::new();
    let extractor = EXTRACTOR.get_or_init(|| PatternsExtractor::new(PatternsConfig::default()).unwrap());
    let text = String::from_utf8_lossy(data);
    let found = extractor.extract(&Document::new("d", text.as_ref())).expect("extraction does not fail");
    nerlab_fuzz::check(&text, &found);
});
