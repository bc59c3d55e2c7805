//! Article extraction from plain-text dumps of scraped web pages.
//!
//! The page arrives flattened to lines ("paragraphs"): menus, share bars,
//! related links and footers are mixed with the article. The extractor works
//! in linear time over the lines:
//!
//! 1. **Features** per line: weighted length (CJK characters count triple),
//!    words, sentence punctuation, stopword density in the page's language
//!    (picked by stopword coverage over the whole page; pages in a language
//!    without a list fall back to punctuation and length), chrome phrases
//!    (`phrases.rs`), ad markers, and how often the folded line repeats.
//! 2. **Initial classes** à la jusText: bad / short / near-good / good.
//! 3. **Context revision**: short and near-good lines take their class from
//!    the nearest non-short neighbours (jusText's context-sensitive pass).
//! 4. **Main block**: the maximum-sum run of lines (Kadane) where good lines
//!    weigh their length and bad lines a penalty — the densest run of prose.
//! 5. **Clean-up** inside the block: duplicate paragraphs, "read also" +
//!    its teaser headline, tag lines after "Filed under", trailing sources.
//! 6. **Title**: the headline-like line just before the block that best
//!    matches the page's `<title>` line (usually line 0) or repeats nearby.
//!
//! Every input index ends up in exactly one of `title`, `kept`, `removed`.

#![allow(clippy::needless_range_loop)] // parallel per-line arrays read best by index

use foldhash::HashSet;
#[cfg(test)]
use foldhash::{HashMap, HashMapExt};
use hashbrown::HashTable;
use std::borrow::Cow;
use std::sync::LazyLock;

use crate::phrases::{self, Chrome};

/// Role of a kept paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParagraphKind {
    Heading,
    Paragraph,
    Quote,
    Caption,
}

/// A paragraph kept as article text.
#[derive(Debug, Clone)]
pub struct Kept {
    pub index: usize,
    pub kind: ParagraphKind,
}

/// A paragraph dropped, with a short human reason.
#[derive(Debug, Clone)]
pub struct Removed {
    pub index: usize,
    /// Most reasons are fixed sentences, borrowed rather than allocated.
    pub reason: Cow<'static, str>,
    /// Whether the line is a byline or timestamp ("Published 12 March
    /// 2024", "نشر في …"): chrome, but it may date the article.
    pub byline: bool,
}

/// The result of [`extract`]: every input index is in exactly one of
/// `title`, `kept` or `removed`; `kept` and `removed` are in index order.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub title: Option<usize>,
    pub kept: Vec<Kept>,
    pub removed: Vec<Removed>,
}

/// Tunables. Lengths are in weighted characters (CJK characters count 3).
/// Every field can be set in the plugin's config; unset ones keep the default.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Below this a line is "short" and takes its class from its neighbours.
    pub length_low: usize,
    /// At or above this (with enough stopwords) a line is "good" on its own.
    pub length_high: usize,
    /// Stopword density at or above which a line is at least near-good.
    pub stopwords_low: f64,
    /// Stopword density at or above which a long line is good.
    pub stopwords_high: f64,
    /// Page-relative thresholds: share of the median stopword density of the
    /// page's long lines (used when lower than the absolute ones).
    pub relative_stopwords_low: f64,
    pub relative_stopwords_high: f64,
    /// A line ending a sentence with at least this many words is prose,
    /// whatever its stopwords.
    pub prose_words: usize,
    /// Share of the page's words that must be stopwords of one language for
    /// that language's list to be used; otherwise punctuation/length decide.
    pub min_language_coverage: f64,
    /// Lines of at most this many words may match prefix/contains chrome
    /// phrases ("Sign up for our newsletter", "Source: Reuters").
    pub max_chrome_words: usize,
    /// A kept line of at most this many words without closing punctuation is
    /// a heading.
    pub max_heading_words: usize,
    /// How far (in lines) before the article the headline is looked for.
    pub title_window: usize,
    /// Fixed cost of a bad line inside the main block (weighted chars).
    pub bad_line_cost: f64,
    /// Extra cost per weighted char of a bad line inside the main block.
    pub bad_char_cost: f64,
    /// Cost of a line that usually closes an article ("Related", "Tags",
    /// share bars, comment counters) inside the main block.
    pub boundary_cost: f64,
    /// A run of more than this many consecutive short lines is chrome (menus,
    /// comment headers), whatever surrounds it.
    pub max_short_run: usize,
    /// How many lines after a headline anchor the article may start.
    pub anchor_reach: usize,
    /// The block after a headline anchor wins when it scores at least this
    /// share of the best block anywhere.
    pub anchor_min_ratio: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            length_low: 70,
            length_high: 200,
            stopwords_low: 0.30,
            stopwords_high: 0.32,
            min_language_coverage: 0.15,
            prose_words: 20,
            relative_stopwords_low: 0.55,
            relative_stopwords_high: 0.6,
            max_chrome_words: 12,
            max_heading_words: 16,
            title_window: 25,
            bad_line_cost: 40.0,
            bad_char_cost: 0.5,
            boundary_cost: 300.0,
            max_short_run: 5,
            anchor_reach: 30,
            anchor_min_ratio: 0.2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Bad,
    Short,
    NearGood,
    Good,
}

/// Why a line is bad regardless of context.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hard {
    Ad(String),
    Chrome(Chrome),
    /// Short line repeated elsewhere on the page; payload: first other index.
    Repeated(usize),
}

#[derive(Debug)]
struct Line<'a> {
    folded: &'a str,
    /// [`line_hash`] of `folded`, for the maps of repeated lines.
    key: u64,
    /// Weighted character count.
    len: usize,
    /// Effective word count (unspaced scripts estimated from length).
    words: usize,
    /// Stopword density, when the page has a language list.
    stop: Option<f64>,
    /// Ends with sentence punctuation (possibly inside closing quotes).
    terminal: bool,
    /// Count of sentence punctuation marks anywhere in the line.
    sentence_marks: usize,
    /// Headline-like: few words, no closing period/colon.
    heading_like: bool,
    quote_like: bool,
    hard: Option<Hard>,
    /// Chrome that closes an article (tags, comment counters, a related
    /// list not followed by prose).
    boundary: bool,
    /// Share of characters that are digits.
    digit_share: f64,
}

static AD_MARKER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)^\[\s*(ad|ads|advert|advertisement)[\s_-]*\d*\s*\]$").unwrap()
});

/// Whether `line` is an ad marker ("[ad_1]", "[ Advertisement ]"): matches
/// [`AD_MARKER`]. An ASCII line is matched by hand (the regex's Unicode
/// classes and case folding reduce to ASCII ones there), so the regex is
/// only built for a bracketed line with other characters.
fn is_ad_marker(line: &str) -> bool {
    let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
        return false;
    };
    if !line.is_ascii() {
        return AD_MARKER.is_match(line);
    }
    // `\s` on ASCII: tab, newline, vertical tab, form feed, carriage return, space.
    let space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() && space(b[i]) {
        i += 1;
    }
    // Nothing after the word can be a letter, so the word is all the letters.
    let start = i;
    while i < b.len() && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    let word = &inner[start..i];
    if !["ad", "ads", "advert", "advertisement"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(word))
    {
        return false;
    }
    while i < b.len() && (space(b[i]) || matches!(b[i], b'_' | b'-')) {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    while i < b.len() && space(b[i]) {
        i += 1;
    }
    i == b.len()
}

/// Stopword tables of every language the `stop-words` crate ships, folded
/// (at build time: see `build.rs`).
struct StopTables {
    /// folded word -> languages listing it: bit `i` for `names[i]`.
    words: StopwordTable,
    names: &'static [&'static str],
}

/// A set of stopword languages, one bit per index into [`StopTables::names`].
type LangSet = u64;

mod stopwords {
    include!(concat!(env!("OUT_DIR"), "/stopwords.rs"));
}

static STOPWORDS: LazyLock<StopTables> = LazyLock::new(|| StopTables {
    words: StopwordTable::new(stopwords::WORDS),
    names: stopwords::NAMES,
});

