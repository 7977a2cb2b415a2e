//! `cargo xtask eval`: set up, build in release mode, run `nerlab eval`.

use anyhow::bail;

use crate::util::{cargo, project_root, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut corpus = "news".to_string();
    let mut config = project_root().join("nerlab.toml");
    let mut setup = true;
    let mut passthrough = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--corpus" => corpus = it.next().cloned().ok_or_else(|| anyhow::anyhow!("--corpus needs a value"))?,
            "--config" => config = it.next().ok_or_else(|| anyhow::anyhow!("--config needs a value"))?.into(),
            "--no-setup" => setup = false,
            "--" => passthrough.extend(it.by_ref().cloned()),
            other => bail!("unknown option {other:?} (see `cargo xtask help`)"),
        }
    }
    if setup {
        crate::setup::ensure()?;
        // A transformer with `backend = "onnx-int8"` (the default config's) / `"onnx-fp32"` needs
        // ONNX Runtime and the exported graphs; a libtorch-only config does not pay for them.
        if std::fs::read_to_string(&config).is_ok_and(|text| text.contains("\"onnx-")) {
            crate::onnx::ensure()?;
        }
    }
    run_cmd(cargo().args(["build", "--release", "--package", "nerlab-orchestrator", "--bin", "nerlab"]))?;
    crate::plugins::build()?;
    let nerlab = project_root().join("target/release/nerlab");
    run_cmd(
        std::process::Command::new(nerlab)
            .current_dir(project_root())
            .arg("eval")
            .arg("--config")
            .arg(&config)
            .arg("--corpus")
            .arg(&corpus)
            .args(&passthrough),
    )
}
