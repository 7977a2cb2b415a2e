//! Helpers for testing a plugin over the real ABI: build its `cdylib` and find the file.
//!
//! A test that runs `cargo build` while the outer `cargo test` holds the lock on the same
//! target directory would wait forever, so [`build_plugins`] builds into a target directory
//! of the caller's choosing; `env!("CARGO_TARGET_TMPDIR")` (set for integration tests) is
//! the natural parent:
//!
//! ```no_run
//! # fn main() -> nerlab_core::Result<()> {
//! let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/plugin-tests");
//! use nerlab_plugin::testing::{build_plugins, Profile};
//! let dir = build_plugins(&["nerlab-plugin-patterns"], &target, Profile::Dev)?;
//! let path = nerlab_plugin::testing::library_path(&dir, "nerlab-plugin-patterns");
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use nerlab_core::{Error, ErrorKind, Result};

/// The cargo profile to build plugins with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `dev`, for tests: quick to build.
    Dev,
    /// `release`, for benchmarks: compare like with like.
    Release,
}

/// Builds `packages` (cdylib crates of the current workspace) with the `cargo` running the
/// tests, into `target_dir`, and returns the directory holding the libraries.
///
/// # Errors
/// [`ErrorKind::Load`] when cargo cannot be started or the build fails (its output goes to
/// the test's stderr).
pub fn build_plugins(packages: &[&str], target_dir: &Path, profile: Profile) -> Result<PathBuf> {
    // Cargo tells the processes it runs which cargo it is; fall back to the one on PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet"])
        .env("CARGO_TARGET_DIR", target_dir);
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    for p in packages {
        cmd.args(["--package", p]);
    }
    let status = cmd.status().map_err(|e| {
        Error::new(
            ErrorKind::Load,
            format!("cannot run cargo to build {packages:?}: {e}"),
        )
    })?;
    if !status.success() {
        return Err(Error::new(
            ErrorKind::Load,
            format!("building {packages:?} failed ({status})"),
        ));
    }
    Ok(target_dir.join(match profile {
        Profile::Dev => "debug",
        Profile::Release => "release",
    }))
}

/// The file name cargo gives the `cdylib` of `package` in `dir`, e.g.
/// `dir/libnerlab_plugin_patterns.so` on Linux.
pub fn library_path(dir: &Path, package: &str) -> PathBuf {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    dir.join(format!(
        "{DLL_PREFIX}{}{DLL_SUFFIX}",
        package.replace('-', "_")
    ))
}
