//! nerlab's side: load a plugin library, check it, and present an instance as an [`Extractor`].

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use libloading::Library;
use nerlab_core::{check_span, BuildContext, Document, Entity, Error, ErrorKind, Extractor, Family, Label, Result};
use serde::{Deserialize, Serialize};

use crate::abi::{self, BatchResult, Descriptor, DocumentRef, Entities, ErrorBuf, StrRef};

/// The parameters of a `kind = "plugin"` extractor in nerlab.toml.
///
/// ```toml
/// [[extractors]]
/// name = "patterns"
/// kind = "plugin"
/// [extractors.params]
/// library = "target/release/libnerlab_plugin_patterns.so"   # relative to this file
/// labels = ["EMAIL", "URL"]            # every other key is the plugin's, passed as JSON
/// ```
///
/// The form before `params` tables, `path = "..."` and `config = { ... }`, is still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct PluginConfig {
    /// The shared library, relative to the config file's directory unless absolute.
    pub library: PathBuf,
    /// The plugin's own parameters (every key but `library`), handed over as a JSON object.
    #[serde(flatten)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for PluginConfig {
    type Error = String;

    fn try_from(mut map: serde_json::Map<String, serde_json::Value>) -> std::result::Result<PluginConfig, String> {
        let as_path = |value: serde_json::Value, key: &str| match value {
            serde_json::Value::String(s) => Ok(PathBuf::from(s)),
            other => Err(format!("`{key}` must be a path string, not {other}")),
        };
        if let Some(library) = map.remove("library") {
            return Ok(PluginConfig { library: as_path(library, "library")?, params: map });
        }
        // The form before `params` tables: `path` and the plugin's parameters in `config`.
        let Some(path) = map.remove("path") else {
            return Err("missing `library`, the plugin's shared library".to_string());
        };
        let params = match map.remove("config") {
            None => serde_json::Map::new(),
            Some(serde_json::Value::Object(params)) => params,
            Some(other) => return Err(format!("`config` must be a table, not {other}")),
        };
        if let Some(key) = map.keys().next() {
            return Err(format!("unknown key `{key}` beside `path` and `config` (write `library` and the plugin's parameters instead)"));
        }
        Ok(PluginConfig { library: as_path(path, "path")?, params })
    }
}

/// What a plugin's descriptor says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    /// The library file it was loaded from.
    pub path: PathBuf,
    /// The plugin's name.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// The labels the plugin declares it can produce; empty when that depends on the config.
    pub labels: Vec<Label>,
    /// Whether instances may be called from several threads at once.
    pub thread_safe: bool,
}

/// The function table, copied out of the descriptor once it has been checked.
#[derive(Clone, Copy)]
struct Functions {
    create: abi::CreateFn,
    instance_labels: abi::InstanceLabelsFn,
    extract: abi::ExtractFn,
    free_entities: abi::FreeEntitiesFn,
    destroy: abi::DestroyFn,
    extract_batch: Option<abi::ExtractBatchFn>,
}

/// A loaded and checked plugin library, from which instances are created.
///
/// Cheap to clone; every clone and every instance shares the one [`Library`], which stays
/// loaded until the last of them is dropped.
#[derive(Clone)]
pub struct PluginLibrary {
    library: Arc<Library>,
    functions: Functions,
    info: Arc<PluginInfo>,
}

impl std::fmt::Debug for PluginLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginLibrary").field("info", &self.info).finish_non_exhaustive()
    }
}

fn load_error(path: &Path, message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Load, message).with_path(path)
}

