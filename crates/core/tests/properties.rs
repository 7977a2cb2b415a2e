//! Properties over arbitrary documents: brat and JSONL give back any document they were
//! given (the CoNLL round trip, which needs token-aligned entities, is in `formats.rs`), and
//! scores do not depend on the order of documents or of predictions.

use nerlab_core::metrics::evaluate;
use nerlab_core::{read_corpus, write_corpus, AnnotatedDocument, CorpusFormat, Document, Entity, Label};
use proptest::prelude::*;

const LABELS: [Label; 4] = [Label::PER, Label::ORG, Label::LOC, Label::MISC];

/// Any text (line breaks, tabs, `\r`, no-break spaces, astral characters) with any entities
/// on its character boundaries, overlapping or not.
fn arb_doc() -> impl Strategy<Value = AnnotatedDocument> {
    let text = "[\\PC\\r\\n\\t\u{a0}\u{85}\u{2028}]{0,80}";
    (
        text,
        prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0usize..4, prop::option::of(0f32..=1.0)), 0..6),
    )
        .prop_map(|(text, raw)| {
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let mut entities = Vec::new();
            for (a, b, label, score) in raw {
                let (a, b) = (a.index(bounds.len()), b.index(bounds.len()));
                let (start, end) = (bounds[a.min(b)], bounds[a.max(b)]);
                if start < end {
                    let mut e = Entity::new(&text, start, end, LABELS[label].clone()).unwrap();
                    e.score = score;
                    entities.push(e);
                }
            }
            entities.sort_by(|a, b| (a.start, a.end, &a.label).cmp(&(b.start, b.end, &b.label)));
            AnnotatedDocument { document: Document::new("", text), entities }
        })
}

fn with_ids(docs: Vec<AnnotatedDocument>) -> Vec<AnnotatedDocument> {
    docs.into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            d.document.id = format!("doc{i}");
            d
        })
        .collect()
}

/// `docs` without what brat cannot hold (scores).
fn without_scores(docs: &[AnnotatedDocument]) -> Vec<AnnotatedDocument> {
    let mut docs = docs.to_vec();
    docs.iter_mut().flat_map(|d| d.entities.iter_mut()).for_each(|e| e.score = None);
    docs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn brat_and_jsonl_give_back_any_document(docs in prop::collection::vec(arb_doc(), 1..4)) {
        let docs = with_ids(docs);
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("c.jsonl");
        write_corpus(&jsonl, &CorpusFormat::Jsonl, &docs).unwrap();
        prop_assert_eq!(read_corpus(&jsonl, &CorpusFormat::Jsonl).unwrap(), docs.clone());
        let brat = dir.path().join("brat");
        write_corpus(&brat, &CorpusFormat::Brat, &docs).unwrap();
        prop_assert_eq!(read_corpus(&brat, &CorpusFormat::Brat).unwrap(), without_scores(&docs));
    }

    #[test]
    fn scores_do_not_depend_on_the_order_of_documents_or_predictions(
        docs in prop::collection::vec((arb_doc(), arb_doc()), 1..6),
        seed in any::<u64>(),
    ) {
        // Gold and predictions on the same text: the second document's entities, moved onto
        // the first one's text where they fit, so that predictions overlap gold often.
        let pairs: Vec<(Vec<Entity>, Vec<Entity>)> = docs
            .into_iter()
            .map(|(gold, other)| {
                let text = &gold.document.text;
                let pred = other.entities.iter().filter_map(|e| Entity::new(text, e.start, e.end, e.label.clone()).ok()).chain(gold.entities.iter().step_by(2).cloned()).collect();
                (gold.entities, pred)
            })
            .collect();
        let scope = LABELS.to_vec();
        let score = |pairs: &[(Vec<Entity>, Vec<Entity>)]| {
            serde_json::to_string(&evaluate(pairs.iter().map(|(g, p)| (g.as_slice(), p.as_slice())), &scope)).unwrap()
        };
        let expected = score(&pairs);
        // A deterministic shuffle of documents and of every document's predictions and gold.
        let mut state = seed | 1;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        let mut shuffled = pairs.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, next(i + 1));
        }
        for (gold, pred) in &mut shuffled {
            for v in [gold, pred] {
                for i in (1..v.len()).rev() {
                    let j = next(i + 1);
                    v.swap(i, j);
                }
            }
        }
        prop_assert_eq!(score(&shuffled), expected);
    }
}

fn ent(text: &str, start: usize, end: usize, label: Label) -> Entity {
    Entity::new(text, start, end, label).unwrap()
}

/// nervaluate processes predictions in the order given, so two predictions over one gold
/// entity score differently when swapped; here they do not.
#[test]
fn overlapping_predictions_score_the_same_in_either_order() {
    let text = "Alexander Grushko spoke";
    let gold = [ent(text, 0, 17, Label::PER)];
    let a = ent(text, 0, 9, Label::PER);
    let b = ent(text, 10, 23, Label::ORG);
    let one = evaluate([(&gold[..], &[a.clone(), b.clone()][..])], &LABELS);
    let other = evaluate([(&gold[..], &[b, a][..])], &LABELS);
    assert_eq!(one, other);
}

/// nervaluate counts one gold entity once per overlapping prediction; here a gold entity is
/// overlapped (partial) once, and further predictions over it are spurious.
#[test]
fn a_gold_entity_overlapped_twice_counts_once() {
    let text = "Alexander Grushko spoke";
    let gold = [ent(text, 0, 17, Label::PER)];
    let pred = [ent(text, 0, 9, Label::PER), ent(text, 10, 17, Label::PER)];
    let partial = evaluate([(&gold[..], &pred[..])], &LABELS).schemes.partial;
    assert_eq!((partial.partial, partial.spurious, partial.possible), (1, 1, 1), "{partial:?}");
}
