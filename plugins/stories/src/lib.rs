//! `stories`: articles about the same event share a `story_id`, assigned
//! incrementally as they stream in; near-duplicates (the same text
//! republished) are flagged with SimHash.
//!
//! **Stories.** Each article becomes two weighted vectors: the people it is
//! about (entity canonical ids, each mention weighted `1 / (1 + 3·p)` for
//! paragraph `p`, so the lead's protagonists dominate) and its content words
//! (matching form, stopwords out, light-stemmed, `1 + ln tf`). The similarity
//! of two articles is `0.85·cos(people) + 0.15·cos(words)` (words alone when
//! either has no person). A new article joins the story of the most similar
//! remembered article within the time window if that similarity reaches
//! `threshold`; otherwise it starts a story named after itself. Because the
//! decision rests on pairwise similarities, not on a drifting centroid, the
//! grouping does not depend on arrival order when a story's members are all
//! similar to each other (only which member names the story does).
//!
//! **Near-duplicates.** A 64-bit SimHash over word 3-shingles of the
//! matching form; an article within `near_duplicate_bits` (default 3) of a
//! remembered one gets `near_duplicate_of` = that article's id, and its story.
//!
//! **Memory** is bounded: at most `max_articles` remembered (default 5,000),
//! each with at most 64 word features; lookups go through inverted indexes
//! whose scans are capped, so the cost per article stays flat.
#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt};
use std::sync::Mutex;

use akhbar_arabic_text::{
    ASCII_LETTER_OR_DIGIT, WordTable, is_stopword, matching, stem, word_char_at,
};
use akhbar_plugin_sdk::proto::{Article, Enrichment, entity::Label};
use akhbar_plugin_sdk::{ArticleView, Config, Enricher, Plugin, PluginError};

/// Config of `stories`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoriesConfig {
    /// Similarity at which an article joins a story.
    pub threshold: f32,
    /// Articles further apart than this (publication or receipt time) never
    /// share a story.
    pub window_hours: u64,
    /// How many articles are remembered.
    pub max_articles: usize,
    /// Largest SimHash Hamming distance of a near-duplicate (0..=3).
    pub near_duplicate_bits: u32,
}

impl Default for StoriesConfig {
    fn default() -> Self {
        StoriesConfig {
            threshold: 0.78,
            window_hours: 72,
            max_articles: 5000,
            near_duplicate_bits: 3,
        }
    }
}

type Vector = Vec<(u64, f32)>;

#[derive(Debug)]
struct Remembered {
    id: String,
    story: String,
    time: Option<i64>,
    people: Vector,
    words: Vector,
    /// [`squared_norm`] of `words`, for [`Lookup::dot_reaching`].
    words_norm2: f32,
    simhash: u64,
}

#[derive(Debug, Default)]
struct State {
    first_seq: u64,
    entries: VecDeque<Remembered>,
    /// The latest remembered article of each (non-empty) id, kept in step
    /// with `entries` as they are forgotten.
    ids: HashMap<String, u64>,
    postings: HashMap<u64, Vec<u64>>,
    bands: HashMap<(u8, u16), Vec<u64>>,
}

/// The `stories` enricher.
#[derive(Debug)]
pub struct Stories {
    config: StoriesConfig,
    state: Mutex<State>,
}

