//! Decoding of the messages that carry an article's text, with a SIMD
//! UTF-8 check.
//!
//! Why: an article crosses the plugin boundary as bytes, and every library
//! stage decodes it. Most of those bytes are Arabic text, where the standard
//! library's UTF-8 check (the one prost's string fields use) costs about
//! eight instructions a byte; `simdutf8` checks the same bytes in a fraction
//! of one (strings shorter than its block too: see `checked_utf8`, which
//! the article view uses as well). On the default pipeline that check was
//! about two fifths of what the plugin boundary cost.
//!
//! The result is exactly `Message::decode`'s, for any input: the text
//! fields (a paragraph's display and matching forms, the body, the strings
//! of provenance records, entities, keywords and dates) are taken here,
//! every other field goes to the message's own prost decoder, and bytes
//! this path would refuse are handed to prost as well, so that the error is
//! prost's. A property test holds the two
//! decoders to the same answer on valid and damaged encodings.

use prost::encoding::{DecodeContext, WireType, skip_field};
use prost::{DecodeError, Message};

use crate::tags;
use crate::v1::{Article, Entity, Keyword, MentionedDate, Paragraph, Provenance};
use crate::varint::{decode_key, decode_varint};
use crate::view::{EntityView, ParagraphView, length_delimited};

/// Decodes an `akhbar.v1.Article`; the same result as [`Message::decode`],
/// errors included (a refused input is decoded again by prost, for its
/// message with the path to the bad field).
#[allow(
    unsafe_code,
    reason = "a decoder that checks, called unchecking nothing"
)]
pub fn article(bytes: &[u8]) -> Result<Article, DecodeError> {
    // SAFETY: `Checked` promises nothing.
    unsafe { article_fast(bytes, Utf8::Checked) }.or_else(|_| Article::decode(bytes))
}

/// [`article`] of bytes the host has checked (the pipeline's articles:
/// every part of them was checked where it was made), whose text is not
/// checked again in a release build: `akhbar run` decodes each article it
/// writes, and checking its text a last time was a few percent of a run.
///
/// # Safety
/// `bytes` must decode as an `akhbar.v1.Article` with prost.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
pub unsafe fn article_host_checked(bytes: &[u8]) -> Result<Article, DecodeError> {
    // SAFETY: the caller's promise.
    unsafe { article_fast(bytes, Utf8::Promised) }.or_else(|_| Article::decode(bytes))
}

/// # Safety
/// With [`Utf8::Promised`], `bytes` must decode as an Article.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn article_fast(bytes: &[u8], utf8: Utf8) -> Result<Article, DecodeError> {
    decode(bytes, |article: &mut Article, tag, payload| {
        // SAFETY: a promise that the article decodes covers each of its
        // fields.
        let taken = unsafe {
            match tag {
                tags::article::BODY => set_text(&mut article.body, payload, utf8),
                tags::article::PARAGRAPHS => {
                    push(&mut article.paragraphs, paragraph_of(payload, utf8)?)
                }
                tags::article::PROVENANCE => {
                    push(&mut article.provenance, provenance(payload, utf8)?)
                }
                tags::article::ENTITIES => push(&mut article.entities, entity_of(payload, utf8)?),
                tags::article::KEYWORDS => push(&mut article.keywords, keyword(payload, utf8)?),
                tags::article::DATES => push(&mut article.dates, date(payload, utf8)?),
                _ => false,
            }
        };
        Ok(taken)
    })
}

/// Decodes an `akhbar.v1.Paragraph`; the same result as
/// [`Message::decode`], errors included. The article view's decoder, then
/// owned copies of its two strings.
pub fn paragraph(bytes: &[u8]) -> Result<Paragraph, DecodeError> {
    match ParagraphView::decode(bytes) {
        Some(view) => Ok(view.into()),
        None => Paragraph::decode(bytes),
    }
}

/// [`paragraph`], its text checked or (`Promised`) taken as it is.
///
/// # Safety
/// With [`Utf8::Promised`], `bytes` must decode as a Paragraph.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn paragraph_of(bytes: &[u8], utf8: Utf8) -> Result<Paragraph, DecodeError> {
    // SAFETY: the caller's promise.
    match unsafe { ParagraphView::decode_with(bytes, utf8) } {
        Some(view) => Ok(view.into()),
        None => Paragraph::decode(bytes),
    }
}