impl PluginLibrary {
    /// Loads the library at `path` and checks its entry symbol, ABI version and descriptor.
    ///
    /// # Errors
    /// [`ErrorKind::Load`], naming `path`, when the file does not exist, is not a loadable
    /// shared library, lacks the entry symbol, speaks another ABI version, or has a malformed
    /// descriptor.
    pub fn open(path: impl AsRef<Path>) -> Result<PluginLibrary> {
        let path = path.as_ref();
        // Canonicalising first gives a plain "not found" instead of a dlerror, and makes the
        // path absolute so `dlopen` never searches the system library path for a bare name.
        let path = std::fs::canonicalize(path).map_err(|e| load_error(path, format!("cannot open plugin: {e}")))?;
        let path = path.as_path();
        // SAFETY: loading runs the library's initialisers; trusting the configured plugin's
        // code is inherent to loading plugins in-process.
        let library = unsafe { Library::new(path) }.map_err(|e| load_error(path, format!("not a loadable shared library: {e}")))?;
        let entry = {
            let symbol = format!("{}\0", abi::ENTRY_SYMBOL);
            // SAFETY: the type is the ABI's entry signature; the version check below guards
            // against a library that exports the name with another meaning.
            let entry = unsafe { library.get::<abi::EntryFn>(symbol.as_bytes()) }.map_err(|_| {
                load_error(
                    path,
                    format!("no `{}` symbol: not a nerlab plugin (export one with nerlab_plugin::export_plugin!)", abi::ENTRY_SYMBOL),
                )
            })?;
            *entry
        };
        // SAFETY: calling the plugin's entry as the ABI specifies.
        let descriptor = unsafe { entry() };
        if descriptor.is_null() {
            return Err(load_error(path, format!("`{}` returned a null descriptor", abi::ENTRY_SYMBOL)));
        }
        if !descriptor.cast::<u32>().is_aligned() {
            return Err(load_error(path, format!("`{}` returned a misaligned descriptor", abi::ENTRY_SYMBOL)));
        }
        // SAFETY: every ABI version starts the descriptor with a u32 version, so this read is
        // valid whatever version the plugin speaks; nothing else is read before it matches.
        let version = unsafe { descriptor.cast::<u32>().read() };
        if version != abi::ABI_VERSION {
            return Err(load_error(
                path,
                format!(
                    "plugin speaks ABI version {version} but this nerlab speaks ABI version {}; rebuild the plugin against nerlab-plugin {}",
                    abi::ABI_VERSION,
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        if !descriptor.is_aligned() {
            return Err(load_error(path, format!("`{}` returned a misaligned descriptor", abi::ENTRY_SYMBOL)));
        }
        // SAFETY: the version matches, so the layout is ours; the descriptor is static data
        // of the library, which `library` keeps loaded.
        let d: &Descriptor = unsafe { &*descriptor };
        let (info, functions) = check_descriptor(path, d)?;
        Ok(PluginLibrary { library: Arc::new(library), functions, info: Arc::new(info) })
    }

    /// What the descriptor says.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// Creates an instance from the plugin's JSON configuration; relative paths in it are
    /// resolved (by the plugin) against `base_dir`.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when the plugin rejects the configuration, [`ErrorKind::Load`]
    /// when it panics or declares labels that are invalid or not in its descriptor; both name
    /// the library's path.
    pub fn instantiate(&self, config_json: &str, base_dir: &Path) -> Result<PluginExtractor> {
        let path = self.info.path.as_path();
        // Absolute, so the plugin need not know the host's working directory.
        let base_dir = match std::env::current_dir() {
            Ok(cwd) if base_dir.is_relative() => cwd.join(base_dir),
            _ => base_dir.to_path_buf(),
        };
        let base_dir = base_dir
            .to_str()
            .ok_or_else(|| Error::config(format!("base directory {} is not UTF-8", base_dir.display())).with_path(path))?;
        let mut message = MessageBuf::new();
        let mut err = message.abi();
        let mut instance: *mut c_void = std::ptr::null_mut();
        // SAFETY: arguments as the ABI specifies; the strings outlive the call.
        let status = unsafe { (self.functions.create)(StrRef::new(config_json), StrRef::new(base_dir), &mut instance, &mut err) };
        if status != abi::STATUS_OK {
            let message = match message.read(&err) {
                Ok(m) => m,
                Err(violation) => return Err(load_error(path, format!("plugin {:?}: {violation}", self.info.name))),
            };
            let kind = if status == abi::STATUS_ERROR { ErrorKind::Config } else { ErrorKind::Load };
            return Err(Error::new(kind, format!("plugin {:?} could not be created: {message}", self.info.name)).with_path(path));
        }
        if instance.is_null() {
            return Err(load_error(path, "`create` succeeded but returned a null instance"));
        }
        // From here on the instance is owned by `extractor`, whose Drop destroys it, also on
        // the error paths below.
        let mut extractor = PluginExtractor {
            instance,
            functions: self.functions,
            serial: if self.info.thread_safe { None } else { Some(Mutex::new(())) },
            labels: Vec::new(),
            info: Arc::clone(&self.info),
            _library: Arc::clone(&self.library),
        };
        extractor.labels = self.instance_labels(instance)?;
        Ok(extractor)
    }

    fn instance_labels(&self, instance: *mut c_void) -> Result<Vec<Label>> {
        let path = self.info.path.as_path();
        let mut ptr: *const StrRef = std::ptr::null();
        let mut len = 0usize;
        // SAFETY: as the ABI specifies; the array lives as long as the instance.
        unsafe { (self.functions.instance_labels)(instance, &mut ptr, &mut len) };
        // SAFETY: the plugin promises `len` readable entries; `lent_slice` checks what it can.
        let raw = unsafe { lent_slice(ptr, len) }.map_err(|e| load_error(path, format!("`instance_labels` returned {e}")))?;
        let labels = parse_labels(path, "instance_labels", raw)?;
        if !self.info.labels.is_empty() {
            if let Some(extra) = labels.iter().find(|l| !self.info.labels.contains(l)) {
                return Err(load_error(path, format!("instance declares label {extra}, which is not among the plugin's labels")));
            }
        }
        Ok(labels)
    }
}

const ERROR_CAPACITY: usize = 1024;

/// The buffer a plugin writes an error message into. Zeroed before every call (a memset of
/// 1 KiB, a few nanoseconds), so whatever length a plugin reports, the host reads only
/// initialised bytes: at worst zeros, never stale stack contents.
struct MessageBuf([u8; ERROR_CAPACITY]);

impl MessageBuf {
    fn new() -> MessageBuf {
        MessageBuf([0; ERROR_CAPACITY])
    }

    /// The ABI view of the buffer, to pass to one call.
    fn abi(&mut self) -> ErrorBuf {
        ErrorBuf { ptr: self.0.as_mut_ptr(), cap: ERROR_CAPACITY, len: 0 }
    }

    /// The message the plugin wrote, as reported in `err.len`; an ABI violation when the
    /// plugin reports more than the capacity or moved the buffer.
    fn read(&self, err: &ErrorBuf) -> std::result::Result<String, String> {
        if !std::ptr::eq(err.ptr, self.0.as_ptr()) || err.cap != ERROR_CAPACITY {
            return Err("ABI violation: the plugin changed the error buffer's pointer or capacity".into());
        }
        let Some(bytes) = self.0.get(..err.len) else {
            return Err(format!("ABI violation: the plugin reported a {}-byte error message in a {ERROR_CAPACITY}-byte buffer", err.len));
        };
        // A plugin that reports more than it wrote leaves zeros, not part of its message.
        let bytes = &bytes[..bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)];
        Ok(match String::from_utf8_lossy(bytes).into_owned() {
            m if m.is_empty() => "(no message)".to_string(),
            m => m,
        })
    }
}

/// The `len` elements a plugin lends at `ptr`, after every check the host can make: not
/// null (unless empty), aligned for `T`, and a size that fits in `isize`. The error says
/// which promise was broken.
///
/// # Safety
/// Beyond those checks the plugin's promise is trusted: `ptr..ptr+len` must be readable
/// `T`s for `'a`.
unsafe fn lent_slice<'a, T>(ptr: *const T, len: usize) -> std::result::Result<&'a [T], String> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(format!("a null array of {len} elements"));
    }
    if !ptr.is_aligned() {
        return Err(format!("an array at the misaligned address {ptr:p}"));
    }
    if len.checked_mul(std::mem::size_of::<T>()).is_none_or(|n| n > isize::MAX as usize) {
        return Err(format!("an array of {len} elements, more than the address space holds"));
    }
    // SAFETY: checked above as far as the host can; the rest is the plugin's promise.
    Ok(std::slice::from_raw_parts(ptr, len))
}

/// A plugin's string, checked as [`lent_slice`] does, then for UTF-8; `None` when null.
///
/// # Safety
/// As [`lent_slice`].
unsafe fn lent_str<'a>(s: StrRef) -> std::result::Result<Option<&'a str>, String> {
    if s.ptr.is_null() {
        return Ok(None);
    }
    let bytes = lent_slice(s.ptr, s.len)?;
    std::str::from_utf8(bytes).map(Some).map_err(|e| format!("a string that is not UTF-8 ({e})"))
}

fn parse_labels(path: &Path, what: &str, raw: &[StrRef]) -> Result<Vec<Label>> {
    raw.iter()
        .map(|s| {
            // SAFETY: the plugin promises readable strings; `lent_str` checks what it can.
            let name = unsafe { lent_str(*s) }
                .map_err(|e| load_error(path, format!("`{what}` has a label that is {e}")))?
                .ok_or_else(|| load_error(path, format!("`{what}` has a null label")))?;
            Label::new(name).map_err(|e| load_error(path, format!("`{what}`: {}", e.message())))
        })
        .collect()
}

fn check_descriptor(path: &Path, d: &Descriptor) -> Result<(PluginInfo, Functions)> {
    let text = |s: StrRef, field: &str| {
        // SAFETY: the plugin promises readable static strings; `lent_str` checks what it can.
        match unsafe { lent_str(s) } {
            Ok(Some(s)) => Ok(s.to_string()),
            Ok(None) => Err(load_error(path, format!("descriptor field `{field}` is null"))),
            Err(e) => Err(load_error(path, format!("descriptor field `{field}` is {e}"))),
        }
    };
    let name = text(d.name, "name")?;
    let version = text(d.version, "version")?;
    // SAFETY: the plugin promises `labels_len` readable entries; `lent_slice` checks what
    // it can.
    let labels =
        unsafe { lent_slice(d.labels, d.labels_len) }.map_err(|e| load_error(path, format!("descriptor field `labels` is {e}")))?;
    let labels = parse_labels(path, "labels", labels)?;
    let missing = |field: &str| load_error(path, format!("descriptor function `{field}` is null"));
    let functions = Functions {
        create: d.create.ok_or_else(|| missing("create"))?,
        instance_labels: d.instance_labels.ok_or_else(|| missing("instance_labels"))?,
        extract: d.extract.ok_or_else(|| missing("extract"))?,
        free_entities: d.free_entities.ok_or_else(|| missing("free_entities"))?,
        destroy: d.destroy.ok_or_else(|| missing("destroy"))?,
        extract_batch: d.extract_batch,
    };
    let info = PluginInfo { path: path.to_path_buf(), name, version, labels, thread_safe: d.flags & abi::FLAG_THREAD_SAFE != 0 };
    Ok((info, functions))
}

/// One instance of a plugin, an ordinary [`Extractor`].
///
/// Every span the plugin returns is checked before it is passed on: in bounds, on character
/// boundaries, non-empty, with one of the labels the instance declared, a score in `[0, 1]`
/// and a UTF-8 canonical name. A violation fails that document with
/// [`ErrorKind::InvalidSpan`]; a plugin error or panic fails it with
/// [`ErrorKind::Extraction`]. Entity texts are cut from the document by the host, so they
/// match their spans by construction.
pub struct PluginExtractor {
    instance: *mut c_void,
    functions: Functions,
    /// Present when the plugin is not thread-safe: held across each call.
    serial: Option<Mutex<()>>,
    labels: Vec<Label>,
    info: Arc<PluginInfo>,
    // Keeps the code behind `functions` mapped; dropped after `Drop::drop` destroyed the
    // instance.
    _library: Arc<Library>,
}

// SAFETY: the instance is only touched through the plugin's functions. The plugin declares
// whether concurrent calls are safe; when it does not, `serial` serialises them, so sharing
// the extractor between threads is sound either way. Moving an instance to another thread
// is part of the ABI contract (instances must not be tied to the creating thread).
unsafe impl Send for PluginExtractor {}
unsafe impl Sync for PluginExtractor {}

impl std::fmt::Debug for PluginExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginExtractor").field("info", &self.info).field("labels", &self.labels).finish_non_exhaustive()
    }
}

