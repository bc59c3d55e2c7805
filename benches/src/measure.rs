//! Clocks and memory: child processes with their own peak RSS and CPU time
//! (from `wait4`), the calling thread's CPU clock, and what machine this is.
#![allow(
    unsafe_code,
    reason = "wait4, getrusage and clock_gettime are libc calls; each block says why it is sound"
)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// What one child process cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChildRun {
    /// Wall time from spawn to exit.
    pub wall: Duration,
    /// User CPU time.
    pub user: Duration,
    /// System CPU time.
    pub sys: Duration,
    /// Peak resident set size (VmHWM), in KiB.
    pub max_rss_kib: u64,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
}

impl ChildRun {
    /// User + system CPU time.
    pub fn cpu(&self) -> Duration {
        self.user + self.sys
    }
    /// Peak RSS in MiB.
    pub fn rss_mib(&self) -> f64 {
        self.max_rss_kib as f64 / 1024.0
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
}

/// GNU time, when installed: see [`run_child`].
const GNU_TIME: &str = "/usr/bin/time";

/// Runs `command` to its end (stdin, stdout and stderr null) and reads its
/// peak RSS and CPU time.
///
/// Linux carries the pre-exec high-water mark into `ru_maxrss` (the child
/// starts as a copy of this process, which holds corpora and pipelines), so
/// `wait4` on a child of a large parent over-reports its memory. The child
/// is therefore started through GNU `time` (a small process) when it is
/// installed, and its `%M %U %S` are read; without it, `wait4`'s figures are
/// used and can only over-state the peak.
pub fn run_child(command: &mut Command) -> anyhow::Result<ChildRun> {
    if std::path::Path::new(GNU_TIME).exists() {
        let out = std::env::temp_dir().join(format!("akhbar-bench-time-{}", std::process::id()));
        let mut wrapped = Command::new(GNU_TIME);
        wrapped
            .arg("-f")
            .arg("%M %U %S")
            .arg("-o")
            .arg(&out)
            .arg(command.get_program())
            .args(command.get_args());
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => wrapped.env(key, value),
                None => wrapped.env_remove(key),
            };
        }
        let mut run = wait_child(&mut wrapped)?;
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let _ = std::fs::remove_file(&out);
        // A non-zero exit makes time print "Command exited with …" first.
        if let Some(last) = text.lines().last() {
            let fields: Vec<&str> = last.split_whitespace().collect();
            if let [rss, user, sys] = fields[..]
                && let (Ok(rss), Ok(user), Ok(sys)) =
                    (rss.parse::<u64>(), user.parse::<f64>(), sys.parse::<f64>())
            {
                run.max_rss_kib = rss;
                run.user = Duration::from_secs_f64(user);
                run.sys = Duration::from_secs_f64(sys);
            }
        }
        return Ok(run);
    }
    wait_child(command)
}

fn wait_child(command: &mut Command) -> anyhow::Result<ChildRun> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for (std's `Child` only
    // waits when asked); status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    // The child is reaped: forget the handle so nothing waits on it again.
    drop(child);
    if waited != pid {
        anyhow::bail!(
            "wait4 on {command:?} failed: {}",
            std::io::Error::last_os_error()
        );
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok(ChildRun {
        wall,
        user: timeval(usage.ru_utime),
        sys: timeval(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
        code,
    })
}

/// CPU time used by the calling thread so far.
pub fn thread_cpu() -> Duration {
    // SAFETY: timespec is plain old data.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: a valid clock id and a pointer to a live timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Peak RSS of this process so far, in KiB.
pub fn self_max_rss_kib() -> u64 {
    // SAFETY: rusage is plain old data.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF and a pointer to a live rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss.max(0) as u64
}

/// `VmHWM` of a running process, in KiB (for long-lived children).
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `f` on the calling thread and returns its result and the thread CPU
/// time it took.
pub fn cpu_timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = thread_cpu();
    let value = f();
    (value, thread_cpu().saturating_sub(start))
}

/// Median of durations (the lower middle for an even count).
pub fn median(values: &mut [Duration]) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

/// What machine and moment the figures belong to.
#[derive(Debug, Clone)]
pub struct Machine {
    /// `nproc`.
    pub cores: usize,
    /// From /proc/cpuinfo.
    pub cpu: String,
    /// Total memory.
    pub memory: String,
    /// UTC date and time.
    pub date: String,
    /// `git rev-parse --short HEAD` (+ "-dirty" when the tree has changes).
    pub commit: String,
    /// rustc version.
    pub rustc: String,
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Machine {
    /// Reads it from the system.
    pub fn detect(repo: &std::path::Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            })
            .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let repo_s = repo.display().to_string();
        let commit = command_output("git", &["-C", &repo_s, "rev-parse", "--short", "HEAD"])
            .unwrap_or_else(|| "unknown".into());
        let dirty = command_output(
            "git",
            &[
                "-C",
                &repo_s,
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                // The harness's own output, rewritten run after run.
                ":!BENCHMARKS.md",
                ":!benches/scaling.svg",
            ],
        )
        .is_some_and(|s| !s.is_empty());
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            memory,
            date: command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
                .unwrap_or_else(|| "unknown".into()),
            commit: if dirty {
                format!("{commit} (with uncommitted changes in the tree)")
            } else {
                commit
            },
            rustc: command_output("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        }
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}
