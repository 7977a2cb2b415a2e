//! The plugin author's side: export an ordinary [`Extractor`] over the C ABI in one line.
//!
//! ```
//! use nerlab_core::{Document, Entity, Extractor, Label, Result};
//!
//! #[derive(serde::Deserialize)]
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
//! impl nerlab_plugin::sdk::Plugin for Shout {
//!     const NAME: &'static str = "shout";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//!     type Config = ShoutConfig;
//!     fn create(config: ShoutConfig, _base_dir: &std::path::Path) -> Result<Self> {
//!         Ok(Shout { labels: vec![Label::new("SHOUT")?], min_len: config.min_len })
//!     }
//! }
//!
//! nerlab_plugin::export_plugin!(Shout);
//! ```
//!
//! Every `extern "C"` function here runs its body inside `catch_unwind`: a panic in the
//! extractor becomes [`abi::STATUS_PANIC`] with the panic message, and the host reports
//! that document as failed. (This needs the default `panic = "unwind"`; with
//! `panic = "abort"` there is nothing to catch.)

use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::OnceLock;

use nerlab_core::{Document, Entity, Extractor, Result};
use serde::de::DeserializeOwned;

use crate::abi::{self, Descriptor, Entities, ErrorBuf, RawEntity, Status, StrRef};

/// What a plugin declares beyond [`Extractor`]: who it is and how to build it from its config.
pub trait Plugin: Extractor + Sized + 'static {
    /// The plugin's name, e.g. `patterns`.
    const NAME: &'static str;
    /// The plugin's version, usually `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;
    /// Every label the plugin can produce, or empty when that depends on the configuration.
    /// Each instance's [`Extractor::labels`] must be a subset when this is not empty.
    const LABELS: &'static [&'static str] = &[];
    /// Whether one instance may be called from several threads at once. [`Extractor`] is
    /// `Sync`, so this is normally true; set it to false for an extractor whose thread safety
    /// rests on something the compiler cannot see (a C library underneath), and the host will
    /// serialise the calls.
    const THREAD_SAFE: bool = true;

    /// The configuration, deserialised from the JSON the host passes (the `config` table of
    /// the extractor's entry in nerlab.toml). An absent table arrives as `{}`.
    type Config: DeserializeOwned;

    /// Builds an instance. Relative paths in `config` are resolved against `base_dir`, the
    /// directory of the host's config file.
    ///
    /// # Errors
    /// When the configuration is invalid or a file it names cannot be read.
    fn create(config: Self::Config, base_dir: &Path) -> Result<Self>;
}

