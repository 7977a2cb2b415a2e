//! The plugin author's side: export any extractor family over the C ABI in one line.
//!
//! A plugin exports a type implementing [`nerlab_core::Family`], the trait every built-in
//! family implements too, so nerlab's own families need no wrapper to become plugins:
//!
//! ```
//! use nerlab_core::{BuildContext, Document, Entity, Extractor, Family, Label, Result};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! pub struct ShoutConfig { #[serde(default)] min_len: usize }
//!
//! pub struct Shout { labels: Vec<Label>, min_len: usize }
//!
//! impl Extractor for Shout {
//!     fn name(&self) -> &str { "shout" }
//!     fn labels(&self) -> &[Label] { &self.labels }
//!     fn extract(&self, _doc: &Document) -> Result<Vec<Entity>> { /* ... */ Ok(vec![]) }
//! }
//!
//! impl Family for Shout {
//!     const KIND: &'static str = "shout";
//!     type Config = ShoutConfig;
//!     fn from_config(config: ShoutConfig, _ctx: &BuildContext<'_>) -> Result<Self> {
//!         Ok(Shout { labels: vec![Label::new("SHOUT")?], min_len: config.min_len })
//!     }
//! }
//!
//! nerlab_plugin::export_plugin!(Shout, labels = &["SHOUT"]);
//! ```
//!
//! The plugin's name is [`Family::KIND`] and its version the exporting crate's
//! (`CARGO_PKG_VERSION`); the optional `key = value` arguments of [`export_plugin!`] set the
//! other fields of [`PluginMeta`]. The host's parameters (the extractor's `params` table but
//! `library`) arrive as JSON and are deserialised into [`Family::Config`] (an absent table as
//! `{}`); relative paths resolve against the host config's directory through
//! [`BuildContext::resolve`].
//!
//! Every `extern "C"` function here runs its body inside `catch_unwind`: a panic in the
//! extractor becomes [`abi::STATUS_PANIC`] with the panic message, and the host reports
//! that document as failed. (This needs the default `panic = "unwind"`; with
//! `panic = "abort"` there is nothing to catch.)

use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use nerlab_core::{BuildContext, Document, Entity, Family};

use crate::abi::{self, BatchResult, Descriptor, DocumentRef, Entities, ErrorBuf, RawEntity, Status, StrRef};

/// What a plugin library declares beyond its family type. [`export_plugin!`] fills it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginMeta {
    /// The plugin's version; [`export_plugin!`] uses the exporting crate's.
    pub version: &'static str,
    /// Every label the plugin can produce, or empty when that depends on the configuration.
    /// Each instance's labels must be a subset when this is not empty.
    pub labels: &'static [&'static str],
    /// Whether one instance may be called from several threads at once. An `Extractor` is
    /// `Sync`, so this is normally true; set it to false for an extractor whose thread safety
    /// rests on something the compiler cannot see (a C library underneath), and the host will
    /// serialise the calls.
    pub thread_safe: bool,
}

impl PluginMeta {
    /// Version `version`, labels depending on the configuration, thread-safe.
    pub const fn new(version: &'static str) -> PluginMeta {
        PluginMeta { version, labels: &[], thread_safe: true }
    }
}

/// Exports the [`Family`] `$ty` as this library's plugin by defining the entry symbol
/// [`abi::ENTRY_SYMBOL`]. Use it once per `cdylib`:
/// `export_plugin!(MyExtractor)`, or with [`PluginMeta`] fields,
/// `export_plugin!(MyExtractor, labels = &["EMAIL"], thread_safe = false)`.
#[macro_export]
macro_rules! export_plugin {
    ($ty:ty $(, $key:ident = $value:expr)* $(,)?) => {
        /// The nerlab plugin entry point (see `nerlab_plugin::abi`).
        #[no_mangle]
        pub extern "C" fn nerlab_plugin_entry() -> *const $crate::abi::Descriptor {
            static DESCRIPTOR: ::std::sync::OnceLock<$crate::sdk::StaticDescriptor> =
                ::std::sync::OnceLock::new();
            const META: $crate::sdk::PluginMeta = $crate::sdk::PluginMeta {
                $($key: $value,)*
                ..$crate::sdk::PluginMeta::new(env!("CARGO_PKG_VERSION"))
            };
            $crate::sdk::entry::<$ty>(&DESCRIPTOR, &META)
        }
    };
}

/// The descriptor of one plugin type with the storage its pointers point into.
/// Public only for [`export_plugin!`].
#[doc(hidden)]
pub struct StaticDescriptor {
    descriptor: Descriptor,
    // Pointed to by `descriptor.labels`; a Vec's buffer does not move when the struct does.
    _labels: Vec<StrRef>,
}

// Only immutable data and pointers to 'static strings.
unsafe impl Sync for StaticDescriptor {}
unsafe impl Send for StaticDescriptor {}

