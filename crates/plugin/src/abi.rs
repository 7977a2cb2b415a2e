//! The C ABI between nerlab (the host) and an extractor plugin, version [`ABI_VERSION`].
//!
//! Everything here is `#[repr(C)]` data or an `extern "C"` function pointer, so a plugin can
//! be written in any language that can export a C symbol. In C terms:
//!
//! ```c
//! typedef struct { const uint8_t *ptr; size_t len; } nl_str;          /* UTF-8, not NUL-terminated */
//! typedef struct { uint8_t *ptr; size_t cap; size_t len; } nl_error_buf;
//! typedef struct { size_t start, end; nl_str label; nl_str canonical; float score; uint32_t flags; } nl_entity;
//! typedef struct { const nl_entity *ptr; size_t len; void *owner; } nl_entities;
//! typedef struct { nl_str id; nl_str text; } nl_document;
//! typedef struct { int32_t status; nl_str error; nl_entities entities; } nl_result;
//! typedef struct {
//!     uint32_t abi_version;              /* always the first field, in every version */
//!     uint32_t flags;                    /* NL_FLAG_THREAD_SAFE */
//!     nl_str name, version;
//!     const nl_str *labels; size_t labels_len;
//!     int32_t (*create)(nl_str config_json, nl_str base_dir, void **instance, nl_error_buf *err);
//!     void    (*instance_labels)(const void *instance, const nl_str **labels, size_t *len);
//!     int32_t (*extract)(const void *instance, nl_str id, nl_str text, nl_entities *out, nl_error_buf *err);
//!     void    (*free_entities)(const void *instance, nl_entities *entities);
//!     void    (*destroy)(void *instance);
//!     /* optional (may be NULL): several documents in one call */
//!     int32_t (*extract_batch)(const void *instance, const nl_document *docs, size_t len,
//!                              nl_result *results, nl_error_buf *err);
//! } nl_descriptor;
//! const nl_descriptor *nerlab_plugin_entry(void);
//! ```
//!
//! # Version policy
//!
//! [`ABI_VERSION`] is one integer, bumped on **any** change to the layout or meaning of a
//! type or function in this module. The host accepts exactly its own version: a mismatch is
//! refused at load time with both numbers in the message. `abi_version` is the descriptor's
//! first field in every version, so any host can read any plugin's version before trusting
//! the rest of the layout.
//!
//! Version 2 added `extract_batch`: a batching extractor (the transformer pads documents of
//! similar length together) keeps its batches across the boundary.

use std::ffi::c_void;

/// The ABI version this crate speaks. See the module docs for the policy.
pub const ABI_VERSION: u32 = 2;

/// The name of the symbol a plugin exports: `extern "C" fn() -> *const Descriptor`.
pub const ENTRY_SYMBOL: &str = "nerlab_plugin_entry";

/// The entry point's signature.
pub type EntryFn = unsafe extern "C" fn() -> *const Descriptor;

/// [`Descriptor::flags`]: instances may be called from several threads at once.
/// Without it the host serialises the calls to each instance.
pub const FLAG_THREAD_SAFE: u32 = 1;

/// [`RawEntity::flags`]: [`RawEntity::score`] holds a score.
pub const ENTITY_HAS_SCORE: u32 = 1;

/// A call's outcome. Anything but [`STATUS_OK`] comes with a message in the [`ErrorBuf`].
pub type Status = i32;
/// Success.
pub const STATUS_OK: Status = 0;
/// The call failed in an ordinary way (a bad config, a document it cannot process).
pub const STATUS_ERROR: Status = 1;
/// The plugin panicked (or threw); the SDK caught it at the boundary.
pub const STATUS_PANIC: Status = 2;
/// An argument was invalid (a null pointer, text that is not UTF-8).
pub const STATUS_INVALID_ARGUMENT: Status = 3;

