//! What the integration tests share: the `akhbar` command with a clean
//! environment, the plugin folder, and a running `akhbar serve`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use akhbar_proto::v1::admin_client::AdminClient;
use akhbar_proto::v1::ingest_client::IngestClient;
use akhbar_proto::v1::{GetStatsRequest, GetStatsResponse, PushAck, PushRequest, RawDocument};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

/// The five sample articles.
pub fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds")
}

/// Where cargo put the binary and every plugin library.
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_akhbar"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A fixture library built in the workspace (`plugins/fixtures/`).
pub fn fixture(name: &str) -> PathBuf {
    let path = bin_dir().join(format!(
        "{}akhbar_fixture_{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first",
        path.display()
    );
    path
}

pub fn akhbar() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_akhbar"));
    command
        .env_remove("AKHBAR_PLUGIN_DIR")
        .env_remove("AKHBAR_CONFIG")
        .env_remove("AKHBAR_TOKEN")
        .env("RUST_LOG", "error");
    command
}

/// A running `akhbar serve` on a free loopback port.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Server {
    pub fn start(data: &Path, config: Option<&Path>, extra: &[&str]) -> Server {
        let mut command = akhbar();
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("akhbar serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server {
            child,
            url: format!("http://{addr}"),
        }
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url.clone())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn stats(&self) -> GetStatsResponse {
        AdminClient::new(self.channel().await)
            .get_stats(GetStatsRequest {})
            .await
            .unwrap()
            .into_inner()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A line of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`).
    pub fn memory_kb(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in /proc status"))
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then wait; returns whether it exited with success.
    pub fn stop(mut self) -> bool {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            assert!(Instant::now() < deadline, "serve did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn push_request(uri: &str, content: Vec<u8>) -> PushRequest {
    PushRequest {
        client_ref: uri.to_owned(),
        document: Some(RawDocument {
            source_uri: uri.to_owned(),
            content,
            ..Default::default()
        }),
    }
}

/// Pushes `requests` on one stream and collects the acknowledgements.
pub async fn push_all(
    client: &mut IngestClient<Channel>,
    requests: Vec<PushRequest>,
) -> Result<Vec<PushAck>, tonic::Status> {
    let mut acks = client
        .push(tokio_stream::iter(requests))
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(ack) = acks.next().await {
        out.push(ack?);
    }
    Ok(out)
}