/// The body of the entry symbol [`export_plugin!`] defines. Returns null if building the
/// descriptor panicked, which the host reports.
#[doc(hidden)]
pub fn entry<P: Family>(cell: &'static OnceLock<StaticDescriptor>, meta: &'static PluginMeta) -> *const Descriptor {
    catch_unwind(AssertUnwindSafe(|| {
        let d = cell.get_or_init(|| {
            let labels: Vec<StrRef> = meta.labels.iter().map(|l| StrRef::new(l)).collect();
            StaticDescriptor {
                descriptor: Descriptor {
                    abi_version: abi::ABI_VERSION,
                    flags: if meta.thread_safe { abi::FLAG_THREAD_SAFE } else { 0 },
                    name: StrRef::new(P::KIND),
                    version: StrRef::new(meta.version),
                    labels: labels.as_ptr(),
                    labels_len: labels.len(),
                    create: Some(create::<P>),
                    instance_labels: Some(instance_labels::<P>),
                    extract: Some(extract::<P>),
                    free_entities: Some(free_entities),
                    destroy: Some(destroy::<P>),
                    extract_batch: Some(extract_batch::<P>),
                },
                _labels: labels,
            }
        });
        &d.descriptor as *const Descriptor
    }))
    .unwrap_or(std::ptr::null())
}

/// A live instance: the extractor and its labels in ABI form.
struct Instance<P> {
    extractor: P,
    // Point into `extractor.labels()`, which a `Label` keeps in static or heap memory that
    // stays put while the extractor is not mutated (it never is after creation).
    labels: Vec<StrRef>,
}

/// What `extract` lends the host: the entities in ABI form and the Rust values they point
/// into, or (from `extract_batch`) a document's error message.
struct Lent {
    raw: Vec<RawEntity>,
    entities: Vec<Entity>,
    message: String,
}

thread_local! {
    /// A spare [`Lent`] per thread. The host frees one result before it asks for the next, on
    /// the same thread, so recycling the box and its `raw` buffer saves two allocations per
    /// document, which is most of the call's fixed cost on short documents.
    static SPARE: Cell<Option<Box<Lent>>> = const { Cell::new(None) };
}

type Failure = (Status, String);

/// Runs `f`, turning an error into its status and message and a panic into
/// [`abi::STATUS_PANIC`].
fn guard(err: *mut ErrorBuf, f: impl FnOnce() -> std::result::Result<(), Failure>) -> Status {
    let (status, message) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return abi::STATUS_OK,
        Ok(Err(failure)) => failure,
        Err(payload) => (abi::STATUS_PANIC, format!("panicked: {}", panic_message(payload.as_ref()))),
    };
    // Writing the message cannot panic: it is a bounded copy.
    unsafe { abi::write_error(err, &message) };
    status
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a non-string panic payload)"
    }
}

fn invalid(message: &str) -> Failure {
    (abi::STATUS_INVALID_ARGUMENT, message.to_string())
}

unsafe extern "C" fn create<P: Family>(config: StrRef, base_dir: StrRef, out: *mut *mut c_void, err: *mut ErrorBuf) -> Status {
    guard(err, || {
        if out.is_null() {
            return Err(invalid("null output pointer"));
        }
        let config = unsafe { config.as_str() }.ok_or_else(|| invalid("config is null or not UTF-8"))?;
        let base_dir = unsafe { base_dir.as_str() }.ok_or_else(|| invalid("base_dir is null or not UTF-8"))?;
        let config = if config.trim().is_empty() { "{}" } else { config };
        let config: P::Config =
            serde_json::from_str(config).map_err(|e| (abi::STATUS_ERROR, format!("invalid config for plugin {:?}: {e}", P::KIND)))?;
        let extractor = P::from_config(config, &BuildContext::new(base_dir, P::KIND)).map_err(|e| (abi::STATUS_ERROR, e.to_string()))?;
        let mut instance = Box::new(Instance { extractor, labels: Vec::new() });
        instance.labels = instance.extractor.labels().iter().map(|l| StrRef::new(l.as_str())).collect();
        unsafe { *out = Box::into_raw(instance).cast() };
        Ok(())
    })
}

unsafe extern "C" fn instance_labels<P: Family>(instance: *const c_void, out: *mut *const StrRef, len: *mut usize) {
    // Nothing here can panic, but nothing may unwind out of an `extern "C"` function either.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Some(instance) = (unsafe { instance.cast::<Instance<P>>().as_ref() }) else {
            return;
        };
        if !out.is_null() && !len.is_null() {
            unsafe {
                *out = instance.labels.as_ptr();
                *len = instance.labels.len();
            }
        }
    }));
}

unsafe extern "C" fn extract<P: Family>(
    instance: *const c_void,
    id: StrRef,
    text: StrRef,
    out: *mut Entities,
    err: *mut ErrorBuf,
) -> Status {
    guard(err, || {
        let instance = unsafe { instance.cast::<Instance<P>>().as_ref() }.ok_or_else(|| invalid("null instance"))?;
        if out.is_null() {
            return Err(invalid("null output pointer"));
        }
        let text = unsafe { text.as_str() }.ok_or_else(|| invalid("text is null or not UTF-8"))?;
        let id = unsafe { id.as_str() }.unwrap_or_default();
        let entities =
            with_document(id, text, |document| instance.extractor.extract(document)).map_err(|e| (abi::STATUS_ERROR, e.to_string()))?;
        unsafe { *out = lend(entities) };
        Ok(())
    })
}

