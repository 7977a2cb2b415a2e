//! Families nerlab ships as plugin libraries of its own, loaded only when a config uses them.
//!
//! A family with a heavy native dependency (the transformer links libtorch: 2.2 G of the 2.9 G
//! instructions of a rules-only run went to loading it, and ~150 MiB of memory) would make
//! every `nerlab` process pay for it. Built as a plugin instead, behind the same C ABI as any
//! other, it is registered under its ordinary `kind` by a [`Bundled`] stand-in that opens the
//! library the first time an extractor of that kind is built. Configs do not change: the
//! entry still says `kind = "transformer"` with the family's own `params`.
//!
//! The library is looked up in one place a user can see: the file named by
//! `NERLAB_<KIND>_LIBRARY` when set, else the directory of the running executable (where cargo
//! puts it: `target/release/libnerlab_plugin_transformer.so` beside `target/release/nerlab`).
//! When it is not there, building the extractor fails with a message naming the file, where
//! it was looked for and the command that builds it. Once opened it stays loaded for the
//! life of the process: instances come and go (a measurement, an ensemble's members), and
//! native libraries like libtorch are not made to be unloaded.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use nerlab_core::{BuildContext, Document, Entity, Error, ErrorKind, Extractor, Family, Label, Result, Warning};

use crate::{PluginExtractor, PluginLibrary};

/// A family nerlab ships as a plugin library: which kind, which package builds it, what the
/// build needs.
pub trait BundledLibrary: 'static {
    /// The `kind` the family has in configs, and the name its plugin exports.
    const KIND: &'static str;
    /// The cargo package whose `cdylib` is the library, e.g. `nerlab-plugin-transformer`.
    const PACKAGE: &'static str;
    /// What building it needs beyond cargo, for the message when it is missing, e.g.
    /// "libtorch: `cargo xtask setup`".
    const NEEDS: &'static str;
}

/// The family `B::KIND`, loaded from its library when the first extractor is built; an
/// ordinary [`Extractor`] after that (the plugin host's checks included).
///
/// Its configuration is the family's `params` table, passed to the library as JSON: unknown
/// keys and bad values are reported by the family itself when the extractor is built.
pub struct Bundled<B> {
    inner: PluginExtractor,
    _family: PhantomData<fn() -> B>,
}

impl<B: BundledLibrary> Family for Bundled<B> {
    const KIND: &'static str = B::KIND;
    type Config = serde_json::Map<String, serde_json::Value>;

    fn from_config(config: Self::Config, ctx: &BuildContext<'_>) -> Result<Self> {
        let library = open::<B>()?;
        let inner = library.instantiate(&serde_json::Value::Object(config).to_string(), ctx.base_dir())?;
        Ok(Bundled { inner, _family: PhantomData })
    }
}

impl<B: BundledLibrary> Extractor for Bundled<B> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn labels(&self) -> &[Label] {
        self.inner.labels()
    }
    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        self.inner.extract(document)
    }
    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        self.inner.extract_batch(documents)
    }
    fn take_warnings(&self) -> Vec<Warning> {
        self.inner.take_warnings()
    }
}

/// The library of `B`, opened once per process and kept.
fn open<B: BundledLibrary>() -> Result<PluginLibrary> {
    static OPENED: Mutex<BTreeMap<&'static str, PluginLibrary>> = Mutex::new(BTreeMap::new());
    let mut opened = OPENED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(library) = opened.get(B::KIND) {
        return Ok(library.clone());
    }
    let explicit = std::env::var_os(env_var::<B>()).filter(|v| !v.is_empty()).map(PathBuf::from);
    let path = locate::<B>(explicit, std::env::current_exe().ok().as_deref())?;
    let library = PluginLibrary::open(&path)?;
    if library.info().name != B::KIND {
        return Err(
            Error::new(ErrorKind::Load, format!("exports the plugin {:?}, not {:?}", library.info().name, B::KIND)).with_path(&path)
        );
    }
    opened.insert(B::KIND, library.clone());
    Ok(library)
}

