//! The pipeline's configuration, read from TOML. Config is data only: the
//! running stages are built from it by [`crate::Pipeline::build`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The embedded default pipeline: text-dump → arabic → scraped-page, then
/// the enrichers language, entities, dates, keywords and stories.
pub const DEFAULT_PIPELINE_TOML: &str = include_str!("default_pipeline.toml");

/// `[pipeline]`: which plugins run, in which order, with which config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Extra folders to search for plugin libraries.
    #[serde(default)]
    pub plugin_dirs: Vec<PathBuf>,
    /// Decodes inputs into articles.
    pub source: StageConfig,
    /// Run in order; each may reject a document.
    #[serde(default)]
    pub normalizers: Vec<StageConfig>,
    /// Run in order after the normalizers.
    #[serde(default)]
    pub enrichers: Vec<StageConfig>,
}

/// One stage: a plugin by name, optionally from an explicit library file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    /// The plugin's name (`scraped-page`).
    pub plugin: String,
    /// Load the plugin from this library file instead of searching the folders.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The plugin's own config, passed to it as JSON.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    /// Per-document time budget in milliseconds. A call that takes longer
    /// sends the document to the dead letters with a timeout error and the
    /// pipeline goes on (the late call finishes in the background).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// SHA-256 (hex) the plugin's library file must have; any other file is
    /// refused before it is loaded.
    #[serde(default)]
    pub sha256: Option<String>,
}

impl StageConfig {
    /// The config as the JSON bytes the plugin receives (empty = defaults).
    pub fn config_json(&self) -> Vec<u8> {
        match &self.config {
            None => Vec::new(),
            Some(value) => serde_json::to_vec(value).unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
struct PipelineFile {
    pipeline: PipelineConfig,
}

impl PipelineConfig {
    /// Parses the `[pipeline]` table of a TOML document (other tables are
    /// left to their owners).
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let table: toml::Table = text.parse().map_err(|e| Error::Config(format!("{e}")))?;
        let pipeline = table
            .get("pipeline")
            .cloned()
            .ok_or_else(|| Error::Config("missing [pipeline] table".into()))?;
        let file: PipelineFile = toml::Table::from_iter([("pipeline".to_owned(), pipeline)])
            .try_into()
            .map_err(|e: toml::de::Error| Error::Config(format!("[pipeline]: {e}")))?;
        Ok(file.pipeline)
    }

    /// The embedded default.
    pub fn embedded_default() -> Self {
        Self::from_toml(DEFAULT_PIPELINE_TOML).expect("the embedded default pipeline parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_runs_text_dump_then_arabic_then_scraped_page() {
        let config = PipelineConfig::embedded_default();
        assert_eq!(config.source.plugin, "text-dump");
        let names: Vec<_> = config
            .normalizers
            .iter()
            .map(|s| s.plugin.as_str())
            .collect();
        // scraped-page matches on the matching form that `arabic` fills.
        assert_eq!(names, ["arabic", "scraped-page"]);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let err = PipelineConfig::from_toml(
            "[pipeline]\nsource = { plugin = \"text-dump\" }\nnormalisers = []\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("normalisers"), "{err}");
    }

    #[test]
    fn stage_config_becomes_json() {
        let config = PipelineConfig::from_toml(
            "[pipeline]\nsource = { plugin = \"s\" }\n[[pipeline.normalizers]]\nplugin = \"n\"\nconfig = { min_words = 3 }\n",
        )
        .unwrap();
        assert_eq!(config.normalizers[0].config_json(), br#"{"min_words":3}"#);
    }
}
