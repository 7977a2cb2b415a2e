//! A plugin written against the raw ABI (no SDK) that lies about lengths, so the host's
//! checks can be tested: its configuration is one of the lies below, as a JSON string
//! (`"message_longer_than_written"`), and `extract` commits it on every document.
//!
//! - `message_longer_than_written`: fails with a 4-byte message but reports 900 bytes.
//! - `message_longer_than_capacity`: fails reporting more bytes than the buffer holds.
//! - `create_message_longer_than_capacity`: the same, from `create`.
//! - `entities_too_many`: returns an entity array whose length cannot be addressed.
//! - `entities_misaligned`: returns an entity array at a misaligned address.
//!
//! Anything else: succeeds with no entities.

use std::ffi::c_void;

use nerlab_plugin::abi::{Descriptor, Entities, ErrorBuf, RawEntity, StrRef, ABI_VERSION, STATUS_ERROR, STATUS_OK};

/// Static label strings (raw pointers are not `Sync`; these point at static data).
struct Labels([StrRef; 1]);
unsafe impl Sync for Labels {}

static LABELS: Labels = Labels([StrRef::new("PER")]);

static DESCRIPTOR: Descriptor = Descriptor {
    abi_version: ABI_VERSION,
    flags: 0,
    name: StrRef::new("liar"),
    version: StrRef::new("0.1.0"),
    labels: LABELS.0.as_ptr(),
    labels_len: 1,
    create: Some(create),
    instance_labels: Some(instance_labels),
    extract: Some(extract),
    free_entities: Some(free_entities),
    destroy: Some(destroy),
    extract_batch: None,
};

/// The entry symbol.
#[no_mangle]
pub extern "C" fn nerlab_plugin_entry() -> *const Descriptor {
    &DESCRIPTOR
}

/// Which lie, from the configuration.
#[derive(Clone, Copy, PartialEq)]
enum Lie {
    None,
    MessageLongerThanWritten,
    MessageLongerThanCapacity,
    EntitiesTooMany,
    EntitiesMisaligned,
}

unsafe fn text<'a>(s: StrRef) -> &'a str {
    s.as_str().unwrap_or("")
}

/// Writes `message` into `err` truthfully, then sets `len` to `claimed`.
unsafe fn fail(err: *mut ErrorBuf, message: &str, claimed: impl FnOnce(usize) -> usize) -> i32 {
    let err = &mut *err;
    let n = message.len().min(err.cap);
    std::ptr::copy_nonoverlapping(message.as_ptr(), err.ptr, n);
    err.len = claimed(err.cap);
    STATUS_ERROR
}

unsafe extern "C" fn create(config: StrRef, _base: StrRef, instance: *mut *mut c_void, err: *mut ErrorBuf) -> i32 {
    let config = text(config);
    if config.contains("create_message_longer_than_capacity") {
        return fail(err, "nope", |cap| cap + 1);
    }
    let lie = match config {
        c if c.contains("message_longer_than_written") => Lie::MessageLongerThanWritten,
        c if c.contains("message_longer_than_capacity") => Lie::MessageLongerThanCapacity,
        c if c.contains("entities_too_many") => Lie::EntitiesTooMany,
        c if c.contains("entities_misaligned") => Lie::EntitiesMisaligned,
        _ => Lie::None,
    };
    *instance = Box::into_raw(Box::new(lie)).cast();
    STATUS_OK
}

unsafe extern "C" fn instance_labels(_instance: *const c_void, labels: *mut *const StrRef, len: *mut usize) {
    *labels = LABELS.0.as_ptr();
    *len = LABELS.0.len();
}

unsafe extern "C" fn extract(instance: *const c_void, _id: StrRef, _text: StrRef, out: *mut Entities, err: *mut ErrorBuf) -> i32 {
    let out = &mut *out;
    match *instance.cast::<Lie>() {
        Lie::None => STATUS_OK,
        Lie::MessageLongerThanWritten => fail(err, "oops", |_| 900),
        Lie::MessageLongerThanCapacity => fail(err, "oops", |cap| cap * 4),
        Lie::EntitiesTooMany => {
            out.ptr = std::ptr::NonNull::<RawEntity>::dangling().as_ptr();
            out.len = usize::MAX / 2;
            STATUS_OK
        }
        Lie::EntitiesMisaligned => {
            // One byte past an aligned address: misaligned for any entity.
            out.ptr = std::ptr::dangling::<u8>().wrapping_add(1).cast::<RawEntity>();
            out.len = 1;
            STATUS_OK
        }
    }
}

unsafe extern "C" fn free_entities(_instance: *const c_void, _entities: *mut Entities) {}

unsafe extern "C" fn destroy(instance: *mut c_void) {
    drop(Box::from_raw(instance.cast::<Lie>()));
}
