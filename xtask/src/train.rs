//! `cargo xtask train`: fine-tunes the transformer NER model on CoNLL-2003.
//!
//! Sets up libtorch and the base encoder, builds the trainer in release mode and runs it with
//! the project's defaults (`models/minilm-conll03`, checkpoints in `target/nerlab-train`);
//! other options pass through (`cargo xtask train --help` lists them, `--resume` continues an
//! interrupted run from its last epoch checkpoint).

use crate::util::{cargo, project_root, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let help = args.iter().any(|a| a == "--help" || a == "-h");
    if !help {
        crate::setup::ensure_system()?;
    }
    let base = if help { crate::setup::base_model_dir() } else { crate::setup::ensure_base_model()? };
    run_cmd(cargo().args(["build", "--release", "--package", "nerlab-transformer", "--bin", "nerlab-train"]))?;
    let trainer = project_root().join("target/release/nerlab-train");
    run_cmd(std::process::Command::new(trainer).current_dir(project_root()).arg("train").arg("--base").arg(base).args(args))
}
