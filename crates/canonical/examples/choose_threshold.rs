//! Reproduces the default similarity threshold: `cargo run -p nerlab-canonical --example
//! choose_threshold [PAIRS.tsv]` prints precision/recall/F1 of the merge decisions per
//! threshold on hand-labelled name pairs and the chosen one.

use std::path::PathBuf;

use nerlab_canonical::threshold::{best, read_pairs, sweep};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/canonical/similarity-pairs.tsv"));
    let pairs = read_pairs(&path)?;
    let same = pairs.iter().filter(|p| p.same).count();
    println!("{} pairs ({same} same, {} different) from {}", pairs.len(), pairs.len() - same, path.display());
    println!("threshold  precision  recall  F1");
    let scores = sweep(&pairs);
    for s in &scores {
        println!("{:9.2}  {:9.3}  {:6.3}  {:.3}", s.threshold, s.precision, s.recall, s.f1);
    }
    if let Some(b) = best(&scores) {
        println!(
            "chosen: {:.2} (F1 {:.3}); nerlab-canonical's default is {}",
            b.threshold,
            b.f1,
            nerlab_canonical::similarity::DEFAULT_THRESHOLD
        );
    }
    Ok(())
}
