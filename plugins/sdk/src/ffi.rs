//! The C ABI, mirrored from `include/akhbar_plugin.h`. Plugin authors do not
//! use this module directly: [`crate::export_plugin!`] fills the table.

use std::ffi::c_void;

/// The ABI version this SDK speaks. Bump on any change to the table layout
/// or to what crosses it. Version 3: an enricher's input is an article the
/// host has checked (it decodes as an `akhbar.v1.Article`), which the
/// enricher does not check again.
pub const ABI_VERSION: u32 = 3;
/// The one symbol a plugin library exports.
pub const ENTRY_SYMBOL: &str = "akhbar_plugin_entry";

/// Kind flag: a [`crate::Source`].
pub const KIND_SOURCE: u32 = 1;
/// Kind flag: a [`crate::Normalizer`].
pub const KIND_NORMALIZER: u32 = 2;
/// Kind flag: an [`crate::Enricher`].
pub const KIND_ENRICHER: u32 = 4;

/// Status: success; the output holds the encoded message.
pub const STATUS_OK: i32 = 0;
/// Status: the document was refused on purpose; the output holds the reason.
pub const STATUS_REJECTED: i32 = 1;
/// Status: the plugin failed on this input; the output holds the message.
pub const STATUS_ERROR: i32 = 2;
/// Status: the plugin caught a panic; the output holds its message.
pub const STATUS_PANIC: i32 = 3;

/// A UTF-8 string that is not NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct AkhbarStr {
    /// First byte.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl AkhbarStr {
    /// Points at a static string.
    pub const fn from_static(s: &'static str) -> Self {
        AkhbarStr {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }
}

/// Bytes owned by the plugin, released only by its `free_buffer`.
#[repr(C)]
#[derive(Debug)]
pub struct AkhbarBuffer {
    /// First byte (null for an empty buffer).
    pub ptr: *mut u8,
    /// Length in bytes.
    pub len: usize,
    /// Capacity, for the plugin's own use.
    pub cap: usize,
}

impl AkhbarBuffer {
    /// An empty buffer, for the host to pass as an out-parameter.
    pub const fn empty() -> Self {
        AkhbarBuffer {
            ptr: std::ptr::null_mut(),
            len: 0,
            cap: 0,
        }
    }
}

/// `create`: config bytes in, instance or error out.
pub type CreateFn = unsafe extern "C" fn(
    config: *const u8,
    config_len: usize,
    instance: *mut *mut c_void,
    error: *mut AkhbarBuffer,
) -> i32;
/// `process`: one encoded document in, one encoded result or message out.
pub type ProcessFn = unsafe extern "C" fn(
    instance: *mut c_void,
    input: *const u8,
    input_len: usize,
    output: *mut AkhbarBuffer,
) -> i32;
/// `free_buffer`: releases a buffer the plugin filled.
pub type FreeBufferFn = unsafe extern "C" fn(buffer: AkhbarBuffer);
/// `destroy`: releases an instance.
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);

/// The entry table a plugin exports. `abi_version` stays the first field in
/// every ABI version, so a host can always read it safely.
#[repr(C)]
#[derive(Debug)]
pub struct AkhbarPluginTable {
    /// Must equal [`ABI_VERSION`].
    pub abi_version: u32,
    /// `KIND_*` flags.
    pub kinds: u32,
    /// Plugin name.
    pub name: AkhbarStr,
    /// Plugin version.
    pub version: AkhbarStr,
    /// See [`CreateFn`].
    pub create: CreateFn,
    /// See [`ProcessFn`].
    pub process: ProcessFn,
    /// See [`FreeBufferFn`].
    pub free_buffer: FreeBufferFn,
    /// See [`DestroyFn`].
    pub destroy: DestroyFn,
}

// SAFETY: the table is immutable after construction and its pointers refer
// to static strings and functions, which every thread may read.
unsafe impl Sync for AkhbarPluginTable {}
// SAFETY: as above; nothing in the table is tied to a thread.
unsafe impl Send for AkhbarPluginTable {}

/// Signature of [`ENTRY_SYMBOL`].
pub type EntryFn = unsafe extern "C" fn() -> *const AkhbarPluginTable;
