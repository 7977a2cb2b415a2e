//! The news rules on arbitrary text: no panic, exact spans.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nerlab_core::{BuildContext, Document, Extractor, Family};
use nerlab_rules::{RulesConfig, RulesExtractor};

fuzz_target!(|data: &[u8]| {
    static EXTRACTOR: OnceLock<RulesExtractor> = OnceLock::new();
    let extractor = EXTRACTOR
        .get_or_init(|| RulesExtractor::from_config(RulesConfig::default(), &BuildContext::new(nerlab_fuzz::repo(), "fuzz")).unwrap());
    let text = String::from_utf8_lossy(data);
    let found = extractor.extract(&Document::new("d", text.as_ref())).expect("extraction does not fail");
    nerlab_fuzz::check(&text, &found);
});