/// The entities in ABI form, lent to the host until it calls `free_entities`.
fn lend(entities: Vec<Entity>) -> Entities {
    if entities.is_empty() {
        // Most short documents: nothing to lend, nothing to allocate.
        return Entities::EMPTY;
    }
    let mut lent = spare_lent();
    lent.raw.extend(entities.iter().map(|e| RawEntity {
        start: e.start,
        end: e.end,
        label: StrRef::new(e.label.as_str()),
        canonical: e.canonical.as_deref().map_or(StrRef::NULL, StrRef::new),
        score: e.score.unwrap_or(0.0),
        flags: if e.score.is_some() { abi::ENTITY_HAS_SCORE } else { 0 },
    }));
    lent.entities = entities;
    Entities { ptr: lent.raw.as_ptr(), len: lent.raw.len(), owner: Box::into_raw(lent).cast() }
}

fn spare_lent() -> Box<Lent> {
    SPARE.with(Cell::take).unwrap_or_else(|| Box::new(Lent { raw: Vec::new(), entities: Vec::new(), message: String::new() }))
}

unsafe extern "C" fn extract_batch<P: Family>(
    instance: *const c_void,
    docs: *const DocumentRef,
    len: usize,
    results: *mut BatchResult,
    err: *mut ErrorBuf,
) -> Status {
    guard(err, || {
        let instance = unsafe { instance.cast::<Instance<P>>().as_ref() }.ok_or_else(|| invalid("null instance"))?;
        if len > 0 && (docs.is_null() || results.is_null()) {
            return Err(invalid("null documents or results"));
        }
        let (docs, results) = if len == 0 {
            (&[][..], &mut [][..])
        } else {
            unsafe { (std::slice::from_raw_parts(docs, len), std::slice::from_raw_parts_mut(results, len)) }
        };
        // `extract_batch` takes owned documents: one copy of the texts per call, which is
        // what batching saves many times over on the extractors that batch.
        let mut documents = Vec::with_capacity(len);
        for d in docs {
            let text = unsafe { d.text.as_str() }.ok_or_else(|| invalid("a text is null or not UTF-8"))?;
            documents.push(Document::new(unsafe { d.id.as_str() }.unwrap_or_default(), text));
        }
        let outcomes = instance.extractor.extract_batch(&documents);
        if outcomes.len() != len {
            return Err((abi::STATUS_ERROR, format!("extract_batch returned {} results for {len} documents", outcomes.len())));
        }
        for (result, outcome) in results.iter_mut().zip(outcomes) {
            *result = match outcome {
                Ok(entities) => BatchResult { status: abi::STATUS_OK, error: StrRef::NULL, entities: lend(entities) },
                Err(e) => {
                    let mut lent = spare_lent();
                    lent.message = e.to_string();
                    let error = StrRef::new(&lent.message);
                    let entities = Entities { ptr: std::ptr::null(), len: 0, owner: Box::into_raw(lent).cast() };
                    BatchResult { status: abi::STATUS_ERROR, error, entities }
                }
            };
        }
        Ok(())
    })
}

/// Runs `f` on a [`Document`] holding `id` and `text`.
///
/// `Extractor::extract` takes a `Document`, which owns its text, so the borrowed text must be
/// copied. The copy goes into a per-thread document that is reused, so a call costs a
/// `memcpy` rather than two allocations. A re-entrant call (an extractor calling another
/// plugin instance on the same thread) gets a fresh document.
fn with_document<T>(id: &str, text: &str, f: impl FnOnce(&Document) -> T) -> T {
    thread_local! {
        static DOCUMENT: std::cell::RefCell<Document> = std::cell::RefCell::new(Document::new("", ""));
    }
    DOCUMENT.with(|cell| match cell.try_borrow_mut() {
        Ok(mut document) => {
            document.id.clear();
            document.id.push_str(id);
            document.text.clear();
            document.text.push_str(text);
            let result = f(&document);
            // Do not keep a huge document's buffer alive for the rest of the thread.
            if document.text.capacity() > 1 << 20 {
                *document = Document::new("", "");
            }
            result
        }
        Err(_) => f(&Document::new(id, text)),
    })
}

unsafe extern "C" fn free_entities(_instance: *const c_void, entities: *mut Entities) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Some(entities) = (unsafe { entities.as_mut() }) else {
            return;
        };
        if !entities.owner.is_null() {
            let mut lent = unsafe { Box::from_raw(entities.owner.cast::<Lent>()) };
            lent.entities = Vec::new();
            lent.message = String::new();
            lent.raw.clear();
            // Keep it for the next call unless one huge document made it big.
            if lent.raw.capacity() <= 4096 {
                let _ = SPARE.try_with(|spare| spare.set(Some(lent)));
            }
        }
        *entities = Entities::EMPTY;
    }));
}

unsafe extern "C" fn destroy<P: Family>(instance: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if !instance.is_null() {
            drop(unsafe { Box::from_raw(instance.cast::<Instance<P>>()) });
        }
    }));
}