/// FNV-1a, 64 bits: stable across runs and platforms.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = FNV_OFFSET;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The `keep` heaviest items (ties by key), scaled to unit length, in key
/// order. Keys are distinct.
fn normalize(mut items: Vector, keep: usize) -> Vector {
    if items.len() > keep && keep > 0 {
        items.select_nth_unstable_by(keep - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    items.truncate(keep);
    // Remembered for up to `max_articles` articles: without this, each
    // would keep the capacity of every word it had (~10 KB, not ~1 KB).
    items.shrink_to_fit();
    // The norm is summed heaviest first. Equal weights add the same
    // whatever their order, so the weights alone are sorted.
    let mut weights: Vec<f32> = items.iter().map(|&(_, w)| w).collect();
    weights.sort_unstable_by(|a, b| b.total_cmp(a));
    let norm = weights.iter().map(|w| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for item in &mut items {
            item.1 /= norm;
        }
    }
    items.sort_unstable_by_key(|(k, _)| *k);
    items
}

/// A vector's weights by key, for the dot products of one article with
/// many remembered ones: open addressing over the (hash) keys, empty slots
/// marked by a NaN weight (a real weight is a finite number).
struct Lookup {
    keys: Vec<u64>,
    weights: Vec<f32>,
    mask: usize,
}

impl Lookup {
    fn of(vector: &Vector) -> Lookup {
        // At most a quarter full: most probes are for keys not there, and
        // at half full those take ~2.5 steps to reach an empty slot.
        let slots = (vector.len() * 4).next_power_of_two().max(2);
        let mut lookup = Lookup {
            keys: vec![0; slots],
            weights: vec![f32::NAN; slots],
            mask: slots - 1,
        };
        for &(key, weight) in vector {
            let mut at = key as usize & lookup.mask;
            while !lookup.weights[at].is_nan() {
                at = (at + 1) & lookup.mask;
            }
            lookup.keys[at] = key;
            lookup.weights[at] = weight;
        }
        lookup
    }

    #[inline]
    fn get(&self, key: u64) -> Option<f32> {
        let mut at = key as usize & self.mask;
        loop {
            let weight = self.weights[at];
            if weight.is_nan() {
                return None;
            }
            if self.keys[at] == key {
                return Some(weight);
            }
            at = (at + 1) & self.mask;
        }
    }

    /// The dot product with `b` (sorted by key). The products of shared keys
    /// are added in key order, as a merge of two sorted vectors adds them;
    /// but each of `b`'s entries is one independent probe, where a merge's
    /// every step waits on the last one's unpredictable branch.
    fn dot(&self, b: &Vector) -> f32 {
        let mut sum = 0.0f32;
        for &(key, wb) in b {
            if let Some(wa) = self.get(key) {
                sum += wa * wb;
            }
        }
        sum
    }

    /// [`Lookup::dot`] when it may reach `target`, `None` when it surely
    /// cannot. The sum is the same, added in the same order; on the way,
    /// what `b`'s entries not yet visited can still add is at most their
    /// norm (this vector's is at most 1: it is a unit vector or empty), so
    /// once the sum plus that falls short of `target` the rest is not
    /// looked up. Most remembered articles share a few words with a new
    /// one and are given up about halfway. `b_norm2` is
    /// [`squared_norm`]`(b)`, which a remembered article keeps.
    fn dot_reaching(&self, b: &Vector, b_norm2: f32, target: f32) -> Option<f32> {
        // Rounding in the norms and the running sums is far below this.
        const SLACK: f32 = 0.01;
        let mut rest = b_norm2;
        let mut sum = 0.0f32;
        for entries in b.chunks(8) {
            if sum + rest.max(0.0).sqrt() + SLACK < target {
                return None;
            }
            for &(key, wb) in entries {
                if let Some(wa) = self.get(key) {
                    sum += wa * wb;
                }
                rest -= wb * wb;
            }
        }
        Some(sum)
    }
}

/// The sum of a vector's squared weights, in key order.
fn squared_norm(v: &Vector) -> f32 {
    v.iter().map(|(_, w)| w * w).sum()
}

/// FNV-1a's starting value and multiplier (see [`fnv`]).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Calls `f` with each word (run of word characters) of `text` and its
/// [`fnv`] hash, taken as the word is read.
#[inline]
fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str, u64)) {
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        let start = loop {
            let Some((word, len)) = word_char_at(text, at) else {
                return;
            };
            if word {
                break at;
            }
            at += len;
        };
        let step = |hash: u64, b: u8| (hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        let mut hash = FNV_OFFSET;
        while let Some(&b) = bytes.get(at) {
            // word_char_at's cases, each hashing its own bytes.
            if b < 0x80 {
                if !ASCII_LETTER_OR_DIGIT[usize::from(b)] {
                    break;
                }
                hash = step(hash, b);
                at += 1;
            } else if let Some(&next) = bytes.get(at + 1)
                && ((b == 0xD8 && next >= 0xA1) || (b == 0xD9 && next <= 0x8A))
            {
                hash = step(step(hash, b), next);
                at += 2;
            } else {
                let Some((true, len)) = word_char_at(text, at) else {
                    break;
                };
                hash = bytes[at..at + len].iter().fold(hash, |h, &b| step(h, b));
                at += len;
            }
        }
        f(&text[start..at], hash);
    }
}

