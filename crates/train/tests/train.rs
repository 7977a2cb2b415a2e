//! Training end to end on a tiny randomly initialised BERT (2 layers, 32 wide), in seconds:
//! every corpus format trains and its loss goes down, labels come from the data, a label that
//! cannot be mapped stops the run with a clear error, long texts are cut as inference cuts
//! them, and a model trained on non-CoNLL labels serves those labels through a config entry
//! and `eval`. (CI never trains the real model.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nerlab_core::{write_corpus, AnnotatedDocument, CorpusFormat, Document, Entity, Label, TagScheme};
use nerlab_orchestrator::{evaluate_corpus, Config, EvalOptions, Registry};
use nerlab_train::data::context_groups;
use nerlab_train::data::{derive_labels, load_corpus};
use nerlab_train::examples::Example;
use nerlab_train::examples::{make_context_examples, make_examples, ExampleShape, IGNORE};
use nerlab_train::step::{batch_loss, layer_groups};
use nerlab_train::{run, TrainOptions};
use nerlab_transformer::model::{iob2_tags, ner_config, NerModel, CONLL_TAGS};
use nerlab_transformer::text::TextEncoder;
use rust_bert::bert::BertConfig;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tokenizer() -> PathBuf {
    root().join("models/minilm-conll03/tokenizer.json")
}

/// libtorch's random generator is one per process and tests run on parallel threads: a test
/// that initialises or trains a model holds this for its whole run, so its random draws, and
/// so its result, do not depend on what the other tests are doing meanwhile.
fn torch_alone() -> std::sync::MutexGuard<'static, ()> {
    static TORCH: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TORCH.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A base encoder directory with random weights: 2 layers, hidden size 32.
fn tiny_base(dir: &Path) -> PathBuf {
    let base = dir.join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::copy(tokenizer(), base.join("tokenizer.json")).unwrap();
    let config = BertConfig {
        vocab_size: 30522,
        hidden_size: 32,
        intermediate_size: 64,
        num_attention_heads: 2,
        num_hidden_layers: 2,
        max_position_embeddings: 128,
        hidden_dropout_prob: 0.0,
        attention_probs_dropout_prob: 0.0,
        ..Default::default()
    };
    std::fs::write(base.join("config.json"), serde_json::to_string(&config).unwrap()).unwrap();
    tch::manual_seed(1);
    let model = NerModel::new(ner_config(config, &[Label::PER])).unwrap();
    model.save(&base.join("base.ot"), tch::Kind::Float).unwrap();
    base
}

/// The configuration of a base encoder directory.
fn base_config(base: &Path) -> BertConfig {
    serde_json::from_str(&std::fs::read_to_string(base.join("config.json")).unwrap()).unwrap()
}

/// The named tensors of a weights file, in fp32 (exports are fp16).
fn weights(file: &Path) -> HashMap<String, tch::Tensor> {
    tch::Tensor::load_multi(file).unwrap().into_iter().map(|(n, t)| (n, t.to_kind(tch::Kind::Float))).collect()
}

const NAMES: [&str; 6] = ["Anna Schmidt", "Omar Haddad", "Li Wei", "John Smith", "Maria Rossi", "Kenji Sato"];
const DAYS: [&str; 5] = ["Monday", "Tuesday", "March 3", "Friday", "June 12"];
const TEMPLATES: [&str; 4] = ["{N} arrived on {D} .", "On {D} , {N} spoke to reporters .", "{N} left early", "The vote is due on {D} ."];

