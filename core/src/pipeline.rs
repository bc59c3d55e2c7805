//! The pipeline: one source, then normalizers, then enrichers, in order.
//! A stage's failure on one document becomes a dead letter naming the
//! document, the stage and the plugin; the other documents go on.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use akhbar_plugin_sdk::PluginError;
use akhbar_proto::{text_decode, wire_check};
use prost::Message;

use crate::config::StageConfig;
use crate::host::{
    AvailablePlugin, PluginCatalog, PluginInfo, PluginKind, PluginOrigin, StageImpl,
};
use crate::proto::{Article, DeadLetter, Provenance, RawDocument};
use crate::{EncodedArticle, Error, PipelineConfig, article, wire};

/// Counters of one stage, safe to read while the pipeline runs.
#[derive(Debug, Default)]
pub struct StageStats {
    /// Documents handed to the stage.
    pub documents_in: AtomicU64,
    /// Documents (articles) that came out.
    pub documents_out: AtomicU64,
    /// Failures and rejections.
    pub errors: AtomicU64,
    /// Calls that ran over the stage's time budget (also counted in `errors`).
    pub timeouts: AtomicU64,
    /// Time spent in the stage, in nanoseconds.
    pub nanos: AtomicU64,
}

/// One configured stage.
#[derive(Debug)]
pub struct Stage {
    /// The plugin behind it.
    pub info: PluginInfo,
    imp: StageImpl,
    timeout: Option<Duration>,
    /// Its counters.
    pub stats: StageStats,
}

/// What one input became.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Finished articles, encoded (see [`EncodedArticle`]).
    pub articles: Vec<EncodedArticle>,
    /// Documents that a stage could not handle.
    pub dead_letters: Vec<DeadLetter>,
}

impl Outcome {
    /// The finished articles, decoded.
    pub fn decoded_articles(&self) -> Result<Vec<Article>, prost::DecodeError> {
        self.articles.iter().map(EncodedArticle::decode).collect()
    }
}

/// How many documents a batch job hands [`Pipeline::process_batch`] at a
/// time, at most. Why batches: stage by stage, each plugin's code and
/// tables stay in the CPU's caches from one document to the next. On the
/// default pipeline and seed-sized pages, batches of 32 took 10–15 % less
/// CPU than one document at a time (and the plugin boundary's share fell by
/// a few points, its copies being cheaper hot); larger batches gained no
/// more.
pub const BATCH_DOCUMENTS: usize = 32;

/// A batch holds at most this many bytes of input (a larger document goes
/// alone), so that a batch of large pages does not hold many of them in
/// memory at once.
pub const BATCH_BYTES: usize = 4 << 20;

/// A built pipeline, shareable across threads.
#[derive(Debug)]
pub struct Pipeline {
    source: Stage,
    normalizers: Vec<Stage>,
    enrichers: Vec<Stage>,
}

fn build_stage(
    catalog: &mut PluginCatalog,
    config: &StageConfig,
    kind: PluginKind,
) -> Result<Stage, Error> {
    let plugin: AvailablePlugin = match &config.path {
        Some(path) => {
            if let Some(pin) = &config.sha256 {
                crate::host::check_pin(path, pin)?;
            }
            let plugin = AvailablePlugin::load_library(path)?;
            if plugin.info.name != config.plugin || plugin.info.kind != kind {
                return Err(Error::Config(format!(
                    "{} provides the {} `{}`, but the config asks for the {kind} `{}`",
                    path.display(),
                    plugin.info.kind,
                    plugin.info.name,
                    config.plugin
                )));
            }
            catalog.add(plugin.clone());
            plugin
        }
        None => {
            let plugin = catalog.find(&config.plugin, kind)?.clone();
            if let (Some(pin), PluginOrigin::Library(path)) = (&config.sha256, &plugin.info.origin)
            {
                crate::host::check_pin(path, pin)?;
            }
            plugin
        }
    };
    let imp = plugin
        .instantiate(&config.config_json())
        .map_err(|e| Error::PluginConfig {
            plugin: config.plugin.clone(),
            reason: e.message().to_owned(),
        })?;
    Ok(Stage {
        info: plugin.info.clone(),
        imp,
        timeout: config.timeout_ms.map(Duration::from_millis),
        stats: StageStats::default(),
    })
}

