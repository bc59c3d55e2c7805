//! What [`crate::export_plugin!`] expands to. Not a public API.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use akhbar_proto::text_decode;
use prost::Message;

use crate::ffi::{AkhbarBuffer, STATUS_ERROR, STATUS_OK, STATUS_PANIC, STATUS_REJECTED};
use crate::proto::{ArticleBatch, RawDocument};
use crate::{ArticleView, Config, Enricher, Normalizer, Plugin, PluginError, Source};

pub use crate::ffi::{
    ABI_VERSION, AkhbarPluginTable, AkhbarStr, KIND_ENRICHER, KIND_NORMALIZER, KIND_SOURCE,
};

fn into_buffer(bytes: Vec<u8>) -> AkhbarBuffer {
    let mut bytes = std::mem::ManuallyDrop::new(bytes);
    AkhbarBuffer {
        ptr: bytes.as_mut_ptr(),
        len: bytes.len(),
        cap: bytes.capacity(),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("plugin panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("plugin panicked: {s}")
    } else {
        "plugin panicked".to_owned()
    }
}

fn error_status(error: PluginError) -> (i32, Vec<u8>) {
    match error {
        PluginError::Rejected(m) => (STATUS_REJECTED, m.into_bytes()),
        PluginError::Failed(m) => (STATUS_ERROR, m.into_bytes()),
    }
}

/// Runs `work`, catching panics, and writes its bytes to `out`.
///
/// # Safety
/// `out` must be valid for writes.
unsafe fn guarded(out: *mut AkhbarBuffer, work: impl FnOnce() -> (i32, Vec<u8>)) -> i32 {
    let (status, bytes) = match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => (STATUS_PANIC, panic_message(payload.as_ref()).into_bytes()),
    };
    if !out.is_null() {
        // SAFETY: the caller promises `out` is valid for writes.
        unsafe { out.write(into_buffer(bytes)) };
    }
    status
}

/// # Safety
/// `ptr` must be valid for `len` bytes (or null with `len == 0`).
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller promises `ptr` is valid for `len` bytes.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// `create` for any plugin type.
///
/// # Safety
/// The pointers must follow `akhbar_plugin.h`.
pub unsafe extern "C" fn create<T: Plugin>(
    config: *const u8,
    config_len: usize,
    instance: *mut *mut c_void,
    error: *mut AkhbarBuffer,
) -> i32 {
    // SAFETY: the host passes a valid config slice (header contract).
    let config = unsafe { bytes(config, config_len) };
    let mut made: Option<*mut c_void> = None;
    // SAFETY: `error` is valid for writes (header contract).
    let status = unsafe {
        guarded(error, || match T::new(&Config::new(config)) {
            Ok(plugin) => {
                made = Some(Box::into_raw(Box::new(plugin)).cast());
                (STATUS_OK, Vec::new())
            }
            Err(e) => error_status(e),
        })
    };
    if let (Some(ptr), false) = (made, instance.is_null()) {
        // SAFETY: `instance` is valid for writes (header contract).
        unsafe { instance.write(ptr) };
    }
    status
}

/// `destroy` for any plugin type.
///
/// # Safety
/// `instance` must come from `create::<T>` and not be used afterwards.
pub unsafe extern "C" fn destroy<T: Plugin>(instance: *mut c_void) {
    if instance.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `instance` was made by `Box::into_raw` in `create::<T>`.
        drop(unsafe { Box::from_raw(instance.cast::<T>()) });
    }));
}

/// `free_buffer` for buffers made by [`into_buffer`].
///
/// # Safety
/// `buffer` must come from this plugin and be freed once.
pub unsafe extern "C" fn free_buffer(buffer: AkhbarBuffer) {
    if buffer.ptr.is_null() {
        return;
    }
    // SAFETY: the buffer was made from a Vec<u8> by `into_buffer`.
    drop(unsafe { Vec::from_raw_parts(buffer.ptr, buffer.len, buffer.cap) });
}

/// The plugin's input, decoded, or the error that says what it is not.
fn decoded<T>(decoded: Result<T, prost::DecodeError>, what: &str) -> Result<T, PluginError> {
    decoded.map_err(|e| PluginError::undecodable(what, e))
}

/// # Safety
/// The pointers must follow `akhbar_plugin.h`; `instance` from `create::<T>`.
unsafe fn process_with<T, F>(
    instance: *mut c_void,
    input: *const u8,
    input_len: usize,
    output: *mut AkhbarBuffer,
    run: F,
) -> i32
where
    F: FnOnce(&T, &[u8]) -> Result<Vec<u8>, PluginError>,
{
    // SAFETY: header contract: input valid for input_len bytes.
    let input = unsafe { bytes(input, input_len) };
    // SAFETY: `instance` came from `create::<T>` and is alive (header contract).
    let plugin = unsafe { instance.cast::<T>().as_ref() };
    // SAFETY: header contract: output valid for writes.
    unsafe {
        guarded(output, || match plugin {
            None => (STATUS_ERROR, b"null plugin instance".to_vec()),
            Some(plugin) => match run(plugin, input) {
                Ok(out) => (STATUS_OK, out),
                Err(e) => error_status(e),
            },
        })
    }
}

