//! Issue 5's bars for the service, measured on the real `akhbar` binary (the
//! bench profile's build, plugins beside it) through the generated Rust
//! client. This is the one place that measures them; the figures go into
//! the marked service section of BENCHMARKS.md (which `akhbar-bench e2e`
//! keeps when it regenerates the rest).
//!
//! 1. Push: acknowledged (durably stored) documents/s vs `akhbar run` on the
//!    same generated documents, alternating in the same run; also the CPU
//!    each costs per document (server process vs `akhbar run` process), the
//!    difference being what storage and gRPC cost.
//! 2. Subscribe replay: stored articles/s to one client.
//! 3. Live latency, acknowledgement → delivery, p50/p99, documents paced at
//!    1,000/s, 10 live subscribers.
//! 4. Memory: the server's RSS curve while a large stored log streams to a
//!    client (default 1,000,000 articles).
//!
//! ```sh
//! cargo build --release --workspace          # the plugins, beside the binary
//! cargo bench -p akhbar-server --bench service
//! ```
//! Sizes (environment): AKHBAR_BENCH_DOCS (push, default 2000),
//! AKHBAR_BENCH_ROUNDS (run/push alternations, default 5),
//! AKHBAR_BENCH_REPLAY (default 100000), AKHBAR_BENCH_RATE (live docs/s,
//! default 1000), AKHBAR_BENCH_SECONDS (live, default 10),
//! AKHBAR_BENCH_MEMORY (default 2000000). AKHBAR_BENCH_OUT: the markdown
//! file whose service section is replaced (default BENCHMARKS.md at the
//! repository root; `-` writes none).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use akhbar_bench::corpus::{self, Bodies, Generator, SizeProfile};
use akhbar_bench::measure::{self, Machine};
use akhbar_core::store::{RedbStore, Store, WriteBatch};
use akhbar_core::{Article, EncodedArticle};
use akhbar_proto::v1::articles_client::ArticlesClient;
use akhbar_proto::v1::ingest_client::IngestClient;
use akhbar_proto::v1::subscribe_request::Start;
use akhbar_proto::v1::{ProcessRequest, PushRequest, RawDocument, SubscribeRequest};
use tokio_stream::StreamExt;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;

/// Marks around the service section of BENCHMARKS.md.
const BEGIN: &str = "<!-- service:begin -->";
const END: &str = "<!-- service:end -->";
/// Where the section goes in a file that has none yet.
const BEFORE: &str = "<!-- trafilatura:begin -->";
/// Push streams at once (one connection).
const STREAMS: usize = 4;
/// Corpus seed (as `akhbar-bench e2e`'s default).
const SEED: u64 = 7;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn akhbar() -> &'static str {
    env!("CARGO_BIN_EXE_akhbar")
}

/// User + system CPU of a process so far, from /proc (USER_HZ = 100 ticks/s).
fn process_cpu(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of stat(5); `after` starts at field 3.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn status_kib(pid: u32, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data: &Path, config: Option<&Path>) -> Server {
        let mut command = Command::new(akhbar());
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
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", akhbar()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("akhbar serve prints its address");
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
            .expect("a valid url")
            .initial_stream_window_size(Some(4 << 20))
            .initial_connection_window_size(Some(16 << 20))
            .tcp_nodelay(true)
            .connect()
            .await
            .expect("connects")
    }

    fn rss_mib(&self) -> f64 {
        status_kib(self.child.id(), "VmRSS:") / 1024.0
    }

    fn hwm_mib(&self) -> f64 {
        status_kib(self.child.id(), "VmHWM:") / 1024.0
    }

    fn cpu(&self) -> Duration {
        process_cpu(&self.child.id().to_string())
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 50.0)
}

/// Writes `n` copies of `article` (new ids) straight into a store.
/// Returns the bytes the articles take as stored.
fn fill_store(dir: &Path, article: &Article, n: usize) -> u64 {
    let store = RedbStore::open(dir).expect("opens");
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
                articles: batch.iter().map(EncodedArticle::new).collect(),
                ..Default::default()
            })
            .expect("writes");
    }
    store.stats().expect("stats").bytes
}

/// What one Push run did.
struct PushRun {
    wall: Duration,
    server_cpu: Duration,
    client_cpu: Duration,
    articles: usize,
    errors: usize,
    rss: f64,
}

