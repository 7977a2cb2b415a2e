//! Building the workspace's dynamic extractor plugins (the cdylib crates under plugins/).
//!
//! Configs name plugins by file, e.g. `target/release/libnerlab_plugin_patterns.so`, so
//! `cargo xtask eval` (and `test`) build them in release mode first: a fresh clone works
//! without a manual step. A plugin is any directory under plugins/ with a Cargo.toml; the
//! purpose-built faulty plugins of the tests live elsewhere (crates/plugin/test-plugins/)
//! and are built by those tests.

use anyhow::Context;

use crate::util::{cargo, project_root, run_cmd};

/// Builds the workspace's plugins in release mode so configs that name them work.
pub fn build() -> anyhow::Result<()> {
    build_except(&[])
}

/// [`build`] without the packages in `skip`.
pub fn build_except(skip: &[&str]) -> anyhow::Result<()> {
    let mut packages = packages()?;
    packages.retain(|p| !skip.contains(&p.as_str()));
    if packages.is_empty() {
        return Ok(());
    }
    let mut cmd = cargo();
    cmd.args(["build", "--release"]);
    for p in &packages {
        cmd.args(["--package", p]);
    }
    run_cmd(&mut cmd)
}

/// The package names of plugins/*/Cargo.toml, sorted.
fn packages() -> anyhow::Result<Vec<String>> {
    let dir = project_root().join("plugins");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(Vec::new()) };
    let mut names = Vec::new();
    for entry in entries {
        let manifest = entry?.path().join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
        names.push(package_name(&text).with_context(|| format!("{}: no [package] name", manifest.display()))?);
    }
    names.sort();
    Ok(names)
}

/// The `name` of the `[package]` table; enough TOML for a manifest we write ourselves.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("name").map(str::trim_start).and_then(|l| l.strip_prefix('=')) {
                return Some(value.trim().trim_matches('"').to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::package_name;

    #[test]
    fn reads_the_package_name_only() {
        let m = "[lib]\nname = \"not_this\"\n\n[package]\nversion = \"1\"\nname = \"nerlab-plugin-x\"\n";
        assert_eq!(package_name(m).as_deref(), Some("nerlab-plugin-x"));
        assert_eq!(package_name("[dependencies]\nname = \"x\"\n"), None);
    }
}
