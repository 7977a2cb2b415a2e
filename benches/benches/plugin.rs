//! What crossing the plugin ABI costs: each of nerlab's own extractors statically linked vs the
//! same extractor loaded as a plugin (plugins/), on the news articles (long documents) and on
//! CoNLL-2003 valid sentences (short documents, where the per-call overhead shows most).
//!
//! The plugins are built in release mode into a target directory of their own (a nested
//! `cargo build` into the outer one would wait on its lock). Before timing, the bench checks
//! both sides find the same, non-empty entities.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nerlab_core::{read_corpus, BuildContext, CorpusFormat, Document, Extractor, Family, TagScheme};
use nerlab_plugin::testing::{build_plugins, library_path, Profile};
use nerlab_plugin::PluginExtractor;

fn corpus(path: &str, format: CorpusFormat, limit: usize) -> Vec<Document> {
    let path = nerlab_benches::project_root().join(path);
    read_corpus(&path, &format).expect("corpus").into_iter().take(limit).map(|d| d.document).collect()
}

fn run(x: &dyn Extractor, docs: &[Document]) -> usize {
    docs.iter().map(|d| x.extract(d).expect("extraction succeeds").len()).sum()
}

fn bench(c: &mut Criterion) {
    let root = nerlab_benches::project_root();
    let packages = ["nerlab-plugin-rules", "nerlab-plugin-dictionary", "nerlab-plugin-patterns"];
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-bench");
    let dir = build_plugins(&packages, &target, Profile::Release).unwrap_or_else(|e| panic!("{e}"));
    let load = |package: &str| PluginExtractor::load(library_path(&dir, package), "{}", &root).expect("plugin loads");

    let pairs: Vec<(&str, Box<dyn Extractor>, PluginExtractor)> = vec![
        (
            "rules",
            Box::new(nerlab_rules::RulesExtractor::from_config(Default::default(), &BuildContext::new(&root, "rules")).unwrap()),
            load("nerlab-plugin-rules"),
        ),
        (
            "dictionary",
            Box::new(
                nerlab_dictionary::DictionaryExtractor::from_config(Default::default(), &BuildContext::new(&root, "dictionary")).unwrap(),
            ),
            load("nerlab-plugin-dictionary"),
        ),
        ("patterns", Box::new(nerlab_plugin_patterns::PatternsExtractor::new(Default::default()).unwrap()), load("nerlab-plugin-patterns")),
    ];
    let conll = CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 };
    let corpora = [
        ("news", corpus("corpus/news", CorpusFormat::Brat, usize::MAX)),
        ("conll-valid-sentences", corpus("corpus/conll2003/valid.txt", conll, 1000)),
    ];

    for (corpus_name, docs) in &corpora {
        let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
        let mut group = c.benchmark_group(format!("plugin/{corpus_name}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        for (name, linked, loaded) in &pairs {
            // Check the answer before timing: same entities both ways, and some of them.
            let mut found = 0;
            for d in docs {
                let want = linked.extract(d).unwrap();
                assert_eq!(loaded.extract(d).unwrap(), want, "{name} differs on {}", d.id);
                found += want.len();
            }
            assert!(found > 0 || *name == "patterns", "{name} finds nothing on {corpus_name}");
            group.bench_with_input(BenchmarkId::new(*name, "static"), docs, |b, docs| b.iter(|| run(linked.as_ref(), docs)));
            group.bench_with_input(BenchmarkId::new(*name, "plugin"), docs, |b, docs| b.iter(|| run(loaded, docs)));
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
