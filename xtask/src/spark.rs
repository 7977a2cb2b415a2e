//! The Spark integration (`integrations/spark/`): its set-up and its CI test.
//!
//! PySpark comes from PyPI into a virtual environment under `target/` (no system Python is
//! modified); the JRE it needs is a Debian package, installed with the others by
//! `setup::ensure_system` (see `setup::APT_PACKAGES`).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

use crate::util::{have_program, project_root, run_cmd};

/// The PySpark release the job is tested with (Java 17 is supported from 3.3).
const PYSPARK: &str = "pyspark==3.5.3";

/// The virtual environment's Python, with PySpark installed.
pub fn ensure() -> anyhow::Result<PathBuf> {
    let venv = project_root().join("target/spark-venv");
    let python = venv.join("bin/python");
    let installed = Command::new(&python).args(["-c", "import pyspark"]).output().is_ok_and(|o| o.status.success());
    if installed {
        return Ok(python);
    }
    if !have_program("python3") {
        bail!("python3 (with venv and pip) is needed to install {PYSPARK} from PyPI");
    }
    run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv)).context("cannot create the PySpark environment")?;
    run_cmd(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "--disable-pip-version-check", PYSPARK]))
        .with_context(|| format!("cannot install {PYSPARK} from PyPI"))?;
    Ok(python)
}

/// Runs the Spark job in local mode (`local[2]`) over the news and CoNLL test corpora and
/// checks its output against a single `nerlab extract`, document for document.
pub fn test() -> anyhow::Result<()> {
    if !have_program("java") {
        bail!("no `java` on PATH: the Spark test needs a JRE (`cargo xtask setup` installs one)");
    }
    let python = ensure()?;
    let root = project_root();
    // Built by `cargo test` (the orchestrator's integration tests need the binary).
    let nerlab = root.join("target/debug/nerlab");
    run_cmd(
        Command::new(python)
            .arg(root.join("integrations/spark/test_local.py"))
            .arg("--nerlab")
            .arg(&nerlab)
            .arg("--root")
            .arg(&root)
            .arg("--work")
            .arg(root.join("target/spark-test")),
    )
}
