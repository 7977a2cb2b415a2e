//! The default similarity threshold is the one the documented procedure picks on the
//! hand-labelled pairs (so editing either without the other fails here).

use std::path::Path;

use nerlab_canonical::similarity::DEFAULT_THRESHOLD;
use nerlab_canonical::threshold::{best, read_pairs, sweep};

#[test]
fn default_threshold_is_the_chosen_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/canonical/similarity-pairs.tsv");
    let pairs = read_pairs(&path).unwrap();
    assert!(pairs.len() >= 200, "{}", pairs.len());
    let chosen = best(&sweep(&pairs)).unwrap();
    assert!((chosen.threshold - DEFAULT_THRESHOLD).abs() < 1e-9, "chosen {chosen:?}, default {DEFAULT_THRESHOLD}");
    // Merging must be worth it: well above the "never merge" and "merge all" ends.
    assert!(chosen.f1 > 0.6, "{chosen:?}");
}

#[test]
fn bad_pair_files_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.tsv");
    std::fs::write(&p, "label\tleft\tright\tsame\nPER\ta\tb\tmaybe\n").unwrap();
    assert_eq!(read_pairs(&p).unwrap_err().line(), Some(2));
}
