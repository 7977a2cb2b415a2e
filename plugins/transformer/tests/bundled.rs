//! The `transformer` kind as `nerlab` builds it, from this library (found beside the test
//! executable, where cargo builds it), finds exactly what the statically linked family finds,
//! through the batch entry point and one document at a time; and the family's own errors
//! cross the ABI.

use std::path::{Path, PathBuf};

use nerlab_core::{BuildContext, CorpusFormat, Document, Extractor, Family};
use nerlab_orchestrator::{build_extractor, Config, Registry};
use nerlab_transformer::{TransformerConfig, TransformerExtractor};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config(params: &str) -> Config {
    let text = format!("[[extractors]]\nname = \"transformer\"\nkind = \"transformer\"\nparams = {params}\n");
    Config::parse(&text, &root().join("bundled-test.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_bundled_library_matches_the_static_family_in_batches_and_alone() {
    let config = config(r#"{ model_dir = "models/minilm-conll03" }"#);
    let loaded = build_extractor(&config, &Registry::builtin(), &config.extractors[0]).unwrap_or_else(|e| panic!("{e}"));
    let linked_config = TransformerConfig { model_dir: "models/minilm-conll03".into(), ..Default::default() };
    let linked = TransformerExtractor::from_config(linked_config, &BuildContext::new(root(), "transformer")).unwrap();
    assert_eq!(loaded.labels(), linked.labels());

    let news = nerlab_core::read_corpus(&root().join("corpus/news"), &CorpusFormat::Brat).unwrap();
    let documents: Vec<Document> = news.into_iter().map(|d| d.document).take(8).collect();
    let want: Vec<_> = linked.extract_batch(&documents).into_iter().map(Result::unwrap).collect();
    let batched: Vec<_> = loaded.extract_batch(&documents).into_iter().map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect();
    assert_eq!(batched, want);
    // One at a time (padded differently, so scores may differ from the batch's in the last
    // digits): again what the linked family answers.
    let alone: Vec<_> = documents.iter().map(|d| loaded.extract(d).unwrap()).collect();
    let want_alone: Vec<_> = documents.iter().map(|d| linked.extract(d).unwrap()).collect();
    assert_eq!(alone, want_alone);
    assert!(want.iter().map(Vec::len).sum::<usize>() > 20, "the news documents have entities");
}

#[test]
fn the_familys_own_parameter_errors_cross_the_abi() {
    let config = config(r#"{ model_dir = "models/minilm-conll03", strdie = 3 }"#);
    let error = build_extractor(&config, &Registry::builtin(), &config.extractors[0]).err().expect("an unknown key is refused");
    let message = error.to_string();
    assert!(message.contains("unknown field `strdie`"), "{message}");
}
