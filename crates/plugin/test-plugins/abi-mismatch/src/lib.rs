//! A plugin from the future: it exports nerlab's entry symbol, but its descriptor is of ABI
//! version 999, with a layout this host does not know. Only the first field, the version,
//! is common to every ABI version, so that is all the host may read.

/// The descriptor of an imaginary ABI version 999.
#[repr(C)]
pub struct FutureDescriptor {
    /// Always first.
    pub abi_version: u32,
    /// Something the current ABI does not have; reading it as a current descriptor would be
    /// garbage.
    pub something_new: u64,
}

static DESCRIPTOR: FutureDescriptor = FutureDescriptor { abi_version: 999, something_new: u64::MAX };

/// The entry symbol, with the future descriptor.
#[no_mangle]
pub extern "C" fn nerlab_plugin_entry() -> *const FutureDescriptor {
    &DESCRIPTOR
}
