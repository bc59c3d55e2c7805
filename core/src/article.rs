//! What the pipeline itself fills in: site, body, counts, content hash, id.

use sha2::{Digest, Sha256};

use akhbar_proto::json::{JsonError, Written};
use akhbar_proto::view::ParagraphView;

use crate::proto::Article;

/// A finished article as the pipeline delivers it: its protobuf encoding,
/// which the store keeps and a Subscribe stream sends as it is, and its id.
///
/// Why bytes: from plugin libraries the article arrives as bytes already,
/// and the store and the stream want bytes; decoding it only to encode it
/// again cost more than any stage of the host. Whoever wants the fields
/// (a test) decodes it; `akhbar run` writes its JSON straight from the bytes.
///
/// The bytes always decode as an `akhbar.v1.Article` whose id is
/// [`EncodedArticle::id`]. They need not be prost's own encoding of that
/// article: the pipeline appends fields, which protobuf merges (a scalar
/// given twice takes the last value, repeated fields add up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedArticle {
    id: String,
    bytes: Vec<u8>,
}

impl EncodedArticle {
    /// Encodes `article`.
    pub fn new(article: &Article) -> Self {
        EncodedArticle {
            id: article.id.clone(),
            bytes: prost::Message::encode_to_vec(article),
        }
    }

    /// Bytes that `wire_check` found to be an article with this id.
    pub(crate) fn checked(id: String, bytes: Vec<u8>) -> Self {
        EncodedArticle { id, bytes }
    }

    /// The article's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The protobuf encoding.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The protobuf encoding, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The article. Its text is not checked as UTF-8 again (in a release
    /// build): the bytes were checked where they were made (see the type's
    /// docs), and `akhbar run` decodes every article it writes.
    #[allow(unsafe_code, reason = "the type's invariant: the bytes decode")]
    pub fn decode(&self) -> Result<Article, prost::DecodeError> {
        // SAFETY: an EncodedArticle is made only by `new` (prost's encoding
        // of an article) or `checked` (bytes `wire_check` passed), and its
        // bytes are never changed: they decode as an Article.
        unsafe { akhbar_proto::text_decode::article_host_checked(&self.bytes) }
    }
}

impl EncodedArticle {
    /// Appends the article's proto3 JSON to `out` (one line, without the
    /// newline): what pbjson writes, with `metadata` in key order (see
    /// [`akhbar_proto::json`]). Its text is not checked as UTF-8 again in
    /// a release build, as in [`EncodedArticle::decode`].
    #[allow(unsafe_code, reason = "the type's invariant: the bytes decode")]
    pub fn write_json(&self, out: &mut Vec<u8>) -> Result<Written, JsonError> {
        // SAFETY: an EncodedArticle is made only by `new` (prost's encoding
        // of an article) or `checked` (bytes `wire_check` passed), and its
        // bytes are never changed: they decode as an Article.
        unsafe { akhbar_proto::json::article_json_host_checked(&self.bytes, out) }
    }
}

impl From<&Article> for EncodedArticle {
    fn from(article: &Article) -> Self {
        EncodedArticle::new(article)
    }
}

/// Words a reader reads per minute, for `reading_time_seconds`.
const WORDS_PER_MINUTE: u32 = 200;

/// The site of a source URI: the host of a URL, or the folder of a file path.
pub fn site_of(source_uri: &str) -> String {
    if let Some((scheme, rest)) = source_uri.split_once("://") {
        if scheme != "file" {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or(host);
            let host = host.split(':').next().unwrap_or(host);
            return host.trim_start_matches("www.").to_ascii_lowercase();
        }
        return folder_of(rest);
    }
    folder_of(source_uri)
}

fn folder_of(path: &str) -> String {
    match path.rfind(['/', '\\']) {
        Some(0) => "/".to_owned(),
        Some(i) => path[..i].to_owned(),
        None => ".".to_owned(),
    }
}

