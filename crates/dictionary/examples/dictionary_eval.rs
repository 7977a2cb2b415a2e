//! Development helper: builds the dictionary from the shipped gazetteers, reports build time,
//! and scores it on a CoNLL file (strict micro P/R/F1 and per label), read by nerlab's CoNLL
//! reader (one sentence a document) and scored by its scorer, as `cargo xtask eval` does.
//!
//! `cargo run --release -p nerlab-dictionary --example dictionary_eval -- corpus/conll2003/valid.txt [--errors]`

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use nerlab_core::metrics::{evaluate, Score};
use nerlab_core::{read_corpus, BuildContext, CorpusFormat, Document, Extractor, Family, Label, TagScheme};
use nerlab_dictionary::{DictionaryConfig, DictionaryExtractor};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let t = Instant::now();
    let mut config = DictionaryConfig::default();
    // DICT_EXTEND=PER,ORG: try other `extend` labels.
    if let Ok(labels) = std::env::var("DICT_EXTEND") {
        config.extend = labels.split(',').filter(|l| !l.is_empty()).map(|l| l.parse().expect("a label")).collect();
    }
    // DICT_NORMALIZE=WORDLIST: match on normalised text.
    if let Ok(path) = std::env::var("DICT_NORMALIZE") {
        config.normalize = true;
        config.lexicon = Some(path.into());
    }
    // DICT_EXTRA=PATH: an extra given-name (trigger) file, to try a source.
    if let Ok(path) = std::env::var("DICT_EXTRA") {
        config.gazetteers.push(nerlab_dictionary::GazetteerConfig { trigger: true, ..nerlab_dictionary::GazetteerConfig::new(path) });
    }
    let dict = DictionaryExtractor::from_config(config, &BuildContext::new(&root, "dictionary")).unwrap_or_else(|e| panic!("{e}"));
    println!("built {} entries in {:.3} s", dict.len(), t.elapsed().as_secs_f64());
    let Some(path) = std::env::args().nth(1) else { return };
    if path == "--speed" {
        let news = std::fs::read_dir(root.join("corpus/news"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect::<Vec<_>>()
            .join("\n\n");
        let n = 2000;
        let t = Instant::now();
        let mut c = 0;
        for _ in 0..n {
            c += dict.count_raw_matches(std::hint::black_box(&news));
        }
        println!("matching {:.0} MB/s ({c})", (n * news.len()) as f64 / t.elapsed().as_secs_f64() / 1e6);
        let t = Instant::now();
        let doc = Document::new("news", news.clone());
        for _ in 0..n {
            c += dict.extract(std::hint::black_box(&doc)).unwrap().len();
        }
        println!("extract {:.0} MB/s ({c})", (n * news.len()) as f64 / t.elapsed().as_secs_f64() / 1e6);
        return;
    }
    let format = CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 };
    let docs = read_corpus(Path::new(&path), &format).unwrap_or_else(|e| panic!("{e}"));
    let show_errors = std::env::args().nth(2).is_some_and(|a| a == "--errors");
    let mut bytes = 0;
    let mut elapsed = 0.0;
    let mut predictions = Vec::with_capacity(docs.len());
    for doc in &docs {
        bytes += doc.document.text.len();
        let t = Instant::now();
        let predicted = dict.extract(&doc.document).unwrap_or_else(|e| panic!("{e}"));
        elapsed += t.elapsed().as_secs_f64();
        if show_errors {
            let text = &doc.document.text;
            let key = |e: &nerlab_core::Entity| (e.start, e.end, e.label.clone());
            let (gold, pred): (HashSet<_>, HashSet<_>) = (doc.entities.iter().map(key).collect(), predicted.iter().map(key).collect());
            gold.difference(&pred).for_each(|(s, e, l)| println!("FN {l}\t{}\t| {text}", &text[*s..*e]));
            pred.difference(&gold).for_each(|(s, e, l)| println!("FP {l}\t{}\t| {text}", &text[*s..*e]));
        }
        predictions.push(predicted);
    }
    let scores = evaluate(docs.iter().zip(&predictions).map(|(d, p)| (d.entities.as_slice(), p.as_slice())), &Label::CONLL);
    let prf = |c: &Score| {
        let (g, p) = (c.true_positives + c.false_negatives, c.true_positives + c.false_positives);
        format!("P {:5.2}  R {:5.2}  F1 {:5.2}  (gold {g}, predicted {p})", 100.0 * c.precision, 100.0 * c.recall, 100.0 * c.f1)
    };
    for (label, c) in &scores.per_label {
        println!("{label:5} {}", prf(c));
    }
    println!("micro {}", prf(&scores.micro));
    println!("{:.1} MB/s over {bytes} bytes (sentence by sentence)", bytes as f64 / elapsed / 1e6);
}