/// Runs `f`, turning a panic into an error (statically linked plugins do not
/// cross the C boundary that would otherwise catch it).
fn guarded<T>(plugin: &str, f: impl FnOnce() -> Result<T, PluginError>) -> Result<T, PluginError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(PluginError::failed(format!(
            "plugin {plugin} panicked: {detail}"
        )))
    })
}

impl Pipeline {
    /// Builds the stages named in `config` from `catalog`.
    pub fn build(config: &PipelineConfig, catalog: &mut PluginCatalog) -> Result<Self, Error> {
        let source = build_stage(catalog, &config.source, PluginKind::Source)?;
        let normalizers = config
            .normalizers
            .iter()
            .map(|s| build_stage(catalog, s, PluginKind::Normalizer))
            .collect::<Result<_, _>>()?;
        let enrichers = config
            .enrichers
            .iter()
            .map(|s| build_stage(catalog, s, PluginKind::Enricher))
            .collect::<Result<_, _>>()?;
        Ok(Pipeline {
            source,
            normalizers,
            enrichers,
        })
    }

    /// The stages in the order they run.
    pub fn stages(&self) -> impl Iterator<Item = &Stage> {
        std::iter::once(&self.source)
            .chain(&self.normalizers)
            .chain(&self.enrichers)
    }

    /// Runs one input through every stage.
    pub fn process(&self, raw: RawDocument) -> Outcome {
        self.process_batch(std::slice::from_ref(&raw))
            .pop()
            .unwrap_or_default()
    }

    /// Runs several inputs through every stage, stage by stage: each stage
    /// takes every document of the batch before the next stage starts, so
    /// that its code and tables stay in the CPU's caches from one document
    /// to the next. The outcomes are in input order, and each is what
    /// [`Pipeline::process`] gives for that input alone.
    pub fn process_batch(&self, raws: &[RawDocument]) -> Vec<Outcome> {
        let mut outcomes: Vec<Outcome> = raws.iter().map(|_| Outcome::default()).collect();
        let mut fail = |input: usize, (stage, error): (&Stage, PluginError)| {
            outcomes[input]
                .dead_letters
                .push(dead_letter(&raws[input], stage, &error));
        };
        let mut flying: Vec<InFlight<'_>> = Vec::with_capacity(raws.len());
        for (input, raw) in raws.iter().enumerate() {
            match self.source_drafts(raw) {
                Ok(drafts) => flying.extend(drafts.into_iter().map(|doc| InFlight {
                    input,
                    doc,
                    producer: &self.source,
                    aside: None,
                })),
                Err(e) => fail(input, (&self.source, e)),
            }
        }
        for stage in &self.normalizers {
            flying = run_all(stage, flying, &mut fail);
        }
        flying = flying
            .into_iter()
            .filter_map(|f| match self.set_aside(f.doc, f.producer) {
                Ok((doc, aside)) => Some(InFlight {
                    doc,
                    aside: Some(aside),
                    ..f
                }),
                Err(blame) => {
                    fail(f.input, blame);
                    None
                }
            })
            .collect();
        for stage in &self.enrichers {
            flying = run_all(stage, flying, &mut fail);
        }
        let mut finished = Vec::with_capacity(flying.len());
        for f in flying {
            let aside = f.aside.expect("set aside before the enrichers");
            match put_back(f.doc, aside, f.producer) {
                Ok(article) => finished.push((f.input, article)),
                Err(blame) => fail(f.input, blame),
            }
        }
        for (input, article) in finished {
            outcomes[input].articles.push(article);
        }
        outcomes
    }