/// Exports `$ty` (which implements [`Extractor`] and [`Plugin`]) as this library's plugin by
/// defining the entry symbol [`abi::ENTRY_SYMBOL`]. Use it once per `cdylib`.
#[macro_export]
macro_rules! export_plugin {
    ($ty:ty) => {
        /// The nerlab plugin entry point (see `nerlab_plugin::abi`).
        #[no_mangle]
        pub extern "C" fn nerlab_plugin_entry() -> *const $crate::abi::Descriptor {
            static DESCRIPTOR: ::std::sync::OnceLock<$crate::sdk::StaticDescriptor> =
                ::std::sync::OnceLock::new();
            $crate::sdk::entry::<$ty>(&DESCRIPTOR)
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
pub fn entry<P: Plugin>(cell: &'static OnceLock<StaticDescriptor>) -> *const Descriptor {
    catch_unwind(AssertUnwindSafe(|| {
        let d = cell.get_or_init(|| {
            let labels: Vec<StrRef> = P::LABELS.iter().map(|l| StrRef::new(l)).collect();
            StaticDescriptor {
                descriptor: Descriptor {
                    abi_version: abi::ABI_VERSION,
                    flags: if P::THREAD_SAFE {
                        abi::FLAG_THREAD_SAFE
                    } else {
                        0
                    },
                    name: StrRef::new(P::NAME),
                    version: StrRef::new(P::VERSION),
                    labels: labels.as_ptr(),
                    labels_len: labels.len(),
                    create: Some(create::<P>),
                    instance_labels: Some(instance_labels::<P>),
                    extract: Some(extract::<P>),
                    free_entities: Some(free_entities),
                    destroy: Some(destroy::<P>),
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

/// What `extract` lends the host: the entities in ABI form and the Rust values they point into.
struct Lent {
    raw: Vec<RawEntity>,
    entities: Vec<Entity>,
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
        Err(payload) => (
            abi::STATUS_PANIC,
            format!("panicked: {}", panic_message(payload.as_ref())),
        ),
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

unsafe extern "C" fn create<P: Plugin>(
    config: StrRef,
    base_dir: StrRef,
    out: *mut *mut c_void,
    err: *mut ErrorBuf,
) -> Status {
    guard(err, || {
        if out.is_null() {
            return Err(invalid("null output pointer"));
        }
        let config =
            unsafe { config.as_str() }.ok_or_else(|| invalid("config is null or not UTF-8"))?;
        let base_dir =
            unsafe { base_dir.as_str() }.ok_or_else(|| invalid("base_dir is null or not UTF-8"))?;
        let config = if config.trim().is_empty() {
            "{}"
        } else {
            config
        };
        let config: P::Config = serde_json::from_str(config).map_err(|e| {
            (
                abi::STATUS_ERROR,
                format!("invalid config for plugin {:?}: {e}", P::NAME),
            )
        })?;
        let extractor = P::create(config, Path::new(base_dir))
            .map_err(|e| (abi::STATUS_ERROR, e.to_string()))?;
        let mut instance = Box::new(Instance {
            extractor,
            labels: Vec::new(),
        });
        instance.labels = instance
            .extractor
            .labels()
            .iter()
            .map(|l| StrRef::new(l.as_str()))
            .collect();
        unsafe { *out = Box::into_raw(instance).cast() };
        Ok(())
    })
}

unsafe extern "C" fn instance_labels<P: Plugin>(
    instance: *const c_void,
    out: *mut *const StrRef,
    len: *mut usize,
) {
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

unsafe extern "C" fn extract<P: Plugin>(
    instance: *const c_void,
    id: StrRef,
    text: StrRef,
    out: *mut Entities,
    err: *mut ErrorBuf,
) -> Status {
    guard(err, || {
        let instance = unsafe { instance.cast::<Instance<P>>().as_ref() }
            .ok_or_else(|| invalid("null instance"))?;
        if out.is_null() {
            return Err(invalid("null output pointer"));
        }
        let text = unsafe { text.as_str() }.ok_or_else(|| invalid("text is null or not UTF-8"))?;
        let id = unsafe { id.as_str() }.unwrap_or_default();
        let entities = with_document(id, text, |document| instance.extractor.extract(document))
            .map_err(|e| (abi::STATUS_ERROR, e.to_string()))?;
        if entities.is_empty() {
            // Most short documents: nothing to lend, nothing to allocate.
            unsafe { *out = Entities::EMPTY };
            return Ok(());
        }
        let mut lent = SPARE.with(Cell::take).unwrap_or_else(|| {
            Box::new(Lent {
                raw: Vec::new(),
                entities: Vec::new(),
            })
        });
        lent.raw.extend(entities.iter().map(|e| RawEntity {
            start: e.start,
            end: e.end,
            label: StrRef::new(e.label.as_str()),
            canonical: e.canonical.as_deref().map_or(StrRef::NULL, StrRef::new),
            score: e.score.unwrap_or(0.0),
            flags: if e.score.is_some() {
                abi::ENTITY_HAS_SCORE
            } else {
                0
            },
        }));
        lent.entities = entities;
        unsafe {
            *out = Entities {
                ptr: lent.raw.as_ptr(),
                len: lent.raw.len(),
                owner: Box::into_raw(lent).cast(),
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
            lent.raw.clear();
            // Keep it for the next call unless one huge document made it big.
            if lent.raw.capacity() <= 4096 {
                let _ = SPARE.try_with(|spare| spare.set(Some(lent)));
            }
        }
        *entities = Entities::EMPTY;
    }));
}

unsafe extern "C" fn destroy<P: Plugin>(instance: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if !instance.is_null() {
            drop(unsafe { Box::from_raw(instance.cast::<Instance<P>>()) });
        }
    }));
}
