//! An article's proto3 JSON, written straight from its encoding.
//!
//! Why: `akhbar run` writes each article it makes as a line of JSON. The
//! general way, decoding the bytes into an owned [`Article`] and handing
//! it to the pbjson serde code, cost about 33 µs an article, 6 % of a run:
//! some 500 strings copied into fresh allocations, then each written
//! through serde's per-field calls. Here the strings are borrowed from the
//! bytes and each field is written by one straight call.
//!
//! The output is pbjson's through serde_json, byte for byte (camelCase
//! names in the schema's order, fields at their default left out, enums by
//! name, RFC 3339 times, numbers as serde_json writes them), with one
//! difference: `metadata` is written in key order, where pbjson writes a
//! `HashMap`'s order, which changes from run to run. Property tests hold
//! the two to the same bytes on any article, on merged encodings (an
//! article with enrichments appended) and on damaged ones.

use prost::DecodeError;
use prost::encoding::{DecodeContext, WireType, skip_field};

use crate::Timestamp;
use crate::tags;
use crate::text_decode::{self, Utf8, entity_view, text_of};
use crate::v1::{Article, entity, paragraph};
use crate::varint::{decode_key, decode_varint};
use crate::view::{EntityView, ParagraphView, Refused, length_delimited};

/// A JSON object's key, quoted, with its colon: `"name":`.
macro_rules! key {
    ($name:literal) => {
        concat!("\"", $name, "\":").as_bytes()
    };
}

/// Why an article could not be written as JSON.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The bytes do not decode as an `akhbar.v1.Article` (prost's error).
    #[error("the article does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// An enum field holds a number its enum has no name for, which the
    /// proto3 JSON mapping cannot write.
    #[error("{field} is {value}, which names no value of its enum")]
    UnknownVariant {
        /// The field, as `Message.field`.
        field: &'static str,
        /// The number it holds.
        value: i32,
    },
    /// A timestamp outside what RFC 3339 can write (years 0 to 9999), or
    /// with negative nanoseconds.
    #[error("{field} ({seconds} s, {nanos} ns) is no time RFC 3339 can write")]
    Timestamp {
        /// The field, as `Message.field`.
        field: &'static str,
        /// Its seconds.
        seconds: i64,
        /// Its nanoseconds.
        nanos: i32,
    },
}

/// What was written, besides the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Written {
    /// Length of the article's body in bytes (UTF-8).
    pub body_bytes: usize,
}

/// Appends the JSON of the encoded `akhbar.v1.Article` `bytes` to `out`
/// (one line: no newline in it, none after it). On an error `out` is left
/// as it was.
#[allow(
    unsafe_code,
    reason = "a decoder that checks, called unchecking nothing"
)]
pub fn article_json(bytes: &[u8], out: &mut Vec<u8>) -> Result<Written, JsonError> {
    // SAFETY: `Checked` promises nothing.
    unsafe { encoded_json(bytes, Utf8::Checked, out) }
}

/// [`article_json`] of bytes the host has checked, whose text is not
/// checked again in a release build (see
/// [`text_decode::article_host_checked`]).
///
/// # Safety
/// `bytes` must decode as an `akhbar.v1.Article` with prost.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
pub unsafe fn article_json_host_checked(
    bytes: &[u8],
    out: &mut Vec<u8>,
) -> Result<Written, JsonError> {
    // SAFETY: the caller's promise.
    unsafe { encoded_json(bytes, Utf8::Promised, out) }
}

/// The JSON of an article in memory, as [`article_json`] writes it.
pub fn write_article(article: &Article, out: &mut Vec<u8>) -> Result<Written, JsonError> {
    write_checked(&ArticleRef::from(article), out)
}

/// # Safety
/// With [`Utf8::Promised`], `bytes` must decode as an Article.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn encoded_json(bytes: &[u8], utf8: Utf8, out: &mut Vec<u8>) -> Result<Written, JsonError> {
    // SAFETY: the caller's promise.
    match unsafe { ArticleRef::decode(bytes, utf8) } {
        Ok(article) => write_checked(&article, out),
        // Bytes this decoder leaves to prost (damaged, or unusual: a known
        // field with another wire type): prost's article, or its error.
        Err(Refused) => write_article(&text_decode::article(bytes)?, out),
    }
}

/// [`ArticleRef::write`], leaving `out` as it was on an error.
fn write_checked(article: &ArticleRef<'_>, out: &mut Vec<u8>) -> Result<Written, JsonError> {
    let len = out.len();
    article.write(out).inspect_err(|_| out.truncate(len))?;
    Ok(Written {
        body_bytes: article.body.len(),
    })
}

/// An article whose strings are borrowed: from its encoding, or from an
/// [`Article`].
#[derive(Default)]
struct ArticleRef<'a> {
    id: &'a str,
    source_uri: &'a str,
    site: &'a str,
    title: &'a str,
    body: &'a str,
    paragraphs: Vec<ParagraphView<'a>>,
    language: &'a str,
    language_confidence: f32,
    published_at: Option<Timestamp>,
    entities: Vec<EntityView<'a>>,
    keywords: Vec<(&'a str, f32)>,
    tags: Vec<&'a str>,
    content_hash: &'a str,
    story_id: &'a str,
    word_count: u32,
    reading_time_seconds: u32,
    provenance: Vec<ProvenanceRef<'a>>,
    /// The provenance records' details, one after another (a record's are
    /// `details[record.details.0..record.details.1]`).
    details: Vec<&'a str>,
    dates: Vec<DateRef<'a>>,
    dateline: Option<[&'a str; 3]>,
    received_at: Option<Timestamp>,
    /// In the order they came; later entries replace earlier ones of the
    /// same key.
    metadata: Vec<(&'a str, &'a str)>,
    simhash: &'a str,
    near_duplicate_of: &'a str,
}

#[derive(Default)]
struct ProvenanceRef<'a> {
    stage: &'a str,
    plugin: &'a str,
    plugin_version: &'a str,
    action: &'a str,
    details: (usize, usize),
}

