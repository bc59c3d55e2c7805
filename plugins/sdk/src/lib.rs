//! Write an [Akhbar](https://example.invalid/akhbar) plugin in ordinary safe Rust.
//!
//! This crate is small on purpose and changes rarely: it is the only thing a
//! plugin depends on. It holds the three stage traits ([`Source`],
//! [`Normalizer`], [`Enricher`]), the [`Plugin`] trait that names a plugin and
//! builds it from its JSON config, the `akhbar.v1` messages ([`proto`]), and
//! [`export_plugin!`], which writes the C entry table for you. No tokio, no
//! tonic, no libloading: a plugin never sees the server's types.
//!
//! # A complete plugin
//!
//! ```
//! use akhbar_plugin_sdk::{export_plugin, Config, Normalizer, Plugin, PluginError};
//! use akhbar_plugin_sdk::proto::Article;
//!
//! /// Upper-cases every paragraph (a toy, to show the shape).
//! pub struct Shout { suffix: String }
//!
//! #[derive(serde::Deserialize, Default)]
//! struct ShoutConfig { #[serde(default)] suffix: String }
//!
//! impl Plugin for Shout {
//!     const NAME: &'static str = "shout";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//!     fn new(config: &Config<'_>) -> Result<Self, PluginError> {
//!         let config: ShoutConfig = config.parse()?;
//!         Ok(Shout { suffix: config.suffix })
//!     }
//! }
//!
//! impl Normalizer for Shout {
//!     fn normalize(&self, mut article: Article) -> Result<Article, PluginError> {
//!         if article.paragraphs.is_empty() {
//!             return Err(PluginError::rejected("nothing to shout"));
//!         }
//!         for paragraph in &mut article.paragraphs {
//!             paragraph.text = paragraph.text.to_uppercase() + &self.suffix;
//!         }
//!         Ok(article)
//!     }
//! }
//!
//! export_plugin!(normalizer: Shout);
//! # fn main() {}
//! ```
//!
//! Build it as a `cdylib` (`[lib] crate-type = ["cdylib", "rlib"]`), name the
//! crate `akhbar-plugin-<name>` so the host finds `libakhbar_plugin_<name>.so`
//! in its plugin folder, and list it in the pipeline config.
//!
//! # The boundary
//!
//! Only C types and bytes cross it (see [`ffi`] and `include/akhbar_plugin.h`,
//! which is the whole ABI and lets plugins be written in other languages).
//! Every exported function catches panics and turns them into an error for
//! that one document. An enricher reads the article the host sends through
//! [`Enricher::enrich`] (decoded into an owned [`proto::Article`]) or,
//! cheaper, through [`Enricher::enrich_view`] (an [`ArticleView`] that
//! borrows from the input bytes); a normalizer likewise through
//! [`Normalizer::normalize`] or [`Normalizer::normalize_view`], and can
//! write its output straight from the view with
//! [`Normalizer::normalize_into`]. The host
//! checks [`ffi::ABI_VERSION`] before it calls anything else, and never
//! unloads a library.
//!
//! Allocate as usual and leave the global allocator alone: a plugin's
//! allocations go through `malloc`, which inside `akhbar` is the process's
//! one allocator (jemalloc). An allocator of a plugin's own would keep its
//! freed memory apart from everything else's.
//!
//! # Linking a plugin statically
//!
//! Two plugins linked into one binary would both export `akhbar_plugin_entry`.
//! Give your crate a `static` feature and write
//! `#[cfg(not(feature = "static"))] export_plugin!(...)`, then depend on it
//! with `features = ["static"]` to use its types in-process.

#[doc(hidden)]
pub mod __private;
pub mod ffi;

pub use akhbar_proto::v1 as proto;
pub use akhbar_proto::view::{ArticleView, EntityView, ParagraphView};
pub use akhbar_proto::{Message, Timestamp};

use proto::{Article, Provenance, RawDocument};

/// Keys of `Article::metadata` that plugins share by convention: one
/// writes, another reads, and neither depends on the other.
pub mod metadata {
    /// Byline and timestamp lines a normalizer removed as page chrome
    /// ("Published 12 March 2024", "نشر في …"), one a line: they may date the
    /// article (`scraped-page` writes it, `dates` reads it).
    pub const BYLINE: &str = "byline";
}

/// A failure of a plugin on one document (or on its config).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginError {
    /// The document is refused on purpose: it is empty, not an article, … .
    Rejected(String),
    /// The plugin could not do its work on this input.
    Failed(String),
}

impl PluginError {
    /// The document is refused on purpose, with a reason a person can act on.
    pub fn rejected(reason: impl Into<String>) -> Self {
        PluginError::Rejected(reason.into())
    }
    /// The plugin failed on this input.
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError::Failed(message.into())
    }
    /// The input did not decode as the message `what` (`"Article"`): the
    /// one wording the SDK gives this failure, whoever finds it.
    pub fn undecodable(what: &str, error: impl std::fmt::Display) -> Self {
        PluginError::Failed(format!("cannot decode {what}: {error}"))
    }
    /// The message, whatever the kind.
    pub fn message(&self) -> &str {
        match self {
            PluginError::Rejected(m) | PluginError::Failed(m) => m,
        }
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginError::Rejected(m) => write!(f, "rejected: {m}"),
            PluginError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for PluginError {}

/// The JSON config the host passes to [`Plugin::new`] (empty means defaults).
#[derive(Debug, Clone, Copy)]
pub struct Config<'a> {
    json: &'a [u8],
}

