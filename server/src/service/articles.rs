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
//! or re-encodes one. The store keeps articles zstd-compressed; a client
//! that accepts zstd (`grpc-accept-encoding`) gets each stored frame as it
//! is, as a compressed gRPC message ([`zstd_message`]); the others get the
//! decompressed encoding through tonic, as [`EncodedResponse`]s, which
//! encode exactly as `SubscribeResponse`s. Both are served by
//! [`ArticlesRoutes`]. A filtered subscriber decodes each article to match
//! it and still sends the stored bytes.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;

use akhbar_core::Article;
use akhbar_core::store::{StoreError, StoredArticle, decode_stored};
use akhbar_proto::v1::articles_server::{Articles, ArticlesServer};
use akhbar_proto::v1::subscribe_request::Start;
use akhbar_proto::v1::{
    ArticleFilter, GetArticleRequest, GetArticleResponse, SubscribeRequest, SubscribeResponse,
};
use futures_util::{Stream, StreamExt};
use prost::Message as _;
use prost::bytes::{Buf, BufMut, Bytes, BytesMut};
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

/// One message of a Subscribe stream with its article as stored.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// The article's offset.
    pub offset: u64,
    /// The article, compressed or not.
    pub article: StoredArticle,
}

type StoredStream = ReceiverStream<Result<StoredResponse, Status>>;

