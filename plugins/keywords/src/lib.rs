//! `keywords`: an article's key phrases, with YAKE's statistics (Campos et
//! al., 2020) over the matching form: term frequency, position, spread over
//! sentences and context diversity, combined into phrase scores for one- to
//! three-word candidates that neither start nor end with a stopword.
//!
//! Words are compared by a light stem of their matching form (Arabic
//! clitics and plural endings off, `akhbar-arabic-text`), so العقوبات and
//! عقوبات count as one, and English clitics too (with `'` or `’`: a
//! possessive or contracted verb comes off, Steenburgen’s meets Steenburgen;
//! a negation such as couldn’t is a stopword). Each phrase is reported as it
//! is most often written in the display text, its last word without a
//! clitic, and without an Arabic proclitic when the text also writes it
//! without one (العقوبات, not للعقوبات). A phrase that the text only ever
//! writes inside a longer name an enricher before found (`entities`:
//! "المتحدة" of الأمم المتحدة, "جونج أون" of كيم جونج أون) is no key phrase;
//! a name's word that the text also uses alone (بوتين) is. `score` is in
//! (0, 1], higher is more key.
//!
//! Config: `{"max_keywords": 10, "max_words": 3}`.
#![forbid(unsafe_code)]

use std::hash::Hasher;
use std::sync::OnceLock;

/// A small multiplicative hasher (the FxHash idea) for the word tables:
/// they are private to one call, so SipHash's flood resistance buys nothing
/// (and no output depends on their order).
#[derive(Debug, Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits (which pick the bucket) poor:
        // bring high ones down (as rustc-hash does).
        self.0.rotate_left(26)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Whole words of 8 bytes, then the last 8 (overlapping) or, for a
        // short input, its first and last 4, 2 or 1 bytes.
        let n = bytes.len();
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let half = |at: usize| {
            u64::from(u32::from_le_bytes(
                bytes[at..at + 4].try_into().expect("4 bytes"),
            ))
        };
        if n >= 8 {
            let mut at = 0;
            while at + 8 <= n {
                self.write_u64(word(at));
                at += 8;
            }
            if at < n {
                self.write_u64(word(n - 8));
            }
        } else if n >= 4 {
            self.write_u64(half(0) | half(n - 4) << 32);
        } else if n > 0 {
            let (a, b, c) = (bytes[0], bytes[n / 2], bytes[n - 1]);
            self.write_u64(u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16);
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

use akhbar_arabic_text::{is_stopword, is_word_char, matching_in, stem};
use akhbar_plugin_sdk::proto::{Article, Enrichment, Keyword};
use akhbar_plugin_sdk::{ArticleView, Config, Enricher, Plugin, PluginError};

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

/// A word of the text: 16 bytes (its written form is kept once for all its
/// occurrences), so the passes over the words read half the memory they
/// read with the form's `&str` in each.
#[derive(Debug, Clone, Copy)]
struct Word {
    /// Where it starts in its paragraph (a byte offset; `u32` as the
    /// entities' offsets are).
    at: u32,
    /// The number of its written form (in `form_text`): equal forms, equal
    /// numbers.
    form: u32,
    key: u32,
    stop: bool,
    upper: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct TermStats {
    /// Occurrences (as a non-stopword).
    tf: u32,
    /// Occurrences capitalized, not first in their sentence.
    upper: u32,
    /// Sentences it occurs in.
    sentences: u32,
    /// The median one: the `sentences / 2`-th (0-based) in order.
    median: u32,
    /// Distinct words seen before and after it.
    left: u32,
    right: u32,
}

/// What an English clitic does to a written word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clitic {
    /// None, or one that stays (Qur’an, o'clock).
    Kept,
    /// `n't`: the word is a stopword (couldn’t).
    Negation,
    /// The possessive or a contracted verb (`'s`, `'m`, `'re`, `'ve`,
    /// `'ll`, `'d`) after this many bytes: the word is what comes before.
    Off(usize),
}

/// The clitic of `word` as written, with either apostrophe.
#[inline]
fn english_clitic(word: &str) -> Clitic {
    // Every clitic ends in t, s, m, e, l or d: any other last byte (an
    // Arabic word's, for one) tells at once, without a call.
    if !word
        .as_bytes()
        .last()
        .is_some_and(|&b| matches!(b | 0x20, b't' | b's' | b'm' | b'e' | b'l' | b'd'))
    {
        return Clitic::Kept;
    }
    clitic_of_ending(word)
}

/// [`english_clitic`] of a word whose last letter may end a clitic.
#[inline(never)]
fn clitic_of_ending(word: &str) -> Clitic {
    // A clitic is at most two letters after the apostrophe, so the
    // apostrophe, when there is one, is in the last five bytes (`’` is
    // three, ending in 0x99): most words are told by those alone.
    let tail = &word.as_bytes()[word.len().saturating_sub(5)..];
    if !tail.iter().any(|&b| b == b'\'' || b == 0x99) {
        return Clitic::Kept;
    }
    let Some((at, apostrophe)) = word
        .char_indices()
        .rev()
        .find(|&(_, c)| c == '\'' || c == '’')
    else {
        return Clitic::Kept;
    };
    let (base, tail) = (&word[..at], &word[at + apostrophe.len_utf8()..]);
    let is = |s: &str| tail.eq_ignore_ascii_case(s);
    if is("t") && base.ends_with(['n', 'N']) {
        Clitic::Negation
    } else if !base.is_empty() && ["s", "m", "re", "ve", "ll", "d"].into_iter().any(is) {
        Clitic::Off(at)
    } else {
        Clitic::Kept
    }
}

/// How a character splits text: part of a word, a word's inner `'` or `-`,
/// a space, or punctuation (which also ends a sentence chunk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    Joiner,
    Space,
    Stop,
}

