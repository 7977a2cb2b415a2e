//! Throughput of the dictionary extractor on the news text, with the shipped gazetteers:
//! the automaton alone (`matching`), accepted matches (boundary and case checks, name
//! extension), and the full extractor (entities built). Also the build time of the automata.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nerlab_core::{validate_entities, BuildContext, Document, Extractor, Family};
use nerlab_dictionary::{DictionaryConfig, DictionaryExtractor};

fn build() -> DictionaryExtractor {
    DictionaryExtractor::from_config(DictionaryConfig::default(), &BuildContext::new(nerlab_benches::project_root(), "dictionary"))
        .expect("shipped gazetteers load")
}

/// As in nerlab.toml: normalisation on, with the English word list.
fn build_normalized() -> DictionaryExtractor {
    let config =
        DictionaryConfig { normalize: true, lexicon: Some("models/rules/english-words.txt".into()), ..DictionaryConfig::default() };
    DictionaryExtractor::from_config(config, &BuildContext::new(nerlab_benches::project_root(), "dictionary"))
        .expect("shipped gazetteers and word list load")
}

fn bench(c: &mut Criterion) {
    let dict = build();
    let text = nerlab_benches::news_text();
    let doc = Document::new("news", text.clone());

    // Check the answer before timing: valid entities, and the names the news is about.
    let entities = dict.extract(&doc).expect("extraction succeeds");
    validate_entities(&doc.text, &entities, Some(dict.labels())).expect("valid entities");
    for name in ["NATO", "Russia", "Brussels", "Moscow"] {
        assert!(entities.iter().any(|e| e.text == name), "{name} not found in the news text");
    }
    assert!(dict.count_raw_matches(&text) >= entities.len());

    let mut group = c.benchmark_group("dictionary");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("matching", |b| b.iter(|| dict.count_raw_matches(std::hint::black_box(&text))));
    group.bench_function("find", |b| b.iter(|| dict.find(std::hint::black_box(&text)).len()));
    group.bench_function("extract", |b| b.iter(|| dict.extract(std::hint::black_box(&doc)).map(|e| e.len())));
    let normalized = build_normalized();
    let found = normalized.extract(&doc).expect("extraction succeeds");
    validate_entities(&doc.text, &found, Some(normalized.labels())).expect("valid entities");
    assert!(found.iter().any(|e| e.text == "NA-TO"), "normalisation finds the hyphenated NA-TO");
    group.bench_function("extract-normalized", |b| b.iter(|| normalized.extract(std::hint::black_box(&doc)).map(|e| e.len())));
    group.finish();

    let mut group = c.benchmark_group("dictionary-build");
    group.sample_size(10);
    group.bench_function("from_config", |b| b.iter(|| build().len()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
