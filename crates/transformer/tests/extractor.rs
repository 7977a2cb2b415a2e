//! Inference tests on the shipped model (`models/minilm-conll03`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nerlab_core::conformance::check_extractor;
use nerlab_core::{validate_entities, BuildContext, Document, ErrorKind, Extractor, Family, Label};
use nerlab_transformer::text::TextEncoder;
use nerlab_transformer::{TransformerConfig, TransformerExtractor};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model_dir() -> PathBuf {
    root().join("models/minilm-conll03")
}

fn extractor() -> &'static TransformerExtractor {
    static EXTRACTOR: OnceLock<TransformerExtractor> = OnceLock::new();
    EXTRACTOR.get_or_init(|| {
        TransformerExtractor::from_config(TransformerConfig::default(), &BuildContext::new(root(), "transformer"))
            .expect("shipped model loads")
    })
}

fn spans(text: &str) -> Vec<(String, Label)> {
    let doc = Document::new("t", text);
    let ents = extractor().extract(&doc).unwrap();
    validate_entities(text, &ents, Some(extractor().labels())).unwrap();
    ents.into_iter().map(|e| (e.text, e.label)).collect()
}

#[test]
fn conformance() {
    check_extractor(extractor());
}

#[test]
fn word_offsets_are_exact_on_unicode_text() {
    let enc = TextEncoder::from_file(&model_dir().join("tokenizer.json")).unwrap();
    let text = "“NATO” said Grushkó’s deputy, Zoë Ñuñez.";
    let words: Vec<&str> = enc.encode(text).unwrap().words.iter().map(|w| &text[w.start..w.end]).collect();
    assert_eq!(words, ["“", "NATO", "”", "said", "Grushkó", "’", "s", "deputy", ",", "Zoë", "Ñuñez", "."]);
}

#[test]
fn sentence_starts_are_where_long_texts_are_cut() {
    let enc = TextEncoder::from_file(&model_dir().join("tokenizer.json")).unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("He left. Then she came!  Why? Nobody knows", &["Then", "Why", "Nobody"]),
        ("Mr. Smith met E. P. Jones in the U.S. on Monday. Dr. Who", &["Dr"]),
        ("Prices rose 5.5 percent. 18 people left. is it? yes", &["18"]),
        ("\"We will leave.\" The minister (Lavrov.) Said so.\n\nnext line\nand more", &["The", "Said", "next", "and"]),
        ("“Go!” “Now,” he said… «Vite»", &["“", "«"]),
        ("", &[]),
    ];
    for (text, want) in cases {
        let encoded = enc.encode(text).unwrap();
        let got: Vec<&str> = encoded.sentence_starts.iter().map(|&k| &text[encoded.words[k].start..encoded.words[k].end]).collect();
        assert_eq!(&got, want, "{text:?}");
    }
}

#[test]
fn finds_names_with_exact_offsets_in_unicode_text() {
    let text = "“After certain decisions taken by NATO,” said Alexander Grushkó in Moscow on Monday.";
    let got = spans(text);
    for want in [("NATO", Label::ORG), ("Alexander Grushkó", Label::PER), ("Moscow", Label::LOC)] {
        assert!(got.contains(&(want.0.to_string(), want.1.clone())), "{want:?} not in {got:?}");
    }
}

#[test]
fn empty_and_symbol_only_texts_have_no_entities() {
    for text in ["", "   \n\t ", "... ,;:!? -- () “” ‘’ «»", "1996-08-22 12:30 , 3.5 %"] {
        assert_eq!(spans(text), [], "{text:?}");
    }
}

#[test]
fn long_document_windows_merge_without_duplicates_or_cuts() {
    // Sentences: windows of whole sentences. One endless sentence: overlapping windows.
    long_document("Sergey Lavrov told NATO in Brussels on Monday. ");
    long_document("Sergey Lavrov told NATO in Brussels on Monday, ");
}