/// Documents of three sentences each, written for this test by the guidelines: person names
/// are PER, days and dates are DATE (with `labels`, only those kept).
fn documents(n: usize, labels: &[Label]) -> Vec<AnnotatedDocument> {
    let mut docs = Vec::new();
    for d in 0..n {
        let mut text = String::new();
        let mut spans = Vec::new();
        for s in 0..3 {
            let k = d * 3 + s;
            if s > 0 {
                text.push('\n');
            }
            let template = TEMPLATES[k % TEMPLATES.len()];
            let mut rest = template;
            while let Some(i) = rest.find('{') {
                text.push_str(&rest[..i]);
                let (value, label) = if &rest[i..i + 3] == "{N}" { (NAMES[k % 6], Label::PER) } else { (DAYS[k % 5], Label::DATE) };
                spans.push((text.len(), text.len() + value.len(), label));
                text.push_str(value);
                rest = &rest[i + 3..];
            }
            text.push_str(rest);
        }
        let entities = spans.into_iter().filter(|s| labels.contains(&s.2)).map(|(s, e, l)| Entity::new(&text, s, e, l).unwrap()).collect();
        docs.push(AnnotatedDocument { document: Document::new(format!("doc{d}"), text), entities });
    }
    docs
}

fn options(dir: &Path, base: &Path, train: &str, dev: &str) -> TrainOptions {
    TrainOptions {
        config: dir.join("nerlab.toml"),
        train: vec![train.to_string()],
        dev: dev.to_string(),
        labels: None,
        fraction: 1.0,
        base_dir: base.to_path_buf(),
        keep_last: false,
        out_dir: dir.join("model"),
        work_dir: dir.join("work"),
        epochs: 8,
        max_steps: None,
        lr: 1e-2,
        warmup: 0.0,
        weight_decay: 0.0,
        clip: 1.0,
        batch_tokens: 4096,
        batch_examples: 8,
        max_length: 64,
        overlap: 8,
        concat: 0.0,
        casing: true,
        casing_noise: 0.0,
        label_smoothing: 0.0,
        layer_decay: 1.0,
        rdrop: 0.0,
        context_sentences: 0,
        seed: 7,
        threads: 1,
        resume: false,
        average_last: 1,
    }
}

/// Options for a run on `documents` written as one JSONL file in `dir`, used both to train
/// and as dev, with an empty config.
fn jsonl_options(dir: &Path, base: &Path, documents: &[AnnotatedDocument]) -> TrainOptions {
    let path = dir.join("train.jsonl");
    write_corpus(&path, &CorpusFormat::Jsonl, documents).unwrap();
    std::fs::write(dir.join("nerlab.toml"), "").unwrap();
    let corpus = path.display().to_string();
    options(dir, base, &corpus, &corpus)
}

#[test]
fn every_corpus_format_trains_and_the_loss_goes_down() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let docs = documents(8, &[Label::PER, Label::DATE]);
    let conll = |scheme| CorpusFormat::Conll { scheme, sentences_per_document: 1 };
    let formats = [
        ("brat", CorpusFormat::Brat),
        ("train.jsonl", CorpusFormat::Jsonl),
        ("iob2.txt", conll(TagScheme::Iob2)),
        ("iob1.txt", conll(TagScheme::Iob1)),
        ("bioes.txt", conll(TagScheme::Bioes)),
    ];
    // IOB1 and BIOES are named in the config, as a user would; the rest go by path.
    let mut config = String::new();
    for (name, format) in &formats {
        write_corpus(&dir.path().join(name), format, &docs).unwrap();
        if let CorpusFormat::Conll { scheme, .. } = format {
            let scheme = format!("{scheme:?}").to_lowercase();
            config.push_str(&format!("[corpora.{scheme}]\npath = \"{name}\"\nformat = \"conll\"\nscheme = \"{scheme}\"\n\n"));
        }
    }
    std::fs::write(dir.path().join("nerlab.toml"), config).unwrap();
    for (name, _) in &formats {
        let corpus = match *name {
            "iob1.txt" => "iob1".to_string(),
            "bioes.txt" => "bioes".to_string(),
            _ => dir.path().join(name).display().to_string(),
        };
        let mut opts = options(dir.path(), &base, &corpus, &corpus);
        opts.out_dir = dir.path().join(format!("model-{name}"));
        opts.work_dir = dir.path().join(format!("work-{name}"));
        let state = run(&opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let losses: Vec<f64> = state.history.iter().map(|e| e.loss).collect();
        assert_eq!(losses.len(), 8, "{name}");
        assert_eq!((state.data.documents, state.data.entities), (8, 36), "{name}");
        assert!(losses.iter().all(|l| l.is_finite()), "{name}: {losses:?}");
        assert!(losses[7] < 0.6 * losses[0], "{name}: loss did not go down: {losses:?}");
        // The labels of the data, recorded in the model directory.
        let (_, tags) = nerlab_transformer::model::read_config(&opts.out_dir.join("config.json")).unwrap();
        assert_eq!(tags.len(), 5, "{name}: O, B-/I-PER, B-/I-DATE");
        // Dev gold is counted by the scorer, over the data's labels.
        let dev = &state.history[0].dev;
        assert_eq!(dev.per_label.keys().map(Label::as_str).collect::<Vec<_>>(), ["DATE", "PER"], "{name}");
        assert_eq!(dev.micro.true_positives + dev.micro.false_negatives, 36, "{name}: gold entities");
    }
}