/// Sixty-four counters side by side: bit `b` of `planes[j]` is bit `j` of
/// counter `b`, so adding one to each counter whose bit is set in a word
/// is a ripple of carries over the planes. Words are taken eight at a time
/// through a tree of carry-save adders (Harley-Seal), so that one ripple,
/// from plane 3, adds all eight (a ripple per word ran ~6 planes deep).
struct BitCounters {
    planes: [u64; 40],
    held: [u64; 8],
    len: usize,
}

/// Three words added bit by bit: the bits of weight 1 and of weight 2.
#[inline]
fn carry_save(a: u64, b: u64, c: u64) -> (u64, u64) {
    let u = a ^ b;
    (u ^ c, (a & b) | (u & c))
}

impl BitCounters {
    fn new() -> BitCounters {
        BitCounters {
            planes: [0; 40],
            held: [0; 8],
            len: 0,
        }
    }

    /// Adds one to each counter whose bit is set in `word`.
    #[inline]
    fn add(&mut self, word: u64) {
        self.held[self.len & 7] = word;
        self.len += 1;
        if self.len == 8 {
            self.len = 0;
            let [a, b, c, d, e, f, g, h] = self.held;
            let [p0, p1, p2, ..] = &mut self.planes;
            let (s, twos_a) = carry_save(*p0, a, b);
            let (s, twos_b) = carry_save(s, c, d);
            let (t, fours_a) = carry_save(*p1, twos_a, twos_b);
            let (s, twos_a) = carry_save(s, e, f);
            let (s, twos_b) = carry_save(s, g, h);
            let (t, fours_b) = carry_save(t, twos_a, twos_b);
            let (u, eights) = carry_save(*p2, fours_a, fours_b);
            (*p0, *p1, *p2) = (s, t, u);
            self.ripple(3, eights);
        }
    }

    /// Adds `carry` at plane `from` (weight `2^from`).
    #[inline]
    fn ripple(&mut self, from: usize, mut carry: u64) {
        for plane in &mut self.planes[from..] {
            if carry == 0 {
                break;
            }
            let next = *plane & carry;
            *plane ^= carry;
            carry = next;
        }
    }

    /// The bits whose counter exceeds `half` (all counters are below
    /// `2^40`), compared bit-parallel from the top plane down.
    fn above(mut self, half: u64) -> u64 {
        for i in 0..self.len {
            self.ripple(0, self.held[i]);
        }
        let (mut greater, mut equal) = (0u64, !0u64);
        for (j, &plane) in self.planes.iter().enumerate().rev() {
            if half >> j & 1 == 1 {
                equal &= plane;
            } else {
                greater |= equal & plane;
                equal &= !plane;
            }
        }
        greater
    }
}

