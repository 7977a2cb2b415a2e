//! ONNX Runtime for the transformer's `onnx-fp32` / `onnx-int8` backends: the runtime
//! (`cargo xtask setup`) and the exported graphs (`cargo xtask export-onnx`).
//!
//! - The runtime is the PyPI wheel `onnxruntime`, which ships `libonnxruntime.so`; it goes into
//!   a virtualenv under `target/onnx/venv` with `onnx` and `numpy` (used only by the export),
//!   and `target/onnx/libonnxruntime.so` links to the wheel's library: the path the extractor
//!   loads by default. The version is pinned to the ONNX Runtime API the `ort` crate of
//!   `crates/transformer` is built for (ort 2.0.0-rc.10: ONNX Runtime 1.22).
//! - The export reads the committed weights (`models/minilm-conll03/model.ot`), dumps them to
//!   safetensors (`nerlab-export-weights` in crates/train, through the transformer crate's own loader), builds the
//!   encoder + classifier graph with `onnx.helper` (`crates/transformer/onnx/export.py`) and
//!   quantises its matrix products to int8 with ONNX Runtime's `quantize_dynamic`. Outputs,
//!   reproducible from the weights, go to `target/onnx/<model>/model-{fp32,int8}.onnx`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::util::{cargo, have_program, project_root, run_cmd};

/// What goes into the virtualenv. `onnxruntime`'s minor version must be the `ort` crate's
/// (see `crates/transformer/src/onnx.rs`, `ORT_VERSION`).
const REQUIREMENTS: [&str; 3] = ["onnxruntime==1.22.1", "onnx==1.18.0", "numpy==2.2.6"];
/// Modules whose import proves the set-up complete.
const CHECK: &str = "import onnxruntime, onnx, numpy, onnxruntime.quantization";
/// The models exported by default: the shipped one.
const DEFAULT_MODEL: &str = "models/minilm-conll03";

fn onnx_dir() -> PathBuf {
    project_root().join("target/onnx")
}

fn venv_python() -> PathBuf {
    onnx_dir().join("venv/bin/python")
}

/// The stable path of the runtime library, a link to the wheel's (what the extractor loads by
/// default).
pub fn runtime_library() -> PathBuf {
    onnx_dir().join("libonnxruntime.so")
}

/// Installs ONNX Runtime into `target/onnx/venv` unless already there (idempotent; ~1 min and
/// ~60 MB on first run, most of it the wheel's download).
pub fn ensure_runtime() -> anyhow::Result<()> {
    let python = venv_python();
    let ready = || {
        python.is_file()
            && runtime_library().is_file()
            && Command::new(&python).args(["-c", CHECK]).output().is_ok_and(|o| o.status.success())
    };
    if ready() {
        return Ok(());
    }
    if !have_program("python3") {
        bail!("python3 (with the venv module) is needed to install ONNX Runtime from PyPI (on Debian: apt-get install python3-venv)");
    }
    let venv = onnx_dir().join("venv");
    if !python.is_file() {
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("cannot create the ONNX Runtime virtualenv (on Debian/Ubuntu: apt-get install python3-venv)")?;
    }
    run_cmd(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "--only-binary=:all:"])
            .args(REQUIREMENTS),
    )
    .context("cannot install ONNX Runtime from PyPI")?;
    let find = "import onnxruntime, os, glob; d = os.path.join(os.path.dirname(onnxruntime.__file__), 'capi'); \
                print(sorted(glob.glob(os.path.join(d, 'libonnxruntime.so*')))[0])";
    let out = Command::new(&python).args(["-c", find]).output().context("cannot run the virtualenv's python")?;
    if !out.status.success() {
        bail!("the onnxruntime wheel has no libonnxruntime.so: {}", String::from_utf8_lossy(&out.stderr));
    }
    let library = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let link = runtime_library();
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&library, &link).with_context(|| format!("cannot link {} to {}", link.display(), library.display()))?;
    if !ready() {
        bail!("ONNX Runtime was installed into {} but does not import", venv.display());
    }
    eprintln!("onnx: ONNX Runtime installed in {} ({})", venv.display(), link.display());
    Ok(())
}

/// The directory of the exported graphs of the model in `model_dir` (relative to the root).
pub fn export_dir(model_dir: &Path) -> PathBuf {
    onnx_dir().join(model_dir.file_name().unwrap_or(model_dir.as_os_str()))
}

/// Runtime and exported shipped model, each only when missing or out of date.
pub fn ensure() -> anyhow::Result<()> {
    ensure_runtime()?;
    let model = project_root().join(DEFAULT_MODEL);
    let out = export_dir(Path::new(DEFAULT_MODEL));
    if is_up_to_date(&model, &out) {
        return Ok(());
    }
    export(&model, &out)
}

/// Whether both graphs exist and are newer than the weights and the export script.
fn is_up_to_date(model: &Path, out: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let inputs = [model.join("model.ot"), model.join("config.json"), export_script()];
    let newest_input = inputs.iter().filter_map(|p| modified(p)).max();
    ["model-fp32.onnx", "model-int8.onnx"].iter().all(|f| match (modified(&out.join(f)), newest_input) {
        (Some(made), Some(input)) => made >= input,
        _ => false,
    })
}

fn export_script() -> PathBuf {
    project_root().join("crates/transformer/onnx/export.py")
}

/// `cargo xtask export-onnx [--model DIR] [--out DIR]`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut model = PathBuf::from(DEFAULT_MODEL);
    let mut out = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--model" => model = it.next().context("--model needs a directory")?.into(),
            "--out" => out = Some(PathBuf::from(it.next().context("--out needs a directory")?)),
            other => bail!("unknown option {other:?}: export-onnx [--model DIR] [--out DIR]"),
        }
    }
    ensure_runtime()?;
    let out = out.unwrap_or_else(|| export_dir(&model));
    export(&project_root().join(model), &project_root().join(out))
}

/// Weights → safetensors → fp32 graph → int8 graph, each checked by the script.
fn export(model: &Path, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let weights = out.join("weights.safetensors");
    run_cmd(
        cargo()
            // The dev profile: dependencies are optimised there too (root Cargo.toml), and CI,
            // which builds nothing in release, then compiles nothing extra for it.
            .args(["run", "--quiet", "--package", "nerlab-train", "--bin", "nerlab-export-weights", "--"])
            .arg(model)
            .arg(&weights),
    )?;
    run_cmd(Command::new(venv_python()).arg(export_script()).arg(&weights).arg(model.join("config.json")).arg(out))
        .context("the ONNX export failed")?;
    // The dump is an intermediate: the graphs carry their own copy of the weights.
    let _ = std::fs::remove_file(&weights);
    eprintln!("onnx: exported {} to {}", model.display(), out.display());
    Ok(())
}