#[test]
fn labels_come_from_the_data_in_a_fixed_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    write_corpus(&path, &CorpusFormat::Jsonl, &documents(4, &[Label::DATE, Label::PER])).unwrap();
    let corpus = load_corpus(&dir.path().join("none.toml"), &path.display().to_string()).unwrap();
    assert_eq!(derive_labels(&[corpus]), [Label::PER, Label::DATE], "CoNLL's labels first, then sorted");
    let conll = load_corpus(&root().join("nerlab.toml"), "conll2003-valid").unwrap();
    assert_eq!(derive_labels(&[conll]), Label::CONLL);
    let tags: Vec<String> = iob2_tags(&Label::CONLL);
    assert_eq!(tags, CONLL_TAGS, "the shipped model's outputs");
}

#[test]
fn an_unmappable_tag_is_a_clear_error() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let path = dir.path().join("c.jsonl");
    write_corpus(&path, &CorpusFormat::Jsonl, &documents(2, &[Label::DATE, Label::PER])).unwrap();
    let corpus = path.display().to_string();
    let mut opts = options(dir.path(), &base, &corpus, &corpus);
    opts.labels = Some(vec![Label::PER]);
    let err = run(&opts).unwrap_err().to_string();
    for part in ["c.jsonl", "doc0", "\"Monday\"", "label DATE is not in the label set (PER)"] {
        assert!(err.contains(part), "{part:?} missing from: {err}");
    }
    // A malformed tag is the reader's error, with file and line.
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "Anna B-PER\nleft O\n\nOn O\nMonday X-DATE\n").unwrap();
    let err = run(&options(dir.path(), &base, &bad.display().to_string(), &corpus)).unwrap_err();
    assert_eq!(err.line(), Some(5), "{err}");
    assert!(err.to_string().contains("bad.txt") && err.to_string().contains("X-DATE"), "{err}");
}

#[test]
fn long_texts_are_cut_into_the_windows_of_inference() {
    let encoder = TextEncoder::from_file(&tokenizer()).unwrap();
    let text = "Anna Schmidt met Omar Haddad in Berlin . ".repeat(12);
    let mut entities = Vec::new();
    for (i, _) in text.match_indices("Omar Haddad") {
        entities.push(Entity::new(&text, i, i + 11, Label::PER).unwrap());
    }
    let unit = AnnotatedDocument { document: Document::new("d", text.trim_end()), entities };
    let shape = ExampleShape { max_length: 24, overlap: 4, casing: true };
    let examples = make_examples(&encoder, &[&unit], &[Label::PER], shape).unwrap();
    let words = encoder.encode(&unit.document.text).unwrap().words.len();
    assert!(examples.len() > 3, "{} examples", examples.len());
    assert!(examples.iter().all(|e| e.ids.len() <= 24 && e.labels.len() == e.ids.len()));
    // Every word labelled exactly once over all windows, each `Omar Haddad` as B-PER I-PER.
    let labelled: Vec<i64> = examples.iter().flat_map(|e| e.labels.iter().copied().filter(|&l| l != IGNORE)).collect();
    assert_eq!(labelled.len(), words);
    assert_eq!(labelled.iter().filter(|&&l| l == 1).count(), 12);
    assert_eq!(labelled.iter().filter(|&&l| l == 2).count(), 12);
    // A short text is one example, as before.
    let short = AnnotatedDocument { document: Document::new("s", "Anna left"), entities: vec![] };
    assert_eq!(make_examples(&encoder, &[&short], &[Label::PER], shape).unwrap().len(), 1);
}

