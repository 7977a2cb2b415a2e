//! A shared library that exports a C function, but not nerlab's entry symbol.

/// Some other library's entry point.
#[no_mangle]
pub extern "C" fn not_a_nerlab_plugin() -> u32 {
    42
}