const fn ascii_classes() -> [Class; 128] {
    let mut table = [Class::Stop; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        table[i] = if c.is_ascii_alphanumeric() {
            Class::Word
        } else if c == b'\'' || c == b'-' {
            Class::Joiner
        } else if matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
            // `char::is_whitespace` of ASCII (with the vertical tab).
            Class::Space
        } else {
            Class::Stop
        };
        i += 1;
    }
    table
}

static ASCII_CLASSES: [Class; 128] = ascii_classes();

#[inline]
fn class(c: char) -> Class {
    if c.is_ascii() {
        return ASCII_CLASSES[c as usize];
    }
    // Arabic letters, then Arabic and typographic punctuation (no letters
    // or digits there), before the general lookup.
    if c == '’' {
        // The typographic apostrophe joins as `'` does: couldn’t, Russia’s.
        return Class::Joiner;
    }
    let word = if ('\u{0621}'..='\u{064A}').contains(&c) {
        true
    } else if ('\u{2000}'..='\u{206F}').contains(&c) || matches!(c, '،' | '؛' | '؟' | '«' | '»')
    {
        false
    } else {
        is_word_char(c)
    };
    if word {
        Class::Word
    } else if c.is_whitespace() {
        Class::Space
    } else {
        Class::Stop
    }
}

/// The class and byte length of the character of `text` at `i` (a char
/// boundary), if there is one. ASCII and the Arabic letters (U+0621..=U+064A:
/// two bytes, D8 A1 to D9 8A) are told from their bytes, without decoding.
#[inline(always)]
fn class_at(text: &str, i: usize) -> Option<(Class, usize)> {
    let bytes = text.as_bytes();
    let &b = bytes.get(i)?;
    Some(if b < 0x80 {
        (ASCII_CLASSES[usize::from(b)], 1)
    } else if let Some(&b2) = bytes.get(i + 1)
        // D8 A1 ..= D9 8A, read as one number: between them, only those
        // letters are valid UTF-8.
        && (0xD8A1..=0xD98A).contains(&u16::from_be_bytes([b, b2]))
    {
        (Class::Word, 2)
    } else {
        let c = text[i..].chars().next().expect("a char boundary");
        (class(c), c.len_utf8())
    })
}

/// Splits a paragraph into sentence chunks of words (punctuation ends a
/// chunk; `'`, `’` and `-` inside a word belong to it, at its end they are
/// punctuation): `event` gets each word,
/// and `None` after each chunk that may have held words.
#[inline]
fn split<'a>(text: &'a str, mut event: impl FnMut(Option<&'a str>)) {
    let mut i = 0;
    while let Some((class, len)) = class_at(text, i) {
        let start = i;
        i += len;
        if class == Class::Word {
            // The rest of the word: word characters and joiners, up to the
            // end of its last word character (a trailing joiner, a closing
            // ’ or a dash, is punctuation).
            let mut end = i;
            while let Some((class, len)) = class_at(text, i) {
                match class {
                    Class::Word => {
                        i += len;
                        end = i;
                    }
                    Class::Joiner => i += len,
                    Class::Space | Class::Stop => break,
                }
            }
            event(Some(&text[start..end]));
            if end < i && i < text.len() {
                event(None);
            }
        } else if class != Class::Space {
            event(None);
        }
    }
    event(None);
}

/// The sentences of `words` ending at `ends`.
fn sentences<'w>(words: &'w [Word], ends: &'w [u32]) -> impl Iterator<Item = &'w [Word]> + 'w {
    ends.iter().enumerate().map(move |(si, &end)| {
        let start = if si == 0 { 0 } else { ends[si - 1] };
        &words[start as usize..end as usize]
    })
}

/// "No such index" in the index arrays below.
const NONE: u32 = u32::MAX;

/// The hash keywords keys its word table with.
#[inline]
fn word_hash(word: &str) -> u64 {
    let mut h = Fx::default();
    h.write(word.as_bytes());
    h.write_usize(word.len());
    h.finish()
}

