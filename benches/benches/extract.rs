//! The whole `nerlab extract` path against the extractor alone, on the same text: CoNLL-2003
//! `test` read as `nerlab eval` reads it (one sentence per document), with the extractors of
//! `nerlab.toml`, single thread.
//!
//! - `alone`: `Extractor::extract` on each document, nothing else;
//! - `one-document`: the same sentences as one document (how the per-family benches measure);
//! - `stream`: `nerlab extract`'s engine from JSONL bytes to JSONL bytes (parsing, batching,
//!   validation, sorting, encoding, ordering), one worker thread.
//!
//! `stream` over `alone` is what the orchestrator costs; `alone` over `one-document` is what
//! short documents cost the extractor.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nerlab_core::{CorpusFormat, Document, Extractor, TagScheme};
use nerlab_orchestrator::stream::{extract_stream, jsonl_blocks, StreamOptions, JSONL_BLOCK_BYTES};
use nerlab_orchestrator::{build_extractor, Config, Registry};

fn stream(extractor: &dyn Extractor, jsonl: &[u8], batch_size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(jsonl.len());
    let options = StreamOptions::new(1, batch_size);
    let summary = extract_stream(extractor, jsonl_blocks(jsonl, "bench", JSONL_BLOCK_BYTES), &mut out, &options, &mut |p| panic!("{p}"))
        .expect("in-memory streams do not fail");
    assert!(!summary.had_problems());
    out
}

fn bench(c: &mut Criterion) {
    let root = nerlab_benches::project_root();
    let format = CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 };
    let documents: Vec<Document> = nerlab_core::read_corpus(&root.join("corpus/conll2003/test.txt"), &format)
        .expect("CoNLL test reads")
        .into_iter()
        .map(|d| d.document)
        .collect();
    let jsonl: Vec<u8> = documents.iter().flat_map(|d| serde_json::to_vec(d).expect("serialisable").into_iter().chain([b'\n'])).collect();
    let one = Document::new("all", documents.iter().map(|d| d.text.as_str()).collect::<Vec<_>>().join("\n"));
    let bytes: usize = documents.iter().map(|d| d.text.len()).sum();

    let config = Config::load(&root.join("nerlab.toml")).expect("nerlab.toml loads");
    let registry = Registry::builtin();
    for name in ["rules", "dictionary"] {
        let spec = config.extractors.iter().find(|s| s.name == name).expect("configured");
        let extractor = build_extractor(&config, &registry, spec).expect("builds");

        // Check the answer first: the stream writes every document with exactly the
        // entities the extractor finds alone.
        let alone: usize = documents.iter().map(|d| extractor.extract(d).expect("extracts").len()).sum();
        let out = String::from_utf8(stream(extractor.as_ref(), &jsonl, spec.batch_size)).expect("UTF-8");
        let streamed: usize = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["entities"].as_array().expect("list").len())
            .sum();
        assert_eq!((out.lines().count(), streamed), (documents.len(), alone));
        assert!(alone > 1000, "{name} finds entities in CoNLL test");

        let mut group = c.benchmark_group(format!("extract-path/{name}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        group.sample_size(10).measurement_time(Duration::from_secs(5));
        group.bench_function("one-document", |b| b.iter(|| extractor.extract(std::hint::black_box(&one)).map(|e| e.len())));
        group.bench_function("alone", |b| {
            b.iter(|| documents.iter().map(|d| extractor.extract(std::hint::black_box(d)).map_or(0, |e| e.len())).sum::<usize>())
        });
        group.bench_function("stream", |b| b.iter(|| stream(extractor.as_ref(), std::hint::black_box(&jsonl), spec.batch_size).len()));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
