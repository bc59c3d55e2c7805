//! The service's figures (issue 5's bars), measured through the binary's own
//! clients so the harness needs no gRPC code of its own:
//! - Push: `akhbar push FILES…` against `akhbar serve` (started in a fresh
//!   folder with no arguments: the issue fixes the defaults, 127.0.0.1:50051
//!   and data under the working folder) — acknowledged documents per second;
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

const ADDR: &str = "127.0.0.1:50051";

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
    if TcpStream::connect(ADDR).is_ok() {
        anyhow::bail!("{ADDR} is already in use by another process");
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let child = Command::new(akhbar)
        .arg("serve")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.join("serve.log"))?))
        .spawn()?;
    let server = Server { child };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(ADDR).is_err() {
        if Instant::now() > deadline {
            anyhow::bail!(
                "akhbar serve did not listen on {ADDR} within 20 s (see {}/serve.log)",
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

    // Push throughput.
    let mut push = Command::new(akhbar);
    push.arg("push")
        .args(&inputs)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let run = measure::run_child(&mut push)?;
    anyhow::ensure!(run.code == 0, "akhbar push exited with {}", run.code);
    let rss = measure::vm_hwm_kib(pid).map_or("—".into(), |k| {
        format!("server {:.1} MiB", k as f64 / 1024.0)
    });
    rows.push(ServiceRow {
        what: ROWS[0].into(),
        figure: format!("{:.0}", docs as f64 / run.wall.as_secs_f64().max(1e-9)),
        rss: rss.clone(),
        note: format!(
            "{docs} seed-sized documents, one `akhbar push` ({:.1} MiB client)",
            run.rss_mib()
        ),
    });

    // Replay.
    let started = Instant::now();
    let mut tail = Command::new(akhbar)
        .args(["tail", "--from", "0"])
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
        .arg("tail")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_millis(500));
    let live_docs = docs.min(500);
    let mut push = Command::new(akhbar)
        .arg("push")
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
        "{} acks paired with {} deliveries by order; one subscriber; CLI clients (assumes `push` prints a line per acknowledgement)",
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
