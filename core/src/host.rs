//! The plugin host: finds plugin libraries, checks their ABI, and turns them
//! (or statically linked plugin types) into running stages.
//!
//! Invariants at the boundary:
//! - only the C table of `akhbar_plugin.h` and bytes cross it;
//! - `abi_version` is checked before any function of the table is called;
//! - every buffer the plugin fills goes back to that plugin's `free_buffer`;
//! - a library, once loaded, is never unloaded (its `Library` is leaked), so
//!   function pointers and static strings from it stay valid for the process;
//! - a reload loads a new copy.
#![allow(
    unsafe_code,
    reason = "this module is the FFI boundary; every block says why it is sound"
)]

use std::ffi::c_void;
use std::fmt;
use std::panic::catch_unwind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use akhbar_plugin_sdk::ffi::{
    self, ABI_VERSION, AkhbarBuffer, AkhbarPluginTable, AkhbarStr, ENTRY_SYMBOL, EntryFn,
};
use akhbar_plugin_sdk::proto::{Article, ArticleBatch, Enrichment, RawDocument};
use akhbar_plugin_sdk::{Config, Enricher, Normalizer, Plugin, PluginError, Source};
use akhbar_proto::text_decode;
use prost::Message;

use crate::Error;

/// What a plugin provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginKind {
    /// Decodes inputs.
    Source,
    /// Cleans articles.
    Normalizer,
    /// Adds metadata.
    Enricher,
}

impl PluginKind {
    fn from_flags(flags: u32) -> Option<Self> {
        match flags {
            ffi::KIND_SOURCE => Some(PluginKind::Source),
            ffi::KIND_NORMALIZER => Some(PluginKind::Normalizer),
            ffi::KIND_ENRICHER => Some(PluginKind::Enricher),
            _ => None,
        }
    }
    /// Lower-case name, as in configs and listings.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Source => "source",
            PluginKind::Normalizer => "normalizer",
            PluginKind::Enricher => "enricher",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a plugin comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginOrigin {
    /// Linked into this binary; called directly, no bytes cross a boundary.
    Static,
    /// Loaded from a shared library.
    Library(PathBuf),
}

/// A plugin's identity.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    /// Name used in configs.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// What it provides.
    pub kind: PluginKind,
    /// ABI version it was built for (libraries only).
    pub abi_version: Option<u32>,
    /// Static or which file.
    pub origin: PluginOrigin,
}

/// A running stage implementation.
pub enum StageImpl {
    /// A statically linked source.
    Source(Arc<dyn Source>),
    /// A statically linked normalizer.
    Normalizer(Arc<dyn Normalizer>),
    /// A statically linked enricher.
    Enricher(Arc<dyn Enricher>),
    /// A plugin library of any kind. It takes and returns encoded messages,
    /// so the pipeline hands one library stage's output bytes straight to
    /// the next without decoding and re-encoding them in between.
    Library(Arc<LibraryInstance>),
}

impl StageImpl {
    /// The stage as a typed source, whatever its origin.
    pub fn source(&self) -> Option<Arc<dyn Source>> {
        match self {
            StageImpl::Source(s) => Some(Arc::clone(s)),
            StageImpl::Library(l) if l.kind == PluginKind::Source => Some(l.clone()),
            _ => None,
        }
    }
    /// The stage as a typed normalizer, whatever its origin.
    pub fn normalizer(&self) -> Option<Arc<dyn Normalizer>> {
        match self {
            StageImpl::Normalizer(n) => Some(Arc::clone(n)),
            StageImpl::Library(l) if l.kind == PluginKind::Normalizer => Some(l.clone()),
            _ => None,
        }
    }
    /// The stage as a typed enricher, whatever its origin.
    pub fn enricher(&self) -> Option<Arc<dyn Enricher>> {
        match self {
            StageImpl::Enricher(e) => Some(Arc::clone(e)),
            StageImpl::Library(l) if l.kind == PluginKind::Enricher => Some(l.clone()),
            _ => None,
        }
    }
}