/// Sends `item`, unless the client left or the server drains first.
/// Returns false when the stream is over.
async fn send(
    tx: &mpsc::Sender<Result<StoredResponse, Status>>,
    draining: &mut tokio::sync::watch::Receiver<bool>,
    item: Result<StoredResponse, Status>,
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

/// What a subscriber's task does: read from the cursor, filter, send.
struct SubscriberTask {
    engine: Engine,
    cursor: u64,
    filter: Filter,
    until_caught_up: bool,
    poll: std::time::Duration,
    /// The client takes zstd frames as they are stored; otherwise the task
    /// decompresses (here, not on the connection's task).
    zstd: bool,
}

async fn run_subscriber(task: SubscriberTask, tx: mpsc::Sender<Result<StoredResponse, Status>>) {
    let SubscriberTask {
        engine,
        mut cursor,
        filter,
        until_caught_up,
        poll,
        zstd,
    } = task;
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
                // Decompressed at most once: for the filter, for a client
                // without zstd, or both.
                let compressed = matches!(article, StoredArticle::Zstd(_));
                let plain = if !everything || (compressed && !zstd) {
                    let matched = article.plain(offset).and_then(|plain| {
                        let keep = everything || filter.matches(&decode_stored(offset, &plain)?);
                        Ok(keep.then_some(plain))
                    });
                    match matched {
                        Ok(Some(plain)) => Some(plain),
                        Ok(None) => continue,
                        Err(e) => {
                            let _ = tx.send(Err(ServiceError::Store(e).into())).await;
                            return;
                        }
                    }
                } else {
                    None
                };
                let article = match plain {
                    Some(plain) if !zstd => StoredArticle::Plain(plain),
                    _ => article,
                };
                let item = Ok(StoredResponse { offset, article });
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
    /// Opens a Subscribe stream of decompressed encoded articles.
    pub async fn subscribe_encoded(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<EncodedStream>, Status> {
        let stream = self.subscribe_stored(request, false).await?.into_inner();
        Ok(Response::new(Box::pin(stream.map(|item| {
            let StoredResponse { offset, article } = item?;
            let article = article.plain(offset).map_err(ServiceError::Store)?;
            Ok(EncodedResponse { offset, article })
        }))))
    }

    /// Opens a Subscribe stream of articles as stored (`zstd`: left
    /// compressed when stored so).
    pub async fn subscribe_stored(
        &self,
        request: Request<SubscribeRequest>,
        zstd: bool,
    ) -> Result<Response<StoredStream>, Status> {
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
        let task = SubscriberTask {
            engine: self.engine.clone(),
            cursor: start,
            filter: Filter::new(request.filter),
            until_caught_up: request.until_caught_up,
            poll: self.poll,
            zstd,
        };
        tokio::spawn(run_subscriber(task, tx));
        Ok(Response::new(ReceiverStream::new(rx)))
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

/// Subscribe's codec: prost, with bigger chunks than tonic's default when
/// articles are ready faster than they are sent (a replay). Tonic hands the
/// HTTP/2 layer one chunk of encoded messages at a time and the HTTP/2 layer
/// writes each DATA frame with its own `writev`: at the default 32 KiB a
/// replay of ~20 KB articles costs a system call per article or two. A live
/// article is still sent at once: a chunk ends whenever no further message
/// is ready. (The zstd path, [`ZstdBody`], chunks the same way.)
#[derive(Debug, Clone, Copy)]
struct SubscribeCodec;

/// A chunk of a Subscribe stream ends past this many bytes.
const SUBSCRIBE_CHUNK_BYTES: usize = 256 * 1024;

impl tonic::codec::Codec for SubscribeCodec {
    type Encode = EncodedResponse;
    type Decode = SubscribeRequest;
    type Encoder = <tonic_prost::ProstCodec<EncodedResponse, SubscribeRequest> as tonic::codec::Codec>::Encoder;
    type Decoder = <tonic_prost::ProstCodec<EncodedResponse, SubscribeRequest> as tonic::codec::Codec>::Decoder;

    fn encoder(&mut self) -> Self::Encoder {
        tonic_prost::ProstCodec::<EncodedResponse, SubscribeRequest>::raw_encoder(
            tonic::codec::BufferSettings::new(64 * 1024, SUBSCRIBE_CHUNK_BYTES),
        )
    }

    fn decoder(&mut self) -> Self::Decoder {
        tonic_prost::ProstCodec::<EncodedResponse, SubscribeRequest>::default().decoder()
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
        if takes_zstd(request.headers()) {
            return Box::pin(async move { Ok(subscribe_zstd(service, request, limit).await) });
        }
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(SubscribeCodec)
                .apply_max_message_size_config(Some(limit), Some(limit));
            Ok(grpc
                .server_streaming(EncodedSubscribe(service), request)
                .await)
        })
    }
}

/// The client accepts zstd-compressed messages and sends its request
/// uncompressed (what tonic clients with `accept_compressed(Zstd)` do).
fn takes_zstd(headers: &http::HeaderMap) -> bool {
    !headers.contains_key("grpc-encoding")
        && headers
            .get_all("grpc-accept-encoding")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|encoding| encoding.trim() == "zstd")
}

/// Subscribe for a client that accepts zstd: the stored frames go out as
/// they are, as compressed gRPC messages. Tonic compresses messages itself
/// and has no way to send bytes compressed already, so this path frames the
/// response itself: the gRPC wire format is small (a flag, a length, the
/// message; trailers with the status) and the request is one plain message.
async fn subscribe_zstd<B>(
    service: Arc<ArticlesService>,
    request: http::Request<B>,
    limit: usize,
) -> http::Response<tonic::body::Body>
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    use tonic::codec::Codec as _;
    let (parts, body) = request.into_parts();
    // The request is read by tonic's own decoder (framing, size limit).
    let mut messages =
        tonic::codec::Streaming::new_request(SubscribeCodec.decoder(), body, None, Some(limit));
    let request = match messages.message().await {
        Ok(Some(request)) => request,
        Ok(None) => return Status::invalid_argument("the request holds no message").into_http(),
        Err(status) => return status.into_http(),
    };
    let request = Request::from_parts(
        tonic::metadata::MetadataMap::from_headers(parts.headers),
        parts.extensions,
        request,
    );
    let stream = match service.subscribe_stored(request, true).await {
        Ok(response) => response.into_inner(),
        Err(status) => return status.into_http(),
    };
    let mut response = http::Response::new(tonic::body::Body::new(ZstdBody {
        stream,
        limit,
        ending: None,
        done: false,
    }));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    headers.insert("grpc-encoding", http::HeaderValue::from_static("zstd"));
    response
}

/// A Subscribe response body for a zstd client: messages as they come,
/// several to a chunk while they are ready (like tonic's encoder), then the
/// status in trailers.
struct ZstdBody {
    stream: StoredStream,
    limit: usize,
    /// The status to end with, once the data before it went out.
    ending: Option<Status>,
    done: bool,
}

impl Body for ZstdBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(status) = this.ending.take() {
            this.done = true;
            let mut trailers = http::HeaderMap::new();
            if let Err(status) = status.add_header(&mut trailers) {
                return Poll::Ready(Some(Err(status)));
            }
            return Poll::Ready(Some(Ok(http_body::Frame::trailers(trailers))));
        }
        let mut chunk = BytesMut::new();
        while chunk.len() < SUBSCRIBE_CHUNK_BYTES {
            match this.stream.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(item))) => {
                    if let Err(status) = zstd_message(&mut chunk, &item, this.limit) {
                        this.ending = Some(status);
                        break;
                    }
                }
                Poll::Ready(Some(Err(status))) => {
                    this.ending = Some(status);
                    break;
                }
                Poll::Ready(None) => {
                    this.ending = Some(Status::ok(""));
                    break;
                }
                Poll::Pending if chunk.is_empty() => return Poll::Pending,
                Poll::Pending => break,
            }
        }
        if chunk.is_empty() {
            // Nothing to send before the status: end now.
            return Pin::new(this).poll_frame(cx);
        }
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk.freeze()))))
    }
}