/// A borrowed UTF-8 string: pointer and length in bytes, not NUL-terminated.
/// A null `ptr` means "absent" where a field says so.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct StrRef {
    /// First byte, or null.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl StrRef {
    /// The absent string.
    pub const NULL: StrRef = StrRef { ptr: std::ptr::null(), len: 0 };

    /// Borrows `s`; the result is valid as long as `s` is.
    pub const fn new(s: &str) -> StrRef {
        StrRef { ptr: s.as_ptr(), len: s.len() }
    }

    /// The string, when `ptr` is not null and the bytes are UTF-8.
    ///
    /// # Safety
    /// `ptr..ptr+len` must be readable for `'a`, or `ptr` null.
    pub unsafe fn as_str<'a>(self) -> Option<&'a str> {
        if self.ptr.is_null() {
            return None;
        }
        std::str::from_utf8(std::slice::from_raw_parts(self.ptr, self.len)).ok()
    }
}

/// A host-owned buffer the plugin writes an error message into (UTF-8, truncated to `cap`).
#[repr(C)]
#[derive(Debug)]
pub struct ErrorBuf {
    /// Start of the buffer.
    pub ptr: *mut u8,
    /// Capacity in bytes.
    pub cap: usize,
    /// Bytes written; the plugin sets it.
    pub len: usize,
}

/// One entity as a plugin returns it. The host checks everything about it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RawEntity {
    /// Byte offset of the first byte in the document text.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// The label's name; must be one of the instance's labels.
    pub label: StrRef,
    /// A canonical name, or [`StrRef::NULL`].
    pub canonical: StrRef,
    /// A confidence in `[0, 1]` when `flags` has [`ENTITY_HAS_SCORE`].
    pub score: f32,
    /// [`ENTITY_HAS_SCORE`] or 0.
    pub flags: u32,
}

/// A plugin-owned array of entities, valid until the host passes it to `free_entities`.
#[repr(C)]
#[derive(Debug)]
pub struct Entities {
    /// First entity (may be null when `len` is 0).
    pub ptr: *const RawEntity,
    /// Number of entities.
    pub len: usize,
    /// The plugin's handle on the allocation, opaque to the host.
    pub owner: *mut c_void,
}

impl Entities {
    /// An empty list, what the host passes in.
    pub const EMPTY: Entities = Entities { ptr: std::ptr::null(), len: 0, owner: std::ptr::null_mut() };
}

/// `create(config_json, base_dir, &mut instance, &mut error) -> Status`: builds an instance
/// from a JSON configuration; relative paths in it are resolved against `base_dir`.
pub type CreateFn = unsafe extern "C" fn(StrRef, StrRef, *mut *mut c_void, *mut ErrorBuf) -> Status;
/// `instance_labels(instance, &mut ptr, &mut len)`: the labels this instance may produce,
/// owned by the instance and valid until `destroy`.
pub type InstanceLabelsFn = unsafe extern "C" fn(*const c_void, *mut *const StrRef, *mut usize);
/// `extract(instance, id, text, &mut entities, &mut error) -> Status`: the entities of one
/// document, sorted by `(start, end)`.
pub type ExtractFn = unsafe extern "C" fn(*const c_void, StrRef, StrRef, *mut Entities, *mut ErrorBuf) -> Status;
/// `free_entities(instance, &mut entities)`: releases what `extract` returned.
pub type FreeEntitiesFn = unsafe extern "C" fn(*const c_void, *mut Entities);
/// `destroy(instance)`: releases an instance.
pub type DestroyFn = unsafe extern "C" fn(*mut c_void);

/// One document of an `extract_batch` call, lent by the host for the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct DocumentRef {
    /// The document's id.
    pub id: StrRef,
    /// The document's text.
    pub text: StrRef,
}

/// One document's outcome in an `extract_batch` call, filled in by the plugin.
///
/// The host passes every result with `status` [`STATUS_UNFILLED`]. On a successful call the
/// plugin sets each: [`STATUS_OK`] with `entities`, or another status with a message in
/// `error`. Both are lent until the host passes `entities` to `free_entities`, which it
/// does for every result (so a failure's message lives in the allocation `entities.owner`
/// names).
#[repr(C)]
#[derive(Debug)]
pub struct BatchResult {
    /// This document's outcome.
    pub status: Status,
    /// The failure's message, or [`StrRef::NULL`].
    pub error: StrRef,
    /// The entities, sorted by `(start, end)`.
    pub entities: Entities,
}