/// The stopword map, looked up for every word of every page: an open
/// addressing table of indices into the word list, with a hash of a few
/// loads and one multiplication, and a tag that spares most misses the
/// comparison of strings. (A `HashMap` took over a hundred instructions a
/// word, a fifth of the plugin's time.)
///
/// In front of the slots, a filter of one bit per word: most words of a
/// page are no stopword, and their bit, clear, is read from 16 KB that
/// stay in the cache, where their slot was a cache miss in 512 KB (18,000
/// words at a quarter full).
struct StopwordTable {
    entries: &'static [(&'static str, LangSet)],
    /// Per slot: `tag << 16 | index + 1` of an entry, 0 when empty.
    slots: Vec<u32>,
    mask: usize,
    /// Bit [`filter_bit`] of each listed word's hash set.
    filter: Vec<u64>,
}

/// Bits of [`StopwordTable::filter`]: with 18,000 words, about one in
/// eight of the other words finds its bit set.
const FILTER_BITS: usize = 1 << 17;

/// The filter bit of `hash`: bits the slot and the tag do not use.
fn filter_bit(hash: u64) -> usize {
    (hash >> 24) as usize & (FILTER_BITS - 1)
}

impl StopwordTable {
    fn new(entries: &'static [(&'static str, LangSet)]) -> StopwordTable {
        assert!(
            entries.len() < usize::from(u16::MAX),
            "more words than indices"
        );
        // At most a quarter full: misses end at an empty slot within a probe or two.
        let size = (entries.len() * 4).next_power_of_two().max(16);
        let mut table = StopwordTable {
            entries,
            slots: vec![0; size],
            mask: size - 1,
            filter: vec![0; FILTER_BITS / 64],
        };
        for (i, (word, _)) in entries.iter().enumerate() {
            if table.get_bytes(word.as_bytes()).is_some() {
                continue; // the first entry of a word stands, as in a map built in order
            }
            let hash = word_hash(word.as_bytes());
            let mut at = hash as usize & table.mask;
            while table.slots[at] != 0 {
                at = (at + 1) & table.mask;
            }
            table.slots[at] = tag_of(hash) << 16 | (i as u32 + 1);
            let bit = filter_bit(hash);
            table.filter[bit / 64] |= 1 << (bit % 64);
        }
        table
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.iter().filter(|&&s| s != 0).count()
    }

    #[cfg(test)]
    fn get(&self, word: &str) -> Option<&LangSet> {
        self.get_bytes(word.as_bytes())
    }

    fn get_bytes(&self, word: &[u8]) -> Option<&LangSet> {
        let hash = word_hash(word);
        let bit = filter_bit(hash);
        if self.filter[bit / 64] & 1 << (bit % 64) == 0 {
            return None;
        }
        let tag = tag_of(hash);
        let mut at = hash as usize & self.mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return None;
            }
            if slot >> 16 == tag {
                let (w, langs) = &self.entries[(slot & 0xFFFF) as usize - 1];
                if w.as_bytes() == word {
                    return Some(langs);
                }
            }
            at = (at + 1) & self.mask;
        }
    }
}

/// 16 bits of `hash` other than those picking the slot.
fn tag_of(hash: u64) -> u32 {
    (hash >> 48) as u32
}

/// A hash of a word's bytes: the length and (as wyhash reads short keys)
/// up to three bytes, two overlapping 4-byte words or 8-byte words,
/// folded by one wide multiplication.
fn word_hash(w: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let len = w.len();
    let (a, b) = if len >= 8 {
        let mut a = 0u64;
        let mut rest = w;
        while rest.len() > 8 {
            a = fold_multiply(a ^ read8(rest), K);
            rest = &rest[8..];
        }
        (a, read8(&w[len - 8..]))
    } else if len >= 4 {
        (read4(w), read4(&w[len - 4..]))
    } else if len > 0 {
        (
            u64::from(w[0]) << 16 | u64::from(w[len / 2]) << 8 | u64::from(w[len - 1]),
            0,
        )
    } else {
        (0, 0)
    };
    fold_multiply(a ^ (len as u64).wrapping_mul(K), b ^ 0x2D35_8DCC_AA6C_78A5)
}

/// The first 4 bytes of `w` (at least 4 long).
#[inline]
fn read4(w: &[u8]) -> u64 {
    let mut bytes = [0; 4];
    bytes.copy_from_slice(&w[..4]);
    u64::from(u32::from_le_bytes(bytes))
}

/// The first 8 bytes of `w` (at least 8 long).
#[inline]
fn read8(w: &[u8]) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&w[..8]);
    u64::from_le_bytes(bytes)
}

/// A hash of a folded line for the maps of repeated lines: its length and
/// its first and last 16 bytes (lines that share them only cost a
/// comparison more), so a long line is not hashed whole.
fn line_hash(folded: &str) -> u64 {
    let b = folded.as_bytes();
    if b.len() <= 32 {
        return word_hash(b);
    }
    word_hash(&b[..16]) ^ word_hash(&b[b.len() - 16..]).rotate_left(32) ^ b.len() as u64
}

/// The two halves of the 128-bit product of `a` and `b`, xored.
fn fold_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF66..=0xFF9D)
}

fn is_sentence_mark(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '؟' | '。' | '！' | '？' | '…' | '۔' | '।' | '።'
    )
}

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '“' | '”' | '„' | '«' | '»' | '‘' | '’' | '\'' | '「' | '」' | '『' | '』'
    )
}

fn ends_terminal(s: &str) -> bool {
    let mut it = s
        .chars()
        .rev()
        .skip_while(|&c| is_quote(c) || c == ')' || c.is_whitespace());
    it.next().is_some_and(is_sentence_mark)
}

/// The page's words that some stopword list has, each with the languages
/// listing it: looked up once, for the page's language and each line's
/// density. Line `i`'s words are `words[i]`, its hits `sets[ends[i - 1]..ends[i]]`.
#[derive(Default)]
struct StopHits {
    words: Vec<usize>,
    sets: Vec<LangSet>,
    ends: Vec<usize>,
}

impl StopHits {
    fn of_lines<S: AsRef<str>>(lines: &[S]) -> StopHits {
        let tables: &'static StopTables = &STOPWORDS;
        let mut hits = StopHits {
            words: Vec::with_capacity(lines.len()),
            // Room for a stopword in every twelve bytes, the common case.
            sets: Vec::with_capacity(lines.iter().map(|l| l.as_ref().len()).sum::<usize>() / 12),
            ends: Vec::with_capacity(lines.len()),
        };
        for folded in lines {
            // The words of `phrases::words`: split at spaces, empty ones left out.
            let bytes = folded.as_ref().as_bytes();
            let mut words = 0;
            let mut start = 0;
            let mut word = |end: usize| {
                if end > start {
                    words += 1;
                    if let Some(&langs) = tables.words.get_bytes(&bytes[start..end]) {
                        hits.sets.push(langs);
                    }
                }
                start = end + 1;
            };
            for_each_space(bytes, &mut word);
            word(bytes.len());
            hits.words.push(words);
            hits.ends.push(hits.sets.len());
        }
        hits
    }

    /// Line `i`'s hits.
    fn line(&self, i: usize) -> &[LangSet] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.sets[start..self.ends[i]]
    }
}

/// Calls `f` with the index of each space in `bytes`, in order. Eight bytes
/// at a time: the spaces of a word of eight bytes (a space every six or
/// seven) are found in one step, not one per byte.
fn for_each_space(bytes: &[u8], mut f: impl FnMut(usize)) {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        // Zero where the byte is a space; then bit 7 of each zero byte
        // (exactly: adding 0x7F to a byte's low seven bits never carries).
        let v = u64::from_le_bytes(word) ^ 0x2020_2020_2020_2020;
        let mut spaces = !(((v & LOW7) + LOW7) | v | LOW7);
        while spaces != 0 {
            f(at + (spaces.trailing_zeros() / 8) as usize);
            spaces &= spaces - 1;
        }
        at += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b' ' {
            f(at + i);
        }
    }
}

/// Calls `f` with the index of each byte of `bytes` from 0xE0 up (the lead
/// byte of a character of three or four bytes), in order; eight bytes at a
/// time, as [`for_each_space`].
fn for_each_long_lead(bytes: &[u8], mut f: impl FnMut(usize)) {
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        // Bit 7 of each byte whose bits 7, 6 and 5 are set.
        let mut leads = v & (v << 1) & (v << 2) & 0x8080_8080_8080_8080;
        while leads != 0 {
            f(at + (leads.trailing_zeros() / 8) as usize);
            leads &= leads - 1;
        }
        at += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b >= 0xE0 {
            f(at + i);
        }
    }
}