/// The slots of one of this module's tables grown from `slots` (entry `i`,
/// whose hash is the `i`-th of `hashes`, in slot 1 + `i`, at the first free
/// one from its home), and their shift.
#[cold]
fn regrown(slots: usize, hashes: impl Iterator<Item = u64>) -> (Vec<u32>, u32) {
    let (mut table, shift) = slots_for(slots);
    let mask = table.len() - 1;
    for (i, hash) in hashes.enumerate() {
        let mut at = home(hash, shift);
        while table[at] != 0 {
            at = (at + 1) & mask;
        }
        table[at] = i as u32 + 1;
    }
    (table, shift)
}

/// The first slot to probe for `hash` in a table of `64 - shift` bits:
/// the top bits of one multiply (the hash's own low bits may be poor).
#[inline]
fn home(hash: u64, shift: u32) -> usize {
    (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// Empty slots (a power of two, at least 8) for `entries` entries at most
/// half full, and the shift that [`home`] takes for them.
fn slots_for(entries: usize) -> (Vec<u32>, u32) {
    let slots = (entries * 2).next_power_of_two().max(8);
    (vec![0; slots], 64 - slots.trailing_zeros())
}

/// The distinct word keys (stems) of an article, numbered in order of
/// first sight. Their text is kept in one string: a key folded or stemmed
/// into a new string is copied there, with no allocation of its own.
struct Keys {
    /// Open addressing with linear probing, at most half full: 1 + a key's
    /// number, or 0 for an empty slot. A probe reads one `u32` and, when it
    /// is taken, that key's hash: about half the instructions of a general
    /// hash table's probe (control bytes, groups).
    slots: Vec<u32>,
    shift: u32,
    /// Each key's hash and byte range in `text`.
    spans: Vec<(u64, u32, u32)>,
    text: String,
}

impl Keys {
    fn with_capacity(keys: usize, bytes: usize) -> Self {
        let (slots, shift) = slots_for(keys);
        Keys {
            slots,
            shift,
            spans: Vec::with_capacity(keys),
            text: String::with_capacity(bytes),
        }
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    fn key(&self, id: usize) -> &str {
        let (_, start, end) = self.spans[id];
        &self.text[start as usize..end as usize]
    }

    /// `Ok` with the number of `key` (whose hash is `hash`), or `Err` with
    /// the empty slot where it would go.
    #[inline]
    fn find(&self, hash: u64, key: &str) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut at = home(hash, self.shift);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return Err(at);
            }
            let id = slot - 1;
            if self.spans[id as usize].0 == hash && self.key(id as usize) == key {
                return Ok(id);
            }
            at = (at + 1) & mask;
        }
    }

    /// The number of `key`, if it was seen.
    fn get(&self, key: &str) -> Option<u32> {
        self.find(word_hash(key), key).ok()
    }

    /// The number of `key`, a new one the first time.
    fn id(&mut self, key: &str) -> u32 {
        let hash = word_hash(key);
        match self.find(hash, key) {
            Ok(id) => id,
            Err(at) => {
                let id = self.spans.len() as u32;
                let start = self.text.len() as u32;
                self.text.push_str(key);
                self.spans.push((hash, start, self.text.len() as u32));
                self.slots[at] = id + 1;
                if self.spans.len() * 2 > self.slots.len() {
                    self.grow();
                }
                id
            }
        }
    }

    /// Twice the slots, the keys placed again.
    #[cold]
    fn grow(&mut self) {
        (self.slots, self.shift) = regrown(self.slots.len(), self.spans.iter().map(|s| s.0));
    }
}

/// The trie's sequences of three words or more, by (parent sequence, next
/// word) packed in a `u64`, numbered in order of first sight from `base`.
/// Open addressing as in [`Keys`]: slots hold 1 + an ordinal, the keys sit
/// densely in order, and a probe reads a `u32` and, when taken, a `u64`
/// (a general map's probe costs about twice the instructions).
struct Children {
    slots: Vec<u32>,
    shift: u32,
    keys: Vec<u64>,
    base: u32,
}

impl Children {
    /// Room for `entries` sequences (more grow the table), numbered from
    /// `base`.
    fn with_capacity(entries: usize, base: u32) -> Self {
        let (slots, shift) = slots_for(entries);
        Children {
            slots,
            shift,
            keys: Vec::with_capacity(entries),
            base,
        }
    }

    /// The number of the sequence `key`, and whether it is new.
    #[inline]
    fn node(&mut self, key: u64) -> (u32, bool) {
        let mask = self.slots.len() - 1;
        let mut at = home(key, self.shift);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            if self.keys[slot as usize - 1] == key {
                return (self.base + slot - 1, false);
            }
            at = (at + 1) & mask;
        }
        self.keys.push(key);
        let ordinal = self.keys.len() as u32;
        self.slots[at] = ordinal;
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        (self.base + ordinal - 1, true)
    }

    /// Twice the slots, the keys placed again.
    #[cold]
    fn grow(&mut self) {
        (self.slots, self.shift) = regrown(self.slots.len(), self.keys.iter().copied());
    }
}

