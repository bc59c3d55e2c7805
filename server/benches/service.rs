//! Figures for issue 5's bars, measured on the real `akhbar` binary (the
//! bench profile's build) through the generated Rust client:
//!
//! 1. Push: acknowledged (durably stored) documents/s vs `akhbar run` on the
//!    same documents, in the same run;
//! 2. Subscribe replay: stored articles/s to one client;
//! 3. live latency, acknowledgement → delivery, p50/p99, at 1,000 docs/s with
//!    10 subscribers;
//! 4. memory: the server's RSS while 1,000,000 stored articles stream to a
//!    client.
//!
//! ```sh
//! cargo build --release --workspace          # the plugins, beside the binary
//! cargo bench -p akhbar-server --bench service
//! ```
//! Sizes: AKHBAR_BENCH_DOCS (push, default 2000), AKHBAR_BENCH_REPLAY
//! (default 20000), AKHBAR_BENCH_MEMORY (default 1000000), AKHBAR_BENCH_RATE
//! (live docs/s, default 1000), AKHBAR_BENCH_SECONDS (live, default 5).
//! Writes the table to stdout and to target/bench-service.md.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use akhbar_core::Article;
use akhbar_core::store::{RedbStore, Store, WriteBatch};
use akhbar_proto::v1::articles_client::ArticlesClient;
use akhbar_proto::v1::ingest_client::IngestClient;
use akhbar_proto::v1::subscribe_request::Start;
use akhbar_proto::v1::{ProcessRequest, PushRequest, RawDocument, SubscribeRequest};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// `n` documents, each in its own folder: the site is the folder, so
/// scraped-page's per-site chrome learning does not reject the repeats.
fn corpus(dir: &Path, n: usize) -> Vec<PathBuf> {
    let seeds = seeds();
    (0..n)
        .map(|i| {
            let folder = dir.join(format!("s{i:06}"));
            std::fs::create_dir_all(&folder).unwrap();
            let path = folder.join("doc.txt");
            std::fs::write(&path, &seeds[i % seeds.len()]).unwrap();
            path
        })
        .collect()
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data: &Path, config: Option<&Path>) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_akhbar"));
        command
            .env("RUST_LOG", "error")
            .env_remove("AKHBAR_TOKEN")
            .env_remove("AKHBAR_CONFIG");
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("127.0.0.1:"))
            .unwrap_or_else(|| panic!("akhbar serve did not start: {line:?}"))
            .to_owned();
        Server {
            child,
            url: format!("http://{addr}"),
        }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(self.url.clone())
            .unwrap()
            .initial_stream_window_size(Some(4 << 20))
            .initial_connection_window_size(Some(16 << 20))
            .connect()
            .await
            .unwrap()
    }

    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(path: &Path) -> PushRequest {
    PushRequest {
        client_ref: String::new(),
        document: Some(RawDocument {
            source_uri: path.display().to_string(),
            content: std::fs::read(path).unwrap(),
            ..Default::default()
        }),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Writes `n` copies of `article` (new ids) straight into a store.
fn fill_store(dir: &Path, article: &Article, n: usize) {
    let store = RedbStore::open(dir).unwrap();
    let mut i = 0;
    while i < n {
        let batch: Vec<Article> = (i..(i + 10_000).min(n))
            .map(|k| {
                let mut a = article.clone();
                a.id = format!("bench-{k:08}");
                a
            })
            .collect();
        i += batch.len();
        store
            .write(&WriteBatch {
                articles: batch,
                ..Default::default()
            })
            .unwrap();
    }
}

struct Row {
    what: String,
    figure: String,
    note: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let docs = env_usize("AKHBAR_BENCH_DOCS", 2000);
    let replay_n = env_usize("AKHBAR_BENCH_REPLAY", 20_000);
    let memory_n = env_usize("AKHBAR_BENCH_MEMORY", 1_000_000);
    let rate = env_usize("AKHBAR_BENCH_RATE", 1000);
    let seconds = env_usize("AKHBAR_BENCH_SECONDS", 5);
    let work = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();

    // 1. Push vs run, same documents.
    let files = corpus(&work.path().join("corpus"), docs);
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_akhbar"))
        .env("RUST_LOG", "error")
        .args(["run", "--quiet"])
        .arg(work.path().join("corpus"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let run_secs = started.elapsed().as_secs_f64();
    assert!(out.success() || out.code() == Some(1), "akhbar run failed");
    let run_rate = docs as f64 / run_secs;
    rows.push(Row {
        what: "`akhbar run` (baseline)".into(),
        figure: format!("{run_rate:.0} documents/s"),
        note: format!("{docs} seed-sized documents, one site each"),
    });

    let server = Server::start(&work.path().join("push-data"), None);
    let channel = server.channel().await;
    let streams = 4;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for part in files.chunks(files.len().div_ceil(streams)) {
        let requests: Vec<PushRequest> = part.iter().map(|p| request(p)).collect();
        let mut client = IngestClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            let mut acks = client
                .push(tokio_stream::iter(requests))
                .await
                .unwrap()
                .into_inner();
            let mut n = 0usize;
            while let Some(ack) = acks.next().await {
                ack.unwrap();
                n += 1;
            }
            n
        }));
    }
    let mut acked = 0;
    for task in tasks {
        acked += task.await.unwrap();
    }
    let push_secs = started.elapsed().as_secs_f64();
    assert_eq!(acked, docs);
    let push_rate = docs as f64 / push_secs;
    rows.push(Row {
        what: "Push: acknowledged (stored) documents/s".into(),
        figure: format!(
            "{push_rate:.0} documents/s = {:.0} % of `akhbar run`",
            100.0 * push_rate / run_rate
        ),
        note: format!(
            "{streams} Push streams, server RSS {:.0} MiB; bar ≥ 80 %",
            server.rss_mib()
        ),
    });
    // One real article, for the stores below.
    let article = IngestClient::new(channel.clone())
        .process(ProcessRequest {
            document: request(&files[0]).document,
        })
        .await
        .unwrap()
        .into_inner()
        .articles
        .remove(0);
    drop(server);

    // 2. Replay.
    let replay_dir = work.path().join("replay-data");
    fill_store(&replay_dir, &article, replay_n);
    let server = Server::start(&replay_dir, None);
    let mut client =
        ArticlesClient::new(server.channel().await).max_decoding_message_size(64 << 20);
    let started = Instant::now();
    let mut stream = client
        .subscribe(SubscribeRequest {
            start: Some(Start::ResumeFrom(0)),
            until_caught_up: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut n = 0usize;
    while let Some(message) = stream.next().await {
        message.unwrap();
        n += 1;
    }
    let replay_secs = started.elapsed().as_secs_f64();
    assert_eq!(n, replay_n);
    rows.push(Row {
        what: "Subscribe: replayed articles/s (one client)".into(),
        figure: format!("{:.0} articles/s", n as f64 / replay_secs),
        note: format!(
            "{n} stored articles of {} bytes (encoded); bar ≥ 50,000",
            prost::Message::encoded_len(&article)
        ),
    });
    drop(server);

    // 3. Live latency: text-dump only, so the machine can take the rate.
    let config = work.path().join("light.toml");
    std::fs::write(&config, "[pipeline]\nsource = { plugin = \"text-dump\" }\n").unwrap();
    let server = Server::start(&work.path().join("live-data"), Some(&config));
    let channel = server.channel().await;
    let total = rate * seconds;
    let mut subscribers = Vec::new();
    for _ in 0..10 {
        let mut client = ArticlesClient::new(channel.clone());
        let mut stream = client
            .subscribe(SubscribeRequest {
                start: Some(Start::LiveOnly(true)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        subscribers.push(tokio::spawn(async move {
            let mut seen = Vec::with_capacity(total);
            while let Some(message) = stream.next().await {
                let Ok(message) = message else { break };
                seen.push((message.offset, Instant::now()));
                if seen.len() == total {
                    break;
                }
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seed = seeds().remove(0);
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let pacer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for i in 0..total {
            tick.tick().await;
            let request = PushRequest {
                client_ref: String::new(),
                document: Some(RawDocument {
                    source_uri: format!("live/{i}"),
                    content: seed.clone(),
                    ..Default::default()
                }),
            };
            if tx.send(request).await.is_err() {
                break;
            }
        }
    });
    let mut acks = IngestClient::new(channel.clone())
        .push(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let started = Instant::now();
    let mut acked_at: HashMap<u64, Instant> = HashMap::with_capacity(total);
    while let Some(ack) = acks.next().await {
        let ack = ack.unwrap();
        let now = Instant::now();
        for stored in ack.articles {
            acked_at.insert(stored.offset, now);
        }
    }
    let live_secs = started.elapsed().as_secs_f64();
    pacer.await.unwrap();
    let mut latencies = Vec::new();
    for subscriber in subscribers {
        let seen = tokio::time::timeout(Duration::from_secs(30), subscriber)
            .await
            .expect("subscribers get every article")
            .unwrap();
        for (offset, at) in seen {
            if let Some(acked) = acked_at.get(&offset) {
                latencies.push(at.saturating_duration_since(*acked).as_secs_f64() * 1000.0);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    rows.push(Row {
        what: "Live latency ack → delivery, p50 / p99".into(),
        figure: format!(
            "{:.2} ms / {:.2} ms",
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0)
        ),
        note: format!(
            "{total} documents paced at {rate}/s (achieved {:.0}/s), 10 live subscribers, {} deliveries; text-dump-only pipeline; bar p99 < 20 ms",
            total as f64 / live_secs,
            latencies.len()
        ),
    });
    drop(server);

    // 4. Memory while a large log streams out.
    let memory_dir = work.path().join("memory-data");
    let small = Article {
        id: String::new(),
        language: "ar".into(),
        title: "عنوان".into(),
        body: "نص قصير ".repeat(40),
        ..Default::default()
    };
    let filled = Instant::now();
    fill_store(&memory_dir, &small, memory_n);
    let fill_secs = filled.elapsed().as_secs_f64();
    let server = Server::start(&memory_dir, None);
    let mut client = ArticlesClient::new(server.channel().await);
    let mut stream = client
        .subscribe(SubscribeRequest {
            start: Some(Start::ResumeFrom(0)),
            until_caught_up: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let start_rss = server.rss_mib();
    let mut samples = Vec::new();
    let mut n = 0usize;
    let started = Instant::now();
    while let Some(message) = stream.next().await {
        message.unwrap();
        n += 1;
        if n.is_multiple_of((memory_n / 10).max(1)) {
            samples.push(server.rss_mib());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(n, memory_n);
    let first = samples.first().copied().unwrap_or(f64::NAN);
    let max = samples.iter().copied().fold(f64::NAN, f64::max);
    rows.push(Row {
        what: format!("Memory while {n} articles stream"),
        figure: format!(
            "server RSS {start_rss:.0} MiB at start, {first:.0} MiB after 10 %, {:.0} MiB at the end, max {max:.0} MiB",
            samples.last().copied().unwrap_or(f64::NAN)
        ),
        note: format!(
            "samples every 10 %: {}; replayed at {:.0} articles/s; store filled in {fill_secs:.1} s",
            samples
                .iter()
                .map(|s| format!("{s:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            n as f64 / secs
        ),
    });
    drop(server);

    let mut table = String::from("| What | Figure | Notes |\n|---|---|---|\n");
    for row in &rows {
        table.push_str(&format!(
            "| {} | {} | {} |\n",
            row.what, row.figure, row.note
        ));
    }
    println!("\n{table}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-service.md");
    let _ = std::fs::write(&out, &table);
}
