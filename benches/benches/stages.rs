//! Criterion benches per stage and for the ABI.
//!
//! - `stage/<plugin>/static/<doc>`: the plugin's Rust type called in-process
//!   (only with `--features static`, built in its own target dir);
//! - `stage/<plugin>/dynamic/<doc>`: the same plugin's cdylib loaded with
//!   `AvailablePlugin::load_library` — encode, C call, decode — for every
//!   plugin library found (enrichers included as they land);
//! - `abi/<doc>/{encode,call,decode,codec}`: the boundary itself on
//!   scraped-page: the host's encode of the article, the raw C `process`
//!   call (plugin decode + work + encode) with the copy-out and
//!   `free_buffer`, the host's decode of the reply, and `codec`, all four
//!   serialization steps a boundary crossing adds without the plugin's work.
//!
//! Documents: `small` is a seed-sized page (6 KB), `large` a 200 KB page,
//! both from the corpus generator (seed 7). Plugin libraries come from
//! `AKHBAR_BENCH_PLUGIN_DIR`, default `<repo>/target/release`.
#![allow(
    unsafe_code,
    reason = "the abi group calls a plugin's C table directly; each block says why it is sound"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use akhbar_bench::corpus::{Bodies, Generator, SizeProfile};
use akhbar_core::host::AvailablePlugin;
use akhbar_core::{Article, PipelineConfig, RawDocument};
use akhbar_plugin_sdk::ffi::{AkhbarBuffer, AkhbarPluginTable, ENTRY_SYMBOL, EntryFn, STATUS_OK};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;

struct Doc {
    name: &'static str,
    raw: RawDocument,
    /// After text-dump (what a normalizer gets).
    decoded: Article,
    /// After the whole default pipeline (what an enricher gets).
    finished: Article,
}

fn plugin_dir() -> PathBuf {
    std::env::var_os("AKHBAR_BENCH_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| akhbar_bench::repo_root().join("target").join("release"))
}

fn libraries() -> Vec<PathBuf> {
    let dir = plugin_dir();
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(akhbar_core::host::is_plugin_file_name)
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    if found.is_empty() {
        eprintln!(
            "akhbar-bench: no plugin libraries in {}: dynamic benches skipped (build them with `cargo build --release --workspace`)",
            dir.display()
        );
    }
    found
}

fn docs() -> Vec<Doc> {
    let repo = akhbar_bench::repo_root();
    let bodies = Bodies::load(&repo).expect("corpus bodies (seeds/ and ../shared/eval/aeb-dev)");
    let config = PipelineConfig::embedded_default();
    let built = akhbar_bench::plugins::build_dynamic(&config, &plugin_dir())
        .or_else(|_| akhbar_bench::plugins::build_static(&config, &plugin_dir()));
    [("small", 6_000usize, 1u64), ("large", 200_000, 2)]
        .into_iter()
        .map(|(name, size, index)| {
            let doc = Generator::new(bodies.clone(), 7, SizeProfile::Fixed(size)).document(index);
            let raw = RawDocument {
                source_uri: format!("bench/{name}.txt"),
                content: doc.bytes,
                ..Default::default()
            };
            let decoded = Article {
                source_uri: raw.source_uri.clone(),
                paragraphs: akhbar_plugin_text_dump_paragraphs(&raw.content),
                ..Default::default()
            };
            let finished = built
                .as_ref()
                .ok()
                .and_then(|b| b.pipeline.process(raw.clone()).articles.into_iter().next())
                .and_then(|encoded| encoded.decode().ok())
                .unwrap_or_else(|| decoded.clone());
            Doc {
                name,
                raw,
                decoded,
                finished,
            }
        })
        .collect()
}

/// What text-dump gives a normalizer: one paragraph per non-empty line
/// (close enough for feeding normalizers when no library is built).
fn akhbar_plugin_text_dump_paragraphs(bytes: &[u8]) -> Vec<akhbar_core::proto::Paragraph> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| akhbar_core::proto::Paragraph {
            kind: akhbar_core::proto::paragraph::Kind::Paragraph as i32,
            text: l.trim_start_matches('\u{feff}').to_owned(),
            matching: String::new(),
        })
        .collect()
}

fn bench_plugin(c: &mut Criterion, origin: &str, plugin: &AvailablePlugin, docs: &[Doc]) {
    let Ok(instance) = plugin.instantiate(b"") else {
        eprintln!(
            "akhbar-bench: cannot instantiate {} ({origin})",
            plugin.info.name
        );
        return;
    };
    let name = format!("stage/{}/{origin}", plugin.info.name);
    for doc in docs {
        let mut group = c.benchmark_group(&name);
        group.throughput(Throughput::Bytes(doc.raw.content.len() as u64));
        let id = BenchmarkId::from_parameter(doc.name);
        if let Some(s) = instance.source() {
            group.bench_function(id, |b| b.iter(|| black_box(s.decode(doc.raw.clone()))));
        } else if let Some(n) = instance.normalizer() {
            group.bench_function(id, |b| {
                b.iter(|| black_box(n.normalize(doc.decoded.clone())))
            });
        } else if let Some(e) = instance.enricher() {
            group.bench_function(id, |b| b.iter(|| black_box(e.enrich(&doc.finished))));
        }
        group.finish();
    }
}

