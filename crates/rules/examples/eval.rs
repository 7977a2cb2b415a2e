//! Strict P/R/F1 of the built-in news rules on a corpus, for rule development.
//!
//! ```text
//! cargo run --release -p nerlab-rules --example eval -- corpus/conll2003/valid.txt [RULES] [--errors LABEL]
//! cargo run --release -p nerlab-rules --example eval -- corpus/news
//! ```
//!
//! A path ending in `.txt` is read as CoNLL (IOB2), a directory as brat. `--errors LABEL`
//! prints false positives and negatives of that label (never use it on a test set).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use nerlab_core::{BuildContext, Family, read_corpus, CorpusFormat, Extractor, Label, TagScheme};
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
    let mut counts: BTreeMap<Label, [usize; 3]> = BTreeMap::new();
    for doc in &docs {
        bytes += doc.document.text.len();
        let predicted = extractor.extract(&doc.document)?;
        let gold: HashSet<(usize, usize, &Label)> = doc.entities.iter().map(|e| (e.start, e.end, &e.label)).collect();
        let pred: HashSet<(usize, usize, &Label)> = predicted.iter().map(|e| (e.start, e.end, &e.label)).collect();
        for p in &pred {
            let c = counts.entry(p.2.clone()).or_default();
            if gold.contains(p) {
                c[0] += 1;
            } else {
                c[1] += 1;
                if errors_for.as_ref() == Some(p.2) {
                    println!("FP {:?} in {:?}", &doc.document.text[p.0..p.1], context(&doc.document.text, p.0, p.1));
                }
            }
        }
        for g in &gold {
            if !pred.contains(g) {
                counts.entry(g.2.clone()).or_default()[2] += 1;
                if errors_for.as_ref() == Some(g.2) {
                    let other = predicted.iter().find(|e| e.start < g.1 && g.0 < e.end).map(|e| format!("{}:{}", e.label, e.text));
                    println!("FN {:?} (got {other:?}) in {:?}", &doc.document.text[g.0..g.1], context(&doc.document.text, g.0, g.1));
                }
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let f1 = |[tp, fp, fn_]: [usize; 3]| {
        let p = if tp + fp == 0 { 0.0 } else { tp as f64 / (tp + fp) as f64 };
        let r = if tp + fn_ == 0 { 0.0 } else { tp as f64 / (tp + fn_) as f64 };
        (p, r, if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) })
    };
    let mut conll = [0; 3];
    for (label, c) in &counts {
        let (p, r, f) = f1(*c);
        println!("{label:5} P {:.3} R {:.3} F1 {:.3}  (tp {} fp {} fn {})", p, r, f, c[0], c[1], c[2]);
        if Label::CONLL.contains(label) {
            (0..3).for_each(|k| conll[k] += c[k]);
        }
    }
    let (p, r, f) = f1(conll);
    println!("CoNLL micro P {p:.3} R {r:.3} F1 {f:.3}");
    println!("{} docs, {:.1} MB in {:.2}s ({:.1} MB/s, one thread)", docs.len(), bytes as f64 / 1e6, elapsed, bytes as f64 / 1e6 / elapsed);
    Ok(())
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
