//! Throughput of the transformer extractor (MiniLM-L6 fine-tuned on CoNLL-2003) on the news
//! text, with libtorch's default threads (all cores). Reported twice: bytes/s, and
//! word-pieces/s (the unit of the target, independent of the text's wording).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nerlab_core::{validate_entities, BuildContext, Document, Extractor, Family, Label};
use nerlab_transformer::{TransformerConfig, TransformerExtractor};

fn transformer(c: &mut Criterion) {
    let root = nerlab_benches::project_root();
    let start = std::time::Instant::now();
    let extractor = TransformerExtractor::from_config(TransformerConfig::default(), &BuildContext::new(&root, "transformer"))
        .expect("models/minilm-conll03 loads");
    eprintln!("model load: {:.2} s", start.elapsed().as_secs_f64());
    let doc = Document::new("news", nerlab_benches::news_text());
    let pieces = extractor.word_pieces(&doc.text).expect("tokenizes");

    // Check the answer before timing it: valid spans, and obvious names found.
    let entities = extractor.extract(&doc).expect("extraction succeeds");
    validate_entities(&doc.text, &entities, Some(extractor.labels())).expect("valid entities");
    let has = |label: Label, text: &str| entities.iter().any(|e| e.label == label && e.text == text);
    assert!(has(Label::ORG, "NATO") && has(Label::LOC, "Moscow"), "NATO and Moscow are found");

    let mut group = c.benchmark_group("transformer");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(doc.text.len() as u64));
    group.bench_function("news", |b| b.iter(|| extractor.extract(std::hint::black_box(&doc)).expect("extraction succeeds")));
    group.throughput(Throughput::Elements(pieces as u64));
    group.bench_function("news-word-pieces", |b| b.iter(|| extractor.extract(std::hint::black_box(&doc)).expect("extraction succeeds")));
    group.finish();
}

criterion_group!(benches, transformer);
criterion_main!(benches);
