//! Through the C ABI, the plugin finds exactly what the statically linked extractor finds, on
//! the news corpus, CoNLL-2003 test and the conformance cases.

use std::path::{Path, PathBuf};

use nerlab_core::{conformance, read_corpus, CorpusFormat, Document, Extractor, TagScheme};
use nerlab_plugin::testing::{build_plugins, library_path, Profile};
use nerlab_plugin::PluginExtractor;
use nerlab_dictionary::{DictionaryConfig, DictionaryExtractor};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_loaded_plugin_matches_the_static_extractor() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-tests");
    let dir = build_plugins(&["nerlab-plugin-dictionary"], &target, Profile::Dev).unwrap_or_else(|e| panic!("{e}"));
    // The default configuration, as the orchestrator would pass it: an empty table.
    let loaded = PluginExtractor::load(library_path(&dir, "nerlab-plugin-dictionary"), "{}", &root()).unwrap();
    let linked = DictionaryExtractor::from_config(DictionaryConfig::default(), &root()).unwrap();
    assert_eq!(loaded.labels(), linked.labels());
    conformance::check_extractor(&loaded);

    let mut docs: Vec<Document> = conformance::cases();
    let conll = CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 };
    for (path, format) in [(root().join("corpus/news"), CorpusFormat::Brat), (root().join("corpus/conll2003/test.txt"), conll)] {
        docs.extend(read_corpus(&path, &format).unwrap().into_iter().map(|d| d.document));
    }
    let mut found = 0;
    for doc in &docs {
        let want = linked.extract(doc).unwrap();
        assert_eq!(loaded.extract(doc).unwrap(), want, "document {}", doc.id);
        found += want.len();
    }
    assert!(found > 1000, "the comparison should cover many entities, found {found}");
}
