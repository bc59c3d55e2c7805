//! Inputs besides Push, behind the [`Input`] trait: each turns something
//! outside into raw documents and hands them to the [`Engine`]. A later step
//! adds a NATS JetStream work queue as another input.
//!
//! [`DropFolder`]: files written to a folder are ingested once, then moved to
//! `done/` (stored) or `failed/` (no article came out; the dead letter is in
//! the store). Writers should write elsewhere and rename into the folder, or
//! at least finish within `settle`; files whose name starts with `.` are
//! ignored until renamed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use akhbar_core::RawDocument;
use notify::{RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};

use super::engine::{Engine, drained, now};

/// A source of documents that runs until the server drains.
#[tonic::async_trait]
pub trait Input: Send + 'static {
    /// A name for logs.
    fn name(&self) -> String;
    /// Feeds `engine` until `draining` turns true.
    async fn run(self: Box<Self>, engine: Engine, draining: watch::Receiver<bool>);
}

/// A folder watched with `notify`.
#[derive(Debug, Clone)]
pub struct DropFolder {
    /// The folder.
    pub path: PathBuf,
    /// How long a file must stay unchanged before it is read.
    pub settle: Duration,
    /// How often the folder is rescanned in case an event was missed.
    pub rescan: Duration,
}

impl DropFolder {
    /// Watches `path` with the default timings.
    pub fn new(path: PathBuf) -> Self {
        DropFolder {
            path,
            settle: Duration::from_millis(200),
            rescan: Duration::from_secs(5),
        }
    }

    fn candidates(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| is_candidate(p))
            .collect();
        files.sort();
        files
    }
}

fn is_candidate(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| !n.starts_with('.'))
}

/// Moves `file` into `folder`, never over an existing file.
fn move_into(file: &Path, folder: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(folder)?;
    let name = file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut target = folder.join(&name);
    let mut n = 1;
    while target.exists() {
        target = folder.join(format!("{name}.{n}"));
        n += 1;
    }
    std::fs::rename(file, &target)?;
    Ok(target)
}

async fn ingest_file(engine: &Engine, folder: &Path, file: &Path) {
    let content = match tokio::fs::read(file).await {
        Ok(content) => content,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            tracing::warn!(file = %file.display(), "drop folder: cannot read: {e}");
            return;
        }
    };
    let raw = RawDocument {
        source_uri: file.display().to_string(),
        format_hint: String::new(),
        content,
        received_at: Some(now()),
        metadata: Default::default(),
    };
    let (ok, detail) = match engine.ingest(raw).await {
        Ok(ingested) if !ingested.written.articles.is_empty() => (true, String::new()),
        Ok(ingested) => (
            false,
            ingested
                .dead_letters
                .first()
                .map(|d| d.reason.clone())
                .unwrap_or_default(),
        ),
        Err(e) => (false, e.to_string()),
    };
    let target = folder.join(if ok { "done" } else { "failed" });
    let file = file.to_owned();
    let moved = tokio::task::spawn_blocking(move || move_into(&file, &target)).await;
    match moved {
        Ok(Ok(to)) if ok => tracing::info!(to = %to.display(), "drop folder: ingested"),
        Ok(Ok(to)) => tracing::warn!(to = %to.display(), "drop folder: failed: {detail}"),
        Ok(Err(e)) => tracing::error!("drop folder: cannot move the file: {e}"),
        Err(e) => tracing::error!("drop folder: {e}"),
    }
}

#[tonic::async_trait]
impl Input for DropFolder {
    fn name(&self) -> String {
        format!("drop folder {}", self.path.display())
    }

    async fn run(self: Box<Self>, engine: Engine, mut draining: watch::Receiver<bool>) {
        if let Err(e) = std::fs::create_dir_all(&self.path) {
            tracing::error!("drop folder {}: {e}", self.path.display());
            return;
        }
        let (tx, mut events) = mpsc::channel::<PathBuf>(1024);
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event {
                for path in event.paths {
                    // A full queue only delays: the rescan finds the file.
                    let _ = tx.try_send(path);
                }
            }
        });
        let mut watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!("drop folder: cannot watch ({e}); rescanning only");
                None
            }
        };
        if let Some(w) = watcher.as_mut()
            && let Err(e) = w.watch(&self.path, RecursiveMode::NonRecursive)
        {
            tracing::warn!("drop folder: cannot watch ({e}); rescanning only");
        }
        // path → when it last changed
        let mut pending: HashMap<PathBuf, Instant> = self
            .candidates()
            .into_iter()
            .map(|p| (p, Instant::now()))
            .collect();
        let mut rescan = tokio::time::interval(self.rescan);
        let mut tick = tokio::time::interval(self.settle / 2);
        loop {
            tokio::select! {
                () = drained(&mut draining) => break,
                Some(path) = events.recv() => {
                    if path.parent() == Some(self.path.as_path()) && is_candidate(&path) {
                        pending.insert(path, Instant::now());
                    }
                }
                _ = rescan.tick() => {
                    for path in self.candidates() {
                        pending.entry(path).or_insert_with(Instant::now);
                    }
                }
                _ = tick.tick() => {
                    let ready: Vec<PathBuf> = pending
                        .iter()
                        .filter(|(_, at)| at.elapsed() >= self.settle)
                        .map(|(p, _)| p.clone())
                        .collect();
                    for path in ready {
                        pending.remove(&path);
                        if path.is_file() {
                            ingest_file(&engine, &self.path, &path).await;
                        }
                    }
                }
            }
        }
        drop(watcher);
    }
}