#[derive(Default)]
struct DateRef<'a> {
    text: &'a str,
    date: &'a str,
    paragraph: u32,
    start: u32,
    end: u32,
}

impl<'a> From<&'a Article> for ArticleRef<'a> {
    fn from(a: &'a Article) -> Self {
        let mut details = Vec::new();
        let provenance = a
            .provenance
            .iter()
            .map(|p| {
                let from = details.len();
                details.extend(p.details.iter().map(String::as_str));
                ProvenanceRef {
                    stage: &p.stage,
                    plugin: &p.plugin,
                    plugin_version: &p.plugin_version,
                    action: &p.action,
                    details: (from, details.len()),
                }
            })
            .collect();
        ArticleRef {
            id: &a.id,
            source_uri: &a.source_uri,
            site: &a.site,
            title: &a.title,
            body: &a.body,
            paragraphs: a.paragraphs.iter().map(ParagraphView::from).collect(),
            language: &a.language,
            language_confidence: a.language_confidence,
            published_at: a.published_at,
            entities: a.entities.iter().map(EntityView::from).collect(),
            keywords: a
                .keywords
                .iter()
                .map(|k| (k.text.as_str(), k.score))
                .collect(),
            tags: a.tags.iter().map(String::as_str).collect(),
            content_hash: &a.content_hash,
            story_id: &a.story_id,
            word_count: a.word_count,
            reading_time_seconds: a.reading_time_seconds,
            provenance,
            details,
            dates: a
                .dates
                .iter()
                .map(|d| DateRef {
                    text: &d.text,
                    date: &d.date,
                    paragraph: d.paragraph,
                    start: d.start,
                    end: d.end,
                })
                .collect(),
            dateline: a
                .dateline
                .as_ref()
                .map(|d| [d.place.as_str(), d.agency.as_str(), d.text.as_str()]),
            received_at: a.received_at,
            metadata: a
                .metadata
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            simhash: &a.simhash,
            near_duplicate_of: &a.near_duplicate_of,
        }
    }
}

// `akhbar.v1.Article`'s fields this module reads that `tags` has no name
// for (it names those other decoders share).
const TITLE: u32 = 4;
const LANGUAGE: u32 = 7;
const LANGUAGE_CONFIDENCE: u32 = 8;
const PUBLISHED_AT: u32 = 9;
const TAGS: u32 = 12;
const STORY_ID: u32 = 14;
const DATELINE: u32 = 19;
const METADATA: u32 = 21;
const SIMHASH: u32 = 22;
const NEAR_DUPLICATE_OF: u32 = 23;
/// The highest field number of `akhbar.v1.Article`.
const LAST_FIELD: u32 = 23;

impl<'a> ArticleRef<'a> {
    /// The article encoded in `bytes`, read by prost's rules (a later
    /// occurrence of a field replaces an earlier one, messages merge,
    /// unknown fields are skipped), or `Refused` for bytes prost is to
    /// judge: damaged, or unusual (a known field with another wire type).
    ///
    /// # Safety
    /// With [`Utf8::Promised`], `bytes` must decode as an Article.
    #[allow(unsafe_code, reason = "the caller's promise is passed on")]
    unsafe fn decode(bytes: &'a [u8], utf8: Utf8) -> Result<Self, Refused> {
        let mut a = ArticleRef {
            // Sized for the common case (a paragraph, in its two forms, in
            // about 200 encoded bytes; an entity in about 60).
            paragraphs: Vec::with_capacity(bytes.len() / 200 + 4),
            entities: Vec::with_capacity(bytes.len() / 400 + 4),
            ..ArticleRef::default()
        };
        let mut buf = bytes;
        while !buf.is_empty() {
            let (tag, wire_type) = decode_key(&mut buf)?;
            match (tag, wire_type) {
                (
                    tags::article::WORD_COUNT | tags::article::READING_TIME_SECONDS,
                    WireType::Varint,
                ) => {
                    // prost's uint32: the low 32 bits.
                    let value = decode_varint(&mut buf)? as u32;
                    if tag == tags::article::WORD_COUNT {
                        a.word_count = value;
                    } else {
                        a.reading_time_seconds = value;
                    }
                }
                (LANGUAGE_CONFIDENCE, WireType::ThirtyTwoBit) => {
                    a.language_confidence = fixed32(&mut buf)?;
                }
                (1..=LAST_FIELD, WireType::LengthDelimited) => {
                    let payload = length_delimited(&mut buf).ok_or(Refused)?;
                    // SAFETY: a promise for the article covers each of its
                    // fields.
                    unsafe { a.take(tag, payload, utf8) }?;
                }
                // A known field with another wire type: prost's to judge.
                (1..=LAST_FIELD, _) => return Err(Refused),
                _ => skip_field(wire_type, tag, &mut buf, DecodeContext::default())?,
            }
        }
        Ok(a)
    }

