//! `keywords`: an article's key phrases, with YAKE's statistics (Campos et
//! al., 2020) over the matching form: term frequency, position, spread over
//! sentences and context diversity, combined into phrase scores for one- to
//! three-word candidates that neither start nor end with a stopword.
//!
//! Words are compared by a light stem of their matching form (Arabic
//! clitics and plural endings off, `akhbar-arabic-text`), so العقوبات and
//! عقوبات count as one; each phrase is reported as it is most often written
//! in the display text. `score` is in (0, 1], higher is more key.
//!
//! Config: `{"max_keywords": 10, "max_words": 3}`.
#![forbid(unsafe_code)]

use std::collections::{HashMap, HashSet};

use akhbar_arabic_text::{is_stopword, is_word_char, matching, stem};
use akhbar_plugin_sdk::proto::{Article, Keyword};
use akhbar_plugin_sdk::{Config, Enricher, Plugin, PluginError};

/// Config of `keywords`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeywordsConfig {
    /// How many key phrases are kept.
    pub max_keywords: usize,
    /// Longest phrase, in words (1..=4).
    pub max_words: usize,
}

impl Default for KeywordsConfig {
    fn default() -> Self {
        KeywordsConfig {
            max_keywords: 10,
            max_words: 3,
        }
    }
}

/// The `keywords` enricher.
#[derive(Debug)]
pub struct Keywords {
    config: KeywordsConfig,
}

impl Plugin for Keywords {
    const NAME: &'static str = "keywords";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        let config: KeywordsConfig = config.parse()?;
        if !(1..=4).contains(&config.max_words) {
            return Err(PluginError::failed("max_words must be between 1 and 4"));
        }
        Ok(Keywords { config })
    }
}

#[derive(Debug)]
struct Word<'a> {
    surface: &'a str,
    key: String,
    stop: bool,
    upper: bool,
}

/// A candidate phrase: count, its content-word keys, its written forms.
type Candidate = (f64, Vec<String>, HashMap<String, usize>);

#[derive(Debug, Default)]
struct TermStats {
    tf: f64,
    upper: f64,
    sentences: Vec<usize>,
    left: HashSet<String>,
    right: HashSet<String>,
}