/// Pushes `requests` over `STREAMS` streams of one connection to a fresh
/// server; returns when every document is acknowledged.
async fn push_all(
    data: &Path,
    config: Option<&Path>,
    requests: &[PushRequest],
) -> (PushRun, Option<Article>) {
    let server = Server::start(data, config);
    let channel = server.channel().await;
    let me = std::process::id().to_string();
    let (server_before, client_before) = (server.cpu(), process_cpu(&me));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for part in requests.chunks(requests.len().div_ceil(STREAMS)) {
        let part = part.to_vec();
        let mut client = IngestClient::new(channel.clone())
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20);
        tasks.push(tokio::spawn(async move {
            let mut acks = client
                .push(tokio_stream::iter(part))
                .await
                .expect("Push accepted")
                .into_inner();
            let (mut n, mut articles, mut errors) = (0usize, 0usize, 0usize);
            while let Some(ack) = acks.next().await {
                let ack = ack.expect("an acknowledgement");
                n += 1;
                articles += ack.articles.len();
                errors += usize::from(!ack.error.is_empty());
            }
            (n, articles, errors)
        }));
    }
    let (mut acked, mut articles, mut errors) = (0, 0, 0);
    for task in tasks {
        let (n, a, e) = task.await.expect("push task");
        acked += n;
        articles += a;
        errors += e;
    }
    let wall = started.elapsed();
    let (server_cpu, client_cpu) = (
        server.cpu() - server_before,
        process_cpu(&me) - client_before,
    );
    assert_eq!(acked, requests.len(), "every document acknowledged");
    let rss = server.rss_mib();
    // One real article, for the replay store.
    let article = IngestClient::new(channel.clone())
        .process(ProcessRequest {
            document: requests.first().and_then(|r| r.document.clone()),
        })
        .await
        .ok()
        .and_then(|r| r.into_inner().articles.into_iter().next());
    drop(server);
    (
        PushRun {
            wall,
            server_cpu,
            client_cpu,
            articles,
            errors,
            rss,
        },
        article,
    )
}

/// `SubscribeResponse` with the article left encoded.
#[derive(Clone, PartialEq, prost::Message)]
struct RawSubscribeResponse {
    #[prost(uint64, tag = "1")]
    offset: u64,
    #[prost(bytes = "bytes", tag = "2")]
    article: prost::bytes::Bytes,
}

