//! A read-only view of an article that borrows its text from the bytes it
//! was decoded from.
//!
//! Why: an enricher reads an article and adds to it; it never changes it.
//! Decoding the bytes that crossed the plugin boundary into an owned
//! [`Article`] copies every paragraph twice (display and matching form) and
//! every entity that the enrichers before it found, into fresh allocations
//! that are dropped a moment later. On the default pipeline that was over a
//! third of what the boundary cost. An [`ArticleView`] instead points into
//! the input: paragraphs are `&str` slices of it (checked as UTF-8 once),
//! entities are decoded only when [`ArticleView::entities`] is first called,
//! and the other fields are decoded as usual: with the view, or, for bytes
//! the host checked (an enricher's input), when one is first asked for.
//!
//! The same view can be made of an [`Article`] in memory
//! ([`ArticleView::of`]), so that one enricher body serves both a plugin
//! library and a plugin linked into the binary.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use prost::DecodeError;
use prost::encoding::{DecodeContext, WireType, skip_field};

use crate::Timestamp;
use crate::tags;
use crate::text_decode::{self, Utf8};
use crate::v1::{Article, Dateline, Entity, Keyword, MentionedDate, Paragraph, Provenance};
use crate::varint::{decode_key, decode_varint};

/// An entity of an [`ArticleView`], its strings borrowed: for an enricher
/// that reads a few fields of each entity and keeps none of them
/// ([`ArticleView::entity_views`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EntityView<'a> {
    /// `akhbar.v1.Entity.text`.
    pub text: &'a str,
    /// `akhbar.v1.Entity.Label` as a number (unknown numbers kept).
    pub label: i32,
    /// `akhbar.v1.Entity.canonical_id`.
    pub canonical_id: &'a str,
    /// `akhbar.v1.Entity.canonical_name`.
    pub canonical_name: &'a str,
    /// `akhbar.v1.Entity.paragraph`.
    pub paragraph: u32,
    /// `akhbar.v1.Entity.start`.
    pub start: u32,
    /// `akhbar.v1.Entity.end`.
    pub end: u32,
    /// `akhbar.v1.Entity.confidence`.
    pub confidence: f32,
}

impl<'a> From<&'a Entity> for EntityView<'a> {
    fn from(e: &'a Entity) -> Self {
        EntityView {
            text: &e.text,
            label: e.label,
            canonical_id: &e.canonical_id,
            canonical_name: &e.canonical_name,
            paragraph: e.paragraph,
            start: e.start,
            end: e.end,
            confidence: e.confidence,
        }
    }
}

impl From<EntityView<'_>> for Entity {
    fn from(e: EntityView<'_>) -> Self {
        Entity {
            text: e.text.to_owned(),
            label: e.label,
            canonical_id: e.canonical_id.to_owned(),
            canonical_name: e.canonical_name.to_owned(),
            paragraph: e.paragraph,
            start: e.start,
            end: e.end,
            confidence: e.confidence,
        }
    }
}

/// A paragraph of an [`ArticleView`]: its display text and matching form,
/// borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParagraphView<'a> {
    /// `akhbar.v1.Paragraph.Kind` as a number (unknown numbers kept).
    pub kind: i32,
    /// The display text.
    pub text: &'a str,
    /// The matching form (empty when no normalizer filled it).
    pub matching: &'a str,
}

impl<'a> ParagraphView<'a> {
    /// A view of an encoded `akhbar.v1.Paragraph`, its text checked as
    /// UTF-8, or `None` for bytes it does not take (as
    /// [`ArticleView::decode`]).
    #[allow(
        unsafe_code,
        reason = "a decoder that checks, called unchecking nothing"
    )]
    pub fn decode(bytes: &'a [u8]) -> Option<Self> {
        // SAFETY: `Checked` promises nothing.
        unsafe { Self::decode_with(bytes, Utf8::Checked) }
    }

    /// # Safety
    /// With [`Utf8::Promised`], `bytes` must decode as a Paragraph.
    #[allow(unsafe_code, reason = "the caller's promise is passed on")]
    pub(crate) unsafe fn decode_with(bytes: &'a [u8], utf8: Utf8) -> Option<Self> {
        // SAFETY: the caller's promise.
        unsafe { paragraph(bytes, utf8) }.ok()
    }

    /// The text later stages should match against: the matching form when
    /// a normalizer filled it, the display text otherwise.
    pub fn matching_text(&self) -> &'a str {
        if self.matching.is_empty() {
            self.text
        } else {
            self.matching
        }
    }
}

impl<'a> From<&'a Paragraph> for ParagraphView<'a> {
    fn from(paragraph: &'a Paragraph) -> Self {
        ParagraphView {
            kind: paragraph.kind,
            text: &paragraph.text,
            matching: &paragraph.matching,
        }
    }
}