    /// The source's drafts of `raw`, with the source's counters moved.
    fn source_drafts(&self, raw: &RawDocument) -> Result<Vec<Doc>, PluginError> {
        let started = Instant::now();
        let stats = &self.source.stats;
        stats.documents_in.fetch_add(1, Ordering::Relaxed);
        let decoded = self.decode_source(raw);
        stats
            .nanos
            .fetch_add(elapsed_nanos(started), Ordering::Relaxed);
        match decoded {
            Ok(drafts) => {
                stats
                    .documents_out
                    .fetch_add(drafts.len() as u64, Ordering::Relaxed);
                Ok(drafts)
            }
            Err(e) => {
                stats.errors.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Finishes a normalized article (id, hash, body, counts) and sets aside
    /// what the enrichers do not read: its history and its body (the
    /// paragraphs joined). Holding both back keeps the bytes that cross
    /// each plugin boundary small (the history can be long, and the body is
    /// a second copy of the text); they are put back at the end. A library
    /// normalizer's bytes are checked and finished on the wire (see
    /// `wire`), and never decoded by the host.
    fn set_aside<'a>(
        &'a self,
        doc: Doc,
        producer: &'a Stage,
    ) -> Result<(Doc, Aside), (&'a Stage, PluginError)> {
        let mut article = match doc {
            Doc::Article(article) => article,
            Doc::Bytes(bytes) => match wire::finish(&bytes) {
                Ok(Some(split)) => {
                    let aside = Aside::Wire {
                        id: split.id,
                        history: split.history,
                        body: split.body,
                    };
                    return Ok((Doc::Bytes(split.for_enrichers), aside));
                }
                Ok(None) => return Err((producer, nothing_left())),
                Err(e) => return Err(not_an_article(producer, e)),
            },
        };
        if article.paragraphs.iter().all(|p| p.text.trim().is_empty()) {
            return Err((producer, nothing_left()));
        }
        article::finish(&mut article);
        let history = std::mem::take(&mut article.provenance);
        let body = std::mem::take(&mut article.body);
        Ok((Doc::Article(article), Aside::Typed { history, body }))
    }

    /// The source's drafts, with what it left out taken from `raw`: the
    /// URI, the site, the time received. A library's drafts stay bytes.
    fn decode_source(&self, raw: &RawDocument) -> Result<Vec<Doc>, PluginError> {
        if let StageImpl::Library(library) = &self.source.imp {
            let input = raw.encode_to_vec();
            let library = Arc::clone(library);
            let batch = call(&self.source, move || library.call(&input))?;
            let not_a_batch = |e: prost::DecodeError| {
                PluginError::failed(format!(
                    "plugin {} returned bytes that are not an akhbar.v1.ArticleBatch ({e})",
                    self.source.info.name
                ))
            };
            return wire::batch_articles(&batch)
                .map_err(not_a_batch)?
                .into_iter()
                .map(|draft| {
                    wire::complete_draft(draft, raw)
                        .map(Doc::Bytes)
                        .map_err(not_a_batch)
                })
                .collect();
        }
        let source = self.source.imp.source().expect("built as a source");
        let input = raw.clone();
        let drafts = call(&self.source, move || source.decode(input))?;
        Ok(drafts
            .into_iter()
            .map(|mut draft| {
                if draft.source_uri.is_empty() {
                    draft.source_uri.clone_from(&raw.source_uri);
                }
                if draft.site.is_empty() {
                    draft.site = article::site_of(&draft.source_uri);
                }
                if draft.received_at.is_none() {
                    draft.received_at = raw.received_at;
                }
                Doc::Article(draft)
            })
            .collect())
    }
}

/// A document in a batch, between two stages.
struct InFlight<'a> {
    /// Its input's index in the batch.
    input: usize,
    doc: Doc,
    /// The stage that made `doc`, blamed when it does not decode.
    producer: &'a Stage,
    /// What was set aside for the enrichers' time.
    aside: Option<Aside>,
}

/// What an article's enrichers do not see: its history and its body.
enum Aside {
    /// Of an article the host holds decoded.
    Typed {
        history: Vec<Provenance>,
        body: String,
    },
    /// Of an article finished (and checked) on the wire: the history as it
    /// was encoded, and the article's id.
    Wire {
        id: String,
        history: Vec<u8>,
        body: String,
    },
}

/// Runs `stage` on every document of a batch; a failure becomes `fail`'s.
fn run_all<'a>(
    stage: &'a Stage,
    flying: Vec<InFlight<'a>>,
    fail: &mut impl FnMut(usize, (&'a Stage, PluginError)),
) -> Vec<InFlight<'a>> {
    flying
        .into_iter()
        .filter_map(|f| match run_stage(stage, f.doc, f.producer) {
            Ok(doc) => Some(InFlight {
                doc,
                producer: stage,
                ..f
            }),
            Err(blame) => {
                fail(f.input, blame);
                None
            }
        })
        .collect()
}

/// The enriched article with its history (the enrichers' records after
/// it) and body back, encoded; `last` is the stage that made `doc`.
fn put_back(doc: Doc, aside: Aside, last: &Stage) -> Result<EncodedArticle, (&Stage, PluginError)> {
    match aside {
        Aside::Typed { mut history, body } => {
            let mut article = doc.into_article(last)?;
            history.append(&mut article.provenance);
            article.provenance = history;
            article.body = body;
            Ok(EncodedArticle::new(&article))
        }
        // Every part was checked where it was made (the normalized article
        // in `set_aside`, each enrichment in `run_stage`), and protobuf
        // merges what is appended: the whole is an article, not decoded
        // again.
        Aside::Wire { id, history, body } => Ok(EncodedArticle::checked(
            id,
            wire::reassemble(&history, &doc.into_bytes(), &body),
        )),
    }
}

fn nothing_left() -> PluginError {
    PluginError::rejected("no article text is left after normalization")
}

/// An article between two stages: decoded, or the bytes a plugin library
/// returned, which go to the next library stage as they are (a library
/// decodes its input anyway, so the host need not decode and re-encode).
#[allow(
    clippy::large_enum_variant,
    reason = "one per document in flight, moved a few times; boxing would allocate per stage"
)]
enum Doc {
    Article(Article),
    Bytes(Vec<u8>),
}

