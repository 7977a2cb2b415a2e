//! `cargo xtask fuzz [TARGET...] [--seconds N] [--merge]`: coverage-guided fuzzing of every
//! reader and extractor with libFuzzer, on stable Rust.
//!
//! `cargo fuzz` needs a nightly toolchain for its sanitizer flags; the coverage
//! instrumentation libFuzzer steers by needs none: `-Cpasses=sancov-module` and the
//! `-Cllvm-args` below are stable codegen options, and `libfuzzer-sys` builds libFuzzer
//! itself with the system C++ compiler. What is lost is AddressSanitizer, which matters for
//! `unsafe` code (the plugin host is checked under valgrind instead, `cargo xtask valgrind`).
//!
//! Each target runs for `--seconds` (default 10; CI: [`CI_SECONDS`]) on its seed corpus in
//! `fuzz/corpus/<target>/`; new inputs and crashes go to `fuzz/target/runs/<target>/`, never
//! into the repository. Any crash fails the command, naming the input that caused it.
//! `--merge` adds to the seed corpus what earlier runs found that reaches new code (the
//! fewest inputs covering every new edge); commit that after a long campaign. `fuzz/README.md` has the
//! results of the last one.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::util::{cargo, host_triple, project_root, run_cmd};

/// Every target in `fuzz/fuzz_targets/`.
pub const TARGETS: [&str; 9] =
    ["brat", "conll", "jsonl", "config", "gazetteer", "rules_file", "extract_rules", "extract_dictionary", "extract_patterns"];

/// What `cargo fuzz` passes, less `-Zsanitizer=address`.
const COVERAGE_FLAGS: &str = "-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
     -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
     -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing";

/// Seconds per target in `cargo xtask test` (CI): enough to replay the seed corpus and try a
/// few hundred thousand mutations of the readers (fewer of the extractors).
const CI_SECONDS: u64 = 20;

/// What `cargo xtask test` runs: every target for [`CI_SECONDS`].
pub fn ci() -> anyhow::Result<()> {
    run(&["--seconds".to_string(), CI_SECONDS.to_string()])
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut seconds = 10u64;
    let mut merge = false;
    let mut targets: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = args.next().context("--seconds needs a number")?.parse().context("--seconds needs a number")?,
            "--merge" => merge = true,
            t if TARGETS.contains(&t) => targets.push(t),
            other => bail!("unknown fuzz target or option {other:?} (targets: {})", TARGETS.join(", ")),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let fuzz = project_root().join("fuzz");
    let bin_dir = build(&fuzz)?;
    let mut failed = Vec::new();
    for target in targets {
        let outcome = if merge { merge_into_seeds(&fuzz, &bin_dir, target) } else { run_target(&fuzz, &bin_dir, target, seconds) };
        if let Err(e) = outcome {
            eprintln!("{e:#}");
            failed.push(target);
        }
    }
    if !failed.is_empty() {
        bail!("fuzz targets failed: {}", failed.join(", "));
    }
    Ok(())
}

/// Builds every target with coverage instrumentation into `fuzz/target` and returns the
/// directory of the binaries.
///
/// The flags go to the fuzzed code only: with an explicit `--target`, cargo does not pass
/// `RUSTFLAGS` to build scripts and proc-macros, which would otherwise fail to link without
/// libFuzzer's coverage callbacks.
fn build(fuzz: &Path) -> anyhow::Result<PathBuf> {
    let target_dir = fuzz.join("target");
    let triple = host_triple()?;
    run_cmd(
        cargo()
            .current_dir(fuzz)
            .args(["build", "--release", "--bins", "--target", &triple, "--manifest-path"])
            .arg(fuzz.join("Cargo.toml"))
            .env("RUSTFLAGS", COVERAGE_FLAGS)
            .env("CARGO_TARGET_DIR", &target_dir),
    )?;
    Ok(target_dir.join(triple).join("release"))
}

/// libFuzzer's options for every run: an input taking longer than `-timeout` seconds (a
/// super-linear blow-up) or more than `-rss_limit_mb` is a failure like a crash; inputs are
/// at most 4 KiB, so each is well under a millisecond's work for linear code.
const LIMITS: [&str; 3] = ["-timeout=20", "-rss_limit_mb=1024", "-max_len=4096"];

fn run_target(fuzz: &Path, bin_dir: &Path, target: &str, seconds: u64) -> anyhow::Result<()> {
    let work = fuzz.join("target").join("runs").join(target);
    let new_inputs = work.join("corpus");
    std::fs::create_dir_all(&new_inputs).with_context(|| new_inputs.display().to_string())?;
    // The first directory receives new inputs; the seeds are only read.
    run_cmd(
        std::process::Command::new(bin_dir.join(target))
            .current_dir(fuzz)
            .arg(format!("-max_total_time={seconds}"))
            .args(LIMITS)
            .arg(format!("-artifact_prefix={}/", work.display()))
            .arg("-print_final_stats=1")
            .arg(&new_inputs)
            .arg(fuzz.join("corpus").join(target)),
    )
    .with_context(|| format!("fuzz target {target}: a crash or failure; the input is in {}", work.display()))
}

/// `--merge`: adds to `fuzz/corpus/<target>` the fewest inputs of earlier runs that reach
/// every code edge the seeds do not (libFuzzer's `-set_cover_merge=1` over edges only: hit
/// counts and comparison operands would keep thousands of files), so CI's short runs start
/// where a long one ended.
fn merge_into_seeds(fuzz: &Path, bin_dir: &Path, target: &str) -> anyhow::Result<()> {
    let found = fuzz.join("target").join("runs").join(target).join("corpus");
    if !found.is_dir() {
        bail!("fuzz target {target}: nothing to merge in {} (run `cargo xtask fuzz {target}` first)", found.display());
    }
    run_cmd(
        std::process::Command::new(bin_dir.join(target))
            .current_dir(fuzz)
            .args(["-set_cover_merge=1", "-use_counters=0", "-use_cmp=0"])
            .args(LIMITS)
            .arg(fuzz.join("corpus").join(target))
            .arg(&found),
    )
    .with_context(|| format!("fuzz target {target}: merging {} failed", found.display()))
}