/// A word's bytes in two numbers: its first and last 8 bytes (they overlap
/// in a word of 8 to 16 bytes); a shorter word's first and last 4, or
/// first, middle and last byte. With the word's length, they are the word
/// itself up to 16 bytes (most words): equal numbers, equal words.
#[inline]
fn fingerprint(bytes: &[u8]) -> (u64, u64) {
    let n = bytes.len();
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            bytes[at..at + 4].try_into().expect("4 bytes"),
        ))
    };
    if n >= 8 {
        (word(0), word(n - 8))
    } else if n >= 4 {
        (half(0) | half(n - 4) << 32, 0)
    } else if n > 0 {
        let (a, b, c) = (bytes[0], bytes[n / 2], bytes[n - 1]);
        (u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16, 0)
    } else {
        (0, 0)
    }
}

/// The distinct written words of an article, each with a value computed
/// the first time it is seen. Open addressing as in [`Keys`], and a word is
/// told by its [`fingerprint`] and length: one up to 16 bytes is compared
/// with no string compare (and no read of the text where it was first
/// seen), a longer one by its bytes too.
struct FormTable<'a, V> {
    slots: Vec<u32>,
    shift: u32,
    entries: Vec<(u64, u64, &'a str, V)>,
}

impl<'a, V: Copy> FormTable<'a, V> {
    /// Room for `words` distinct words without growing.
    fn with_capacity(words: usize) -> Self {
        let (slots, shift) = slots_for(words);
        FormTable {
            slots,
            shift,
            entries: Vec::with_capacity(words),
        }
    }

    /// The hash of a word by its fingerprint and length.
    #[inline]
    fn hash((a, b): (u64, u64), len: usize) -> u64 {
        (a.wrapping_mul(0x51_7c_c1_b7_27_22_0a_95) ^ b.rotate_left(29)).wrapping_add(len as u64)
    }

    /// The value of `word`, computed by `value` the first time.
    #[inline]
    fn get_or_insert_with(&mut self, word: &'a str, value: impl FnOnce() -> V) -> V {
        let (a, b) = fingerprint(word.as_bytes());
        let mask = self.slots.len() - 1;
        let mut at = home(Self::hash((a, b), word.len()), self.shift);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            let (ea, eb, w, v) = self.entries[slot as usize - 1];
            if ea == a && eb == b && w.len() == word.len() && (word.len() <= 16 || w == word) {
                return v;
            }
            at = (at + 1) & mask;
        }
        let v = value();
        self.entries.push((a, b, word, v));
        self.slots[at] = self.entries.len() as u32;
        if self.entries.len() * 2 > self.slots.len() {
            self.grow();
        }
        v
    }

    /// Twice the slots, the entries placed again.
    #[cold]
    fn grow(&mut self) {
        let hashes = self
            .entries
            .iter()
            .map(|&(a, b, w, _)| Self::hash((a, b), w.len()));
        (self.slots, self.shift) = regrown(self.slots.len(), hashes);
    }
}

/// Scores key phrases of paragraphs; best first.
pub fn keywords(paragraphs: &[&str], max_words: usize, max: usize) -> Vec<(String, f64)> {
    keywords_beside_names(paragraphs, &[], max_words, max)
}

/// Where a name was found: its paragraph, and its byte range in that
/// paragraph's display text (an entity's `paragraph`, `start`, `end`).
pub type NameSpan = (usize, usize, usize);