    /// Takes the length-delimited field `tag` of the article.
    ///
    /// # Safety
    /// With [`Utf8::Promised`], `payload` must decode as that field.
    #[allow(unsafe_code, reason = "the caller's promise is passed on")]
    unsafe fn take(&mut self, tag: u32, payload: &'a [u8], utf8: Utf8) -> Result<(), Refused> {
        let text = || {
            // SAFETY: the caller's promise for the field.
            unsafe { text_of(payload, utf8) }.ok_or(Refused)
        };
        match tag {
            tags::article::PARAGRAPHS => {
                // SAFETY: the caller's promise for the field.
                let paragraph = unsafe { crate::view::paragraph(payload, utf8) }?;
                self.paragraphs.push(paragraph);
            }
            tags::article::ENTITIES => {
                // SAFETY: the caller's promise for the field.
                let entity = unsafe { entity_view(payload, utf8) }.map_err(|()| Refused)?;
                self.entities.push(entity);
            }
            tags::article::KEYWORDS => {
                // SAFETY: the caller's promise for the field.
                self.keywords.push(unsafe { keyword(payload, utf8) }?);
            }
            tags::article::PROVENANCE => {
                // SAFETY: the caller's promise for the field.
                let record = unsafe { provenance(payload, utf8, &mut self.details) }?;
                self.provenance.push(record);
            }
            tags::article::DATES => {
                // SAFETY: the caller's promise for the field.
                self.dates.push(unsafe { date(payload, utf8) }?);
            }
            TAGS => self.tags.push(text()?),
            PUBLISHED_AT | tags::article::RECEIVED_AT => {
                let at = if tag == PUBLISHED_AT {
                    &mut self.published_at
                } else {
                    &mut self.received_at
                };
                merge_timestamp(at.get_or_insert_default(), payload)?;
            }
            DATELINE => {
                let line = self.dateline.get_or_insert_default();
                // SAFETY: the caller's promise covers the dateline's strings.
                unsafe { strings(payload, utf8, line) }?;
            }
            METADATA => {
                let mut entry = ["", ""];
                // SAFETY: the caller's promise covers the entry's strings.
                unsafe { strings(payload, utf8, &mut entry) }?;
                self.metadata.push((entry[0], entry[1]));
            }
            _ => {
                let target = match tag {
                    tags::article::ID => &mut self.id,
                    tags::article::SOURCE_URI => &mut self.source_uri,
                    tags::article::SITE => &mut self.site,
                    TITLE => &mut self.title,
                    tags::article::BODY => &mut self.body,
                    LANGUAGE => &mut self.language,
                    tags::article::CONTENT_HASH => &mut self.content_hash,
                    STORY_ID => &mut self.story_id,
                    SIMHASH => &mut self.simhash,
                    NEAR_DUPLICATE_OF => &mut self.near_duplicate_of,
                    // A number or a float sent length-delimited.
                    _ => return Err(Refused),
                };
                *target = text()?;
            }
        }
        Ok(())
    }

    /// Appends the JSON to `out`.
    fn write(&self, out: &mut Vec<u8>) -> Result<(), JsonError> {
        out.reserve(self.body.len() * 3 + 1024);
        let mut o = Object::open(out);
        o.string(key!("id"), self.id);
        o.string(key!("sourceUri"), self.source_uri);
        o.string(key!("site"), self.site);
        o.string(key!("title"), self.title);
        o.string(key!("body"), self.body);
        if !self.paragraphs.is_empty() {
            let mut list = o.list(key!("paragraphs"));
            for p in &self.paragraphs {
                let mut o = list.item();
                if p.kind != 0 {
                    let kind = paragraph::Kind::try_from(p.kind).map_err(|_| {
                        JsonError::UnknownVariant {
                            field: "Paragraph.kind",
                            value: p.kind,
                        }
                    })?;
                    o.raw(key!("kind"), kind.as_str_name());
                }
                o.string(key!("text"), p.text);
                o.string(key!("matching"), p.matching);
                o.close();
            }
            list.close();
        }
        o.string(key!("language"), self.language);
        o.float(key!("languageConfidence"), self.language_confidence);
        o.timestamp(
            key!("publishedAt"),
            "Article.published_at",
            self.published_at,
        )?;
        if !self.entities.is_empty() {
            let mut list = o.list(key!("entities"));
            for e in &self.entities {
                let mut o = list.item();
                o.string(key!("text"), e.text);
                if e.label != 0 {
                    let label = entity::Label::try_from(e.label).map_err(|_| {
                        JsonError::UnknownVariant {
                            field: "Entity.label",
                            value: e.label,
                        }
                    })?;
                    o.raw(key!("label"), label.as_str_name());
                }
                o.string(key!("canonicalId"), e.canonical_id);
                o.string(key!("canonicalName"), e.canonical_name);
                o.number(key!("paragraph"), e.paragraph);
                o.number(key!("start"), e.start);
                o.number(key!("end"), e.end);
                o.float(key!("confidence"), e.confidence);
                o.close();
            }
            list.close();
        }
        if !self.keywords.is_empty() {
            let mut list = o.list(key!("keywords"));
            for &(text, score) in &self.keywords {
                let mut o = list.item();
                o.string(key!("text"), text);
                o.float(key!("score"), score);
                o.close();
            }
            list.close();
        }
        o.strings(key!("tags"), &self.tags);
        o.string(key!("contentHash"), self.content_hash);
        o.string(key!("storyId"), self.story_id);
        o.number(key!("wordCount"), self.word_count);
        o.number(key!("readingTimeSeconds"), self.reading_time_seconds);
        if !self.provenance.is_empty() {
            let mut list = o.list(key!("provenance"));
            for p in &self.provenance {
                let mut o = list.item();
                o.string(key!("stage"), p.stage);
                o.string(key!("plugin"), p.plugin);
                o.string(key!("pluginVersion"), p.plugin_version);
                o.string(key!("action"), p.action);
                o.strings(key!("details"), &self.details[p.details.0..p.details.1]);
                o.close();
            }
            list.close();
        }
        if !self.dates.is_empty() {
            let mut list = o.list(key!("dates"));
            for d in &self.dates {
                let mut o = list.item();
                o.string(key!("text"), d.text);
                o.string(key!("date"), d.date);
                o.number(key!("paragraph"), d.paragraph);
                o.number(key!("start"), d.start);
                o.number(key!("end"), d.end);
                o.close();
            }
            list.close();
        }
        if let Some([place, agency, text]) = self.dateline {
            let mut line = o.object(key!("dateline"));
            line.string(key!("place"), place);
            line.string(key!("agency"), agency);
            line.string(key!("text"), text);
            line.close();
        }
        o.timestamp(key!("receivedAt"), "Article.received_at", self.received_at)?;
        if !self.metadata.is_empty() {
            // Key order, the last entry of a key standing (a map's rule).
            let mut entries: Vec<(usize, &(&str, &str))> =
                self.metadata.iter().enumerate().collect();
            entries.sort_by(|a, b| a.1.0.cmp(b.1.0).then(b.0.cmp(&a.0)));
            entries.dedup_by(|later, first| later.1.0 == first.1.0);
            let mut map = o.object(key!("metadata"));
            for (_, &(k, v)) in entries {
                map.comma();
                write_str(map.out, k);
                map.out.push(b':');
                write_str(map.out, v);
            }
            map.close();
        }
        o.string(key!("simhash"), self.simhash);
        o.string(key!("nearDuplicateOf"), self.near_duplicate_of);
        o.close();
        Ok(())
    }
}

