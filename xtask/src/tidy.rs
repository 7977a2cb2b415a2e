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

    /// Extractor crates explain their data formats and configuration in a README.
    #[test]
    fn extractor_crates_have_readmes() {
        for name in ["rules", "dictionary", "transformer", "plugin"] {
            let dir = project_root().join("crates").join(name);
            if dir.is_dir() {
                assert!(dir.join("README.md").is_file(), "crates/{name} has no README.md");
            }
        }
    }
}