impl<'a> Config<'a> {
    /// Wraps raw JSON bytes.
    pub fn new(json: &'a [u8]) -> Self {
        Config { json }
    }
    /// The raw bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.json
    }
    /// Parses the config; an empty config or `null` gives `T::default()`.
    pub fn parse<T: serde::de::DeserializeOwned + Default>(&self) -> Result<T, PluginError> {
        let trimmed = self.json.trim_ascii();
        if trimmed.is_empty() || trimmed == b"null" {
            return Ok(T::default());
        }
        serde_json::from_slice(trimmed)
            .map_err(|e| PluginError::failed(format!("invalid plugin config: {e}")))
    }
}

/// Names a plugin and builds an instance from its config.
pub trait Plugin: Sized + Send + Sync + 'static {
    /// Short, stable, kebab-case name used in pipeline configs (`scraped-page`).
    const NAME: &'static str;
    /// The plugin's own version, usually `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;
    /// Builds an instance. Called once per pipeline, not per document.
    fn new(config: &Config<'_>) -> Result<Self, PluginError>;

    /// A provenance record from this plugin for `stage` saying `action`.
    fn provenance(stage: &str, action: impl Into<String>) -> Provenance {
        Provenance {
            stage: stage.to_owned(),
            plugin: Self::NAME.to_owned(),
            plugin_version: Self::VERSION.to_owned(),
            action: action.into(),
            details: Vec::new(),
        }
    }
}

/// Decodes one input (bytes with an origin) into articles ready to clean.
pub trait Source: Send + Sync {
    /// Decodes `raw`. An input may hold zero, one or many documents.
    fn decode(&self, raw: RawDocument) -> Result<Vec<Article>, PluginError>;
}

/// Cleans an article, or rejects it with a reason.
///
/// Through the plugin boundary the article arrives as bytes, and
/// [`Normalizer::normalize`] gets it decoded into an owned [`Article`]:
/// every paragraph copied. A normalizer that drops most of what it gets
/// (site chrome, say) can implement [`Normalizer::normalize_view`] as well,
/// read the paragraphs borrowed from those bytes, and copy only the ones it
/// keeps ([`ArticleView::into_article_with`]). One that rewrites every
/// paragraph can skip the owned article altogether
/// ([`Normalizer::normalize_into`]).
///
/// ```
/// use akhbar_plugin_sdk::{ArticleView, Normalizer, PluginError};
/// use akhbar_plugin_sdk::proto::{Article, Paragraph};
///
/// /// Drops paragraphs that shout.
/// struct Quiet;
///
/// fn shouts(text: &str) -> bool {
///     text.chars().any(char::is_alphabetic) && text == text.to_uppercase()
/// }
///
/// impl Normalizer for Quiet {
///     fn normalize(&self, mut article: Article) -> Result<Article, PluginError> {
///         article.paragraphs.retain(|p| !shouts(&p.text));
///         Ok(article)
///     }
///     fn normalize_view(&self, article: ArticleView<'_>) -> Result<Article, PluginError> {
///         let kept: Vec<Paragraph> = article
///             .paragraphs()
///             .iter()
///             .filter(|p| !shouts(p.text))
///             .map(|&p| Paragraph::from(p))
///             .collect();
///         article
///             .into_article_with(kept)
///             .map_err(|e| PluginError::undecodable("Article", e))
///     }
/// }
/// ```
pub trait Normalizer: Send + Sync {
    /// Returns the cleaned article; record what you removed in `provenance`.
    fn normalize(&self, article: Article) -> Result<Article, PluginError>;

    /// The same for the article `article` shows. The plugin boundary calls
    /// this one; by default it copies the article and calls
    /// [`Normalizer::normalize`]. Override it to copy only what you keep
    /// (see above); it must return what `normalize` returns.
    fn normalize_view(&self, article: ArticleView<'_>) -> Result<Article, PluginError> {
        let article = article
            .into_article()
            .map_err(|e| PluginError::undecodable("Article", e))?;
        self.normalize(article)
    }

