//! Headless Chromium as nerlab starts it: one way to find the binary and one list of flags,
//! for `cargo xtask report --screenshot` and for the report's browser test
//! (`crates/orchestrator/tests/browser.rs` includes this file by path: the two are different
//! crates and neither should depend on the other).

use std::path::{Path, PathBuf};
use std::process::Command;

/// What to say when no browser is found.
pub const MISSING: &str = "headless Chromium is needed and none is on PATH: run `cargo xtask setup` (installs Debian's \
                           `chromium`), or point NERLAB_CHROMIUM at a Chrome/Chromium binary";

/// `NERLAB_CHROMIUM`, else the first of `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
pub fn find() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NERLAB_CHROMIUM") {
        return Some(p.into());
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file()))
}

/// A headless, offline browser with no state kept between runs: `profile` is a fresh
/// directory the caller removes afterwards.
pub fn headless(binary: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--force-device-scale-factor=1",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}