/// # Safety
/// With [`Utf8::Promised`], `bytes` must decode as a Provenance record.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn provenance(bytes: &[u8], utf8: Utf8) -> Result<Provenance, DecodeError> {
    decode(bytes, |record: &mut Provenance, tag, payload| {
        // SAFETY: the caller's promise covers the record's strings.
        let taken = unsafe {
            match tag {
                tags::provenance::ACTION => set_text(&mut record.action, payload, utf8),
                tags::provenance::DETAILS => {
                    text(payload, utf8).is_some_and(|d| push(&mut record.details, d))
                }
                _ => false,
            }
        };
        Ok(taken)
    })
}

/// Decodes an `akhbar.v1.Entity` (the article view decodes its entities
/// with this, when asked for them): the borrowed decoder, then owned
/// copies of its strings.
#[allow(
    unsafe_code,
    reason = "a decoder that checks, called unchecking nothing"
)]
pub(crate) fn entity(bytes: &[u8]) -> Result<Entity, DecodeError> {
    // SAFETY: `Checked` promises nothing.
    unsafe { entity_of(bytes, Utf8::Checked) }
}

/// [`entity`], its strings checked or (`Promised`) taken as they are.
///
/// # Safety
/// With [`Utf8::Promised`], `bytes` must decode as an Entity.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn entity_of(bytes: &[u8], utf8: Utf8) -> Result<Entity, DecodeError> {
    // SAFETY: the caller's promise.
    unsafe { entity_view(bytes, utf8) }
        .map(Entity::from)
        .or_else(|()| Entity::decode(bytes))
}

/// An encoded `akhbar.v1.Entity` as a view of `bytes`, or `Err` for bytes
/// prost's decoder is to judge (damaged, or unusual: a field twice with
/// another wire type and so on). Every field by hand: an article carries
/// dozens of entities, and prost's per-field merge for the five numbers
/// cost more than the three strings.
///
/// # Safety
/// With [`Utf8::Promised`], `buf` must decode as an `akhbar.v1.Entity`.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
pub(crate) unsafe fn entity_view(mut buf: &[u8], utf8: Utf8) -> Result<EntityView<'_>, ()> {
    const LABEL: u32 = 2;
    const PARAGRAPH: u32 = 5;
    const START: u32 = 6;
    const END: u32 = 7;
    const CONFIDENCE: u32 = 8;
    let mut entity = EntityView::default();
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf).map_err(drop)?;
        match (tag, wire_type) {
            (
                tags::entity::TEXT | tags::entity::CANONICAL_ID | tags::entity::CANONICAL_NAME,
                WireType::LengthDelimited,
            ) => {
                let payload = length_delimited(&mut buf).ok_or(())?;
                let target = match tag {
                    tags::entity::TEXT => &mut entity.text,
                    tags::entity::CANONICAL_ID => &mut entity.canonical_id,
                    _ => &mut entity.canonical_name,
                };
                // SAFETY: a promise that `buf` decodes covers its strings.
                *target = unsafe { text_of(payload, utf8) }.ok_or(())?;
            }
            (LABEL | PARAGRAPH | START | END, WireType::Varint) => {
                let value = decode_varint(&mut buf).map_err(drop)?;
                // prost's int32 and uint32: the low 32 bits.
                match tag {
                    LABEL => entity.label = value as i32,
                    PARAGRAPH => entity.paragraph = value as u32,
                    START => entity.start = value as u32,
                    _ => entity.end = value as u32,
                }
            }
            (CONFIDENCE, WireType::ThirtyTwoBit) => {
                let (bytes, rest) = buf.split_first_chunk::<4>().ok_or(())?;
                entity.confidence = f32::from_le_bytes(*bytes);
                buf = rest;
            }
            // A known field with another wire type: prost's to judge.
            (1..=8, _) => return Err(()),
            _ => skip_field(wire_type, tag, &mut buf, DecodeContext::default()).map_err(drop)?,
        }
    }
    Ok(entity)
}

/// # Safety
/// With [`Utf8::Promised`], `bytes` must decode as a Keyword.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn keyword(bytes: &[u8], utf8: Utf8) -> Result<Keyword, DecodeError> {
    // SAFETY: the caller's promise covers the keyword's text.
    decode(bytes, |keyword: &mut Keyword, tag, payload| unsafe {
        Ok(tag == tags::keyword::TEXT && set_text(&mut keyword.text, payload, utf8))
    })
}