/// Appends one Subscribe message to `out`: a zstd-compressed message when
/// the article is stored compressed (a small raw zstd frame with the
/// message's first fields, then the stored frame: concatenated frames
/// decompress to the concatenation), else a plain one.
fn zstd_message(out: &mut BytesMut, item: &StoredResponse, limit: usize) -> Result<(), Status> {
    let StoredArticle::Zstd(frame) = &item.article else {
        let message = EncodedResponse {
            offset: item.offset,
            article: item.article.stored().clone(),
        };
        let len = message.encoded_len();
        check_size(len, limit)?;
        out.put_u8(0);
        out.put_u32(len as u32);
        message.encode_raw(out);
        return Ok(());
    };
    let article_len = item
        .article
        .plain_len(item.offset)
        .map_err(ServiceError::Store)?;
    let mut head = Vec::with_capacity(24);
    if item.offset != 0 {
        prost::encoding::uint64::encode(1, &item.offset, &mut head);
    }
    prost::encoding::encode_key(2, WireType::LengthDelimited, &mut head);
    prost::encoding::encode_varint(article_len, &mut head);
    check_size(head.len() + article_len as usize, limit)?;
    let len = RAW_FRAME_OVERHEAD + head.len() + frame.len();
    out.put_u8(1);
    out.put_u32(len as u32);
    raw_zstd_frame(out, &head);
    out.put_slice(frame);
    Ok(())
}

fn check_size(len: usize, limit: usize) -> Result<(), Status> {
    if len > limit {
        return Err(Status::out_of_range(format!(
            "an article of {len} bytes is over the server's message limit ({limit})"
        )));
    }
    Ok(())
}

/// Bytes a [`raw_zstd_frame`] adds to its content.
const RAW_FRAME_OVERHEAD: usize = 9;

/// A zstd frame holding `content` (at most 255 bytes) uncompressed, per
/// RFC 8878: the magic number; a frame header descriptor with only
/// Single_Segment set, so one byte of content size follows and no window
/// descriptor; one block header (last block, raw, its size); the bytes.
fn raw_zstd_frame(out: &mut BytesMut, content: &[u8]) {
    debug_assert!(content.len() <= 255);
    out.put_slice(&[0x28, 0xb5, 0x2f, 0xfd, 0x20, content.len() as u8]);
    let block_header = 1 | (content.len() as u32) << 3;
    out.put_slice(&block_header.to_le_bytes()[..3]);
    out.put_slice(content);
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

    /// The message a zstd client gets decompresses to exactly the
    /// `SubscribeResponse` a plain client gets, for any offset (the raw
    /// frame's head holds a varint of one to ten bytes).
    #[test]
    fn a_zstd_message_decompresses_to_the_plain_message() {
        let article = Article {
            id: "a".into(),
            body: "قال الوزير إن التعاون سيتوسع. ".repeat(100),
            ..Default::default()
        };
        let plain = Bytes::from(article.encode_to_vec());
        let frame = Bytes::from(zstd::bulk::compress(&plain, 1).unwrap());
        for offset in [0, 1, 300, u64::MAX] {
            let expected = EncodedResponse {
                offset,
                article: plain.clone(),
            }
            .encode_to_vec();
            let mut out = BytesMut::new();
            let item = StoredResponse {
                offset,
                article: StoredArticle::Zstd(frame.clone()),
            };
            zstd_message(&mut out, &item, 1 << 20).unwrap();
            assert_eq!(out[0], 1, "flagged compressed");
            let len = u32::from_be_bytes(out[1..5].try_into().unwrap()) as usize;
            assert_eq!(out.len(), 5 + len);
            assert!(len < plain.len() / 5, "sent compressed: {len} bytes");
            let message = zstd::stream::decode_all(&out[5..]).unwrap();
            assert_eq!(message, expected, "offset {offset}");

            // Stored plain: sent plain.
            let mut out = BytesMut::new();
            let item = StoredResponse {
                offset,
                article: StoredArticle::Plain(plain.clone()),
            };
            zstd_message(&mut out, &item, 1 << 20).unwrap();
            assert_eq!(out[0], 0);
            assert_eq!(&out[5..], &expected[..]);
        }
        // Over the message limit: a status, not a message.
        let item = StoredResponse {
            offset: 1,
            article: StoredArticle::Zstd(frame),
        };
        let status = zstd_message(&mut BytesMut::new(), &item, 100).unwrap_err();
        assert_eq!(status.code(), tonic::Code::OutOfRange);
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
