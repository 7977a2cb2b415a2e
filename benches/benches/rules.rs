//! Throughput of the rule-based extractor with the built-in news rules, single thread.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nerlab_core::{validate_entities, BuildContext, Document, Extractor, Family, Label};
use nerlab_rules::{RulesConfig, RulesExtractor};

fn rules(c: &mut Criterion) {
    let root = nerlab_benches::project_root();
    let extractor =
        RulesExtractor::from_config(RulesConfig::default(), &BuildContext::new(&root, "rules")).expect("models/rules/news.toml loads");
    let doc = Document::new("news", nerlab_benches::news_text());

    // Check the answer before timing it: valid spans, and the obvious names found.
    let entities = extractor.extract(&doc).expect("extraction succeeds");
    validate_entities(&doc.text, &entities, Some(extractor.labels())).expect("valid entities");
    let has = |label: Label, text: &str| entities.iter().any(|e| e.label == label && e.text == text);
    assert!(has(Label::PER, "Sergey Lavrov") && has(Label::ORG, "NATO") && has(Label::DATE, "November 1"));
    assert!(has(Label::ORG, "NA-TO"), "the repaired `NA-TO` is found on the original text");

    let mut group = c.benchmark_group("rules");
    group.throughput(Throughput::Bytes(doc.text.len() as u64));
    group.bench_function("news", |b| b.iter(|| extractor.extract(std::hint::black_box(&doc)).expect("extraction succeeds")));
    group.finish();
}

criterion_group!(benches, rules);
criterion_main!(benches);