impl From<ParagraphView<'_>> for Paragraph {
    fn from(view: ParagraphView<'_>) -> Self {
        Paragraph {
            kind: view.kind,
            text: view.text.to_owned(),
            matching: view.matching.to_owned(),
        }
    }
}

/// The entities of a view: an article's own, or the encoded ones, decoded
/// on first use.
#[derive(Debug)]
enum Entities<'a> {
    Borrowed(&'a [Entity]),
    Encoded {
        payloads: Vec<&'a [u8]>,
        /// `Promised` only when the view was made by
        /// [`ArticleView::decode_host_checked`], whose caller promised
        /// that the article, its entities with it, decodes.
        utf8: Utf8,
        decoded: OnceLock<Result<Vec<Entity>, DecodeError>>,
    },
}

/// The fields of a view other than its paragraphs and entities.
#[derive(Debug)]
enum Fields<'a> {
    /// An article's own, or decoded with the view.
    Here(Cow<'a, Article>),
    /// Those of the host-checked article `bytes`, decoded when first asked
    /// for. Why: three of the five default enrichers read none of them, and
    /// decoding them (the keywords, dates and provenance records that the
    /// enrichers before added, as owned strings) was about a tenth of what
    /// the plugin boundary cost.
    Later {
        /// Bytes whose maker promised that they decode as an Article (see
        /// [`ArticleView::decode_host_checked`]).
        bytes: &'a [u8],
        decoded: OnceLock<Article>,
    },
}

/// A read-only view of an `akhbar.v1.Article`, with its paragraphs borrowed
/// (see the module docs). What an enricher or a normalizer reads: every
/// field of an [`Article`], through methods of the same names (an
/// enricher's has no provenance: the pipeline keeps the history from
/// enrichers).
#[derive(Debug)]
pub struct ArticleView<'a> {
    /// Every field but the paragraphs and the entities (those are empty
    /// here when decoded from bytes; use the view's methods).
    fields: Fields<'a>,
    paragraphs: Vec<ParagraphView<'a>>,
    entities: Entities<'a>,
}

impl<'a> ArticleView<'a> {
    /// A view of an article in memory.
    pub fn of(article: &'a Article) -> Self {
        ArticleView {
            fields: Fields::Here(Cow::Borrowed(article)),
            paragraphs: article.paragraphs.iter().map(ParagraphView::from).collect(),
            entities: Entities::Borrowed(&article.entities),
        }
    }

