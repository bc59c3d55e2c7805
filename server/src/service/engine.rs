//! What every RPC and input shares: the pipeline, the store, the writer that
//! commits in groups, the latest offset, and the draining flag.
//!
//! CPU work (the pipeline) runs on `workers` threads of its own
//! (`akhbar-worker-N`), store calls on `store_threads` threads of their own
//! (`akhbar-store-N`, one by default), never on the runtime's threads. At
//! most `workers` documents are in the pipeline at once, whoever sent them.
//!
//! Why threads of their own, not tokio's blocking pool: there the documents
//! spread over every idle thread (seven or more under Push), each with its
//! own cold caches, malloc arena and plugin thread-locals; and the store's
//! page cache, allocated by whichever thread reads it, came to be held in
//! each thread's arena, so the server's memory crept up long after the cache
//! was full (108 MiB for a 64 MiB cache over 2,000,000 articles streamed;
//! 89 MiB with one store thread).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use akhbar_core::store::{LogBounds, Store, StoreError, StoredArticle, WriteBatch, Written};
use akhbar_core::{BATCH_DOCUMENTS, DeadLetter, Outcome, Pipeline, PluginInfo, RawDocument};
use prost::bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};

use super::error::ServiceError;

/// Limits the engine enforces.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Documents in the pipeline at once.
    pub workers: usize,
    /// Most documents committed in one transaction.
    pub write_batch: usize,
    /// Documents waiting for the writer.
    pub write_queue: usize,
    /// How long the writer waits for more documents before a commit while
    /// others are in the pipeline (`[server] commit_delay_us`).
    pub commit_delay: Duration,
    /// Threads that read the store (`[server] store_threads`).
    pub store_threads: usize,
    /// Largest raw document accepted.
    pub max_document_bytes: usize,
    /// Newest articles kept decoded for live subscribers.
    pub live_cache: usize,
    /// Library files the plugin catalog refused (path, reason), reported by
    /// `Admin.ListPlugins`.
    pub refused_plugins: Vec<(std::path::PathBuf, String)>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            workers: 2,
            write_batch: 256,
            write_queue: 1024,
            commit_delay: Duration::from_millis(2),
            store_threads: 1,
            max_document_bytes: 16 * 1024 * 1024,
            live_cache: 1024,
            refused_plugins: Vec::new(),
        }
    }
}

/// The newest articles this process stored, encoded once and shared by
/// every live subscriber (so N subscribers do not read, decode and encode
/// each article N times: they send the same bytes). Bounded; a subscriber
/// behind it reads the store.
#[derive(Debug)]
struct LiveCache {
    capacity: usize,
    entries: RwLock<VecDeque<(u64, StoredArticle)>>,
}

impl LiveCache {
    fn push(&self, items: Vec<(u64, StoredArticle)>) {
        if self.capacity == 0 || items.is_empty() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        for (offset, article) in items {
            if entries.back().is_some_and(|(last, _)| *last >= offset) {
                entries.clear();
            }
            entries.push_back((offset, article));
            while entries.len() > self.capacity {
                entries.pop_front();
            }
        }
    }

    /// Consecutive articles from `from`, or nothing if `from` is not cached.
    fn read(&self, from: u64, max: usize) -> Vec<(u64, StoredArticle)> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let start = entries.partition_point(|(offset, _)| *offset < from);
        (from..)
            .zip(entries.range(start..))
            .take(max)
            .take_while(|(expected, (offset, _))| offset == expected)
            .map(|(_, (offset, article))| (*offset, article.clone()))
            .collect()
    }
}

/// Counts one document in the pipeline while it lives.
struct InPipeline<'a>(&'a AtomicUsize);

impl<'a> InPipeline<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        InPipeline(count)
    }
}

impl Drop for InPipeline<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A store call for a store thread.
type StoreCall = Box<dyn FnOnce(&dyn Store) + Send>;

