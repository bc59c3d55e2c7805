//! Per-article time of each stage of the default pipeline, on copies of the
//! seeds (about 7 KB each), one thread. Loads the plugin libraries built in
//! the release profile:
//!
//! ```sh
//! cargo build --release --workspace
//! cargo bench -p akhbar-plugin-stories --bench stage_times -- 2000
//! ```
//!
//! Each copy comes from its own site (so cross-document chrome learning
//! never sees two copies) and gets its own line, so ids differ and the
//! stories enricher remembers every article.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use akhbar_core::proto::RawDocument;
use akhbar_core::{Pipeline, PipelineConfig, PluginCatalog};

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var_os("AKHBAR_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release"));
    let mut catalog = PluginCatalog::new();
    catalog.load_dir(&dir);
    let pipeline = Pipeline::build(&PipelineConfig::embedded_default(), &mut catalog)
        .unwrap_or_else(|e| panic!("build the release plugins first ({}): {e}", dir.display()));
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(root.join("seeds"))
        .expect("seeds folder")
        .map(|e| std::fs::read(e.expect("entry").path()).expect("seed"))
        .collect();
    seeds.sort();
    let bytes: usize = seeds.iter().map(Vec::len).sum::<usize>() / seeds.len();
    let started = Instant::now();
    let mut articles = 0;
    for i in 0..count {
        let mut content = seeds[i % seeds.len()].clone();
        content.extend_from_slice(format!("\n\nنسخة رقم {i}\n").as_bytes());
        let outcome = pipeline.process(RawDocument {
            source_uri: format!("bench/site{i}/{}.txt", i % seeds.len()),
            content,
            ..Default::default()
        });
        articles += outcome.articles.len();
    }
    let elapsed = started.elapsed();
    println!(
        "{count} documents (~{bytes} bytes each), {articles} articles in {:.2} s: {:.0} articles/s on one thread",
        elapsed.as_secs_f64(),
        articles as f64 / elapsed.as_secs_f64()
    );
    for stage in pipeline.stages() {
        let n = stage.stats.documents_in.load(Ordering::Relaxed).max(1);
        let nanos = stage.stats.nanos.load(Ordering::Relaxed);
        println!(
            "{:>14} {:>9.1} µs/article",
            stage.info.name,
            nanos as f64 / n as f64 / 1000.0
        );
    }
}