    /// A view of an encoded `akhbar.v1.Article`, or `None` for bytes it
    /// does not take: damaged ones, and any that prost's decoder would read
    /// otherwise than this one. Decode those with
    /// [`crate::text_decode::article`] (for prost's error, or the article)
    /// and take [`ArticleView::of`] it. The paragraphs' text is checked as
    /// UTF-8 here, the entities when first asked for.
    #[allow(
        unsafe_code,
        reason = "a decoder that checks, called unchecking nothing"
    )]
    pub fn decode(bytes: &'a [u8]) -> Option<Self> {
        // SAFETY: `Checked` promises nothing.
        unsafe { Self::decode_fast(bytes, Utf8::Checked) }.ok()
    }

    /// [`ArticleView::decode`] of bytes the host has checked, whose strings
    /// are not checked again (in a release build): what an enricher reads.
    ///
    /// Why: the host checks every byte it hands an enricher (the article
    /// when the normalizers are done, then each enrichment before it is
    /// appended; see `akhbar_plugin.h`, ABI version 3), and five enrichers
    /// checking the same text again cost more than a third of the plugin
    /// boundary's time.
    ///
    /// # Safety
    /// `bytes` must decode as an `akhbar.v1.Article` with prost (every
    /// string field of it, at every occurrence, UTF-8).
    #[allow(unsafe_code, reason = "the caller's promise is passed on")]
    pub unsafe fn decode_host_checked(bytes: &'a [u8]) -> Option<Self> {
        // SAFETY: the caller's promise, for the paragraphs and entities.
        unsafe { Self::decode_fast(bytes, Utf8::Promised) }.ok()
    }

    /// # Safety
    /// With [`Utf8::Promised`], `bytes` must decode as an Article.
    #[allow(unsafe_code, reason = "the caller's promise is passed on")]
    unsafe fn decode_fast(bytes: &'a [u8], utf8: Utf8) -> Result<Self, Refused> {
        // Sized for the common case (a paragraph, in its two forms, in
        // about 200 encoded bytes), so that they are not regrown and copied
        // a few times per view.
        let mut paragraphs = Vec::with_capacity(bytes.len() / 200 + 4);
        let mut payloads = Vec::new();
        // Everything else, re-encoded field by field as it came, for the
        // ordinary decoder: a few short strings and numbers. Of bytes the
        // host checked, decoded only when asked for (`Fields::Later`).
        let later = utf8 == Utf8::Promised;
        let mut rest = Vec::with_capacity(if later { 0 } else { 256 });
        let mut buf = bytes;
        while !buf.is_empty() {
            let field_start = buf;
            let (tag, wire_type) = decode_key(&mut buf)?;
            match tag {
                tags::article::PARAGRAPHS | tags::article::ENTITIES => {
                    if wire_type != WireType::LengthDelimited {
                        return Err(Refused);
                    }
                    let payload = length_delimited(&mut buf).ok_or(Refused)?;
                    if tag == tags::article::PARAGRAPHS {
                        // SAFETY: a promise for the article covers each
                        // of its paragraphs.
                        paragraphs.push(unsafe { paragraph(payload, utf8) }?);
                    } else {
                        payloads.push(payload);
                    }
                }
                _ => {
                    skip_field(wire_type, tag, &mut buf, DecodeContext::default())?;
                    if !later {
                        let len = field_start.len() - buf.len();
                        rest.extend_from_slice(&field_start[..len]);
                    }
                }
            }
        }
        Ok(ArticleView {
            fields: if later {
                Fields::Later {
                    bytes,
                    decoded: OnceLock::new(),
                }
            } else {
                Fields::Here(Cow::Owned(text_decode::article(&rest)?))
            },
            paragraphs,
            entities: Entities::Encoded {
                payloads,
                utf8,
                decoded: OnceLock::new(),
            },
        })
    }

    /// The fields other than the paragraphs and entities.
    ///
    /// # Panics
    /// When the view's maker broke its promise that the bytes decode (see
    /// [`ArticleView::decode_host_checked`]); inside a plugin that is an
    /// error for this one document.
    fn fields(&self) -> &Article {
        match &self.fields {
            Fields::Here(fields) => fields,
            Fields::Later { bytes, decoded } => decoded.get_or_init(|| later_fields(bytes)),
        }
    }

    /// The paragraphs, in order.
    pub fn paragraphs(&self) -> &[ParagraphView<'a>] {
        &self.paragraphs
    }

    /// The entities the enrichers before this one found.
    ///
    /// # Panics
    /// When the view was decoded from bytes whose entities do not decode
    /// (the host checks what enrichers return, so not in `akhbar`); inside
    /// a plugin that is an error for this one document. See
    /// [`ArticleView::try_entities`].
    pub fn entities(&self) -> &[Entity] {
        self.try_entities()
            .unwrap_or_else(|e| panic!("the article's entities do not decode: {e}"))
    }

    /// The entities, or prost's error when the bytes they were to be
    /// decoded from are damaged.
    pub fn try_entities(&self) -> Result<&[Entity], DecodeError> {
        match &self.entities {
            Entities::Borrowed(entities) => Ok(entities),
            Entities::Encoded {
                payloads, decoded, ..
            } => decoded
                .get_or_init(|| decode_entities(payloads))
                .as_deref()
                .map_err(Clone::clone),
        }
    }

    /// The entities as views, their strings borrowed from the input bytes
    /// (no copy of them, which [`ArticleView::try_entities`] makes), or
    /// prost's error as there.
    #[allow(unsafe_code, reason = "the view's own promise, passed on")]
    pub fn entity_views(&self) -> Result<Vec<EntityView<'_>>, DecodeError> {
        if let Entities::Encoded { payloads, utf8, .. } = &self.entities
            && let Ok(views) = payloads
                .iter()
                // SAFETY: `utf8` is `Promised` only for a view whose maker
                // promised that every entity decodes (see `Entities`).
                .map(|payload| unsafe { text_decode::entity_view(payload, *utf8) })
                .collect()
        {
            return Ok(views);
        }
        // In memory, or bytes that prost is to judge.
        Ok(self.try_entities()?.iter().map(EntityView::from).collect())
    }

    /// The article's id.
    pub fn id(&self) -> &str {
        &self.fields().id
    }
    /// Where it came from.
    pub fn source_uri(&self) -> &str {
        &self.fields().source_uri
    }
    /// The site (host name) it came from.
    pub fn site(&self) -> &str {
        &self.fields().site
    }
    /// The title.
    pub fn title(&self) -> &str {
        &self.fields().title
    }
    /// The body: empty for an enricher (the pipeline sets it aside).
    pub fn body(&self) -> &str {
        &self.fields().body
    }
    /// BCP-47 code of its language, when an enricher set it.
    pub fn language(&self) -> &str {
        &self.fields().language
    }
    /// Confidence of [`ArticleView::language`].
    pub fn language_confidence(&self) -> f32 {
        self.fields().language_confidence
    }
    /// When it was published, when known.
    pub fn published_at(&self) -> Option<Timestamp> {
        self.fields().published_at
    }
    /// When the pipeline received it.
    pub fn received_at(&self) -> Option<Timestamp> {
        self.fields().received_at
    }
    /// Key phrases, as enrichers added them.
    pub fn keywords(&self) -> &[Keyword] {
        &self.fields().keywords
    }
    /// Free-form tags.
    pub fn tags(&self) -> &[String] {
        &self.fields().tags
    }
    /// Hash of the folded text.
    pub fn content_hash(&self) -> &str {
        &self.fields().content_hash
    }
    /// The story it belongs to, when assigned.
    pub fn story_id(&self) -> &str {
        &self.fields().story_id
    }
    /// Words in the paragraphs.
    pub fn word_count(&self) -> u32 {
        self.fields().word_count
    }
    /// Estimated reading time.
    pub fn reading_time_seconds(&self) -> u32 {
        self.fields().reading_time_seconds
    }
    /// Dates mentioned in the text.
    pub fn dates(&self) -> &[MentionedDate] {
        &self.fields().dates
    }
    /// The dateline, when found.
    pub fn dateline(&self) -> Option<&Dateline> {
        self.fields().dateline.as_ref()
    }
    /// Metadata the source or enrichers set.
    pub fn metadata(&self) -> &HashMap<String, String> {
        &self.fields().metadata
    }
    /// SimHash of the text, when computed.
    pub fn simhash(&self) -> &str {
        &self.fields().simhash
    }
    /// The article this one republishes, when flagged.
    pub fn near_duplicate_of(&self) -> &str {
        &self.fields().near_duplicate_of
    }

    /// What the stages before did: empty for an enricher (the pipeline
    /// keeps the history from enrichers), the record so far for a
    /// normalizer.
    pub fn provenance(&self) -> &[Provenance] {
        &self.fields().provenance
    }

    /// The article the view shows, owned, with `paragraphs` in place of
    /// the view's; prost's error when its entities do not decode (see
    /// [`ArticleView::try_entities`]). What a normalizer that reads a view
    /// returns: only the paragraphs it keeps are copied, and of a view
    /// decoded from bytes the other fields are moved, not copied.
    pub fn into_article_with(self, paragraphs: Vec<Paragraph>) -> Result<Article, DecodeError> {
        let entities = match self.entities {
            Entities::Borrowed(entities) => entities.to_vec(),
            Entities::Encoded {
                payloads, decoded, ..
            } => match decoded.into_inner() {
                Some(decoded) => decoded?,
                None => decode_entities(&payloads)?,
            },
        };
        let mut article = self.fields.into_article();
        article.paragraphs = paragraphs;
        article.entities = entities;
        Ok(article)
    }

    /// Writes the encoded article the view shows into `out`, with
    /// `paragraphs` in place of the view's and the other fields as `edit`
    /// leaves them (it gets them without paragraphs and entities, and any
    /// it adds are not written): the article that
    /// [`ArticleView::into_article_with`] and `edit` give, without copying
    /// the paragraphs into owned strings first. What a normalizer that
    /// rewrites every paragraph returns through the plugin boundary (the
    /// SDK's `Normalizer::normalize_into`): its new forms borrowed from
    /// wherever it keeps them, its unchanged ones borrowed from the input.
    /// The fields may come in another order
    /// than prost writes them; they decode to the same article. Prost's
    /// error, and nothing written, when the entities do not decode (as
    /// [`ArticleView::into_article_with`]).
    pub fn encode_with<'p>(
        self,
        paragraphs: impl IntoIterator<Item = ParagraphView<'p>>,
        edit: impl FnOnce(&mut Article),
        out: &mut Vec<u8>,
    ) -> Result<(), DecodeError> {
        use prost::Message;
        use prost::encoding::{encode_key, encode_varint, encoded_len_varint};

        // Checked first, as `into_article_with` would (a normalizer's input
        // has none, as a rule); written as they came.
        self.try_entities()?;
        let ArticleView {
            fields, entities, ..
        } = self;
        let mut fields = fields.into_article();
        edit(&mut fields);
        fields.paragraphs.clear();
        fields.entities.clear();
        fields.encode_raw(out);
        // A Paragraph's field numbers are all below 16: one-byte keys.
        let string_len = |s: &str| {
            if s.is_empty() {
                0
            } else {
                1 + encoded_len_varint(s.len() as u64) + s.len()
            }
        };
        // Keys and most lengths are one or two bytes: written here, not
        // by a call each (a page has a hundred paragraphs).
        let put_varint = |value: u64, out: &mut Vec<u8>| {
            if value < 0x80 {
                out.push(value as u8);
            } else if value < 0x4000 {
                out.extend_from_slice(&[value as u8 | 0x80, (value >> 7) as u8]);
            } else {
                encode_varint(value, out);
            }
        };
        let key = |tag: u32, wire_type: WireType| (tag << 3 | wire_type as u32) as u64;
        for paragraph in paragraphs {
            let kind = if paragraph.kind == 0 {
                0
            } else {
                1 + encoded_len_varint(paragraph.kind as u64)
            };
            let len = kind + string_len(paragraph.text) + string_len(paragraph.matching);
            put_varint(
                key(tags::article::PARAGRAPHS, WireType::LengthDelimited),
                out,
            );
            put_varint(len as u64, out);
            if paragraph.kind != 0 {
                put_varint(key(PARAGRAPH_KIND, WireType::Varint), out);
                // As prost writes an int32: negative ones sign-extended.
                put_varint(paragraph.kind as u64, out);
            }
            for (tag, text) in [
                (tags::paragraph::TEXT, paragraph.text),
                (tags::paragraph::MATCHING, paragraph.matching),
            ] {
                if !text.is_empty() {
                    put_varint(key(tag, WireType::LengthDelimited), out);
                    put_varint(text.len() as u64, out);
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
        match entities {
            Entities::Encoded { payloads, .. } => {
                for payload in payloads {
                    encode_key(tags::article::ENTITIES, WireType::LengthDelimited, out);
                    encode_varint(payload.len() as u64, out);
                    out.extend_from_slice(payload);
                }
            }
            Entities::Borrowed(entities) => {
                for entity in entities {
                    prost::encoding::message::encode(tags::article::ENTITIES, entity, out);
                }
            }
        }
        Ok(())
    }

    /// [`ArticleView::into_article_with`] the view's own paragraphs.
    pub fn into_article(self) -> Result<Article, DecodeError> {
        let paragraphs = self
            .paragraphs
            .iter()
            .copied()
            .map(Paragraph::from)
            .collect();
        self.into_article_with(paragraphs)
    }

    /// An owned copy of the article the view shows, or prost's error when
    /// its entities do not decode (see [`ArticleView::try_entities`]).
    pub fn to_article(&self) -> Result<Article, DecodeError> {
        let entities = self.try_entities()?.to_vec();
        let mut article = Article {
            paragraphs: Vec::new(),
            entities: Vec::new(),
            ..self.fields().clone()
        };
        article.paragraphs = self
            .paragraphs
            .iter()
            .copied()
            .map(Paragraph::from)
            .collect();
        article.entities = entities;
        Ok(article)
    }
}

impl Fields<'_> {
    /// An article with every field of a view's but the paragraphs and the
    /// entities: moved when the view was decoded from bytes (it has
    /// neither), copied from the article it shows otherwise.
    fn into_article(self) -> Article {
        match self {
            Fields::Here(Cow::Owned(article)) => article,
            Fields::Here(Cow::Borrowed(article)) => Article {
                paragraphs: Vec::new(),
                entities: Vec::new(),
                ..article.clone()
            },
            Fields::Later { bytes, decoded } => {
                decoded.into_inner().unwrap_or_else(|| later_fields(bytes))
            }
        }
    }
}

/// The fields of host-checked article bytes other than the paragraphs and
/// the entities, decoded.
///
/// # Panics
/// When they do not decode: the promise of [`Fields::Later`] was broken.
#[allow(unsafe_code, reason = "the promise of `Fields::Later`, passed on")]
fn later_fields(bytes: &[u8]) -> Article {
    let broken =
        |e: DecodeError| -> ! { panic!("the host-checked article's fields do not decode: {e}") };
    let mut rest = Vec::with_capacity(256);
    let mut buf = bytes;
    while !buf.is_empty() {
        let field_start = buf;
        let (tag, wire_type) = decode_key(&mut buf).unwrap_or_else(|e| broken(e));
        skip_field(wire_type, tag, &mut buf, DecodeContext::default())
            .unwrap_or_else(|e| broken(e));
        if tag != tags::article::PARAGRAPHS && tag != tags::article::ENTITIES {
            let len = field_start.len() - buf.len();
            rest.extend_from_slice(&field_start[..len]);
        }
    }
    // SAFETY: the maker of a `Fields::Later` view promised that `bytes`
    // decode as an Article; so do its fields but two, as they came.
    unsafe { text_decode::article_host_checked(&rest) }.unwrap_or_else(|e| broken(e))
}

/// Entities from their encodings, in order.
fn decode_entities(payloads: &[&[u8]]) -> Result<Vec<Entity>, DecodeError> {
    payloads
        .iter()
        .map(|payload| text_decode::entity(payload))
        .collect()
}

/// `akhbar.v1.Paragraph.kind`.
const PARAGRAPH_KIND: u32 = 1;

/// Bytes the view does not take (prost's decoder says why).
pub(crate) struct Refused;

impl From<DecodeError> for Refused {
    fn from(_: DecodeError) -> Self {
        Refused
    }
}

/// The payload of a length-delimited field whose key was just read, or
/// `None` when its length does not fit (the other decoders of this crate
/// share it).
pub(crate) fn length_delimited<'b>(buf: &mut &'b [u8]) -> Option<&'b [u8]> {
    let len = decode_varint(buf).ok()?;
    let len = usize::try_from(len).ok().filter(|&len| len <= buf.len())?;
    let (payload, after) = buf.split_at(len);
    *buf = after;
    Some(payload)
}

