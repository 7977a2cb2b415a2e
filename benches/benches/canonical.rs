//! Cost of corpus-level canonicalisation (`nerlab-canonical`) as the corpus grows: 10k and
//! 100k mentions. The mentions are CoNLL-2003 train's gold mentions, in their documents;
//! beyond one pass over train, each further pass renames every mention with a suffix word
//! of its own (`Lavrov Qb`), so that the number of *distinct* names grows with the number of
//! mentions as in a larger real corpus. Linear cost shows as equal time per mention at both
//! sizes. Throughput is in mentions.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nerlab_canonical::{Canonicalizer, Config};
use nerlab_core::{read_corpus, CorpusFormat, Document, Entity, TagScheme};

/// `n` mentions in documents, from CoNLL train, renamed on every pass after the first.
fn corpus(n: usize) -> (Vec<Document>, Vec<Vec<Entity>>) {
    let path = nerlab_benches::project_root().join("corpus/conll2003/train.txt");
    let train = read_corpus(&path, &CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 }).expect("CoNLL train reads");
    let (mut docs, mut ents, mut total) = (Vec::new(), Vec::new(), 0);
    for pass in 0.. {
        for d in &train {
            if total >= n {
                return (docs, ents);
            }
            let take = (n - total).min(d.entities.len());
            if pass == 0 {
                docs.push(d.document.clone());
                ents.push(d.entities[..take].to_vec());
            } else {
                // Append the renamed mentions after the text so spans stay exact.
                let tag = format!(" Q{}", pass_name(pass));
                let mut text = d.document.text.clone();
                let mut renamed = Vec::with_capacity(take);
                for e in &d.entities[..take] {
                    text.push('\n');
                    let start = text.len();
                    text.push_str(&e.text);
                    text.push_str(&tag);
                    renamed.push(Entity::new(&text, start, text.len(), e.label.clone()).expect("span just written"));
                }
                docs.push(Document::new(format!("{}-{pass}", d.document.id), text));
                ents.push(renamed);
            }
            total += take;
        }
    }
    unreachable!("the loop returns")
}

/// `a`, `b`, ..., `z`, `ba`, ... : a letters-only name for a pass.
fn pass_name(mut pass: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'a' + (pass % 26) as u8);
        pass /= 26;
        if pass == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

fn stage() -> Canonicalizer {
    let config = Config {
        lexicon: Some("models/rules/english-words.txt".into()),
        gazetteers: vec!["models/gazetteers/aliases.tsv".into(), "models/gazetteers/countries.tsv".into()],
        ..Config::default()
    };
    Canonicalizer::from_config(&config, &nerlab_benches::project_root()).expect("shipped files load")
}

fn bench(c: &mut Criterion) {
    let canonicalizer = stage();
    let mut group = c.benchmark_group("canonical");
    group.sample_size(10);
    for n in [10_000, 100_000] {
        let (docs, ents) = corpus(n);
        // Check the answer before timing: every mention gets an id, variants are merged.
        let mut checked = ents.clone();
        let entities = canonicalizer.canonicalize(&docs, &mut checked);
        assert_eq!(entities.iter().map(|e| e.mentions).sum::<usize>(), n);
        assert!(checked.iter().flatten().all(|e| e.canonical.is_some()));
        let distinct: std::collections::HashSet<(&str, &str)> =
            ents.iter().flatten().map(|e| (e.label.as_str(), e.text.as_str())).collect();
        assert!(entities.len() < distinct.len(), "{} entities from {} distinct names", entities.len(), distinct.len());
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &(docs, ents), |b, (docs, ents)| {
            b.iter_batched(|| ents.clone(), |mut e| canonicalizer.canonicalize(docs, &mut e).len(), criterion::BatchSize::LargeInput)
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