/// A document for a pipeline worker, and where its outcome goes.
struct PipelineJob {
    raw: RawDocument,
    reply: oneshot::Sender<Outcome>,
}

/// Starts `threads` threads named `{name}-N` that take jobs from `jobs`
/// whenever they are free and run them, until every sender is gone. A free
/// thread takes the next job and, without waiting for more, up to
/// `batch_max - 1` others already queued, and runs them together. A batch
/// that panics is lost (its callers see their replies dropped); the thread
/// lives on.
fn spawn_pool<J: Send + 'static>(
    name: &str,
    threads: usize,
    batch_max: usize,
    jobs: mpsc::Receiver<J>,
    run: impl Fn(Vec<J>) + Send + Sync + 'static,
) -> Result<(), ServiceError> {
    let jobs = Arc::new(std::sync::Mutex::new(jobs));
    let run = Arc::new(run);
    for n in 0..threads.max(1) {
        let (jobs, run) = (Arc::clone(&jobs), Arc::clone(&run));
        std::thread::Builder::new()
            .name(format!("{name}-{n}"))
            .spawn(move || {
                loop {
                    // One thread waits for the next job while the others
                    // run theirs.
                    let batch = {
                        let mut jobs = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                        let Some(first) = jobs.blocking_recv() else {
                            return;
                        };
                        let mut batch = vec![first];
                        while batch.len() < batch_max {
                            match jobs.try_recv() {
                                Ok(job) => batch.push(job),
                                Err(_) => break,
                            }
                        }
                        batch
                    };
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(batch)));
                }
            })
            .map_err(|e| ServiceError::Internal(format!("cannot start {name}-{n}: {e}")))?;
    }
    Ok(())
}

struct WriteJob {
    batch: WriteBatch,
    reply: oneshot::Sender<Result<Written, StoreError>>,
}

/// What ingesting one document did.
#[derive(Debug, Default)]
pub struct Ingested {
    /// Where its articles are.
    pub written: Written,
    /// Its dead letters (as stored).
    pub dead_letters: Vec<DeadLetter>,
}

struct Inner {
    pipeline: Arc<Pipeline>,
    store: Arc<dyn Store>,
    plugins: Vec<PluginInfo>,
    writes: mpsc::Sender<WriteJob>,
    latest: watch::Receiver<u64>,
    draining: watch::Sender<bool>,
    /// Documents for the pipeline workers (bounded: a sender waits while
    /// every worker is busy and the queue is full).
    pipeline_jobs: mpsc::Sender<PipelineJob>,
    /// Calls for the store threads.
    store_calls: mpsc::Sender<StoreCall>,
    /// Documents sent to the pipeline workers and not yet back: the writer
    /// waits for more only while this is not zero.
    in_pipeline: Arc<AtomicUsize>,
    live: Arc<LiveCache>,
    subscribers: AtomicU32,
    options: EngineOptions,
}

/// The shared engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.inner.store)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Counts a live subscriber while it exists.
#[derive(Debug)]
pub struct SubscriberGuard(Engine);