/// A JSON object being written: fields at their default are left out, as
/// pbjson leaves them out.
struct Object<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

impl<'o> Object<'o> {
    fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, empty: true }
    }

    fn comma(&mut self) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
    }

    fn key(&mut self, key: &[u8]) {
        self.comma();
        self.out.extend_from_slice(key);
    }

    fn string(&mut self, key: &[u8], value: &str) {
        if !value.is_empty() {
            self.key(key);
            write_str(self.out, value);
        }
    }

    /// A string that needs no escape (an enum's name).
    fn raw(&mut self, key: &[u8], value: &str) {
        self.key(key);
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
    }

    fn strings(&mut self, key: &[u8], values: &[&str]) {
        if !values.is_empty() {
            self.key(key);
            self.out.push(b'[');
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                write_str(self.out, value);
            }
            self.out.push(b']');
        }
    }

    fn number(&mut self, key: &[u8], value: u32) {
        if value != 0 {
            self.key(key);
            self.out
                .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        }
    }

    /// serde_json's float: the shortest form that reads back the same
    /// (zmij, as serde_json uses), or `null` for NaN and the infinities.
    fn float(&mut self, key: &[u8], value: f32) {
        if value != 0.0 {
            self.key(key);
            if value.is_finite() {
                self.out
                    .extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
            } else {
                self.out.extend_from_slice(b"null");
            }
        }
    }

    /// pbjson's timestamp: chrono's RFC 3339 form in UTC.
    fn timestamp(
        &mut self,
        key: &[u8],
        field: &'static str,
        at: Option<Timestamp>,
    ) -> Result<(), JsonError> {
        if let Some(at) = at {
            let time: chrono::DateTime<chrono::Utc> =
                at.try_into().map_err(|_| JsonError::Timestamp {
                    field,
                    seconds: at.seconds,
                    nanos: at.nanos,
                })?;
            self.key(key);
            // RFC 3339 needs no escape.
            self.out.push(b'"');
            self.out.extend_from_slice(time.to_rfc3339().as_bytes());
            self.out.push(b'"');
        }
        Ok(())
    }

    fn object(&mut self, key: &[u8]) -> Object<'_> {
        self.key(key);
        Object::open(self.out)
    }

    fn list(&mut self, key: &[u8]) -> List<'_> {
        self.key(key);
        self.out.push(b'[');
        List {
            out: self.out,
            empty: true,
        }
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

/// A JSON list of objects being written.
struct List<'o> {
    out: &'o mut Vec<u8>,
    empty: bool,
}

impl List<'_> {
    fn item(&mut self) -> Object<'_> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        Object::open(self.out)
    }

    fn close(self) {
        self.out.push(b']');
    }
}

/// Where the first byte of `chunk` is that JSON must escape (a control
/// character, `"` or `\`), if one is.
#[cfg(target_arch = "x86_64")]
#[inline]
#[allow(unsafe_code, reason = "SSE2 intrinsics")]
fn first_escape(chunk: &[u8; 16]) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of x86_64; the unaligned load reads the 16
    // bytes of `chunk`.
    let marks = unsafe {
        let x = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
        // x <= 0x1f, unsigned: min(x, 0x1f) == x.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
    };
    (marks != 0).then(|| marks.trailing_zeros() as usize)
}

/// [`first_escape`] where there is no SSE2.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn first_escape(chunk: &[u8; 16]) -> Option<usize> {
    first_escape_in_integers(chunk)
}

/// [`first_escape`] eight bytes at a time, in plain integers.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline]
fn first_escape_in_integers(chunk: &[u8; 16]) -> Option<usize> {
    /// The high bit of each byte that JSON must escape, exactly for the
    /// lowest such byte (a byte above one may be marked falsely: the
    /// subtraction borrows from it).
    fn escapes(word: u64) -> u64 {
        const HIGH: u64 = 0x8080_8080_8080_8080;
        const ONES: u64 = 0x0101_0101_0101_0101;
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = word ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        (control | quote | backslash) & HIGH
    }
    let (low, high) = chunk.split_at(8);
    [low, high].iter().enumerate().find_map(|(i, half)| {
        let marks = escapes(u64::from_le_bytes((*half).try_into().unwrap_or_default()));
        (marks != 0).then(|| i * 8 + (marks.trailing_zeros() / 8) as usize)
    })
}

