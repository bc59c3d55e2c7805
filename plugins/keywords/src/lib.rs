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

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small multiplicative hasher (the FxHash idea): the maps here are
/// private to one call, so SipHash's flood resistance buys nothing.
#[derive(Debug, Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

use akhbar_arabic_text::{is_stopword, is_word_char, matching, stem};
use akhbar_plugin_sdk::proto::{Article, Enrichment, Keyword};
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

#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    surface: &'a str,
    key: u32,
    stop: bool,
    upper: bool,
}

#[derive(Debug, Default, Clone)]
struct TermStats {
    tf: f64,
    upper: f64,
    sentences: Vec<u32>,
    /// Distinct words seen before and after it.
    left: u32,
    right: u32,
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

const NONE: u32 = u32::MAX;

/// Scores key phrases of paragraphs; best first.
pub fn keywords(paragraphs: &[&str], max_words: usize, max: usize) -> Vec<(String, f64)> {
    let max_words = max_words.clamp(1, 4);
    // Words: each written form is folded, stemmed and interned once.
    let mut keys: Vec<String> = Vec::new();
    let mut key_ids: FastMap<String, u32> = FastMap::default();
    let mut seen: FastMap<&str, (u32, bool)> = FastMap::default();
    let mut sentences: Vec<Vec<Word<'_>>> = Vec::new();
    for p in paragraphs {
        for chunk in chunks(p) {
            let mut sentence = Vec::with_capacity(chunk.len());
            for surface in chunk {
                let (key, stop) = *seen.entry(surface).or_insert_with(|| {
                    let m = matching(surface);
                    let stop = is_stopword(&m)
                        || m.chars().count() < 2
                        || m.chars().all(|c| c.is_ascii_digit());
                    let key = stem(&m).into_owned();
                    let next = keys.len() as u32;
                    let id = *key_ids.entry(key.clone()).or_insert(next);
                    if id == next {
                        keys.push(key);
                    }
                    (id, stop)
                });
                sentence.push(Word {
                    surface,
                    key,
                    stop,
                    upper: surface.chars().next().is_some_and(char::is_uppercase),
                });
            }
            sentences.push(sentence);
        }
    }
    // A one-letter clitic (و ف ب ل ك) comes off when the rest of the word
    // is itself a word of this article: لكوريا meets كوريا, but بوتين stays.
    let remap: Vec<u32> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let mut chars = key.chars();
            match chars.next() {
                Some('و' | 'ف' | 'ب' | 'ل' | 'ك') if chars.as_str().chars().count() >= 3 => {
                    key_ids.get(chars.as_str()).copied().unwrap_or(i as u32)
                }
                _ => i as u32,
            }
        })
        .collect();
    for w in sentences.iter_mut().flatten() {
        w.key = remap[w.key as usize];
    }

    let mut stats: Vec<TermStats> = vec![TermStats::default(); keys.len()];
    let mut pairs: FastMap<(u32, u32), ()> = FastMap::default();
    for (si, sentence) in sentences.iter().enumerate() {
        for (wi, w) in sentence.iter().enumerate() {
            if let Some(next) = sentence.get(wi + 1)
                && pairs.insert((w.key, next.key), ()).is_none()
            {
                stats[w.key as usize].right += 1;
                stats[next.key as usize].left += 1;
            }
            if w.stop {
                continue;
            }
            let t = &mut stats[w.key as usize];
            t.tf += 1.0;
            if w.upper && wi > 0 {
                t.upper += 1.0;
            }
            if t.sentences.last() != Some(&(si as u32)) {
                t.sentences.push(si as u32);
            }
        }
    }
    let used: Vec<&TermStats> = stats.iter().filter(|t| t.tf > 0.0).collect();
    if used.is_empty() {
        return Vec::new();
    }
    let n = used.len() as f64;
    let mean = used.iter().map(|t| t.tf).sum::<f64>() / n;
    let sd = (used.iter().map(|t| (t.tf - mean).powi(2)).sum::<f64>() / n).sqrt();
    let max_tf = used.iter().map(|t| t.tf).fold(0.0, f64::max);
    let total = sentences.len() as f64;
    let term_score: Vec<f64> = stats
        .iter()
        .map(|t| {
            if t.tf == 0.0 {
                return 0.0;
            }
            let case = t.upper / (1.0 + t.tf.ln());
            let median = t.sentences[t.sentences.len() / 2] as f64;
            let pos = (3.0 + median).ln().ln();
            let freq = t.tf / (mean + sd);
            let rel =
                1.0 + (f64::from(t.left) + f64::from(t.right)) / (2.0 * t.tf) * (t.tf / max_tf);
            let spread = t.sentences.len() as f64 / total;
            (rel * pos) / (case + freq / rel + spread / rel)
        })
        .collect();

    // Candidates: 1..=max_words words, no stopword at either end.
    let mut candidates: FastMap<[u32; 4], f64> = FastMap::default();
    for sentence in &sentences {
        for i in 0..sentence.len() {
            if sentence[i].stop {
                continue;
            }
            for len in 1..=max_words.min(sentence.len() - i) {
                if sentence[i + len - 1].stop {
                    continue;
                }
                let mut key = [NONE; 4];
                for (k, w) in sentence[i..i + len].iter().enumerate() {
                    key[k] = w.key;
                }
                *candidates.entry(key).or_default() += 1.0;
            }
        }
    }
    let mut scored: Vec<([u32; 4], f64)> = candidates
        .into_iter()
        .map(|(key, tf)| {
            let (mut product, mut sum) = (1.0, 0.0);
            for &k in key.iter().take_while(|&&k| k != NONE) {
                let s = term_score[k as usize];
                if s > 0.0 {
                    product *= s;
                    sum += s;
                }
            }
            (key, product / (tf * (1.0 + sum)))
        })
        .collect();
    // Only the best few can be chosen: sort those alone.
    let order = |a: &([u32; 4], f64), b: &([u32; 4], f64)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
    let head = (max * 8).max(32);
    if scored.len() > head {
        scored.select_nth_unstable_by(head, order);
        scored.truncate(head);
    }
    scored.sort_by(order);
    let mut chosen: Vec<([u32; 4], f64)> = Vec::new();
    for candidate in scored {
        if chosen.len() >= max {
            break;
        }
        // Skip a phrase that shares half its words with a better one.
        let words: Vec<u32> = candidate
            .0
            .iter()
            .copied()
            .take_while(|&k| k != NONE)
            .collect();
        if chosen.iter().any(|c| {
            let other: Vec<u32> = c.0.iter().copied().take_while(|&k| k != NONE).collect();
            let shared = words.iter().filter(|w| other.contains(w)).count();
            2 * shared >= words.len().min(other.len())
        }) {
            continue;
        }
        chosen.push(candidate);
    }
    // Each phrase as it is most often written.
    chosen
        .into_iter()
        .map(|(key, score)| {
            let len = key.iter().take_while(|&&k| k != NONE).count();
            let mut forms: HashMap<String, usize> = HashMap::new();
            for sentence in &sentences {
                for window in sentence.windows(len) {
                    if window.iter().zip(&key).all(|(w, k)| w.key == *k) {
                        let form = window
                            .iter()
                            .map(|w| w.surface)
                            .collect::<Vec<_>>()
                            .join(" ");
                        *forms.entry(form).or_default() += 1;
                    }
                }
            }
            let surface = forms
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(s, _)| s)
                .unwrap_or_default();
            (surface, 1.0 / (1.0 + score))
        })
        .collect()
}

impl Enricher for Keywords {
    fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
        let texts: Vec<&str> = article.paragraphs.iter().map(|p| p.text.as_str()).collect();
        let found = keywords(&texts, self.config.max_words, self.config.max_keywords);
        let provenance = vec![Self::provenance(
            "enricher",
            format!("extracted {} key phrases", found.len()),
        )];
        let keywords = found
            .into_iter()
            .map(|(text, score)| Keyword {
                text,
                score: score as f32,
            })
            .collect();
        Ok(Enrichment {
            keywords,
            provenance,
            ..Default::default()
        })
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(enricher: Keywords);

#[cfg(test)]
mod tests;