#[test]
fn a_model_on_other_labels_serves_them_through_the_config() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let path = dir.path().join("dates.jsonl");
    write_corpus(&path, &CorpusFormat::Jsonl, &documents(8, &[Label::DATE])).unwrap();
    let config = "[corpora.dates]\npath = \"dates.jsonl\"\nformat = \"jsonl\"\n\n[eval]\nlabels = [\"DATE\"]\nrepeats = 1\n\n\
                  [[extractors]]\nname = \"dates\"\nkind = \"transformer\"\nparams = { model_dir = \"model\" }\n";
    std::fs::write(dir.path().join("nerlab.toml"), config).unwrap();
    let mut opts = options(dir.path(), &base, "dates", "dates");
    opts.epochs = 12;
    let state = run(&opts).unwrap();
    assert!(state.best.is_some_and(|(f1, _)| f1 > 50.0), "the tiny model learns the dates: {:?}", state.best);

    let config = Config::load(&dir.path().join("nerlab.toml")).unwrap();
    let options = EvalOptions { output_dir: Some(dir.path().join("report")), ..Default::default() };
    let report = evaluate_corpus(&config, &Registry::builtin(), "dates", &options).unwrap();
    assert!(report.failed_extractors.is_empty(), "{:?}", report.failed_extractors);
    let dates = &report.extractors[0];
    assert_eq!(dates.labels, [Label::DATE]);
    let scores = &dates.declared.per_label[&Label::DATE];
    assert!(scores.true_positives > 0, "{scores:?}");
    assert_eq!(report.labels, [Label::DATE]);
}

#[test]
fn context_examples_label_each_sentence_once_inside_its_neighbours() {
    let encoder = TextEncoder::from_file(&tokenizer()).unwrap();
    let sentence = |id: &str, text: &str, name: &str| {
        let start = text.find(name).unwrap();
        let entities = vec![Entity::new(text, start, start + name.len(), Label::PER).unwrap()];
        AnnotatedDocument { document: Document::new(id, text), entities }
    };
    let units = [
        sentence("s1", "Anna Schmidt arrived in the city", "Anna Schmidt"),
        sentence("s2", "She met Omar Haddad there", "Omar Haddad"),
        sentence("s3", "Later Lena Vogel left", "Lena Vogel"),
    ];
    let refs: Vec<&AnnotatedDocument> = units.iter().collect();
    let shape = ExampleShape { max_length: 64, overlap: 4, casing: true };
    let examples = make_context_examples(&encoder, &refs, &[Label::PER], shape, 1).unwrap();
    assert_eq!(examples.len(), 3, "one example per sentence");
    let words = |u: &AnnotatedDocument| encoder.encode(&u.document.text).unwrap().words.len();
    for (k, (example, unit)) in examples.iter().zip(&units).enumerate() {
        let labelled: Vec<i64> = example.labels.iter().copied().filter(|&l| l != IGNORE).collect();
        // Its own words only, one B-PER and one I-PER among them.
        assert_eq!(labelled.len(), words(unit), "example {k}");
        assert_eq!((labelled.iter().filter(|&&l| l == 1).count(), labelled.iter().filter(|&&l| l == 2).count()), (1, 1));
        // And its neighbours as unlabelled context: more pieces than the sentence alone.
        let alone = encoder.encode(&unit.document.text).unwrap().pieces.len() + 2;
        assert!(example.ids.len() > alone, "example {k} has no context");
    }
    // Without context the same units make examples that label every word once, as before.
    let plain = make_examples(&encoder, &refs, &[Label::PER], shape).unwrap();
    let labelled: usize = plain.iter().map(|e| e.labels.iter().filter(|&&l| l != IGNORE).count()).sum();
    assert_eq!(labelled, units.iter().map(words).sum::<usize>());
}