/// `s` as a JSON string, escaped as serde_json escapes it: `"` `\` and
/// the control characters, with the short escapes where JSON has them and
/// `\u00xx` (lower-case hex) for the others; nothing else.
///
/// Why by hand: text is most of an article's JSON (every paragraph twice,
/// and the body), and sixteen bytes are checked at a time here.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // `bytes[copied..]` is not written yet; `bytes[copied..at]` needs no escape.
    let mut copied = 0;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 16) {
        match first_escape(chunk.try_into().unwrap_or(&[0; 16])) {
            None => at += 16,
            Some(i) => {
                let escaped = at + i;
                out.extend_from_slice(&bytes[copied..escaped]);
                escape(out, bytes[escaped]);
                at = escaped + 1;
                copied = at;
            }
        }
    }
    for (i, &b) in bytes.iter().enumerate().skip(at) {
        if b < 0x20 || b == b'"' || b == b'\\' {
            out.extend_from_slice(&bytes[copied..i]);
            escape(out, b);
            copied = i + 1;
        }
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'"');
}

/// The escape of one byte JSON must escape.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0c => b'f',
        _ => {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// A little-endian 32-bit float whose key was just read.
fn fixed32(buf: &mut &[u8]) -> Result<f32, Refused> {
    let (bytes, rest) = buf.split_first_chunk::<4>().ok_or(Refused)?;
    *buf = rest;
    Ok(f32::from_le_bytes(*bytes))
}

/// Merges an encoded `google.protobuf.Timestamp` into `at`.
fn merge_timestamp(at: &mut Timestamp, mut buf: &[u8]) -> Result<(), Refused> {
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        match (tag, wire_type) {
            // prost's int64 and int32.
            (1, WireType::Varint) => at.seconds = decode_varint(&mut buf)? as i64,
            (2, WireType::Varint) => at.nanos = decode_varint(&mut buf)? as i32,
            (1 | 2, _) => return Err(Refused),
            _ => skip_field(wire_type, tag, &mut buf, DecodeContext::default())?,
        }
    }
    Ok(())
}

/// Reads a message of only string fields, numbered from 1 (a dateline,
/// a map entry), into `fields`.
///
/// # Safety
/// With [`Utf8::Promised`], `buf` must decode as that message.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn strings<'a>(
    mut buf: &'a [u8],
    utf8: Utf8,
    fields: &mut [&'a str],
) -> Result<(), Refused> {
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        let field = (tag as usize).wrapping_sub(1);
        if field < fields.len() {
            if wire_type != WireType::LengthDelimited {
                return Err(Refused);
            }
            let payload = length_delimited(&mut buf).ok_or(Refused)?;
            // SAFETY: the caller's promise covers the message's strings.
            fields[field] = unsafe { text_of(payload, utf8) }.ok_or(Refused)?;
        } else {
            skip_field(wire_type, tag, &mut buf, DecodeContext::default())?;
        }
    }
    Ok(())
}

/// # Safety
/// With [`Utf8::Promised`], `buf` must decode as a Keyword.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn keyword(mut buf: &[u8], utf8: Utf8) -> Result<(&str, f32), Refused> {
    const SCORE: u32 = 2;
    let (mut text, mut score) = ("", 0.0);
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        match (tag, wire_type) {
            (tags::keyword::TEXT, WireType::LengthDelimited) => {
                let payload = length_delimited(&mut buf).ok_or(Refused)?;
                // SAFETY: the caller's promise covers the keyword's text.
                text = unsafe { text_of(payload, utf8) }.ok_or(Refused)?;
            }
            (SCORE, WireType::ThirtyTwoBit) => score = fixed32(&mut buf)?,
            (tags::keyword::TEXT | SCORE, _) => return Err(Refused),
            _ => skip_field(wire_type, tag, &mut buf, DecodeContext::default())?,
        }
    }
    Ok((text, score))
}

/// A provenance record; its details are appended to `details`.
///
/// # Safety
/// With [`Utf8::Promised`], `buf` must decode as a Provenance record.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn provenance<'a>(
    mut buf: &'a [u8],
    utf8: Utf8,
    details: &mut Vec<&'a str>,
) -> Result<ProvenanceRef<'a>, Refused> {
    let from = details.len();
    let mut strings = [""; 4];
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        match (tag, wire_type) {
            (1..=tags::provenance::DETAILS, WireType::LengthDelimited) => {
                let payload = length_delimited(&mut buf).ok_or(Refused)?;
                // SAFETY: the caller's promise covers the record's strings.
                let text = unsafe { text_of(payload, utf8) }.ok_or(Refused)?;
                if tag == tags::provenance::DETAILS {
                    details.push(text);
                } else {
                    strings[tag as usize - 1] = text;
                }
            }
            (1..=tags::provenance::DETAILS, _) => return Err(Refused),
            _ => skip_field(wire_type, tag, &mut buf, DecodeContext::default())?,
        }
    }
    let [stage, plugin, plugin_version, action] = strings;
    Ok(ProvenanceRef {
        stage,
        plugin,
        plugin_version,
        action,
        details: (from, details.len()),
    })
}