/// `process` for a [`Source`].
///
/// # Safety
/// See `akhbar_plugin.h`.
pub unsafe extern "C" fn process_source<T: Plugin + Source>(
    instance: *mut c_void,
    input: *const u8,
    input_len: usize,
    output: *mut AkhbarBuffer,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        process_with::<T, _>(instance, input, input_len, output, |plugin, input| {
            let raw = decoded(RawDocument::decode(input), "RawDocument")?;
            let articles = plugin.decode(raw)?;
            Ok(ArticleBatch { articles }.encode_to_vec())
        })
    }
}

/// `process` for a [`Normalizer`].
///
/// # Safety
/// See `akhbar_plugin.h`.
pub unsafe extern "C" fn process_normalizer<T: Plugin + Normalizer>(
    instance: *mut c_void,
    input: *const u8,
    input_len: usize,
    output: *mut AkhbarBuffer,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        process_with::<T, _>(instance, input, input_len, output, |plugin, input| {
            match ArticleView::decode(input) {
                Some(view) => {
                    let mut out = Vec::new();
                    plugin.normalize_into(view, &mut out)?;
                    Ok(out)
                }
                // Damaged (prost's decoder says how) or unusually encoded.
                None => {
                    let article = decoded(text_decode::article(input), "Article")?;
                    Ok(plugin.normalize(article)?.encode_to_vec())
                }
            }
        })
    }
}

/// `process` for an [`Enricher`].
///
/// # Safety
/// See `akhbar_plugin.h`.
pub unsafe extern "C" fn process_enricher<T: Plugin + Enricher>(
    instance: *mut c_void,
    input: *const u8,
    input_len: usize,
    output: *mut AkhbarBuffer,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe {
        process_with::<T, _>(instance, input, input_len, output, |plugin, input| {
            // SAFETY: ABI version 3: an enricher's input decodes as an
            // akhbar.v1.Article; the host checked every byte of it
            // (akhbar_plugin.h).
            let added = match ArticleView::decode_host_checked(input) {
                Some(view) => plugin.enrich_view(&view)?,
                // Damaged (prost's decoder says how) or unusually encoded.
                None => {
                    let article = decoded(text_decode::article(input), "Article")?;
                    plugin.enrich_view(&ArticleView::of(&article))?
                }
            };
            // Not `encode_to_vec`, which sizes the buffer by walking every
            // entity for its length first, then again as it writes each:
            // a fifth of an enrichment's encoding. The guess fits most.
            let mut out = Vec::with_capacity(8 * 1024);
            added.encode_raw(&mut out);
            Ok(out)
        })
    }
}