impl fmt::Debug for StageImpl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            StageImpl::Source(_) => "Source",
            StageImpl::Normalizer(_) => "Normalizer",
            StageImpl::Enricher(_) => "Enricher",
            StageImpl::Library(_) => "Library",
        };
        write!(f, "StageImpl::{kind}")
    }
}

type Factory = Arc<dyn Fn(&[u8]) -> Result<StageImpl, PluginError> + Send + Sync>;

/// A plugin that can be instantiated.
#[derive(Clone)]
pub struct AvailablePlugin {
    /// Identity.
    pub info: PluginInfo,
    factory: Factory,
}

impl fmt::Debug for AvailablePlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AvailablePlugin")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl AvailablePlugin {
    /// Builds an instance from JSON config bytes.
    pub fn instantiate(&self, config_json: &[u8]) -> Result<StageImpl, PluginError> {
        (self.factory)(config_json)
    }

    /// A statically linked source.
    pub fn static_source<T: Plugin + Source>() -> Self {
        Self::from_static::<T>(PluginKind::Source, |p| StageImpl::Source(Arc::new(p)))
    }
    /// A statically linked normalizer.
    pub fn static_normalizer<T: Plugin + Normalizer>() -> Self {
        Self::from_static::<T>(PluginKind::Normalizer, |p| {
            StageImpl::Normalizer(Arc::new(p))
        })
    }
    /// A statically linked enricher.
    pub fn static_enricher<T: Plugin + Enricher>() -> Self {
        Self::from_static::<T>(PluginKind::Enricher, |p| StageImpl::Enricher(Arc::new(p)))
    }

    fn from_static<T: Plugin>(kind: PluginKind, wrap: fn(T) -> StageImpl) -> Self {
        AvailablePlugin {
            info: PluginInfo {
                name: T::NAME.to_owned(),
                version: T::VERSION.to_owned(),
                kind,
                abi_version: None,
                origin: PluginOrigin::Static,
            },
            factory: Arc::new(move |config| {
                catch_unwind(|| T::new(&Config::new(config)).map(wrap)).unwrap_or_else(|_| {
                    Err(PluginError::failed(format!(
                        "plugin {} panicked in new()",
                        T::NAME
                    )))
                })
            }),
        }
    }

    /// Loads a plugin library. Refuses, with a message naming the file and
    /// what to do, a file that is not a library, one without the entry
    /// symbol, and one built for another ABI version.
    pub fn load_library(path: &Path) -> Result<Self, Error> {
        let fail = |reason: String| Error::PluginLoad {
            path: path.to_owned(),
            reason,
        };
        // SAFETY: loading a library runs its initialisers. We only load files
        // the operator put in a plugin folder or named in the config; that is
        // the trust decision of a plugin system.
        let library = unsafe { libloading::Library::new(path) }.map_err(|e| {
            fail(format!(
                "it is not a loadable shared library ({}); a plugin is a cdylib built for this platform",
                with_causes(&e)
            ))
        })?;
        // Never unloaded: Rust TLS destructors and the 'static strings of the
        // table make dlclose unsafe. Leaking keeps every pointer valid.
        let library: &'static libloading::Library = Box::leak(Box::new(library));
        // SAFETY: the symbol's type is fixed by akhbar_plugin.h.
        let entry: libloading::Symbol<'static, EntryFn> =
            unsafe { library.get(ENTRY_SYMBOL.as_bytes()) }.map_err(|_| {
                fail(format!(
                    "it exports no `{ENTRY_SYMBOL}` symbol, so it is not an Akhbar plugin; a Rust plugin needs `export_plugin!(...)`, a C plugin must define `const AkhbarPluginTable *{ENTRY_SYMBOL}(void)`"
                ))
            })?;
        // SAFETY: calling the entry takes no arguments and returns a pointer
        // to a static table (header contract); we guard against unwinding.
        let table = catch_unwind(|| unsafe { entry() })
            .map_err(|_| fail(format!("its `{ENTRY_SYMBOL}` panicked")))?;
        if table.is_null() {
            return Err(fail(format!("its `{ENTRY_SYMBOL}` returned no table")));
        }
        // Read only the version first: it is the first field in every ABI.
        // SAFETY: `table` is non-null and points at least at a u32.
        let abi_version = unsafe { table.cast::<u32>().read_unaligned() };
        if abi_version != ABI_VERSION {
            return Err(fail(format!(
                "it was built for Akhbar plugin ABI version {abi_version}, but this akhbar speaks ABI version {ABI_VERSION}; rebuild the plugin against akhbar-plugin-sdk {} (or the akhbar_plugin.h of this release)",
                env!("CARGO_PKG_VERSION")
            )));
        }
        // SAFETY: the version matched, so the layout is ours; the table is
        // static in a library we never unload.
        let table: &'static AkhbarPluginTable = unsafe { &*table };
        let name = read_str(table.name).map_err(|e| fail(format!("its name is {e}")))?;
        let version = read_str(table.version).map_err(|e| fail(format!("its version is {e}")))?;
        let kind = PluginKind::from_flags(table.kinds).ok_or_else(|| {
            fail(format!("it declares kinds {:#x}; exactly one of source (1), normalizer (2), enricher (4) is expected", table.kinds))
        })?;
        let info = PluginInfo {
            name: name.clone(),
            version,
            kind,
            abi_version: Some(abi_version),
            origin: PluginOrigin::Library(path.to_owned()),
        };
        let factory: Factory = Arc::new(move |config| {
            let instance = LibraryInstance::create(table, &name, kind, config)?;
            Ok(StageImpl::Library(Arc::new(instance)))
        });
        Ok(AvailablePlugin { info, factory })
    }
}