/// Pick the page's stopword language: the list covering most of its words.
#[cfg(test)]
fn detect_language(lines: &[String], opts: &Options) -> Option<u16> {
    detect_language_from(&StopHits::of_lines(lines), opts)
}

/// Pick the page's stopword language: the list covering most of its words.
fn detect_language_from(hits: &StopHits, opts: &Options) -> Option<u16> {
    let tables = &*STOPWORDS;
    let mut counts = vec![0usize; tables.names.len()];
    let total: usize = hits.words.iter().sum();
    for &langs in &hits.sets {
        let mut rest = langs;
        while rest != 0 {
            counts[rest.trailing_zeros() as usize] += 1;
            rest &= rest - 1;
        }
    }
    let (best, &n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    if total == 0 || (n as f64) < opts.min_language_coverage * total as f64 {
        return None;
    }
    Some(best as u16)
}

/// What [`features`] counts in every byte of a line.
struct ByteCounts {
    /// Characters: bytes that are not UTF-8 continuation bytes.
    chars: usize,
    /// ASCII digits.
    digits: usize,
    /// ASCII sentence marks.
    marks: usize,
    /// Bytes 0x9F and 0x94, the last bytes of the two-byte sentence marks.
    mark_tails: usize,
    /// Lead bytes of characters of three or four bytes.
    long_leads: usize,
}

impl ByteCounts {
    /// Counted 255 bytes at a time in byte-sized counters, a loop the
    /// compiler vectorizes (a byte at a time, a line cost ten instructions
    /// a character).
    fn of(bytes: &[u8]) -> ByteCounts {
        let mut all = ByteCounts {
            chars: 0,
            digits: 0,
            marks: 0,
            mark_tails: 0,
            long_leads: 0,
        };
        for chunk in bytes.chunks(255) {
            let (mut chars, mut digits, mut marks, mut tails, mut leads) =
                (0u8, 0u8, 0u8, 0u8, 0u8);
            for &b in chunk {
                chars += u8::from((b as i8) >= -0x40);
                digits += u8::from(b.is_ascii_digit());
                marks += u8::from(matches!(b, b'.' | b'!' | b'?'));
                tails += u8::from(matches!(b, 0x9F | 0x94));
                leads += u8::from(b >= 0xE0);
            }
            all.chars += usize::from(chars);
            all.digits += usize::from(digits);
            all.marks += usize::from(marks);
            all.mark_tails += usize::from(tails);
            all.long_leads += usize::from(leads);
        }
        all
    }
}

/// Features of line `par`: `folded` is its fold, `words` the fold's words,
/// `hits` the languages of its stopwords (see [`StopHits`]).
fn features<'a>(
    par: &str,
    folded: &'a str,
    words: usize,
    hits: &[LangSet],
    lang: Option<u16>,
    opts: &Options,
) -> Line<'a> {
    let bytes = par.as_bytes();
    let counts = ByteCounts::of(bytes);
    let (nchars, digits) = (counts.chars, counts.digits);
    let mut sentence_marks = counts.marks;
    let mut cjk = 0usize;
    if counts.mark_tails > 0 {
        // '؟' (D8 9F) and '۔' (DB 94) are the two-byte sentence marks.
        sentence_marks += bytes
            .iter()
            .zip(&bytes[1..])
            .filter(|&(&a, &b)| (a == 0xD8 && b == 0x9F) || (a == 0xDB && b == 0x94))
            .count();
    }
    if counts.long_leads > 0 {
        // CJK characters and the other sentence marks are three bytes long.
        for_each_long_lead(bytes, |i| {
            if let Some(c) = par[i..].chars().next() {
                if is_cjk(c) {
                    cjk += 1;
                }
                if is_sentence_mark(c) {
                    sentence_marks += 1;
                }
            }
        });
    }
    // CJK characters weigh three.
    let len = nchars + 2 * cjk;
    let spaced_words = words;
    let words = if cjk * 2 > nchars {
        spaced_words.max(len / 6)
    } else {
        spaced_words
    };
    let stop = lang.map(|li| {
        let bit: LangSet = 1 << li;
        let s = hits.iter().filter(|&&ls| ls & bit != 0).count();
        if spaced_words == 0 {
            0.0
        } else {
            s as f64 / spaced_words as f64
        }
    });
    let terminal = ends_terminal(par);
    let last = par.chars().rev().find(|c| !c.is_whitespace());
    let closes_like_sentence = terminal && !matches!(last, Some('?' | '؟' | '!' | '？' | '！'));
    let heading_like = words >= 1
        && words <= opts.max_heading_words
        && !closes_like_sentence
        && !matches!(last, Some(':' | ',' | ';' | '،' | '؛' | '-' | '–' | '—'));
    let first = par.chars().next();
    let quote_like = first.is_some_and(is_quote)
        && par
            .chars()
            .rev()
            .find(|&c| !(is_sentence_mark(c) || c == ','))
            .is_some_and(is_quote);
    let nchars = nchars.max(1);
    Line {
        folded,
        key: line_hash(folded),
        len,
        words,
        stop,
        terminal,
        sentence_marks,
        heading_like,
        quote_like,
        hard: None,
        boundary: false,
        digit_share: digits as f64 / nchars as f64,
    }
}