/// Exports a plugin type: writes its C entry table and the
/// `akhbar_plugin_entry` symbol. One per library.
///
/// ```ignore
/// export_plugin!(source: TextDump);
/// export_plugin!(normalizer: ScrapedPage);
/// export_plugin!(enricher: Language);
/// ```
#[macro_export]
macro_rules! export_plugin {
    (source: $ty:ty) => {
        $crate::__export_plugin!($ty, KIND_SOURCE, process_source);
    };
    (normalizer: $ty:ty) => {
        $crate::__export_plugin!($ty, KIND_NORMALIZER, process_normalizer);
    };
    (enricher: $ty:ty) => {
        $crate::__export_plugin!($ty, KIND_ENRICHER, process_enricher);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_plugin {
    ($ty:ty, $kind:ident, $process:ident) => {
        /// The plugin's entry table (see `akhbar_plugin.h`).
        #[unsafe(no_mangle)]
        pub extern "C" fn akhbar_plugin_entry() -> *const $crate::__private::AkhbarPluginTable {
            static TABLE: $crate::__private::AkhbarPluginTable =
                $crate::__private::AkhbarPluginTable {
                    abi_version: $crate::__private::ABI_VERSION,
                    kinds: $crate::__private::$kind,
                    name: $crate::__private::AkhbarStr::from_static(<$ty as $crate::Plugin>::NAME),
                    version: $crate::__private::AkhbarStr::from_static(
                        <$ty as $crate::Plugin>::VERSION,
                    ),
                    create: $crate::__private::create::<$ty>,
                    process: $crate::__private::$process::<$ty>,
                    free_buffer: $crate::__private::free_buffer,
                    destroy: $crate::__private::destroy::<$ty>,
                };
            &TABLE
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParagraphView;
    use crate::proto::{Article, Enrichment, Entity, Paragraph, Provenance};

    /// `Plugin` for unit structs named `$name`, with no config.
    macro_rules! test_plugins {
        ($($ty:ident: $name:literal),*) => {$(
            impl Plugin for $ty {
                const NAME: &'static str = $name;
                const VERSION: &'static str = "0";
                fn new(_: &Config<'_>) -> Result<Self, PluginError> {
                    Ok($ty)
                }
            }
        )*};
    }
    test_plugins!(
        Owned: "owned",
        Viewed: "viewed",
        OwnedNormalizer: "owned-normalizer",
        ViewedNormalizer: "viewed-normalizer",
        EncodedNormalizer: "encoded-normalizer"
    );

    /// Tags what it read: the text of the paragraphs and the ids of the
    /// entities, in order. `enrich` only: the boundary copies the article
    /// for it (the default `enrich_view`).
    struct Owned;
    /// The same through the view.
    struct Viewed;

    fn read(paragraphs: impl Iterator<Item = String>, entities: &[Entity]) -> Enrichment {
        Enrichment {
            tags: paragraphs
                .chain(entities.iter().map(|e| e.canonical_id.clone()))
                .collect(),
            ..Default::default()
        }
    }

    impl Enricher for Owned {
        fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
            let texts = article.paragraphs.iter().map(|p| p.text.clone());
            Ok(read(texts, &article.entities))
        }
    }
    impl Enricher for Viewed {
        fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
            self.enrich_view(&ArticleView::of(article))
        }
        fn enrich_view(&self, article: &ArticleView<'_>) -> Result<Enrichment, PluginError> {
            let texts = article.paragraphs().iter().map(|p| p.text.to_owned());
            Ok(read(texts, article.entities()))
        }
    }

    /// Calls `process_enricher::<T>` on `input` as the host does: the
    /// status and the output bytes.
    fn process<T: Plugin + Enricher>(input: &[u8]) -> (i32, Vec<u8>) {
        call::<T>(process_enricher::<T>, input)
    }

    /// Calls `process_normalizer::<T>` on `input` as the host does.
    fn normalize<T: Plugin + Normalizer>(input: &[u8]) -> (i32, Vec<u8>) {
        call::<T>(process_normalizer::<T>, input)
    }

    /// Calls `process` (`T`'s) on `input` as the host does: the status and
    /// the output bytes.
    fn call<T: Plugin>(process: crate::ffi::ProcessFn, input: &[u8]) -> (i32, Vec<u8>) {
        let mut instance: *mut c_void = std::ptr::null_mut();
        let empty = || AkhbarBuffer {
            ptr: std::ptr::null_mut(),
            len: 0,
            cap: 0,
        };
        let mut error = empty();
        // SAFETY: valid pointers for the config, the instance and the error
        // buffer; the error buffer is the plugin's and freed by it.
        unsafe {
            assert_eq!(
                create::<T>(std::ptr::null(), 0, &raw mut instance, &raw mut error),
                0
            );
            free_buffer(error);
        }
        let mut out = empty();
        // SAFETY: `instance` from `create::<T>`, `input` valid for its
        // length, `out` valid for writes; the output is copied, then freed
        // once by the plugin, and the instance destroyed once.
        unsafe {
            let status = process(instance, input.as_ptr(), input.len(), &raw mut out);
            let bytes = std::slice::from_raw_parts(out.ptr, out.len).to_vec();
            free_buffer(out);
            destroy::<T>(instance);
            (status, bytes)
        }
    }

    fn article() -> Article {
        Article {
            id: "a1".into(),
            paragraphs: vec![
                Paragraph {
                    text: "كيم جونغ أون في موسكو".into(),
                    matching: "كيم جونغ اون في موسكو".into(),
                    ..Default::default()
                },
                Paragraph {
                    text: "Kim Jong Un in Moscow".into(),
                    ..Default::default()
                },
            ],
            entities: vec![Entity {
                text: "كيم جونغ أون".into(),
                canonical_id: "wikidata:Q56226".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn an_enricher_reads_the_same_article_owned_or_viewed() {
        let input = article().encode_to_vec();
        let (status, owned) = process::<Owned>(&input);
        assert_eq!(status, STATUS_OK);
        let (status, viewed) = process::<Viewed>(&input);
        assert_eq!(status, STATUS_OK);
        assert_eq!(owned, viewed);
        let tags = Enrichment::decode(owned.as_slice()).unwrap().tags;
        assert_eq!(
            tags,
            [
                "كيم جونغ أون في موسكو",
                "Kim Jong Un in Moscow",
                "wikidata:Q56226"
            ]
        );
    }

    #[test]
    fn bytes_that_are_not_an_article_fail_the_document_and_say_so() {
        for bad in [&b"\x32\x05ab"[..], &b"\xff\xff\xff"[..]] {
            for (status, message) in [process::<Owned>(bad), process::<Viewed>(bad)] {
                assert_eq!(status, STATUS_ERROR);
                let message = String::from_utf8(message).unwrap();
                assert!(message.starts_with("cannot decode Article: "), "{message}");
            }
        }
    }

    /// [`article`] encoded, with a byte that is never UTF-8 in its entity.
    fn damaged_entity() -> Vec<u8> {
        let mut bytes = article().encode_to_vec();
        let at = bytes.windows(8).position(|w| w == b"wikidata").unwrap();
        bytes[at] = 0xff;
        bytes
    }

    /// (Bytes no host sends an enricher since ABI version 3: a release
    /// build takes the host's word for their text, so this holds in debug
    /// builds, which check anyway.)
    #[test]
    #[cfg(debug_assertions)]
    fn an_entity_that_does_not_decode_fails_the_document_when_read() {
        let bad = damaged_entity();
        let (status, message) = process::<Owned>(&bad);
        assert_eq!(
            status,
            STATUS_ERROR,
            "{}",
            String::from_utf8_lossy(&message)
        );
        let (status, message) = process::<Viewed>(&bad);
        assert_eq!(status, STATUS_PANIC);
        let message = String::from_utf8(message).unwrap();
        assert!(
            message.contains("the article's entities do not decode"),
            "{message}"
        );
    }

    /// Keeps the paragraphs with a matching form. `normalize` only: the
    /// boundary copies the article for it (the default `normalize_view`).
    struct OwnedNormalizer;
    /// The same through the view, copying only what it keeps.
    struct ViewedNormalizer;

    impl Normalizer for OwnedNormalizer {
        fn normalize(&self, mut article: Article) -> Result<Article, PluginError> {
            article.paragraphs.retain(|p| !p.matching.is_empty());
            Ok(article)
        }
    }
    impl Normalizer for ViewedNormalizer {
        fn normalize(&self, article: Article) -> Result<Article, PluginError> {
            self.normalize_view(ArticleView::of(&article))
        }
        fn normalize_view(&self, article: ArticleView<'_>) -> Result<Article, PluginError> {
            let kept = article
                .paragraphs()
                .iter()
                .filter(|p| !p.matching.is_empty());
            let kept = kept.map(|&p| Paragraph::from(p)).collect();
            decoded(article.into_article_with(kept), "Article")
        }
    }

    /// The same written straight from the view.
    struct EncodedNormalizer;

    impl Normalizer for EncodedNormalizer {
        fn normalize(&self, article: Article) -> Result<Article, PluginError> {
            ViewedNormalizer.normalize(article)
        }
        fn normalize_into(
            &self,
            article: ArticleView<'_>,
            out: &mut Vec<u8>,
        ) -> Result<(), PluginError> {
            let kept: Vec<ParagraphView<'_>> = article
                .paragraphs()
                .iter()
                .filter(|p| !p.matching.is_empty())
                .copied()
                .collect();
            decoded(article.encode_with(kept, |_| {}, out), "Article")
        }
    }

    #[test]
    fn a_normalizer_returns_the_same_article_owned_or_viewed() {
        let mut input = article();
        input.provenance.push(Provenance {
            plugin: "text-dump".into(),
            ..Default::default()
        });
        let input = input.encode_to_vec();
        let (status, owned) = normalize::<OwnedNormalizer>(&input);
        assert_eq!(status, STATUS_OK);
        let (status, viewed) = normalize::<ViewedNormalizer>(&input);
        assert_eq!(status, STATUS_OK);
        assert_eq!(owned, viewed);
        let (status, encoded) = normalize::<EncodedNormalizer>(&input);
        assert_eq!(status, STATUS_OK);
        let normalized = Article::decode(owned.as_slice()).unwrap();
        assert_eq!(Article::decode(encoded.as_slice()).unwrap(), normalized);
        let mut expected = article();
        expected.paragraphs.truncate(1);
        expected.provenance = Article::decode(input.as_slice()).unwrap().provenance;
        assert_eq!(normalized, expected);
    }

    #[test]
    fn a_normalizer_fails_the_document_on_bytes_that_are_not_an_article() {
        let entity = damaged_entity();
        for bad in [&b"\x32\x05ab"[..], &b"\xff\xff\xff"[..], &entity[..]] {
            for (status, message) in [
                normalize::<OwnedNormalizer>(bad),
                normalize::<ViewedNormalizer>(bad),
                normalize::<EncodedNormalizer>(bad),
            ] {
                assert_eq!(status, STATUS_ERROR);
                let message = String::from_utf8(message).unwrap();
                assert!(message.starts_with("cannot decode Article: "), "{message}");
            }
        }
    }
}
