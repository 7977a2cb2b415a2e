//! Rule files. Compiling never panics; a rule set that compiles runs on its own source text
//! and on a news sentence keeping the span invariant.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nerlab_rules::RuleSet;

const SAMPLE: &str = "Mr. Sergey Lavrov told NATO in Brussels on Monday, 3 May 1996, that the U.N. agreed.";

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    match RuleSet::from_str_in(source, std::path::Path::new("/nonexistent")) {
        Ok(rules) => {
            for text in [SAMPLE, source] {
                let found: Vec<_> = rules
                    .find(text)
                    .into_iter()
                    .map(|(s, e, l)| nerlab_core::Entity::new(text, s, e, l).expect("rule spans are exact"))
                    .collect();
                nerlab_fuzz::check(text, &found);
            }
        }
        Err(e) => nerlab_fuzz::one_line(&e),
    }
});
