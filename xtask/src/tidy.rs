//! Repository conventions, checked as tests (rust-analyzer's "tidy" idea): cheap rules that a
//! reviewer would otherwise have to remember.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::util::project_root;

    fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else { return out };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path, ext));
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
        out
    }

    /// Library crates document every public item.
    #[test]
    fn library_crates_deny_missing_docs() {
        for lib in files_under(&project_root().join("crates"), "rs").into_iter().filter(|p| p.ends_with("src/lib.rs")) {
            // Test fixtures (purpose-built faulty plugins and the like) are not shipped crates.
            if lib.components().any(|c| c.as_os_str().to_string_lossy().starts_with("test")) {
                continue;
            }
            let text = std::fs::read_to_string(&lib).unwrap();
            assert!(text.contains("#![deny(missing_docs)]"), "{} lacks #![deny(missing_docs)]", lib.display());
        }
    }

    /// No unfinished code in shipped crates.
    #[test]
    fn no_todo_macros_in_crates() {
        for file in files_under(&project_root().join("crates"), "rs") {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(!text.contains(concat!("todo", "!(")), "{} contains an unfinished todo", file.display());
        }
    }

    /// Every news article has hand-written gold beside it.
    #[test]
    fn every_news_text_has_gold() {
        let txts = files_under(&project_root().join("corpus/news"), "txt");
        assert_eq!(txts.len(), 5, "the news corpus has five articles");
        for txt in txts {
            assert!(txt.with_extension("ann").is_file(), "{} has no .ann", txt.display());
        }
    }

    /// Extractor crates explain their data formats and configuration in a README, and the
    /// trainer its command line.
    #[test]
    fn extractor_crates_have_readmes() {
        for name in ["rules", "dictionary", "transformer", "plugin", "train"] {
            let dir = project_root().join("crates").join(name);
            if dir.is_dir() {
                assert!(dir.join("README.md").is_file(), "crates/{name} has no README.md");
            }
        }
    }

    /// Every workspace member's manifest, parsed, with its directory.
    fn manifests() -> Vec<(PathBuf, toml::Table)> {
        let root = project_root();
        let mut dirs = vec![root.join("benches"), root.join("xtask")];
        for parent in ["crates", "plugins", "crates/plugin/test-plugins"] {
            let Ok(entries) = std::fs::read_dir(root.join(parent)) else { continue };
            dirs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.join("Cargo.toml").is_file()));
        }
        dirs.sort();
        dirs.into_iter()
            .map(|dir| {
                let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
                (dir, text.parse().unwrap())
            })
            .collect()
    }

    fn package_name(manifest: &toml::Table) -> &str {
        manifest["package"]["name"].as_str().unwrap()
    }

    /// The names in a dependency table (`dependencies`, `dev-dependencies`...).
    fn dependencies<'a>(manifest: &'a toml::Table, table: &str) -> Vec<(&'a str, &'a toml::Value)> {
        manifest.get(table).and_then(|t| t.as_table()).map(|t| t.iter().map(|(k, v)| (k.as_str(), v)).collect()).unwrap_or_default()
    }

    /// Tools: crates in `crates/` that are neither core nor an extractor family nor the
    /// orchestrator, but programs around them (the trainer).
    const TOOLS: [&str; 1] = ["nerlab-train"];

    /// core depends on no nerlab crate; extractor crates on core alone; nothing on the
    /// orchestrator but the binaries around it (ARCHITECTURE.md, "Dependencies point one way").
    /// A tool may depend on core, the families and the orchestrator (the trainer reads corpora
    /// as `nerlab eval` does); nothing depends on a tool.
    #[test]
    fn dependencies_point_one_way() {
        for (dir, manifest) in manifests() {
            let name = package_name(&manifest);
            let nerlab: Vec<&str> =
                dependencies(&manifest, "dependencies").into_iter().map(|(d, _)| d).filter(|d| d.starts_with("nerlab-")).collect();
            let in_crates = dir.parent().is_some_and(|p| p.ends_with("crates"));
            match name {
                "nerlab-core" => assert!(nerlab.is_empty(), "nerlab-core depends on {nerlab:?}"),
                "nerlab-orchestrator" | "xtask" | "nerlab-benches" => {}
                _ if TOOLS.contains(&name) => {}
                _ if in_crates => {
                    assert!(nerlab.iter().all(|d| *d == "nerlab-core"), "{name} may depend on nerlab-core only, not {nerlab:?}")
                }
                _ => assert!(!nerlab.contains(&"nerlab-orchestrator"), "{name} depends on the orchestrator"),
            }
            for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
                for (dep, _) in dependencies(&manifest, table) {
                    assert!(!TOOLS.contains(&dep), "{name}: {table}.{dep}: nothing depends on a tool");
                }
            }
        }
    }

    /// A dependency the workspace declares is inherited (`foo = { workspace = true }`), so
    /// versions are written once, in the root Cargo.toml. The third-party-style plugin and the
    /// test fixtures are written as crates outside the workspace would be, and are exempt.
    #[test]
    fn shared_dependencies_come_from_the_workspace() {
        let root: toml::Table = std::fs::read_to_string(project_root().join("Cargo.toml")).unwrap().parse().unwrap();
        let shared = root["workspace"]["dependencies"].as_table().unwrap();
        for (dir, manifest) in manifests() {
            let name = package_name(&manifest);
            if name == "nerlab-plugin-patterns" || dir.components().any(|c| c.as_os_str() == "test-plugins") {
                continue;
            }
            for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
                for (dep, spec) in dependencies(&manifest, table) {
                    let inherited = spec.get("workspace").and_then(|w| w.as_bool()) == Some(true);
                    assert!(!shared.contains_key(dep) || inherited, "{name}: {table}.{dep} should be `{{ workspace = true }}`");
                }
            }
        }
    }

    /// Every extractor family (a crate with an `impl Family for`) has a README describing its
    /// parameters and a criterion bench `benches/benches/<family>.rs`.
    #[test]
    fn every_family_has_a_readme_and_a_bench() {
        let root = project_root();
        let mut families = 0;
        for (dir, _) in manifests().into_iter().filter(|(d, _)| d.parent().is_some_and(|p| p.ends_with("crates"))) {
            let is_family =
                files_under(&dir.join("src"), "rs").iter().any(|f| std::fs::read_to_string(f).unwrap().contains("impl Family for"));
            let crate_dir = dir.file_name().unwrap().to_string_lossy().into_owned();
            // core holds the trait and `union`, the family made of other families.
            if !is_family || crate_dir == "core" {
                continue;
            }
            families += 1;
            assert!(dir.join("README.md").is_file(), "crates/{crate_dir} has no README.md");
            assert!(
                root.join("benches/benches").join(format!("{crate_dir}.rs")).is_file(),
                "crates/{crate_dir} has no benches/benches/{crate_dir}.rs"
            );
        }
        assert!(families >= 3, "found only {families} families: has `impl Family for` changed?");
    }

    /// Every dependency a crate declares is used by its code (normal dependencies by `src/`, its
    /// `[lib] path` or, for the benches crate, `benches/`; dev-dependencies by anything in the
    /// crate). Crates
    /// only linked for their side effects would need an exemption here; none are.
    #[test]
    fn declared_dependencies_are_used() {
        for (dir, manifest) in manifests() {
            let name = package_name(&manifest);
            let text_of = |sub: &str| -> String {
                files_under(&dir.join(sub), "rs").iter().map(|f| std::fs::read_to_string(f).unwrap()).collect::<Vec<_>>().join("\n")
            };
            // A library outside `src/` (the benches crate's `lib.rs`) is code of the crate too.
            let lib = manifest.get("lib").and_then(|l| l.get("path")).and_then(|p| p.as_str());
            let lib = lib.map(|p| std::fs::read_to_string(dir.join(p)).unwrap()).unwrap_or_default();
            let src = [text_of("src"), text_of("benches"), lib].join("\n");
            let all = [src.clone(), text_of("tests"), text_of("benches"), text_of("examples")].join("\n");
            for (table, code) in [("dependencies", &src), ("dev-dependencies", &all)] {
                for (dep, spec) in dependencies(&manifest, table) {
                    let optional = spec.get("optional").and_then(|o| o.as_bool()) == Some(true);
                    let ident = spec.get("package").and_then(|p| p.as_str()).map_or(dep, |_| dep).replace('-', "_");
                    // Optional ones are used in all code (a feature of the binary's tests, say).
                    let haystack = if optional { &all } else { code };
                    assert!(haystack.contains(&ident), "{name}: {table}.{dep} is declared but `{ident}` appears nowhere in its code");
                }
            }
        }
    }
}
