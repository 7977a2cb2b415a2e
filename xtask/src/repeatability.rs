//! `cargo xtask repeatability [--runs N] [--corpus NAME] [-- <nerlab eval options>]`: do the
//! throughput ranges `nerlab eval` prints hold from one run to the next?
//!
//! Runs `nerlab eval` N times (default 3) in a row, each into its own directory under
//! `target/nerlab-repeatability/`, and checks for every extractor that each run's median
//! tokens/s lies within the min–max every other run printed. Meaningful on a quiet machine
//! only: a build or a browser running beside it moves the figures by more than any range.
//! Fails when some pair disagrees.

use anyhow::{bail, Context};
use serde_json::Value;

use crate::util::{cargo, project_root, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut runs = 3usize;
    let mut corpus = "news".to_string();
    let mut passthrough = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => runs = it.next().context("--runs needs a number")?.parse().context("--runs needs a number")?,
            "--corpus" => corpus = it.next().cloned().context("--corpus needs a value")?,
            "--" => passthrough.extend(it.by_ref().cloned()),
            other => bail!("unknown option {other:?} (see `cargo xtask help`)"),
        }
    }
    if runs < 2 {
        bail!("--runs must be at least 2");
    }
    run_cmd(cargo().args(["build", "--release", "--package", "nerlab-orchestrator", "--bin", "nerlab"]))?;
    crate::plugins::build()?;
    let root = project_root();
    let mut reports = Vec::new();
    for run in 1..=runs {
        let out = root.join("target/nerlab-repeatability").join(format!("run-{run}"));
        run_cmd(
            std::process::Command::new(root.join("target/release/nerlab"))
                .current_dir(&root)
                .args(["eval", "--quiet", "--corpus", &corpus, "--out"])
                .arg(&out)
                .args(&passthrough),
        )?;
        // The report directory is the corpus name, sanitised; take the one report written.
        let path = std::fs::read_dir(&out)?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("report.json"))
            .find(|p| p.is_file())
            .with_context(|| format!("no report.json under {}", out.display()))?;
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&path)?).with_context(|| path.display().to_string())?;
        reports.push(throughputs(&json));
    }
    let mut disagree = 0;
    println!("\ntokens/s per run: median [min–max]; every median must lie in every run's range");
    for (name, _) in &reports[0] {
        let per_run: Vec<(f64, f64, f64)> =
            reports.iter().filter_map(|r| r.iter().find(|(n, _)| n == name).map(|(_, spread)| *spread)).collect();
        let holds = per_run.iter().all(|&(median, _, _)| per_run.iter().all(|&(_, min, max)| min <= median && median <= max));
        disagree += usize::from(!holds);
        let cells: Vec<String> = per_run.iter().map(|(m, lo, hi)| format!("{m:.0} [{lo:.0}–{hi:.0}]")).collect();
        println!("{name:<14} {}  {}", cells.join("  "), if holds { "agree" } else { "DISAGREE" });
    }
    if disagree > 0 {
        bail!("{disagree} extractor(s) have a run whose median lies outside another run's range");
    }
    Ok(())
}

/// (extractor, (median, min, max) tokens/s) from a report.json.
fn throughputs(report: &Value) -> Vec<(String, (f64, f64, f64))> {
    let extractors = report["extractors"].as_array().cloned().unwrap_or_default();
    extractors
        .iter()
        .map(|e| {
            let t = &e["throughput"]["tokens_per_second"];
            let f = |k: &str| t[k].as_f64().unwrap_or(f64::NAN);
            (e["name"].as_str().unwrap_or("?").to_string(), (f("median"), f("min"), f("max")))
        })
        .collect()
}
