//! Throughput of the ensemble family: rules and dictionary merged by a weighted vote, single
//! thread. The members' own costs are in their benches; this one adds the merge and running
//! the members side by side.

use std::collections::BTreeMap;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nerlab_core::{validate_entities, BuildContext, Document, Extractor, Family, Label};
use nerlab_dictionary::{DictionaryConfig, DictionaryExtractor};
use nerlab_ensemble::{Ensemble, Policy, Vote};
use nerlab_rules::{RulesConfig, RulesExtractor};

fn ensemble(c: &mut Criterion) {
    let root = nerlab_benches::project_root();
    let rules =
        RulesExtractor::from_config(RulesConfig::default(), &BuildContext::new(&root, "rules")).expect("models/rules/news.toml loads");
    let dictionary = DictionaryExtractor::from_config(DictionaryConfig::default(), &BuildContext::new(&root, "dictionary"))
        .expect("shipped gazetteers load");
    let declared = vec![rules.labels().to_vec(), dictionary.labels().to_vec()];
    let members: Vec<(String, Box<dyn Extractor>)> = vec![("rules".into(), Box::new(rules)), ("dictionary".into(), Box::new(dictionary))];
    let vote = Vote::new(vec![1.0, 1.0], vec![BTreeMap::new(); 2], declared, 0.5);
    let extractor = Ensemble::new("ensemble", members, Policy::Vote(vote)).expect("two members");
    let doc = Document::new("news", nerlab_benches::news_text());

    // Check the answer before timing it: valid spans, scored, and a name both members find.
    let entities = extractor.extract(&doc).expect("extraction succeeds");
    validate_entities(&doc.text, &entities, Some(extractor.labels())).expect("valid entities");
    assert!(entities.iter().all(|e| e.score.is_some()), "the ensemble scores every entity");
    assert!(entities.iter().any(|e| e.label == Label::ORG && e.text == "NATO"));

    let mut group = c.benchmark_group("ensemble");
    group.throughput(Throughput::Bytes(doc.text.len() as u64));
    group.bench_function("news-vote", |b| b.iter(|| extractor.extract(std::hint::black_box(&doc)).expect("extraction succeeds")));
    group.finish();
}

criterion_group!(benches, ensemble);
criterion_main!(benches);
