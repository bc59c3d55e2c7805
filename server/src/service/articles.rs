//! `akhbar.v1.Articles`: Subscribe (replay from a cursor, then live) and Get.
//!
//! A subscriber is a task that reads the store from its cursor in batches and
//! sends into its own bounded channel. When the client is slow the channel
//! fills and the task simply waits: it holds at most one batch plus the
//! channel, and it never slows the writer or the other subscribers, because
//! everything it needs is in the store. When it has caught up it waits for
//! the writer's "latest offset" notice (or a short poll, for writers in other
//! processes), then reads again.
//!
//! Articles travel as the bytes the store keeps (or the live cache holds,
//! encoded once per article): a subscriber without a filter never decodes
//! or re-encodes one. The stream's messages are [`EncodedResponse`]s, which
//! encode exactly as `SubscribeResponse`s, served by [`ArticlesRoutes`]; a
//! filtered subscriber decodes each article to match it and still sends the
//! stored bytes.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;

use akhbar_core::Article;
use akhbar_core::store::StoreError;
use akhbar_proto::v1::articles_server::{Articles, ArticlesServer};
use akhbar_proto::v1::subscribe_request::Start;
use akhbar_proto::v1::{
    ArticleFilter, GetArticleRequest, GetArticleResponse, SubscribeRequest, SubscribeResponse,
};
use futures_util::{Stream, StreamExt};
use prost::Message as _;
use prost::bytes::{Buf, BufMut, Bytes};
use prost::encoding::{DecodeContext, WireType};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::{Body, BoxFuture, Context, Poll, Service, StdError, http};
use tonic::server::NamedService;
use tonic::{Request, Response, Status};

use super::engine::{Engine, drained};
use super::error::ServiceError;

/// Articles read from the store at a time, per subscriber.
const READ_BATCH: usize = 256;

/// The Articles service.
#[derive(Debug, Clone)]
pub struct ArticlesService {
    engine: Engine,
    buffer: usize,
    poll: std::time::Duration,
}

impl ArticlesService {
    /// `buffer`: messages queued per subscriber; `poll`: how often a caught-up
    /// subscriber re-reads the store without news from this process.
    pub fn new(engine: Engine, buffer: usize, poll: std::time::Duration) -> Self {
        ArticlesService {
            engine,
            buffer: buffer.max(1),
            poll,
        }
    }
}

/// A `SubscribeResponse` whose article is already encoded: the same bytes
/// on the wire (field 1 `offset`, field 2 `article`), without decoding and
/// re-encoding the article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedResponse {
    /// The article's offset.
    pub offset: u64,
    /// The encoded `akhbar.v1.Article`.
    pub article: Bytes,
}

impl prost::Message for EncodedResponse {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        if self.offset != 0 {
            prost::encoding::uint64::encode(1, &self.offset, buf);
        }
        // Always present, as `Some(article)` is.
        prost::encoding::bytes::encode(2, &self.article, buf);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        match tag {
            1 => prost::encoding::uint64::merge(wire_type, &mut self.offset, buf, ctx),
            2 => prost::encoding::bytes::merge(wire_type, &mut self.article, buf, ctx),
            _ => prost::encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        let offset = if self.offset != 0 {
            prost::encoding::uint64::encoded_len(1, &self.offset)
        } else {
            0
        };
        offset + prost::encoding::bytes::encoded_len(2, &self.article)
    }

    fn clear(&mut self) {
        *self = EncodedResponse::default();
    }
}

impl EncodedResponse {
    /// The decoded message.
    pub fn decode_response(&self) -> Result<SubscribeResponse, Status> {
        let article = Article::decode(self.article.as_ref()).map_err(|e| {
            Status::internal(format!("stored article {} is corrupt: {e}", self.offset))
        })?;
        Ok(SubscribeResponse {
            offset: self.offset,
            article: Some(article),
        })
    }
}

/// A filter prepared for matching.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    languages: Vec<String>,
    entities: Vec<String>,
    keywords: Vec<String>,
    sites: Vec<String>,
    story_ids: Vec<String>,
}