impl Family for PluginExtractor {
    const KIND: &'static str = "plugin";
    type Config = PluginConfig;

    /// Loads the plugin `config.library` and creates an instance with `config.params`.
    ///
    /// # Errors
    /// See [`PluginLibrary::open`] and [`PluginLibrary::instantiate`].
    fn from_config(config: PluginConfig, ctx: &BuildContext<'_>) -> Result<PluginExtractor> {
        let json = serde_json::Value::Object(config.params).to_string();
        Self::load(ctx.resolve(&config.library), &json, ctx.base_dir())
    }
}

impl PluginExtractor {
    /// Loads the plugin at `path` and creates an instance with the JSON `config_json`.
    ///
    /// # Errors
    /// See [`PluginLibrary::open`] and [`PluginLibrary::instantiate`].
    pub fn load(path: impl AsRef<Path>, config_json: &str, base_dir: &Path) -> Result<PluginExtractor> {
        PluginLibrary::open(path)?.instantiate(config_json, base_dir)
    }

    /// What the plugin's descriptor says.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn fail(&self, document: &Document, kind: ErrorKind, message: impl std::fmt::Display) -> Error {
        Error::new(kind, format!("plugin {:?}, document {:?}: {message}", self.info.name, document.id)).with_path(&self.info.path)
    }

    /// Turns the plugin's entities into checked [`Entity`] values.
    fn convert(&self, document: &Document, out: &Entities) -> Result<Vec<Entity>> {
        // SAFETY: the plugin lends `len` entities until `free_entities`; `lent_slice` checks
        // what it can.
        let raw = unsafe { lent_slice(out.ptr, out.len) }
            .map_err(|e| self.fail(document, ErrorKind::Extraction, format!("ABI violation: returned {e}")))?;
        let text = document.text.as_str();
        let mut entities = Vec::with_capacity(raw.len());
        for r in raw {
            let invalid = |message: String| self.fail(document, ErrorKind::InvalidSpan, message);
            // SAFETY: the plugin lends the label's bytes with the entity; `lent_slice` checks
            // what it can.
            let label_bytes = if r.label.ptr.is_null() {
                &[][..]
            } else {
                unsafe { lent_slice(r.label.ptr, r.label.len) }
                    .map_err(|e| invalid(format!("span {}..{} has a label that is {e}", r.start, r.end)))?
            };
            let label = self.labels.iter().find(|l| l.as_str().as_bytes() == label_bytes).ok_or_else(|| {
                invalid(format!(
                    "span {}..{} has label {:?}, not one the extractor declares ({})",
                    r.start,
                    r.end,
                    String::from_utf8_lossy(label_bytes),
                    self.labels.iter().map(Label::as_str).collect::<Vec<_>>().join(", ")
                ))
            })?;
            check_span(text, r.start, r.end).map_err(|e| invalid(e.message().to_string()))?;
            let score = if r.flags & abi::ENTITY_HAS_SCORE != 0 {
                if !(0.0..=1.0).contains(&r.score) {
                    return Err(invalid(format!("span {}..{} has score {} outside [0, 1]", r.start, r.end, r.score)));
                }
                Some(r.score)
            } else {
                None
            };
            let canonical = if r.canonical.ptr.is_null() {
                None
            } else {
                // SAFETY: lent with the entity; `lent_str` checks what it can.
                let s = unsafe { lent_str(r.canonical) }
                    .map_err(|e| invalid(format!("span {}..{} has a canonical name that is {e}", r.start, r.end)))?;
                s.map(str::to_string)
            };
            entities.push(Entity {
                start: r.start,
                end: r.end,
                label: label.clone(),
                text: text[r.start..r.end].to_string(),
                score,
                canonical,
            });
        }
        // The contract asks for sorted output; sorting a plugin's slightly unsorted list is
        // cheaper for everyone than failing the document over it.
        if !entities.windows(2).all(|w| (w[0].start, w[0].end) <= (w[1].start, w[1].end)) {
            entities.sort_by_key(|e| (e.start, e.end));
        }
        Ok(entities)
    }
}

