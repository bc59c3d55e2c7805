//! Akhbar's core: the data model, the stage traits, the [`Pipeline`] that runs
//! them, and the plugin host that loads stages from shared libraries.
//!
//! Invariants (see ARCHITECTURE.md):
//! - core does no network I/O and knows nothing of tonic;
//! - a stage's failure on one document becomes a [`DeadLetter`] for that
//!   document; the pipeline goes on with the rest;
//! - plugin libraries, once loaded, are never unloaded.
#![deny(unsafe_code)]

pub mod article;
pub mod config;
mod error;
pub mod eval;
pub mod host;
pub mod pipeline;
pub mod store;
mod wire;

pub use akhbar_plugin_sdk::ffi::ABI_VERSION as PLUGIN_ABI_VERSION;
pub use akhbar_plugin_sdk::{
    Config as PluginConfig, Enricher, Normalizer, Plugin, PluginError, Source, proto,
};
pub use article::EncodedArticle;
pub use config::{PipelineConfig, StageConfig};
pub use error::Error;
pub use host::{PluginCatalog, PluginInfo, PluginKind, PluginOrigin};
pub use pipeline::{BATCH_BYTES, BATCH_DOCUMENTS, Outcome, Pipeline, StageStats};
pub use proto::{Article, DeadLetter, RawDocument};
