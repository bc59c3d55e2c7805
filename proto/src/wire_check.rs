//! Checking that bytes decode as an `akhbar.v1` message, without decoding
//! them.
//!
//! Why: the host keeps an article as the bytes the plugin libraries made
//! and stores them as they are, so it must know they are a valid article
//! without building one (a decode allocates every string of it, most of
//! the cost of the final decode the pipeline used to do). This walk checks
//! what prost checks — the framing, each known field's wire type, the UTF-8
//! of every string, nested messages in turn — and allocates nothing.
//!
//! The answer is exactly `Message::decode(bytes).is_ok()`: whatever the
//! walk is not sure of (a packed or group field, a group among the unknown
//! fields, a nesting deeper than ours) is handed to prost, and a property
//! test holds the two to the same answer on valid and damaged encodings.
//! The table it walks is made by `build.rs` from the schema's descriptors.

use prost::encoding::{DecodeContext, WireType, skip_field};
use prost::{DecodeError, Message};

use crate::tags;
use crate::text_decode::checked_utf8;
use crate::v1::{Article, Enrichment};
use crate::varint::{decode_key, decode_varint};
use crate::view::{ParagraphView, length_delimited};

/// How a field is encoded, as far as checking it goes.
#[derive(Debug, Clone, Copy)]
enum FieldKind {
    /// A varint (integers, booleans, enums).
    Varint,
    /// Four bytes (fixed32, sfixed32, float).
    Fixed32,
    /// Eight bytes (fixed64, sfixed64, double).
    #[allow(dead_code, reason = "the schema has no such field today")]
    Fixed64,
    /// A UTF-8 string.
    Text,
    /// Any bytes.
    Bytes,
    /// A message: the index of its schema in `MESSAGES`.
    Message(usize),
    /// Left to prost (packed scalars, groups).
    #[allow(dead_code, reason = "the schema has no such field today")]
    Unsure,
}

/// One message of the schema: `fields[n]` is field number `n`'s kind.
#[derive(Debug)]
struct MessageSchema {
    #[allow(dead_code, reason = "read in tests, and by a person in a debugger")]
    name: &'static str,
    fields: &'static [Option<FieldKind>],
}

include!(concat!(env!("OUT_DIR"), "/wire_schema.rs"));

/// Deeper than any message of ours nests: left to prost, whose own limit
/// is 100.
const MAX_DEPTH: u32 = 32;

/// Whether `bytes` decode as an `akhbar.v1.Article`: `Ok` exactly when
/// [`Message::decode`] would succeed, else prost's error.
pub fn article(bytes: &[u8]) -> Result<(), DecodeError> {
    check(ARTICLE, bytes, 0, None).or_else(|()| Article::decode(bytes).map(drop))
}

/// Like [`article`], with the article's paragraphs as views of `bytes`,
/// for a caller that reads them (the host, finishing an article): each is
/// checked once, as a view ([`ParagraphView::decode`] takes only what
/// prost takes), not once by the walk and again by the caller. `Ok(None)`
/// for an article the walk could not tell valid but prost can (a group
/// field among the unknown ones): the caller reads its paragraphs as it
/// likes.
pub fn article_paragraphs(bytes: &[u8]) -> Result<Option<Vec<ParagraphView<'_>>>, DecodeError> {
    let mut paragraphs = Vec::new();
    match check(ARTICLE, bytes, 0, Some(&mut paragraphs)) {
        Ok(()) => Ok(Some(paragraphs)),
        Err(()) => Article::decode(bytes).map(|_| None),
    }
}

/// Whether `bytes` decode as an `akhbar.v1.Enrichment`, like [`article`].
pub fn enrichment(bytes: &[u8]) -> Result<(), DecodeError> {
    check(ENRICHMENT, bytes, 0, None).or_else(|()| Enrichment::decode(bytes).map(drop))
}

