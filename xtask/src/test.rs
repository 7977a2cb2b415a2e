//! `cargo xtask test`: the whole test suite, as CI runs it.

use crate::util::{cargo, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    // The tests use the shipped model and a tiny random one, never the base encoder, so CI
    // skips fetching and converting it (a release build of rust-bert).
    crate::setup::ensure_system()?;
    // The report's browser test (crates/orchestrator/tests/browser.rs) needs Chromium.
    crate::setup::ensure_browser()?;
    crate::plugins::build()?;
    run_cmd(cargo().args(["test", "--workspace", "--no-fail-fast"]).args(args))?;
    crate::spark::test()
}
