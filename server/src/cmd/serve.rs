//! `akhbar serve`: the gRPC service over the durable store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use akhbar_core::store::{RedbOptions, RedbStore};
use akhbar_core::{Pipeline, PipelineConfig};
use anyhow::Context;
use tonic::transport::server::TcpIncoming;

use crate::service::inputs::{DropFolder, Input};
use crate::service::{self, Engine, EngineOptions, ServeConfig};
use crate::settings::{self, CommonArgs};

/// Flags of `akhbar serve` (each overrides its `[server]`/`[store]` key).
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:50051; port 0 picks one].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Data folder [default: ./akhbar-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Bearer token required on Ingest and Admin.
    #[arg(long, env = "AKHBAR_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Folder watched for files to ingest.
    #[arg(long)]
    drop_folder: Option<PathBuf>,
    /// PEM certificate chain (with --tls-key: serve TLS).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Milliseconds NOT_SERVING is reported before streams close on shutdown.
    #[arg(long)]
    shutdown_grace_ms: Option<u64>,
}

pub fn run(common: &CommonArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let text = settings::load_config_text(common)?;
    let mut config =
        ServeConfig::from_toml(&text).map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
    let pipeline_config = if text.parse::<toml::Table>()?.contains_key("pipeline") {
        settings::pipeline_config(common)?
    } else {
        PipelineConfig::embedded_default()
    };
    let server = &mut config.server;
    if let Some(listen) = args.listen {
        server.listen = listen;
    }
    if let Some(token) = args.token {
        server.token = token;
    }
    if let Some(folder) = args.drop_folder {
        server.drop_folder = Some(folder);
    }
    if args.tls_cert.is_some() {
        server.tls_cert = args.tls_cert;
    }
    if args.tls_key.is_some() {
        server.tls_key = args.tls_key;
    }
    if let Some(grace) = args.shutdown_grace_ms {
        server.shutdown_grace_ms = grace;
    }
    if let Some(dir) = args.data_dir {
        config.store.path = dir;
    }

    let mut catalog = settings::catalog(common, Some(&pipeline_config));
    let pipeline =
        Pipeline::build(&pipeline_config, &mut catalog).context("cannot build the pipeline")?;
    let plugins = catalog.plugins().iter().map(|p| p.info.clone()).collect();
    for (path, reason) in catalog.refused() {
        tracing::warn!("plugin library refused: {}: {reason}", path.display());
    }
    let refused_plugins = catalog.refused().to_vec();
    let store = RedbStore::open_with(
        &config.store.path,
        RedbOptions {
            cache_bytes: config.store.cache_mb << 20,
            zstd_level: (config.store.zstd_level != 0).then_some(config.store.zstd_level),
        },
    )
    .with_context(|| format!("cannot open the store in {}", config.store.path.display()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("akhbar-rt")
        .build()?;
    runtime.block_on(async move {
        let engine = Engine::start(
            pipeline,
            Arc::new(store),
            plugins,
            EngineOptions {
                refused_plugins,
                ..EngineOptions::from_config(&config.server)
            },
        )?;
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let addr = listener.local_addr()?;
        service::spawn_retention(
            engine.clone(),
            config.store.retention(),
            std::time::Duration::from_secs(config.store.retention_interval_secs),
        );
        if let Some(folder) = &config.server.drop_folder {
            let input: Box<dyn Input> = Box::new(DropFolder::new(folder.clone()));
            tracing::info!("input: {}", input.name());
            tokio::spawn(input.run(engine.clone(), engine.draining()));
        }
        // Scripts and tests wait for this line.
        println!(
            "akhbar: serving on {addr} ({}), data in {}",
            if config.server.tls_cert.is_some() {
                "TLS"
            } else {
                "plaintext"
            },
            config.store.path.display()
        );
        use std::io::Write as _;
        std::io::stdout().flush()?;
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        service::server::serve(
            engine,
            &config.server,
            incoming,
            service::server::shutdown_signal(),
        )
        .await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
