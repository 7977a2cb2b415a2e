//! `cargo xtask fuzz [TARGET...] [--seconds N]`: coverage-guided fuzzing of every reader and
//! extractor with libFuzzer, on stable Rust.
//!
//! `cargo fuzz` needs a nightly toolchain for its sanitizer flags; the coverage
//! instrumentation libFuzzer steers by needs none: `-Cpasses=sancov-module` and the
//! `-Cllvm-args` below are stable codegen options, and `libfuzzer-sys` builds libFuzzer
//! itself with the system C++ compiler. What is lost is AddressSanitizer, which matters for
//! `unsafe` code (the plugin host is checked under valgrind instead, `cargo xtask valgrind`).
//!
//! Each target runs for `--seconds` (default 10, what CI uses) on its seed corpus in
//! `fuzz/corpus/<target>/`; new inputs and crashes go to `fuzz/target/runs/<target>/`, never
//! into the repository. Any crash fails the command, naming the input that caused it.

use std::path::Path;

use anyhow::{bail, Context};

use crate::util::{cargo, project_root, run_cmd};

/// Every target in `fuzz/fuzz_targets/`.
pub const TARGETS: [&str; 9] =
    ["brat", "conll", "jsonl", "config", "gazetteer", "rules_file", "extract_rules", "extract_dictionary", "extract_patterns"];

/// What `cargo fuzz` passes, less `-Zsanitizer=address`.
const COVERAGE_FLAGS: &str = "-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
     -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
     -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut seconds = 10u64;
    let mut targets: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = args.next().context("--seconds needs a number")?.parse().context("--seconds needs a number")?,
            t if TARGETS.contains(&t) => targets.push(t),
            other => bail!("unknown fuzz target or option {other:?} (targets: {})", TARGETS.join(", ")),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let fuzz = project_root().join("fuzz");
    let target_dir = fuzz.join("target");
    run_cmd(
        cargo()
            .current_dir(&fuzz)
            .args(["build", "--release", "--bins", "--manifest-path"])
            .arg(fuzz.join("Cargo.toml"))
            .env("RUSTFLAGS", COVERAGE_FLAGS)
            .env("CARGO_TARGET_DIR", &target_dir),
    )?;
    let mut failed = Vec::new();
    for target in targets {
        if let Err(e) = run_target(&fuzz, &target_dir, target, seconds) {
            eprintln!("{e:#}");
            failed.push(target);
        }
    }
    if !failed.is_empty() {
        bail!("fuzz targets failed: {}", failed.join(", "));
    }
    Ok(())
}

fn run_target(fuzz: &Path, target_dir: &Path, target: &str, seconds: u64) -> anyhow::Result<()> {
    let work = target_dir.join("runs").join(target);
    let new_inputs = work.join("corpus");
    std::fs::create_dir_all(&new_inputs).with_context(|| new_inputs.display().to_string())?;
    // The first directory receives new inputs; the seeds are only read.
    run_cmd(
        std::process::Command::new(target_dir.join("release").join(target))
            .current_dir(fuzz)
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-artifact_prefix={}/", work.display()))
            .arg("-print_final_stats=1")
            .arg(&new_inputs)
            .arg(fuzz.join("corpus").join(target)),
    )
    .with_context(|| format!("fuzz target {target}: a crash or failure; the input is in {}", work.display()))
}