/// The features of an article: people, words and SimHash.
fn features(article: &ArticleView<'_>) -> Result<(Vector, Vector, u64), PluginError> {
    let mut people: HashMap<u64, f32> = HashMap::new();
    let entities = article
        .entity_views()
        .map_err(|e| PluginError::failed(format!("the article's entities do not decode: {e}")))?;
    for e in entities {
        if e.label == Label::Person as i32 && !e.canonical_id.is_empty() {
            *people.entry(fnv(e.canonical_id.as_bytes())).or_default() +=
                1.0 / (1.0 + 3.0 * e.paragraph as f32);
        }
    }
    let texts: Vec<Cow<'_, str>> = article
        .paragraphs()
        .iter()
        .map(|paragraph| {
            if paragraph.matching.is_empty() {
                Cow::Owned(matching(paragraph.text))
            } else {
                Cow::Borrowed(paragraph.matching)
            }
        })
        .collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    // Each distinct word: the index of its stem's count, or NONE when it is
    // not a content word; the stems' counts, found by their hashes.
    const NONE: u32 = u32::MAX;
    let mut words_seen = WordTable::with_capacity(bytes / 6 + 16);
    let mut stem_at: HashMap<u64, u32> = HashMap::with_capacity(bytes / 8 + 16);
    let mut counts: Vec<(u64, u32)> = Vec::with_capacity(bytes / 8 + 16);
    let mut bits = BitCounters::new();
    let mut shingles: u64 = 0;
    for text in &texts {
        // The hashes of the two words before, and how many there were.
        let (mut before, mut last, mut seen) = (0u64, 0u64, 0usize);
        for_each_word(text, |w, hash| {
            let at = words_seen.get_or_insert_with(hash, w, || {
                if w.chars().nth(2).is_some()
                    && !is_stopword(w)
                    && !w.bytes().all(|b| b.is_ascii_digit())
                {
                    let feature = fnv(stem(w).as_bytes());
                    let next = counts.len() as u32;
                    let at = *stem_at.entry(feature).or_insert(next);
                    if at == next {
                        counts.push((feature, 0));
                    }
                    at
                } else {
                    NONE
                }
            });
            if at != NONE {
                counts[at as usize].1 += 1;
            }
            seen += 1;
            if seen >= 3 {
                let h = [before, last, hash].iter().fold(0u64, |acc, x| {
                    (acc.rotate_left(21) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                });
                bits.add(h);
                shingles += 1;
            }
            (before, last) = (last, hash);
        });
    }
    // A bit is set when more shingles have it than not (2·count > shingles).
    let simhash = bits.above(shingles / 2);
    let words = counts
        .into_iter()
        .map(|(k, c)| (k, 1.0 + (c as f32).ln()))
        .collect();
    Ok((
        normalize(people.into_iter().collect(), 32),
        normalize(words, 64),
        simhash,
    ))
}

/// How many recent postings of one feature are looked at.
const POSTINGS_SCAN: usize = 48;
/// How many candidates are scored in full.
const MAX_CANDIDATES: usize = 96;

impl State {
    fn get(&self, seq: u64) -> Option<&Remembered> {
        seq.checked_sub(self.first_seq)
            .and_then(|i| self.entries.get(i as usize))
    }

    fn push(&mut self, entry: Remembered, max: usize) {
        let seq = self.first_seq + self.entries.len() as u64;
        for (k, _) in entry.people.iter().chain(entry.words.iter().take(16)) {
            let list = self.postings.entry(*k).or_default();
            list.push(seq);
            if list.len() > 4 * POSTINGS_SCAN {
                list.drain(..list.len() - POSTINGS_SCAN);
            }
        }
        for band in 0..4u8 {
            let value = (entry.simhash >> (16 * band)) as u16;
            let list = self.bands.entry((band, value)).or_default();
            list.push(seq);
            if list.len() > 4 * POSTINGS_SCAN {
                list.drain(..list.len() - POSTINGS_SCAN);
            }
        }
        if !entry.id.is_empty() {
            self.ids.insert(entry.id.clone(), seq);
        }
        self.entries.push_back(entry);
        while self.entries.len() > max.max(1) {
            let forgotten = self.entries.pop_front().expect("more than one entry");
            if self.ids.get(&forgotten.id) == Some(&self.first_seq) {
                self.ids.remove(&forgotten.id);
            }
            self.first_seq += 1;
        }
        // Drop postings of forgotten articles now and then.
        if seq.is_multiple_of(4096) {
            let first = self.first_seq;
            self.postings.retain(|_, l| {
                l.retain(|&s| s >= first);
                !l.is_empty()
            });
            self.bands.retain(|_, l| {
                l.retain(|&s| s >= first);
                !l.is_empty()
            });
        }
    }
}

/// The similarity of an article (its people and words, as lookups) to a
/// remembered one, or `None` when it is surely below `threshold`.
fn similarity(
    people_a: &Lookup,
    words_a: &Lookup,
    has_people: bool,
    b: &Remembered,
    threshold: f32,
) -> Option<f32> {
    if !has_people || b.people.is_empty() {
        return words_a.dot_reaching(&b.words, b.words_norm2, threshold);
    }
    // The words' cosine is at most 1 (unit vectors; the margin covers
    // rounding): when the people's part cannot reach the threshold with it,
    // the longer dot product is not needed. Most candidates end here.
    let people = 0.85 * people_a.dot(&b.people);
    if people + 0.15 * 1.001 < threshold {
        return None;
    }
    let words = words_a.dot_reaching(&b.words, b.words_norm2, (threshold - people) / 0.15)?;
    Some(people + 0.15 * words)
}

impl Plugin for Stories {
    const NAME: &'static str = "stories";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        let config: StoriesConfig = config.parse()?;
        if config.near_duplicate_bits > 3 {
            return Err(PluginError::failed(
                "near_duplicate_bits must be at most 3 (the index finds distances up to 3)",
            ));
        }
        Ok(Stories {
            config,
            state: Mutex::new(State::default()),
        })
    }
}