/// A paragraph in the layout prost writes (kind, text, matching, each once
/// and in that order when set; a kind below 128, lengths below 16 KiB),
/// read without the general loop: a page has a hundred paragraphs, and
/// every library stage reads each. `None` for any other layout, and for
/// text that is not UTF-8 (`Checked`), which [`paragraph`] then reads.
///
/// # Safety
/// With [`Utf8::Promised`], `buf` must decode as a Paragraph.
#[inline]
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn paragraph_as_written(buf: &[u8], utf8: Utf8) -> Option<ParagraphView<'_>> {
    /// The string of field `key` at `buf[*at..]`, if that is where it is.
    ///
    /// # Safety
    /// As [`paragraph_as_written`].
    #[inline(always)]
    #[allow(unsafe_code, reason = "the caller's promise is passed on")]
    unsafe fn string<'b>(buf: &'b [u8], at: &mut usize, key: u8, utf8: Utf8) -> Option<&'b str> {
        if buf.get(*at) != Some(&key) {
            return Some("");
        }
        let (len, skip) = match *buf.get(*at + 1..)? {
            [low, ..] if low < 0x80 => (usize::from(low), 2),
            [low, high, ..] if high < 0x80 => (usize::from(low & 0x7f) | usize::from(high) << 7, 3),
            _ => return None,
        };
        let text = buf.get(*at + skip..*at + skip + len)?;
        *at += skip + len;
        // SAFETY: the caller's promise covers the paragraph's strings.
        unsafe { text_decode::text_of(text, utf8) }
    }
    let mut at = 0;
    let mut kind = 0;
    if let [0x08, k, ..] = *buf
        && k < 0x80
    {
        kind = i32::from(k);
        at = 2;
    }
    // SAFETY: the caller's promise.
    let text = unsafe { string(buf, &mut at, 0x12, utf8) }?;
    // SAFETY: as above.
    let matching = unsafe { string(buf, &mut at, 0x1a, utf8) }?;
    (at == buf.len()).then_some(ParagraphView {
        kind,
        text,
        matching,
    })
}