#[test]
fn context_groups_are_documents_or_recovered_articles() {
    let unit = |id: &str, text: &str| AnnotatedDocument { document: Document::new(id, text), entities: vec![] };
    // Documents of several lines are their own groups.
    let lines = [unit("a1", "x"), unit("a2", "y"), unit("b1", "z")];
    assert_eq!(context_groups(&lines, &[0..2, 2..3]), [0..2, 2..3]);
    // One sentence per document, CoNLL's layout: headline and dateline open each article.
    let conll = [
        "SOCCER - RESULTS .",
        "LONDON 1996-08-30",
        "Arsenal won .",
        "Chelsea lost .",
        "RUGBY - NEWS .",
        "PARIS 1996-08-30",
        "France won .",
    ];
    let sentences: Vec<AnnotatedDocument> = conll.iter().enumerate().map(|(i, t)| unit(&format!("s{i}"), t)).collect();
    let documents: Vec<_> = (0..sentences.len()).map(|i| i..i + 1).collect();
    assert_eq!(context_groups(&sentences, &documents), [0..4, 4..7]);
}

#[test]
fn training_with_document_context_learns_and_is_scored_in_context() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    // Documents of three lines: each line a sentence with its two neighbours as context.
    let mut opts = jsonl_options(dir.path(), &base, &documents(8, &[Label::PER, Label::DATE]));
    opts.context_sentences = 1;
    let state = run(&opts).unwrap();
    let losses: Vec<f64> = state.history.iter().map(|e| e.loss).collect();
    assert!(losses.iter().all(|l| l.is_finite()) && losses[7] < 0.6 * losses[0], "loss did not go down: {losses:?}");
    // Scored in context, over every gold entity of dev.
    let dev = &state.history[7].dev;
    assert_eq!(dev.micro.true_positives + dev.micro.false_negatives, 36);
}

#[test]
fn label_smoothing_keeps_the_loss_above_the_entropy_of_the_smoothed_target() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let plain = jsonl_options(dir.path(), &base, &documents(8, &[Label::PER, Label::DATE]));
    let smoothing = 0.2;
    let mut smoothed = plain.clone();
    smoothed.label_smoothing = smoothing;
    smoothed.out_dir = dir.path().join("model-smoothed");
    smoothed.work_dir = dir.path().join("work-smoothed");
    let losses = |opts: &TrainOptions| -> Vec<f64> { run(opts).unwrap().history.iter().map(|e| e.loss).collect() };
    // Five tags (O, B-/I-PER, B-/I-DATE): the smoothed target gives the gold tag
    // 1 - s + s/5 and every tag s/5, and no prediction has a cross-entropy below its entropy.
    let (gold, other) = (1.0 - smoothing + smoothing / 5.0, smoothing / 5.0);
    let floor = -gold * gold.ln() - 4.0 * other * other.ln();
    let (plain, smoothed) = (losses(&plain), losses(&smoothed));
    assert!(smoothed.iter().all(|&l| l >= floor - 1e-4), "below the floor {floor:.3}: {smoothed:?}");
    assert!(smoothed[7] < 0.8 * smoothed[0], "smoothed loss did not go down: {smoothed:?}");
    assert!(plain[7] < floor, "without smoothing the loss falls below {floor:.3}: {plain:?}");
}