    /// The same, written into `out` as an encoded `akhbar.v1.Article`:
    /// what the plugin boundary calls. By default it encodes what
    /// [`Normalizer::normalize_view`] returns. A normalizer that rewrites
    /// every paragraph (a text normalizer, say) can override it and write
    /// its new forms, and the input's unchanged ones, straight from where
    /// they are ([`ArticleView::encode_with`]) instead of building an owned
    /// article only to have it encoded and dropped; it must give the
    /// article `normalize` returns. On an error, what it wrote is thrown
    /// away.
    ///
    /// ```
    /// use akhbar_plugin_sdk::{ArticleView, Normalizer, ParagraphView, PluginError};
    /// use akhbar_plugin_sdk::proto::Article;
    ///
    /// /// Fills the matching form with the text, lowercased.
    /// struct Lower;
    ///
    /// impl Normalizer for Lower {
    ///     fn normalize(&self, mut article: Article) -> Result<Article, PluginError> {
    ///         for paragraph in &mut article.paragraphs {
    ///             paragraph.matching = paragraph.text.to_lowercase();
    ///         }
    ///         Ok(article)
    ///     }
    ///     fn normalize_into(&self, article: ArticleView<'_>, out: &mut Vec<u8>) -> Result<(), PluginError> {
    ///         let lower: Vec<String> = article.paragraphs().iter().map(|p| p.text.to_lowercase()).collect();
    ///         let paragraphs: Vec<ParagraphView<'_>> = article.paragraphs().to_vec();
    ///         let paragraphs = paragraphs
    ///             .into_iter()
    ///             .zip(&lower)
    ///             .map(|(p, matching)| ParagraphView { matching, ..p });
    ///         article
    ///             .encode_with(paragraphs, |_| {}, out)
    ///             .map_err(|e| PluginError::undecodable("Article", e))
    ///     }
    /// }
    /// ```
    fn normalize_into(
        &self,
        article: ArticleView<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), PluginError> {
        let article = self.normalize_view(article)?;
        out.reserve(article.encoded_len());
        article.encode_raw(out);
        Ok(())
    }
}

/// Adds metadata to an article: returns what it adds, never a changed article.
///
/// The article an enricher reads has its counts, hash and id filled and the
/// additions of the enrichers before it, but neither `body` nor
/// `provenance`: both are the pipeline's own (the body is the paragraphs
/// joined, the history can be long) and are put back afterwards, so they do
/// not cross every plugin boundary. Read the text from `paragraphs`.
///
/// What [`Enricher::enrich`] returns is added to the article as
/// [`proto::Enrichment::apply_to`] says: lists are appended, fields that are
/// set replace. Through the plugin boundary only these additions travel
/// back, so an enricher costs the host no copy of the article's text, and no
/// enricher can change text that the normalizers settled.
///
/// ```
/// use akhbar_plugin_sdk::{Enricher, PluginError};
/// use akhbar_plugin_sdk::proto::{Article, Enrichment};
///
/// struct Tagger;
///
/// impl Enricher for Tagger {
///     fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
///         let long = article.word_count > 500;
///         Ok(Enrichment {
///             tags: if long { vec!["long-read".into()] } else { Vec::new() },
///             ..Default::default()
///         })
///     }
/// }
/// ```
///
/// # Reading without copying
///
/// Through the plugin boundary the article arrives as bytes, and
/// [`Enricher::enrich`] gets it decoded into an owned [`Article`]: every
/// paragraph and every entity copied. An enricher that implements
/// [`Enricher::enrich_view`] instead reads an [`ArticleView`], which
/// borrows the paragraphs from those bytes and decodes the entities only
/// when asked; on the default pipeline that took about a third off the
/// boundary's cost. Implement both as one: the real work in `enrich_view`,
/// and `enrich` as `self.enrich_view(&ArticleView::of(article))`.
///
/// ```
/// use akhbar_plugin_sdk::{ArticleView, Enricher, PluginError};
/// use akhbar_plugin_sdk::proto::{Article, Enrichment};
///
/// struct Questions;
///
/// impl Enricher for Questions {
///     fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
///         self.enrich_view(&ArticleView::of(article))
///     }
///     fn enrich_view(&self, article: &ArticleView<'_>) -> Result<Enrichment, PluginError> {
///         let asks = article.paragraphs().iter().any(|p| p.text.ends_with('?'));
///         Ok(Enrichment {
///             tags: if asks { vec!["asks".into()] } else { Vec::new() },
///             ..Default::default()
///         })
///     }
/// }
/// ```
pub trait Enricher: Send + Sync {
    /// What this enricher adds to `article`.
    fn enrich(&self, article: &Article) -> Result<proto::Enrichment, PluginError>;

    /// What this enricher adds to the article `article` shows. The plugin
    /// boundary calls this one; by default it copies the article and calls
    /// [`Enricher::enrich`]. Override it to read without the copy (see
    /// above); it must add what `enrich` adds.
    fn enrich_view(&self, article: &ArticleView<'_>) -> Result<proto::Enrichment, PluginError> {
        let article = article
            .to_article()
            .map_err(|e| PluginError::undecodable("Article", e))?;
        self.enrich(&article)
    }

    /// `article` with what [`Enricher::enrich`] adds, as the pipeline makes
    /// it (handy in tests and when linking an enricher in).
    fn enriched(&self, mut article: Article) -> Result<Article, PluginError> {
        self.enrich(&article)?.apply_to(&mut article);
        Ok(article)
    }
}

/// The text later stages should match against: the paragraph's matching form
/// when a normalizer filled it, its display text otherwise.
pub fn matching_text(paragraph: &proto::Paragraph) -> &str {
    ParagraphView::from(paragraph).matching_text()
}
