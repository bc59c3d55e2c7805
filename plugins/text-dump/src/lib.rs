//! `text-dump`: decodes a plain-text dump into an article draft, one
//! paragraph per line.
//!
//! - Encoding: UTF-8 with or without BOM; UTF-16 LE/BE with BOM. Invalid
//!   UTF-8 is an error naming the byte offset, unless the config says
//!   `{"lossy": true}`: then bad bytes become U+FFFD and provenance says so.
//! - Binary input (NUL bytes in a UTF-8 file) is refused.
//! - Line ends: LF, CRLF or CR.
//! - Paragraphs: blank-line separated blocks or single-newline lines; each
//!   non-empty line is a paragraph, except that a block of hard-wrapped prose
//!   lines (similar widths, 40–100 characters) is joined back into one.
#![forbid(unsafe_code)]

use akhbar_plugin_sdk::proto::{Article, Paragraph, RawDocument, paragraph::Kind};
use akhbar_plugin_sdk::{Config, Plugin, PluginError, Source};
use std::borrow::Cow;

/// The `text-dump` source.
#[derive(Debug, Clone, Default)]
pub struct TextDump {
    config: TextDumpConfig,
}

/// Config of `text-dump`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TextDumpConfig {
    /// Replace invalid UTF-8 with U+FFFD instead of refusing the document.
    pub lossy: bool,
    /// Documents with more non-empty lines than this are refused: no news
    /// article has them, and each line costs memory in every later stage.
    pub max_paragraphs: usize,
}

impl Default for TextDumpConfig {
    fn default() -> Self {
        TextDumpConfig {
            lossy: false,
            max_paragraphs: 50_000,
        }
    }
}

impl Plugin for TextDump {
    const NAME: &'static str = "text-dump";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        Ok(TextDump {
            config: config.parse()?,
        })
    }
}

/// Decodes the bytes to text, saying how in `notes`.
fn decode_text<'a>(
    bytes: &'a [u8],
    lossy: bool,
    notes: &mut Vec<String>,
) -> Result<Cow<'a, str>, PluginError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        notes.push("removed UTF-8 byte order mark".into());
        return decode_utf8(rest, lossy, notes);
    }
    for (bom, little, name) in [
        (b"\xFF\xFE", true, "UTF-16LE"),
        (b"\xFE\xFF", false, "UTF-16BE"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let units: Vec<u16> = rest
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] if little => u16::from_le_bytes([*a, *b]),
                    [a, b] => u16::from_be_bytes([*a, *b]),
                    _ => 0xFFFD,
                })
                .collect();
            let mut bad = false;
            let text: String = char::decode_utf16(units)
                .map(|c| {
                    c.unwrap_or_else(|_| {
                        bad = true;
                        char::REPLACEMENT_CHARACTER
                    })
                })
                .collect();
            if bad && !lossy {
                return Err(PluginError::failed(format!(
                    "invalid {name} (unpaired surrogate); set `lossy = true` in the text-dump config to replace bad units"
                )));
            }
            notes.push(if bad {
                format!("decoded {name} lossily: invalid units replaced by U+FFFD")
            } else {
                format!("decoded {name}")
            });
            return Ok(Cow::Owned(text));
        }
    }
    decode_utf8(bytes, lossy, notes)
}

fn decode_utf8<'a>(
    bytes: &'a [u8],
    lossy: bool,
    notes: &mut Vec<String>,
) -> Result<Cow<'a, str>, PluginError> {
    // `contains` on bytes is a memchr; the position only for the message.
    if bytes.contains(&0)
        && let Some(at) = bytes.iter().position(|&b| b == 0)
    {
        return Err(PluginError::failed(format!(
            "binary content: NUL byte at offset {at}; this is not a text dump (UTF-16 needs a byte order mark)"
        )));
    }
    // simdutf8 checks valid text several times faster than the standard
    // library; its `compat` flavour gives the same error position.
    match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(e) if lossy => {
            notes.push(format!(
                "decoded lossily: invalid UTF-8 from byte {} replaced by U+FFFD",
                e.valid_up_to()
            ));
            Ok(String::from_utf8_lossy(bytes))
        }
        Err(e) => Err(PluginError::failed(format!(
            "invalid UTF-8 at byte {}; set `lossy = true` in the text-dump config to replace bad bytes",
            e.valid_up_to()
        ))),
    }
}