/// Stopword thresholds (low, high) for this page: the options' values, lowered
/// for languages whose prose has few separate stopwords (Arabic attaches its
/// particles to words), judged from the page's own long lines.
fn stop_thresholds(lines: &[Line<'_>], opts: &Options) -> (f64, f64) {
    let mut d: Vec<f64> = lines
        .iter()
        .filter(|l| l.hard.is_none() && l.len >= opts.length_high)
        .filter_map(|l| l.stop)
        .collect();
    if d.len() < 3 {
        return (opts.stopwords_low, opts.stopwords_high);
    }
    let mid = d.len() / 2;
    let (_, m, _) = d.select_nth_unstable_by(mid, f64::total_cmp);
    let median = *m;
    (
        opts.stopwords_low.min(opts.relative_stopwords_low * median),
        opts.stopwords_high
            .min(opts.relative_stopwords_high * median),
    )
}

fn initial_class(l: &Line<'_>, opts: &Options, th: (f64, f64)) -> Class {
    if l.hard.is_some() {
        return Class::Bad;
    }
    if l.len < opts.length_low {
        return Class::Short;
    }
    if l.digit_share > 0.3 {
        return Class::Bad;
    }
    match l.stop {
        // Sentence punctuation vouches for prose even when the stopword list
        // misses the language's clitics (Arabic) or the line is list-like.
        Some(_) if l.terminal && l.sentence_marks >= 2 && l.len >= opts.length_high => Class::Good,
        Some(_) if l.terminal && l.words >= opts.prose_words => Class::Good,
        Some(d) if l.terminal && l.words >= 10 && d < th.0 => Class::NearGood,
        Some(d) => {
            if d >= th.1 && (l.len >= opts.length_high || (l.terminal && l.words >= 8)) {
                Class::Good
            } else if d >= th.0 {
                Class::NearGood
            } else {
                Class::Bad
            }
        }
        None => {
            // No stopword list for this language: prose has sentences.
            if (l.len >= opts.length_high && (l.sentence_marks > 0 || l.words >= 30))
                || (l.terminal && l.words >= 8)
            {
                Class::Good
            } else if l.terminal || l.sentence_marks >= 2 {
                Class::NearGood
            } else {
                Class::Bad
            }
        }
    }
}

/// jusText's context-sensitive pass: short lines take the class of their
/// nearest non-short neighbours, near-good lines become good unless both
/// neighbours are bad. Linear: neighbours come from two prefix scans.
fn revise(classes: &mut [Class], lines: &[Line<'_>], opts: &Options) {
    let n = classes.len();
    // Headings just before good text become near-good (jusText "good headings").
    let mut next_good_dist = vec![usize::MAX; n];
    {
        let mut acc: Option<usize> = None;
        for i in (0..n).rev() {
            next_good_dist[i] = acc.unwrap_or(usize::MAX);
            if classes[i] == Class::Good {
                acc = Some(0);
            } else if let Some(a) = acc.as_mut() {
                *a = a.saturating_add(lines[i].len);
            }
        }
    }
    for i in 0..n {
        if classes[i] == Class::Short
            && lines[i].heading_like
            && lines[i].hard.is_none()
            && lines[i].words >= 2
            && next_good_dist[i] <= opts.length_high
        {
            classes[i] = Class::NearGood;
        }
    }
    // An ad marker or label is an insertion: it says nothing of the lines
    // around it, so a short line between an ad and prose is judged by the
    // prose beyond the ad.
    let insertion: Vec<bool> = lines
        .iter()
        .map(|l| matches!(l.hard, Some(Hard::Ad(_) | Hard::Chrome(Chrome::Advert))))
        .collect();
    // prev/next non-short class, ignoring near-good (a) or not (b).
    let scan = |classes: &[Class], ignore_near: bool| -> (Vec<Class>, Vec<Class>) {
        let counts = |i: usize| {
            let c = classes[i];
            c != Class::Short && !(ignore_near && c == Class::NearGood) && !insertion[i]
        };
        let mut prev = vec![Class::Bad; n];
        let mut last = Class::Bad;
        for i in 0..n {
            prev[i] = last;
            if counts(i) {
                last = classes[i];
            }
        }
        let mut next = vec![Class::Bad; n];
        let mut last = Class::Bad;
        for i in (0..n).rev() {
            next[i] = last;
            if counts(i) {
                last = classes[i];
            }
        }
        (prev, next)
    };
    let (p_ign, n_ign) = scan(classes, true);
    let (p_all, n_all) = scan(classes, false);
    let mut out = classes.to_vec();
    // Long runs of short lines are menus / comment headers.
    let mut long_run = vec![false; n];
    let mut i = 0;
    while i < n {
        if classes[i] != Class::Short {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && classes[j] == Class::Short {
            j += 1;
        }
        if j - i > opts.max_short_run {
            long_run[i..j].iter_mut().for_each(|x| *x = true);
        }
        i = j;
    }
    for i in 0..n {
        if classes[i] != Class::Short {
            continue;
        }
        if long_run[i] {
            out[i] = Class::Bad;
            continue;
        }
        let (p, nx) = (p_ign[i], n_ign[i]);
        out[i] = if p == Class::Good && nx == Class::Good {
            Class::Good
        } else if p == Class::Bad && nx == Class::Bad {
            Class::Bad
        } else if (p == Class::Bad && p_all[i] == Class::NearGood)
            || (nx == Class::Bad && n_all[i] == Class::NearGood)
        {
            Class::Good
        } else {
            Class::Bad
        };
    }
    for i in 0..n {
        if classes[i] != Class::NearGood {
            continue;
        }
        out[i] = if p_ign[i] == Class::Bad && n_ign[i] == Class::Bad {
            Class::Bad
        } else {
            Class::Good
        };
    }
    // Lines with a hard reason stay bad whatever their neighbours.
    for i in 0..n {
        if lines[i].hard.is_some() {
            out[i] = Class::Bad;
        }
    }
    classes.copy_from_slice(&out);
}

/// Maximum-sum run of lines (Kadane): good lines weigh their length, bad
/// lines cost a penalty. Returns (start, end inclusive, score) of the best run.
fn best_block(
    classes: &[Class],
    lines: &[Line<'_>],
    opts: &Options,
) -> Option<(usize, usize, f64)> {
    let mut best: Option<(usize, usize, f64)> = None;
    let mut cur = 0.0f64;
    let mut cur_start = 0usize;
    for i in 0..classes.len() {
        let w = weight(classes[i], &lines[i], opts);
        if cur <= 0.0 {
            cur = 0.0;
            cur_start = i;
        }
        cur += w;
        if cur > 0.0 && best.is_none_or(|(_, _, b)| cur > b) {
            best = Some((cur_start, i, cur));
        }
    }
    best
}

/// Like [`best_block`], but the block must start at a line where
/// `allowed[start]` holds (just after a headline anchor). Linear:
/// best = max over e of (P[e+1] - min P[s] for allowed s <= e).
fn best_block_from(
    classes: &[Class],
    lines: &[Line<'_>],
    allowed: &[bool],
    opts: &Options,
) -> Option<(usize, usize, f64)> {
    let mut prefix = 0.0f64;
    let mut min_start: Option<(f64, usize)> = None;
    let mut best: Option<(usize, usize, f64)> = None;
    for i in 0..classes.len() {
        if allowed[i] && min_start.is_none_or(|(m, _)| prefix < m) {
            min_start = Some((prefix, i));
        }
        prefix += weight(classes[i], &lines[i], opts);
        if let Some((m, s)) = min_start {
            let score = prefix - m;
            if score > 0.0 && best.is_none_or(|(_, _, b)| score > b) {
                best = Some((s, i, score));
            }
        }
    }
    // Trim leading non-good lines (a start at a bad line never helps, but an
    // allowed start may sit on one).
    best.map(|(mut s, e, sc)| {
        while s < e && classes[s] != Class::Good {
            s += 1;
        }
        (s, e, sc)
    })
}

/// Lines that repeat the page's first line (the HTML `<title>` in most
/// dumps) closely enough to be the on-page headline.
fn headline_anchors(lines: &[Line<'_>]) -> Vec<usize> {
    let first = &lines[0];
    if first.hard.is_some() || first.words < 3 {
        return Vec::new();
    }
    let first_set: HashSet<&str> = phrases::words(first.folded).collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate().skip(1) {
        if l.hard.is_some() || l.words < 3 || l.words > 40 || l.terminal {
            continue;
        }
        // Counted, not collected: most lines are no anchor.
        let (mut toks, mut common) = (0usize, 0usize);
        for w in phrases::words(l.folded) {
            toks += 1;
            common += usize::from(first_set.contains(w));
        }
        let cov_line = common as f64 / toks as f64;
        let cov_first = common as f64 / first_set.len().max(1) as f64;
        if cov_line >= 0.8 && cov_first >= 0.5 {
            out.push(i);
        }
    }
    out
}

fn weight(c: Class, l: &Line<'_>, opts: &Options) -> f64 {
    let base = opts.bad_line_cost + opts.bad_char_cost * l.len as f64;
    match (&l.hard, c) {
        (Some(Hard::Chrome(_)), _) if l.boundary => -opts.boundary_cost,
        (Some(_), _) => -2.0 * base,
        (None, Class::Good) => l.len as f64,
        _ => -base,
    }
}

/// Token set overlap of `a` with the words `bt` of another line, relative
/// to `a`'s tokens.
fn overlap(a: &str, bt: &HashSet<&str>) -> f64 {
    let (mut tokens, mut common) = (0usize, 0usize);
    for w in phrases::words(a) {
        tokens += 1;
        common += usize::from(bt.contains(w));
    }
    if tokens == 0 {
        return 0.0;
    }
    common as f64 / tokens as f64
}

/// Extract the article from a page's lines. See the module docs.
///
/// `paragraphs`: the document's lines in order, trimmed, non-empty.
/// `matching`: optional parallel normalized forms, used for phrase matching
/// and duplicate detection (the paragraphs themselves when `None`).
pub fn extract(paragraphs: &[&str], matching: Option<&[&str]>, opts: &Options) -> Extraction {
    let n = paragraphs.len();
    let matching = matching.filter(|m| m.len() == n);
    let folded: Vec<String> = (0..n)
        .map(|i| phrases::fold(matching.map_or(paragraphs[i], |m| m[i])))
        .collect();
    let folded: Vec<&str> = folded.iter().map(String::as_str).collect();
    extract_folded(paragraphs, &folded, opts)
}

/// [`extract`] with each line's [`phrases::fold`] of its matching form
/// already made (the plugin folds once for the site memory and for this).
pub fn extract_folded(paragraphs: &[&str], folded: &[&str], opts: &Options) -> Extraction {
    let n = paragraphs.len();
    if n == 0 || folded.len() != n {
        return Extraction::default();
    }
    let hits = StopHits::of_lines(folded);
    let lang = detect_language_from(&hits, opts);
    let mut lines: Vec<Line<'_>> = folded
        .iter()
        .enumerate()
        .map(|(i, f)| features(paragraphs[i], f, hits.words[i], hits.line(i), lang, opts))
        .collect();

    // Hard reasons: ad markers and chrome phrases.
    for (i, l) in lines.iter_mut().enumerate() {
        let p = paragraphs[i];
        if is_ad_marker(p) {
            l.hard = Some(Hard::Ad(p.to_string()));
        } else if let Some(c) = phrases::classify(l.folded, l.words, opts.max_chrome_words) {
            l.hard = Some(Hard::Chrome(c));
        } else if l.words <= opts.max_chrome_words && p.contains('©') {
            l.hard = Some(Hard::Chrome(Chrome::Legal));
        } else if is_menu_bar(p) {
            l.hard = Some(Hard::Chrome(Chrome::Navigation));
        }
    }

    // Repeats: each line's next occurrence (`NO_MORE` after the last), and
    // whether it is the first of its text. Chained in place, so that the
    // lines seen once (most of them) cost no list of their own.
    const NO_MORE: usize = usize::MAX;
    let mut next_same = vec![NO_MORE; n];
    let mut first_of_text = vec![false; n];
    {
        // Indices of lines, found by their folded text.
        let mut last_of: HashTable<usize> = HashTable::with_capacity(n);
        for (i, l) in lines.iter().enumerate() {
            if l.folded.is_empty() {
                continue;
            }
            match last_of.find_mut(l.key, |&j| lines[j].folded == l.folded) {
                Some(last) => {
                    next_same[*last] = i;
                    *last = i;
                }
                None => {
                    first_of_text[i] = true;
                    last_of.insert_unique(l.key, i, |&j| lines[j].key);
                }
            }
        }
    }
    let th = stop_thresholds(&lines, opts);
    let mut classes: Vec<Class> = lines.iter().map(|l| initial_class(l, opts, th)).collect();
    // A short line seen more than once is menu/caption chrome, except one
    // occurrence sitting between two prose lines (a subheading whose text is
    // repeated later in a list of links).
    let mut repeated_short: Vec<Option<usize>> = vec![None; n];
    let mut idxs: Vec<usize> = Vec::new();
    for first in (0..n).filter(|&i| first_of_text[i] && next_same[i] != NO_MORE) {
        idxs.clear();
        let mut at = first;
        while at != NO_MORE {
            idxs.push(at);
            at = next_same[at];
        }
        if lines[idxs[0]].len >= opts.length_low {
            continue;
        }
        let sandwiched = |i: usize| {
            i > 0
                && i + 1 < n
                && matches!(classes[i - 1], Class::Good | Class::NearGood)
                && matches!(classes[i + 1], Class::Good | Class::NearGood)
        };
        let keep = idxs.iter().copied().find(|&i| sandwiched(i));
        for &i in &idxs {
            if Some(i) != keep {
                let other = if i == idxs[0] { idxs[1] } else { idxs[0] };
                repeated_short[i] = Some(other);
            }
        }
    }
    for i in 0..n {
        if let Some(o) = repeated_short[i]
            && lines[i].hard.is_none()
        {
            lines[i].hard = Some(Hard::Repeated(o));
            classes[i] = Class::Bad;
        }
    }
    let initial = classes.clone();
    // Boundaries: chrome that usually ends an article; an inline "read also"
    // followed (after its teaser) by prose is not one.
    for i in 0..n {
        if let Some(Hard::Chrome(c)) = lines[i].hard
            && c.ends_article()
        {
            let inline =
                c == Chrome::Related && (i + 1..(i + 3).min(n)).any(|j| initial[j] == Class::Good);
            lines[i].boundary = !inline;
        }
    }
    revise(&mut classes, &lines, opts);

    let mut ex = Extraction::default();
    let mut block = best_block(&classes, &lines, opts);
    let anchors = headline_anchors(&lines);
    if !anchors.is_empty() {
        let mut allowed = vec![false; n];
        for &a in &anchors {
            for x in allowed.iter_mut().skip(a + 1).take(opts.anchor_reach) {
                *x = true;
            }
        }
        if let (Some(g), Some(a)) = (block, best_block_from(&classes, &lines, &allowed, opts))
            && a.2 >= opts.anchor_min_ratio * g.2
        {
            block = Some(a);
        }
    }
    let (bs, be) = match block {
        Some((s, e, _)) => (s, e),
        None => {
            // Nothing reads like prose: keep the non-chrome lines when the
            // document is tiny (a single paragraph), else nothing.
            let cand: Vec<usize> = (0..n).filter(|&i| lines[i].hard.is_none()).collect();
            if n <= 3 && !cand.is_empty() {
                (cand[0], *cand.last().unwrap())
            } else {
                for i in 0..n {
                    ex.removed.push(Removed {
                        index: i,
                        reason: reason_outside(&lines[i], i, n),
                        byline: lines[i].hard == Some(Hard::Chrome(Chrome::Byline)),
                    });
                }
                return ex;
            }
        }
    };
    let mut in_body = vec![false; n];
    for i in bs..=be {
        in_body[i] = classes[i] == Class::Good || (block.is_none() && lines[i].hard.is_none());
    }
    let mut extra_reason: Vec<Option<Cow<'static, str>>> = vec![None; n];

    // "Read also": the teaser headline right after it is chrome too.
    for i in 0..n.saturating_sub(1) {
        if let Some(Hard::Chrome(Chrome::Related)) = lines[i].hard
            && lines[i + 1].hard.is_none()
            && initial[i + 1] != Class::Good
            && !(lines[i + 1].terminal && lines[i + 1].len >= opts.length_low)
        {
            in_body[i + 1] = false;
            extra_reason[i + 1] =
                Some(numbered("dropped related headline after line ", i + 1, "").into());
        }
    }
    // Tags after "Filed under" (anywhere): short lines up to the next prose.
    let mut after_tags = false;
    for i in 0..n {
        match lines[i].hard {
            Some(Hard::Chrome(Chrome::Tags)) => after_tags = true,
            _ if initial[i] == Class::Good => after_tags = false,
            _ if after_tags
                && lines[i].hard.is_none()
                && lines[i].words <= opts.max_chrome_words =>
            {
                in_body[i] = false;
                extra_reason[i] = Some("dropped tag line after 'Filed under'".into());
            }
            _ => {}
        }
    }

    // Title.
    let title = find_title(&lines, &classes, &initial, bs, paragraphs, opts);
    ex.title = title;
    if let Some(t) = title {
        in_body[t] = false;
    }

    // Duplicates among kept lines (and copies of the title).
    // Sized up front: growing it rehashed whole lines.
    let mut first_kept: HashTable<usize> = HashTable::with_capacity(n);
    let title_folded = title.map(|t| lines[t].folded);
    let title_copy =
        || title.map(|t| numbered("dropped duplicate of the title (line ", t + 1, ")").into());
    for i in 0..n {
        if !in_body[i] {
            continue;
        }
        let f = lines[i].folded;
        if Some(f) == title_folded {
            in_body[i] = false;
            extra_reason[i] = title_copy();
            continue;
        }
        if f.is_empty() {
            continue;
        }
        if let Some(&j) = first_kept.find(lines[i].key, |&j| lines[j].folded == f) {
            in_body[i] = false;
            extra_reason[i] =
                Some(numbered("dropped duplicate paragraph (first at line ", j + 1, ")").into());
        } else {
            first_kept.insert_unique(lines[i].key, i, |&j| lines[j].key);
        }
    }
    // Any other copy of the title (outside the body) is chrome as well.
    for i in 0..n {
        if Some(i) != title
            && !in_body[i]
            && extra_reason[i].is_none()
            && title_folded.is_some_and(|t| t == lines[i].folded)
        {
            extra_reason[i] = title_copy();
        }
    }

    // Every line goes to one of them: sized up front, not grown.
    ex.kept.reserve(n);
    ex.removed.reserve(n);
    for i in 0..n {
        if Some(i) == title {
            continue;
        }
        if in_body[i] {
            ex.kept.push(Kept {
                index: i,
                kind: kind_of(&lines[i], initial[i], paragraphs[i]),
            });
        } else {
            let reason = extra_reason[i].take().unwrap_or_else(|| {
                if (bs..=be).contains(&i) && lines[i].hard.is_none() {
                    "dropped low-content line inside the article".into()
                } else if i > be && lines[i].hard == Some(Hard::Chrome(Chrome::Source)) {
                    "dropped trailing source line".into()
                } else {
                    reason_outside(&lines[i], i, n)
                }
            });
            ex.removed.push(Removed {
                index: i,
                reason,
                byline: lines[i].hard == Some(Hard::Chrome(Chrome::Byline)),
            });
        }
    }
    ex
}

fn kind_of(l: &Line<'_>, initial: Class, par: &str) -> ParagraphKind {
    if l.quote_like {
        return ParagraphKind::Quote;
    }
    if initial != Class::Good && l.heading_like && !l.terminal {
        return ParagraphKind::Heading;
    }
    if initial != Class::Good && l.heading_like && par.ends_with(['?', '؟', '？']) && l.words <= 12
    {
        return ParagraphKind::Heading;
    }
    ParagraphKind::Paragraph
}

/// `before`, `n` in decimal, `after`: a reason naming a line, built
/// without the formatting machinery (which cost more than the rest of it).
fn numbered(before: &str, n: usize, after: &str) -> String {
    let mut s = String::with_capacity(before.len() + 20 + after.len());
    s.push_str(before);
    push_number(&mut s, n);
    s.push_str(after);
    s
}

/// Appends `n` in decimal.
pub(crate) fn push_number(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

fn reason_outside(l: &Line<'_>, _i: usize, _n: usize) -> Cow<'static, str> {
    match &l.hard {
        Some(Hard::Ad(m)) => ["removed ad marker ", m].concat().into(),
        Some(Hard::Chrome(c)) => c.reason().into(),
        Some(Hard::Repeated(o)) => {
            numbered("dropped repeated line (also at line ", o + 1, ")").into()
        }
        None => {
            if l.heading_like {
                "dropped short line outside the article".into()
            } else {
                "dropped boilerplate outside the article".into()
            }
        }
    }
}

/// A menu bar: three or more `|`-separated items of one to three words
/// ("World | Business | Science", "الرئيسية | سياسة | اقتصاد"). A headline
/// with its section and site ("Budget passes after long debate | Politics
/// | Example News") has a longer item.
fn is_menu_bar(line: &str) -> bool {
    // Most lines have no `|` (three items take two): told by one count of
    // the byte, not by counting their words.
    if phrases::count_byte(line.as_bytes(), b'|') < 2 {
        return false;
    }
    let mut items = 0;
    for item in line.split('|') {
        let mut words = item.split_whitespace();
        if words.next().is_none() || words.nth(2).is_some() {
            return false;
        }
        items += 1;
    }
    items >= 3
}

/// The headline: a headline-like line shortly before the article, preferring
/// one that matches the page's first line (usually the HTML `<title>`) or is
/// repeated nearby (some dumps print it twice).
fn find_title(
    lines: &[Line<'_>],
    classes: &[Class],
    initial: &[Class],
    bs: usize,
    paragraphs: &[&str],
    opts: &Options,
) -> Option<usize> {
    let n = lines.len();
    let lo = bs.saturating_sub(opts.title_window);
    let first = &lines[0];
    let first_usable = first.hard.is_none() && first.words >= 2;
    // Index of folded text -> indices, restricted to the window + block head.
    let hi = (bs + opts.title_window).min(n);
    // (A line of each text, and how many lines have it.)
    let mut seen: HashTable<(usize, usize)> = HashTable::with_capacity(hi - lo);
    for i in lo..hi {
        let l = &lines[i];
        match seen.find_mut(l.key, |&(j, _)| lines[j].folded == l.folded) {
            Some((_, count)) => *count += 1,
            None => {
                seen.insert_unique(l.key, (i, 1), |&(j, _)| lines[j].key);
            }
        }
    }
    // The headline may also open the block itself (a heading-like line
    // promoted by its good neighbours): look up to the first line that is
    // prose on its own.
    let mut top = bs;
    while top < n
        && initial[top] != Class::Good
        && !(lines[top].terminal && lines[top].len >= opts.length_low)
        && top < bs + 3
    {
        top += 1;
    }
    let mut best: Option<(f64, usize)> = None;
    // The first line's words, once the first candidate needs them.
    let mut first_words: Option<HashSet<&str>> = None;
    for i in lo..top.min(n) {
        let l = &lines[i];
        if matches!(l.hard, Some(Hard::Ad(_)) | Some(Hard::Chrome(_))) {
            continue;
        }
        if classes[i] == Class::Good && initial[i] == Class::Good {
            continue;
        }
        if l.words < 2 || l.words > 40 || l.digit_share > 0.3 {
            continue;
        }
        let p = paragraphs[i];
        let last = p.chars().last();
        if matches!(last, Some('.' | ':' | ',' | ';' | '،')) && !p.ends_with("..") {
            continue;
        }
        let mut score = 0.0;
        if i > 0 && first_usable {
            let first_words =
                first_words.get_or_insert_with(|| phrases::words(first.folded).collect());
            let o = overlap(l.folded, first_words);
            if o >= 0.6 {
                score += 4.0 * o;
            }
        }
        // A headline printed twice, apart or next to each other (a page's
        // `og:title` and its `<h1>`), is the likelier for it; the copy not
        // taken is dropped as a duplicate of the title. A short line printed
        // twice in a row is more often an image's alt text and caption: of
        // two words ("بوتين وكيم" under seed 003's headline) it is none; of
        // three it gets no bonus and gives way to any other headline, but a
        // page with none ("Best tech gadgets" twice) takes it.
        let copies = seen
            .find(l.key, |&(j, _)| lines[j].folded == l.folded)
            .map_or(0, |&(_, count)| count);
        let adjacent_copy = (i > 0 && lines[i - 1].folded == l.folded)
            || (i + 1 < n && lines[i + 1].folded == l.folded);
        if adjacent_copy && l.words < 3 {
            continue;
        } else if adjacent_copy && l.words < 4 {
            score -= 0.3;
        } else if copies >= 2 {
            score += 2.0;
        }
        // Closer to the article is better; a first line that is itself the
        // headline (no <title> line in the dump) also qualifies.
        let dist = top - i;
        score += 1.0 - dist as f64 / (opts.title_window as f64 + 1.0);
        if l.words >= 4 {
            score += 0.3;
        }
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, i));
        }
    }
    best.filter(|(s, _)| *s > 0.5).map(|(_, i)| i)
}

/// Per-line diagnostics (language, features, initial and revised class), for
/// tuning; not part of the stable API.
#[doc(hidden)]
pub fn debug_lines(paragraphs: &[&str], opts: &Options) -> Vec<String> {
    let n = paragraphs.len();
    let folded: Vec<String> = paragraphs.iter().map(|p| phrases::fold(p)).collect();
    let hits = StopHits::of_lines(&folded);
    let lang = detect_language_from(&hits, opts);
    let lines: Vec<Line<'_>> = folded
        .iter()
        .enumerate()
        .map(|(i, f)| features(paragraphs[i], f, hits.words[i], hits.line(i), lang, opts))
        .collect();
    let th = stop_thresholds(&lines, opts);
    let init: Vec<Class> = lines.iter().map(|l| initial_class(l, opts, th)).collect();
    let mut rev = init.clone();
    revise(&mut rev, &lines, opts);
    let name = lang.map_or("none", |l| STOPWORDS.names[l as usize]);
    (0..n)
        .map(|i| {
            let l = &lines[i];
            format!(
                "{i:>4} {name} len={:<4} w={:<3} st={:.2} term={} {:?}->{:?}",
                l.len,
                l.words,
                l.stop.unwrap_or(-1.0),
                l.terminal as u8,
                init[i],
                rev[i]
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> Extraction {
        extract(lines, None, &Options::default())
    }

    fn kept_text<'a>(lines: &[&'a str], ex: &Extraction) -> Vec<&'a str> {
        ex.kept.iter().map(|k| lines[k.index]).collect()
    }

    /// Extracts `lines` (checking that every line is accounted for once):
    /// the title's text and the kept lines.
    fn title_and_body<'a>(lines: &[&'a str]) -> (Option<&'a str>, Vec<&'a str>) {
        let ex = run(lines);
        assert_partition(lines.len(), &ex);
        (ex.title.map(|t| lines[t]), kept_text(lines, &ex))
    }

    fn assert_partition(n: usize, ex: &Extraction) {
        let mut seen = vec![0; n];
        if let Some(t) = ex.title {
            seen[t] += 1;
        }
        for k in &ex.kept {
            seen[k.index] += 1;
        }
        for r in &ex.removed {
            seen[r.index] += 1;
        }
        assert!(
            seen.iter().all(|&c| c == 1),
            "every index exactly once: {seen:?}"
        );
    }

    const P1: &str = "The city council approved the new budget on Tuesday after a long debate that lasted well into the night, with members arguing over funding for schools and roads.";
    const P2: &str = "Supporters of the plan said it would help the city recover from the downturn, while critics warned that the spending was not sustainable in the long run.";
    const P3: &str = "The mayor is expected to sign the budget later this week, and the new spending will take effect at the start of the next fiscal year in July.";

    #[test]
    fn ad_markers_are_matched_as_the_regex_does() {
        let cases = [
            "[ad_1]",
            "[AD]",
            "[ ads - 12 ]",
            "[Advertisement]",
            "[advert_-_ 3\t]",
            "[ad1]",
            "[ad 1 2]",
            "[ad_x]",
            "[adx]",
            "[]",
            "[ ]",
            "[ad",
            "ad]",
            "[[ad]]",
            "[ad]]",
            "[\u{b}ad\u{c}]",
            "[ad\u{1c}]",
            "[Advertisements]",
            "[ad_١]",
            "[\u{a0}ad]",
            "[aſ]",
            "[AdVeRt-- ]",
            "[ad-]",
            "[-ad]",
            "[ad 1 ]",
            "[ad1 1]",
            "[ad\n7\r]",
        ];
        for line in cases {
            assert_eq!(is_ad_marker(line), AD_MARKER.is_match(line), "{line:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn ad_markers_agree_with_the_regex(line in "\\[[ \t\u{b}_\\-0-9adsvertimnADS١\u{a0}x]{0,16}\\]") {
            proptest::prop_assert_eq!(is_ad_marker(&line), AD_MARKER.is_match(&line));
        }
    }

    /// Length, sentence marks and digits counted by bytes, as the
    /// character-by-character count (the first version) has them.
    fn check_counts(par: &str) {
        let (mut len, mut cjk, mut digits, mut marks) = (0, 0, 0, 0);
        for c in par.chars() {
            if is_cjk(c) {
                cjk += 1;
                len += 3;
            } else {
                len += 1;
            }
            if c.is_ascii_digit() {
                digits += 1;
            }
            if is_sentence_mark(c) {
                marks += 1;
            }
        }
        let folded = phrases::fold(par);
        let words = phrases::words(&folded).count();
        let want_words = if cjk * 2 > par.chars().count() {
            words.max(len / 6)
        } else {
            words
        };
        let l = features(par, &folded, words, &[], None, &Options::default());
        assert_eq!(l.len, len, "{par:?}");
        assert_eq!(l.sentence_marks, marks, "{par:?}");
        assert_eq!(l.words, want_words, "{par:?}");
        let share = digits as f64 / par.chars().count().max(1) as f64;
        assert_eq!(l.digit_share.to_bits(), share.to_bits(), "{par:?}");
    }

    #[test]
    fn counts_by_bytes_are_counts_by_characters() {
        // Longer than the 255-byte chunks the bytes are counted in.
        let long = format!("{P1} {}", "قال الرئيس؟ نعم۔ ١٢ 東京。… 7.".repeat(20));
        for par in [
            "",
            "Hello, world. 12 x!",
            "قال الرئيس؟ نعم۔ ١٢",
            "東京で会議が開かれた。３月！？",
            "…और। ። 😀 ab",
            P1,
            &long,
        ] {
            check_counts(par);
        }
    }

    proptest::proptest! {
        #[test]
        fn counts_agree_on_any_line(par in "\\PC{0,40}", mixed in "[a-z0-9 .!?؟۔。！？…।።東京で٠-٩😀]{0,40}") {
            check_counts(&par);
            check_counts(&mixed);
        }
    }

    /// The table `build.rs` makes is what folding the lists here makes.
    #[test]
    fn the_built_stopword_table_is_the_folded_lists() {
        let mut names = Vec::new();
        let mut words: HashMap<String, LangSet> = HashMap::new();
        for code in stop_words::available_languages() {
            let Some(list) = stop_words::lookup(code) else {
                continue;
            };
            let bit: LangSet = 1 << names.len();
            names.push(*code);
            for w in list {
                let f = phrases::fold(w);
                if !f.is_empty() && !f.contains(' ') {
                    *words.entry(f).or_default() |= bit;
                }
            }
        }
        assert_eq!(STOPWORDS.names, names.as_slice());
        assert_eq!(STOPWORDS.words.len(), words.len());
        for (w, langs) in &words {
            assert_eq!(STOPWORDS.words.get(w.as_str()), Some(langs), "{w}");
        }
    }

    proptest::proptest! {
        /// The table finds a word when, and only when, a map of the list does.
        #[test]
        fn the_stopword_table_is_a_map_of_the_list(
            word in "\\PC{0,12}|[a-z]{1,12}|[\u{621}-\u{64a}]{1,8}",
            listed in 0..stopwords::WORDS.len(),
        ) {
            let map: HashMap<&str, LangSet> = stopwords::WORDS.iter().copied().collect();
            proptest::prop_assert_eq!(STOPWORDS.words.get(&word), map.get(word.as_str()));
            let (listed, langs) = stopwords::WORDS[listed];
            proptest::prop_assert_eq!(STOPWORDS.words.get(listed), Some(&langs));
        }

        /// Spaces found eight bytes at a time are the spaces.
        #[test]
        fn spaces_are_found_in_chunks(line in "[ a\u{e9}\u{627}]{0,40}") {
            let mut found = Vec::new();
            for_each_space(line.as_bytes(), |at| found.push(at));
            let want: Vec<usize> = line.bytes().enumerate().filter(|&(_, b)| b == b' ').map(|(i, _)| i).collect();
            proptest::prop_assert_eq!(found, want);
        }

        /// Lead bytes found eight bytes at a time are the bytes from 0xE0 up.
        #[test]
        fn long_leads_are_found_in_chunks(line in "\\PC{0,40}") {
            let mut found = Vec::new();
            for_each_long_lead(line.as_bytes(), |at| found.push(at));
            let want: Vec<usize> = line.bytes().enumerate().filter(|&(_, b)| b >= 0xE0).map(|(i, _)| i).collect();
            proptest::prop_assert_eq!(found, want);
        }

        /// Bytes counted in chunks are the bytes.
        #[test]
        fn bytes_are_counted_in_chunks(line in "[|a ]{0,600}") {
            for needle in [b'|', b' '] {
                proptest::prop_assert_eq!(
                    phrases::count_byte(line.as_bytes(), needle),
                    line.bytes().filter(|&b| b == needle).count()
                );
            }
        }

        /// A line's words and stopwords are those of `phrases::words`.
        #[test]
        fn stop_hits_split_as_words_does(line in "[ a\u{e9}]{0,30}|(the|of|x| ){0,20}") {
            let hits = StopHits::of_lines(&[line.as_str()]);
            let words: Vec<&str> = phrases::words(&line).collect();
            proptest::prop_assert_eq!(hits.words[0], words.len());
            let sets: Vec<LangSet> = words.iter().filter_map(|w| STOPWORDS.words.get(w).copied()).collect();
            proptest::prop_assert_eq!(hits.line(0), sets.as_slice());
        }
    }

    #[test]
    fn empty_input_gives_empty_extraction() {
        let ex = run(&[]);
        assert!(ex.title.is_none() && ex.kept.is_empty() && ex.removed.is_empty());
    }

    #[test]
    fn single_paragraph_is_kept() {
        let lines = [P1];
        let ex = run(&lines);
        assert_partition(1, &ex);
        assert_eq!(kept_text(&lines, &ex), vec![P1]);
    }

    #[test]
    fn ad_markers_are_removed() {
        let lines = ["[ad_1]", P1, P2, "[ad_2]", P3, "[ad_17]"];
        let ex = run(&lines);
        assert_partition(lines.len(), &ex);
        assert_eq!(kept_text(&lines, &ex), vec![P1, P2, P3]);
        for i in [0, 3, 5] {
            let r = ex.removed.iter().find(|r| r.index == i).expect("removed");
            assert!(r.reason.contains("ad marker"), "{}", r.reason);
            assert!(r.reason.contains(lines[i]));
        }
    }

    #[test]
    fn duplicate_paragraph_is_removed_with_reason() {
        let lines = ["Home", "News", P1, P2, P1, P3, "Contact us"];
        let ex = run(&lines);
        assert_partition(lines.len(), &ex);
        assert_eq!(kept_text(&lines, &ex), vec![P1, P2, P3]);
        let r = ex.removed.iter().find(|r| r.index == 4).unwrap();
        assert_eq!(r.reason, "dropped duplicate paragraph (first at line 3)");
    }

    #[test]
    fn subheading_is_kept_as_heading() {
        let lines = ["Menu", P1, "What happens next", P2, P3, "Share on Facebook"];
        let ex = run(&lines);
        assert_partition(lines.len(), &ex);
        let h = ex.kept.iter().find(|k| k.index == 2).expect("heading kept");
        assert_eq!(h.kind, ParagraphKind::Heading);
        assert!(
            ex.kept
                .iter()
                .filter(|k| k.index != 2)
                .all(|k| k.kind == ParagraphKind::Paragraph)
        );
        assert!(ex.removed.iter().any(|r| r.index == 0));
        assert!(ex.removed.iter().any(|r| r.index == 5));
    }

    #[test]
    fn title_is_found_before_the_body() {
        let lines = [
            "Council approves budget after long debate - Example News",
            "Home",
            "Politics",
            "Council approves budget after long debate",
            "By Jane Doe",
            P1,
            P2,
            P3,
        ];
        let ex = run(&lines);
        assert_partition(lines.len(), &ex);
        assert_eq!(ex.title, Some(3));
        assert_eq!(kept_text(&lines, &ex), vec![P1, P2, P3]);
    }

    #[test]
    fn a_short_line_beside_an_ad_is_judged_by_the_prose_beyond_it() {
        // An ad marker or label is an insertion: the short paragraphs next
        // to it belong to the article around them.
        for ad in ["[ad_2]", "Advertisement", "Scroll to continue with content"] {
            let lines = [
                "Council approves budget after long debate",
                P1,
                "At first, there was no sign of agreement.",
                ad,
                "Then the mayor spoke.",
                P2,
                P3,
            ];
            let (_, body) = title_and_body(&lines);
            assert_eq!(body, vec![P1, lines[2], lines[4], P2, P3], "with {ad}");
        }
    }

    #[test]
    fn a_menu_bar_is_navigation_chrome_not_a_title() {
        for bar in [
            "World | Business | Science | Health | US & Canada",
            "الرئيسية | سياسة | اقتصاد | عربي ودولي | اتصل بنا",
        ] {
            assert!(is_menu_bar(bar), "{bar}");
            let lines = ["Home", bar, "By Jane Doe", P1, P2, P3];
            let ex = run(&lines);
            assert_partition(lines.len(), &ex);
            assert_eq!(ex.title, None, "{bar}");
            assert_eq!(kept_text(&lines, &ex), vec![P1, P2, P3]);
            assert!(
                ex.removed
                    .iter()
                    .any(|r| r.index == 1 && r.reason.contains("navigation"))
            );
        }
        // A headline with its section and site, two items, a sentence.
        for line in [
            "Budget passes after long debate | Politics | Example News",
            "News | Example",
            "Home | World",
            "Prices rose 3 % | 2 % | 1 % this year, the office said.",
        ] {
            assert!(!is_menu_bar(line), "{line}");
        }
    }

    #[test]
    fn a_headline_printed_twice_in_a_row_is_the_title() {
        // No <title> line; the menu's last entry ("Latin America") is
        // headline-like too, but the headline is printed twice.
        let lines = [
            "Business",
            "Europe",
            "Latin America",
            "Eastern Michigan routs Northern Illinois to become bowl eligible",
            "Eastern Michigan routs Northern Illinois to become bowl eligible",
            "8 min read",
            P1,
            P2,
            P3,
        ];
        assert_eq!(title_and_body(&lines), (Some(lines[3]), vec![P1, P2, P3]));

        // A short line printed twice is an image's alt text and caption:
        // the headline above it stays the title (seed 003).
        let lines = [
            "Council approves budget after long debate in the city hall",
            "Mayor and council",
            "Mayor and council",
            P1,
            P2,
            P3,
        ];
        assert_eq!(title_and_body(&lines).0, Some(lines[0]));

        // With no other headline, a short one printed twice is the title.
        let lines = [
            "World | Business | Science | Health",
            "Best tech gadgets",
            "Best tech gadgets",
            "By Jane Doe",
            P1,
            P2,
            P3,
        ];
        assert_eq!(
            title_and_body(&lines),
            (Some("Best tech gadgets"), vec![P1, P2, P3])
        );
    }

    /// A page in a made-up language written in Runic letters: no stopword
    /// list matches it, yet the prose comes out and the menu words do not.
    #[test]
    fn page_without_stopword_list_keeps_prose() {
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        let mut word = |len: usize| -> String {
            (0..len)
                .map(|_| char::from_u32(0x16A0 + (next() % 75) as u32).unwrap())
                .collect()
        };
        let mut sentence = |words: usize| -> String {
            let mut s: Vec<String> = (0..words).map(|w| word(2 + w % 6)).collect();
            s.last_mut().unwrap().push('.');
            s.join(" ")
        };
        let body: Vec<String> = (0..5)
            .map(|k| {
                (0..3 + k % 2)
                    .map(|j| sentence(8 + j))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let mut menu_word = {
            let mut st = 999u64;
            move || -> String {
                st = st.wrapping_mul(6364136223846793005).wrapping_add(1);
                (0..5)
                    .map(|k| char::from_u32(0x16A0 + ((st >> (20 + k)) % 75) as u32).unwrap())
                    .collect()
            }
        };
        let menu: Vec<String> = (0..6).map(|_| menu_word()).collect();
        let mut owned: Vec<String> = menu.clone();
        owned.extend(body.iter().cloned());
        owned.extend(menu.iter().cloned());
        let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
        assert!(
            detect_language(
                &lines.iter().map(|l| phrases::fold(l)).collect::<Vec<_>>(),
                &Options::default()
            )
            .is_none()
        );
        let ex = run(&lines);
        assert_partition(lines.len(), &ex);
        let want: Vec<&str> = body.iter().map(String::as_str).collect();
        assert_eq!(kept_text(&lines, &ex), want);
    }

    #[test]
    fn arabic_chrome_is_removed() {
        let a1 = "أجرى المسؤول الروسي محادثات مع زعيم كوريا الشمالية خلال زيارته إلى بيونغ يانغ يوم الجمعة، وفقًا لوكالات الأنباء الروسية، في وقت حاسم من النزاع.";
        let a2 = "وقالت الوكالة إن الطرفين تبادلا وجهات النظر حول مختلف القضايا الثنائية والدولية كجزء من الحوار الاستراتيجي المستمر بين البلدين منذ سنوات طويلة.";
        let a3 = "ومن المتوقع أن تسهم الاجتماعات بشكل كبير في تنفيذ الاتفاقات التي تم التوصل إليها بين الزعيمين خلال قمتهما الأخيرة قبل ثلاثة أشهر في العاصمة.";
        let lines = [
            "[ad_1]",
            a1,
            a2,
            "اقرأ أيضا:",
            a3,
            "مقالات ذات صلة",
            "زر الذهاب إلى الأعلى",
            "المصدر",
        ];
        let ex = run(&lines);
        assert_partition(lines.len(), &ex);
        assert_eq!(kept_text(&lines, &ex), vec![a1, a2, a3]);
    }

    #[test]
    /// 80,000 lines come out fully accounted for. (How time grows with
    /// size is measured in the benchmarks, not asserted here.)
    fn a_large_page_is_partitioned() {
        let mut owned = Vec::new();
        for i in 0..40_000 {
            owned.push(format!("{P1} {i}"));
            owned.push("Home".to_string());
        }
        let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
        let ex = run(&lines);
        assert_partition(lines.len(), &ex);
    }
}