impl Drop for SubscriberGuard {
    fn drop(&mut self) {
        self.0.inner.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Engine {
    /// Starts the writer, the pipeline workers and the store threads.
    /// `plugins` is what the catalog found.
    pub fn start(
        pipeline: Pipeline,
        store: Arc<dyn Store>,
        plugins: Vec<PluginInfo>,
        options: EngineOptions,
    ) -> Result<Self, ServiceError> {
        let bounds = store.bounds()?;
        let (latest_tx, latest) = watch::channel(bounds.next);
        let (writes, jobs) = mpsc::channel(options.write_queue.max(1));
        let writer_store = Arc::clone(&store);
        let batch_max = options.write_batch.max(1);
        let live = Arc::new(LiveCache {
            capacity: options.live_cache,
            entries: RwLock::new(VecDeque::new()),
        });
        let writer_live = Arc::clone(&live);
        let in_pipeline = Arc::new(AtomicUsize::new(0));
        let grouping = Grouping {
            batch_max,
            delay: options.commit_delay,
            in_pipeline: Arc::clone(&in_pipeline),
        };
        std::thread::Builder::new()
            .name("akhbar-writer".into())
            .spawn(move || writer(writer_store, jobs, latest_tx, writer_live, grouping))
            .map_err(|e| ServiceError::Internal(format!("cannot start the writer: {e}")))?;
        let pipeline = Arc::new(pipeline);
        let workers = options.workers.max(1);
        // Room for a batch per worker: documents that arrive while the
        // workers are busy are then run together, stage by stage (see
        // `Pipeline::process_batch`); a lone document still goes at once.
        let (pipeline_jobs, queue) = mpsc::channel(workers * BATCH_DOCUMENTS);
        let worker_pipeline = Arc::clone(&pipeline);
        spawn_pool(
            "akhbar-worker",
            workers,
            BATCH_DOCUMENTS,
            queue,
            move |jobs: Vec<PipelineJob>| {
                // Those whose client is gone: nobody waits for that work.
                let (raws, replies): (Vec<RawDocument>, Vec<_>) = jobs
                    .into_iter()
                    .filter(|job| !job.reply.is_closed())
                    .map(|job| (job.raw, job.reply))
                    .unzip();
                for (reply, outcome) in replies
                    .into_iter()
                    .zip(worker_pipeline.process_batch(&raws))
                {
                    let _ = reply.send(outcome);
                }
            },
        )?;
        // Bounded like the pipeline's queue: a caller waits while the store
        // threads are behind.
        let (store_calls, calls) = mpsc::channel::<StoreCall>(64);
        let call_store = Arc::clone(&store);
        spawn_pool(
            "akhbar-store",
            options.store_threads,
            1,
            calls,
            move |calls: Vec<StoreCall>| {
                for call in calls {
                    call(call_store.as_ref());
                }
            },
        )?;
        Ok(Engine {
            inner: Arc::new(Inner {
                pipeline,
                store_calls,
                store,
                plugins,
                writes,
                latest,
                draining: watch::Sender::new(false),
                pipeline_jobs,
                in_pipeline,
                live,
                subscribers: AtomicU32::new(0),
                options,
            }),
        })
    }

    /// The running pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.inner.pipeline
    }

    /// The plugins the catalog found.
    pub fn plugins(&self) -> &[PluginInfo] {
        &self.inner.plugins
    }

    /// The library files the catalog refused, with the reason.
    pub fn refused_plugins(&self) -> &[(std::path::PathBuf, String)] {
        &self.inner.options.refused_plugins
    }

    /// Runs a store call on a store thread.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (reply, answer) = oneshot::channel();
        let call: StoreCall = Box::new(move |store| {
            let _ = reply.send(f(store));
        });
        self.inner
            .store_calls
            .send(call)
            .await
            .map_err(|_| ServiceError::ShuttingDown)?;
        Ok(answer
            .await
            .map_err(|_| ServiceError::Internal("a store call panicked".into()))??)
    }

    /// The offsets kept.
    pub async fn bounds(&self) -> Result<LogBounds, ServiceError> {
        self.with_store(|s| s.bounds()).await
    }

    /// Runs the pipeline on one document (on a pipeline worker, waiting
    /// while all are busy).
    pub async fn process(&self, mut raw: RawDocument) -> Result<Outcome, ServiceError> {
        if raw.content.len() > self.inner.options.max_document_bytes {
            return Err(ServiceError::TooLarge {
                size: raw.content.len(),
                limit: self.inner.options.max_document_bytes,
            });
        }
        if raw.received_at.is_none() {
            raw.received_at = Some(now());
        }
        let (reply, outcome) = oneshot::channel();
        // Counted until its outcome is back (or this call is dropped): the
        // writer waits for company only while documents are in flight.
        let _in_pipeline = InPipeline::enter(&self.inner.in_pipeline);
        self.inner
            .pipeline_jobs
            .send(PipelineJob { raw, reply })
            .await
            .map_err(|_| ServiceError::ShuttingDown)?;
        outcome
            .await
            .map_err(|_| ServiceError::Internal("the pipeline panicked".into()))
    }

