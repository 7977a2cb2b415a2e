//! Where a run writes: every output file goes through an [`OutputDir`].
//!
//! The guarantees (also in SECURITY.md):
//!
//! - **Inside the output directory.** Names that come from a config or a command line
//!   (corpus names, extractor names) become one path component through [`sanitize`]: no
//!   separators, no `..`, never absolute. [`OutputDir::subdir`] and [`OutputDir::write`]
//!   refuse any name that is not already such a component, so a caller cannot forget.
//! - **No symbolic links followed.** A subdirectory that exists as a symbolic link is an
//!   error; a file is written to a temporary file beside it and renamed over it, which
//!   replaces a link at that name instead of writing through it.
//! - **Atomic.** A concurrent reader sees the old file or the new one, never a partial one
//!   (see [`nerlab_core::formats::write_atomic`]).
//! - **No collisions.** [`UniqueNames`] gives distinct extractor names distinct file names
//!   even when they sanitise alike (`r.x` and `r_x`).
//!
//! The output directory itself is the user's choice and is used as given (it may be a link).
//!
//! Adding an output file is one line: `out.write("pareto.svg", svg)?`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nerlab_core::{Error, ErrorKind, Result};

/// The longest name [`sanitize`] returns, in bytes: room for a `-N` suffix and an extension
/// within a 255-byte file name.
pub const MAX_NAME_BYTES: usize = 200;

/// `name` as one safe path component: letters, digits, `-` and `_` kept, anything else
/// (separators, dots, spaces, control characters) replaced by `_`, cut to
/// [`MAX_NAME_BYTES`]; `_` for an empty name. The result is never `.` or `..`, never absolute
/// and never contains a separator.
pub fn sanitize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' };
        if out.len() + c.len_utf8() > MAX_NAME_BYTES {
            break;
        }
        out.push(c);
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Whether `name` is a plain file name: one normal path component.
fn check_component(name: &str) -> Result<()> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 255
        && Path::new(name).components().count() == 1;
    if plain {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Io, format!("{name:?} is not a plain file name; nerlab writes only inside its output directory")))
    }
}

/// A directory nerlab writes into; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct OutputDir {
    path: PathBuf,
}

impl OutputDir {
    /// The output directory at `root`, created with its parents when missing.
    ///
    /// # Errors
    /// When it cannot be created or is not a directory.
    pub fn create(root: &Path) -> Result<OutputDir> {
        std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        Ok(OutputDir { path: root.to_path_buf() })
    }

    /// Where this directory is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The subdirectory `name` (a plain file name, e.g. from [`sanitize`]), created when
    /// missing.
    ///
    /// # Errors
    /// When `name` is not a plain file name, when something other than a directory (a
    /// symbolic link included) is in the way, or when it cannot be created.
    pub fn subdir(&self, name: &str) -> Result<OutputDir> {
        check_component(name).map_err(|e| e.with_path(&self.path))?;
        let path = self.path.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::new(ErrorKind::Io, "is a symbolic link; nerlab does not write through links").with_path(&path))
            }
            Ok(meta) if !meta.is_dir() => return Err(Error::new(ErrorKind::Io, "exists and is not a directory").with_path(&path)),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::create_dir(&path) {
                Ok(()) => {}
                // Another run created it meanwhile: fine if it is a real directory.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return self.subdir(name),
                Err(e) => return Err(Error::io(&path, e)),
            },
            Err(e) => return Err(Error::io(&path, e)),
        }
        Ok(OutputDir { path })
    }

    /// The path of the entry `name` (a plain file name), for writers that take a path.
    ///
    /// # Errors
    /// When `name` is not a plain file name.
    pub fn join(&self, name: &str) -> Result<PathBuf> {
        check_component(name).map_err(|e| e.with_path(&self.path))?;
        Ok(self.path.join(name))
    }

    /// Writes `contents` to the file `name` (a plain file name) atomically; returns its path.
    ///
    /// # Errors
    /// When `name` is not a plain file name, or writing fails.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> Result<PathBuf> {
        let path = self.join(name)?;
        nerlab_core::formats::write_atomic(&path, contents.as_ref())?;
        Ok(path)
    }
}

