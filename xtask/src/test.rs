//! `cargo xtask test`: the whole test suite, as CI runs it: formatting, clippy, then the tests.

use crate::util::{cargo, run_cmd};

/// Whether `cargo fmt --check` is part of the run (the tree follows `rustfmt.toml`; `cargo fmt
/// --all` fixes what the check finds).
const CHECK_FORMATTING: bool = true;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    // The tests use the shipped model and a tiny random one, never the base encoder, so CI
    // skips fetching and converting it (a release build of rust-bert).
    crate::setup::ensure_system()?;
    // The transformer's ONNX backends are tested against libtorch (crates/transformer/tests/onnx.rs).
    crate::onnx::ensure()?;
    if CHECK_FORMATTING || std::env::var_os("NERLAB_CHECK_FMT").is_some() {
        run_cmd(cargo().args(["fmt", "--all", "--", "--check"]))?;
    }
    // Lints first: they fail fast, and `clippy` shares its dependency builds with `test`.
    run_cmd(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    // The report's browser test (crates/orchestrator/tests/browser.rs) needs Chromium.
    crate::setup::ensure_browser()?;
    // No test loads the release transformer library (its tests load the one `cargo test`
    // builds): building it would be a release build of libtorch's bindings and rust-bert.
    crate::plugins::build_except(&["nerlab-plugin-transformer"])?;
    run_cmd(cargo().args(["test", "--workspace", "--no-fail-fast"]).args(args))?;
    // The plugin host reads memory plugins lend it: its tests again, under memcheck.
    crate::valgrind::run(&[])?;
    // Every reader and extractor under libFuzzer, briefly, from the seed corpus.
    crate::fuzz::ci()?;
    crate::spark::test()
}
