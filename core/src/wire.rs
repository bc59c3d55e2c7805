//! The pipeline's work on encoded articles, between plugin libraries.
//!
//! A library stage returns bytes and the next one decodes bytes, so the host
//! does what it must — complete a source's drafts, fill the finished fields,
//! set the history and body aside for the enrichers and put them back —
//! on the protobuf wire, decoding only the fields it reads. Protobuf merge
//! rules make this exact: a field appended later replaces a scalar and
//! extends a repeated field, so the result decodes to the article the typed
//! path (`article::finish` on a decoded `Article`) makes; a test holds both
//! to the same result.

use std::ops::Range;

use prost::encoding::{self, DecodeContext, WireType, decode_key, skip_field};
use prost::{DecodeError, Message};

// Field numbers of `akhbar.v1.Article`, as `field::BODY` and so on.
use akhbar_proto::tags::article as field;
use akhbar_proto::view::ParagraphView;
use akhbar_proto::wire_check;

use crate::article;
use crate::proto::{Paragraph, RawDocument};

/// One top-level field of an encoded message.
struct Field {
    tag: u32,
    /// The whole field, key included.
    whole: Range<usize>,
    /// The payload of a length-delimited field.
    payload: Option<Range<usize>>,
}

/// The top-level fields of `bytes`, in order; fails on malformed framing.
fn fields(bytes: &[u8]) -> Result<Vec<Field>, DecodeError> {
    let at = |rest: &[u8]| bytes.len() - rest.len();
    let mut buf = bytes;
    let mut out = Vec::new();
    while !buf.is_empty() {
        let start = at(buf);
        let (tag, wire_type) = decode_key(&mut buf)?;
        let payload = if wire_type == WireType::LengthDelimited {
            let mut peek = buf;
            let len = encoding::decode_varint(&mut peek)?;
            let begin = at(peek);
            Some(begin..begin.saturating_add(usize::try_from(len).unwrap_or(usize::MAX)))
        } else {
            None
        };
        // Checks that the field fits, whatever its type.
        skip_field(wire_type, tag, &mut buf, DecodeContext::default())?;
        out.push(Field {
            tag,
            whole: start..at(buf),
            payload,
        });
    }
    Ok(out)
}

/// The encoded articles of an encoded `ArticleBatch`, as slices of it.
pub(crate) fn batch_articles(batch: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    Ok(fields(batch)?
        .into_iter()
        .filter(|f| f.tag == akhbar_proto::tags::article_batch::ARTICLES)
        .filter_map(|f| f.payload.map(|range| &batch[range]))
        .collect())
}

/// What the host reads of a source's draft.
#[derive(Clone, PartialEq, Message)]
struct DraftView {
    #[prost(string, tag = "2")]
    source_uri: String,
    #[prost(string, tag = "3")]
    site: String,
    #[prost(message, optional, tag = "20")]
    received_at: Option<akhbar_plugin_sdk::Timestamp>,
}

/// A source's draft with what the source left out taken from the raw
/// document: its URI, the site, the time it was received.
pub(crate) fn complete_draft(draft: &[u8], raw: &RawDocument) -> Result<Vec<u8>, DecodeError> {
    let view = DraftView::decode(draft)?;
    let mut out = draft.to_vec();
    let uri = if view.source_uri.is_empty() {
        put_str(field::SOURCE_URI, &raw.source_uri, &mut out);
        raw.source_uri.as_str()
    } else {
        view.source_uri.as_str()
    };
    if view.site.is_empty() {
        put_str(field::SITE, &article::site_of(uri), &mut out);
    }
    if view.received_at.is_none()
        && let Some(at) = &raw.received_at
    {
        encoding::message::encode(field::RECEIVED_AT, at, &mut out);
    }
    Ok(out)
}

/// What the host reads of a normalized article to finish it.
#[derive(Clone, PartialEq, Message)]
struct FinishView {
    #[prost(string, tag = "2")]
    source_uri: String,
    #[prost(message, repeated, tag = "6")]
    paragraphs: Vec<Paragraph>,
}

