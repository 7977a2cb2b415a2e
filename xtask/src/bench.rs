//! `cargo xtask bench`: criterion benchmarks, each reporting throughput; `--extract`: the
//! end-to-end figures of README "Large corpora" (benches/extract_scaling.py).

use crate::util::{cargo, project_root, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::setup::ensure()?;
    // The transformer bench covers the onnx backends too.
    crate::onnx::ensure()?;
    if args.first().map(String::as_str) == Some("--extract") {
        return extract(&args[1..]);
    }
    let mut cmd = cargo();
    cmd.args(["bench", "--workspace"]);
    if let Some(name) = args.first() {
        cmd.args(["--bench", name]);
    }
    run_cmd(&mut cmd)
}

/// `cargo xtask bench --extract [ARGS]`: the release `nerlab` and its transformer library, the
/// criterion `extract` bench (the same text, for comparison), then the script, with `ARGS`
/// passed on (`--smoke` checks it in seconds; `--sections`, `--extractors` pick parts). About
/// 5-10 minutes on 2 cores.
fn extract(args: &[String]) -> anyhow::Result<()> {
    run_cmd(cargo().args(["build", "--release", "--package", "nerlab-orchestrator", "--bin", "nerlab"]))?;
    crate::plugins::build()?;
    // Section 2 compares with the criterion bench: only it needs the bench's figures.
    let sections = args.iter().position(|a| a == "--sections").and_then(|k| args.get(k + 1));
    let compares_with_criterion = sections.is_none_or(|s| s.split(',').any(|n| n.trim() == "2"));
    if compares_with_criterion && !args.iter().any(|a| a == "--smoke") {
        run_cmd(cargo().args(["bench", "--package", "nerlab-benches", "--bench", "extract"]))?;
    }
    let root = project_root();
    run_cmd(
        std::process::Command::new("python3")
            .arg(root.join("benches/extract_scaling.py"))
            .arg("--nerlab")
            .arg(root.join("target/release/nerlab"))
            .arg("--root")
            .arg(&root)
            .arg("--work")
            .arg(root.join("target/extract-scaling"))
            .args(args),
    )
}
