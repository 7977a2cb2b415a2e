//! Through the C ABI, the plugin finds exactly what the statically linked extractor finds, on
//! the news corpus, CoNLL-2003 test and the conformance cases, configured as the `rules`
//! entry of nerlab.toml.

use std::path::{Path, PathBuf};

use nerlab_core::{BuildContext, Family, conformance, read_corpus, CorpusFormat, Document, Extractor, TagScheme};
use nerlab_plugin::testing::{build_plugins, library_path, Profile};
use nerlab_plugin::PluginExtractor;
use nerlab_rules::{RulesConfig, RulesExtractor};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The parameters of the `kind = "rules"` entry of nerlab.toml (an empty table if none).
fn configured_params() -> toml::Table {
    let text = std::fs::read_to_string(root().join("nerlab.toml")).unwrap();
    let config: toml::Table = text.parse().unwrap();
    let extractors = config
        .get("extractors")
        .and_then(|e| e.as_array())
        .cloned()
        .unwrap_or_default();
    extractors
        .into_iter()
        .filter_map(|e| e.as_table().cloned())
        .find(|e| e.get("kind").and_then(|k| k.as_str()) == Some("rules"))
        .and_then(|e| e.get("params").and_then(|p| p.as_table()).cloned())
        .unwrap_or_default()
}

#[test]
fn the_loaded_plugin_matches_the_static_extractor() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-tests");
    let dir = build_plugins(&["nerlab-plugin-rules"], &target, Profile::Dev)
        .unwrap_or_else(|e| panic!("{e}"));
    let params = configured_params();
    // What the plugin family does with its parameters: hand them over as JSON.
    let json = serde_json::to_string(&params).unwrap();
    let loaded =
        PluginExtractor::load(library_path(&dir, "nerlab-plugin-rules"), &json, &root()).unwrap();
    let config: RulesConfig = toml::Value::Table(params).try_into().unwrap();
    let linked = RulesExtractor::from_config(config, &BuildContext::new(&root(), "rules")).unwrap();
    assert_eq!(loaded.labels(), linked.labels());
    conformance::check_extractor(&loaded);

    let mut docs: Vec<Document> = conformance::cases();
    let conll = CorpusFormat::Conll {
        scheme: TagScheme::Iob2,
        sentences_per_document: 1,
    };
    for (path, format) in [
        (root().join("corpus/news"), CorpusFormat::Brat),
        (root().join("corpus/conll2003/test.txt"), conll),
    ] {
        docs.extend(
            read_corpus(&path, &format)
                .unwrap()
                .into_iter()
                .map(|d| d.document),
        );
    }
    let mut found = 0;
    for doc in &docs {
        let want = linked.extract(doc).unwrap();
        assert_eq!(loaded.extract(doc).unwrap(), want, "document {}", doc.id);
        found += want.len();
    }
    assert!(
        found > 1000,
        "the comparison should cover many entities, found {found}"
    );
}