impl Doc {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Doc::Article(article) => article.encode_to_vec(),
            Doc::Bytes(bytes) => bytes,
        }
    }

    /// The article; bytes that do not decode are `producer`'s fault.
    fn into_article(self, producer: &Stage) -> Result<Article, (&Stage, PluginError)> {
        match self {
            Doc::Article(article) => Ok(article),
            Doc::Bytes(bytes) => decode_output(producer, &bytes),
        }
    }
}

/// Decodes what `producer` returned. Bytes that are not an article are its
/// fault, found only now: its counters move the document from `out` to
/// `errors`.
fn decode_output<'a>(
    producer: &'a Stage,
    bytes: &[u8],
) -> Result<Article, (&'a Stage, PluginError)> {
    text_decode::article(bytes).map_err(|e| not_an_article(producer, e))
}

/// Like [`decode_output`], but only checks that the bytes decode.
fn check_output<'a>(producer: &'a Stage, bytes: &[u8]) -> Result<(), (&'a Stage, PluginError)> {
    wire_check::article(bytes).map_err(|e| not_an_article(producer, e))
}

/// The blame for bytes from `producer` that are not an article.
fn not_an_article(producer: &Stage, e: prost::DecodeError) -> (&Stage, PluginError) {
    producer.stats.documents_out.fetch_sub(1, Ordering::Relaxed);
    producer.stats.errors.fetch_add(1, Ordering::Relaxed);
    let error = PluginError::failed(format!(
        "plugin {} returned bytes that are not an akhbar.v1.Article ({e})",
        producer.info.name
    ));
    (producer, error)
}

