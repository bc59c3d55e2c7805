//! `akhbar.v1.Ingest`: Process (dry run) and Push (acknowledged after storing).

use std::pin::Pin;

use akhbar_core::store::Appended;
use akhbar_proto::v1::ingest_server::Ingest;
use akhbar_proto::v1::{
    DeadLetter, ProcessRequest, ProcessResponse, PushAck, PushRequest, StoredArticle,
};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::engine::Engine;
use super::error::ServiceError;

/// The Ingest service.
#[derive(Debug, Clone)]
pub struct IngestService {
    engine: Engine,
    push_window: usize,
}

impl IngestService {
    /// Serves `engine`, with at most `push_window` documents in flight per stream.
    pub fn new(engine: Engine, push_window: usize) -> Self {
        IngestService {
            engine,
            push_window: push_window.max(1),
        }
    }
}

/// Converts where articles were stored.
pub fn stored(appended: Vec<Appended>) -> Vec<StoredArticle> {
    appended
        .into_iter()
        .map(|a| StoredArticle {
            id: a.id,
            offset: a.offset,
            duplicate: a.duplicate,
        })
        .collect()
}

/// A dead letter as told to a client: without the document's bytes (the
/// client has them; the store keeps them for re-drive).
pub fn without_content(mut letter: DeadLetter) -> DeadLetter {
    if let Some(doc) = letter.document.as_mut() {
        doc.content.clear();
    }
    letter
}

fn peer_uri<T>(request: &Request<T>) -> String {
    request
        .remote_addr()
        .map_or_else(|| "push".to_owned(), |addr| format!("push:{addr}"))
}

/// A document after the pipeline, before it is stored.
struct Processed {
    ack: PushAck,
    outcome: Option<akhbar_core::Outcome>,
}

async fn process_one(engine: Engine, sequence: u64, request: PushRequest, peer: &str) -> Processed {
    let mut ack = PushAck {
        sequence,
        client_ref: request.client_ref,
        ..Default::default()
    };
    let Some(mut document) = request.document else {
        ack.error = "the request has no document".into();
        return Processed { ack, outcome: None };
    };
    if document.source_uri.is_empty() {
        document.source_uri = peer.to_owned();
    }
    match engine.process(document).await {
        Ok(outcome) => Processed {
            ack,
            outcome: Some(outcome),
        },
        Err(e) => {
            ack.error = e.to_string();
            Processed { ack, outcome: None }
        }
    }
}

type Pending = BoxFuture<'static, PushAck>;

/// Hands a processed document to the writer (in stream order) and returns
/// the future of its acknowledgement.
async fn store_one(engine: &Engine, processed: Processed) -> Pending {
    let Processed { mut ack, outcome } = processed;
    let Some(outcome) = outcome else {
        return Box::pin(std::future::ready(ack));
    };
    let dead_letters: Vec<DeadLetter> = outcome
        .dead_letters
        .iter()
        .cloned()
        .map(without_content)
        .collect();
    let batch = akhbar_core::store::WriteBatch {
        articles: outcome.articles,
        dead_letters: outcome.dead_letters,
        resolved_dead_letters: Vec::new(),
    };
    match engine.submit(batch).await {
        Ok(written) => Box::pin(async move {
            match written.await {
                Ok(written) => {
                    ack.articles = stored(written.articles);
                    ack.dead_letters = dead_letters;
                }
                Err(e) => ack.error = e.to_string(),
            }
            ack
        }),
        Err(e) => {
            ack.error = e.to_string();
            Box::pin(std::future::ready(ack))
        }
    }
}

type AckStream = Pin<Box<dyn Stream<Item = Result<PushAck, Status>> + Send>>;

#[tonic::async_trait]
impl Ingest for IngestService {
    async fn process(
        &self,
        request: Request<ProcessRequest>,
    ) -> Result<Response<ProcessResponse>, Status> {
        let document = request
            .into_inner()
            .document
            .ok_or_else(|| ServiceError::Invalid("the request has no document".into()))?;
        let outcome = self.engine.process(document).await?;
        let articles = outcome.decoded_articles().map_err(|e| {
            ServiceError::Internal(format!("a finished article does not decode: {e}"))
        })?;
        Ok(Response::new(ProcessResponse {
            articles,
            dead_letters: outcome.dead_letters,
        }))
    }

    type PushStream = AckStream;

    async fn push(
        &self,
        request: Request<Streaming<PushRequest>>,
    ) -> Result<Response<Self::PushStream>, Status> {
        if self.engine.is_draining() {
            return Err(ServiceError::ShuttingDown.into());
        }
        let peer = peer_uri(&request);
        let inbound = request.into_inner();
        let engine = self.engine.clone();
        let window = self.push_window;
        let (tx, rx) = mpsc::channel(window);
        // Up to `window` documents are in the pipeline at once. They are
        // handed to the writer in stream order (so offsets follow the request
        // order), and acknowledged in that order once durable.
        let (pending_tx, mut pending_rx) = mpsc::channel::<Result<Pending, Status>>(window);
        let feeder_engine = engine.clone();
        tokio::spawn(async move {
            let engine = feeder_engine;
            let mut draining = engine.draining();
            let stop = async move {
                let _ = draining.wait_for(|d| *d).await;
            }
            .boxed();
            let process_engine = engine.clone();
            let processed = inbound
                .take_until(stop)
                .enumerate()
                .map(move |(sequence, request)| {
                    let engine = process_engine.clone();
                    let peer = peer.clone();
                    async move {
                        let request = request?;
                        Ok::<_, Status>(process_one(engine, sequence as u64, request, &peer).await)
                    }
                })
                .buffered(window);
            tokio::pin!(processed);
            while let Some(item) = processed.next().await {
                let item = match item {
                    Ok(processed) => Ok(store_one(&engine, processed).await),
                    Err(status) => Err(status),
                };
                let failed = item.is_err();
                if pending_tx.send(item).await.is_err() || failed {
                    return;
                }
            }
        });
        tokio::spawn(async move {
            while let Some(item) = pending_rx.recv().await {
                let item = match item {
                    Ok(pending) => Ok(pending.await),
                    Err(status) => Err(status),
                };
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    // The client went away (or its stream broke): stop at
                    // once; dropping `pending_rx` stops the feeder too.
                    return;
                }
            }
            if engine.is_draining() {
                let _ = tx
                    .send(Err(Status::unavailable(
                        "the server is shutting down; every acknowledged document is stored, resend the rest",
                    )))
                    .await;
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
