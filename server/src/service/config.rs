//! The `[server]` and `[store]` tables of the config file. Every key has a
//! default, so `akhbar serve` runs with no config at all. The `[pipeline]`
//! table is read by `akhbar_core::PipelineConfig::from_toml`.
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:50051"      # address:port; port 0 picks a free one
//! max_message_bytes = 16777216    # largest gRPC message in or out (16 MiB)
//! max_document_bytes = 16777216   # largest raw document pushed or dropped
//! token = ""                      # bearer token for Ingest and Admin ("" = none; env AKHBAR_TOKEN)
//! tls_cert = ""                   # PEM certificate chain; with tls_key, serves TLS (rustls)
//! tls_key = ""                    # PEM private key
//! workers = 0                     # documents processed at once (0 = one per core)
//! push_window = 64                # documents in flight per Push stream
//! subscriber_buffer = 64          # messages queued per subscriber
//! live_cache = 1024               # newest articles kept decoded for live subscribers
//! write_batch = 256               # most documents committed in one transaction
//! write_queue = 1024              # documents waiting for the writer
//! store_threads = 1               # threads that read the store (subscribers, Get, Admin); more: faster fan-out, more memory
//! commit_delay_us = 2000          # while documents are in the pipeline, the writer waits this long for more before a commit (0 = commit at once)
//! poll_interval_ms = 500          # subscribers re-check the store this often (other writers)
//! drop_folder = ""                # folder watched for files to ingest ("" = none)
//! shutdown_grace_ms = 500         # NOT_SERVING is reported this long before streams close
//! shutdown_timeout_ms = 5000      # then at most this long for in-flight calls to finish
//!
//! [store]
//! path = "akhbar-data"            # data folder (relative to the working folder)
//! max_age_secs = 0                # drop articles stored longer ago (0 = keep forever)
//! max_bytes = 0                   # drop the oldest while the log (as stored, compressed) is larger (0 = no limit)
//! retention_interval_secs = 60    # how often retention runs
//! cache_mb = 64                   # the store's page cache (bounds its memory)
//! zstd_level = 1                  # articles are stored zstd-compressed at this level (0 = not compressed)
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Largest gRPC message accepted or sent.
    pub max_message_bytes: usize,
    /// Largest raw document accepted.
    pub max_document_bytes: usize,
    /// Bearer token required on Ingest and Admin (empty = none).
    pub token: String,
    /// PEM certificate chain (TLS when set with `tls_key`).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    pub tls_key: Option<PathBuf>,
    /// Documents processed at once (0 = one per core).
    pub workers: usize,
    /// Documents in flight per Push stream.
    pub push_window: usize,
    /// Messages queued per subscriber.
    pub subscriber_buffer: usize,
    /// Newest articles kept in memory, decoded, for live subscribers.
    pub live_cache: usize,
    /// Most documents committed in one transaction.
    pub write_batch: usize,
    /// Documents waiting for the writer.
    pub write_queue: usize,
    /// While documents are still in the pipeline, how long the writer waits
    /// after the first document of a group for more before it commits:
    /// fewer, larger transactions (each writes its B-tree pages and syncs
    /// the file), at the price of at most this much on an acknowledgement.
    /// A lone document is committed at once.
    pub commit_delay_us: u64,
    /// Threads that run store calls (reads for subscribers, Get, Admin,
    /// retention). Each thread that reads the store comes to hold a share
    /// of its page cache in its own malloc arena, so more threads serve
    /// more subscribers at once at the price of memory.
    pub store_threads: usize,
    /// How often a waiting subscriber re-reads the store even without news
    /// from this process (another process may write the same store).
    pub poll_interval_ms: u64,
    /// Folder watched for files to ingest.
    pub drop_folder: Option<PathBuf>,
    /// How long NOT_SERVING is reported before streams are closed.
    pub shutdown_grace_ms: u64,
    /// How long in-flight calls get to finish after that.
    pub shutdown_timeout_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            max_message_bytes: 16 * 1024 * 1024,
            max_document_bytes: 16 * 1024 * 1024,
            token: String::new(),
            tls_cert: None,
            tls_key: None,
            workers: 0,
            push_window: 64,
            subscriber_buffer: 64,
            live_cache: 1024,
            write_batch: 256,
            write_queue: 1024,
            commit_delay_us: 2000,
            store_threads: 1,
            poll_interval_ms: 500,
            drop_folder: None,
            shutdown_grace_ms: 500,
            shutdown_timeout_ms: 5000,
        }
    }
}

impl ServerConfig {
    /// Workers, with 0 resolved to the number of cores.
    pub fn workers(&self) -> usize {
        if self.workers == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.workers
        }
    }

    /// The token, if one is required.
    pub fn token(&self) -> Option<&str> {
        Some(self.token.as_str()).filter(|t| !t.is_empty())
    }

    /// `poll_interval_ms` as a duration (at least 10 ms).
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Data folder.
    pub path: PathBuf,
    /// Drop articles stored longer ago than this many seconds (0 = never).
    pub max_age_secs: u64,
    /// Drop the oldest articles while the log takes more bytes (0 = no limit).
    pub max_bytes: u64,
    /// How often retention runs.
    pub retention_interval_secs: u64,
    /// The store's page cache, in MiB.
    pub cache_mb: usize,
    /// zstd level articles are stored with (0 = uncompressed). Subscribers
    /// whose client accepts zstd get the stored frames as they are.
    pub zstd_level: i32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from("akhbar-data"),
            max_age_secs: 0,
            max_bytes: 0,
            retention_interval_secs: 60,
            cache_mb: 64,
            zstd_level: akhbar_core::store::RedbStore::DEFAULT_ZSTD_LEVEL,
        }
    }
}

impl StoreConfig {
    /// The retention policy.
    pub fn retention(&self) -> akhbar_core::store::Retention {
        akhbar_core::store::Retention {
            max_age: (self.max_age_secs > 0).then(|| Duration::from_secs(self.max_age_secs)),
            max_bytes: (self.max_bytes > 0).then_some(self.max_bytes),
        }
    }
}

/// The service's tables of the config file.
#[derive(Debug, Clone, Default)]
pub struct ServeConfig {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[store]`.
    pub store: StoreConfig,
}

impl ServeConfig {
    /// Reads `[server]` and `[store]` from a TOML document (other tables are
    /// left to their owners; missing ones take the defaults).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let table: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
        let section = |name: &str| table.get(name).cloned();
        let server = match section("server") {
            Some(value) => value
                .try_into()
                .map_err(|e: toml::de::Error| format!("[server]: {e}"))?,
            None => ServerConfig::default(),
        };
        let store = match section("store") {
            Some(value) => value
                .try_into()
                .map_err(|e: toml::de::Error| format!("[store]: {e}"))?,
            None => StoreConfig::default(),
        };
        Ok(ServeConfig { server, store })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let config = ServeConfig::from_toml("[pipeline]\nx = 1\n").unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(config.store.path, PathBuf::from("akhbar-data"));
        let config = ServeConfig::from_toml(
            "[server]\nlisten = \"0.0.0.0:9000\"\ntoken = \"t\"\n[store]\nmax_age_secs = 60\n",
        )
        .unwrap();
        assert_eq!(config.server.listen.port(), 9000);
        assert_eq!(config.server.token(), Some("t"));
        assert_eq!(
            config.store.retention().max_age,
            Some(Duration::from_secs(60))
        );
        let err = ServeConfig::from_toml("[server]\nlisen = \"x\"\n").unwrap_err();
        assert!(err.contains("lisen"), "{err}");
    }
}
