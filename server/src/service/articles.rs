//! `akhbar.v1.Articles`: Subscribe (replay from a cursor, then live) and Get.
//!
//! A subscriber is a task that reads the store from its cursor in batches and
//! sends into its own bounded channel. When the client is slow the channel
//! fills and the task simply waits: it holds at most one batch plus the
//! channel, and it never slows the writer or the other subscribers, because
//! everything it needs is in the store. When it has caught up it waits for
//! the writer's "latest offset" notice (or a short poll, for writers in other
//! processes), then reads again.

use std::pin::Pin;
use std::sync::Arc;

use akhbar_core::Article;
use akhbar_core::store::StoreError;
use akhbar_proto::v1::articles_server::Articles;
use akhbar_proto::v1::subscribe_request::Start;
use akhbar_proto::v1::{
    ArticleFilter, GetArticleRequest, GetArticleResponse, SubscribeRequest, SubscribeResponse,
};
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
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

/// Sends `item`, unless the client left or the server drains first.
/// Returns false when the stream is over.
async fn send(
    tx: &mpsc::Sender<Result<SubscribeResponse, Status>>,
    draining: &mut tokio::sync::watch::Receiver<bool>,
    item: Result<SubscribeResponse, Status>,
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
    tx: mpsc::Sender<Result<SubscribeResponse, Status>>,
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
            None => (false, engine.read_shared(cursor, READ_BATCH).await),
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
                    engine.read_shared(next, READ_BATCH).await
                }));
            }
            for (offset, article) in batch {
                cursor = offset + 1;
                if !filter.matches(&article) {
                    continue;
                }
                let article = Arc::try_unwrap(article).unwrap_or_else(|shared| (*shared).clone());
                let item = Ok(SubscribeResponse {
                    offset,
                    article: Some(article),
                });
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

#[tonic::async_trait]
impl Articles for ArticlesService {
    type SubscribeStream = ArticleStream;

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use akhbar_proto::v1::{Entity, Keyword};

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