fn long_document(unit: &str) {
    // 8 words a unit, 2,500 units: 20,000 words, dozens of windows.
    let reps = 2_500;
    let text = unit.repeat(reps);
    assert_eq!(text.split_whitespace().count(), 20_000);
    let doc = Document::new("long", text.as_str());
    let ents = extractor().extract(&doc).unwrap();
    validate_entities(&text, &ents, Some(extractor().labels())).unwrap();
    assert!(ents.windows(2).all(|w| w[0].end <= w[1].start), "entities overlap (a seam was decoded twice)");
    let count = |t: &str, l: Label| ents.iter().filter(|e| e.text == t && e.label == l).count();
    for (t, l) in [("Sergey Lavrov", Label::PER), ("NATO", Label::ORG), ("Brussels", Label::LOC)] {
        let n = count(t, l.clone());
        assert!(n <= reps, "{t}: {n} entities for {reps} mentions");
        assert!(n * 100 >= reps * 99, "{t}: only {n} of {reps} mentions found");
    }
    let allowed = ["Sergey Lavrov", "NATO", "Brussels", "Lavrov", "Sergey"];
    let odd: Vec<_> = ents.iter().filter(|e| !allowed.contains(&e.text.as_str())).take(5).collect();
    assert!(odd.is_empty(), "cut or merged entities: {odd:?}");
}

#[test]
fn batch_and_single_agree_and_scores_are_probabilities() {
    let docs: Vec<Document> = ["Angela Merkel visited Paris.", "", "The EU and Germany signed it in Brussels."]
        .iter()
        .enumerate()
        .map(|(i, t)| Document::new(i.to_string(), *t))
        .collect();
    let batch = extractor().extract_batch(&docs);
    for (doc, got) in docs.iter().zip(batch) {
        let got = got.unwrap();
        let single = extractor().extract(doc).unwrap();
        // Padding in a batch changes the last bits of the probabilities, nothing else.
        let key = |es: &[nerlab_core::Entity]| es.iter().map(|e| (e.start, e.end, e.label.clone())).collect::<Vec<_>>();
        assert_eq!(key(&got), key(&single));
        assert!(got.iter().zip(&single).all(|(a, b)| (a.score.unwrap() - b.score.unwrap()).abs() < 1e-4));
        assert!(got.iter().all(|e| e.score.is_some_and(|s| (0.0..=1.0).contains(&s))), "{got:?}");
    }
}

/// Copies the shipped model to a temporary directory, applies `damage`, and returns the
/// error message of loading it.
fn load_error(damage: impl Fn(&Path)) -> (ErrorKind, String) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["config.json", "tokenizer.json", "model.ot"] {
        std::fs::copy(model_dir().join(f), dir.path().join(f)).unwrap();
    }
    damage(dir.path());
    let config = TransformerConfig { model_dir: dir.path().to_path_buf(), ..Default::default() };
    match TransformerExtractor::from_config(config, &BuildContext::new(Path::new("."), "transformer")) {
        Ok(_) => panic!("a damaged model loaded"),
        Err(e) => (e.kind(), e.to_string()),
    }
}

#[test]
fn missing_or_corrupt_model_files_are_clear_errors() {
    for file in ["config.json", "tokenizer.json", "model.ot"] {
        let (kind, msg) = load_error(|d| std::fs::remove_file(d.join(file)).unwrap());
        assert_eq!(kind, ErrorKind::Load, "{msg}");
        assert!(msg.contains(file), "missing {file}: {msg}");

        let (_, msg) = load_error(|d| std::fs::write(d.join(file), b"\x00garbage{").unwrap());
        assert!(msg.contains(file), "corrupt {file}: {msg}");
    }
    // A truncated weights file.
    let (kind, msg) = load_error(|d| {
        let bytes = std::fs::read(d.join("model.ot")).unwrap();
        std::fs::write(d.join("model.ot"), &bytes[..bytes.len() / 2]).unwrap();
    });
    assert_eq!(kind, ErrorKind::Load);
    assert!(msg.contains("model.ot"), "{msg}");
}