    /// Stores a batch; returns once it is durable.
    pub async fn write(&self, batch: WriteBatch) -> Result<Written, ServiceError> {
        self.submit(batch).await?.await
    }

    /// Queues a batch for the writer (waiting while the queue is full) and
    /// returns a future of its result. Batches are committed in the order
    /// they were submitted.
    pub async fn submit(
        &self,
        batch: WriteBatch,
    ) -> Result<impl Future<Output = Result<Written, ServiceError>> + Send + 'static, ServiceError>
    {
        let (reply, answer) = oneshot::channel();
        self.inner
            .writes
            .send(WriteJob { batch, reply })
            .await
            .map_err(|_| ServiceError::ShuttingDown)?;
        Ok(async move { Ok(answer.await.map_err(|_| ServiceError::ShuttingDown)??) })
    }

    /// Processes a document and stores its articles and dead letters.
    pub async fn ingest(&self, raw: RawDocument) -> Result<Ingested, ServiceError> {
        let outcome = self.process(raw).await?;
        let dead_letters = outcome.dead_letters.clone();
        let written = self
            .write(WriteBatch {
                articles: outcome.articles,
                dead_letters: outcome.dead_letters,
                resolved_dead_letters: Vec::new(),
            })
            .await?;
        Ok(Ingested {
            written,
            dead_letters,
        })
    }

    /// Watches the next offset this process's writer will give (it changes
    /// after every commit).
    pub fn latest(&self) -> watch::Receiver<u64> {
        self.inner.latest.clone()
    }

    /// Watches the draining flag.
    pub fn draining(&self) -> watch::Receiver<bool> {
        self.inner.draining.subscribe()
    }

    /// True once shutdown began.
    pub fn is_draining(&self) -> bool {
        *self.inner.draining.borrow()
    }

    /// Begins the shutdown: streams stop taking work and close.
    pub fn drain(&self) {
        self.inner.draining.send_replace(true);
    }

    /// Counts a subscriber until the guard drops.
    pub fn subscriber(&self) -> SubscriberGuard {
        self.inner.subscribers.fetch_add(1, Ordering::Relaxed);
        SubscriberGuard(self.clone())
    }

    /// Live subscribers.
    pub fn subscribers(&self) -> u32 {
        self.inner.subscribers.load(Ordering::Relaxed)
    }

    /// Like [`Engine::read`], each article as its protobuf encoding (what a
    /// Subscribe stream sends): from the live cache when it has `from`,
    /// else from the store, without decoding.
    pub async fn read_encoded(
        &self,
        from: u64,
        max: usize,
    ) -> Result<Vec<(u64, StoredArticle)>, ServiceError> {
        let cached = self.inner.live.read(from, max);
        if !cached.is_empty() {
            return Ok(cached);
        }
        self.with_store(move |s| s.read_encoded(from, max)).await
    }
}

/// How the writer groups documents into commits.
struct Grouping {
    /// Most documents in one commit.
    batch_max: usize,
    /// How long to wait for more while `in_pipeline` is not zero.
    delay: Duration,
    /// Documents in the pipeline (see [`Engine::process`]).
    in_pipeline: Arc<AtomicUsize>,
}