/// SHA-256 (hex) over the matching forms of the paragraphs, whitespace
/// folded: two scrapes of one article with different chrome hash the same.
pub fn content_hash(paragraphs: &[ParagraphView<'_>]) -> String {
    // The folded text is gathered first and hashed in one call: hashing word
    // by word cost more in the hasher's bookkeeping than in SHA-256 itself.
    let mut folded =
        Vec::with_capacity(paragraphs.iter().map(|p| p.matching_text().len() + 1).sum());
    for paragraph in paragraphs {
        push_words(paragraph.matching_text(), &mut folded);
        folded.push(b'\n');
    }
    hex::encode(Sha256::digest(&folded))
}

/// Appends the words of `text` (as `split_whitespace` finds them) joined by
/// single spaces.
fn push_words(text: &str, out: &mut Vec<u8>) {
    if single_spaced(text) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(word.as_bytes());
    }
}

/// The number of words of `text` (as `split_whitespace` counts them): of a
/// [`single_spaced`] text, one more than its spaces.
fn word_count(text: &str) -> usize {
    if text.is_empty() {
        0
    } else if single_spaced(text) {
        text.bytes().filter(|&b| b == b' ').count() + 1
    } else {
        text.split_whitespace().count()
    }
}

/// Whether `text` is already what joining its `split_whitespace` words by
/// single spaces gives: no whitespace but single ASCII spaces between words.
/// The normalizers leave text so, and checking bytes (in passes the compiler
/// vectorizes) is much cheaper than splitting by characters.
fn single_spaced(text: &str) -> bool {
    let b = text.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    // Folds without an early exit: branch-free, so vectorized.
    let controls = b
        .iter()
        .fold(false, |any, &x| any | (x.wrapping_sub(b'\t') < 5));
    let doubled = b
        .iter()
        .zip(b.iter().skip(1))
        .fold(false, |any, (&x, &y)| any | ((x == b' ') & (y == b' ')));
    !controls && !doubled && !has_unicode_space(b)
}

/// Whether `b` holds whitespace beyond ASCII: U+0085, U+00A0, U+1680,
/// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. Found by their
/// lead bytes (0xC2, 0xE1, 0xE2, 0xE3; continuation bytes never are one)
/// and then the bytes after; typographic quotes and dashes share 0xE2.
fn has_unicode_space(b: &[u8]) -> bool {
    let at = |i: usize| b.get(i).copied();
    memchr::memchr3_iter(0xC2, 0xE2, 0xE3, b).any(|i| match b[i] {
        0xC2 => matches!(at(i + 1), Some(0x85 | 0xA0)),
        0xE2 => matches!(
            (at(i + 1), at(i + 2)),
            (Some(0x80), Some(0x80..=0x8A | 0xA8 | 0xA9 | 0xAF)) | (Some(0x81), Some(0x9F))
        ),
        _ => (at(i + 1), at(i + 2)) == (Some(0x80), Some(0x80)),
    }) || memchr::memchr_iter(0xE1, b).any(|i| (at(i + 1), at(i + 2)) == (Some(0x9A), Some(0x80)))
}

/// What [`finish`] fills in, computed from the source URI and paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Content-derived id.
    pub id: String,
    /// The paragraphs' display texts joined by blank lines.
    pub body: String,
    /// Words of the display text.
    pub word_count: u32,
    /// At [`WORDS_PER_MINUTE`].
    pub reading_time_seconds: u32,
    /// See [`content_hash`].
    pub content_hash: String,
}

