//! `cargo xtask report --screenshot`: pictures of a report `cargo xtask eval` wrote, taken with
//! headless Chromium, for the README.
//!
//! Writes `docs/report.png` (the top of `report.html`: Pareto plot, summary, significance)
//! and copies `pareto.svg` to `docs/pareto.svg`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::util::{project_root, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut corpus = "news".to_string();
    let mut out_dir = project_root().join("docs");
    let mut screenshot = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--corpus" => corpus = it.next().cloned().context("--corpus needs a value")?,
            "--out" => out_dir = it.next().context("--out needs a directory")?.into(),
            "--screenshot" => screenshot = true,
            other => bail!("unknown option {other:?} (see `cargo xtask help`)"),
        }
    }
    let report_dir = project_root().join("target/nerlab").join(&corpus);
    let html = report_dir.join("report.html");
    if !html.is_file() {
        bail!("{} does not exist: run `cargo xtask eval --corpus {corpus}` first", html.display());
    }
    if !screenshot {
        eprintln!("{}", html.display());
        return Ok(());
    }
    crate::setup::ensure_browser()?;
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let url = file_url(&html)?;
    capture(&url, &out_dir.join("report.png"), (1440, 1900))?;
    std::fs::copy(report_dir.join("pareto.svg"), out_dir.join("pareto.svg")).context("cannot copy pareto.svg")?;
    eprintln!("wrote report.png and pareto.svg to {}", out_dir.display());
    Ok(())
}

fn file_url(path: &Path) -> anyhow::Result<String> {
    let abs = path.canonicalize().with_context(|| format!("cannot resolve {}", path.display()))?;
    Ok(format!("file://{}", abs.display()))
}

/// A PNG of the page at `url` in a window of `size` pixels.
fn capture(url: &str, png: &Path, size: (u32, u32)) -> anyhow::Result<()> {
    let profile = std::env::temp_dir().join(format!("nerlab-chromium-{}", std::process::id()));
    let result = run_cmd(
        Command::new(chromium()?)
            .args(HEADLESS_FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--hide-scrollbars")
            .arg(format!("--window-size={},{}", size.0, size.1))
            .arg(format!("--screenshot={}", png.display()))
            .arg(url),
    );
    let _ = std::fs::remove_dir_all(&profile);
    result?;
    if !png.is_file() {
        bail!("chromium wrote no {}", png.display());
    }
    Ok(())
}

/// Headless, offline, no state kept between runs (the profile is a fresh directory).
const HEADLESS_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--force-device-scale-factor=1",
];

fn chromium() -> anyhow::Result<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find(|p| crate::util::have_program(p))
        .map(PathBuf::from)
        .context("no chromium on PATH: `cargo xtask setup` installs it")
}
