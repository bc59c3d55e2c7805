//! The service's figures (issue 5's bars), measured through the binary's own
//! clients so the harness needs no gRPC code of its own:
//! - Push: `akhbar push FILES…` against `akhbar serve --listen 127.0.0.1:PORT
//!   --data-dir DIR` (a free loopback port, a fresh store) — acknowledged
//!   documents per second, and its ratio to `akhbar run` on the same files;
//! - Subscribe replay: `akhbar tail --from 0` until every stored article has
//!   arrived — articles per second;
//! - live latency: `akhbar tail` (live) running while `akhbar push` sends;
//!   the k-th line `push` prints (an acknowledgement) is paired with the
//!   k-th article `tail` prints, p50/p99 of the difference.
//!
//! Until `akhbar --help` lists `serve`, `push` and `tail`, every row says
//! "not measured: service not landed".

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use akhbar_bench::corpus;
use akhbar_bench::measure;

use crate::report::ServiceRow;

const ROWS: [&str; 4] = [
    "Push: acknowledged documents/s",
    "Subscribe: replayed articles/s",
    "Live latency p50 (ack → delivery)",
    "Live latency p99 (ack → delivery)",
];

pub fn not_measured(why: &str) -> ServiceRow {
    ServiceRow {
        what: "all service rows".into(),
        figure: format!("not measured: {why}"),
        rss: "—".into(),
        note: String::new(),
    }
}

fn rows_not_measured(why: &str) -> Vec<ServiceRow> {
    ROWS.iter()
        .map(|what| ServiceRow {
            what: (*what).into(),
            figure: format!("not measured: {why}"),
            rss: "—".into(),
            note: String::new(),
        })
        .collect()
}