#[test]
fn config_is_validated() {
    let bad: [(&str, TransformerConfig); 3] = [
        ("stride", TransformerConfig { stride: 200, ..Default::default() }),
        ("max_length", TransformerConfig { max_length: 1024, ..Default::default() }),
        ("forward_batch", TransformerConfig { forward_batch: 0, ..Default::default() }),
    ];
    for (what, config) in bad {
        let err = TransformerExtractor::from_config(config, &BuildContext::new(root(), "transformer")).err().expect(what);
        assert_eq!(err.kind(), ErrorKind::Config, "{what}: {err}");
        assert!(err.to_string().contains(what), "{err}");
    }
    let unknown: Result<TransformerConfig, _> = serde_json::from_str(r#"{"model_dir": "x", "strdie": 3}"#);
    assert!(unknown.is_err());
}

fn extractor_with(config: TransformerConfig) -> TransformerExtractor {
    TransformerExtractor::from_config(config, &BuildContext::new(root(), "transformer")).expect("shipped model loads")
}

/// Lines of news, one sentence each, some names ambiguous without their neighbours.
const NEWS: [&str; 6] = [
    "SOCCER - JAPAN GET LUCKY WIN , CHINA IN SURPRISE DEFEAT .",
    "AL-AIN , United Arab Emirates 1996-12-06",
    "Japan began the defence of their Asian Cup title with a lucky 2-1 win against Syria on Friday .",
    "But China saw their luck desert them in the second match of the group , crashing to a surprise 2-0 defeat .",
    "Nadim Ladki",
    "Coach Shu Kamo said Oleg Shatskiku made sure of the win in injury time for Japan .",
];

#[test]
fn context_windows_take_predictions_from_the_centre_sentence_only() {
    // Argmax: each word decided by its own distribution, so a sentence's tags depend on its
    // window alone (Viterbi would also couple them to the neighbours' chosen tags).
    let argmax = || TransformerConfig { decoding: nerlab_transformer::Decoding::Argmax, ..Default::default() };
    let with_context = extractor_with(TransformerConfig { context_sentences: 1, ..argmax() });
    let alone = extractor_with(argmax());
    let text = NEWS.join("\n");
    let doc = Document::new("news", text.as_str());
    let found = with_context.extract(&doc).unwrap();
    validate_entities(&text, &found, Some(with_context.labels())).unwrap();
    assert!(found.iter().all(|e| !e.text.contains('\n')), "an entity across a sentence seam: {found:?}");
    assert!(found.len() >= 8, "{found:?}");
    // Each sentence's entities are those of its own window, computed alone (without context,
    // a text this short is one window): its neighbours in the input, its own labels only.
    let lines: Vec<(usize, usize)> = NEWS
        .iter()
        .scan(0, |at, line| {
            let start = *at;
            *at += line.len() + 1;
            Some((start, start + line.len()))
        })
        .collect();
    for (k, &(start, end)) in lines.iter().enumerate() {
        let first = k.saturating_sub(1);
        let last = (k + 1).min(NEWS.len() - 1);
        let window_offset = lines[first].0;
        let window = &text[window_offset..lines[last].1];
        let alone: Vec<(usize, usize, Label)> = alone
            .extract(&Document::new("window", window))
            .unwrap()
            .into_iter()
            .map(|e| (e.start + window_offset, e.end + window_offset, e.label))
            .filter(|(s, e, _)| *s >= start && *e <= end)
            .collect();
        let got: Vec<(usize, usize, Label)> =
            found.iter().filter(|e| e.start >= start && e.end <= end).map(|e| (e.start, e.end, e.label.clone())).collect();
        assert_eq!(got, alone, "sentence {k}: {:?}", NEWS[k]);
    }
}

#[test]
fn viterbi_decoding_and_context_windows_pass_the_conformance_table() {
    let config = TransformerConfig { decoding: nerlab_transformer::Decoding::Viterbi, context_sentences: 1, ..Default::default() };
    let viterbi = extractor_with(config);
    check_extractor(&viterbi);
    // One sentence, clear names: the same entities as argmax decoding.
    let argmax = extractor_with(TransformerConfig { decoding: nerlab_transformer::Decoding::Argmax, ..Default::default() });
    let doc = Document::new("t", "Angela Merkel met Sergey Lavrov and NATO officials in Brussels.");
    let key = |es: Vec<nerlab_core::Entity>| es.into_iter().map(|e| (e.text, e.label)).collect::<Vec<_>>();
    let got = key(viterbi.extract(&doc).unwrap());
    assert_eq!(got, key(argmax.extract(&doc).unwrap()));
    assert_eq!(got.len(), 4, "{got:?}");
}
