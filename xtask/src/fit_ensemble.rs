//! `cargo xtask fit-ensemble`: refits the default ensemble's combiner, reproducibly.
//!
//! The shipped transformer was trained on CoNLL `valid`, so its `valid` outputs are training
//! outputs; the ensemble is fitted on the outputs of a stand-in trained on `train` alone (the
//! `transformer-heldout` extractor of nerlab.toml; see crates/ensemble/README.md). This trains
//! that stand-in under target/ when it is missing (deterministic, ~5 min on 2 cores), then runs
//! `nerlab fit-ensemble` on `conll2003-valid`, which writes models/ensemble/.

use crate::util::{cargo, project_root, run_cmd};

/// Where the stand-in transformer lives; nerlab.toml's `transformer-heldout` points here.
const STAND_IN: &str = "target/ensemble/minilm-train-only";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::setup::ensure()?;
    let stand_in = project_root().join(STAND_IN);
    if !stand_in.join("model.ot").exists() {
        // One epoch of the shipped recipe on `train` only: its `valid` F1 (~90) is close to
        // what the shipped model scores on unseen text, which is what the combiner must expect.
        let train_args = ["--epochs", "1", "--out", STAND_IN, "--work", "target/ensemble/train-work"];
        crate::train::run(&train_args.map(String::from))?;
    }
    run_cmd(cargo().args(["build", "--release", "--package", "nerlab-orchestrator", "--bin", "nerlab"]))?;
    let nerlab = project_root().join("target/release/nerlab");
    run_cmd(
        std::process::Command::new(nerlab)
            .current_dir(project_root())
            .args(["fit-ensemble", "--config", "nerlab.toml", "--extractor", "ensemble", "--corpus", "conll2003-valid"])
            .args(args),
    )
}
