//! `akhbar.v1.Admin`: plugins, per-stage statistics, dead letters and re-drive.

use std::sync::atomic::Ordering;

use akhbar_core::store::WriteBatch;
use akhbar_core::{PluginKind, PluginOrigin};
use akhbar_proto::v1::admin_server::Admin;
use akhbar_proto::v1::{
    GetStatsRequest, GetStatsResponse, ListDeadLettersRequest, ListDeadLettersResponse,
    ListPluginsRequest, ListPluginsResponse, PluginDescription, RedriveDeadLettersRequest,
    RedriveDeadLettersResponse, RedriveResult, RefusedPlugin, StageStats, StoreStats,
    StoredDeadLetter,
};
use tonic::{Request, Response, Status};

use super::engine::Engine;
use super::ingest::{stored, without_content};

/// Dead letters listed when the request says 0.
const DEFAULT_LIMIT: usize = 100;

/// The Admin service.
#[derive(Debug, Clone)]
pub struct AdminService {
    engine: Engine,
}

impl AdminService {
    /// Serves `engine`.
    pub fn new(engine: Engine) -> Self {
        AdminService { engine }
    }

    async fn redrive_one(&self, key: u64) -> RedriveResult {
        let mut result = RedriveResult {
            key,
            ..Default::default()
        };
        let letter = match self.engine.with_store(move |s| s.dead_letter(key)).await {
            Ok(Some(letter)) => letter,
            Ok(None) => {
                result.error = format!("no dead letter with key {key}");
                return result;
            }
            Err(e) => {
                result.error = e.to_string();
                return result;
            }
        };
        let Some(document) = letter.document.clone() else {
            result.error = "the dead letter keeps no document to re-drive".into();
            return result;
        };
        let outcome = match self.engine.process(document).await {
            Ok(outcome) => outcome,
            Err(e) => {
                result.error = e.to_string();
                return result;
            }
        };
        if outcome.articles.is_empty() {
            // Failed again: keep it, with the new reason.
            let Some(mut again) = outcome.dead_letters.into_iter().next() else {
                result.error = "the pipeline produced nothing".into();
                return result;
            };
            result.error = again.reason.clone();
            if again.document.is_none() {
                again.document = letter.document;
            }
            if let Err(e) = self
                .engine
                .with_store(move |s| s.update_dead_letter(key, &again))
                .await
            {
                result.error = format!("{}; and cannot update it: {e}", result.error);
            }
            return result;
        }
        let batch = WriteBatch {
            articles: outcome.articles,
            dead_letters: outcome.dead_letters,
            resolved_dead_letters: vec![key],
        };
        match self.engine.write(batch).await {
            Ok(written) => result.articles = stored(written.articles),
            Err(e) => result.error = e.to_string(),
        }
        result
    }
}

fn kind_name(kind: PluginKind) -> String {
    kind.as_str().to_owned()
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn list_plugins(
        &self,
        _request: Request<ListPluginsRequest>,
    ) -> Result<Response<ListPluginsResponse>, Status> {
        let pipeline = self.engine.pipeline();
        let plugins = self
            .engine
            .plugins()
            .iter()
            .map(|info| PluginDescription {
                name: info.name.clone(),
                version: info.version.clone(),
                kind: kind_name(info.kind),
                path: match &info.origin {
                    PluginOrigin::Static => "(built in)".to_owned(),
                    PluginOrigin::Library(path) => path.display().to_string(),
                },
                abi_version: info.abi_version.unwrap_or(0),
                in_pipeline: pipeline
                    .stages()
                    .any(|s| s.info.name == info.name && s.info.kind == info.kind),
            })
            .collect();
        let refused = self
            .engine
            .refused_plugins()
            .iter()
            .map(|(path, reason)| RefusedPlugin {
                path: path.display().to_string(),
                reason: reason.clone(),
            })
            .collect();
        Ok(Response::new(ListPluginsResponse { plugins, refused }))
    }

    async fn get_stats(
        &self,
        _request: Request<GetStatsRequest>,
    ) -> Result<Response<GetStatsResponse>, Status> {
        let stages = self
            .engine
            .pipeline()
            .stages()
            .map(|stage| StageStats {
                plugin: stage.info.name.clone(),
                kind: kind_name(stage.info.kind),
                documents_in: stage.stats.documents_in.load(Ordering::Relaxed),
                documents_out: stage.stats.documents_out.load(Ordering::Relaxed),
                errors: stage.stats.errors.load(Ordering::Relaxed),
                timeouts: stage.stats.timeouts.load(Ordering::Relaxed),
                nanos: stage.stats.nanos.load(Ordering::Relaxed),
            })
            .collect();
        let store = self.engine.with_store(|s| s.stats()).await?;
        Ok(Response::new(GetStatsResponse {
            stages,
            store: Some(StoreStats {
                first_offset: store.bounds.first,
                next_offset: store.bounds.next,
                articles: store.articles,
                bytes: store.bytes,
                dead_letters: store.dead_letters,
            }),
            subscribers: self.engine.subscribers(),
            tasks: tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks() as u64,
        }))
    }

    async fn list_dead_letters(
        &self,
        request: Request<ListDeadLettersRequest>,
    ) -> Result<Response<ListDeadLettersResponse>, Status> {
        let request = request.into_inner();
        let limit = match request.limit {
            0 => DEFAULT_LIMIT,
            n => n as usize,
        };
        let after = request.after;
        let letters = self
            .engine
            .with_store(move |s| s.dead_letters(after, limit))
            .await?;
        Ok(Response::new(ListDeadLettersResponse {
            dead_letters: letters
                .into_iter()
                .map(|(key, letter)| StoredDeadLetter {
                    key,
                    dead_letter: Some(without_content(letter)),
                })
                .collect(),
        }))
    }

    async fn redrive_dead_letters(
        &self,
        request: Request<RedriveDeadLettersRequest>,
    ) -> Result<Response<RedriveDeadLettersResponse>, Status> {
        let mut keys = request.into_inner().keys;
        if keys.is_empty() {
            let mut after = 0;
            loop {
                let page = self
                    .engine
                    .with_store(move |s| s.dead_letters(after, 1000))
                    .await?;
                let Some(last) = page.last() else { break };
                after = last.0;
                keys.extend(page.iter().map(|(key, _)| *key));
            }
        }
        let mut results = Vec::with_capacity(keys.len());
        for key in keys {
            results.push(self.redrive_one(key).await);
        }
        Ok(Response::new(RedriveDeadLettersResponse { results }))
    }
}