fn has_service(akhbar: &Path) -> bool {
    let Ok(out) = Command::new(akhbar).arg("--help").output() else {
        return false;
    };
    let help = String::from_utf8_lossy(&out.stdout);
    let has = |cmd: &str| help.lines().any(|l| l.trim_start().starts_with(cmd));
    has("serve") && has("push") && has("tail")
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first (graceful shutdown), then kill.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(akhbar: &Path, dir: &Path) -> anyhow::Result<Server> {
    // A free loopback port: bind port 0, read it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let child = Command::new(akhbar)
        .arg("serve")
        .arg("--listen")
        .arg(&addr)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.join("serve.log"))?))
        .spawn()?;
    let mut server = Server {
        child,
        url: format!("http://{addr}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        if Instant::now() > deadline {
            anyhow::bail!(
                "akhbar serve did not listen on {addr} within 30 s (see {}/serve.log)",
                dir.display()
            );
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            anyhow::bail!(
                "akhbar serve exited with {status} (see {}/serve.log)",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Reads lines from `child`'s stdout with their arrival times, until
/// `count` lines or `timeout`.
fn timed_lines(stdout: Option<ChildStdout>, count: usize, timeout: Duration) -> Vec<Instant> {
    let Some(stdout) = stdout else {
        return Vec::new();
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if line.is_err() || tx.send(Instant::now()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut times = Vec::new();
    while times.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(t) => times.push(t),
            Err(_) => break,
        }
    }
    times
}

fn measure_inner(
    akhbar: &Path,
    corpus_dir: &Path,
    docs: u64,
    work: &Path,
) -> anyhow::Result<Vec<ServiceRow>> {
    let inputs = corpus::folders_for(corpus_dir, docs);
    let docs = docs.min(corpus::PER_FOLDER as u64 * inputs.len() as u64);
    let mut rows = Vec::new();
    let dir = work.join("serve");
    let server = start_server(akhbar, &dir)?;
    let pid = server.child.id();

    // `akhbar run` on the same files, just before: the bar is Push ≥ 80 % of it.
    let mut baseline = Command::new(akhbar);
    baseline
        .args(["run", "-q"])
        .args(&inputs)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let baseline = measure::run_child(&mut baseline)?;
    let run_rate = docs as f64 / baseline.wall.as_secs_f64().max(1e-9);

    // Push throughput.
    let mut push = Command::new(akhbar);
    push.arg("push")
        .arg("--server")
        .arg(&server.url)
        .args(&inputs)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let run = measure::run_child(&mut push)?;
    // 1 means some documents gave no article (dead letters); still acknowledged.
    anyhow::ensure!(
        run.code == 0 || run.code == 1,
        "akhbar push exited with {} (see {}/serve.log)",
        run.code,
        dir.display()
    );
    let push_rate = docs as f64 / run.wall.as_secs_f64().max(1e-9);
    let rss = measure::vm_hwm_kib(pid).map_or("—".into(), |k| {
        format!("server {:.1} MiB", k as f64 / 1024.0)
    });
    rows.push(ServiceRow {
        what: ROWS[0].into(),
        figure: format!(
            "{push_rate:.0} ({:.0} % of `akhbar run`'s {run_rate:.0}/s on the same files; bar ≥ 80 %)",
            100.0 * push_rate / run_rate.max(1e-9)
        ),
        rss: rss.clone(),
        note: format!("{docs} seed-sized documents, one `akhbar push` ({:.1} MiB client)", run.rss_mib()),
    });

    // Replay.
    let started = Instant::now();
    let mut tail = Command::new(akhbar)
        .args(["tail", "--from", "0", "--server"])
        .arg(&server.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let lines = timed_lines(tail.stdout.take(), docs as usize, Duration::from_secs(120));
    let _ = tail.kill();
    let _ = tail.wait();
    let replay = match lines.last() {
        Some(last) if !lines.is_empty() => format!(
            "{:.0}",
            lines.len() as f64 / last.duration_since(started).as_secs_f64().max(1e-9)
        ),
        _ => "not measured: `akhbar tail --from 0` printed nothing".into(),
    };
    rows.push(ServiceRow {
        what: ROWS[1].into(),
        figure: replay,
        rss: measure::vm_hwm_kib(pid).map_or("—".into(), |k| {
            format!("server {:.1} MiB", k as f64 / 1024.0)
        }),
        note: format!(
            "{} articles from offset 0 (includes the client's start-up)",
            lines.len()
        ),
    });
    drop(server);

    // Live latency on a fresh store.
    let server = start_server(akhbar, &dir)?;
    let mut tail = Command::new(akhbar)
        .args(["tail", "--server"])
        .arg(&server.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_millis(500));
    let live_docs = docs.min(corpus::PER_FOLDER as u64);
    let mut push = Command::new(akhbar)
        .args(["push", "--server"])
        .arg(&server.url)
        .args(corpus::folders_for(corpus_dir, live_docs))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let tail_out = tail.stdout.take();
    let tail_thread = std::thread::spawn(move || {
        timed_lines(tail_out, live_docs as usize, Duration::from_secs(60))
    });
    let acks = timed_lines(
        push.stdout.take(),
        live_docs as usize,
        Duration::from_secs(60),
    );
    let _ = push.wait();
    let delivered = tail_thread.join().unwrap_or_default();
    let _ = tail.kill();
    let _ = tail.wait();
    let mut latencies: Vec<Duration> = acks
        .iter()
        .zip(&delivered)
        .map(|(ack, got)| got.saturating_duration_since(*ack))
        .collect();
    latencies.sort_unstable();
    let note = format!(
        "{} acks paired with {} deliveries by order; one subscriber, push as fast as acknowledged (not the issue's 1,000/s with 10 subscribers); CLI clients, `push` prints one JSON line per acknowledgement",
        acks.len(),
        delivered.len()
    );
    for (what, p) in [(ROWS[2], 0.5), (ROWS[3], 0.99)] {
        rows.push(ServiceRow {
            what: what.into(),
            figure: if latencies.is_empty() {
                "not measured: no acknowledgement/delivery pairs".into()
            } else {
                format!("{:.2} ms", percentile(&latencies, p).as_secs_f64() * 1e3)
            },
            rss: "—".into(),
            note: note.clone(),
        });
    }
    drop(server);
    Ok(rows)
}

/// Measures the service, or says why not.
pub fn measure(akhbar: &Path, corpus_dir: &Path, docs: u64, work: &Path) -> Vec<ServiceRow> {
    if !has_service(akhbar) {
        return rows_not_measured("service not landed (`akhbar --help` lists no serve/push/tail)");
    }
    match measure_inner(akhbar, corpus_dir, docs, work) {
        Ok(rows) => rows,
        Err(e) => rows_not_measured(&format!("{e:#}")),
    }
}