#[test]
fn layer_decay_groups_the_variables_by_depth_and_slows_the_layers_below() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let model = NerModel::new(ner_config(base_config(&base), &[Label::PER])).unwrap();
    assert_eq!(layer_groups(&model, 1.0), [1.0], "no decay: one group");
    assert!(model.vs.variables_.lock().unwrap().trainable_variables.iter().all(|v| v.group == 0));
    // Two layers: embeddings, layer 0, layer 1, classifier.
    assert_eq!(layer_groups(&model, 0.5), [0.125, 0.25, 0.5, 1.0]);
    let variables = model.vs.variables_.lock().unwrap();
    let group_of: HashMap<usize, usize> = variables.trainable_variables.iter().map(|v| (v.tensor.data_ptr() as usize, v.group)).collect();
    let mut seen = [0usize; 4];
    for (name, tensor) in &variables.named_variables {
        let Some(&group) = group_of.get(&(tensor.data_ptr() as usize)) else { continue };
        let expected = match name {
            n if n.starts_with("bert.embeddings.") => 0,
            n if n.starts_with("bert.encoder.layer.0.") => 1,
            n if n.starts_with("bert.encoder.layer.1.") => 2,
            _ => 3,
        };
        assert_eq!(group, expected, "{name}");
        seen[group] += 1;
    }
    assert!(seen.iter().all(|&n| n > 0), "every group has variables: {seen:?}");
    drop(variables);

    // Trained with a steep decay, the word embeddings barely move and the top layer, at a
    // tenth of the rate, moves less than without decay.
    let plain = jsonl_options(dir.path(), &base, &documents(8, &[Label::PER, Label::DATE]));
    let mut decayed = plain.clone();
    decayed.layer_decay = 0.1;
    decayed.out_dir = dir.path().join("model-decayed");
    decayed.work_dir = dir.path().join("work-decayed");
    let losses: Vec<f64> = run(&decayed).unwrap().history.iter().map(|e| e.loss).collect();
    assert!(losses[7] < 0.6 * losses[0], "loss did not go down: {losses:?}");
    run(&plain).unwrap();
    let start = weights(&base.join("base.ot"));
    let moved = |opts: &TrainOptions, name: &str| -> f64 {
        let end = weights(&opts.work_dir.join("last.ot"));
        f64::from((&end[name] - &start[name]).abs().max())
    };
    let embeddings = "bert.embeddings.word_embeddings.weight";
    let layer = "bert.encoder.layer.1.output.dense.weight";
    assert!(moved(&decayed, embeddings) < 0.05 * moved(&plain, embeddings), "embeddings");
    assert!(moved(&decayed, layer) < 0.5 * moved(&plain, layer), "top layer: a tenth of the rate");
}

#[test]
fn rdrop_adds_the_divergence_of_two_dropout_passes_on_labelled_pieces_only() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let mut config = base_config(&base);
    // Tags O, B-PER, I-PER; the loss is on the pieces not IGNOREd.
    let examples = [
        Example { ids: vec![101, 2000, 2001, 2002, 102], types: vec![0, 1, 0, 0, 0], labels: vec![IGNORE, 1, 2, 0, IGNORE] },
        Example { ids: vec![101, 3000, 3001, 102], types: vec![0; 4], labels: vec![IGNORE, 0, IGNORE, IGNORE] },
    ];
    let mut opts = options(dir.path(), &base, "unused", "unused");
    let loss = |config: &BertConfig, opts: &TrainOptions| -> (f64, f64) {
        tch::manual_seed(3);
        let model = NerModel::new(ner_config(config.clone(), &[Label::PER])).unwrap();
        let (cross_entropy, divergence) = batch_loss(&model, &examples, &[0, 1], 0, opts);
        (f64::from(&cross_entropy), f64::from(&divergence))
    };
    // Without dropout both passes agree: no divergence, and the cross-entropy of one pass.
    let plain = loss(&config, &opts);
    assert_eq!(plain.1, 0.0);
    opts.rdrop = 1.0;
    let (cross_entropy, divergence) = loss(&config, &opts);
    assert!((cross_entropy - plain.0).abs() < 1e-5 && divergence.abs() < 1e-6, "{cross_entropy} {divergence} vs {plain:?}");
    // With dropout the two passes differ on the labelled pieces.
    config.hidden_dropout_prob = 0.3;
    config.attention_probs_dropout_prob = 0.3;
    let (cross_entropy, divergence) = loss(&config, &opts);
    assert!(cross_entropy.is_finite() && divergence > 1e-4 && divergence.is_finite(), "{cross_entropy} {divergence}");
    // Pieces with no label add nothing: with every label IGNOREd the divergence is 0, though
    // the two passes differ on every piece.
    let unlabelled = [Example { labels: vec![IGNORE; 5], ..examples[0].clone() }];
    tch::manual_seed(3);
    let model = NerModel::new(ner_config(config.clone(), &[Label::PER])).unwrap();
    let (_, divergence) = batch_loss(&model, &unlabelled, &[0], 0, &opts);
    assert_eq!(f64::from(&divergence), 0.0);
}

