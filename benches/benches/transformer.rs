//! Throughput of the transformer extractor (MiniLM-L6 fine-tuned on CoNLL-2003) on the news
//! text, per backend (libtorch; ONNX Runtime fp32 and int8 where `cargo xtask setup` installed
//! it), all cores. Reported twice: bytes/s, and word-pieces/s (the unit of the target,
//! independent of the text's wording). Load time and the backend's description go to stderr.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nerlab_core::{validate_entities, BuildContext, Document, Extractor, Family, Label};
use nerlab_transformer::{BackendKind, TransformerConfig, TransformerExtractor};

fn transformer(c: &mut Criterion) {
    let root = nerlab_benches::project_root();
    let doc = Document::new("news", nerlab_benches::news_text());
    let mut group = c.benchmark_group("transformer");
    group.sample_size(10);
    for backend in [BackendKind::Libtorch, BackendKind::OnnxFp32, BackendKind::OnnxInt8] {
        if backend != BackendKind::Libtorch && !root.join("target/onnx/libonnxruntime.so").exists() {
            eprintln!("{}: skipped, ONNX Runtime is not set up (`cargo xtask setup`)", backend.name());
            continue;
        }
        let start = std::time::Instant::now();
        let config = TransformerConfig { backend, ..TransformerConfig::default() };
        let extractor = TransformerExtractor::from_config(config, &BuildContext::new(&root, "transformer"))
            .unwrap_or_else(|e| panic!("models/minilm-conll03 loads on {}: {e}", backend.name()));
        eprintln!("{}: model load {:.2} s; {}", backend.name(), start.elapsed().as_secs_f64(), extractor.backend_description());
        let pieces = extractor.word_pieces(&doc.text).expect("tokenizes");

        // Check the answer before timing it: valid spans, and obvious names found.
        let entities = extractor.extract(&doc).expect("extraction succeeds");
        validate_entities(&doc.text, &entities, Some(extractor.labels())).expect("valid entities");
        let has = |label: Label, text: &str| entities.iter().any(|e| e.label == label && e.text == text);
        assert!(has(Label::ORG, "NATO") && has(Label::LOC, "Moscow"), "NATO and Moscow are found");

        // libtorch keeps the bench ids it always had, so earlier numbers stay comparable.
        let name = |unit: &str| match backend {
            BackendKind::Libtorch => unit.to_string(),
            other => format!("{unit}/{}", other.name()),
        };
        group.throughput(Throughput::Bytes(doc.text.len() as u64));
        group.bench_function(name("news"), |b| b.iter(|| extractor.extract(std::hint::black_box(&doc)).expect("extraction succeeds")));
        group.throughput(Throughput::Elements(pieces as u64));
        group.bench_function(name("news-word-pieces"), |b| {
            b.iter(|| extractor.extract(std::hint::black_box(&doc)).expect("extraction succeeds"))
        });
    }
    group.finish();
}

criterion_group!(benches, transformer);
criterion_main!(benches);