/// Subscribes from offset 0 until caught up over HTTP/2 directly, as a
/// client that accepts zstd. `decompress`: each message is decompressed
/// (one zstd context for the whole stream) and its article's bytes kept;
/// otherwise each message is kept as received, compressed (what the service
/// delivers; a client that stores or forwards articles needs no more).
/// Tonic's client makes a zstd context and a 128 KiB read buffer per
/// message, ~15 µs more per article on this machine.
async fn replay_h2(url: &str, decompress: bool) -> usize {
    use prost::Message as _;
    use prost::bytes::{BufMut, BytesMut};
    use tonic::codegen::http;
    let tcp = tokio::net::TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .expect("connects");
    tcp.set_nodelay(true).expect("nodelay");
    let (client, connection) = h2::client::Builder::new()
        .initial_window_size(4 << 20)
        .initial_connection_window_size(16 << 20)
        .handshake::<_, prost::bytes::Bytes>(tcp)
        .await
        .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    let request = http::Request::post(format!("{url}/akhbar.v1.Articles/Subscribe"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-accept-encoding", "zstd")
        .body(())
        .expect("a request");
    let (response, mut send) = client.send_request(request, false).expect("sent");
    let message = SubscribeRequest {
        start: Some(Start::ResumeFrom(0)),
        until_caught_up: true,
        ..Default::default()
    }
    .encode_to_vec();
    let mut framed = BytesMut::new();
    framed.put_u8(0);
    framed.put_u32(message.len() as u32);
    framed.put_slice(&message);
    send.send_data(framed.freeze(), true).expect("request sent");
    let response = response.await.expect("a response");
    assert_eq!(response.headers()["grpc-encoding"], "zstd");
    let mut body = response.into_body();
    let mut decompressor = zstd::bulk::Decompressor::new().expect("a zstd context");
    let mut plain: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut pending = BytesMut::new();
    let mut n = 0;
    while let Some(chunk) = body.data().await {
        let chunk = chunk.expect("data");
        let _ = body.flow_control().release_capacity(chunk.len());
        pending.extend_from_slice(&chunk);
        while pending.len() >= 5 {
            let len = u32::from_be_bytes(pending[1..5].try_into().expect("4 bytes")) as usize;
            if pending.len() < 5 + len {
                break;
            }
            let message = pending.split_to(5 + len).freeze();
            if !decompress {
                assert!(message[0] == 1 && message[5..].starts_with(&[0x28, 0xb5, 0x2f, 0xfd]));
                n += 1;
                continue;
            }
            let response = if message[0] == 1 {
                plain.clear();
                decompressor
                    .decompress_to_buffer(&message[5..], &mut plain)
                    .expect("a zstd message");
                RawSubscribeResponse::decode(plain.as_slice())
            } else {
                RawSubscribeResponse::decode(&message[5..])
            }
            .expect("a SubscribeResponse");
            assert!(!response.article.is_empty());
            n += 1;
        }
    }
    let trailers = body.trailers().await.expect("trailers").expect("a status");
    assert_eq!(trailers["grpc-status"], "0");
    n
}

/// Subscribes from offset 0 until caught up; returns the messages read.
/// `zstd`: the client accepts zstd (gets the stored frames as they are).
async fn replay(channel: Channel, decode: bool, zstd: bool) -> usize {
    let request = SubscribeRequest {
        start: Some(Start::ResumeFrom(0)),
        until_caught_up: true,
        ..Default::default()
    };
    let mut n = 0usize;
    if decode {
        let mut client = ArticlesClient::new(channel).max_decoding_message_size(64 << 20);
        if zstd {
            client = client.accept_compressed(CompressionEncoding::Zstd);
        }
        let mut stream = client
            .subscribe(request)
            .await
            .expect("Subscribe accepted")
            .into_inner();
        while let Some(message) = stream.next().await {
            assert!(message.expect("an article").article.is_some());
            n += 1;
        }
    } else {
        let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(64 << 20);
        if zstd {
            grpc = grpc.accept_compressed(CompressionEncoding::Zstd);
        }
        grpc.ready().await.expect("ready");
        let codec = tonic_prost::ProstCodec::<SubscribeRequest, RawSubscribeResponse>::default();
        let mut stream = grpc
            .server_streaming(
                tonic::Request::new(request),
                tonic::codegen::http::uri::PathAndQuery::from_static(
                    "/akhbar.v1.Articles/Subscribe",
                ),
                codec,
            )
            .await
            .expect("Subscribe accepted")
            .into_inner();
        while let Some(message) = stream.next().await {
            assert!(!message.expect("an article").article.is_empty());
            n += 1;
        }
    }
    n
}

fn us_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n.max(1) as f64
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let docs = env_usize("AKHBAR_BENCH_DOCS", 2000);
    let rounds = env_usize("AKHBAR_BENCH_ROUNDS", 5).max(1);
    let replay_n = env_usize("AKHBAR_BENCH_REPLAY", 100_000);
    let rate = env_usize("AKHBAR_BENCH_RATE", 1000);
    let seconds = env_usize("AKHBAR_BENCH_SECONDS", 10);
    // Two million: stored compressed, a small article takes ~100 bytes of
    // page cache, so the default 64 MiB cache fills over the first ~650,000.
    let memory_n = env_usize("AKHBAR_BENCH_MEMORY", 2_000_000);
    let repo = akhbar_bench::repo_root();
    let machine = Machine::detect(&repo);
    let load_before = measure::load_average();
    let work = tempfile::tempdir().expect("a temp dir");
    let light = work.path().join("light.toml");
    std::fs::write(&light, "[pipeline]\nsource = { plugin = \"text-dump\" }\n")
        .expect("config written");
    let mut out = String::new();
    let mut bars: Vec<[String; 3]> = Vec::new();

    // 1. Push vs run, same documents, alternating.
    eprintln!("service bench: generating {docs} seed-sized documents");
    let bodies =
        Bodies::load(&repo).expect("the corpus bodies (seeds/ and ../shared/eval/aeb-dev)");
    let corpus_dir = work.path().join("corpus");
    let bytes = Generator::new(bodies, SEED, SizeProfile::Seed)
        .write(&corpus_dir, docs as u64)
        .expect("corpus written");
    let folders = corpus::folders_for(&corpus_dir, docs as u64);
    let mut article = None;
    let mut files: Vec<PathBuf> = walk(&corpus_dir);
    files.sort();
    assert_eq!(files.len(), docs);
    let requests: Vec<PushRequest> = files
        .iter()
        .map(|path| PushRequest {
            client_ref: String::new(),
            document: Some(RawDocument {
                source_uri: path.display().to_string(),
                content: std::fs::read(path).expect("a corpus file"),
                ..Default::default()
            }),
        })
        .collect();
    if only("push") {
        let mut runs = Vec::new();
        let mut pushes = Vec::new();
        let (mut light_runs, mut light_pushes) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            eprintln!(
                "service bench: round {}/{rounds}: akhbar run, then push",
                round + 1
            );
            let run = akhbar_run(None, &folders);
            runs.push(run);
            let (push, first) =
                push_all(&work.path().join(format!("push-{round}")), None, &requests).await;
            article = article.or(first);
            pushes.push(push);
            // The same with the cheapest pipeline: what is left is mostly
            // storage and gRPC.
            light_runs.push(akhbar_run(Some(&light), &folders));
            let (push, _) = push_all(
                &work.path().join(format!("light-{round}")),
                Some(&light),
                &requests,
            )
            .await;
            light_pushes.push(push);
        }
        let run_rates: Vec<f64> = runs
            .iter()
            .map(|r| docs as f64 / r.wall.as_secs_f64())
            .collect();
        let push_rates: Vec<f64> = pushes
            .iter()
            .map(|p| docs as f64 / p.wall.as_secs_f64())
            .collect();
        let ratios: Vec<f64> = push_rates
            .iter()
            .zip(&run_rates)
            .map(|(p, r)| p / r)
            .collect();
        let run_cpu: Vec<f64> = runs.iter().map(|r| us_per(r.cpu(), docs)).collect();
        let server_cpu: Vec<f64> = pushes.iter().map(|p| us_per(p.server_cpu, docs)).collect();
        let client_cpu: Vec<f64> = pushes.iter().map(|p| us_per(p.client_cpu, docs)).collect();
        let cpu_ratios: Vec<f64> = run_cpu
            .iter()
            .zip(&server_cpu)
            .map(|(r, s)| r / s)
            .collect();
        let overheads: Vec<f64> = server_cpu
            .iter()
            .zip(&run_cpu)
            .map(|(s, r)| s - r)
            .collect();
        let _ = writeln!(
            out,
            "### Push vs `akhbar run`\n\n{docs} generated seed-sized documents (seed {SEED}, {:.1} MB), the same files for both, alternating {rounds} times: `akhbar run -q --jobs 2 FOLDERS… > /dev/null`, then a fresh `akhbar serve` (default config: embedded pipeline, 2 workers, group commit) and {STREAMS} concurrent Push streams on one connection from this bench (the documents read into memory first); the Push time runs from the first request to the last acknowledgement, and an acknowledgement is sent only once its articles are committed (redb, fsync). CPU is user + system time of each process: `akhbar run` from GNU time, the server from /proc/PID/stat over the Push.\n",
            bytes as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "| round | `akhbar run` docs/s | Push acked docs/s | Push / run | run CPU per doc | server CPU per doc | server − run per doc | client CPU per doc | articles stored | server RSS after |\n|---|---|---|---|---|---|---|---|---|---|"
        );
        for i in 0..rounds {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.0} | {:.0} % | {:.0} µs | {:.0} µs | {:+.0} µs | {:.0} µs | {}{} | {:.0} MiB |",
                i + 1,
                run_rates[i],
                push_rates[i],
                100.0 * ratios[i],
                run_cpu[i],
                server_cpu[i],
                overheads[i],
                client_cpu[i],
                pushes[i].articles,
                if pushes[i].errors > 0 {
                    format!(" ({} errors)", pushes[i].errors)
                } else {
                    String::new()
                },
                pushes[i].rss
            );
        }
        let _ = writeln!(
            out,
            "| **median** | {:.0} | {:.0} | **{:.0} %** | {:.0} µs | {:.0} µs | **{:+.0} µs** | {:.0} µs | | |\n",
            median(&run_rates),
            median(&push_rates),
            100.0 * median(&ratios),
            median(&run_cpu),
            median(&server_cpu),
            median(&overheads),
            median(&client_cpu)
        );
        let _ = writeln!(
            out,
            "Per CPU-second, the server acknowledges {:.0} % of what `akhbar run` processes (median of the rounds' run CPU per doc / server CPU per doc). The client shares the 2 cores with the server during Push and `akhbar run` has them to itself, so the wall ratio under-states the server; the CPU ratio is the one independent of the machine's other load.\n",
            100.0 * median(&cpu_ratios)
        );
        let light_run: Vec<f64> = light_runs.iter().map(|r| us_per(r.cpu(), docs)).collect();
        let light_server: Vec<f64> = light_pushes
            .iter()
            .map(|p| us_per(p.server_cpu, docs))
            .collect();
        let light_client: Vec<f64> = light_pushes
            .iter()
            .map(|p| us_per(p.client_cpu, docs))
            .collect();
        let _ = writeln!(
            out,
            "The same documents with the cheapest pipeline (`[pipeline] source = {{ plugin = \"text-dump\" }}`, the same config for both), in the same rounds: the server's CPU per acknowledged document is then mostly storage and gRPC (text-dump itself is ~50–100 µs per seed-sized document; `akhbar run` pays for JSON output instead).\n\n| round | `akhbar run` docs/s | Push acked docs/s | run CPU per doc | server CPU per doc | client CPU per doc |\n|---|---|---|---|---|---|"
        );
        for i in 0..rounds {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.0} | {:.0} µs | {:.0} µs | {:.0} µs |",
                i + 1,
                docs as f64 / light_runs[i].wall.as_secs_f64(),
                docs as f64 / light_pushes[i].wall.as_secs_f64(),
                light_run[i],
                light_server[i],
                light_client[i]
            );
        }
        let _ = writeln!(
            out,
            "| **median** | | | {:.0} µs | **{:.0} µs** | {:.0} µs |\n",
            median(&light_run),
            median(&light_server),
            median(&light_client)
        );
        let push_ok = median(&ratios) >= 0.8;
        bars.push([
        "Push: acknowledged throughput ≥ 80 % of `akhbar run` on the same documents".into(),
        format!(
            "{:.0} % wall (median of {rounds}: {:.0} vs {:.0} docs/s); {:.0} % per CPU-second; with a text-dump-only pipeline the server spends {:.0} µs CPU per acknowledged document in all",
            100.0 * median(&ratios),
            median(&push_rates),
            median(&run_rates),
            100.0 * median(&cpu_ratios),
            median(&light_server)
        ),
        verdict(push_ok),
    ]);
    }

    // 2. Replay.
    if only("replay") {
        let article = match article {
            Some(article) => article,
            None => first_article(&work.path().join("process-data"), &requests[0]).await,
        };
        eprintln!("service bench: replay of {replay_n} stored articles");
        let replay_dir = work.path().join("replay-data");
        let stored_bytes = fill_store(&replay_dir, &article, replay_n);
        let stored = stored_bytes as f64 / replay_n as f64;
        let server = Server::start(&replay_dir, None);
        let encoded = prost::Message::encoded_len(&article);
        let mut table = String::new();
        let mut figures = Vec::new();
        // First the client that keeps each article's bytes (the service's
        // own rate), then the generated client, which decodes every article,
        // both accepting zstd as `akhbar tail` does; then the bytes client
        // without zstd (grpcio has no zstd: the server decompresses).
        for (client, decode, zstd) in [
            ("h2", false, true),
            ("h2", true, true),
            ("tonic", false, true),
            ("tonic", true, true),
            ("tonic", false, false),
        ] {
            let channel = server.channel().await;
            let me = std::process::id().to_string();
            let (server_before, client_before) = (server.cpu(), process_cpu(&me));
            let started = Instant::now();
            let n = if client == "h2" {
                replay_h2(&server.url, decode).await
            } else {
                replay(channel, decode, zstd).await
            };
            let secs = started.elapsed().as_secs_f64();
            let (server_used, client_used) = (
                server.cpu() - server_before,
                process_cpu(&me) - client_before,
            );
            assert_eq!(n, replay_n);
            let rate = n as f64 / secs;
            let _ = writeln!(
                table,
                "| {} | {n} | {secs:.2} s | **{rate:.0}** | {:.0} | {:.1} µs | {:.1} µs | {:.0} MiB |",
                match (client, decode, zstd) {
                    ("h2", false, _) =>
                        "HTTP/2 client, accepts zstd, keeps each message as received (compressed)",
                    ("h2", true, _) =>
                        "HTTP/2 client, accepts zstd, decompresses each message (one zstd context for the stream) and keeps its article's bytes",
                    (_, false, true) =>
                        "tonic bytes client, accepts zstd (same RPC, keeps each article's bytes)",
                    (_, true, true) =>
                        "generated client, accepts zstd (`ArticlesClient`, decodes each `Article`)",
                    _ => "bytes client without zstd (the server decompresses each article)",
                },
                rate * encoded as f64 / 1e6,
                us_per(server_used, n),
                us_per(client_used, n),
                server.rss_mib()
            );
            figures.push((rate, us_per(server_used, n), us_per(client_used, n)));
        }
        let _ = writeln!(
            out,
            "### Subscribe replay\n\n{replay_n} stored copies of one real article (the pipeline's output for the first generated document, {encoded} bytes encoded, {stored:.0} bytes as stored: zstd level 1) written straight into a store; one client subscribes from offset 0 with `until_caught_up` and reads every message, five times on the same server, all on the same 2 cores: with a plain HTTP/2 client keeping each message as received, compressed (what the service delivers), then decompressing each with one zstd context; with tonic's client keeping each article's bytes (it decompresses each message with a new zstd context); through the generated client, which decodes every article, all four accepting zstd (as `akhbar tail` does); and with tonic's client without zstd (as a grpcio client). MB/s counts the articles' encoded size (decompressed).\n\n| client | articles | wall | articles/s | MB/s | server CPU per article | client CPU per article | server RSS after |\n|---|---|---|---|---|---|---|---|\n{table}"
        );
        let (raw, decompressed, tonic_raw, decoded, identity) =
            (figures[0], figures[1], figures[2], figures[3], figures[4]);
        bars.push([
            "Subscribe: ≥ 50,000 stored articles/s replayed to one client".into(),
            format!(
                "{:.0} articles/s delivered to a client accepting zstd (server {:.1} µs CPU per article, client {:.1} µs); {:.0}/s when that client also decompresses each (client {:.1} µs per article); {:.0}/s to tonic's client accepting zstd (client {:.1} µs per article); {:.0}/s into the generated client, which spends {:.1} µs decompressing and decoding each {encoded}-byte article; {:.0}/s to a client without zstd (server {:.1} µs per article)",
                raw.0, raw.1, raw.2, decompressed.0, decompressed.2, tonic_raw.0, tonic_raw.2, decoded.0, decoded.2, identity.0, identity.1
            ),
            verdict(raw.0 >= 50_000.0),
        ]);
    }

    if only("live") {
        // 3. Live latency: text-dump only, so 2 cores can take the rate (the
        // latency measured starts at the acknowledgement, after the pipeline).
        eprintln!("service bench: live latency, {rate}/s for {seconds} s, 10 subscribers");
        let server = Server::start(&work.path().join("live-data"), Some(&light));
        let channel = server.channel().await;
        let total = rate * seconds;
        let mut subscribers = Vec::new();
        for _ in 0..10 {
            // One connection each, as ten clients would have.
            let mut client = ArticlesClient::new(server.channel().await);
            let mut stream = client
                .subscribe(SubscribeRequest {
                    start: Some(Start::LiveOnly(true)),
                    ..Default::default()
                })
                .await
                .expect("Subscribe accepted")
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
        tokio::time::sleep(Duration::from_millis(300)).await;
        let seed = requests[0]
            .document
            .as_ref()
            .map(|d| d.content.clone())
            .unwrap_or_default();
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
        let live_rss_before = server.rss_mib();
        let mut acks = IngestClient::new(channel.clone())
            .push(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
            .expect("Push accepted")
            .into_inner();
        let started = Instant::now();
        let mut acked_at: HashMap<u64, Instant> = HashMap::with_capacity(total);
        while let Some(ack) = acks.next().await {
            let ack = ack.expect("an acknowledgement");
            let now = Instant::now();
            for stored in ack.articles {
                acked_at.insert(stored.offset, now);
            }
        }
        let live_secs = started.elapsed().as_secs_f64();
        pacer.await.expect("pacer");
        let mut latencies = Vec::new();
        let mut delivered = 0;
        for subscriber in subscribers {
            let seen = tokio::time::timeout(Duration::from_secs(30), subscriber)
                .await
                .expect("subscribers get every article")
                .expect("subscriber task");
            delivered += seen.len();
            for (offset, at) in seen {
                if let Some(acked) = acked_at.get(&offset) {
                    // Delivery can precede the acknowledgement's arrival (the
                    // writer wakes subscribers before it answers): count as 0.
                    latencies.push(at.saturating_duration_since(*acked).as_secs_f64() * 1000.0);
                }
            }
        }
        latencies.sort_by(f64::total_cmp);
        let (p50, p99, max) = (
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            latencies.last().copied().unwrap_or(f64::NAN),
        );
        let _ = writeln!(
            out,
            "### Live latency\n\n10 live subscribers (one connection each) while one Push stream sends {total} documents paced at {rate}/s (achieved {:.0}/s); latency = time a subscriber receives an article − time the Push client received its acknowledgement, all in this one process (the writer wakes subscribers before it answers the Push, so a delivery can come first: it counts as 0). The server's pipeline is text-dump only (config `[pipeline] source = {{ plugin = \"text-dump\" }}`): the default pipeline cannot take 1,000 documents/s on 2 cores, and the latency measured starts after the pipeline anyway.\n\n| deliveries | p50 | p99 | max | server RSS before → after |\n|---|---|---|---|---|\n| {} of {} | {p50:.2} ms | **{p99:.2} ms** | {max:.2} ms | {live_rss_before:.0} → {:.0} MiB |\n",
            total as f64 / live_secs,
            latencies.len(),
            total * 10,
            server.rss_mib()
        );
        assert_eq!(delivered, total * 10, "every subscriber got every article");
        bars.push([
            "Live: ack → delivery p99 < 20 ms at 1,000 docs/s, 10 subscribers".into(),
            format!("p99 {p99:.2} ms (p50 {p50:.2} ms) at {rate}/s × {seconds} s"),
            verdict(p99 < 20.0 && rate >= 1000),
        ]);
    }

    if only("memory") {
        // 4. Memory while a large log streams out.
        eprintln!("service bench: memory, {memory_n} articles");
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
        // The default page cache (64 MiB), then a quarter of it: if the
        // plateau moves with the setting, the cache is what fills.
        let small_cache = work.path().join("cache16.toml");
        std::fs::write(&small_cache, "[store]\ncache_mb = 16\n").expect("config written");
        let mut curves = Vec::new();
        for (cache_mb, config) in [(64, None), (16, Some(small_cache.as_path()))] {
            curves.push((cache_mb, memory_curve(&memory_dir, config, memory_n).await));
        }
        let step = (memory_n / 20).max(1);
        let n = memory_n;
        let header = curves[0]
            .1
            .samples
            .iter()
            .map(|s| s.0.to_string())
            .collect::<Vec<_>>();
        let _ = writeln!(
            out,
            "### Memory while {n} articles stream\n\n{n} small articles ({} bytes encoded) written straight into a store ({fill_secs:.0} s), then one client replays them all from offset 0, on a server with the default store page cache (`[store] cache_mb = 64`) and again with `cache_mb = 16`; the server's VmRSS from /proc every {step} articles. Besides the page cache, the configured bounds are the subscriber's queue (`subscriber_buffer` = 64 messages) and two read batches of 256 articles.\n\n| articles streamed | before | {} |\n|---|---|{}",
            prost::Message::encoded_len(&small),
            header.join(" | "),
            "---|".repeat(header.len()),
        );
        for (cache_mb, curve) in &curves {
            let _ = writeln!(
                out,
                "| RSS (MiB), `cache_mb = {cache_mb}` | {:.0} | {} |",
                curve.before,
                curve
                    .samples
                    .iter()
                    .map(|s| format!("{:.0}", s.1))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        let _ = writeln!(out);
        let mut flat = n >= 1_000_000;
        for (cache_mb, curve) in &curves {
            let last = curve.samples.last().map_or(f64::NAN, |s| s.1);
            // The last quarter of the stream adds nothing (2 MiB of noise).
            let quarter = curve.samples.len() * 3 / 4;
            let at_three_quarters = curve
                .samples
                .get(quarter.saturating_sub(1))
                .map_or(f64::NAN, |s| s.1);
            let late_growth = last - at_three_quarters;
            flat &= late_growth <= 2.0;
            let _ = writeln!(
                out,
                "- `cache_mb = {cache_mb}`: {:.0} MiB before the stream, {last:.0} MiB at the end (peak VmHWM {:.0}); the last quarter of the stream adds {late_growth:+.1} MiB; replayed at {:.0} articles/s.",
                curve.before, curve.hwm, curve.rate
            );
        }
        let plateau = |i: usize| curves[i].1.samples.last().map_or(f64::NAN, |s| s.1);
        let _ = writeln!(
            out,
            "\nA page cache smaller by 48 MiB lowers the plateau by {:.0} MiB: the early growth is mostly the store's page cache, which `cache_mb` bounds; after it the RSS does not grow with the number of articles streamed (plateau − idle server − `cache_mb`: {:.0} MiB at `cache_mb = 16`, {:.0} MiB at 64). The verdict holds when at least 1,000,000 articles were streamed (here {n}) and the last quarter of the stream adds at most 2 MiB at both cache sizes.\n",
            plateau(0) - plateau(1),
            plateau(1) - curves[1].1.before - 16.0,
            plateau(0) - curves[0].1.before - 64.0,
        );
        // The Subscribe bar gets the small articles' replay rate too.
        if let Some(bar) = bars.iter_mut().find(|b| b[0].starts_with("Subscribe")) {
            bar[1].push_str(&format!(
                "; {:.0}/s for {}-byte articles (the memory run below)",
                curves[0].1.rate,
                prost::Message::encoded_len(&small)
            ));
        }
        bars.push([
            format!("Memory flat over {n} articles streamed"),
            format!(
                "server RSS {:.0} → {:.0} MiB (default 64 MiB page cache), {:.0} → {:.0} MiB with a 16 MiB cache; the last quarter adds ≤ 2 MiB",
                curves[0].1.before,
                plateau(0),
                curves[1].1.before,
                plateau(1)
            ),
            verdict(flat),
        ]);
    }

    let load_after = measure::load_average();
    let mut section = String::new();
    let _ = writeln!(
        section,
        "## Service (`akhbar serve`, issue 5)\n\nWritten by `cargo bench -p akhbar-server --bench service` (`server/benches/service.rs`; build the plugins first with `cargo build --release --workspace`); `akhbar-bench e2e` keeps this section as it is.\n\n| | |\n|---|---|\n| machine | {} cores (`nproc`), {}, {} RAM |\n| date | {} |\n| commit | `{}` |\n| command | `{}` |\n| load average (1, 5, 15 min) | before {load_before}; after {load_after} |\n",
        machine.cores,
        machine.cpu,
        machine.memory,
        machine.date,
        machine.commit,
        std::env::var("AKHBAR_BENCH_COMMAND")
            .unwrap_or_else(|_| command_line(docs, rounds, replay_n, rate, seconds, memory_n))
    );
    let _ = writeln!(section, "| bar | figure | verdict |\n|---|---|---|");
    for [bar, figure, verdict] in &bars {
        let _ = writeln!(section, "| {bar} | {figure} | {verdict} |");
    }
    let _ = writeln!(section, "\n{}", out.trim_end());
    println!("\n{section}");
    write_section(&repo, section.trim_end());
}

/// The server's RSS while one client replays a whole store.
struct MemoryCurve {
    before: f64,
    samples: Vec<(usize, f64)>,
    hwm: f64,
    rate: f64,
}

async fn memory_curve(data: &Path, config: Option<&Path>, expected: usize) -> MemoryCurve {
    let server = Server::start(data, config);
    let mut client = ArticlesClient::new(server.channel().await);
    let before = server.rss_mib();
    let mut stream = client
        .subscribe(SubscribeRequest {
            start: Some(Start::ResumeFrom(0)),
            until_caught_up: true,
            ..Default::default()
        })
        .await
        .expect("Subscribe accepted")
        .into_inner();
    let step = (expected / 20).max(1);
    let mut samples = Vec::new();
    let mut n = 0usize;
    let started = Instant::now();
    while let Some(message) = stream.next().await {
        message.expect("an article");
        n += 1;
        if n.is_multiple_of(step) {
            samples.push((n, server.rss_mib()));
        }
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(n, expected);
    MemoryCurve {
        before,
        samples,
        hwm: server.hwm_mib(),
        rate: n as f64 / secs,
    }
}

/// `akhbar [--config C] run -q --jobs 2 FOLDERS… > /dev/null`.
fn akhbar_run(config: Option<&Path>, folders: &[PathBuf]) -> measure::ChildRun {
    let mut command = Command::new(akhbar());
    command.env("RUST_LOG", "error");
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command.args(["run", "-q", "--jobs", "2"]).args(folders);
    let run = measure::run_child(&mut command).expect("akhbar run");
    assert!(run.code == 0, "akhbar run exited with {}", run.code);
    run
}

/// Whether AKHBAR_BENCH_ONLY (comma-separated: push, replay, live, memory)
/// is unset or names `phase`.
fn only(phase: &str) -> bool {
    std::env::var("AKHBAR_BENCH_ONLY").map_or(true, |v| v.split(',').any(|p| p.trim() == phase))
}

/// The pipeline's first article for `request`'s document (Ingest.Process).
async fn first_article(data: &Path, request: &PushRequest) -> Article {
    let server = Server::start(data, None);
    IngestClient::new(server.channel().await)
        .process(ProcessRequest {
            document: request.document.clone(),
        })
        .await
        .expect("Process")
        .into_inner()
        .articles
        .remove(0)
}

fn verdict(ok: bool) -> String {
    if ok { "holds" } else { "**does not hold**" }.into()
}

/// The command that reproduces this run (sizes that differ from the defaults
/// as environment variables).
fn command_line(
    docs: usize,
    rounds: usize,
    replay: usize,
    rate: usize,
    seconds: usize,
    memory: usize,
) -> String {
    let mut env = String::new();
    for (name, value, default) in [
        ("AKHBAR_BENCH_DOCS", docs, 2000),
        ("AKHBAR_BENCH_ROUNDS", rounds, 5),
        ("AKHBAR_BENCH_REPLAY", replay, 100_000),
        ("AKHBAR_BENCH_RATE", rate, 1000),
        ("AKHBAR_BENCH_SECONDS", seconds, 10),
        ("AKHBAR_BENCH_MEMORY", memory, 2_000_000),
    ] {
        if value != default {
            let _ = write!(env, "{name}={value} ");
        }
    }
    format!(
        "cargo build --release --workspace && {env}cargo bench -p akhbar-server --bench service"
    )
}

/// Replaces the marked section of BENCHMARKS.md (or inserts it before the
/// trafilatura section, or appends it).
fn write_section(repo: &Path, section: &str) {
    let path = match std::env::var("AKHBAR_BENCH_OUT") {
        Ok(p) if p == "-" => return,
        Ok(p) => PathBuf::from(p),
        Err(_) => repo.join("BENCHMARKS.md"),
    };
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let marked = format!("{BEGIN}\n{section}\n{END}");
    let new = if let Some((head, rest)) = old.split_once(BEGIN)
        && let Some((_, tail)) = rest.split_once(END)
    {
        format!("{head}{marked}{tail}")
    } else if let Some((head, tail)) = old.split_once(BEFORE) {
        format!("{head}{marked}\n\n{BEFORE}{tail}")
    } else {
        format!("{}\n\n{marked}\n", old.trim_end())
    };
    match std::fs::write(&path, new) {
        Ok(()) => eprintln!(
            "service bench: wrote the service section of {}",
            path.display()
        ),
        Err(e) => eprintln!("service bench: cannot write {}: {e}", path.display()),
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("a corpus folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
