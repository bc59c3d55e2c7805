//! The same pipeline built two ways: from the plugin libraries (the cdylibs
//! `cargo build` leaves in `target/<profile>/`, as `akhbar run` loads them)
//! and, with the `static` feature, from the plugins' Rust types linked into
//! this binary. Stages whose plugin has no static build here stay dynamic,
//! and [`Built::static_stages`] says which.

use std::path::Path;

use akhbar_core::host::AvailablePlugin;
use akhbar_core::{Pipeline, PipelineConfig, PluginCatalog};

/// A pipeline and how it was put together.
#[derive(Debug)]
pub struct Built {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// Stages that run in-process (statically linked).
    pub static_stages: Vec<String>,
    /// Stages that run through the C ABI.
    pub dynamic_stages: Vec<String>,
}

/// Whether this build links plugins statically.
pub const HAS_STATIC: bool = cfg!(feature = "static");

/// The statically linked plugins of this build (none without `static`).
pub fn static_plugins() -> Vec<AvailablePlugin> {
    #[cfg(feature = "static")]
    {
        vec![
            AvailablePlugin::static_source::<akhbar_plugin_text_dump::TextDump>(),
            AvailablePlugin::static_normalizer::<akhbar_plugin_arabic::Arabic>(),
            AvailablePlugin::static_normalizer::<akhbar_plugin_scraped_page::ScrapedPage>(),
            AvailablePlugin::static_enricher::<akhbar_plugin_language::Language>(),
            AvailablePlugin::static_enricher::<akhbar_plugin_entities::Entities>(),
            AvailablePlugin::static_enricher::<akhbar_plugin_dates::Dates>(),
            AvailablePlugin::static_enricher::<akhbar_plugin_keywords::Keywords>(),
            AvailablePlugin::static_enricher::<akhbar_plugin_stories::Stories>(),
        ]
    }
    #[cfg(not(feature = "static"))]
    {
        Vec::new()
    }
}

/// Loads every plugin library in `dir` (checks that the folder has them).
pub fn dynamic_catalog(dir: &Path) -> anyhow::Result<PluginCatalog> {
    let mut catalog = PluginCatalog::new();
    catalog.load_dir(dir);
    if catalog.plugins().is_empty() {
        anyhow::bail!(
            "no plugin library in {} ({} refused); build them first with `cargo build --release --workspace` \
             (in the workspace's own target dir, without akhbar-bench/static)",
            dir.display(),
            catalog.refused().len()
        );
    }
    Ok(catalog)
}

fn split(pipeline: Pipeline) -> Built {
    let mut static_stages = Vec::new();
    let mut dynamic_stages = Vec::new();
    for stage in pipeline.stages() {
        match stage.info.origin {
            akhbar_core::PluginOrigin::Static => static_stages.push(stage.info.name.clone()),
            akhbar_core::PluginOrigin::Library(_) => dynamic_stages.push(stage.info.name.clone()),
        }
    }
    Built {
        pipeline,
        static_stages,
        dynamic_stages,
    }
}

/// `config` with every plugin loaded from the libraries in `dir`.
pub fn build_dynamic(config: &PipelineConfig, dir: &Path) -> anyhow::Result<Built> {
    let mut catalog = dynamic_catalog(dir)?;
    Ok(split(Pipeline::build(config, &mut catalog)?))
}

/// `config` with every plugin that has a static build here linked
/// statically (the rest from `dir`).
pub fn build_static(config: &PipelineConfig, dir: &Path) -> anyhow::Result<Built> {
    let mut catalog = dynamic_catalog(dir)?;
    for plugin in static_plugins() {
        catalog.add(plugin);
    }
    Ok(split(Pipeline::build(config, &mut catalog)?))
}