fn read_str(s: AkhbarStr) -> Result<String, &'static str> {
    if s.ptr.is_null() {
        return if s.len == 0 {
            Ok(String::new())
        } else {
            Err("a null pointer")
        };
    }
    if s.len > 4096 {
        return Err("longer than 4096 bytes");
    }
    // SAFETY: the table promises `len` readable bytes at `ptr`, static.
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8")
}

/// An instance living in a plugin library.
/// An instance of a plugin library, called through its C table.
pub struct LibraryInstance {
    table: &'static AkhbarPluginTable,
    instance: *mut c_void,
    name: String,
    kind: PluginKind,
}

impl fmt::Debug for LibraryInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LibraryInstance")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

// SAFETY: the ABI requires instances to be callable from any thread at once
// (akhbar_plugin.h, "Threads"); the SDK enforces `Send + Sync` on Rust types.
unsafe impl Send for LibraryInstance {}
// SAFETY: as above.
unsafe impl Sync for LibraryInstance {}

impl LibraryInstance {
    fn create(
        table: &'static AkhbarPluginTable,
        name: &str,
        kind: PluginKind,
        config: &[u8],
    ) -> Result<Self, PluginError> {
        let mut instance: *mut c_void = std::ptr::null_mut();
        let mut error = AkhbarBuffer::empty();
        // SAFETY: pointers are valid for the call; the plugin fills `error`
        // or `instance` as the header says.
        let status =
            unsafe { (table.create)(config.as_ptr(), config.len(), &mut instance, &mut error) };
        let message = take_buffer(table, error);
        if status != ffi::STATUS_OK {
            return Err(status_error(status, &message));
        }
        if instance.is_null() {
            return Err(PluginError::failed(format!(
                "plugin {name} created no instance"
            )));
        }
        Ok(LibraryInstance {
            table,
            instance,
            name: name.to_owned(),
            kind,
        })
    }

    /// What the plugin provides.
    pub fn kind(&self) -> PluginKind {
        self.kind
    }

    /// One call of the plugin's `process`: encoded input (a `RawDocument`
    /// for a source, an `Article` otherwise) in, its encoded output (an
    /// `ArticleBatch` or an `Article`) out, not checked here.
    pub fn call(&self, input: &[u8]) -> Result<Vec<u8>, PluginError> {
        let mut output = AkhbarBuffer::empty();
        // SAFETY: `instance` is alive (destroyed only in Drop); input and
        // output are valid for the call.
        let status = unsafe {
            (self.table.process)(self.instance, input.as_ptr(), input.len(), &mut output)
        };
        let bytes = take_buffer(self.table, output);
        if status == ffi::STATUS_OK {
            Ok(bytes)
        } else {
            Err(status_error(status, &bytes))
        }
    }

