//! The plugin loaded through the C ABI, as nerlab loads it, gives exactly what the statically
//! linked extractor gives.

use std::path::Path;

use nerlab_core::{conformance, Document, Extractor};
use nerlab_plugin::testing::{build_plugins, library_path, Profile};
use nerlab_plugin::PluginExtractor;
use nerlab_plugin_patterns::{PatternsConfig, PatternsExtractor};

#[test]
fn the_loaded_plugin_matches_the_static_extractor() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-tests");
    let dir = build_plugins(&["nerlab-plugin-patterns"], &target, Profile::Dev).unwrap_or_else(|e| panic!("{e}"));
    let loaded = PluginExtractor::load(library_path(&dir, "nerlab-plugin-patterns"), "{}", Path::new(".")).unwrap();
    let linked = PatternsExtractor::new(PatternsConfig::default()).unwrap();
    assert_eq!(loaded.labels(), linked.labels());

    let news = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/news");
    let mut docs: Vec<Document> = std::fs::read_dir(&news)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| Document::new(p.file_stem().unwrap().to_string_lossy(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    assert!(!docs.is_empty());
    docs.extend(conformance::cases());
    docs.push(Document::new("patterns", "press@nato.int, https://nato.int/a?b=1. @NATO 1,250.5% — Zoë 42"));
    let mut found = 0;
    for doc in &docs {
        let want = linked.extract(doc).unwrap();
        assert_eq!(loaded.extract(doc).unwrap(), want, "document {}", doc.id);
        found += want.len();
    }
    assert!(found > 10, "the comparison should cover real entities, found {found}");
}