/// `Ok` when `buf` surely decodes as message `message`; `Err` when it does
/// not or the walk cannot tell. With `paragraphs` (an article's top level
/// only), each paragraph is checked as a view and kept there.
fn check<'a>(
    message: usize,
    mut buf: &'a [u8],
    depth: u32,
    mut paragraphs: Option<&mut Vec<ParagraphView<'a>>>,
) -> Result<(), ()> {
    if depth > MAX_DEPTH {
        return Err(());
    }
    let fields = MESSAGES[message].fields;
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf).map_err(drop)?;
        let kind = usize::try_from(tag)
            .ok()
            .and_then(|tag| fields.get(tag).copied().flatten());
        let Some(kind) = kind else {
            // An unknown field, skipped as prost skips it (a group among
            // them is left to prost: its nesting counts toward prost's
            // limit from where it is, not from here).
            if wire_type == WireType::StartGroup {
                return Err(());
            }
            skip_field(wire_type, tag, &mut buf, DecodeContext::default()).map_err(drop)?;
            continue;
        };
        match (kind, wire_type) {
            (FieldKind::Varint, WireType::Varint) => {
                decode_varint(&mut buf).map_err(drop)?;
            }
            (FieldKind::Fixed32, WireType::ThirtyTwoBit) => buf = buf.get(4..).ok_or(())?,
            (FieldKind::Fixed64, WireType::SixtyFourBit) => buf = buf.get(8..).ok_or(())?,
            (
                FieldKind::Text | FieldKind::Bytes | FieldKind::Message(_),
                WireType::LengthDelimited,
            ) => {
                let payload = length_delimited(&mut buf).ok_or(())?;
                match (kind, paragraphs.as_deref_mut()) {
                    (_, Some(views)) if tag == tags::article::PARAGRAPHS => {
                        views.push(ParagraphView::decode(payload).ok_or(())?);
                    }
                    (FieldKind::Text, _) => {
                        checked_utf8(payload).ok_or(())?;
                    }
                    (FieldKind::Message(inner), _) => check(inner, payload, depth + 1, None)?,
                    _ => {}
                }
            }
            // A wire type prost refuses for this field, or one the walk
            // leaves to prost.
            _ => return Err(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{Dateline, Entity, Keyword, MentionedDate, Paragraph, Provenance};
    use proptest::prelude::*;

    #[test]
    fn the_table_names_the_messages_it_is_used_for() {
        assert_eq!(MESSAGES[ARTICLE].name, ".akhbar.v1.Article");
        assert_eq!(MESSAGES[ENRICHMENT].name, ".akhbar.v1.Enrichment");
        // The metadata map's entries and the timestamps are walked too.
        assert!(matches!(
            MESSAGES[ARTICLE].fields[21],
            Some(FieldKind::Message(_))
        ));
        assert!(matches!(
            MESSAGES[ARTICLE].fields[20],
            Some(FieldKind::Message(_))
        ));
        assert!(matches!(
            MESSAGES[ARTICLE].fields[8],
            Some(FieldKind::Fixed32)
        ));
        assert!(MESSAGES[ARTICLE].fields[0].is_none());
    }

    fn full_article(text: String) -> Article {
        Article {
            id: "a".into(),
            title: text.clone(),
            body: text.clone(),
            paragraphs: vec![
                Paragraph {
                    kind: 2,
                    text: text.clone(),
                    matching: text.clone(),
                },
                Paragraph {
                    kind: 1,
                    text: format!("{text} {text}"),
                    matching: String::new(),
                },
            ],
            language: "ar".into(),
            language_confidence: 0.5,
            published_at: Some(crate::Timestamp {
                seconds: -5,
                nanos: 7,
            }),
            entities: vec![Entity {
                text: text.clone(),
                label: 1,
                canonical_id: "wikidata:Q1".into(),
                start: 3,
                confidence: 0.9,
                ..Default::default()
            }],
            keywords: vec![Keyword {
                text: text.clone(),
                score: 0.25,
            }],
            tags: vec![text.clone()],
            provenance: vec![Provenance {
                stage: "normalizer".into(),
                details: vec![text.clone()],
                ..Default::default()
            }],
            dates: vec![MentionedDate {
                text: text.clone(),
                date: "2023-07-27".into(),
                ..Default::default()
            }],
            dateline: Some(Dateline {
                place: text.clone(),
                ..Default::default()
            }),
            received_at: Some(crate::Timestamp::default()),
            metadata: [(text.clone(), text)].into(),
            word_count: 300,
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_article_is_known_valid_without_prost() {
        let bytes = full_article("وصل شويغو إلى بيونغ يانغ".into()).encode_to_vec();
        assert_eq!(check(ARTICLE, &bytes, 0, None), Ok(()));
        let enrichment = Enrichment {
            entities: vec![Entity::default()],
            story_id: "s".into(),
            ..Default::default()
        };
        assert_eq!(
            check(ENRICHMENT, &enrichment.encode_to_vec(), 0, None),
            Ok(())
        );
    }

    #[test]
    fn bad_text_deep_inside_is_found() {
        let mut bytes = full_article("ab\u{e9}cd".into()).encode_to_vec();
        // Every "é" (0xc3 0xa9) loses its second byte's continuation bit,
        // in the entities, the map, the provenance details and all.
        for at in 0..bytes.len() - 1 {
            if bytes[at] == 0xc3 && bytes[at + 1] == 0xa9 {
                bytes[at + 1] = b'x';
            }
        }
        let error = article(&bytes).unwrap_err();
        assert!(error.to_string().contains("UTF-8"), "{error}");
        assert!(Article::decode(bytes.as_slice()).is_err());
    }

    proptest! {
        /// The walk's answer is prost's, on encodings cut short, with a
        /// byte changed, or with bytes inserted.
        #[test]
        fn the_same_answer_as_prost(
            text in "[a-zé\u{0627}-\u{064a} ]{0,12}",
            cut in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            damage in 0..4u8,
        ) {
            let mut bytes = full_article(text).encode_to_vec();
            let cut = cut.index(bytes.len() + 1);
            let at = at.index(bytes.len());
            match damage {
                0 => {}
                1 => bytes.truncate(cut),
                2 => bytes[at] = byte,
                _ => bytes.insert(at, byte),
            }
            let prost = Article::decode(bytes.as_slice());
            prop_assert_eq!(article(&bytes).is_ok(), prost.is_ok());
            // With the paragraphs: the same answer, and when they come as
            // views, prost's paragraphs.
            match (article_paragraphs(&bytes), &prost) {
                (Ok(Some(views)), Ok(decoded)) => {
                    let owned: Vec<Paragraph> = views.into_iter().map(Paragraph::from).collect();
                    prop_assert_eq!(&owned, &decoded.paragraphs);
                }
                (Ok(None), Ok(_)) | (Err(_), Err(_)) => {}
                (mine, theirs) => prop_assert!(
                    false,
                    "{:?} vs {:?}",
                    mine.map(|v| v.map(|v| v.len())),
                    theirs.as_ref().map(drop)
                ),
            }
            prop_assert_eq!(
                enrichment(&bytes).is_ok(),
                Enrichment::decode(bytes.as_slice()).is_ok()
            );
            if damage == 0 {
                prop_assert_eq!(check(ARTICLE, &bytes, 0, None), Ok(()));
                prop_assert!(matches!(article_paragraphs(&bytes), Ok(Some(_))));
            }
        }
    }
}
