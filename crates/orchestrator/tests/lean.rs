//! The `nerlab` binary is lean: it does not link libtorch, and a config that uses the
//! transformer, whose library is loaded only then, is refused with a message that says what
//! to build when that library is missing.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().and_then(Path::parent).expect("crates/orchestrator is two levels deep")
}

#[test]
fn the_binary_does_not_need_libtorch() {
    let out = Command::new("ldd").arg(env!("CARGO_BIN_EXE_nerlab")).output().expect("ldd (libc-bin) runs");
    let needed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && needed.contains("libc.so"), "{needed}");
    for heavy in ["libtorch", "libc10", "libstdc++"] {
        assert!(!needed.contains(heavy), "nerlab links {heavy}:\n{needed}");
    }
}

#[test]
fn a_transformer_config_without_its_library_is_refused_naming_what_to_build() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nerlab.toml");
    let model = root().join("models/minilm-conll03");
    std::fs::write(
        &config,
        format!("[[extractors]]\nname = \"t\"\nkind = \"transformer\"\nparams = {{ model_dir = {:?} }}\n", model.display().to_string()),
    )
    .unwrap();
    let missing = dir.path().join("libnerlab_plugin_transformer.so");
    let out = Command::new(env!("CARGO_BIN_EXE_nerlab"))
        .env("NERLAB_TRANSFORMER_LIBRARY", &missing)
        .arg("--config")
        .arg(&config)
        .args(["extract", "-e", "t", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    assert!(stderr.contains("-p nerlab-plugin-transformer") && stderr.contains("libtorch"), "{stderr}");
}