/// [`keywords`], where a phrase found only inside longer names of `names`
/// is no key phrase: "جونج أون" of كيم جونج أون, "المتحدة" of الأمم المتحدة.
/// (A name's own words, where the text also uses them alone, stay: بوتين
/// beside فلاديمير بوتين.)
pub fn keywords_beside_names(
    paragraphs: &[&str],
    names: &[NameSpan],
    max_words: usize,
    max: usize,
) -> Vec<(String, f64)> {
    let max_words = max_words.clamp(1, 4);
    let bytes: usize = paragraphs.iter().map(|p| p.len()).sum();
    // Words: each written form is folded, stemmed and interned once.
    let mut keys = Keys::with_capacity(bytes / 8 + 16, bytes / 2 + 16);
    let mut seen: FormTable<'_, (u32, bool, bool, u32)> = FormTable::with_capacity(bytes / 6 + 16);
    // Each written form, by its number.
    let mut form_text: Vec<&str> = Vec::with_capacity(bytes / 6 + 16);
    // Where a word's matching form is written when it is not the word.
    let mut folded = String::new();
    let mut words: Vec<Word> = Vec::with_capacity(bytes / 5 + 16);
    // Sentence `i` is `words[ends[i - 1]..ends[i]]` (from 0 for the first).
    let mut ends: Vec<u32> = Vec::with_capacity(bytes / 40 + 16);
    // Paragraph `i`'s words start at `paragraph_start[i]`.
    let mut paragraph_start: Vec<u32> = Vec::with_capacity(paragraphs.len());
    for p in paragraphs {
        paragraph_start.push(words.len() as u32);
        split(p, |event| {
            if let Some(surface) = event {
                let (key, stop, upper, form) = seen.get_or_insert_with(surface, || {
                    // An English clitic comes off (Steenburgen’s meets
                    // Steenburgen); a negation (couldn’t) is a stopword.
                    let clitic = english_clitic(surface);
                    let m = matching_in(
                        match clitic {
                            Clitic::Off(at) => &surface[..at],
                            _ => surface,
                        },
                        &mut folded,
                    );
                    let stop = clitic == Clitic::Negation
                        || is_stopword(m)
                        || m.chars().nth(1).is_none()
                        || m.bytes().all(|b| b.is_ascii_digit());
                    let id = keys.id(&stem(m));
                    // Told from the first byte for ASCII and Arabic
                    // (U+0600..=U+06FF, no case), without Unicode tables.
                    let upper = match surface.as_bytes().first() {
                        Some(&b) if b < 0x80 => b.is_ascii_uppercase(),
                        Some(0xD8..=0xDB) => false,
                        _ => surface.chars().next().is_some_and(char::is_uppercase),
                    };
                    form_text.push(surface);
                    (id, stop, upper, form_text.len() as u32 - 1)
                });
                words.push(Word {
                    at: (surface.as_ptr() as usize - p.as_ptr() as usize) as u32,
                    form,
                    key,
                    stop,
                    upper,
                });
            } else {
                let end = words.len() as u32;
                if ends.last().copied().unwrap_or(0) < end {
                    ends.push(end);
                }
            }
        });
    }
    // A one-letter clitic (و ف ب ل ك) comes off when the rest of the word
    // is itself a word of this article: لكوريا meets كوريا, but بوتين stays.
    let mut remap: Vec<u32> = (0..keys.len() as u32).collect();
    for (i, to) in remap.iter_mut().enumerate() {
        let key = keys.key(i);
        // The letter told by its two bytes: و ف ل ك (D9 88, 81, 84, 83), ب (D8 A8).
        if let [0xD9, 0x88 | 0x81 | 0x84 | 0x83, ..] | [0xD8, 0xA8, ..] = key.as_bytes()
            && let rest = &key[2..]
            && rest.chars().nth(2).is_some()
            && let Some(id) = keys.get(rest)
        {
            *to = id;
        }
    }

    // Where the sentence of each word ends, and its number.
    let mut sentence_of: Vec<(u32, u32)> = Vec::with_capacity(words.len());
    for (si, &end) in ends.iter().enumerate() {
        sentence_of.resize(end as usize, (end, si as u32));
    }
    // Each word's occurrences (its key remapped first), chained: the first
    // at `first_at[key]`, the next after word `i` at `next_same[i]`.
    let mut first_at: Vec<u32> = vec![NONE; keys.len()];
    let mut next_same: Vec<u32> = vec![NONE; words.len()];
    for (i, w) in words.iter_mut().enumerate().rev() {
        w.key = remap[w.key as usize];
        next_same[i] = first_at[w.key as usize];
        first_at[w.key as usize] = i as u32;
    }
    let (stats, pair_node, nodes) = walk_terms(&words, &ends, &sentence_of, &first_at, &next_same);
    // The candidate of each sequence (`NONE`: none yet, or it ends in a
    // stopword); sequences past the one-word ones are numbered on.
    let mut candidate_of: Vec<u32> = Vec::with_capacity(nodes as usize + words.len());
    candidate_of.resize(nodes as usize, NONE);
    // At most one sequence of each length from 3 to `max_words` starts at
    // each word.
    let mut child = Children::with_capacity(words.len() * max_words.saturating_sub(2), nodes);
    // Over the frequencies of the terms that occur, in order (summed as
    // before they were collected into a vector).
    let used = || stats.iter().filter(|t| t.tf > 0).map(|t| f64::from(t.tf));
    let (mut count, mut sum, mut max_tf) = (0usize, 0.0, 0.0);
    for tf in used() {
        count += 1;
        sum += tf;
        max_tf = f64::max(max_tf, tf);
    }
    if count == 0 {
        return Vec::new();
    }
    let n = count as f64;
    let mean = sum / n;
    let sd = (used().map(|tf| (tf - mean).powi(2)).sum::<f64>() / n).sqrt();
    let total = ends.len() as f64;
    let logs = small_logs();
    // Each term's score as its candidates take it: a factor of their
    // product and a term of their sum (1 and 0 when it is not positive:
    // then it counts for neither).
    let term_score: Vec<(f64, f64)> = stats
        .iter()
        .map(|t| {
            if t.tf == 0 {
                return 0.0;
            }
            let tf = f64::from(t.tf);
            let case = f64::from(t.upper) / (1.0 + logs.ln(t.tf));
            let pos = logs.ln_ln_3_plus(t.median);
            let freq = tf / (mean + sd);
            let rel = 1.0 + (f64::from(t.left) + f64::from(t.right)) / (2.0 * tf) * (tf / max_tf);
            let spread = f64::from(t.sentences) / total;
            (rel * pos) / (case + freq / rel + spread / rel)
        })
        .map(|s| if s > 0.0 { (s, s) } else { (1.0, 0.0) })
        .collect();

    // Candidates: 1..=max_words words, no stopword at either end; counted
    // in a list, with the product and sum of their words' scores, taken in
    // word order. Their places in it are found through a trie of word
    // sequences: a one-word sequence is its word's key (no lookup), a longer
    // one a child of the sequence one word shorter, found in a map by
    // (parent, next word). Its keys are half the size of a whole phrase's,
    // and the table fits the cache better (a miss per phrase was a fifth of
    // this function's time).
    let mut candidates: Vec<Candidate> = Vec::with_capacity(words.len() * 2 + 16);
    for (si, sentence) in sentences(&words, &ends).enumerate() {
        let start = if si == 0 { 0 } else { ends[si - 1] as usize };
        for i in 0..sentence.len() {
            if sentence[i].stop {
                continue;
            }
            let mut key = [NONE; 4];
            let (mut product, mut sum) = (1.0, 0.0);
            let mut node = NONE;
            // (An exclusive range steps more cheaply than `1..=`.)
            for len in 1..max_words.min(sentence.len() - i) + 1 {
                let last = &sentence[i + len - 1];
                key[len - 1] = last.key;
                node = if len == 1 {
                    last.key
                } else if len == 2 {
                    pair_node[start + i]
                } else if last.stop && len == max_words {
                    // Neither a candidate nor extended: no node needed.
                    break;
                } else {
                    let (at, new) = child.node(u64::from(node) << 32 | u64::from(last.key));
                    if new {
                        candidate_of.push(NONE);
                    }
                    at
                };
                // Adding 0 leaves the sum as it was: positive terms from 0
                // never make the -0 that it would turn into 0.
                let (factor, term) = term_score[last.key as usize];
                product *= factor;
                sum += term;
                if last.stop {
                    continue;
                }
                let at = &mut candidate_of[node as usize];
                if *at == NONE {
                    *at = candidates.len() as u32;
                    candidates.push(Candidate {
                        key: pack(&key),
                        tf: 1,
                        product,
                        sum,
                    });
                } else {
                    candidates[*at as usize].tf += 1;
                }
            }
        }
    }
    // Scores, lower is better, ties by words: as sortable integers.
    let score = |c: &Candidate| c.product / (f64::from(c.tf) * (1.0 + c.sum));
    let orders: Vec<u64> = candidates
        .iter()
        .map(|c| total_order_key(score(c)))
        .collect();
    // Only the best few can be chosen: sort those alone. The `head`-th
    // best score is found among the scores alone (small to move and
    // compare); those scoring as well or better (ties are sorted by words
    // below) are the few.
    let head = (max * 8).max(32);
    let cut = if orders.len() > head {
        *orders.clone().select_nth_unstable(head).1
    } else {
        u64::MAX
    };
    let mut scored: Vec<(u64, u128, f64)> = candidates
        .iter()
        .zip(&orders)
        .filter(|&(_, &order)| order <= cut)
        .map(|(c, &order)| (order, c.key, score(c)))
        .collect();
    scored.sort_unstable_by_key(|c| (c.0, c.1));
    scored.truncate(head);
    let scored = scored
        .into_iter()
        .map(|(_, key, score)| (unpack(key), score));
    // A phrase's occurrences start at occurrences of its first word
    // (chained, above), so only those are looked at.
    // Where `key` occurs: the index of each occurrence's first word.
    let occurrences = |key: &[u32]| -> Vec<usize> {
        let len = key.len();
        let mut found = Vec::new();
        let mut at = first_at[key[0] as usize];
        while at != NONE {
            let i = at as usize;
            at = next_same[i];
            if i + len <= sentence_of[i].0 as usize
                && words[i..i + len].iter().zip(key).all(|(w, k)| w.key == *k)
            {
                found.push(i);
            }
        }
        found
    };
    // Where the `len` words from word `i` are: paragraph and byte range.
    let span = |i: usize, len: usize| -> NameSpan {
        let paragraph = paragraph_start.partition_point(|&s| s as usize <= i) - 1;
        let last = words[i + len - 1];
        (
            paragraph,
            words[i].at as usize,
            last.at as usize + form_text[last.form as usize].len(),
        )
    };
    // Each chosen phrase with where it occurs (for the check against the
    // names, and then for its written forms).
    let mut chosen: Vec<([u32; 4], f64, Vec<usize>)> = Vec::new();
    for candidate in scored {
        if chosen.len() >= max {
            break;
        }
        // Skip a phrase that shares half its words with a better one.
        let key = phrase(&candidate.0);
        if chosen.iter().any(|c| {
            let other = phrase(&c.0);
            let shared = key.iter().filter(|w| other.contains(w)).count();
            2 * shared >= key.len().min(other.len())
        }) {
            continue;
        }
        let found = occurrences(key);
        if !names.is_empty() && only_inside_names(found.iter().map(|&i| span(i, key.len())), names)
        {
            continue;
        }
        chosen.push((candidate.0, candidate.1, found));
    }
    chosen
        .into_iter()
        .map(|(key, score, found)| {
            let key = phrase(&key);
            let len = key.len();
            // Distinct written forms (word by word, by their numbers: no
            // string compared) and how often each, with where one occurs.
            let mut forms: Vec<([u32; 4], usize, usize)> = Vec::new();
            for i in found {
                let mut form = [NONE; 4];
                for (f, w) in form.iter_mut().zip(&words[i..i + len]) {
                    *f = w.form;
                }
                match forms.iter_mut().find(|(f, _, _)| *f == form) {
                    Some((_, count, _)) => *count += 1,
                    None => forms.push((form, 1, i)),
                }
            }
            // As shown (forms that differ only by the last word's clitic
            // are one), counted, the most frequent taken.
            let mut shown: Vec<(String, usize)> = Vec::with_capacity(forms.len());
            for (_, count, i) in forms {
                let window = &words[i..i + len];
                let mut written: Vec<&str> =
                    window.iter().map(|w| form_text[w.form as usize]).collect();
                let last = written[len - 1];
                if let Clitic::Off(at) = english_clitic(last) {
                    written[len - 1] = &last[..at];
                }
                let written = written.join(" ");
                match shown.iter_mut().find(|(s, _)| *s == written) {
                    Some((_, total)) => *total += count,
                    None => shown.push((written, count)),
                }
            }
            // A form that is another form with a proclitic before it
            // (للعقوبات beside العقوبات, وكوريا beside كوريا) gives way to
            // it, however often each is written: an analyst reads the word,
            // not "for the" + word.
            let clitic_free: Vec<bool> = shown
                .iter()
                .map(|(f, _)| !shown.iter().any(|(g, _)| with_proclitic(f, g)))
                .collect();
            let surface = shown
                .into_iter()
                .zip(clitic_free)
                .max_by(|(a, a_free), (b, b_free)| {
                    a_free.cmp(b_free).then(a.1.cmp(&b.1)).then(b.0.cmp(&a.0))
                })
                .map(|((s, _), _)| s)
                .unwrap_or_default();
            (surface, 1.0 / (1.0 + score))
        })
        .collect()
}

