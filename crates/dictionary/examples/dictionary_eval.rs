//! Development helper: builds the dictionary from the shipped gazetteers, reports build time,
//! and scores it on a CoNLL file (strict micro P/R/F1 and per label), with the text built
//! as nerlab's CoNLL reader does (tokens joined by single spaces, one sentence a document).
//!
//! `cargo run --release -p nerlab-dictionary --example dictionary_eval -- corpus/conll2003/valid.txt`
//!
//! This keeps its own tiny reader and scorer so it works before and independently of the
//! orchestrator; the reported numbers come from `cargo xtask eval`.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

use nerlab_core::{BuildContext, Family, Document, Extractor};
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
        let news = std::fs::read_dir(root.join("corpus/news")).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).map(|p| std::fs::read_to_string(p).unwrap()).collect::<Vec<_>>().join("\n\n");
        let n = 2000;
        let t = Instant::now();
        let mut c = 0;
        for _ in 0..n { c += dict.count_raw_matches(std::hint::black_box(&news)); }
        println!("matching {:.0} MB/s ({c})", (n * news.len()) as f64 / t.elapsed().as_secs_f64() / 1e6);
        let t = Instant::now();
        let doc = Document::new("news", news.clone());
        for _ in 0..n { c += dict.extract(std::hint::black_box(&doc)).unwrap().len(); }
        println!("extract {:.0} MB/s ({c})", (n * news.len()) as f64 / t.elapsed().as_secs_f64() / 1e6);
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let show_errors = std::env::args().nth(2).is_some_and(|a| a == "--errors");
    // (gold, predicted, hits) per label.
    let mut counts: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut bytes = 0;
    let mut elapsed = 0.0;
    for (n, block) in text.split("\n\n").enumerate() {
        let mut doc = String::new();
        let mut gold = HashSet::new();
        let mut open: Option<(usize, String)> = None;
        let close = |open: &mut Option<(usize, String)>, end: usize, gold: &mut HashSet<(usize, usize, String)>| {
            if let Some((s, l)) = open.take() {
                gold.insert((s, end, l));
            }
        };
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            let mut cols = line.split_whitespace();
            let token = cols.next().unwrap_or_default();
            let tag = cols.last().unwrap_or("O");
            if !doc.is_empty() {
                doc.push(' ');
            }
            let start = doc.len();
            let continues = tag.starts_with("I-") && open.as_ref().is_some_and(|(_, l)| l == &tag[2..]);
            if !continues {
                close(&mut open, start.saturating_sub(1), &mut gold);
                if tag.len() > 2 {
                    open = Some((start, tag[2..].to_string()));
                }
            }
            doc.push_str(token);
        }
        let end = doc.len();
        close(&mut open, end, &mut gold);
        if doc.is_empty() {
            continue;
        }
        bytes += doc.len();
        let t = Instant::now();
        let predicted = dict.extract(&Document::new(n.to_string(), doc.clone())).unwrap_or_else(|e| panic!("{e}"));
        elapsed += t.elapsed().as_secs_f64();
        let predicted: HashSet<(usize, usize, String)> = predicted.into_iter().map(|e| (e.start, e.end, e.label.to_string())).collect();
        for (s, e, l) in &gold {
            counts.entry(l.clone()).or_default()[0] += 1;
            if !predicted.contains(&(*s, *e, l.clone())) && show_errors {
                println!("FN {l}\t{}\t| {doc}", &doc[*s..*e]);
            }
        }
        for (s, e, l) in &predicted {
            let c = counts.entry(l.clone()).or_default();
            c[1] += 1;
            if gold.contains(&(*s, *e, l.clone())) {
                c[2] += 1;
            } else if show_errors {
                println!("FP {l}\t{}\t| {doc}", &doc[*s..*e]);
            }
        }
    }
    let prf = |[g, p, h]: [usize; 3]| {
        let pr = if p == 0 { 0.0 } else { h as f64 / p as f64 };
        let rc = if g == 0 { 0.0 } else { h as f64 / g as f64 };
        let f = if pr + rc == 0.0 { 0.0 } else { 2.0 * pr * rc / (pr + rc) };
        format!("P {:5.2}  R {:5.2}  F1 {:5.2}  (gold {g}, predicted {p})", 100.0 * pr, 100.0 * rc, 100.0 * f)
    };
    let mut total = [0; 3];
    for (label, c) in &counts {
        println!("{label:5} {}", prf(*c));
        for i in 0..3 {
            total[i] += c[i];
        }
    }
    println!("micro {}", prf(total));
    println!("{:.1} MB/s over {bytes} bytes (sentence by sentence)", bytes as f64 / elapsed / 1e6);
}
