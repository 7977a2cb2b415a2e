//! Shared inputs for the criterion benchmarks in `benches/`.

use std::path::PathBuf;

/// The benches allocate through the allocator the `nerlab` binary uses, so that a bench of
/// rules or the dictionary and `nerlab extract` on the same text compare the same code (the
/// allocator alone moves end-to-end throughput by about a fifth on short documents). The
/// transformer differs: `nerlab` loads it as a plugin, which keeps the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The workspace root.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("benches/ is one level below the root").to_path_buf()
}

/// The news corpus's texts concatenated, the standard input of the throughput benches.
pub fn news_text() -> String {
    let dir = project_root().join("corpus/news");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus/news exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read_to_string(p).expect("readable news text")).collect::<Vec<_>>().join("\n\n")
}