/// Each term's statistics, walking its occurrences in order: one walk of
/// all the words, not one pass over them for the counts and another for
/// the median sentence (those took some 6 % more real time). And the word
/// pairs, numbered as the two-word sequences of the trie of candidates, along
/// each word's occurrences: a pair is new when its second word was not yet
/// seen after this first word (no map needed). A new pair counts for both
/// words' contexts.
///
/// `sentence_of` holds each word's sentence end and number; `first_at` and
/// `next_same` chain each key's occurrences. Returns the statistics, each
/// pair's number by the index of its first word, and the number of trie
/// nodes so far (keys, then pairs).
fn walk_terms(
    words: &[Word],
    ends: &[u32],
    sentence_of: &[(u32, u32)],
    first_at: &[u32],
    next_same: &[u32],
) -> (Vec<TermStats>, Vec<u32>, u32) {
    let words_known = first_at.len();
    let mut stats: Vec<TermStats> = vec![TermStats::default(); words_known];
    let mut pair_node: Vec<u32> = vec![NONE; words.len()];
    // For each second word: the first word it was last seen after, and
    // that pair's number.
    let mut after: Vec<(u32, u32)> = vec![(NONE, NONE); words_known];
    let mut nodes = words_known as u32;
    // The sentences a term occurs in, in order (for its median one).
    let mut its_sentences: Vec<u32> = Vec::new();
    for (first, &at) in first_at.iter().enumerate() {
        let mut at = at;
        let (mut tf, mut upper) = (0, 0);
        its_sentences.clear();
        while at != NONE {
            let i = at as usize;
            at = next_same[i];
            let (end, si) = sentence_of[i];
            let w = &words[i];
            if !w.stop {
                tf += 1;
                // Capitalized, not first in its sentence.
                if w.upper
                    && i != if si == 0 {
                        0
                    } else {
                        ends[si as usize - 1] as usize
                    }
                {
                    upper += 1;
                }
                if its_sentences.last() != Some(&si) {
                    its_sentences.push(si);
                }
            }
            if i + 1 < end as usize {
                let second = words[i + 1].key as usize;
                let (seen_after, node) = &mut after[second];
                if *seen_after != first as u32 {
                    *seen_after = first as u32;
                    *node = nodes;
                    nodes += 1;
                    stats[first].right += 1;
                    stats[second].left += 1;
                }
                pair_node[i] = *node;
            }
        }
        let t = &mut stats[first];
        t.tf = tf;
        t.upper = upper;
        t.sentences = its_sentences.len() as u32;
        if let Some(&median) = its_sentences.get(its_sentences.len() / 2) {
            t.median = median;
        }
    }
    (stats, pair_node, nodes)
}