/// Whether the lines of one blank-line block are hard-wrapped prose: at
/// least three lines, all but the last of nearly one width between 50 and
/// 100 characters, none a list item, none repeated. Menus, lists and
/// repeated headlines stay separate lines.
fn is_hard_wrapped(lines: &[&str]) -> bool {
    if lines.len() < 3 {
        return false;
    }
    let body = &lines[..lines.len() - 1];
    let widths: Vec<usize> = body.iter().map(|l| l.chars().count()).collect();
    let (min, max) = (
        widths.iter().min().copied().unwrap_or(0),
        widths.iter().max().copied().unwrap_or(0),
    );
    let list_item = |l: &&str| {
        l.starts_with(['-', '*', '•', 'ـ', '–', '—'])
            || l.split_once(['.', ')'])
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    let mut seen = std::collections::HashSet::new();
    min >= 50
        && max <= 100
        && max - min <= max / 5
        && lines.last().is_some_and(|l| l.chars().count() <= max + 5)
        && !lines.iter().any(list_item)
        && lines.iter().all(|l| seen.insert(*l))
}

/// The lines of `text`, ended by LF, CRLF or CR (as if CRLF and then CR
/// were replaced by LF and the text split at LF), read byte by byte: both
/// are ASCII, so never inside a multi-byte character.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    // Without a CR (most texts) the next LF is found with memchr.
    let has_cr = text.contains('\r');
    let mut at = Some(0);
    std::iter::from_fn(move || {
        let start = at?;
        let found = if has_cr {
            bytes[start..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
        } else {
            text[start..].find('\n')
        };
        match found {
            Some(n) => {
                let end = start + n;
                let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
                at = Some(end + if crlf { 2 } else { 1 });
                Some(&text[start..end])
            }
            None => {
                at = None;
                Some(&text[start..])
            }
        }
    })
}

/// `line.trim()`, returning at once when both ends are printable ASCII
/// (every ASCII whitespace character is at most a space).
fn trim(line: &str) -> &str {
    match (line.as_bytes().first(), line.as_bytes().last()) {
        (Some(&a), Some(&z)) if (b'!'..0x80).contains(&a) && (b'!'..0x80).contains(&z) => line,
        _ => line.trim(),
    }
}

/// Splits text into paragraphs (see the crate docs).
pub fn paragraphs(text: &str) -> Vec<String> {
    paragraphs_limited(text, usize::MAX).unwrap_or_default()
}

/// [`paragraphs`], or, when the text has more than `max` non-empty lines,
/// how many it has.
fn paragraphs_limited(text: &str, max: usize) -> Result<Vec<String>, usize> {
    let mut out = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    let mut count = 0usize;
    let flush = |block: &mut Vec<&str>, out: &mut Vec<String>| {
        if is_hard_wrapped(block) {
            out.push(block.join(" "));
        } else {
            out.extend(block.iter().map(|l| (*l).to_owned()));
        }
        block.clear();
    };
    for line in lines(text) {
        let line = trim(line);
        if line.is_empty() {
            if count <= max {
                flush(&mut block, &mut out);
            }
        } else {
            count += 1;
            if count <= max {
                block.push(line);
            }
        }
    }
    if count > max {
        return Err(count);
    }
    flush(&mut block, &mut out);
    Ok(out)
}

impl Source for TextDump {
    fn decode(&self, raw: RawDocument) -> Result<Vec<Article>, PluginError> {
        let mut notes = Vec::new();
        let text = decode_text(&raw.content, self.config.lossy, &mut notes)?;
        // The non-empty lines are counted while splitting; past the limit
        // nothing more is kept.
        let paragraphs: Vec<Paragraph> = paragraphs_limited(&text, self.config.max_paragraphs)
            .map_err(|lines| {
                PluginError::rejected(format!(
                    "the document has {lines} lines, over the limit of {} (text-dump `max_paragraphs`)",
                    self.config.max_paragraphs
                ))
            })?
            .into_iter()
            .map(|text| Paragraph {
                kind: Kind::Paragraph as i32,
                text,
                matching: String::new(),
            })
            .collect();
        if paragraphs.is_empty() {
            return Err(PluginError::rejected(
                "the document has no text (empty or only whitespace)",
            ));
        }
        let mut provenance: Vec<_> = notes
            .into_iter()
            .map(|n| Self::provenance("source", n))
            .collect();
        provenance.push(Self::provenance(
            "source",
            format!(
                "decoded {} paragraphs from {} bytes",
                paragraphs.len(),
                raw.content.len()
            ),
        ));
        Ok(vec![Article {
            source_uri: raw.source_uri,
            received_at: raw.received_at,
            metadata: raw.metadata,
            paragraphs,
            provenance,
            ..Default::default()
        }])
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(source: TextDump);

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Article, PluginError> {
        let raw = RawDocument {
            source_uri: "t.txt".into(),
            content: bytes.to_vec(),
            ..Default::default()
        };
        TextDump::default().decode(raw).map(|mut v| v.remove(0))
    }

    fn texts(article: &Article) -> Vec<&str> {
        article.paragraphs.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn line_ends_and_bom_do_not_matter() {
        let lf = decode(b"one\n\ntwo\nthree\n").unwrap();
        let crlf = decode(b"\xEF\xBB\xBFone\r\n\r\ntwo\r\nthree\r\n").unwrap();
        let cr = decode(b"one\r\rtwo\rthree\r").unwrap();
        assert_eq!(texts(&lf), ["one", "two", "three"]);
        assert_eq!(texts(&crlf), texts(&lf));
        assert_eq!(texts(&cr), texts(&lf));
        assert!(
            crlf.provenance
                .iter()
                .any(|p| p.action.contains("byte order mark"))
        );
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("سلام\nworld".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(texts(&decode(&bytes).unwrap()), ["سلام", "world"]);
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_the_offset_unless_lossy() {
        let err = decode(b"abc\xFFdef").unwrap_err();
        assert!(err.message().contains("invalid UTF-8 at byte 3"), "{err}");
        let lossy = TextDump {
            config: TextDumpConfig {
                lossy: true,
                ..Default::default()
            },
        };
        let raw = RawDocument {
            content: b"abc\xFFdef".to_vec(),
            ..Default::default()
        };
        let article = lossy.decode(raw).unwrap().remove(0);
        assert_eq!(article.paragraphs[0].text, "abc\u{FFFD}def");
        assert!(
            article
                .provenance
                .iter()
                .any(|p| p.action.contains("lossily"))
        );
    }

    #[test]
    fn binary_and_empty_inputs_are_refused() {
        assert!(
            decode(b"\x7FELF\x02\x01\x01\x00\x00")
                .unwrap_err()
                .message()
                .contains("NUL byte")
        );
        assert!(matches!(
            decode(b"  \n\t\n").unwrap_err(),
            PluginError::Rejected(_)
        ));
    }

    #[test]
    fn hard_wrapped_prose_is_joined_but_menus_are_not() {
        let text = "Explore\nSettings\n\n\
            This is a long line of prose that was wrapped at a fixed\n\
            width by whoever saved the page, and it goes on for a\n\
            few lines until the sentence is over and done with\n\
            now.\n\n\
            - كوريا الشمالية تتعهد بتعزيز العلاقات مع روسيا الاتحادية\n\
            - كوريا الشمالية تتعهد بتعزيز العلاقات مع روسيا الاتحادية\n\
            - كوريا الشمالية تتعهد بتعزيز العلاقات مع روسيا الاتحادية\n";
        assert_eq!(
            paragraphs(text),
            [
                "Explore",
                "Settings",
                "This is a long line of prose that was wrapped at a fixed width by whoever saved the page, and it goes on for a few lines until the sentence is over and done with now.",
                "- كوريا الشمالية تتعهد بتعزيز العلاقات مع روسيا الاتحادية",
                "- كوريا الشمالية تتعهد بتعزيز العلاقات مع روسيا الاتحادية",
                "- كوريا الشمالية تتعهد بتعزيز العلاقات مع روسيا الاتحادية",
            ]
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any bytes at all: an article or an error, never a panic, and
            /// never more text than the input could hold (a lossy U+FFFD is
            /// at most 3 bytes for each bad byte).
            #[test]
            fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..2048), lossy: bool) {
                let plugin = TextDump { config: TextDumpConfig { lossy, ..Default::default() } };
                let raw = RawDocument { content: bytes.clone(), ..Default::default() };
                if let Ok(articles) = plugin.decode(raw) {
                    let text: usize = articles[0].paragraphs.iter().map(|p| p.text.len()).sum();
                    prop_assert!(text <= bytes.len() * 3);
                    prop_assert!(articles[0].paragraphs.iter().all(|p| !p.text.is_empty() && p.text.trim() == p.text));
                }
            }

            /// The byte-level line splitting agrees with the replace-then-split
            /// it replaced, and the limit counts the same lines.
            #[test]
            fn splitting_agrees_with_the_reference(text in "([a-z\u{0628}\u{00A0}\u{000B}\u{2028} \t]{0,70}[\n\r]{0,3}){0,12}|(\\PC{0,40}[\n\r]{0,3}){0,30}") {
                let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
                let mut reference = Vec::new();
                let mut block: Vec<&str> = Vec::new();
                for line in normalized.split('\n') {
                    let line = line.trim();
                    if line.is_empty() {
                        if is_hard_wrapped(&block) {
                            reference.push(block.join(" "));
                        } else {
                            reference.extend(block.iter().map(|l| (*l).to_owned()));
                        }
                        block.clear();
                    } else {
                        block.push(line);
                    }
                }
                if is_hard_wrapped(&block) {
                    reference.push(block.join(" "));
                } else {
                    reference.extend(block.iter().map(|l| (*l).to_owned()));
                }
                prop_assert_eq!(paragraphs(&text), reference);
                let count = text.split(['\n', '\r']).filter(|l| !l.trim().is_empty()).count();
                if count > 0 {
                    prop_assert_eq!(paragraphs_limited(&text, count - 1), Err(count));
                    prop_assert!(paragraphs_limited(&text, count).is_ok());
                }
            }

            /// Splitting is idempotent: paragraphs written back one per
            /// blank-line block split into the same paragraphs.
            #[test]
            fn splitting_is_idempotent(text in "(\\PC{0,40}[\n\r]{0,3}){0,30}") {
                let once = paragraphs(&text);
                let twice = paragraphs(&once.join("\n\n"));
                prop_assert_eq!(once, twice);
            }
        }
    }
}
