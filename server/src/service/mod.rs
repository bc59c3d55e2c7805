//! `akhbar serve`: the gRPC services over the durable store.
//!
//! - [`engine`]: the pipeline, the store, group commit, the latest offset;
//! - [`ingest`], [`articles`], [`admin`]: the three akhbar.v1 services;
//! - [`error`]: the one conversion of errors into `tonic::Status`;
//! - [`auth`]: the bearer token on Ingest and Admin;
//! - [`inputs`]: inputs besides Push (the drop folder);
//! - [`server`]: health, reflection, TLS, limits and the graceful shutdown;
//! - [`client`]: connecting `akhbar push` / `akhbar tail`;
//! - [`config`]: the `[server]` and `[store]` tables.
//!
//! This module uses only relative paths (`super::`), so integration tests
//! can compile it on its own.

pub mod admin;
pub mod articles;
pub mod auth;
pub mod client;
pub mod config;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod inputs;
pub mod server;

pub use config::{ServeConfig, ServerConfig};
pub use engine::{Engine, EngineOptions};

impl EngineOptions {
    /// The engine's limits from `[server]`.
    pub fn from_config(config: &ServerConfig) -> Self {
        EngineOptions {
            workers: config.workers(),
            write_batch: config.write_batch,
            write_queue: config.write_queue,
            commit_delay: std::time::Duration::from_micros(config.commit_delay_us),
            store_threads: config.store_threads,
            max_document_bytes: config.max_document_bytes,
            live_cache: config.live_cache,
            refused_plugins: Vec::new(),
        }
    }
}

/// Runs retention every `interval` until the server drains.
pub fn spawn_retention(
    engine: Engine,
    retention: akhbar_core::store::Retention,
    interval: std::time::Duration,
) -> Option<tokio::task::JoinHandle<()>> {
    if retention.max_age.is_none() && retention.max_bytes.is_none() {
        return None;
    }
    let mut draining = engine.draining();
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval.max(std::time::Duration::from_secs(1)));
        loop {
            tokio::select! {
                () = engine::drained(&mut draining) => return,
                _ = tick.tick() => {}
            }
            let result = engine
                .with_store(move |s| s.enforce_retention(&retention, std::time::SystemTime::now()))
                .await;
            match result {
                Ok(0) => {}
                Ok(n) => tracing::info!("retention dropped {n} articles"),
                Err(e) => tracing::error!("retention failed: {e}"),
            }
        }
    }))
}
