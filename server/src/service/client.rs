//! What `akhbar push` and `akhbar tail` share: connecting to a server.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};

/// Flags of the client commands.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Server URL (`https://…` for TLS).
    #[arg(long, env = "AKHBAR_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// Bearer token for Ingest and Admin.
    #[arg(long, env = "AKHBAR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// PEM CA certificate to trust for TLS.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Largest message accepted or sent, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_message_bytes: usize,
}

/// Adds the bearer token to every call.
#[derive(Debug, Clone)]
pub struct WithToken(Option<MetadataValue<tonic::metadata::Ascii>>);

impl Interceptor for WithToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

impl ClientArgs {
    /// Connects.
    pub async fn connect(&self) -> anyhow::Result<(Channel, WithToken)> {
        let mut endpoint = Endpoint::from_shared(self.server.clone())
            .with_context(|| format!("bad server URL {}", self.server))?
            .connect_timeout(Duration::from_secs(10))
            .initial_stream_window_size(Some(super::server::STREAM_WINDOW))
            .initial_connection_window_size(Some(super::server::CONNECTION_WINDOW))
            .tcp_nodelay(true);
        if let Some(ca) = &self.ca {
            let pem = std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
            endpoint = endpoint
                .tls_config(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)))?;
        }
        let channel = endpoint
            .connect()
            .await
            .with_context(|| format!("cannot connect to {}", self.server))?;
        let token = match &self.token {
            Some(token) if !token.is_empty() => Some(
                format!("Bearer {token}")
                    .parse()
                    .context("the token must be printable ASCII")?,
            ),
            _ => None,
        };
        Ok((channel, WithToken(token)))
    }
}
