//! Strict P/R/F1 of the built-in news rules on a corpus, for rule development.
//!
//! ```text
//! cargo run --release -p nerlab-rules --example eval -- corpus/conll2003/valid.txt [RULES] [--errors LABEL]
//! cargo run --release -p nerlab-rules --example eval -- corpus/news
//! ```
//!
//! A path ending in `.txt` is read as CoNLL (IOB2), a directory as brat. `--errors LABEL`
//! prints false positives and negatives of that label (never use it on a test set).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use nerlab_core::metrics::evaluate;
use nerlab_core::{read_corpus, BuildContext, CorpusFormat, Entity, Extractor, Family, Label, TagScheme};
use nerlab_rules::{RulesConfig, RulesExtractor};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = PathBuf::from(args.first().ok_or("usage: eval CORPUS [RULES] [--errors LABEL]")?);
    let rules = args.get(1).filter(|a| !a.starts_with("--")).map(PathBuf::from).unwrap_or_else(|| "models/rules/news.toml".into());
    let errors_for = args.iter().position(|a| a == "--errors").and_then(|i| args.get(i + 1)).map(|l| Label::new(l)).transpose()?;
    let format = if corpus.extension().is_some_and(|e| e == "txt") {
        CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 }
    } else {
        CorpusFormat::Brat
    };
    let docs = read_corpus(&corpus, &format)?;
    let extractor = RulesExtractor::from_config(RulesConfig { rules, labels: None }, &BuildContext::new(Path::new("."), "rules"))?;
    // `--repeat N` runs the extraction N more times, for timing under `perf stat`.
    let repeat: usize = args.iter().position(|a| a == "--repeat").and_then(|i| args.get(i + 1)).map_or(Ok(0), |n| n.parse())?;
    for _ in 0..repeat {
        for doc in &docs {
            std::hint::black_box(extractor.extract(&doc.document)?);
        }
    }
    let start = std::time::Instant::now();
    let mut bytes = 0;
    let mut predictions = Vec::with_capacity(docs.len());
    for doc in &docs {
        bytes += doc.document.text.len();
        predictions.push(extractor.extract(&doc.document)?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    if let Some(label) = &errors_for {
        for (doc, predicted) in docs.iter().zip(&predictions) {
            print_errors(&doc.document.text, &doc.entities, predicted, label);
        }
    }
    // Scored by nerlab's one scorer, as `cargo xtask eval` scores.
    let pairs = || docs.iter().zip(&predictions).map(|(d, p)| (d.entities.as_slice(), p.as_slice()));
    let mut scope: Vec<Label> =
        docs.iter().flat_map(|d| &d.entities).chain(predictions.iter().flatten()).map(|e| e.label.clone()).collect();
    scope.sort();
    scope.dedup();
    for (label, c) in &evaluate(pairs(), &scope).per_label {
        let (tp, fp, fn_) = (c.true_positives, c.false_positives, c.false_negatives);
        println!("{label:5} P {:.3} R {:.3} F1 {:.3}  (tp {tp} fp {fp} fn {fn_})", c.precision, c.recall, c.f1);
    }
    let conll = evaluate(pairs(), &Label::CONLL).micro;
    println!("CoNLL micro P {:.3} R {:.3} F1 {:.3}", conll.precision, conll.recall, conll.f1);
    println!("{} docs, {:.1} MB in {:.2}s ({:.1} MB/s, one thread)", docs.len(), bytes as f64 / 1e6, elapsed, bytes as f64 / 1e6 / elapsed);
    Ok(())
}

/// Prints the false positives and negatives of `label` in one document, with context.
fn print_errors(text: &str, gold: &[Entity], predicted: &[Entity], label: &Label) {
    let gold_set: HashSet<(usize, usize, &Label)> = gold.iter().map(|e| (e.start, e.end, &e.label)).collect();
    let pred_set: HashSet<(usize, usize, &Label)> = predicted.iter().map(|e| (e.start, e.end, &e.label)).collect();
    for p in pred_set.iter().filter(|p| p.2 == label && !gold_set.contains(*p)) {
        println!("FP {:?} in {:?}", &text[p.0..p.1], context(text, p.0, p.1));
    }
    for g in gold_set.iter().filter(|g| g.2 == label && !pred_set.contains(*g)) {
        let other = predicted.iter().find(|e| e.start < g.1 && g.0 < e.end).map(|e| format!("{}:{}", e.label, e.text));
        println!("FN {:?} (got {other:?}) in {:?}", &text[g.0..g.1], context(text, g.0, g.1));
    }
}

fn context(text: &str, s: usize, e: usize) -> String {
    let mut a = s.saturating_sub(40);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (e + 40).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    text[a..b].replace('\n', " ")
}
