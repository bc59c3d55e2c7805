//! Puts the services together: auth, size limits, health, reflection, TLS,
//! and the graceful shutdown.

use std::future::Future;
use std::time::Duration;

use akhbar_proto::v1::admin_server::AdminServer;
use akhbar_proto::v1::ingest_server::IngestServer;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_stream::Stream;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::{Connected, Router};
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use super::admin::AdminService;
use super::articles::{ArticlesRoutes, ArticlesService};
use super::auth::BearerAuth;
use super::config::ServerConfig;
use super::engine::Engine;
use super::ingest::IngestService;

/// HTTP/2 flow-control window per stream (clients should use as much:
/// it is what lets a Subscribe stream run at full speed).
pub const STREAM_WINDOW: u32 = 4 << 20;
/// HTTP/2 flow-control window per connection.
pub const CONNECTION_WINDOW: u32 = 16 << 20;

/// The names health reports on ("" is the server as a whole).
pub const SERVICE_NAMES: [&str; 4] = [
    "",
    "akhbar.v1.Ingest",
    "akhbar.v1.Articles",
    "akhbar.v1.Admin",
];

/// A router with every service, and the health reporter to flip on shutdown.
#[derive(Debug)]
pub struct Assembled {
    /// The router.
    pub router: Router,
    /// Health.
    pub health: HealthReporter,
}

/// Builds the router. TLS is set up when the config names a certificate and key.
pub async fn assemble(engine: &Engine, config: &ServerConfig) -> anyhow::Result<Assembled> {
    let limit = config.max_message_bytes;
    let auth = BearerAuth::new(config.token());
    let ingest = InterceptedService::new(
        IngestServer::new(IngestService::new(engine.clone(), config.push_window))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
        auth.clone(),
    );
    let admin = InterceptedService::new(
        AdminServer::new(AdminService::new(engine.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
        auth,
    );
    let articles = ArticlesRoutes::new(
        ArticlesService::new(
            engine.clone(),
            config.subscriber_buffer,
            config.poll_interval(),
        ),
        limit,
    );

    let (health, health_service) = tonic_health::server::health_reporter();
    for name in SERVICE_NAMES {
        health
            .set_service_status(name, ServingStatus::Serving)
            .await;
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(akhbar_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(akhbar_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    // Large HTTP/2 windows: the 64 KiB default stalls Push streams of
    // larger documents on flow-control round trips.
    let mut builder = Server::builder()
        .initial_stream_window_size(Some(STREAM_WINDOW))
        .initial_connection_window_size(Some(CONNECTION_WINDOW))
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)));
    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let cert = std::fs::read(cert)
                .map_err(|e| anyhow::anyhow!("tls_cert {}: {e}", cert.display()))?;
            let key = std::fs::read(key)
                .map_err(|e| anyhow::anyhow!("tls_key {}: {e}", key.display()))?;
            builder = builder
                .tls_config(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)))?;
        }
        (None, None) => {}
        _ => anyhow::bail!("[server] needs both tls_cert and tls_key for TLS"),
    }
    let router = builder
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(ingest)
        .add_service(articles)
        .add_service(admin);
    Ok(Assembled { router, health })
}

/// Serves until `shutdown` resolves, then drains: health turns NOT_SERVING,
/// streams stop taking work (Push acknowledges what it already took) and
/// close with UNAVAILABLE after `shutdown_grace_ms`; in-flight calls get
/// `shutdown_timeout_ms` more.
pub async fn serve<I, IO, IE>(
    engine: Engine,
    config: &ServerConfig,
    incoming: I,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()>
where
    I: Stream<Item = Result<IO, IE>> + Send + 'static,
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let Assembled { router, health } = assemble(&engine, config).await?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        router
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stop_rx.await;
            })
            .await
    });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => {
            return result?.map_err(Into::into);
        }
        () = shutdown => {}
    }
    tracing::info!("shutting down: NOT_SERVING, draining");
    for name in SERVICE_NAMES {
        health
            .set_service_status(name, ServingStatus::NotServing)
            .await;
    }
    engine.drain();
    tokio::time::sleep(Duration::from_millis(config.shutdown_grace_ms)).await;
    let _ = stop_tx.send(());
    match tokio::time::timeout(
        Duration::from_millis(config.shutdown_timeout_ms),
        &mut server,
    )
    .await
    {
        Ok(result) => result?.map_err(Into::into),
        Err(_) => {
            tracing::warn!("calls still open after the shutdown timeout; closing them");
            server.abort();
            Ok(())
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