fn stages(c: &mut Criterion) {
    let docs = docs();
    // In-process: the plugins' Rust types (empty without `--features static`).
    for plugin in akhbar_bench::plugins::static_plugins() {
        bench_plugin(c, "static", &plugin, &docs);
    }
    // Through the plugin boundary: every library found.
    for path in libraries() {
        match AvailablePlugin::load_library(&path) {
            Ok(plugin) => bench_plugin(c, "dynamic", &plugin, &docs),
            Err(e) => eprintln!("akhbar-bench: skipping {}: {e}", path.display()),
        }
    }
}

/// The scraped-page library's C table, loaded directly (never unloaded).
fn scraped_page_table() -> Option<&'static AkhbarPluginTable> {
    let path = plugin_dir().join("libakhbar_plugin_scraped_page.so");
    // SAFETY: loading runs the library's initialisers; it is our own plugin
    // from our own build.
    let library = unsafe { libloading::Library::new(&path) }.ok()?;
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    // SAFETY: the symbol's type is fixed by akhbar_plugin.h.
    let entry: libloading::Symbol<'static, EntryFn> =
        unsafe { library.get(ENTRY_SYMBOL.as_bytes()) }.ok()?;
    // SAFETY: the entry takes no arguments and returns a static table.
    let table = unsafe { entry() };
    // SAFETY: non-null tables of ABI version 1 have this layout; checked below.
    let table: &'static AkhbarPluginTable = unsafe { table.as_ref() }?;
    (table.abi_version == akhbar_plugin_sdk::ffi::ABI_VERSION).then_some(table)
}

struct Instance {
    table: &'static AkhbarPluginTable,
    ptr: *mut std::ffi::c_void,
}

impl Instance {
    fn new(table: &'static AkhbarPluginTable) -> Option<Self> {
        let mut ptr = std::ptr::null_mut();
        let mut error = AkhbarBuffer::empty();
        // SAFETY: an empty config (null, 0) means defaults; out-pointers are live.
        let status = unsafe { (table.create)(std::ptr::null(), 0, &mut ptr, &mut error) };
        if !error.ptr.is_null() {
            // SAFETY: filled by this plugin, freed once.
            unsafe { (table.free_buffer)(error) };
        }
        (status == STATUS_OK && !ptr.is_null()).then_some(Instance { table, ptr })
    }

    /// One `process` call: copies the reply out and frees the plugin's buffer.
    fn call(&self, input: &[u8]) -> Vec<u8> {
        let mut output = AkhbarBuffer::empty();
        // SAFETY: the instance is alive; input and output are valid for the call.
        let status =
            unsafe { (self.table.process)(self.ptr, input.as_ptr(), input.len(), &mut output) };
        let bytes = if output.ptr.is_null() {
            Vec::new()
        } else {
            // SAFETY: the plugin filled `len` bytes at `ptr`.
            unsafe { std::slice::from_raw_parts(output.ptr, output.len) }.to_vec()
        };
        if !output.ptr.is_null() {
            // SAFETY: filled by this plugin, freed once.
            unsafe { (self.table.free_buffer)(output) };
        }
        assert_eq!(status, STATUS_OK, "scraped-page refused a bench document");
        bytes
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: made by this table's create, destroyed once.
        unsafe { (self.table.destroy)(self.ptr) };
    }
}

fn abi(c: &mut Criterion) {
    let docs = docs();
    let Some(instance) = scraped_page_table().and_then(Instance::new) else {
        eprintln!(
            "akhbar-bench: no loadable libakhbar_plugin_scraped_page.so in {}: abi benches skipped",
            plugin_dir().display()
        );
        return;
    };
    for doc in &docs {
        let input = doc.decoded.encode_to_vec();
        let reply = instance.call(&input);
        let mut group = c.benchmark_group(format!("abi/{}", doc.name));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("encode", |b| {
            b.iter(|| black_box(black_box(&doc.decoded).encode_to_vec()))
        });
        group.bench_function("call", |b| {
            b.iter(|| black_box(instance.call(black_box(&input))))
        });
        group.bench_function("decode", |b| {
            b.iter(|| black_box(Article::decode(black_box(reply.as_slice())).expect("article")))
        });
        group.bench_function("codec", |b| {
            b.iter(|| {
                // Host encode, plugin decode, plugin encode, copy out, host decode.
                let bytes = black_box(&doc.decoded).encode_to_vec();
                let inside = Article::decode(bytes.as_slice()).expect("article");
                let out = inside.encode_to_vec();
                let copied = out.as_slice().to_vec();
                black_box(Article::decode(copied.as_slice()).expect("article"))
            })
        });
        group.finish();
    }
}

fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = criterion();
    targets = stages, abi
}
criterion_main!(benches);