/// Calls a stage, within its time budget when it has one. Over budget, the
/// call is abandoned to finish on its own thread and the document fails.
fn call<T: Send + 'static>(
    stage: &Stage,
    f: impl FnOnce() -> Result<T, PluginError> + Send + 'static,
) -> Result<T, PluginError> {
    let Some(budget) = stage.timeout else {
        return guarded(&stage.info.name, f);
    };
    let (done, result) = mpsc::sync_channel(1);
    let name = stage.info.name.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("akhbar-stage-{name}"))
        .spawn(move || {
            let _ = done.send(guarded(&name, f));
        });
    if let Err(e) = spawned {
        return Err(PluginError::failed(format!(
            "cannot start a thread for plugin {}: {e}",
            stage.info.name
        )));
    }
    result.recv_timeout(budget).unwrap_or_else(|_| {
        stage.stats.timeouts.fetch_add(1, Ordering::Relaxed);
        Err(PluginError::failed(format!(
            "timeout: plugin {} took longer than its budget of {} ms",
            stage.info.name,
            budget.as_millis()
        )))
    })
}

/// Runs a normalizer or enricher on `doc`, which `producer` made.
fn run_stage<'a>(
    stage: &'a Stage,
    doc: Doc,
    producer: &'a Stage,
) -> Result<Doc, (&'a Stage, PluginError)> {
    let started = Instant::now();
    stage.stats.documents_in.fetch_add(1, Ordering::Relaxed);
    let result = match &stage.imp {
        StageImpl::Library(library) => {
            let from_library = matches!(doc, Doc::Bytes(_));
            let input = Arc::new(doc.into_bytes());
            let (library, bytes) = (Arc::clone(library), Arc::clone(&input));
            match call(stage, move || library.call(&bytes)) {
                Ok(out) if stage.info.kind == PluginKind::Enricher => {
                    match check_enrichment(&out) {
                        Ok(()) => {
                            // Appending an Enrichment's bytes to an article's
                            // merges it into the article (see akhbar.proto).
                            let mut article = Arc::try_unwrap(input)
                                .unwrap_or_else(|shared| shared.as_ref().clone());
                            article.extend_from_slice(&out);
                            Ok(Doc::Bytes(article))
                        }
                        Err(reason) => Err((
                            stage,
                            PluginError::failed(format!(
                                "plugin {} returned bytes that are not an \
                                 akhbar.v1.Enrichment ({reason})",
                                stage.info.name
                            )),
                        )),
                    }
                }
                Ok(out) => Ok(Doc::Bytes(out)),
                // The input came straight from another library: if it does
                // not decode, that library is at fault, not this one.
                Err(e) if from_library => match check_output(producer, &input) {
                    Ok(()) => Err((stage, e)),
                    Err(blame) => Err(blame),
                },
                Err(e) => Err((stage, e)),
            }
        }
        imp => match doc.into_article(producer) {
            Err(blame) => Err(blame),
            Ok(article) => {
                let result = if let Some(normalizer) = imp.normalizer() {
                    call(stage, move || normalizer.normalize(article))
                } else {
                    let enricher = imp
                        .enricher()
                        .expect("built as a normalizer or an enricher");
                    call(stage, move || enricher.enriched(article))
                };
                result.map(Doc::Article).map_err(|e| (stage, e))
            }
        },
    };
    stage
        .stats
        .nanos
        .fetch_add(elapsed_nanos(started), Ordering::Relaxed);
    match &result {
        Ok(_) => stage.stats.documents_out.fetch_add(1, Ordering::Relaxed),
        Err((failed, _)) if std::ptr::eq(*failed, stage) => {
            stage.stats.errors.fetch_add(1, Ordering::Relaxed)
        }
        // Blamed on the producer, whose counters `not_an_article` moved.
        Err(_) => 0,
    };
    result
}