/// Computes body, counts, content hash and the content-derived id.
///
/// The id depends on the source URI and the content hash, so the same
/// document ingested twice gets the same id.
pub fn finished(source_uri: &str, paragraphs: &[ParagraphView<'_>]) -> Finished {
    let mut body = String::with_capacity(paragraphs.iter().map(|p| p.text.len() + 2).sum());
    let mut words = 0;
    for (i, paragraph) in paragraphs.iter().enumerate() {
        if i > 0 {
            body.push_str("\n\n");
        }
        body.push_str(paragraph.text);
        words += word_count(paragraph.text);
    }
    let word_count = u32::try_from(words).unwrap_or(u32::MAX);
    let reading_time_seconds = word_count.saturating_mul(60).div_ceil(WORDS_PER_MINUTE);
    let content_hash = content_hash(paragraphs);
    let mut id = Sha256::new();
    id.update(source_uri.as_bytes());
    id.update([0]);
    id.update(content_hash.as_bytes());
    Finished {
        id: hex::encode(&id.finalize()[..16]),
        body,
        word_count,
        reading_time_seconds,
        content_hash,
    }
}

/// Fills body, counts, content hash and the content-derived id.
pub fn finish(article: &mut Article) {
    let paragraphs: Vec<ParagraphView<'_>> =
        article.paragraphs.iter().map(ParagraphView::from).collect();
    let done = finished(&article.source_uri, &paragraphs);
    article.body = done.body;
    article.word_count = done.word_count;
    article.reading_time_seconds = done.reading_time_seconds;
    article.content_hash = done.content_hash;
    article.id = done.id;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> ParagraphView<'_> {
        ParagraphView {
            kind: 0,
            text,
            matching: "",
        }
    }

    #[test]
    fn site_is_the_host_or_the_folder() {
        assert_eq!(site_of("https://www.Example.com:443/a/b?x"), "example.com");
        assert_eq!(site_of("seeds/000.txt"), "seeds");
        assert_eq!(site_of("file:///data/site/x.txt"), "/data/site");
        assert_eq!(site_of("stdin"), ".");
    }

    #[test]
    fn hash_ignores_whitespace_but_not_words() {
        let a = content_hash(&[para("كيم  جونغ\tأون"), para("b")]);
        let b = content_hash(&[para(" كيم جونغ أون "), para("b")]);
        let c = content_hash(&[para("كيم جونغ"), para("b")]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    /// The byte check agrees with splitting by characters on every kind of
    /// whitespace, and so do the hash's text and the word count.
    #[test]
    fn single_spacing_is_recognized_exactly() {
        let whitespace = [
            " ", "\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}",
            "\u{2005}", "\u{200A}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}",
        ];
        // Neighbours of whitespace that are not: same lead bytes.
        let words = [
            "كيم", "a", "\u{A9}", "\u{200B}", "\u{2014}", "\u{201C}", "\u{2060}", "\u{3001}",
            "\u{1681}",
        ];
        let mut texts = vec![String::new()];
        for w in &words {
            for s in &whitespace {
                for v in &words {
                    texts.push(format!("{w}{s}{v}"));
                    texts.push(format!("{s}{w}{s}{s}{v}"));
                    texts.push(format!("{w} {v}{s}"));
                }
            }
        }
        for text in &texts {
            let reference: Vec<&str> = text.split_whitespace().collect();
            let mut out = Vec::new();
            push_words(text, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                reference.join(" "),
                "{text:?}"
            );
            assert_eq!(word_count(text), reference.len(), "{text:?}");
            assert_eq!(
                single_spaced(text),
                *text == reference.join(" "),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn words_match_split_whitespace(text in "[ a\t\u{A0}\u{2000}\u{2014}\u{3000}كي\n]{0,12}") {
            let reference: Vec<&str> = text.split_whitespace().collect();
            let mut out = Vec::new();
            push_words(&text, &mut out);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), reference.join(" "));
            proptest::prop_assert_eq!(word_count(&text), reference.len());
        }
    }

    #[test]
    fn finish_fills_body_counts_and_a_stable_id() {
        let mut article = Article {
            source_uri: "x.txt".into(),
            paragraphs: vec![para("one two three").into(), para("four").into()],
            ..Default::default()
        };
        finish(&mut article);
        assert_eq!(article.body, "one two three\n\nfour");
        assert_eq!(article.word_count, 4);
        assert_eq!(article.reading_time_seconds, 2);
        let id = article.id.clone();
        finish(&mut article);
        assert_eq!(article.id, id);
        assert_eq!(id.len(), 32);
    }
}