/// # Safety
/// With [`Utf8::Promised`], `buf` must decode as a MentionedDate.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn date(mut buf: &[u8], utf8: Utf8) -> Result<DateRef<'_>, Refused> {
    let mut d = DateRef::default();
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        match (tag, wire_type) {
            (
                tags::mentioned_date::TEXT | tags::mentioned_date::DATE,
                WireType::LengthDelimited,
            ) => {
                let payload = length_delimited(&mut buf).ok_or(Refused)?;
                // SAFETY: the caller's promise covers the date's strings.
                let text = unsafe { text_of(payload, utf8) }.ok_or(Refused)?;
                if tag == tags::mentioned_date::TEXT {
                    d.text = text;
                } else {
                    d.date = text;
                }
            }
            (3..=5, WireType::Varint) => {
                // prost's uint32: the low 32 bits.
                let value = decode_varint(&mut buf)? as u32;
                match tag {
                    3 => d.paragraph = value,
                    4 => d.start = value,
                    _ => d.end = value,
                }
            }
            (1..=5, _) => return Err(Refused),
            _ => skip_field(wire_type, tag, &mut buf, DecodeContext::default())?,
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use prost::Message;

    use super::*;
    use crate::text_decode::tests::{any_article, damaged_article};
    use crate::v1::{Dateline, Enrichment, Entity, Keyword, Paragraph, Provenance};

    /// What pbjson and serde_json write for `article`, or `None` where
    /// they refuse it.
    fn serde_line(article: &Article) -> Option<String> {
        serde_json::to_string(article).ok()
    }

    /// Ours from the encoding (checked, and as host-checked bytes) and
    /// from the article in memory: all three the same, and `Err` where
    /// serde_json refuses.
    #[allow(unsafe_code, reason = "the bytes are an article prost encoded")]
    fn ours(article: &Article) -> Result<String, JsonError> {
        let bytes = article.encode_to_vec();
        let mut checked = b"before ".to_vec();
        let got = article_json(&bytes, &mut checked);
        let mut trusted = Vec::new();
        // SAFETY: prost encoded `bytes` from an Article.
        let got_trusted = unsafe { article_json_host_checked(&bytes, &mut trusted) };
        let mut owned = Vec::new();
        let got_owned = write_article(article, &mut owned);
        assert_eq!(got.is_ok(), got_trusted.is_ok());
        assert_eq!(got.is_ok(), got_owned.is_ok());
        match got {
            Ok(written) => {
                assert_eq!(written.body_bytes, article.body.len());
                let line = String::from_utf8(checked.split_off(7)).expect("UTF-8");
                assert_eq!(checked, b"before ");
                assert_eq!(line.as_bytes(), trusted);
                assert_eq!(line.as_bytes(), owned);
                Ok(line)
            }
            Err(e) => {
                assert_eq!(checked, b"before ", "an error leaves the output as it was");
                assert!(trusted.is_empty() && owned.is_empty());
                Err(e)
            }
        }
    }

    fn nasty_text(repeat: usize) -> String {
        let every_control: String = (0u8..0x20).map(char::from).collect();
        format!("{every_control} \" \\ / \u{7f} \u{2028} \u{2029} é بوتين 😀 \u{FFFD} end")
            .repeat(repeat)
    }

    /// Every escape JSON has, and floats of every kind, written as
    /// serde_json writes them.
    #[test]
    fn escapes_and_floats_are_written_as_serde_json_writes_them() {
        let floats = [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-7,
            123_456_790.0,
            3.402_823_5e38,
            f32::MIN_POSITIVE,
            1e-45,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        for (i, score) in floats.into_iter().enumerate() {
            let text = nasty_text(i + 1);
            let article = Article {
                id: text.clone(),
                source_uri: "file:///x".into(),
                title: text.clone(),
                body: text.clone(),
                language_confidence: score,
                paragraphs: vec![Paragraph {
                    kind: 1,
                    text: text.clone(),
                    matching: text.clone(),
                }],
                entities: vec![Entity {
                    text: text.clone(),
                    label: 5,
                    confidence: score,
                    start: u32::MAX,
                    ..Default::default()
                }],
                keywords: vec![Keyword {
                    text: text.clone(),
                    score,
                }],
                provenance: vec![Provenance {
                    details: vec![text.clone(), String::new()],
                    ..Default::default()
                }],
                tags: vec![text.clone(), String::new()],
                word_count: u32::MAX,
                metadata: [(text.clone(), text.clone())].into(),
                ..Default::default()
            };
            assert_eq!(
                ours(&article).expect("writes"),
                serde_line(&article).expect("writes"),
                "score {score}"
            );
        }
    }

    #[test]
    fn times_are_written_as_pbjson_writes_them() {
        for (seconds, nanos) in [
            (0, 0),
            (1_700_000_000, 0),
            (1_700_000_000, 5),
            (1_700_000_000, 120_000_000),
            (-62_135_596_800, 0),
            (253_402_300_799, 999_999_999),
        ] {
            let at = Timestamp { seconds, nanos };
            let article = Article {
                published_at: Some(at),
                received_at: Some(at),
                ..Default::default()
            };
            assert_eq!(ours(&article).unwrap(), serde_line(&article).unwrap());
        }
        for (seconds, nanos) in [(i64::MAX, 0), (0, -1), (0, 2_000_000_000)] {
            let article = Article {
                received_at: Some(Timestamp { seconds, nanos }),
                ..Default::default()
            };
            assert!(serde_line(&article).is_none());
            let error = ours(&article).unwrap_err();
            assert!(error.to_string().contains("Article.received_at"), "{error}");
        }
    }

    #[test]
    fn an_unnamed_enum_value_is_an_error_naming_the_field() {
        let article = Article {
            paragraphs: vec![Paragraph {
                kind: 42,
                text: "x".into(),
                matching: String::new(),
            }],
            ..Default::default()
        };
        assert!(serde_line(&article).is_none());
        assert_eq!(
            ours(&article).unwrap_err().to_string(),
            "Paragraph.kind is 42, which names no value of its enum"
        );
    }

    /// pbjson writes a `HashMap`'s order; ours is key order, the later of
    /// two entries of one key standing.
    #[test]
    fn metadata_is_written_in_key_order() {
        let article = Article {
            id: "a".into(),
            metadata: [("b", "2"), ("a", "1"), ("c", "3"), ("ب", "4")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
            ..Default::default()
        };
        let line = ours(&article).unwrap();
        assert_eq!(
            line,
            r#"{"id":"a","metadata":{"a":"1","b":"2","c":"3","ب":"4"}}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        let theirs: serde_json::Value =
            serde_json::from_str(&serde_line(&article).unwrap()).unwrap();
        assert_eq!(parsed, theirs);

        // Two entries of one key in the bytes: the later one stands.
        let mut bytes = article.encode_to_vec();
        let update = Article {
            metadata: [("b".to_owned(), "new".to_owned())].into(),
            ..Default::default()
        };
        bytes.extend(update.encode_to_vec());
        let mut line = Vec::new();
        article_json(&bytes, &mut line).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            r#"{"id":"a","metadata":{"a":"1","b":"new","c":"3","ب":"4"}}"#
        );
    }

    /// Every field of every message an article holds is written: a field
    /// added to the schema and not to this writer fails here (the other
    /// tests would only miss it).
    #[test]
    fn every_field_of_the_schema_is_written() {
        use std::collections::BTreeSet;

        let set = prost_types::FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET).unwrap();
        let names = |message: &str| -> BTreeSet<String> {
            let found = set
                .file
                .iter()
                .flat_map(|f| {
                    f.message_type
                        .iter()
                        .flat_map(|m| std::iter::once(m).chain(m.nested_type.iter()))
                })
                .find(|m| m.name() == message)
                .unwrap_or_else(|| panic!("{message} is in the schema"));
            found
                .field
                .iter()
                .map(|f| f.json_name().to_owned())
                .collect()
        };
        let keys = |value: &serde_json::Value| -> BTreeSet<String> {
            value
                .as_object()
                .expect("an object")
                .keys()
                .cloned()
                .collect()
        };
        let text = || "x".to_owned();
        let at = Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        });
        let article = Article {
            id: text(),
            source_uri: text(),
            site: text(),
            title: text(),
            body: text(),
            paragraphs: vec![Paragraph {
                kind: 1,
                text: text(),
                matching: text(),
            }],
            language: text(),
            language_confidence: 0.5,
            published_at: at,
            entities: vec![Entity {
                text: text(),
                label: 1,
                canonical_id: text(),
                canonical_name: text(),
                paragraph: 1,
                start: 1,
                end: 2,
                confidence: 0.5,
            }],
            keywords: vec![Keyword {
                text: text(),
                score: 0.5,
            }],
            tags: vec![text()],
            content_hash: text(),
            story_id: text(),
            word_count: 1,
            reading_time_seconds: 1,
            provenance: vec![Provenance {
                stage: text(),
                plugin: text(),
                plugin_version: text(),
                action: text(),
                details: vec![text()],
            }],
            dates: vec![crate::v1::MentionedDate {
                text: text(),
                date: text(),
                paragraph: 1,
                start: 1,
                end: 2,
            }],
            dateline: Some(Dateline {
                place: text(),
                agency: text(),
                text: text(),
            }),
            received_at: at,
            metadata: [(text(), text())].into(),
            simhash: text(),
            near_duplicate_of: text(),
        };
        let json: serde_json::Value = serde_json::from_str(&ours(&article).unwrap()).unwrap();
        assert_eq!(keys(&json), names("Article"));
        for (field, message) in [
            ("paragraphs", "Paragraph"),
            ("entities", "Entity"),
            ("keywords", "Keyword"),
            ("provenance", "Provenance"),
            ("dates", "MentionedDate"),
        ] {
            assert_eq!(keys(&json[field][0]), names(message), "{message}");
        }
        assert_eq!(keys(&json["dateline"]), names("Dateline"));
    }

    fn any_timestamp() -> impl Strategy<Value = Option<Timestamp>> {
        prop_oneof![
            3 => Just(None),
            6 => (-62_135_596_800i64..253_402_300_799, 0i32..1_000_000_000)
                .prop_map(|(seconds, nanos)| Some(Timestamp { seconds, nanos })),
            1 => (any::<i64>(), any::<i32>())
                .prop_map(|(seconds, nanos)| Some(Timestamp { seconds, nanos })),
        ]
    }

    fn small_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "",
            "[a-z\"\\\\\n\u{1}]{0,6}",
            "[\u{0621}-\u{064a} ]{1,6}",
            any::<String>()
        ]
    }

    /// An article with every field of the schema: `any_article` and the
    /// fields it leaves at their default. Enum values are ones their enums
    /// name but in one case of ten; timestamps mostly ones RFC 3339 can
    /// write.
    fn full_article() -> impl Strategy<Value = Article> {
        (
            any_article(),
            (small_text(), small_text(), small_text(), small_text()),
            (small_text(), small_text(), small_text()),
            (any::<f32>(), any::<u32>(), any::<u32>()),
            (any_timestamp(), any_timestamp()),
            prop::collection::vec(small_text(), 0..3),
            prop::option::of((small_text(), small_text(), small_text())),
            prop::option::of((small_text(), small_text())),
            prop::bool::weighted(0.1),
            prop::collection::vec(
                (small_text(), small_text(), any::<u32>(), any::<u32>()),
                0..3,
            ),
        )
            .prop_map(
                |(
                    mut a,
                    (source_uri, site, title, content_hash),
                    (story_id, simhash, near_duplicate_of),
                    (confidence, word_count, reading),
                    (published_at, received_at),
                    tags,
                    dateline,
                    metadata,
                    unnamed_enums,
                    dates,
                )| {
                    a.source_uri = source_uri;
                    a.site = site;
                    a.title = title;
                    a.content_hash = content_hash;
                    a.story_id = story_id;
                    a.simhash = simhash;
                    a.near_duplicate_of = near_duplicate_of;
                    a.language_confidence = confidence;
                    a.word_count = word_count;
                    a.reading_time_seconds = reading;
                    a.published_at = published_at;
                    a.received_at = received_at;
                    a.tags = tags;
                    a.dateline = dateline.map(|(place, agency, text)| Dateline {
                        place,
                        agency,
                        text,
                    });
                    a.metadata = metadata.into_iter().collect();
                    if !unnamed_enums {
                        for p in &mut a.paragraphs {
                            p.kind = p.kind.rem_euclid(5);
                        }
                        for e in &mut a.entities {
                            e.label = e.label.rem_euclid(6);
                        }
                    }
                    for (d, (text, date, paragraph, end)) in a.dates.iter_mut().zip(dates) {
                        d.text = text;
                        d.date = date;
                        d.paragraph = paragraph;
                        d.end = end;
                    }
                    for p in &mut a.provenance {
                        p.stage = p.action.chars().rev().collect();
                        p.plugin_version = p.plugin.to_uppercase();
                    }
                    a
                },
            )
    }

    /// The enrichment-like fields of an article, as an enricher's output is
    /// appended to the article's bytes.
    fn enrichment_of(a: Article) -> Enrichment {
        Enrichment {
            language: a.language,
            language_confidence: a.language_confidence,
            published_at: a.published_at,
            entities: a.entities,
            keywords: a.keywords,
            tags: a.tags,
            story_id: a.story_id,
            provenance: a.provenance,
            dates: a.dates,
            dateline: a.dateline,
            metadata: a.metadata,
            simhash: a.simhash,
            near_duplicate_of: a.near_duplicate_of,
        }
    }

    /// `article_json` of `bytes` agrees with prost's decoding and
    /// serde_json: the same line, or an error from both.
    fn same_as_serde(bytes: &[u8]) -> Result<(), TestCaseError> {
        let mut line = Vec::new();
        let ours = article_json(bytes, &mut line);
        let theirs = Article::decode(bytes).ok().map(|a| (serde_line(&a), a));
        match (ours, theirs) {
            (Ok(written), Some((Some(expected), article))) => {
                prop_assert_eq!(written.body_bytes, article.body.len());
                if article.metadata.len() <= 1 {
                    prop_assert_eq!(String::from_utf8(line).unwrap(), expected);
                } else {
                    let got: serde_json::Value = serde_json::from_slice(&line).unwrap();
                    let want: serde_json::Value = serde_json::from_str(&expected).unwrap();
                    prop_assert_eq!(got, want);
                }
            }
            (Err(_), None | Some((None, _))) => prop_assert!(line.is_empty()),
            (ours, theirs) => prop_assert!(
                false,
                "ours {:?}, prost and serde {:?}",
                ours.map(|_| String::from_utf8_lossy(&line).into_owned()),
                theirs.map(|(line, _)| line)
            ),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_article_is_written_as_serde_json_writes_it(article in full_article()) {
            let expected = serde_line(&article);
            match ours(&article) {
                Ok(line) if article.metadata.len() <= 1 => {
                    prop_assert_eq!(Some(line), expected);
                }
                Ok(line) => {
                    let got: serde_json::Value = serde_json::from_str(&line).unwrap();
                    let want: serde_json::Value =
                        serde_json::from_str(&expected.expect("serde writes it")).unwrap();
                    prop_assert_eq!(got, want);
                }
                Err(_) => prop_assert!(expected.is_none()),
            }
        }

        /// An article with enrichments appended (the pipeline's bytes from
        /// plugin libraries): read as prost merges them.
        #[test]
        fn merged_encodings_are_written_as_prost_merges_them(
            article in full_article(),
            enrichments in prop::collection::vec(full_article(), 0..3),
        ) {
            let mut bytes = article.encode_to_vec();
            for e in enrichments {
                bytes.extend(enrichment_of(e).encode_to_vec());
            }
            same_as_serde(&bytes)?;
        }

        #[test]
        fn damaged_encodings_are_refused_as_prost_refuses_them(bytes in damaged_article()) {
            same_as_serde(&bytes)?;
        }

        #[test]
        fn both_escape_finders_find_the_first_byte_to_escape(
            chunk in prop::array::uniform16(prop_oneof![
                Just(b'"'), Just(b'\\'), 0u8..0x20, Just(0x20), Just(0x7f), 0x80u8..=0xff, any::<u8>(),
            ])
        ) {
            let first = chunk.iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(first_escape(&chunk), first);
            prop_assert_eq!(first_escape_in_integers(&chunk), first);
        }

        #[test]
        fn any_text_is_escaped_as_serde_json_escapes_it(
            text in prop::collection::vec(
                prop_oneof![
                    Just('"'), Just('\\'), Just('\n'), Just('\u{1f}'), Just('\u{7f}'),
                    Just('ب'), Just('a'), any::<char>(),
                ],
                0..80,
            ).prop_map(String::from_iter)
        ) {
            let mut out = Vec::new();
            write_str(&mut out, &text);
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap());
        }
    }
}