/// # Safety
/// With [`Utf8::Promised`], `bytes` must decode as a MentionedDate.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn date(bytes: &[u8], utf8: Utf8) -> Result<MentionedDate, DecodeError> {
    decode(bytes, |date: &mut MentionedDate, tag, payload| {
        // SAFETY: the caller's promise covers the date's strings.
        let taken = unsafe {
            match tag {
                tags::mentioned_date::TEXT => set_text(&mut date.text, payload, utf8),
                tags::mentioned_date::DATE => set_text(&mut date.date, payload, utf8),
                _ => false,
            }
        };
        Ok(taken)
    })
}

/// Decodes `bytes` as an `M`: each length-delimited field is offered to
/// `take` first (`Ok(true)`: taken), and whatever it does not take goes to
/// the message's prost decoder, which also catches every framing error.
fn decode<M: Message + Default>(
    mut buf: &[u8],
    mut take: impl FnMut(&mut M, u32, &[u8]) -> Result<bool, DecodeError>,
) -> Result<M, DecodeError> {
    let mut message = M::default();
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        if wire_type == WireType::LengthDelimited {
            let mut rest = buf;
            if let Ok(len) = decode_varint(&mut rest)
                && let Ok(len) = usize::try_from(len)
                && len <= rest.len()
            {
                let (payload, after) = rest.split_at(len);
                if take(&mut message, tag, payload)? {
                    buf = after;
                    continue;
                }
            }
        }
        message.merge_field(tag, wire_type, &mut buf, DecodeContext::default())?;
    }
    Ok(message)
}

/// Appends an element of a repeated field (taken: true).
fn push<T>(list: &mut Vec<T>, item: T) -> bool {
    list.push(item);
    true
}

/// `payload` as a string, when it is UTF-8 (checked, or `Promised`).
///
/// # Safety
/// With [`Utf8::Promised`], `payload` must be UTF-8.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn text(payload: &[u8], utf8: Utf8) -> Option<String> {
    // SAFETY: the caller's promise.
    unsafe { text_of(payload, utf8) }.map(str::to_owned)
}

/// How a decoder takes the strings of the bytes it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf8 {
    /// Each is checked ([`checked_utf8`]).
    Checked,
    /// Each is UTF-8: the caller of the decoder promised it (the bytes
    /// decode as the message with prost). Debug builds check them anyway.
    Promised,
}