impl Enricher for Stories {
    fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
        self.enrich_view(&ArticleView::of(article))
    }

    fn enrich_view(&self, article: &ArticleView<'_>) -> Result<Enrichment, PluginError> {
        let mut added = Enrichment::default();
        let (people, words, simhash) = features(article)?;
        let time = article
            .published_at()
            .or(article.received_at())
            .map(|t| t.seconds);
        let window =
            i64::try_from(self.config.window_hours.saturating_mul(3600)).unwrap_or(i64::MAX);
        let in_window = |other: Option<i64>| match (time, other) {
            (Some(a), Some(b)) => (a - b).abs() <= window,
            _ => true,
        };
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());

        // Near-duplicates first: four 16-bit bands find any distance <= 3.
        let mut duplicate: Option<(u32, &Remembered)> = None;
        for band in 0..4u8 {
            let value = (simhash >> (16 * band)) as u16;
            for &seq in state
                .bands
                .get(&(band, value))
                .into_iter()
                .flatten()
                .rev()
                .take(POSTINGS_SCAN)
            {
                let Some(other) = state.get(seq) else {
                    continue;
                };
                let distance = (other.simhash ^ simhash).count_ones();
                if distance <= self.config.near_duplicate_bits
                    && other.id != article.id()
                    && duplicate.is_none_or(|(d, _)| distance < d)
                {
                    duplicate = Some((distance, other));
                }
            }
        }

        let mut best: Option<(f32, &Remembered)> = None;
        if duplicate.is_none() {
            let keys = || people.iter().chain(words.iter().take(16)).map(|(k, _)| k);
            // Room for every posting to be a candidate of its own, so that
            // the map never grows (a rehash per doubling otherwise).
            let most: usize = keys()
                .filter_map(|k| state.postings.get(k))
                .map(|list| list.len().min(POSTINGS_SCAN))
                .sum();
            let mut hits: HashMap<u64, u32> = HashMap::with_capacity(most);
            for k in keys() {
                for &seq in state
                    .postings
                    .get(k)
                    .into_iter()
                    .flatten()
                    .rev()
                    .take(POSTINGS_SCAN)
                {
                    *hits.entry(seq).or_default() += 1;
                }
            }
            let mut candidates: Vec<(u64, u32)> = hits.into_iter().collect();
            let (people_lookup, words_lookup) = (Lookup::of(&people), Lookup::of(&words));
            // Most hits first, then the latest; seqs are distinct.
            candidates.sort_unstable_by_key(|&(seq, hits)| Reverse((hits, seq)));
            candidates.truncate(MAX_CANDIDATES);
            for (seq, _) in candidates {
                let Some(other) = state.get(seq) else {
                    continue;
                };
                if other.id == article.id() || !in_window(other.time) {
                    continue;
                }
                let Some(s) = similarity(
                    &people_lookup,
                    &words_lookup,
                    !people.is_empty(),
                    other,
                    self.config.threshold,
                ) else {
                    continue;
                };
                if s >= self.config.threshold && best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, other));
                }
            }
        }

        let action;
        let story = if let Some((distance, other)) = duplicate {
            added.near_duplicate_of = other.id.clone();
            action = format!(
                "near-duplicate of {} (SimHash distance {distance}); joined its story",
                other.id
            );
            other.story.clone()
        } else if let Some((s, other)) = best {
            action = format!("joined the story of {} (similarity {s:.2})", other.id);
            other.story.clone()
        } else {
            action = "started a new story".to_owned();
            let seed = if article.id().is_empty() {
                format!("{simhash:016x}")
            } else {
                article.id().to_owned()
            };
            format!("story-{}", &seed[..seed.len().min(16)])
        };
        // The same document again keeps its story.
        let story = match state.ids.get(article.id()).and_then(|&seq| state.get(seq)) {
            Some(e) if !article.id().is_empty() => e.story.clone(),
            _ => story,
        };
        added.story_id = story.clone();
        added.simhash = format!("{simhash:016x}");
        state.push(
            Remembered {
                id: article.id().to_owned(),
                story,
                time,
                people,
                words_norm2: squared_norm(&words),
                words,
                simhash,
            },
            self.config.max_articles,
        );
        drop(state);
        added.provenance.push(Self::provenance("enricher", action));
        Ok(added)
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(enricher: Stories);

#[cfg(test)]
mod tests;