/// Checks that an enricher library's reply is an `Enrichment` and holds
/// only its fields: appended to the article, any other field would change
/// what the normalizers settled (its text, id or hash). Checked here, each
/// reply is blamed on the enricher that made it, and the finished article
/// needs no check of its own.
fn check_enrichment(bytes: &[u8]) -> Result<(), String> {
    use prost::encoding::{DecodeContext, decode_key, skip_field};
    let mut buf = bytes;
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf).map_err(|e| e.to_string())?;
        if !ENRICHMENT_FIELDS.contains(&tag) {
            return Err(format!(
                "field {tag} is not one an enricher may add to an article"
            ));
        }
        skip_field(wire_type, tag, &mut buf, DecodeContext::default())
            .map_err(|e| e.to_string())?;
    }
    wire_check::enrichment(bytes).map_err(|e| e.to_string())
}

/// The field numbers of `akhbar.v1.Enrichment` (the Article fields an
/// enricher may add to). A test checks them against the schema.
const ENRICHMENT_FIELDS: [u32; 13] = [7, 8, 9, 10, 11, 12, 14, 17, 18, 19, 21, 22, 23];

fn elapsed_nanos(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn dead_letter(raw: &RawDocument, stage: &Stage, error: &PluginError) -> DeadLetter {
    DeadLetter {
        source_uri: raw.source_uri.clone(),
        stage: stage.info.kind.to_string(),
        plugin: stage.info.name.clone(),
        reason: error.message().to_owned(),
        rejected: matches!(error, PluginError::Rejected(_)),
        at: raw.received_at,
        document: Some(raw.clone()),
    }
}

/// Appends a provenance record made by the pipeline itself.
pub fn pipeline_provenance(action: impl Into<String>) -> Provenance {
    Provenance {
        stage: "pipeline".into(),
        plugin: "akhbar".into(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        action: action.into(),
        details: Vec::new(),
    }
}

/// The folder of the running executable, where `cargo build` puts plugins.
pub fn default_plugin_dir() -> Option<PathBuf> {
    std::env::current_exe().ok()?.parent().map(|p| p.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Dateline, Enrichment, Entity, Keyword, MentionedDate, Paragraph};

    fn tags(bytes: &[u8]) -> Vec<u32> {
        let mut buf = bytes;
        let mut tags = Vec::new();
        while !buf.is_empty() {
            let (tag, wire_type) = prost::encoding::decode_key(&mut buf).unwrap();
            prost::encoding::skip_field(
                wire_type,
                tag,
                &mut buf,
                prost::encoding::DecodeContext::default(),
            )
            .unwrap();
            tags.push(tag);
        }
        tags
    }

    #[test]
    fn the_enrichment_field_list_matches_the_schema() {
        let full = Enrichment {
            language: "ar".into(),
            language_confidence: 0.5,
            published_at: Some(akhbar_plugin_sdk::Timestamp::default()),
            entities: vec![Entity::default()],
            keywords: vec![Keyword::default()],
            tags: vec!["t".into()],
            story_id: "s".into(),
            provenance: vec![Provenance::default()],
            dates: vec![MentionedDate::default()],
            dateline: Some(Dateline::default()),
            metadata: [("k".to_owned(), "v".to_owned())].into(),
            simhash: "f".into(),
            near_duplicate_of: "a".into(),
        };
        let bytes = full.encode_to_vec();
        assert_eq!(tags(&bytes), ENRICHMENT_FIELDS);
        assert_eq!(check_enrichment(&bytes), Ok(()));
    }

    #[test]
    fn an_enrichment_that_would_change_the_text_is_refused() {
        let text = Article {
            paragraphs: vec![Paragraph {
                text: "injected".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
        .encode_to_vec();
        let error = check_enrichment(&text).unwrap_err();
        assert!(error.contains("field 6"), "{error}");
        let id = Article {
            id: "forged".into(),
            ..Default::default()
        }
        .encode_to_vec();
        assert!(check_enrichment(&id).unwrap_err().contains("field 1"));
        assert!(check_enrichment(&[0xff, 0xff]).is_err());
    }
}