/// Sanitised names that stay distinct: each original name gets its own, stable for the
/// order in which names are claimed (`r.x` -> `r_x`, then `r_x` -> `r_x-2`).
#[derive(Debug, Default, Clone)]
pub struct UniqueNames {
    /// Original name -> its file name.
    assigned: BTreeMap<String, String>,
    /// File names given out.
    taken: std::collections::BTreeSet<String>,
}

impl UniqueNames {
    /// File names for `names`, claimed in the order given (configuration order gives every
    /// extractor the same file name whichever of them a run selects).
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> UniqueNames {
        let mut unique = UniqueNames::default();
        for name in names {
            unique.claim(name);
        }
        unique
    }

    /// The file name of `name`, assigning one on first sight.
    pub fn claim(&mut self, name: &str) -> String {
        if let Some(assigned) = self.assigned.get(name) {
            return assigned.clone();
        }
        let base = sanitize(name);
        let mut candidate = base.clone();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        self.taken.insert(candidate.clone());
        self.assigned.insert(name.to_string(), candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_gives_one_plain_component() {
        for hostile in ["../../X", "/etc/passwd", "..", ".", "", "a/b\\c", "x\0y", "C:\\win", &"é".repeat(300)] {
            let safe = sanitize(hostile);
            check_component(&safe).unwrap_or_else(|e| panic!("{hostile:?} -> {safe:?}: {e}"));
            assert!(safe.len() <= MAX_NAME_BYTES);
        }
        assert_eq!(sanitize("conll2003-test_1"), "conll2003-test_1");
        assert_eq!(sanitize("../../X"), "______X");
    }

    #[test]
    fn unsafe_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::create(dir.path()).unwrap();
        for name in ["..", ".", "", "a/b", "/abs", "x\0"] {
            assert!(out.write(name, "x").is_err(), "{name:?}");
            assert!(out.subdir(name).is_err(), "{name:?}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn links_are_replaced_or_refused_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let out = OutputDir::create(&dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink(&victim, out.path().join("report.json")).unwrap();
        out.write("report.json", "{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(out.path().join("report.json")).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(out.path().join("report.json")).unwrap(), "{}");

        std::os::unix::fs::symlink(dir.path(), out.path().join("news")).unwrap();
        let err = out.subdir("news").unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
    }

    #[test]
    fn writes_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::create(dir.path()).unwrap();
        out.write("a.md", "one").unwrap();
        out.write("a.md", "two").unwrap();
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.md"]);
        assert_eq!(std::fs::read_to_string(dir.path().join("a.md")).unwrap(), "two");
    }

    #[test]
    fn a_concurrent_reader_never_sees_a_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::create(dir.path()).unwrap();
        let versions = ["a".repeat(1 << 20), "b".repeat(2 << 20)];
        out.write("report.json", &versions[0]).unwrap();
        let path = out.join("report.json").unwrap();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| {
                let (mut reads, mut partial) = (0, 0);
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let seen = std::fs::read_to_string(&path).unwrap();
                    reads += 1;
                    partial += usize::from(!versions.contains(&seen));
                }
                (reads, partial)
            });
            for i in 0..200 {
                out.write("report.json", &versions[i % 2]).unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            let (reads, partial) = reader.join().unwrap();
            assert!(reads > 0);
            assert_eq!(partial, 0, "{partial} of {reads} reads saw a partial file");
        });
    }

    #[test]
    fn names_that_sanitise_alike_stay_distinct() {
        let mut names = UniqueNames::new(["r.x", "r_x", "r x", "ok"]);
        assert_eq!(names.claim("r.x"), "r_x");
        assert_eq!(names.claim("r_x"), "r_x-2");
        assert_eq!(names.claim("r x"), "r_x-3");
        assert_eq!(names.claim("ok"), "ok");
        assert_eq!(names.claim("r-x"), "r-x");
    }
}