fn lowered(values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

impl Filter {
    /// From the request's filter.
    pub fn new(filter: Option<ArticleFilter>) -> Self {
        let f = filter.unwrap_or_default();
        Filter {
            languages: lowered(f.languages),
            entities: lowered(f.entities),
            keywords: lowered(f.keywords),
            sites: lowered(f.sites),
            story_ids: f.story_ids.into_iter().filter(|s| !s.is_empty()).collect(),
        }
    }

    /// No field is set: every article matches.
    pub fn is_empty(&self) -> bool {
        self.languages.is_empty()
            && self.entities.is_empty()
            && self.keywords.is_empty()
            && self.sites.is_empty()
            && self.story_ids.is_empty()
    }

    /// Every set field matches.
    pub fn matches(&self, article: &Article) -> bool {
        let language = article.language.to_lowercase();
        let language_ok = self.languages.is_empty()
            || self.languages.iter().any(|l| {
                language == *l
                    || language
                        .strip_prefix(l.as_str())
                        .is_some_and(|rest| rest.starts_with('-'))
            });
        let site = article.site.to_lowercase();
        let site_ok = self.sites.is_empty() || self.sites.contains(&site);
        let story_ok = self.story_ids.is_empty() || self.story_ids.contains(&article.story_id);
        let entity_ok = self.entities.is_empty()
            || article.entities.iter().any(|e| {
                [&e.canonical_id, &e.canonical_name, &e.text]
                    .iter()
                    .any(|v| !v.is_empty() && self.entities.contains(&v.to_lowercase()))
            });
        let keyword_ok = self.keywords.is_empty()
            || self.keywords.iter().any(|k| {
                article
                    .keywords
                    .iter()
                    .any(|kw| kw.text.to_lowercase() == *k)
                    || article.tags.iter().any(|t| t.to_lowercase() == *k)
                    || article.title.to_lowercase().contains(k.as_str())
                    || article.body.to_lowercase().contains(k.as_str())
            });
        language_ok && site_ok && story_ok && entity_ok && keyword_ok
    }
}

type ArticleStream = Pin<Box<dyn Stream<Item = Result<SubscribeResponse, Status>> + Send>>;
type EncodedStream = Pin<Box<dyn Stream<Item = Result<EncodedResponse, Status>> + Send>>;

/// Sends `item`, unless the client left or the server drains first.
/// Returns false when the stream is over.
async fn send(
    tx: &mpsc::Sender<Result<EncodedResponse, Status>>,
    draining: &mut tokio::sync::watch::Receiver<bool>,
    item: Result<EncodedResponse, Status>,
) -> bool {
    tokio::select! {
        sent = tx.send(item) => sent.is_ok(),
        () = drained(draining) => false,
    }
}

fn shutting_down(cursor: u64) -> Status {
    Status::unavailable(format!(
        "the server is shutting down; resubscribe with resume_from = {cursor}"
    ))
}

async fn run_subscriber(
    engine: Engine,
    mut cursor: u64,
    filter: Filter,
    until_caught_up: bool,
    poll: std::time::Duration,
    tx: mpsc::Sender<Result<EncodedResponse, Status>>,
) {
    let _guard = engine.subscriber();
    let mut latest = engine.latest();
    let mut draining = engine.draining();
    // The next full batch is read (and decoded) while this one is sent.
    let mut prefetch: Option<tokio::task::JoinHandle<Result<Vec<_>, ServiceError>>> = None;
    loop {
        if *draining.borrow() {
            let _ = tx.try_send(Err(shutting_down(cursor)));
            return;
        }
        latest.borrow_and_update();
        let (prefetched, read) = match prefetch.take() {
            Some(handle) => (true, handle.await.unwrap_or_else(|e| Err(e.into()))),
            None => (false, engine.read_encoded(cursor, READ_BATCH).await),
        };
        let batch = match read {
            Ok(batch) => batch,
            Err(e) => {
                let status = match e {
                    ServiceError::Store(StoreError::OutOfRange { first, .. }) => {
                        Status::out_of_range(format!(
                            "offset {cursor} is no longer kept (retention); the oldest kept is {first}"
                        ))
                    }
                    other => other.into(),
                };
                let _ = tx.send(Err(status)).await;
                return;
            }
        };
        if batch.is_empty() && prefetched {
            // Read before the latest notice was taken: read again.
            continue;
        }
        if !batch.is_empty() {
            if batch.len() == READ_BATCH {
                let next = batch[batch.len() - 1].0 + 1;
                let engine = engine.clone();
                prefetch = Some(tokio::spawn(async move {
                    engine.read_encoded(next, READ_BATCH).await
                }));
            }
            let everything = filter.is_empty();
            for (offset, article) in batch {
                cursor = offset + 1;
                if !everything {
                    match Article::decode(article.as_ref()) {
                        Ok(decoded) if filter.matches(&decoded) => {}
                        Ok(_) => continue,
                        Err(e) => {
                            let status = Status::internal(format!(
                                "stored article {offset} is corrupt: {e}"
                            ));
                            let _ = tx.send(Err(status)).await;
                            return;
                        }
                    }
                }
                let item = Ok(EncodedResponse { offset, article });
                if !send(&tx, &mut draining, item).await {
                    if *draining.borrow() {
                        let _ = tx.try_send(Err(shutting_down(cursor)));
                    }
                    return;
                }
            }
            continue;
        }
        if until_caught_up {
            return;
        }
        tokio::select! {
            _ = latest.changed() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = tx.closed() => return,
            () = drained(&mut draining) => {}
        }
    }
}

impl ArticlesService {
    /// Opens a Subscribe stream of encoded articles.
    pub async fn subscribe_encoded(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<EncodedStream>, Status> {
        if self.engine.is_draining() {
            return Err(ServiceError::ShuttingDown.into());
        }
        let request = request.into_inner();
        let bounds = self.engine.bounds().await?;
        let start = match request.start {
            None | Some(Start::FromBeginning(_)) => bounds.first,
            Some(Start::LiveOnly(_)) => bounds.next,
            Some(Start::ResumeFrom(offset)) => {
                if offset < bounds.first || offset > bounds.next {
                    return Err(ServiceError::Store(StoreError::OutOfRange {
                        requested: offset,
                        first: bounds.first,
                        next: bounds.next,
                    })
                    .into());
                }
                offset
            }
        };
        let (tx, rx) = mpsc::channel(self.buffer);
        tokio::spawn(run_subscriber(
            self.engine.clone(),
            start,
            Filter::new(request.filter),
            request.until_caught_up,
            self.poll,
            tx,
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

#[tonic::async_trait]
impl Articles for ArticlesService {
    type SubscribeStream = ArticleStream;

    /// The generated server's path (decodes each article; [`ArticlesRoutes`]
    /// serves Subscribe without that).
    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let stream = self.subscribe_encoded(request).await?.into_inner();
        Ok(Response::new(Box::pin(stream.map(|item| {
            item.and_then(|encoded| encoded.decode_response())
        }))))
    }

    async fn get(
        &self,
        request: Request<GetArticleRequest>,
    ) -> Result<Response<GetArticleResponse>, Status> {
        let id = request.into_inner().id;
        if id.is_empty() {
            return Err(ServiceError::Invalid("id is empty".into()).into());
        }
        let lookup = id.clone();
        let found = self.engine.with_store(move |s| s.get(&lookup)).await?;
        let (offset, article) =
            found.ok_or_else(|| ServiceError::NotFound(format!("no article with id {id}")))?;
        Ok(Response::new(GetArticleResponse {
            offset,
            article: Some(article),
        }))
    }
}

/// The Articles service as mounted: Subscribe with [`EncodedResponse`]
/// messages (the stored bytes, sent as they are), every other method by the
/// generated server.
#[derive(Debug, Clone)]
pub struct ArticlesRoutes {
    generated: ArticlesServer<ArticlesService>,
    service: Arc<ArticlesService>,
    max_message_bytes: usize,
}

impl ArticlesRoutes {
    /// Serves `service` with messages of at most `max_message_bytes` each way.
    pub fn new(service: ArticlesService, max_message_bytes: usize) -> Self {
        ArticlesRoutes {
            generated: ArticlesServer::new(service.clone())
                .max_decoding_message_size(max_message_bytes)
                .max_encoding_message_size(max_message_bytes),
            service: Arc::new(service),
            max_message_bytes,
        }
    }
}

impl NamedService for ArticlesRoutes {
    const NAME: &'static str = <ArticlesServer<ArticlesService> as NamedService>::NAME;
}

/// Subscribe's path.
const SUBSCRIBE: &str = "/akhbar.v1.Articles/Subscribe";

struct EncodedSubscribe(Arc<ArticlesService>);

impl tonic::server::ServerStreamingService<SubscribeRequest> for EncodedSubscribe {
    type Response = EncodedResponse;
    type ResponseStream = EncodedStream;
    type Future = BoxFuture<Response<EncodedStream>, Status>;

    fn call(&mut self, request: Request<SubscribeRequest>) -> Self::Future {
        let service = Arc::clone(&self.0);
        Box::pin(async move { service.subscribe_encoded(request).await })
    }
}

impl<B> Service<http::Request<B>> for ArticlesRoutes
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != SUBSCRIBE {
            return self.generated.call(request);
        }
        let service = Arc::clone(&self.service);
        let limit = self.max_message_bytes;
        Box::pin(async move {
            let codec = tonic_prost::ProstCodec::<EncodedResponse, SubscribeRequest>::default();
            let mut grpc = tonic::server::Grpc::new(codec)
                .apply_max_message_size_config(Some(limit), Some(limit));
            Ok(grpc
                .server_streaming(EncodedSubscribe(service), request)
                .await)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use akhbar_proto::v1::{Entity, Keyword};

    #[test]
    fn an_encoded_response_is_a_subscribe_response_on_the_wire() {
        let article = Article {
            id: "a".into(),
            body: "نص".into(),
            ..Default::default()
        };
        for (offset, article) in [
            (0, article.clone()),
            (300, article),
            (7, Article::default()),
        ] {
            let encoded = EncodedResponse {
                offset,
                article: Bytes::from(article.encode_to_vec()),
            };
            let expected = SubscribeResponse {
                offset,
                article: Some(article),
            };
            assert_eq!(encoded.encode_to_vec(), expected.encode_to_vec());
            assert_eq!(encoded.encoded_len(), expected.encoded_len());
            assert_eq!(encoded.decode_response().unwrap(), expected);
            assert_eq!(
                EncodedResponse::decode(expected.encode_to_vec().as_slice()).unwrap(),
                encoded
            );
        }
    }

    #[test]
    fn filter_fields_and_within_or() {
        let article = Article {
            language: "ar".into(),
            site: "Example.com".into(),
            title: "Summit in Doha".into(),
            entities: vec![Entity {
                text: "الدوحة".into(),
                canonical_id: "wikidata:Q3861".into(),
                ..Default::default()
            }],
            keywords: vec![Keyword {
                text: "قمة".into(),
                score: 1.0,
            }],
            ..Default::default()
        };
        let f = |filter: ArticleFilter| Filter::new(Some(filter)).matches(&article);
        assert!(f(ArticleFilter::default()));
        assert!(f(ArticleFilter {
            languages: vec!["en".into(), "AR".into()],
            sites: vec!["example.com".into()],
            ..Default::default()
        }));
        assert!(!f(ArticleFilter {
            languages: vec!["ar".into()],
            sites: vec!["other.org".into()],
            ..Default::default()
        }));
        assert!(f(ArticleFilter {
            entities: vec!["wikidata:Q3861".into()],
            ..Default::default()
        }));
        assert!(f(ArticleFilter {
            entities: vec!["الدوحة".into()],
            keywords: vec!["قمة".into()],
            ..Default::default()
        }));
        assert!(f(ArticleFilter {
            keywords: vec!["doha".into()],
            ..Default::default()
        }));
        assert!(!f(ArticleFilter {
            entities: vec!["wikidata:Q1".into()],
            ..Default::default()
        }));
    }
}