/// Whether every occurrence of a phrase (`found`) lies inside a longer name
/// of `names` (and there is one). Occurrences are placed one at a time: the
/// first outside every name answers.
fn only_inside_names(found: impl IntoIterator<Item = NameSpan>, names: &[NameSpan]) -> bool {
    let mut any = false;
    found.into_iter().all(|(paragraph, start, end)| {
        any = true;
        names
            .iter()
            .any(|&(p, s, e)| p == paragraph && s <= start && end <= e && e - s > end - start)
    }) && any
}

/// Whether `form` is `other` written with an Arabic one-letter proclitic
/// before it: و ف ب ك ل + `other` (وكوريا, بالعقوبات), or ل + `other` with
/// the alef of its article dropped, as Arabic writes ل + ال (للعقوبات).
fn with_proclitic(form: &str, other: &str) -> bool {
    let Some(rest) = ['و', 'ف', 'ب', 'ك', 'ل']
        .into_iter()
        .find_map(|c| form.strip_prefix(c))
    else {
        return false;
    };
    !other.is_empty()
        && (rest == other
            || (form.starts_with("لل")
                && other
                    .strip_prefix('ا')
                    .is_some_and(|o| o.starts_with('ل') && o == rest)))
}

/// The logarithms the term scores take of small whole numbers (a term's
/// frequency, its median sentence), each computed once in a process.
struct SmallLogs {
    ln: Vec<f64>,
    ln_ln_3_plus: Vec<f64>,
}

