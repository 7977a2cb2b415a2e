//! `cargo xtask test`: the whole test suite, as CI runs it.

use crate::util::{cargo, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::setup::ensure()?;
    crate::plugins::build()?;
    run_cmd(cargo().args(["test", "--workspace", "--no-fail-fast"]).args(args))
}