/// Group commit: takes every job waiting (up to `batch_max` documents),
/// commits them in one durable transaction, then answers each.
fn writer(
    store: Arc<dyn Store>,
    mut jobs: mpsc::Receiver<WriteJob>,
    latest: watch::Sender<u64>,
    live: Arc<LiveCache>,
    grouping: Grouping,
) {
    let Grouping {
        batch_max,
        delay,
        in_pipeline,
    } = grouping;
    while let Some(first) = jobs.blocking_recv() {
        // More documents are on their way: let them join this commit (a
        // lone document is committed at once).
        if !delay.is_zero() && in_pipeline.load(Ordering::Relaxed) > 0 {
            std::thread::sleep(delay);
        }
        let mut group = vec![first];
        while group.len() < batch_max {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }

        let mut batch = WriteBatch::default();
        let mut counts = Vec::with_capacity(group.len());
        for job in &mut group {
            counts.push((job.batch.articles.len(), job.batch.dead_letters.len()));
            batch.articles.append(&mut job.batch.articles);
            batch.dead_letters.append(&mut job.batch.dead_letters);
            batch
                .resolved_dead_letters
                .append(&mut job.batch.resolved_dead_letters);
        }
        match store.write(&batch) {
            Ok(mut written) => {
                if live.capacity > 0 {
                    // The store's own encoding when it gives it (no second
                    // encoding of each article on the writer's thread).
                    let fresh = if written.encoded.is_empty() {
                        batch
                            .articles
                            .iter()
                            .zip(&written.articles)
                            .filter(|(_, appended)| !appended.duplicate)
                            .map(|(article, appended)| {
                                let encoded = Bytes::from(article.bytes().to_vec());
                                (appended.offset, StoredArticle::Plain(encoded))
                            })
                            .collect()
                    } else {
                        std::mem::take(&mut written.encoded)
                    };
                    live.push(fresh);
                }
                if let Ok(bounds) = store.bounds() {
                    latest.send_if_modified(|next| {
                        let changed = *next != bounds.next;
                        *next = bounds.next;
                        changed
                    });
                }
                let mut articles = written.articles.into_iter();
                let mut keys = written.dead_letter_keys.into_iter();
                for (job, (n_articles, n_dead)) in group.into_iter().zip(counts) {
                    let _ = job.reply.send(Ok(Written {
                        articles: articles.by_ref().take(n_articles).collect(),
                        dead_letter_keys: keys.by_ref().take(n_dead).collect(),
                        encoded: Vec::new(),
                    }));
                }
            }
            Err(e) => {
                tracing::error!("store write failed: {e}");
                let message = e.to_string();
                for job in group {
                    let _ = job.reply.send(Err(StoreError::Backend(message.clone())));
                }
            }
        }
    }
}

/// Now as a protobuf timestamp.
pub fn now() -> akhbar_proto::Timestamp {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    akhbar_proto::Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(since.subsec_nanos()).unwrap_or(0),
    }
}

/// Resolves once `draining` turns true (holds no lock when it does).
pub async fn drained(draining: &mut watch::Receiver<bool>) {
    let _ = draining.wait_for(|d| *d).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(capacity: usize) -> LiveCache {
        LiveCache {
            capacity,
            entries: RwLock::new(VecDeque::new()),
        }
    }

    fn offsets(items: &[(u64, StoredArticle)]) -> Vec<u64> {
        items.iter().map(|(o, _)| *o).collect()
    }

    #[test]
    fn the_live_cache_serves_consecutive_offsets_only() {
        let live = cache(4);
        live.push(
            (0..6)
                .map(|o| (o, StoredArticle::Plain(Bytes::new())))
                .collect(),
        );
        assert_eq!(offsets(&live.read(0, 10)), Vec::<u64>::new(), "evicted");
        assert_eq!(offsets(&live.read(3, 10)), [3, 4, 5]);
        assert_eq!(offsets(&live.read(2, 2)), [2, 3]);
        assert!(live.read(6, 10).is_empty());
        // Another writer took 6 and 7: the gap is read from the store.
        live.push(vec![(8, StoredArticle::Plain(Bytes::new()))]);
        assert_eq!(offsets(&live.read(4, 10)), [4, 5]);
        assert!(live.read(6, 10).is_empty());
        assert_eq!(offsets(&live.read(8, 10)), [8]);
        assert!(cache(0).read(0, 1).is_empty());
    }
}