    /// Decodes what this plugin returned, blaming it when the bytes are not
    /// the message they should be.
    pub fn decode<M: Message + Default>(&self, bytes: &[u8], what: &str) -> Result<M, PluginError> {
        self.blame(M::decode(bytes), what)
    }

    /// A decoding of what this plugin returned, with the error blamed on it.
    fn blame<T>(
        &self,
        decoded: Result<T, prost::DecodeError>,
        what: &str,
    ) -> Result<T, PluginError> {
        decoded.map_err(|e| {
            PluginError::failed(format!(
                "plugin {} returned bytes that are not an akhbar.v1.{what} ({e})",
                self.name
            ))
        })
    }
}

impl Drop for LibraryInstance {
    fn drop(&mut self) {
        // SAFETY: made by this table's `create`, destroyed exactly once.
        unsafe { (self.table.destroy)(self.instance) };
    }
}

/// `error` and the errors under it, `: `-joined. libloading's own text is
/// only "dlopen failed"; the system's reason (a missing symbol, a library
/// for another machine, no room for its thread-local storage) is its
/// source, and it is what the plugin's author needs to read.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// Copies a plugin-owned buffer and hands it back to the plugin.
fn take_buffer(table: &AkhbarPluginTable, buffer: AkhbarBuffer) -> Vec<u8> {
    if buffer.ptr.is_null() {
        return Vec::new();
    }
    // SAFETY: the plugin filled `len` bytes at `ptr` (header contract).
    let bytes = unsafe { std::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec();
    // SAFETY: the buffer came from this plugin and is freed once.
    unsafe { (table.free_buffer)(buffer) };
    bytes
}

fn status_error(status: i32, message: &[u8]) -> PluginError {
    let message = String::from_utf8_lossy(message).into_owned();
    match status {
        ffi::STATUS_REJECTED => PluginError::rejected(message),
        ffi::STATUS_PANIC => PluginError::failed(if message.is_empty() {
            "plugin panicked".to_owned()
        } else {
            message
        }),
        ffi::STATUS_ERROR => PluginError::failed(message),
        other => PluginError::failed(format!("plugin returned unknown status {other}: {message}")),
    }
}

impl Source for LibraryInstance {
    fn decode(&self, raw: RawDocument) -> Result<Vec<Article>, PluginError> {
        let out = self.call(&raw.encode_to_vec())?;
        Ok(LibraryInstance::decode::<ArticleBatch>(self, &out, "ArticleBatch")?.articles)
    }
}

impl Normalizer for LibraryInstance {
    fn normalize(&self, article: Article) -> Result<Article, PluginError> {
        let out = self.call(&article.encode_to_vec())?;
        self.blame(text_decode::article(&out), "Article")
    }
}

impl Enricher for LibraryInstance {
    fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
        let out = self.call(&article.encode_to_vec())?;
        LibraryInstance::decode(self, &out, "Enrichment")
    }
}

/// The file names the host loads from a plugin folder:
/// `libakhbar_plugin_*.so` (Linux), `libakhbar_plugin_*.dylib` (macOS),
/// `akhbar_plugin_*.dll` (Windows). Other files are left alone.
pub fn is_plugin_file_name(name: &str) -> bool {
    let stem = name.strip_prefix("lib").unwrap_or(name);
    stem.starts_with("akhbar_plugin_")
        && [".so", ".dylib", ".dll"]
            .iter()
            .any(|ext| stem.ends_with(ext))
}