impl BatchResult {
    /// What the host passes in: not filled yet.
    pub const UNFILLED: BatchResult = BatchResult { status: STATUS_UNFILLED, error: StrRef::NULL, entities: Entities::EMPTY };
}

/// [`BatchResult::status`] before the plugin fills it in; a plugin never sets it.
pub const STATUS_UNFILLED: Status = -1;

/// `extract_batch(instance, docs, len, results, &mut error) -> Status`: the entities of
/// `len` documents, one [`BatchResult`] each, in order. A status other than [`STATUS_OK`]
/// fails the call as a whole (the results are then ignored and must own nothing) and the
/// host falls back to `extract` one document at a time, which also finds the document a
/// panic comes from.
pub type ExtractBatchFn = unsafe extern "C" fn(*const c_void, *const DocumentRef, usize, *mut BatchResult, *mut ErrorBuf) -> Status;

/// What the entry symbol returns: who the plugin is and how to call it. Static, owned by the
/// plugin, valid as long as the library is loaded.
#[repr(C)]
#[derive(Debug)]
pub struct Descriptor {
    /// [`ABI_VERSION`] of the SDK the plugin was built with. Always the first field.
    pub abi_version: u32,
    /// [`FLAG_THREAD_SAFE`] or 0.
    pub flags: u32,
    /// The plugin's name, e.g. `patterns`.
    pub name: StrRef,
    /// The plugin's own version, e.g. `0.1.0`.
    pub version: StrRef,
    /// Every label the plugin can produce, or none (`labels_len == 0`) when that depends on
    /// the configuration; each instance reports its own through `instance_labels`.
    pub labels: *const StrRef,
    /// Number of `labels`.
    pub labels_len: usize,
    /// See [`CreateFn`].
    pub create: Option<CreateFn>,
    /// See [`InstanceLabelsFn`].
    pub instance_labels: Option<InstanceLabelsFn>,
    /// See [`ExtractFn`].
    pub extract: Option<ExtractFn>,
    /// See [`FreeEntitiesFn`].
    pub free_entities: Option<FreeEntitiesFn>,
    /// See [`DestroyFn`].
    pub destroy: Option<DestroyFn>,
    /// See [`ExtractBatchFn`]; optional: without it the host calls `extract` per document.
    pub extract_batch: Option<ExtractBatchFn>,
}

// The descriptor is immutable static data behind raw pointers; sharing it is sound.
unsafe impl Sync for Descriptor {}
unsafe impl Send for Descriptor {}

/// Writes `message` into `buf`, truncated at a character boundary to fit.
///
/// # Safety
/// `buf` must be null or point to an [`ErrorBuf`] whose `ptr..ptr+cap` is writable.
pub unsafe fn write_error(buf: *mut ErrorBuf, message: &str) {
    let Some(buf) = buf.as_mut() else { return };
    if buf.ptr.is_null() {
        buf.len = 0;
        return;
    }
    let mut n = message.len().min(buf.cap);
    while !message.is_char_boundary(n) {
        n -= 1;
    }
    std::ptr::copy_nonoverlapping(message.as_ptr(), buf.ptr, n);
    buf.len = n;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_error_truncates_on_a_char_boundary() {
        let mut storage = [0u8; 4];
        let mut buf = ErrorBuf { ptr: storage.as_mut_ptr(), cap: storage.len(), len: 0 };
        // "ab" + "é" (2 bytes) + "c": 4 bytes fit exactly, 3 would split nothing, so use "aéé".
        unsafe { write_error(&mut buf, "aéé") };
        assert_eq!(buf.len, 3);
        assert_eq!(std::str::from_utf8(&storage[..buf.len]).unwrap(), "aé");
        unsafe { write_error(std::ptr::null_mut(), "ignored") };
    }

    #[test]
    fn str_ref_round_trips_and_null_is_absent() {
        let s = "Łukasz";
        assert_eq!(unsafe { StrRef::new(s).as_str() }, Some(s));
        assert_eq!(unsafe { StrRef::NULL.as_str() }, None);
        let bad = [0xffu8, 0xfe];
        assert_eq!(unsafe { StrRef { ptr: bad.as_ptr(), len: 2 }.as_str() }, None);
    }
}
