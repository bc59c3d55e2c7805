//! What the pipeline itself fills in: site, body, counts, content hash, id.

use sha2::{Digest, Sha256};

use crate::proto::{Article, Paragraph};

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

/// The form of a paragraph used for hashing and matching.
fn matching_form(paragraph: &Paragraph) -> &str {
    akhbar_plugin_sdk::matching_text(paragraph)
}

/// SHA-256 (hex) over the matching forms of the paragraphs, whitespace
/// folded: two scrapes of one article with different chrome hash the same.
pub fn content_hash(paragraphs: &[Paragraph]) -> String {
    let mut hasher = Sha256::new();
    for paragraph in paragraphs {
        let mut first = true;
        for word in matching_form(paragraph).split_whitespace() {
            if !first {
                hasher.update(b" ");
            }
            hasher.update(word.as_bytes());
            first = false;
        }
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
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
pub fn finished(source_uri: &str, paragraphs: &[Paragraph]) -> Finished {
    let body = paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let words = paragraphs
        .iter()
        .map(|p| p.text.split_whitespace().count())
        .sum::<usize>();
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
    let done = finished(&article.source_uri, &article.paragraphs);
    article.body = done.body;
    article.word_count = done.word_count;
    article.reading_time_seconds = done.reading_time_seconds;
    article.content_hash = done.content_hash;
    article.id = done.id;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> Paragraph {
        Paragraph {
            text: text.into(),
            ..Default::default()
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

    #[test]
    fn finish_fills_body_counts_and_a_stable_id() {
        let mut article = Article {
            source_uri: "x.txt".into(),
            paragraphs: vec![para("one two three"), para("four")],
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