/// Refuses a folder that group or other users may write to.
#[cfg(unix)]
fn check_dir_permissions(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(dir) else {
        return Ok(());
    };
    let mode = metadata.permissions().mode();
    if metadata.is_dir() && mode & 0o022 != 0 {
        return Err(format!(
            "the folder is writable by other users (mode {:o}); run `chmod go-w {}` or choose another --plugin-dir",
            mode & 0o777,
            dir.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_dir_permissions(_dir: &Path) -> Result<(), String> {
    Ok(())
}

/// Refuses a library file whose SHA-256 is not `pin` (hex, any case).
pub fn check_pin(path: &Path, pin: &str) -> Result<(), Error> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual.eq_ignore_ascii_case(pin.trim()) {
        Ok(())
    } else {
        Err(Error::PluginLoad {
            path: path.to_owned(),
            reason: format!(
                "its SHA-256 is {actual}, but the config pins {pin}; if you rebuilt the plugin on purpose, update `sha256` in the config"
            ),
        })
    }
}

/// Every plugin known to this process, and the files that were refused.
#[derive(Debug, Default, Clone)]
pub struct PluginCatalog {
    plugins: Vec<AvailablePlugin>,
    refused: Vec<(PathBuf, String)>,
    searched: Vec<PathBuf>,
}

impl PluginCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plugin (static or loaded). A later plugin of the same name and
    /// kind takes precedence over an earlier one.
    pub fn add(&mut self, plugin: AvailablePlugin) {
        self.plugins.push(plugin);
    }

    /// Loads every plugin library in `dir` (not recursive). Files that fail
    /// are recorded in [`PluginCatalog::refused`]; the rest load. A folder
    /// that other users may write to is refused whole: anyone who can drop a
    /// library there could run code in this process.
    pub fn load_dir(&mut self, dir: &Path) {
        self.searched.push(dir.to_owned());
        if let Err(reason) = check_dir_permissions(dir) {
            tracing::warn!("refusing plugin folder {}: {reason}", dir.display());
            self.refused.push((dir.to_owned(), reason));
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_plugin_file_name)
            })
            .collect();
        paths.sort();
        for path in paths {
            self.load_file(&path);
        }
    }

    /// Loads one library file, recording a refusal instead of failing.
    pub fn load_file(&mut self, path: &Path) -> Option<&AvailablePlugin> {
        match AvailablePlugin::load_library(path) {
            Ok(plugin) => {
                tracing::debug!(path = %path.display(), name = %plugin.info.name, "loaded plugin");
                self.plugins.push(plugin);
                self.plugins.last()
            }
            Err(e) => {
                tracing::warn!("{e}");
                self.refused.push((path.to_owned(), e.to_string()));
                None
            }
        }
    }

    /// Finds a plugin by name and kind (the last one added wins).
    pub fn find(&self, name: &str, kind: PluginKind) -> Result<&AvailablePlugin, Error> {
        self.plugins
            .iter()
            .rev()
            .find(|p| p.info.name == name && p.info.kind == kind)
            .ok_or_else(|| Error::PluginNotFound {
                name: name.to_owned(),
                kind: kind.to_string(),
                searched: if self.searched.is_empty() {
                    "no plugin folder".to_owned()
                } else {
                    self.searched
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            })
    }

    /// All available plugins.
    pub fn plugins(&self) -> &[AvailablePlugin] {
        &self.plugins
    }

    /// Library files that were refused, with the reason.
    pub fn refused(&self) -> &[(PathBuf, String)] {
        &self.refused
    }

    /// Folders searched.
    pub fn searched(&self) -> &[PathBuf] {
        &self.searched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_akhbar_plugin_libraries_are_picked_up() {
        assert!(is_plugin_file_name("libakhbar_plugin_text_dump.so"));
        assert!(is_plugin_file_name("libakhbar_plugin_x.dylib"));
        assert!(is_plugin_file_name("akhbar_plugin_x.dll"));
        assert!(!is_plugin_file_name("libakhbar_fixture_panics.so"));
        assert!(!is_plugin_file_name("libakhbar_plugin_text_dump.rlib"));
        assert!(!is_plugin_file_name("libakhbar_plugin_text_dump.d"));
    }

    #[test]
    fn a_file_that_is_not_a_library_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libakhbar_plugin_fake.so");
        std::fs::write(&path, b"not an ELF file").unwrap();
        let err = AvailablePlugin::load_library(&path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("libakhbar_plugin_fake.so"), "{err}");
        assert!(err.contains("not a loadable shared library"), "{err}");
        let mut catalog = PluginCatalog::new();
        catalog.load_dir(dir.path());
        assert_eq!(catalog.refused().len(), 1);
        assert!(catalog.plugins().is_empty());
    }

    /// The host's side of the envelope, against a plugin that answers with
    /// any status and any bytes: never a panic, `Ok` only for a success
    /// whose bytes decode, and the plugin's buffer always handed back.
    mod envelope {
        use std::cell::RefCell;
        use std::sync::atomic::{AtomicUsize, Ordering};

        use proptest::prelude::*;

        use super::super::*;

        thread_local! {
            static REPLY: RefCell<(i32, Vec<u8>)> = const { RefCell::new((0, Vec::new())) };
        }
        static FREED: AtomicUsize = AtomicUsize::new(0);

        unsafe extern "C" fn create(
            _: *const u8,
            _: usize,
            instance: *mut *mut c_void,
            _: *mut AkhbarBuffer,
        ) -> i32 {
            // SAFETY: the host passes a valid out-pointer; the dummy instance is never dereferenced.
            unsafe { instance.write(std::ptr::NonNull::<u8>::dangling().as_ptr().cast()) };
            ffi::STATUS_OK
        }

        unsafe extern "C" fn process(
            _: *mut c_void,
            _: *const u8,
            _: usize,
            output: *mut AkhbarBuffer,
        ) -> i32 {
            let (status, bytes) = REPLY.with(|r| r.borrow().clone());
            let mut bytes = std::mem::ManuallyDrop::new(bytes);
            // SAFETY: the host passes a valid out-pointer.
            unsafe {
                output.write(AkhbarBuffer {
                    ptr: bytes.as_mut_ptr(),
                    len: bytes.len(),
                    cap: bytes.capacity(),
                })
            };
            status
        }

        unsafe extern "C" fn free_buffer(buffer: AkhbarBuffer) {
            if !buffer.ptr.is_null() {
                FREED.fetch_add(1, Ordering::Relaxed);
                // SAFETY: made from a Vec<u8> in `process` above.
                drop(unsafe { Vec::from_raw_parts(buffer.ptr, buffer.len, buffer.cap) });
            }
        }

        unsafe extern "C" fn destroy(_: *mut c_void) {}

        static TABLE: AkhbarPluginTable = AkhbarPluginTable {
            abi_version: ABI_VERSION,
            kinds: ffi::KIND_NORMALIZER,
            name: AkhbarStr::from_static("envelope"),
            version: AkhbarStr::from_static("0"),
            create,
            process,
            free_buffer,
            destroy,
        };

        proptest! {
            #[test]
            fn any_reply_is_an_article_or_an_error(status in -2i32..6, bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                REPLY.with(|r| *r.borrow_mut() = (status, bytes.clone()));
                let instance = LibraryInstance::create(&TABLE, "envelope", PluginKind::Normalizer, b"").unwrap();
                let freed = FREED.load(Ordering::Relaxed);
                let result = Normalizer::normalize(&instance, Article::default());
                // Every buffer the plugin filled went back to it, exactly once.
                prop_assert_eq!(FREED.load(Ordering::Relaxed) - freed, 1);
                match result {
                    Ok(article) => {
                        prop_assert_eq!(status, ffi::STATUS_OK);
                        prop_assert_eq!(Article::decode(bytes.as_slice()).unwrap(), article);
                    }
                    Err(PluginError::Rejected(reason)) => {
                        prop_assert_eq!(status, ffi::STATUS_REJECTED);
                        prop_assert_eq!(reason, String::from_utf8_lossy(&bytes).into_owned());
                    }
                    Err(error) => prop_assert!(status != ffi::STATUS_OK || Article::decode(bytes.as_slice()).is_err(), "{error}"),
                }
            }
        }
    }
}