impl Extractor for PluginExtractor {
    fn name(&self) -> &str {
        &self.info.name
    }

    fn labels(&self) -> &[Label] {
        &self.labels
    }

    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        // A poisoned lock only means another call panicked on the host side while holding
        // it; the plugin's state is the plugin's business, so carry on.
        let _serial = self.serial.as_ref().map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
        let mut message = MessageBuf::new();
        let mut err = message.abi();
        let mut out = Entities::EMPTY;
        // SAFETY: arguments as the ABI specifies; the strings outlive the call, and calls are
        // serialised unless the plugin declared itself thread-safe.
        let status =
            unsafe { (self.functions.extract)(self.instance, StrRef::new(&document.id), StrRef::new(&document.text), &mut out, &mut err) };
        let result = if status == abi::STATUS_OK {
            self.convert(document, &out)
        } else {
            Err(self.fail(document, ErrorKind::Extraction, message.read(&err).unwrap_or_else(|violation| violation)))
        };
        self.give_back(&mut out);
        result
    }

    /// One call of the plugin's `extract_batch` when it has one (a transformer keeps its
    /// length-bucketed batches); when the call fails as a whole, each document again alone,
    /// so one bad document fails only itself.
    fn extract_batch(&self, documents: &[Document]) -> Vec<Result<Vec<Entity>>> {
        let Some(extract_batch) = self.functions.extract_batch.filter(|_| documents.len() > 1) else {
            return documents.iter().map(|d| self.extract(d)).collect();
        };
        let refs: Vec<DocumentRef> = documents.iter().map(|d| DocumentRef { id: StrRef::new(&d.id), text: StrRef::new(&d.text) }).collect();
        let mut results: Vec<BatchResult> = documents.iter().map(|_| BatchResult::UNFILLED).collect();
        let mut message = MessageBuf::new();
        let mut err = message.abi();
        let status = {
            let _serial = self.serial.as_ref().map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
            // SAFETY: arguments as the ABI specifies: `refs` and `results` hold `len` elements
            // and outlive the call, as do the texts they point into.
            unsafe { extract_batch(self.instance, refs.as_ptr(), refs.len(), results.as_mut_ptr(), &mut err) }
        };
        if status != abi::STATUS_OK {
            return documents.iter().map(|d| self.extract(d)).collect();
        }
        documents
            .iter()
            .zip(&mut results)
            .map(|(document, result)| {
                let outcome = match result.status {
                    abi::STATUS_OK => self.convert(document, &result.entities),
                    abi::STATUS_UNFILLED => {
                        Err(self.fail(document, ErrorKind::Extraction, "ABI violation: `extract_batch` left its result unset"))
                    }
                    _ => {
                        // SAFETY: lent with the result until `free_entities`; `lent_str` checks
                        // what it can.
                        let text = match unsafe { lent_str(result.error) } {
                            Ok(Some(m)) if !m.is_empty() => m.to_string(),
                            Ok(_) => "(no message)".to_string(),
                            Err(e) => format!("ABI violation: an error message that is {e}"),
                        };
                        Err(self.fail(document, ErrorKind::Extraction, text))
                    }
                };
                self.give_back(&mut result.entities);
                outcome
            })
            .collect()
    }
}

impl PluginExtractor {
    /// Hands back what the plugin lent, once.
    fn give_back(&self, lent: &mut Entities) {
        if !lent.owner.is_null() || !lent.ptr.is_null() {
            // SAFETY: handing back what the plugin lent, once: `free_entities` resets it.
            unsafe { (self.functions.free_entities)(self.instance, lent) };
            *lent = Entities::EMPTY;
        }
    }
}

impl Drop for PluginExtractor {
    fn drop(&mut self) {
        // SAFETY: the instance came from `create` and is destroyed exactly once; `_library`
        // is dropped after this, so the code is still mapped.
        unsafe { (self.functions.destroy)(self.instance) };
    }
}