/// The source URI of an article whose top-level `fields` are known (the
/// last one given, as protobuf has it); `None` if it is not a string.
fn source_uri<'a>(bytes: &'a [u8], fields: &[Field]) -> Option<&'a str> {
    let mut uri = "";
    for f in fields.iter().filter(|f| f.tag == field::SOURCE_URI) {
        uri = std::str::from_utf8(&bytes[f.payload.clone()?]).ok()?;
    }
    Some(uri)
}

/// A normalized article, finished and split for the enrichers.
#[derive(Debug)]
pub(crate) struct Split {
    /// The article without body and history, with id, hash and counts.
    pub for_enrichers: Vec<u8>,
    /// Its id.
    pub id: String,
    /// Its `provenance` fields, as they were encoded.
    pub history: Vec<u8>,
    /// The body, to put back at the end.
    pub body: String,
}

/// Checks that a normalized article is one, finishes it on the wire (see
/// [`article::finish`]) and sets its history and body aside. `None` when
/// no text is left.
pub(crate) fn finish(bytes: &[u8]) -> Result<Option<Split>, DecodeError> {
    // First, so that bytes that are not an article get prost's error.
    let checked = wire_check::article_paragraphs(bytes)?;
    let fields = fields(bytes)?;
    let decoded;
    let (source_uri, paragraphs) = match (checked, source_uri(bytes, &fields)) {
        (Some(paragraphs), Some(uri)) => (uri, paragraphs),
        // Valid, but not as the walk reads it: prost reads the two fields.
        _ => {
            decoded = FinishView::decode(bytes)?;
            let paragraphs = decoded.paragraphs.iter().map(ParagraphView::from).collect();
            (decoded.source_uri.as_str(), paragraphs)
        }
    };
    if paragraphs.iter().all(|p| p.text.trim().is_empty()) {
        return Ok(None);
    }
    let done = article::finished(source_uri, &paragraphs);
    let mut for_enrichers = Vec::with_capacity(bytes.len() + 128);
    let mut history = Vec::new();
    for f in fields {
        match f.tag {
            field::PROVENANCE => history.extend_from_slice(&bytes[f.whole]),
            field::ID
            | field::BODY
            | field::CONTENT_HASH
            | field::WORD_COUNT
            | field::READING_TIME_SECONDS => {}
            _ => for_enrichers.extend_from_slice(&bytes[f.whole]),
        }
    }
    put_str(field::ID, &done.id, &mut for_enrichers);
    put_str(field::CONTENT_HASH, &done.content_hash, &mut for_enrichers);
    encoding::uint32::encode(field::WORD_COUNT, &done.word_count, &mut for_enrichers);
    encoding::uint32::encode(
        field::READING_TIME_SECONDS,
        &done.reading_time_seconds,
        &mut for_enrichers,
    );
    Ok(Some(Split {
        for_enrichers,
        id: done.id,
        history,
        body: done.body,
    }))
}

/// The finished article's bytes: the history first (so the enrichers'
/// records follow it), then the enriched article, then the body. Neither
/// of the first two holds a body (`finish` took it out, enrichers may not
/// add one), so the body is the one given.
pub(crate) fn reassemble(history: &[u8], enriched: &[u8], body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(history.len() + enriched.len() + body.len() + 8);
    out.extend_from_slice(history);
    out.extend_from_slice(enriched);
    if !body.is_empty() {
        put_str(field::BODY, body, &mut out);
    }
    out
}