/// Numbers below this have their logarithms in [`SmallLogs`].
const SMALL: u32 = 1024;

fn small_logs() -> &'static SmallLogs {
    static LOGS: OnceLock<SmallLogs> = OnceLock::new();
    LOGS.get_or_init(|| SmallLogs {
        ln: (0..SMALL).map(|n| f64::from(n).ln()).collect(),
        ln_ln_3_plus: (0..SMALL).map(|n| (3.0 + f64::from(n)).ln().ln()).collect(),
    })
}

impl SmallLogs {
    fn ln(&self, n: u32) -> f64 {
        match self.ln.get(n as usize) {
            Some(&ln) => ln,
            None => f64::from(n).ln(),
        }
    }

    /// ln(ln(3 + n)).
    fn ln_ln_3_plus(&self, n: u32) -> f64 {
        match self.ln_ln_3_plus.get(n as usize) {
            Some(&v) => v,
            None => (3.0 + f64::from(n)).ln().ln(),
        }
    }
}

/// A candidate phrase: its words (packed), how often it occurs, and the
/// product and sum of its words' (positive) scores.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    key: u128,
    tf: u32,
    product: f64,
    sum: f64,
}

/// Word keys packed so that integer order is the order of the arrays.
fn pack(key: &[u32; 4]) -> u128 {
    key.iter().fold(0u128, |acc, &k| acc << 32 | u128::from(k))
}

fn unpack(packed: u128) -> [u32; 4] {
    [
        (packed >> 96) as u32,
        (packed >> 64) as u32,
        (packed >> 32) as u32,
        packed as u32,
    ]
}

/// An integer whose order is [`f64::total_cmp`]'s.
fn total_order_key(x: f64) -> u64 {
    let bits = x.to_bits() as i64;
    let ordered = bits ^ (((bits >> 63) as u64) >> 1) as i64;
    (ordered as u64) ^ (1 << 63)
}

/// The word keys of a candidate phrase.
fn phrase(key: &[u32; 4]) -> &[u32] {
    let len = key.iter().take_while(|&&k| k != NONE).count();
    &key[..len]
}

impl Enricher for Keywords {
    fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
        self.enrich_view(&ArticleView::of(article))
    }

    fn enrich_view(&self, article: &ArticleView<'_>) -> Result<Enrichment, PluginError> {
        let texts: Vec<&str> = article.paragraphs().iter().map(|p| p.text).collect();
        // The names the enrichers before found (`entities`, in the default
        // pipeline): a phrase only ever written inside one is a piece of
        // it, not a key phrase of its own.
        let names: Vec<NameSpan> = article
            .entity_views()
            .map_err(|e| PluginError::failed(format!("the article's entities do not decode: {e}")))?
            .iter()
            .map(|e| (e.paragraph as usize, e.start as usize, e.end as usize))
            .collect();
        let found = keywords_beside_names(
            &texts,
            &names,
            self.config.max_words,
            self.config.max_keywords,
        );
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