/// `bytes` as text, checked or (`Promised`, in a release build) as it is.
///
/// # Safety
/// With [`Utf8::Promised`], `bytes` must be UTF-8.
#[inline]
#[allow(unsafe_code, reason = "the caller promised UTF-8")]
pub(crate) unsafe fn text_of(bytes: &[u8], utf8: Utf8) -> Option<&str> {
    if utf8 == Utf8::Promised && !cfg!(debug_assertions) {
        // SAFETY: the caller's promise.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    checked_utf8(bytes)
}

/// `bytes` as text, when it is UTF-8, checked with SIMD whatever their
/// length.
///
/// Why: `simdutf8` hands a string shorter than its 64-byte block to the
/// standard library's check, which costs about eight instructions a byte of
/// Arabic; a page's menu lines, captions and provenance notes are mostly
/// that short. Such a string is checked as a 64-byte block padded with
/// zeros (ASCII, so they change nothing but complete the block).
#[inline]
#[allow(unsafe_code, reason = "the bytes were checked, in a padded copy")]
pub(crate) fn checked_utf8(bytes: &[u8]) -> Option<&str> {
    const BLOCK: usize = 64;
    if bytes.len() >= BLOCK {
        return simdutf8::basic::from_utf8(bytes).ok();
    }
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    let mut block = [0u8; BLOCK];
    block[..bytes.len()].copy_from_slice(bytes);
    simdutf8::basic::from_utf8(&block).ok()?;
    // SAFETY: `bytes` followed by zeros is UTF-8, and a zero byte is a
    // whole character, so `bytes` ends on a character boundary: `bytes` is
    // UTF-8 too.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Sets a string field (the last occurrence wins, as in prost); false when
/// the payload is not UTF-8, so that prost reports it.
///
/// # Safety
/// With [`Utf8::Promised`], `payload` must be UTF-8.
#[allow(unsafe_code, reason = "the caller's promise is passed on")]
unsafe fn set_text(target: &mut String, payload: &[u8], utf8: Utf8) -> bool {
    // SAFETY: the caller's promise.
    match unsafe { text(payload, utf8) } {
        Some(value) => {
            *target = value;
            true
        }
        None => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;
    use prost::Message;

    use super::*;
    use crate::v1::paragraph::Kind;

    fn sample() -> Article {
        Article {
            id: "a1".into(),
            title: "زيارة شويغو".into(),
            body: "وصل وزير الدفاع الروسي إلى بيونغ يانغ.\n\nSecond paragraph.".into(),
            paragraphs: vec![
                Paragraph {
                    kind: Kind::Heading as i32,
                    text: "وصلَ وزيرُ الدفاع".into(),
                    matching: "وصل وزير الدفاع".into(),
                },
                Paragraph {
                    kind: 99,
                    text: "Second paragraph.".into(),
                    matching: String::new(),
                },
            ],
            provenance: vec![Provenance {
                stage: "normalizer".into(),
                plugin: "scraped-page".into(),
                plugin_version: "0.1.0".into(),
                action: "kept 2 of 9 lines".into(),
                details: vec!["removed ad marker [ad_1]".into(), "تابعونا".into()],
            }],
            entities: vec![Entity {
                text: "شويغو".into(),
                canonical_id: "wikidata:Q312707".into(),
                start: 3,
                end: 13,
                ..Default::default()
            }],
            language: "ar".into(),
            metadata: [("k".to_owned(), "v".to_owned())].into(),
            ..Default::default()
        }
    }

    /// What a user of either decoder sees: the same article, or an error
    /// from both.
    fn same_answer(bytes: &[u8]) -> Result<(), TestCaseError> {
        match (article(bytes), Article::decode(bytes)) {
            // Equal, or equal bit for bit where a damaged float is NaN
            // (metadata maps aside, which only equality compares).
            (Ok(fast), Ok(prost)) => prop_assert!(
                fast == prost || fast.encode_to_vec() == prost.encode_to_vec(),
                "decoders disagree on {bytes:?}: here {fast:?}, prost {prost:?}"
            ),
            (Err(_), Err(_)) => {}
            (fast, prost) => prop_assert!(
                false,
                "decoders disagree on {bytes:?}: here {fast:?}, prost {prost:?}"
            ),
        }
        Ok(())
    }

    #[test]
    fn an_article_decodes_as_prost_decodes_it() {
        let encoded = sample().encode_to_vec();
        assert_eq!(article(&encoded).unwrap(), sample());
    }

    #[test]
    fn a_field_given_twice_keeps_the_last_value_and_every_element() {
        let mut bytes = sample().encode_to_vec();
        bytes.extend(
            Article {
                body: "جديد".into(),
                paragraphs: vec![Paragraph {
                    text: "ثالث".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }
            .encode_to_vec(),
        );
        let decoded = article(&bytes).unwrap();
        assert_eq!(decoded.body, "جديد");
        assert_eq!(decoded.paragraphs.len(), 3);
        assert_eq!(decoded, Article::decode(bytes.as_slice()).unwrap());
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_like_prost_refuses_it() {
        let good = sample().encode_to_vec();
        // "Second paragraph." appears in the body and in a paragraph: damage
        // each occurrence in turn.
        let needle = b"Second";
        let places: Vec<usize> = good
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(places.len(), 2);
        for at in places {
            let mut bad = good.clone();
            bad[at] = 0xff;
            let error = article(&bad).unwrap_err();
            assert_eq!(
                error.to_string(),
                Article::decode(bad.as_slice()).unwrap_err().to_string()
            );
        }
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z ]{0,12}",
            "[\u{0621}-\u{064a}\u{064b}-\u{0652}\u{0640} ]{0,12}",
            any::<String>(),
        ]
    }

    pub(crate) fn any_article() -> impl Strategy<Value = Article> {
        let paragraph =
            (any::<i32>(), any_text(), any_text()).prop_map(|(kind, text, matching)| Paragraph {
                kind,
                text,
                matching,
            });
        let record = (
            any_text(),
            any_text(),
            prop::collection::vec(any_text(), 0..3),
        )
            .prop_map(|(plugin, action, details)| Provenance {
                plugin,
                action,
                details,
                ..Default::default()
            });
        let entity = (
            any_text(),
            any::<i32>(),
            any_text(),
            any_text(),
            any::<u32>(),
        )
            .prop_map(
                |(text, label, canonical_id, canonical_name, start)| Entity {
                    text,
                    label,
                    canonical_id,
                    canonical_name,
                    start,
                    end: start.saturating_add(3),
                    paragraph: 1,
                    confidence: 0.5,
                },
            );
        let keyword =
            (any_text(), -10.0f32..10.0).prop_map(|(text, score)| Keyword { text, score });
        let date =
            (any_text(), any_text(), any::<u32>()).prop_map(|(text, date, start)| MentionedDate {
                text,
                date,
                start,
                ..Default::default()
            });
        (
            (any_text(), any_text(), any_text()),
            prop::collection::vec(paragraph, 0..4),
            prop::collection::vec(record, 0..3),
            prop::collection::vec(entity, 0..3),
            prop::collection::vec(keyword, 0..3),
            prop::collection::vec(date, 0..3),
        )
            .prop_map(
                |((id, body, language), paragraphs, provenance, entities, keywords, dates)| {
                    Article {
                        id,
                        body,
                        paragraphs,
                        provenance,
                        language,
                        entities,
                        keywords,
                        dates,
                        ..Default::default()
                    }
                },
            )
    }

    /// The encoding of an article with one to three bytes changed, and
    /// sometimes cut short.
    pub(crate) fn damaged_article() -> impl Strategy<Value = Vec<u8>> {
        (
            any_article(),
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            any::<prop::sample::Index>(),
            any::<bool>(),
        )
            .prop_map(|(article, damage, cut, truncate)| {
                let mut bytes = article.encode_to_vec();
                if bytes.is_empty() {
                    return bytes;
                }
                for (at, value) in damage {
                    let at = at.index(bytes.len());
                    bytes[at] = value;
                }
                if truncate {
                    bytes.truncate(cut.index(bytes.len()));
                }
                bytes
            })
    }

    /// Text whose last character is cut short, one byte too many of a
    /// character, a lone continuation byte: short and long.
    #[test]
    fn the_padded_check_refuses_what_the_standard_check_refuses() {
        let word = "بيونغ يانغ";
        let cut = &word.as_bytes()[..word.len() - 1];
        for bytes in [
            cut,
            &[0xd8][..],
            &[0xa7, 0x61][..],
            &[0x61, 0xff][..],
            b"ok",
        ] {
            for len in [1, 30, 63, 64, 65, 200] {
                let mut text = "x".repeat(len).into_bytes();
                text.extend_from_slice(bytes);
                assert_eq!(
                    checked_utf8(&text).is_some(),
                    std::str::from_utf8(&text).is_ok(),
                    "{text:?}"
                );
            }
        }
    }

    proptest! {
        /// Bytes that decode, read as the host checked them, give the
        /// article the checking decoder gives.
        #[test]
        #[allow(unsafe_code, reason = "the bytes are an article prost encoded")]
        fn a_host_checked_article_decodes_as_a_checked_one(article in any_article()) {
            let bytes = article.encode_to_vec();
            // SAFETY: prost encoded `bytes` from an Article, so they decode.
            let trusted = unsafe { article_host_checked(&bytes) }.unwrap();
            prop_assert_eq!(trusted, super::article(&bytes).unwrap());
        }

        #[test]
        fn the_padded_check_agrees_with_the_standard_one(
            bytes in prop::collection::vec(
                prop_oneof![any::<u8>(), 0x80u8..0xc0, 0xd8u8..0xdb, Just(b'a')],
                0..80
            ),
            text in "\\PC{0,70}",
        ) {
            prop_assert_eq!(checked_utf8(&bytes), std::str::from_utf8(&bytes).ok());
            prop_assert_eq!(checked_utf8(text.as_bytes()), Some(text.as_str()));
        }

        #[test]
        fn any_article_decodes_as_prost_decodes_it(article in any_article()) {
            same_answer(&article.encode_to_vec())?;
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