/// Appends a string field.
fn put_str(tag: u32, value: &str, out: &mut Vec<u8>) {
    encoding::encode_key(tag, WireType::LengthDelimited, out);
    encoding::encode_varint(value.len() as u64, out);
    out.extend_from_slice(value.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Article, ArticleBatch, Enrichment, Entity, Provenance};

    fn normalized() -> Article {
        Article {
            source_uri: "https://news.example/a/1".into(),
            site: "news.example".into(),
            title: "شويغو في بيونغ يانغ".into(),
            // Stale values a stage might leave: the host's win.
            id: "stale".into(),
            body: "stale body".into(),
            word_count: 99,
            paragraphs: vec![
                Paragraph {
                    kind: 1,
                    text: "وصل شويغو إلى بيونغ يانغ.".into(),
                    matching: "وصل شويغو الي بيونغ يانغ.".into(),
                },
                Paragraph {
                    kind: 1,
                    text: "Kim Jong Un met him.".into(),
                    matching: "kim jong un met him.".into(),
                },
            ],
            provenance: vec![
                Provenance {
                    stage: "source".into(),
                    plugin: "text-dump".into(),
                    ..Default::default()
                },
                Provenance {
                    stage: "normalizer".into(),
                    plugin: "scraped-page".into(),
                    details: vec!["dropped navigation line (line 1): \"Home\"".into()],
                    ..Default::default()
                },
            ],
            metadata: [("k".to_owned(), "v".to_owned())].into(),
            ..Default::default()
        }
    }

    fn enrichment() -> Enrichment {
        Enrichment {
            language: "ar".into(),
            entities: vec![Entity {
                text: "شويغو".into(),
                canonical_id: "wikidata:Q53773".into(),
                ..Default::default()
            }],
            provenance: vec![Provenance {
                stage: "enricher".into(),
                plugin: "entities".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// The typed path the pipeline takes when a stage is linked in.
    fn typed(mut article: Article) -> Article {
        article::finish(&mut article);
        let history = std::mem::take(&mut article.provenance);
        let body = std::mem::take(&mut article.body);
        enrichment().apply_to(&mut article);
        let mut with_history = history;
        with_history.append(&mut article.provenance);
        article.provenance = with_history;
        article.body = body;
        article
    }

    #[test]
    fn finishing_on_the_wire_gives_the_typed_result() {
        let split = finish(&normalized().encode_to_vec()).unwrap().unwrap();
        let for_enrichers = Article::decode(split.for_enrichers.as_slice()).unwrap();
        assert!(for_enrichers.provenance.is_empty(), "history set aside");
        assert!(for_enrichers.body.is_empty(), "body set aside");
        assert_eq!(for_enrichers.id.len(), 32);
        let mut enriched = split.for_enrichers.clone();
        enriched.extend(enrichment().encode_to_vec());
        let wire =
            Article::decode(reassemble(&split.history, &enriched, &split.body).as_slice()).unwrap();
        assert_eq!(wire, typed(normalized()));
        assert_eq!(split.id, wire.id);
    }

    #[test]
    fn an_article_without_text_is_not_finished() {
        let mut article = normalized();
        for p in &mut article.paragraphs {
            p.text = " \n".into();
        }
        assert!(finish(&article.encode_to_vec()).unwrap().is_none());
    }

    #[test]
    fn a_draft_gets_what_the_source_left_out() {
        let raw = RawDocument {
            source_uri: "seeds/000.txt".into(),
            received_at: Some(akhbar_plugin_sdk::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            ..Default::default()
        };
        let bare = Article {
            title: "t".into(),
            ..Default::default()
        };
        let done = Article::decode(
            complete_draft(&bare.encode_to_vec(), &raw)
                .unwrap()
                .as_slice(),
        )
        .unwrap();
        assert_eq!(done.source_uri, "seeds/000.txt");
        assert_eq!(done.site, "seeds");
        assert_eq!(done.received_at, raw.received_at);
        // What the source set stays.
        let full = normalized();
        let kept = Article::decode(
            complete_draft(&full.encode_to_vec(), &raw)
                .unwrap()
                .as_slice(),
        )
        .unwrap();
        assert_eq!(kept.source_uri, full.source_uri);
        assert_eq!(kept.site, full.site);
        assert_eq!(kept.received_at, raw.received_at);
    }

    #[test]
    fn a_batch_splits_into_its_articles() {
        let batch = ArticleBatch {
            articles: vec![normalized(), Article::default(), normalized()],
        }
        .encode_to_vec();
        let parts = batch_articles(&batch).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(Article::decode(parts[0]).unwrap(), normalized());
        assert_eq!(Article::decode(parts[1]).unwrap(), Article::default());
        assert!(batch_articles(&batch[..batch.len() - 1]).is_err());
        assert!(finish(&[0x32, 0x05, 0x0a]).is_err(), "truncated paragraph");
    }
}