/// A paragraph, borrowed from its encoding (later occurrences of a field
/// replace earlier ones, unknown fields are skipped: prost's rules).
///
/// # Safety
/// With [`Utf8::Promised`], `buf` must decode as a Paragraph.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
pub(crate) unsafe fn paragraph(mut buf: &[u8], utf8: Utf8) -> Result<ParagraphView<'_>, Refused> {
    const KIND: u32 = PARAGRAPH_KIND;
    // SAFETY: the caller's promise.
    if let Some(view) = unsafe { paragraph_as_written(buf, utf8) } {
        return Ok(view);
    }
    let mut view = ParagraphView {
        kind: 0,
        text: "",
        matching: "",
    };
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        match (tag, wire_type) {
            (KIND, WireType::Varint) => view.kind = decode_varint(&mut buf)? as i32,
            (tags::paragraph::TEXT | tags::paragraph::MATCHING, WireType::LengthDelimited) => {
                let payload = length_delimited(&mut buf).ok_or(Refused)?;
                // SAFETY: a promise that `buf` decodes covers its strings.
                let text = unsafe { text_decode::text_of(payload, utf8) }.ok_or(Refused)?;
                if tag == tags::paragraph::TEXT {
                    view.text = text;
                } else {
                    view.matching = text;
                }
            }
            (KIND | tags::paragraph::TEXT | tags::paragraph::MATCHING, _) => return Err(Refused),
            _ => skip_field(wire_type, tag, &mut buf, DecodeContext::default())?,
        }
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use proptest::prelude::*;
    use prost::Message;

    use super::*;
    use crate::text_decode::tests::{any_article, damaged_article};
    use crate::v1::Provenance;

    fn sample() -> Article {
        Article {
            id: "a1".into(),
            site: "example.com".into(),
            title: "زيارة شويغو".into(),
            paragraphs: vec![
                Paragraph {
                    kind: 2,
                    text: "وصلَ وزيرُ الدفاع".into(),
                    matching: "وصل وزير الدفاع".into(),
                },
                Paragraph {
                    kind: 99,
                    text: "Second paragraph.".into(),
                    matching: String::new(),
                },
            ],
            entities: vec![Entity {
                text: "شويغو".into(),
                canonical_id: "wikidata:Q312707".into(),
                label: 1,
                paragraph: 0,
                start: 3,
                end: 13,
                ..Default::default()
            }],
            keywords: vec![Keyword {
                text: "شويغو".into(),
                score: 0.5,
            }],
            language: "ar".into(),
            published_at: Some(Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            metadata: [("published".to_owned(), "2023-11-14".to_owned())].into(),
            ..Default::default()
        }
    }

    /// The same bytes read as prost reads them: what the view shows, or an
    /// error from both (the view may put off an error in the entities until
    /// they are read).
    fn same_answer(bytes: &[u8]) -> Result<(), TestCaseError> {
        match (
            ArticleView::decode(bytes).ok_or("refused"),
            Article::decode(bytes),
        ) {
            (Ok(view), Ok(article)) => {
                let views: Vec<Entity> = view
                    .entity_views()
                    .expect("prost decoded the entities")
                    .into_iter()
                    .map(Entity::from)
                    .collect();
                prop_assert_eq!(&views, &article.entities);
                let shown = view.to_article().expect("prost decoded the entities");
                prop_assert!(
                    shown == article || shown.encode_to_vec() == article.encode_to_vec(),
                    "view {shown:?}, prost {article:?}"
                );
                prop_assert_eq!(view.provenance(), shown.provenance.as_slice());
                let owned = view.into_article();
                prop_assert_eq!(owned.expect("prost decoded the entities"), shown);
            }
            (Ok(view), Err(e)) => {
                prop_assert!(
                    view.try_entities().is_err()
                        && view.entity_views().is_err()
                        && view.to_article().is_err(),
                    "the view took bytes prost refuses ({e}): {bytes:?}"
                );
                prop_assert!(view.into_article_with(Vec::new()).is_err());
            }
            (Err(e), Ok(article)) => {
                prop_assert!(false, "the view refused ({e}) what prost took: {article:?}")
            }
            (Err(_), Err(_)) => {}
        }
        Ok(())
    }

    #[test]
    fn a_view_of_bytes_shows_the_article_they_encode() {
        let encoded = sample().encode_to_vec();
        let view = ArticleView::decode(&encoded).unwrap();
        assert_eq!(view.title(), "زيارة شويغو");
        assert_eq!(view.paragraphs()[0].matching_text(), "وصل وزير الدفاع");
        assert_eq!(view.paragraphs()[1].matching_text(), "Second paragraph.");
        assert_eq!(view.paragraphs()[1].kind, 99);
        assert_eq!(view.entities()[0].canonical_id, "wikidata:Q312707");
        assert_eq!(
            view.entity_views().unwrap()[0].canonical_id,
            "wikidata:Q312707"
        );
        assert_eq!(view.keywords()[0].text, "شويغو");
        assert_eq!(view.metadata()["published"], "2023-11-14");
        assert_eq!(view.published_at().unwrap().seconds, 1_700_000_000);
        assert_eq!(view.to_article().unwrap(), sample());
    }

    #[test]
    fn a_view_of_an_article_shows_it() {
        let article = sample();
        let view = ArticleView::of(&article);
        assert_eq!(view.paragraphs()[0].text, "وصلَ وزيرُ الدفاع");
        assert_eq!(view.entities(), article.entities.as_slice());
        assert_eq!(view.to_article().unwrap(), article);
    }

    /// `good` with a byte that is never UTF-8 where `needle` starts.
    fn damaged_at(good: &[u8], needle: &[u8]) -> Vec<u8> {
        let at = good
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("the needle is in the encoding");
        let mut bad = good.to_vec();
        bad[at] = 0xff;
        bad
    }

    #[test]
    fn paragraph_text_that_is_not_utf8_is_refused_at_once_as_prost_refuses_it() {
        let bad = damaged_at(&sample().encode_to_vec(), b"Second");
        assert!(Article::decode(bad.as_slice()).is_err());
        assert!(ArticleView::decode(&bad).is_none());
    }

    #[test]
    fn an_entity_that_does_not_decode_fails_when_read() {
        let mut article = sample();
        article.provenance.push(Provenance::default());
        let bad = damaged_at(&article.encode_to_vec(), b"wikidata");
        let view = ArticleView::decode(&bad).expect("entities are decoded when read");
        assert_eq!(view.paragraphs().len(), 2);
        let error = view.try_entities().unwrap_err();
        assert!(error.to_string().contains("not UTF-8"), "{error}");
        assert_eq!(view.entity_views().unwrap_err(), error);
        let panic = catch_unwind(AssertUnwindSafe(|| view.entities().len())).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with("the article's entities do not decode"),
            "{message}"
        );
    }

    #[test]
    fn an_entity_that_does_not_decode_is_not_written_on() {
        let bad = damaged_at(&sample().encode_to_vec(), b"wikidata");
        let view = ArticleView::decode(&bad).unwrap();
        let mut out = Vec::new();
        let error = view.encode_with([], |_| {}, &mut out).unwrap_err();
        assert!(error.to_string().contains("not UTF-8"), "{error}");
        assert!(out.is_empty());
    }

    proptest! {
        /// The reader of prost's layout reads a paragraph as prost does, or
        /// leaves it to the general one; so on damaged bytes.
        #[test]
        #[allow(unsafe_code, reason = "`Checked` promises nothing")]
        fn a_paragraph_as_written_is_read_as_prost_reads_it(
            kind in prop_oneof![0i32..200, any::<i32>()],
            text in "\\PC{0,20}|[\u{621}-\u{64a} ]{0,200}",
            matching in "\\PC{0,20}|[a-z ]{0,9000}",
            damage in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
        ) {
            let mut bytes = Paragraph { kind, text, matching }.encode_to_vec();
            if let Some((at, value)) = damage && !bytes.is_empty() {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            // SAFETY: `Checked` promises nothing.
            if let Some(view) = unsafe { paragraph_as_written(&bytes, Utf8::Checked) } {
                let prost = Paragraph::decode(bytes.as_slice()).expect("prost reads it too");
                prop_assert_eq!(Paragraph::from(view), prost);
            }
        }

        #[test]
        fn any_article_is_shown_as_prost_decodes_it(article in any_article()) {
            same_answer(&article.encode_to_vec())?;
            let view = ArticleView::of(&article);
            prop_assert_eq!(view.to_article().unwrap(), article.clone());
            let owned = view.into_article_with(vec![Paragraph::default()]).unwrap();
            prop_assert_eq!(owned, Article { paragraphs: vec![Paragraph::default()], ..article });
        }

        /// Written straight from the view, an article decodes to what
        /// `into_article_with` and the same edit give, whether the view is
        /// of bytes or of an article in memory.
        #[test]
        fn an_article_encoded_from_a_view_decodes_to_the_owned_one(
            article in any_article(),
            replacement in any_article(),
            title in ".{0,8}",
        ) {
            let edit = |a: &mut Article| {
                a.title = title.clone();
                a.provenance.push(Provenance { action: title.clone(), ..Default::default() });
            };
            let paragraphs: Vec<ParagraphView<'_>> =
                replacement.paragraphs.iter().map(ParagraphView::from).collect();
            let mut want = ArticleView::of(&article)
                .into_article_with(replacement.paragraphs.clone())
                .unwrap();
            edit(&mut want);
            let bytes = article.encode_to_vec();
            for view in [ArticleView::decode(&bytes).unwrap(), ArticleView::of(&article)] {
                let mut out = vec![7];
                view.encode_with(paragraphs.iter().copied(), edit, &mut out).unwrap();
                prop_assert_eq!(out[0], 7, "appended to what was there");
                prop_assert_eq!(Article::decode(&out[1..]).unwrap(), want.clone());
            }
        }

        /// Bytes that decode, read as the host checked them, show what
        /// the checking decoder shows.
        #[test]
        #[allow(unsafe_code, reason = "the bytes are an article prost encoded")]
        fn a_host_checked_article_is_read_as_a_checked_one(article in any_article()) {
            let bytes = article.encode_to_vec();
            let checked = ArticleView::decode(&bytes).unwrap();
            // SAFETY: prost encoded `bytes` from an Article, so they decode.
            let trusted = unsafe { ArticleView::decode_host_checked(&bytes) }.unwrap();
            prop_assert_eq!(trusted.paragraphs(), checked.paragraphs());
            prop_assert_eq!(trusted.entity_views().unwrap(), checked.entity_views().unwrap());
            prop_assert_eq!(trusted.to_article().unwrap(), article);
        }

        #[test]
        fn damaged_bytes_get_the_same_answer(bytes in damaged_article()) {
            same_answer(&bytes)?;
        }

        #[test]
        fn any_bytes_get_the_same_answer(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            same_answer(&bytes)?;
        }
    }
}
