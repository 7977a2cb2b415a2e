//! `cargo xtask valgrind`: the plugin crate's tests (its unit tests and the host tests that
//! load real plugin libraries over the C ABI) under valgrind's memcheck.
//!
//! The plugin host is the one place nerlab reads memory another library lends it, and Miri
//! cannot run on stable Rust nor follow a `dlopen`ed library; valgrind can. Any invalid read
//! or write, use of uninitialised memory in a branch or a system call, or bad free fails the
//! run (`--error-exitcode=1`). Leaks are not errors: a loaded library keeps what it keeps.
//!
//! The tests run through cargo's target runner, so cargo builds them as usual (with debug
//! information, the `dev` profile) and each test binary starts under valgrind. The plugins
//! the host tests build with a child `cargo` run outside valgrind (children are not traced);
//! their code runs under it once loaded into the test process.

use anyhow::bail;

use crate::util::{cargo, have_program, host_triple, run_cmd};

/// The memcheck options: fail on any error, keep the report readable.
const VALGRIND: &str = "valgrind --tool=memcheck --error-exitcode=1 --leak-check=no --track-origins=yes --quiet";

/// `cargo xtask valgrind [TEST ARGS...]`: installs valgrind if missing and runs the tests.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::setup::ensure_checkers()?;
    if !have_program("valgrind") {
        bail!("valgrind is not on PATH although its package is installed");
    }
    run_cmd(
        cargo().args(["test", "--package", "nerlab-plugin", "--lib", "--tests"]).env(runner_variable()?, VALGRIND).args(["--"]).args(args),
    )
}

/// `CARGO_TARGET_<HOST TRIPLE>_RUNNER`, the variable that makes cargo start test binaries
/// through a program.
fn runner_variable() -> anyhow::Result<String> {
    Ok(format!("CARGO_TARGET_{}_RUNNER", host_triple()?.to_uppercase().replace(['-', '.'], "_")))
}
