//! `cargo xtask bench`: criterion benchmarks, each reporting throughput.

use crate::util::{cargo, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::setup::ensure()?;
    let mut cmd = cargo();
    cmd.args(["bench", "--workspace"]);
    if let Some(name) = args.first() {
        cmd.args(["--bench", name]);
    }
    run_cmd(&mut cmd)
}
