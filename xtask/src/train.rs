//! `cargo xtask train`: fine-tunes the transformer NER model (CoNLL-2003 by default; any
//! corpus with `--train CORPUS --dev CORPUS`, see crates/train/README.md).
//!
//! Sets up libtorch and the base encoder, builds the trainer (`nerlab-train`, its own crate)
//! in release mode and runs it with the project's defaults (`models/minilm-conll03`,
//! checkpoints in `target/nerlab-train`); options pass through (`cargo xtask train --help`
//! lists them, `--resume` continues an interrupted run from its last epoch checkpoint).

use crate::util::{cargo, project_root, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let args: Vec<&String> = args.iter().filter(|a| *a != "--").collect();
    let help = args.iter().any(|a| *a == "--help" || *a == "-h");
    let own_base = args.iter().any(|a| *a == "--base" || a.starts_with("--base="));
    if !help {
        crate::setup::ensure_system()?;
    }
    run_cmd(cargo().args(["build", "--release", "--package", "nerlab-train", "--bin", "nerlab-train"]))?;
    let mut trainer = std::process::Command::new(project_root().join("target/release/nerlab-train"));
    trainer.current_dir(project_root());
    if !own_base {
        let base = if help { crate::setup::base_model_dir() } else { crate::setup::ensure_base_model()? };
        trainer.arg("--base").arg(base);
    }
    run_cmd(trainer.args(args))
}
