//! Through the C ABI, the plugin finds exactly what the statically linked extractor finds, on
//! the news corpus, CoNLL-2003 test and the conformance cases, configured as the `dictionary`
//! entry of nerlab.toml.

use std::path::Path;

#[test]
fn the_loaded_plugin_matches_the_static_extractor() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-tests");
    let compared =
        nerlab_plugin::testing::assert_plugin_matches::<nerlab_dictionary::DictionaryExtractor>("nerlab-plugin-dictionary", &root, &target);
    assert!(compared > 1000, "the comparison should cover many entities, found {compared}");
}