#[test]
fn a_label_smoothing_or_layer_decay_out_of_range_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = jsonl_options(dir.path(), dir.path(), &documents(2, &[Label::PER]));
    opts.label_smoothing = 1.0;
    let err = run(&opts).unwrap_err().to_string();
    assert!(err.contains("--label-smoothing") && err.contains("not 1"), "{err}");
    opts.label_smoothing = -0.1;
    let err = run(&opts).unwrap_err().to_string();
    assert!(err.contains("--label-smoothing") && err.contains("not -0.1"), "{err}");
    opts.label_smoothing = 0.0;
    opts.rdrop = -1.0;
    let err = run(&opts).unwrap_err().to_string();
    assert!(err.contains("--rdrop") && err.contains("not -1"), "{err}");
    opts.rdrop = 0.0;
    for decay in [0.0, 1.5] {
        opts.layer_decay = decay;
        let err = run(&opts).unwrap_err().to_string();
        assert!(err.contains("--layer-decay") && err.contains(&format!("not {decay}")), "{err}");
    }
}

#[test]
fn averaging_exports_the_mean_of_the_last_epochs_and_scores_each_mean() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let mut opts = jsonl_options(dir.path(), &base, &documents(8, &[Label::PER, Label::DATE]));
    opts.epochs = 4;
    opts.average_last = 3;
    let state = run(&opts).unwrap();
    // The means of the last 2 and last 3 epochs, each scored over every gold entity.
    let averaged: Vec<&[usize]> = state.averages.iter().map(|a| a.epochs.as_slice()).collect();
    assert_eq!(averaged, [&[3, 4][..], &[2, 3, 4][..]]);
    for average in &state.averages {
        assert_eq!(average.dev.micro.true_positives + average.dev.micro.false_negatives, 36);
    }

    // The exported weights are the element-wise mean of epochs 2-4 (up to the fp16 export),
    // and differ from the last epoch's.
    let epochs: Vec<_> = (2..=4).map(|e| weights(&opts.work_dir.join(format!("epoch-{e}.ot")))).collect();
    let exported = weights(&opts.out_dir.join("model.ot"));
    let name = "classifier.weight";
    let mean = (&epochs[0][name] + &epochs[1][name] + &epochs[2][name]) / 3.0;
    let off_mean = f64::from((&exported[name] - &mean).abs().max());
    let off_last = f64::from((&exported[name] - &epochs[2][name]).abs().max());
    assert!(off_mean < 1e-2, "exported vs mean: {off_mean}");
    assert!(off_last > 10.0 * off_mean, "the mean should differ from the last epoch: {off_last} vs {off_mean}");
    // Only the epochs averaged are kept.
    assert!(!opts.work_dir.join("epoch-1.ot").exists());
}

