//! `cargo xtask report --screenshot`: pictures of a report `cargo xtask eval` wrote, taken with
//! headless Chromium, for the README.
//!
//! Writes `docs/report.png` (the top of `report.html`: Pareto plot, summary, significance),
//! `docs/report-documents.png` (the document view: a document's text with the gold and each
//! extractor's entities in lanes, differences from the gold marked; `--document ID` picks the
//! document, by default the corpus's first) and copies `pareto.svg` to `docs/pareto.svg`.

use std::path::Path;

use anyhow::{bail, Context};

use crate::util::{project_root, run_cmd};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut corpus = "news".to_string();
    let mut out_dir = project_root().join("docs");
    let mut screenshot = false;
    let mut document: Option<String> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--corpus" => corpus = it.next().cloned().context("--corpus needs a value")?,
            "--out" => out_dir = it.next().context("--out needs a directory")?.into(),
            "--screenshot" => screenshot = true,
            "--document" => document = Some(it.next().cloned().context("--document needs a document id")?),
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
    // The page opens the document a `#doc=ID` link names and scrolls to the document view.
    let view = match &document {
        Some(id) => format!("{url}#doc={}", percent_encode(id)),
        None => format!("{url}#documents"),
    };
    capture_framed(&view, &out_dir.join("report-documents.png"), (1440, 1100))?;
    std::fs::copy(report_dir.join("pareto.svg"), out_dir.join("pareto.svg")).context("cannot copy pareto.svg")?;
    eprintln!("wrote report.png, report-documents.png and pareto.svg to {}", out_dir.display());
    Ok(())
}

fn file_url(path: &Path) -> anyhow::Result<String> {
    let abs = path.canonicalize().with_context(|| format!("cannot resolve {}", path.display()))?;
    Ok(format!("file://{}", abs.display()))
}

/// `id` as a URL fragment component (what JavaScript's `encodeURIComponent` leaves alone is
/// kept).
fn percent_encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A PNG of the page at `url` scrolled to its fragment. Headless Chromium paints a blank
/// window when the page itself scrolls before the shot, so the page is shown in a frame of
/// a one-line page, and the frame scrolls instead.
fn capture_framed(url: &str, png: &Path, size: (u32, u32)) -> anyhow::Result<()> {
    let frame = std::env::temp_dir().join(format!("nerlab-frame-{}.html", std::process::id()));
    let page = format!(
        "<!doctype html><body style=\"margin:0\"><iframe src=\"{}\" style=\"width:{}px;height:{}px;border:0;display:block\"></iframe>",
        url.replace('"', "%22"),
        size.0,
        size.1
    );
    std::fs::write(&frame, page).with_context(|| format!("cannot write {}", frame.display()))?;
    let result = capture(&file_url(&frame)?, png, size);
    let _ = std::fs::remove_file(&frame);
    result
}

/// A PNG of the page at `url` in a window of `size` pixels.
fn capture(url: &str, png: &Path, size: (u32, u32)) -> anyhow::Result<()> {
    let profile = std::env::temp_dir().join(format!("nerlab-chromium-{}", std::process::id()));
    let result = run_cmd(
        crate::chromium::headless(&crate::chromium::find().context(crate::chromium::MISSING)?, &profile)
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