/// Splits a paragraph into sentences of words; punctuation ends a chunk.
fn chunks(text: &str) -> Vec<Vec<&str>> {
    let mut out = vec![Vec::new()];
    let mut start: Option<usize> = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let word =
            i < text.len() && (is_word_char(c) || (start.is_some() && (c == '\'' || c == '-')));
        if word {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            out.last_mut().expect("one chunk").push(&text[s..i]);
        }
        if !c.is_whitespace() && i < text.len() {
            out.push(Vec::new());
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

/// Scores key phrases of paragraphs; best first.
pub fn keywords(paragraphs: &[&str], max_words: usize, max: usize) -> Vec<(String, f64)> {
    let mut sentences: Vec<Vec<Word<'_>>> = Vec::new();
    for p in paragraphs {
        for chunk in chunks(p) {
            sentences.push(
                chunk
                    .into_iter()
                    .map(|surface| {
                        let m = matching(surface);
                        let stop = is_stopword(&m)
                            || m.chars().count() < 2
                            || m.chars().all(|c| c.is_ascii_digit());
                        Word {
                            surface,
                            key: stem(&m),
                            stop,
                            upper: surface.chars().next().is_some_and(char::is_uppercase),
                        }
                    })
                    .collect(),
            );
        }
    }
    // A one-letter clitic (و ف ب ل ك) comes off when the rest of the word
    // is itself a word of this article: لكوريا meets كوريا, but بوتين stays.
    let known: HashSet<String> = sentences.iter().flatten().map(|w| w.key.clone()).collect();
    for w in sentences.iter_mut().flatten() {
        let mut chars = w.key.chars();
        if let Some('و' | 'ف' | 'ب' | 'ل' | 'ك') = chars.next() {
            let rest = chars.as_str();
            if rest.chars().count() >= 3 && known.contains(rest) {
                w.key = rest.to_owned();
            }
        }
    }
    let mut stats: HashMap<&str, TermStats> = HashMap::new();
    for (si, sentence) in sentences.iter().enumerate() {
        for (wi, w) in sentence.iter().enumerate() {
            if w.stop {
                continue;
            }
            let t = stats.entry(&w.key).or_default();
            t.tf += 1.0;
            if w.upper && wi > 0 {
                t.upper += 1.0;
            }
            if t.sentences.last() != Some(&si) {
                t.sentences.push(si);
            }
            if wi > 0 {
                t.left.insert(sentence[wi - 1].key.clone());
            }
            if let Some(next) = sentence.get(wi + 1) {
                t.right.insert(next.key.clone());
            }
        }
    }
    if stats.is_empty() {
        return Vec::new();
    }
    let n = stats.len() as f64;
    let mean = stats.values().map(|t| t.tf).sum::<f64>() / n;
    let sd = (stats.values().map(|t| (t.tf - mean).powi(2)).sum::<f64>() / n).sqrt();
    let max_tf = stats.values().map(|t| t.tf).fold(0.0, f64::max);
    let total = sentences.len() as f64;
    let term_score: HashMap<&str, f64> = stats
        .iter()
        .map(|(k, t)| {
            let case = t.upper / (1.0 + t.tf.ln());
            let median = t.sentences[t.sentences.len() / 2] as f64;
            let pos = (3.0 + median).ln().ln();
            let freq = t.tf / (mean + sd);
            let rel =
                1.0 + (t.left.len() as f64 + t.right.len() as f64) / (2.0 * t.tf) * (t.tf / max_tf);
            let spread = t.sentences.len() as f64 / total;
            (*k, (rel * pos) / (case + freq / rel + spread / rel))
        })
        .collect();

    // Candidates: 1..=max_words words, no stopword at either end; how often
    // each is written in each way.
    let mut candidates: HashMap<String, Candidate> = HashMap::new();
    for sentence in &sentences {
        for i in 0..sentence.len() {
            if sentence[i].stop {
                continue;
            }
            for len in 1..=max_words.min(sentence.len() - i) {
                let words = &sentence[i..i + len];
                if words[len - 1].stop {
                    continue;
                }
                let key = words
                    .iter()
                    .map(|w| w.key.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let surface = words
                    .iter()
                    .map(|w| w.surface)
                    .collect::<Vec<_>>()
                    .join(" ");
                let entry = candidates.entry(key).or_insert_with(|| {
                    let parts = words
                        .iter()
                        .filter(|w| !w.stop)
                        .map(|w| w.key.clone())
                        .collect();
                    (0.0, parts, HashMap::new())
                });
                entry.0 += 1.0;
                *entry.2.entry(surface).or_default() += 1;
            }
        }
    }
    let mut scored: Vec<(String, f64, String)> = candidates
        .into_iter()
        .map(|(key, (tf, parts, surfaces))| {
            let (mut product, mut sum) = (1.0, 0.0);
            for p in &parts {
                if let Some(s) = term_score.get(p.as_str()) {
                    product *= s;
                    sum += s;
                }
            }
            let score = product / (tf * (1.0 + sum));
            let surface = surfaces
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map_or_else(|| key.clone(), |(s, _)| s);
            (key, score, surface)
        })
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<(String, f64, String)> = Vec::new();
    for candidate in scored {
        if chosen.len() >= max {
            break;
        }
        // Skip a phrase that shares half its words with a better one.
        let words: HashSet<&str> = candidate.0.split(' ').collect();
        if chosen.iter().any(|c| {
            let other: HashSet<&str> = c.0.split(' ').collect();
            2 * words.intersection(&other).count() >= words.len().min(other.len())
        }) {
            continue;
        }
        chosen.push(candidate);
    }
    chosen
        .into_iter()
        .map(|(_, score, surface)| (surface, 1.0 / (1.0 + score)))
        .collect()
}

impl Enricher for Keywords {
    fn enrich(&self, mut article: Article) -> Result<Article, PluginError> {
        let texts: Vec<&str> = article.paragraphs.iter().map(|p| p.text.as_str()).collect();
        let found = keywords(&texts, self.config.max_words, self.config.max_keywords);
        article.provenance.push(Self::provenance(
            "enricher",
            format!("extracted {} key phrases", found.len()),
        ));
        article.keywords = found
            .into_iter()
            .map(|(text, score)| Keyword {
                text,
                score: score as f32,
            })
            .collect();
        Ok(article)
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(enricher: Keywords);

#[cfg(test)]
mod tests;