#[test]
fn averaging_a_resumed_run_needs_the_weights_of_the_epochs_already_done() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let mut opts = jsonl_options(dir.path(), &base, &documents(4, &[Label::PER]));
    // Two epochs without averaging; then resumed to four, asking for it.
    opts.epochs = 2;
    let first = run(&opts).unwrap();
    assert_eq!(first.epochs_done, 2);
    opts.epochs = 4;
    opts.resume = true;
    opts.average_last = 3;
    let err = run(&opts).unwrap_err().to_string();
    assert!(err.contains("--average-last 3") && err.contains("epoch 2") && err.contains("epoch-2.ot"), "{err}");
    // A fresh run in the same work directory averages its own epochs only.
    opts.resume = false;
    let state = run(&opts).unwrap();
    assert_eq!(state.averages.last().map(|a| a.epochs.clone()), Some(vec![2, 3, 4]));
}

#[test]
fn averaging_model_directories_makes_a_soup_of_models_of_one_shape_only() {
    let _torch = torch_alone();
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_base(dir.path());
    let train = |name: &str, seed: u64, labels: &[Label]| -> PathBuf {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let mut opts = jsonl_options(&sub, &base, &documents(4, labels));
        (opts.epochs, opts.seed) = (1, seed);
        run(&opts).unwrap();
        opts.out_dir
    };
    let (a, b) = (train("a", 1, &[Label::PER]), train("b", 2, &[Label::PER]));
    let soup = dir.path().join("soup");
    nerlab_train::average_models(&[a.clone(), b.clone()], &soup).unwrap();

    // The soup's weights are the element-wise mean of its inputs' (up to fp16), which differ.
    let (wa, wb, ws) = (weights(&a.join("model.ot")), weights(&b.join("model.ot")), weights(&soup.join("model.ot")));
    let name = "classifier.weight";
    let apart = f64::from((&wa[name] - &wb[name]).abs().max());
    let off_mean = f64::from((&ws[name] - (&wa[name] + &wb[name]) / 2.0).abs().max());
    assert!(off_mean < 1e-2 && apart > 10.0 * off_mean, "soup vs mean {off_mean}, inputs apart {apart}");
    assert_eq!(ws.len(), wa.len());
    // It is a model directory like any other, and says what it was made of.
    for file in ["config.json", "tokenizer.json"] {
        assert_eq!(std::fs::read(soup.join(file)).unwrap(), std::fs::read(a.join(file)).unwrap(), "{file}");
    }
    let made_of: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(soup.join("soup.json")).unwrap()).unwrap();
    let seeds: Vec<u64> =
        made_of["mean_of"].as_array().unwrap().iter().map(|m| m["training"]["options"]["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, [1, 2]);

    // A model with other labels has other outputs: refused, naming both directories.
    let other = train("other", 1, &[Label::PER, Label::DATE]);
    let err = nerlab_train::average_models(&[a.clone(), other.clone()], &dir.path().join("bad")).unwrap_err().to_string();
    assert!(err.contains("config.json") && err.contains(&*other.to_string_lossy()), "{err}");
    assert!(!dir.path().join("bad").exists());
    // Writing over an input, or counting one twice, is refused before anything is written.
    let config_before = std::fs::read(a.join("config.json")).unwrap();
    let err = nerlab_train::average_models(&[a.clone(), b.clone()], &a).unwrap_err().to_string();
    assert!(err.contains("one of the inputs"), "{err}");
    assert_eq!(std::fs::read(a.join("config.json")).unwrap(), config_before);
    let err = nerlab_train::average_models(&[a.clone(), a.join("."), b.clone()], &dir.path().join("twice")).unwrap_err().to_string();
    assert!(err.contains("given twice"), "{err}");
    // A soup written over an earlier model directory does not keep that model's training record.
    nerlab_train::average_models(&[a.clone(), b.clone()], &other).unwrap();
    assert!(!other.join("training.json").exists() && other.join("soup.json").exists());
}