/// `NERLAB_<KIND>_LIBRARY`: the library's path, overriding the search.
pub fn env_var<B: BundledLibrary>() -> String {
    format!("NERLAB_{}_LIBRARY", B::KIND.to_uppercase())
}

/// Where the library of `B` is: `explicit` (from the environment) when given, else beside
/// `exe` (or, for cargo's test and bench executables in `deps/`, one directory up).
///
/// # Errors
/// [`ErrorKind::Load`] when the file is not there, saying where it was looked for and how to
/// build it.
pub fn locate<B: BundledLibrary>(explicit: Option<PathBuf>, exe: Option<&Path>) -> Result<PathBuf> {
    let file = crate::testing::library_path(Path::new(""), B::PACKAGE);
    let candidates: Vec<PathBuf> = match (&explicit, exe.and_then(Path::parent)) {
        (Some(path), _) => vec![path.clone()],
        (None, Some(dir)) if dir.ends_with("deps") => vec![dir.join(&file), dir.parent().unwrap_or(dir).join(&file)],
        (None, Some(dir)) => vec![dir.join(&file)],
        (None, None) => Vec::new(),
    };
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    // Build the library with the profile of the executable looking for it.
    let release = exe.is_none_or(|e| !e.components().any(|c| c.as_os_str() == "debug"));
    let where_ = match &explicit {
        Some(path) => format!("{} (set by {})", path.display(), env_var::<B>()),
        None if candidates.is_empty() => "beside this executable (whose path is unknown)".to_string(),
        None => candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" or "),
    };
    Err(Error::new(
        ErrorKind::Load,
        format!(
            "kind {kind:?} is loaded from its own library, {file}, only when a config uses it, and it is not at {where_}; \
             build it with `cargo build{release} -p {package}` (needs {needs}), or set {env} to its path",
            kind = B::KIND,
            file = file.display(),
            release = if release { " --release" } else { "" },
            package = B::PACKAGE,
            needs = B::NEEDS,
            env = env_var::<B>(),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Heavy;
    impl BundledLibrary for Heavy {
        const KIND: &'static str = "heavy";
        const PACKAGE: &'static str = "nerlab-plugin-heavy";
        const NEEDS: &'static str = "libheavy";
    }

    #[test]
    fn a_missing_library_is_named_with_where_it_was_looked_for_and_how_to_build_it() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("release/nerlab");
        let message = locate::<Heavy>(None, Some(&exe)).unwrap_err().to_string();
        assert!(message.contains("kind \"heavy\""), "{message}");
        assert!(message.contains(&dir.path().join("release/libnerlab_plugin_heavy.so").display().to_string()), "{message}");
        assert!(message.contains("cargo build --release -p nerlab-plugin-heavy") && message.contains("libheavy"), "{message}");
        assert!(message.contains("NERLAB_HEAVY_LIBRARY"), "{message}");

        let debug = locate::<Heavy>(None, Some(&dir.path().join("debug/deps/test-123"))).unwrap_err().to_string();
        assert!(debug.contains("`cargo build -p nerlab-plugin-heavy`"), "{debug}");
        let explicit = locate::<Heavy>(Some(dir.path().join("x.so")), Some(&exe)).unwrap_err().to_string();
        assert!(explicit.contains("x.so (set by NERLAB_HEAVY_LIBRARY)"), "{explicit}");
    }

    #[test]
    fn the_library_is_found_beside_the_executable_or_above_deps() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("libnerlab_plugin_heavy.so");
        std::fs::write(&library, b"").unwrap();
        assert_eq!(locate::<Heavy>(None, Some(&dir.path().join("nerlab"))).unwrap(), library);
        assert_eq!(locate::<Heavy>(None, Some(&dir.path().join("deps/test-123"))).unwrap(), library);
        // The environment wins over the executable's directory.
        let elsewhere = dir.path().join("elsewhere.so");
        assert!(locate::<Heavy>(Some(elsewhere.clone()), Some(&dir.path().join("nerlab"))).is_err());
        std::fs::write(&elsewhere, b"").unwrap();
        assert_eq!(locate::<Heavy>(Some(elsewhere.clone()), Some(&dir.path().join("nerlab"))).unwrap(), elsewhere);
    }
}
