//! Text helpers shared by Akhbar's `arabic` normalizer and its enrichers.
//!
//! Two forms of a paragraph:
//! - [`display`]: what a reader sees. Only changes that never alter meaning:
//!   Unicode NFKC (presentation forms such as ﻻ become لا), tatweel and
//!   invisible characters removed (LRM/RLM/ALM, ZWJ/ZWNJ, ZWSP, bidi
//!   controls, BOM, soft hyphen), whitespace folded. Digits stay as written.
//!   A run of tatweel touching no letter is punctuation (a dash or bullet)
//!   and stays.
//! - [`matching`]: what stages compare. Also diacritics and Quranic marks
//!   removed, alef variants إأآٱ → ا, ى → ي, ة → ه, Persian ی/ک → ي/ك,
//!   Arabic-Indic and Persian digits → ASCII, other scripts lowercased and
//!   Latin accents dropped.
//!
//! [`MatchingMap`] keeps, for every byte of the matching form, where its
//! character came from in the display text, so a stage that finds something
//! in the matching form can report it in the display text.
// Unsafe only to enter the SSE2 scans of `wide` (a target-feature call).
#![deny(unsafe_code)]

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

mod stem;
mod stopwords;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)]
mod wide;
mod word_table;

pub use stem::stem;
pub use stopwords::is_stopword;
pub use word_table::WordTable;

/// Whether an ASCII byte is a letter or digit (`u8::is_ascii_alphanumeric`),
/// as a table: the plugins' word scanners read it for every ASCII byte.
pub const ASCII_LETTER_OR_DIGIT: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// ARABIC TATWEEL (kashida): stretches a word, carries no meaning.
pub const TATWEEL: char = '\u{0640}';

/// Invisible formatting characters that the display form drops.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'              // soft hyphen
            | '\u{061C}'        // ARABIC LETTER MARK
            | '\u{180E}'        // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // ZWSP, ZWNJ, ZWJ, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' // BOM / ZWNBSP
    )
}

/// Arabic diacritics (harakat, tanwin, shadda, sukun, superscript alef),
/// Quranic annotation marks, and the extended Arabic marks.
pub fn is_arabic_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0610}'..='\u{061A}'
            | '\u{064B}'..='\u{065F}'
            | '\u{0670}'
            | '\u{06D6}'..='\u{06DC}'
            | '\u{06DF}'..='\u{06E8}'
            | '\u{06EA}'..='\u{06ED}'
            | '\u{08D3}'..='\u{08E1}'
            | '\u{08E3}'..='\u{08FF}'
    )
}

/// Counts of what [`display_with_stats`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DisplayStats {
    /// Tatweel characters removed.
    pub tatweel: usize,
    /// Invisible characters removed.
    pub invisible: usize,
    /// Whether NFKC changed anything.
    pub nfkc: bool,
    /// Whether whitespace was folded or trimmed.
    pub whitespace: bool,
}

impl DisplayStats {
    /// Whether anything changed.
    pub fn changed(&self) -> bool {
        self.tatweel > 0 || self.invisible > 0 || self.nfkc || self.whitespace
    }
}

/// Removes invisible characters, then tatweel that stretches a letter. A
/// run of tatweel touching no letter ("كوريا ــ والتحقق", a "ـ " bullet) is
/// punctuation, not kashida, and stays.
fn strip_invisible(text: &str, stats: &mut DisplayStats) -> String {
    let visible: Vec<char> = text
        .chars()
        .filter(|&c| {
            let invisible = is_invisible(c);
            stats.invisible += usize::from(invisible);
            !invisible
        })
        .collect();
    // A tatweel run's neighbours are the nearest characters that are neither
    // tatweel nor a combining mark, so that the decision does not change when
    // NFKC reorders the marks around it (which made display not idempotent).
    let transparent = |c: char| c == TATWEEL || canonical_combining_class(c) != 0;
    let mut prev_base = vec![None; visible.len()];
    let mut last = None;
    for (k, &c) in visible.iter().enumerate() {
        prev_base[k] = last;
        if !transparent(c) {
            last = Some(c);
        }
    }
    let mut next_base = vec![None; visible.len()];
    let mut last = None;
    for (k, &c) in visible.iter().enumerate().rev() {
        next_base[k] = last;
        if !transparent(c) {
            last = Some(c);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < visible.len() {
        let c = visible[i];
        if c != TATWEEL {
            out.push(c);
            i += 1;
            continue;
        }
        let end = visible[i..]
            .iter()
            .position(|&c| c != TATWEEL)
            .map_or(visible.len(), |n| i + n);
        let (before, after) = (prev_base[i], next_base[end - 1]);
        if before.is_some_and(char::is_alphabetic) || after.is_some_and(char::is_alphabetic) {
            stats.tatweel += end - i;
        } else {
            out.extend(&visible[i..end]);
        }
        i = end;
    }
    out
}

/// Characters that NFKC leaves alone whatever surrounds them: ASCII, the
/// Arabic letters, digits and punctuation, guillemets, dashes and curly
/// quotes, and the letters of the other scripts news comes in most (Latin-1
/// and Latin Extended-A but for its six compatibility characters, basic
/// Cyrillic, Hangul syllables): starters that NFKC maps to themselves and
/// that are never the second of a canonical pair (tested against the
/// Unicode tables). A line made of these alone skips the tables, which is
/// most news text.
fn nfkc_stable(c: char) -> bool {
    c.is_ascii()
        || matches!(c,
            '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' // Arabic letters
            | '\u{0660}'..='\u{066D}' // Arabic-Indic digits, ٪ ٫ ٬ ٭
            | '\u{060C}' | '\u{061B}' | '\u{061F}' // ، ؛ ؟
            | '\u{00AB}' | '\u{00BB}' | '\u{00B0}' | '\u{00A9}' | '\u{00AE}' // « » ° © ®
            | '\u{2013}' | '\u{2014}' | '\u{2018}'..='\u{201F}' | '\u{2022}' // dashes, quotes, bullet
            | '\u{00C0}'..='\u{00FF}' // Latin-1 letters, × ÷
            | '\u{0100}'..='\u{0131}' | '\u{0134}'..='\u{013E}' | '\u{0141}'..='\u{0148}'
            | '\u{014A}'..='\u{017E}' // Latin Extended-A but Ĳ ĳ Ŀ ŀ ŉ ſ
            | '\u{0400}'..='\u{045F}' // basic Cyrillic
            | '\u{AC00}'..='\u{D7A3}') // Hangul syllables
}

/// Spaces that NFKC turns into U+0020 (the no-break space above all).
fn nfkc_space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Whether ASCII byte `b` is neither whitespace (`char::is_whitespace`:
/// space, tab to carriage return) nor past ASCII.
static ASCII_NOT_SPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x80 {
        table[b] = !(b == b' ' as usize || (b >= 0x09 && b <= 0x0D));
        b += 1;
    }
    table
};

/// The end of the run of [`ASCII_NOT_SPACE`] bytes from `at`.
#[inline]
fn ascii_word_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(&b) = bytes.get(at)
        && ASCII_NOT_SPACE[usize::from(b)]
    {
        at += 1;
    }
    at
}

/// Whether ASCII byte `b` folds to itself and is no whitespace: not upper
/// case, not `u8::is_ascii_whitespace` (the space is handled apart).
static ASCII_FOLDS_TO_ITSELF: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x80 {
        let c = b as u8;
        table[b] = !(c.is_ascii_uppercase() || c.is_ascii_whitespace());
        b += 1;
    }
    table
};

/// Whether an Arabic letter (U+0621..=U+063A, U+0641..=U+064A: two bytes,
/// D8 A1 ..= D9 8A) starts at `at`.
#[inline]
fn is_arabic_letter_at(bytes: &[u8], at: usize) -> bool {
    matches!(
        (bytes.get(at), bytes.get(at + 1)),
        (Some(0xD8), Some(0xA1..=0xBA)) | (Some(0xD9), Some(0x81..=0x8A))
    )
}

/// `Some(folded)` when `text` holds only [`nfkc_stable`] characters and
/// harakat (U+064B..=U+0652) in canonical order, `folded` saying whether
/// whitespace folding leaves it as it is (no whitespace but single spaces
/// between words). NFKC leaves such a text alone: the harakat have no
/// decomposition, compose with nothing and are NFKC_QC=Yes, and their
/// combining classes 27..=34 rise with the code point, so a run of them is
/// in canonical order when its code points do not decrease; that is what
/// `is_nfkc_quick` answers Yes to. `None` for any other text.
fn stable_line(text: &str) -> Option<bool> {
    let bytes = text.as_bytes();
    let mut last_mark = 0u32;
    let mut folded = true;
    let mut after_space = true;
    let mut at = 0;
    loop {
        // Most of a line: ASCII, single spaces and Arabic letters, 16 bytes
        // at a time; the character the scan stops at, below.
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        if let Some(&b) = bytes.get(at)
            && !(b == b' ' && after_space)
        {
            let end = wide::run_end(bytes, at);
            if end > at {
                last_mark = 0;
                after_space = bytes[end - 1] == b' ';
                at = end;
            }
        }
        let Some(&b) = bytes.get(at) else {
            break;
        };
        if b < 0x80 {
            last_mark = 0;
            if b == b' ' || (b'\t'..=b'\r').contains(&b) {
                folded &= b == b' ' && !after_space;
                after_space = true;
                at += 1;
            } else {
                // The rest of a word: a tight loop, nothing to track in it.
                at = ascii_word_end(bytes, at + 1);
                after_space = false;
            }
            continue;
        }
        // Arabic letters (two bytes, D8 A1 ..= D9 8A) straight from the bytes.
        if is_arabic_letter_at(bytes, at) {
            last_mark = 0;
            after_space = false;
            at += 2;
            while is_arabic_letter_at(bytes, at) {
                at += 2;
            }
            continue;
        }
        let c = text[at..].chars().next()?;
        if !stable_char(c, &mut last_mark) {
            return None;
        }
        // No non-ASCII stable character is whitespace.
        after_space = false;
        at += c.len_utf8();
    }
    // No trailing whitespace either.
    Some(folded && (!after_space || bytes.is_empty()))
}

/// Whether the non-ASCII `c` keeps a line in display form as
/// [`stable_line`] judges it: an [`nfkc_stable`] character, or a haraka
/// not below the one before it (`last_mark`, updated; 0 after anything
/// else).
fn stable_char(c: char, last_mark: &mut u32) -> bool {
    if nfkc_stable(c) {
        *last_mark = 0;
        true
    } else if ('\u{064B}'..='\u{0652}').contains(&c) {
        let keeps_order = c as u32 >= *last_mark;
        *last_mark = c as u32;
        keeps_order
    } else {
        false
    }
}

/// [`display_with_stats`] of an owned text, given back without a copy when
/// it is already in display form (most lines).
pub fn display_owned_with_stats(text: String) -> (String, DisplayStats) {
    if stable_line(&text) == Some(true) {
        return (text, DisplayStats::default());
    }
    display_with_stats(&text)
}

/// [`display_with_stats`], borrowing `text` when it is already in display
/// form (most lines).
pub fn display_cow_with_stats(text: &str) -> (std::borrow::Cow<'_, str>, DisplayStats) {
    if stable_line(text) == Some(true) {
        return (std::borrow::Cow::Borrowed(text), DisplayStats::default());
    }
    let (text, stats) = display_with_stats(text);
    (std::borrow::Cow::Owned(text), stats)
}

/// [`display_cow_with_stats`] of `text` and the [`matching`] form of that
/// display text. For a line already in display form (most lines) both come
/// from one walk over it, not one to check it and one to fold it.
pub fn display_and_matching_cow(text: &str) -> (std::borrow::Cow<'_, str>, DisplayStats, String) {
    let mut folded = String::with_capacity(text.len());
    if matching_if_display(text, &mut folded) {
        return (
            std::borrow::Cow::Borrowed(text),
            DisplayStats::default(),
            folded,
        );
    }
    // Not in display form (the walk said so): made so, not checked again.
    let (display, stats) = display_with_stats(text);
    folded.clear();
    matching_into(&display, &mut folded);
    (std::borrow::Cow::Owned(display), stats, folded)
}

/// [`display_and_matching_cow`] of an owned text, given back without a copy
/// when it is already in display form.
pub fn display_and_matching_owned(text: String) -> (String, DisplayStats, String) {
    let mut folded = String::with_capacity(text.len());
    if matching_if_display(&text, &mut folded) {
        return (text, DisplayStats::default(), folded);
    }
    // Not in display form (the walk said so): made so, not checked again.
    let (display, stats) = display_with_stats(&text);
    folded.clear();
    matching_into(&display, &mut folded);
    (display, stats, folded)
}

/// Whether `text` is in display form as [`stable_line`] tells it (`Some(true)`),
/// writing, while it finds out, [`matching`] of `text` into `out` (empty):
/// complete when the answer is yes, abandoned as soon as it is no. Walks as
/// [`matching_into`] walks, checking each character its runs leave out as
/// `stable_line` checks it (the runs' own characters are all stable, and
/// their spaces follow no whitespace).
fn matching_if_display(text: &str, out: &mut String) -> bool {
    let bytes = text.as_bytes();
    // Whether the matching form so far ends with a space (or is empty).
    let mut last_space = true;
    // Whether the text so far ends with a space (or is empty): as any other
    // whitespace ends the walk, only ever when `last_space` is too, so a
    // space that a run lets in (after no space in the matching form) also
    // follows none in the text.
    let mut after_space = true;
    // The last of a run of harakat, which must not decrease.
    let mut last_mark = 0u32;
    let mut at = 0;
    while at < bytes.len() {
        let end = fold_run(text, at, &mut last_space, out);
        if end > at {
            after_space = last_space;
            last_mark = 0;
            at = end;
            continue;
        }
        let b = bytes[at];
        if b < 0x80 {
            last_mark = 0;
            if b == b' ' || (b'\t'..=b'\r').contains(&b) {
                // Whitespace: one space between words, or not display form.
                if b != b' ' || after_space {
                    return false;
                }
                after_space = true;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
                at += 1;
                continue;
            }
            after_space = false;
        } else {
            after_space = false;
            if let Some(letter) = folded_letter(bytes, at) {
                // آ أ إ ة ى, stable letters.
                out.push_str(letter);
                last_space = false;
                last_mark = 0;
                at += 2;
                continue;
            }
        }
        let c = text[at..].chars().next().expect("at is a char boundary");
        if !c.is_ascii() && !stable_char(c, &mut last_mark) {
            return false;
        }
        push_folded(c, out, &mut last_space);
        at += c.len_utf8();
    }
    if after_space && !bytes.is_empty() {
        return false;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    true
}

/// The display form of `text` (see the crate docs).
pub fn display(text: &str) -> String {
    display_with_stats(text).0
}

/// The display form of `text` and what changed.
pub fn display_with_stats(text: &str) -> (String, DisplayStats) {
    let mut stats = DisplayStats::default();
    // Most lines hold only characters that no step but whitespace folding
    // touches (no invisible, no tatweel, nothing NFKC changes): one pass.
    match stable_line(text) {
        Some(true) => return (text.to_owned(), stats),
        Some(false) => {
            let folded = fold_whitespace(text);
            stats.whitespace = folded != text;
            return (folded, stats);
        }
        None => {}
    }
    let mut current = if text.chars().any(|c| c == TATWEEL || is_invisible(c)) {
        strip_invisible(text, &mut stats)
    } else {
        text.to_owned()
    };
    // NFKC can produce tatweel (U+FE71 → U+0640 U+064B) and removing a
    // character can let NFKC compose again: repeat until nothing changes.
    for _ in 0..4 {
        if current.chars().all(nfkc_stable) || is_nfkc_quick(current.chars()) == IsNormalized::Yes {
            break;
        }
        // A line of stable characters and spaces (a no-break space is what
        // most often brings a line here) composes character by character.
        let composed: String = if current.chars().all(|c| nfkc_stable(c) || nfkc_space(c)) {
            current
                .chars()
                .map(|c| if nfkc_space(c) { ' ' } else { c })
                .collect()
        } else {
            current.nfkc().collect()
        };
        if composed == current {
            break;
        }
        stats.nfkc = true;
        current = strip_invisible(&composed, &mut stats);
    }
    let folded = fold_whitespace(&current);
    if folded != current {
        stats.whitespace = true;
    }
    (folded, stats)
}

/// Runs of whitespace (`char::is_whitespace`) become one space; none at
/// either end.
fn fold_whitespace(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut folded = String::with_capacity(text.len());
    let mut word: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Only ASCII and the lead bytes C2 (U+0085, U+00A0), E1 (U+1680),
        // E2 (U+2000..U+205F) and E3 (U+3000) start a whitespace character;
        // any other byte (a continuation byte included) is inside a word.
        let space = if b < 0x80 {
            matches!(b, b'\t'..=b'\r' | b' ').then_some(1)
        } else if matches!(b, 0xC2 | 0xE1 | 0xE2 | 0xE3) {
            text[i..]
                .chars()
                .next()
                .filter(|c| c.is_whitespace())
                .map(char::len_utf8)
        } else {
            None
        };
        match space {
            Some(n) => {
                if let Some(start) = word.take() {
                    if !folded.is_empty() {
                        folded.push(' ');
                    }
                    folded.push_str(&text[start..i]);
                }
                i += n;
            }
            None => {
                word.get_or_insert(i);
                i += 1;
            }
        }
    }
    if let Some(start) = word {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(&text[start..]);
    }
    folded
}

/// Whether `c` is a letter or digit for tokenizing (after folding).
pub fn is_word_char(c: char) -> bool {
    // Fast paths for ASCII, the Arabic digits, Arabic punctuation and
    // guillemets, then those of [`is_letter`] (no digits in its blocks);
    // the general Unicode lookup is slow and this is called for every
    // character.
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    match c {
        '\u{0660}'..='\u{0669}' => true,
        '\u{060C}' | '\u{061B}' | '\u{061F}' | '\u{00AB}' | '\u{00BB}' => false,
        _ => known_letter(c).unwrap_or_else(|| c.is_alphanumeric()),
    }
}

/// `c.is_alphabetic()`, with the common scripts known without the Unicode
/// tables (tested to agree with them).
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    known_letter(c).unwrap_or_else(|| c.is_alphabetic())
}

/// Whether a non-ASCII `c` is a letter, where that is known by block: the
/// Arabic letters, accented Latin (but × and ÷), Cyrillic (but its sign and
/// combining marks), Hangul syllables, and the General Punctuation block
/// (dashes, curly quotes, ellipsis: no letter or digit). `None` elsewhere.
fn known_letter(c: char) -> Option<bool> {
    match c {
        '×' | '÷' => Some(false),
        '\u{0621}'..='\u{064A}'
        | '\u{00C0}'..='\u{024F}'
        | '\u{0400}'..='\u{0481}'
        | '\u{048A}'..='\u{052F}'
        | '\u{AC00}'..='\u{D7A3}' => Some(true),
        '\u{2000}'..='\u{206F}' => Some(false),
        _ => None,
    }
}

/// Whether a compatibility decomposition of `c` is worth doing per character
/// (presentation forms, ligatures, full-width forms, accented Latin).
fn decomposes(c: char) -> bool {
    matches!(c,
        '\u{00C0}'..='\u{024F}'
            | '\u{1E00}'..='\u{1EFF}'
            | '\u{FB00}'..='\u{FB06}'
            | '\u{FB50}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFC}'
            | '\u{FF01}'..='\u{FFEE}')
}

/// Folds one character into the matching form, calling `emit` for each
/// output character (zero, one or more).
fn fold_char(c: char, emit: &mut impl FnMut(char)) {
    match c {
        // The common case first: Arabic letters that fold to themselves.
        '\u{0621}'
        | '\u{0624}'
        | '\u{0626}'..='\u{0628}'
        | '\u{062A}'..='\u{063A}'
        | '\u{0641}'..='\u{0648}'
        | '\u{064A}' => emit(c),
        // Then the other characters news is full of that fold to
        // themselves, before the tests below find that out the long way.
        _ if plainly_folds_to_itself(c) => emit(c),
        _ if c.is_ascii() => {
            if c.is_ascii_whitespace() {
                emit(' ')
            } else {
                emit(c.to_ascii_lowercase())
            }
        }
        TATWEEL => {}
        _ if is_invisible(c) || is_arabic_mark(c) => {}
        '\u{0300}'..='\u{036F}' => {}
        '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' | '\u{0672}' | '\u{0673}' => {
            emit('\u{0627}')
        }
        '\u{0649}' | '\u{06CC}' => emit('\u{064A}'),
        '\u{06A9}' => emit('\u{0643}'),
        '\u{0629}' => emit('\u{0647}'),
        '\u{0660}'..='\u{0669}' => emit(char::from(b'0' + (c as u32 - 0x0660) as u8)),
        '\u{06F0}'..='\u{06F9}' => emit(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
        _ if c.is_whitespace() => emit(' '),
        _ if decomposes(c) => {
            let mut parts = Vec::with_capacity(4);
            unicode_normalization::char::decompose_compatible(c, |p| parts.push(p));
            if parts.len() == 1 && parts[0] == c {
                lower(c, emit);
            } else {
                for p in parts {
                    fold_char(p, emit);
                }
            }
        }
        _ => lower(c, emit),
    }
}

/// Punctuation (Arabic comma, semicolon and question mark, guillemets,
/// dashes, curly quotes, bullet), lower-case Cyrillic and Hangul syllables:
/// characters that [`fold_char`]'s general path (`lower`) gives back as
/// they are (tested).
fn plainly_folds_to_itself(c: char) -> bool {
    matches!(c,
        '\u{060C}' | '\u{061B}' | '\u{061F}' | '\u{00AB}' | '\u{00BB}'
        | '\u{2013}' | '\u{2014}' | '\u{2018}'..='\u{201F}' | '\u{2022}'
        | '\u{0430}'..='\u{045F}' | '\u{AC00}'..='\u{D7A3}')
}

/// Appends the matching form of `c` to `out`, a space only where `out`
/// does not end with one already (`last_space`, updated).
#[inline]
fn push_folded(c: char, out: &mut String, last_space: &mut bool) {
    fold_char(c, &mut |o| {
        if o == ' ' {
            if !*last_space {
                out.push(' ');
            }
            *last_space = true;
        } else {
            out.push(o);
            *last_space = false;
        }
    });
}

fn lower(c: char, emit: &mut impl FnMut(char)) {
    let mut lowered = c.to_lowercase();
    if lowered.len() == 1 && lowered.clone().next() == Some(c) {
        emit(c);
        return;
    }
    for l in lowered.by_ref() {
        if l == c { emit(l) } else { fold_char(l, emit) }
    }
}

/// Whether `c` attaches to the preceding character (a mark or tatweel), so
/// that a match ending before it still covers it in the display text.
fn attaches(c: char) -> bool {
    c == TATWEEL || is_arabic_mark(c) || ('\u{0300}'..='\u{036F}').contains(&c)
}

/// The matching form of `text` (see the crate docs).
pub fn matching(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    matching_into(text, &mut out);
    out
}

/// [`matching`] of `text` written into `out` (empty).
fn matching_into(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut last_space = true;
    let mut at = 0;
    while at < bytes.len() {
        // Runs of ASCII, spaces and Arabic letters fold many at a time.
        let end = fold_run(text, at, &mut last_space, out);
        if end > at {
            at = end;
            continue;
        }
        if bytes[at] == b' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            at += 1;
            continue;
        }
        if let Some(letter) = folded_letter(bytes, at) {
            out.push_str(letter);
            last_space = false;
            at += 2;
            continue;
        }
        let c = text[at..].chars().next().expect("at is a char boundary");
        push_folded(c, out, &mut last_space);
        at += c.len_utf8();
    }
    if out.ends_with(' ') {
        out.pop();
    }
}

/// Appends to `out` the matching form of a run from `at` (a char boundary)
/// of ASCII but whitespace, the two-byte Arabic letters and a space that
/// follows no space (`last_space`: whether the matching form so far ends
/// with one, updated to the run's end), each folding to one character of
/// its own length, and returns the run's end (a char boundary). Perhaps
/// short of the longest such run: the caller folds the character it stops
/// at like any other.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn fold_run(text: &str, at: usize, last_space: &mut bool, out: &mut String) -> usize {
    let bytes = text.as_bytes();
    match bytes.get(at) {
        None => return at,
        Some(b' ') if *last_space => return at,
        Some(_) => {}
    }
    let end = wide::fold_run(bytes, at, out);
    if end > at {
        *last_space = bytes[end - 1] == b' ';
    }
    end
}

/// [`fold_run`] of the characters that fold to themselves alone, copied,
/// where SSE2 is not.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn fold_run(text: &str, at: usize, last_space: &mut bool, out: &mut String) -> usize {
    let end = self_folding_run(text.as_bytes(), at, last_space);
    out.push_str(&text[at..end]);
    end
}

/// The end of the run of characters that `folds_to_itself` from `at` (a
/// char boundary) on, read byte by byte: ASCII other than capitals and
/// whitespace, the two-byte common Arabic letters, and a space that follows
/// no space (`last_space`: whether the output so far ends with one, updated
/// to the run's end). Always a char boundary. (What [`fold_run`] takes where
/// SSE2 is not; tested everywhere.)
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn self_folding_run(bytes: &[u8], mut at: usize, last_space: &mut bool) -> usize {
    while let Some(&b) = bytes.get(at) {
        if b < 0x80 {
            if b == b' ' {
                if *last_space {
                    break;
                }
                *last_space = true;
                at += 1;
                continue;
            }
            if !ASCII_FOLDS_TO_ITSELF[usize::from(b)] {
                break;
            }
            *last_space = false;
            at += 1;
            // The rest of the word: a tight loop.
            while let Some(&b) = bytes.get(at)
                && ASCII_FOLDS_TO_ITSELF[usize::from(b)]
            {
                at += 1;
            }
        } else if arabic_folds_to_itself_at(bytes, at) {
            *last_space = false;
            at += 2;
            while arabic_folds_to_itself_at(bytes, at) {
                at += 2;
            }
        } else {
            break;
        }
    }
    at
}

/// For each lead byte D8 and D9, bit `n`: whether the letter of that lead
/// and the second byte 0x80 + `n` folds to itself (the common Arabic
/// letters, as `folds_to_itself` tells).
const ARABIC_SELF_FOLDING: [u64; 2] = [self_folding_bits(0xD8), self_folding_bits(0xD9)];

const fn self_folding_bits(lead: u32) -> u64 {
    let mut bits = 0;
    let mut n = 0;
    while n < 64 {
        let c = (lead & 0x1F) << 6 | n;
        if matches!(c, 0x0621 | 0x0624 | 0x0626..=0x0628 | 0x062A..=0x063A | 0x0641..=0x0648 | 0x064A)
        {
            bits |= 1 << n;
        }
        n += 1;
    }
    bits
}

/// Whether the two-byte letter `lead` (D8 or D9), `next` folds to itself.
#[inline(always)]
fn arabic_folds_to_itself(lead: u8, next: u8) -> bool {
    ARABIC_SELF_FOLDING[usize::from(lead & 1)] >> (next & 0x3F) & 1 != 0
}

/// What [`fold_char`] makes of the common Arabic letters that fold to
/// another one, read from their bytes at `at`: the alef forms آ أ إ, teh
/// marbuta and alef maksura.
fn folded_letter(bytes: &[u8], at: usize) -> Option<&'static str> {
    match (bytes[at], bytes.get(at + 1)) {
        (0xD8, Some(0xA2 | 0xA3 | 0xA5)) => Some("\u{0627}"),
        (0xD8, Some(0xA9)) => Some("\u{0647}"),
        (0xD9, Some(0x89)) => Some("\u{064A}"),
        _ => None,
    }
}

/// Whether every character of `text` `folds_to_itself`, read byte by
/// byte (as [`self_folding_run`] reads, but with no space).
fn folds_to_itself_all(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        if b < 0x80 {
            if b.is_ascii_uppercase() || b.is_ascii_whitespace() {
                return false;
            }
            at += 1;
        } else if (b == 0xD8 || b == 0xD9)
            && let Some(&next) = bytes.get(at + 1)
            && arabic_folds_to_itself(b, next)
        {
            at += 2;
        } else {
            return false;
        }
    }
    true
}

/// Whether an Arabic letter that folds to itself starts at `at`.
#[inline(always)]
fn arabic_folds_to_itself_at(bytes: &[u8], at: usize) -> bool {
    match (bytes.get(at), bytes.get(at + 1)) {
        (Some(&lead @ (0xD8 | 0xD9)), Some(&next)) => arabic_folds_to_itself(lead, next),
        _ => false,
    }
}

/// [`matching`] of `text`, borrowed when folding would not change it (every
/// character folds to itself: lower-case ASCII without whitespace, the
/// common Arabic letters), so a word already in matching form costs no
/// allocation. Always equal to `matching(text)`.
pub fn matching_cow(text: &str) -> std::borrow::Cow<'_, str> {
    if folds_to_itself_all(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    // ASCII folds to lower case, whitespace to single spaces.
    if text.is_ascii() && !text.bytes().any(|b| b.is_ascii_whitespace()) {
        return std::borrow::Cow::Owned(text.to_ascii_lowercase());
    }
    std::borrow::Cow::Owned(matching(text))
}

/// [`matching`] of `text`: `text` itself when folding would not change it
/// (as [`matching_cow`] borrows), else the matching form written into
/// `scratch` (cleared first), so that folding many words allocates once.
pub fn matching_in<'t>(text: &'t str, scratch: &'t mut String) -> &'t str {
    if folds_to_itself_all(text) {
        return text;
    }
    scratch.clear();
    if text.is_ascii() && !text.bytes().any(|b| b.is_ascii_whitespace()) {
        scratch.push_str(text);
        scratch.make_ascii_lowercase();
    } else {
        matching_into(text, scratch);
    }
    scratch
}

/// Whether [`fold_char`] emits `c` itself: the common Arabic letters and
/// ASCII other than capitals and whitespace. (The rule that the byte
/// readers follow; the tests hold them to it.)
#[cfg(test)]
fn folds_to_itself(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_uppercase() || c.is_ascii_whitespace());
    }
    matches!(c,
        '\u{0621}'
        | '\u{0624}'
        | '\u{0626}'..='\u{0628}'
        | '\u{062A}'..='\u{063A}'
        | '\u{0641}'..='\u{0648}'
        | '\u{064A}')
}

/// A matching form with, for every one of its bytes, the byte range in the
/// source text of the character it came from.
///
/// Kept as segments, not per byte: most of the matching form is runs of
/// source characters each folded to one of its own length ([`fold_run`]:
/// ASCII, Arabic letters, single spaces), where one segment stands for the
/// whole run. Only the other characters, and those that a dropped mark
/// attaches to, get a segment of their own.
#[derive(Debug, Clone, Default)]
pub struct MatchingMap {
    /// The matching form (equal to [`matching`] of the source).
    pub text: String,
    /// In order of `out`; the first starts at 0. A segment runs to the next
    /// one's `out` (the last one to the end of `text`).
    segments: Vec<Segment>,
}

/// Where the bytes of the matching form from `out` on came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    /// First byte in the matching form.
    out: u32,
    /// First byte in the source.
    src: u32,
    /// [`COPIED`]: the bytes stand one for one for the source's from `src`
    /// on (a run that `fold_run` folded, each character to one of its own
    /// length). Otherwise they all came from the one source character
    /// `src..end` (with the marks that attach to it).
    end: u32,
}

/// [`Segment::end`] of a run folded byte for byte.
const COPIED: u32 = u32::MAX;

impl MatchingMap {
    /// Folds `source` and remembers where each output byte came from.
    pub fn new(source: &str) -> Self {
        let mut map = MatchingMap {
            text: String::with_capacity(source.len()),
            // A segment for every run of self-folding letters: sized for
            // the common case once, rather than regrown (and copied) a few
            // times per paragraph.
            segments: Vec::with_capacity(source.len() / 16 + 4),
        };
        let bytes = source.as_bytes();
        let mut last_space = true;
        let mut at = 0;
        while at < bytes.len() {
            // A run of characters that fold to one of their own length:
            // one segment for all of them.
            let out = map.text.len();
            let run_end = fold_run(source, at, &mut last_space, &mut map.text);
            if run_end > at {
                map.segments.push(Segment {
                    out: out as u32,
                    src: at as u32,
                    end: COPIED,
                });
                at = run_end;
                continue;
            }
            let c = source[at..].chars().next().expect("at is a char boundary");
            let next = at + c.len_utf8();
            let segment = Segment {
                out: map.text.len() as u32,
                src: at as u32,
                end: next as u32,
            };
            if c == ' ' {
                if !last_space {
                    map.segments.push(segment);
                    map.text.push(' ');
                    last_space = true;
                }
                at = next;
                continue;
            }
            push_folded(c, &mut map.text, &mut last_space);
            if map.text.len() > segment.out as usize {
                map.segments.push(segment);
            } else if attaches(c) && !last_space {
                // A dropped mark belongs to the character before it.
                map.attach_to_last(source, next as u32);
            }
            at = next;
        }
        if map.text.ends_with(' ') {
            map.text.pop();
            if map
                .segments
                .last()
                .is_some_and(|s| s.out as usize == map.text.len())
            {
                map.segments.pop();
            }
        }
        map
    }

    /// Stretches the source range of the last character of the matching
    /// form to `end` (a mark after it was dropped). The last character of a
    /// folded run is split off into a segment of its own first.
    fn attach_to_last(&mut self, source: &str, end: u32) {
        let Some(last) = self.segments.last_mut() else {
            return;
        };
        if last.end != COPIED {
            last.end = end;
            return;
        }
        // A folded run holds ASCII and two-byte Arabic letters only.
        let src_end = last.src as usize + (self.text.len() - last.out as usize);
        let n = if source.as_bytes()[src_end - 1] < 0x80 {
            1
        } else {
            2
        };
        let own = Segment {
            out: (self.text.len() - n) as u32,
            src: (src_end - n) as u32,
            end,
        };
        if own.out == last.out {
            *last = own;
        } else {
            self.segments.push(own);
        }
    }

    /// The segment holding byte `at` of the matching form (`at < text.len()`).
    fn segment(&self, at: usize) -> Segment {
        self.segments[self.segments.partition_point(|s| s.out as usize <= at) - 1]
    }

    /// Where the source character of matching byte `at` starts.
    fn src_start(&self, at: usize) -> usize {
        let segment = self.segment(at);
        if segment.end != COPIED {
            return segment.src as usize;
        }
        let mut at = at;
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        segment.src as usize + (at - segment.out as usize)
    }

    /// Where the source character of matching byte `at` ends (with the
    /// marks attached to it).
    fn src_end(&self, at: usize) -> usize {
        let segment = self.segment(at);
        if segment.end != COPIED {
            return segment.end as usize;
        }
        let mut at = at + 1;
        while !self.text.is_char_boundary(at) {
            at += 1;
        }
        segment.src as usize + (at - segment.out as usize)
    }

    /// Runs `scan` over a paragraph's matching form (`matching`, as the
    /// arabic normalizer stored it, or made from `display` when empty) and,
    /// when `scan` pushed anything onto `out`, returns the map from those
    /// offsets back into `display`. The map is built only then (most
    /// paragraphs match nothing); a stored form that is not `display`'s
    /// (stale) is replaced by a fresh one and scanned again.
    pub fn scan_paragraph<T>(
        display: &str,
        matching: &str,
        out: &mut Vec<T>,
        mut scan: impl FnMut(&str, &mut Vec<T>),
    ) -> Option<MatchingMap> {
        let before = out.len();
        if !matching.is_empty() {
            scan(matching, out);
            if out.len() == before {
                return None;
            }
        }
        let map = MatchingMap::new(display);
        if map.text != matching {
            out.truncate(before);
            scan(&map.text, out);
        }
        (out.len() > before).then_some(map)
    }

    /// The source byte range of the matching byte range `start..end`
    /// (`start < end`, both on character boundaries of the matching form).
    pub fn source_range(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= end || end > self.text.len() {
            return (0, 0);
        }
        (self.src_start(start), self.src_end(end - 1))
    }
}

/// Byte ranges of the words (runs of letters and digits) of a folded text.
pub fn word_ranges(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = loop {
            let (word, n) = word_char_at(text, at)?;
            if word {
                break at;
            }
            at += n;
        };
        while let Some((true, n)) = word_char_at(text, at) {
            at += n;
        }
        Some((start, at))
    })
}

/// Whether the character at byte `at` (a char boundary) is a word
/// character ([`is_word_char`]), and its length; `None` at the end. ASCII
/// and the two-byte Arabic letters and digits (U+0621..=U+063F are D8
/// A1..=BF, U+0640..=U+064A are D9 80..=8A, U+0660..=U+0669 are D9
/// A0..=A9) are read from the bytes: the plugins' word scanners call it for
/// every character.
#[inline(always)]
pub fn word_char_at(text: &str, at: usize) -> Option<(bool, usize)> {
    let bytes = text.as_bytes();
    let b = *bytes.get(at)?;
    if b < 0x80 {
        return Some((ASCII_LETTER_OR_DIGIT[usize::from(b)], 1));
    }
    if let Some(&next) = bytes.get(at + 1)
        && ((b == 0xD8 && next >= 0xA1)
            || (b == 0xD9 && (next <= 0x8A || (0xA0..=0xA9).contains(&next))))
    {
        return Some((true, 2));
    }
    Some(other_char_at(text, at))
}

/// [`word_char_at`] of any other character (out of line: rare).
#[inline(never)]
fn other_char_at(text: &str, at: usize) -> (bool, usize) {
    let c = text[at..].chars().next().expect("a character");
    (is_word_char(c), c.len_utf8())
}

/// Whether the text is mostly in the Arabic script (by letters).
pub fn is_mostly_arabic(text: &str) -> bool {
    let (mut arabic, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c) {
            arabic += 1;
        }
    }
    letters > 0 && arabic * 2 > letters
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `word_char_at` reads from the bytes is what `is_word_char`
    /// says, for every character.
    #[test]
    fn word_char_at_agrees_with_is_word_char() {
        for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let text = c.to_string();
            assert_eq!(
                word_char_at(&text, 0),
                Some((is_word_char(c), c.len_utf8())),
                "{c:?} U+{:04X}",
                c as u32
            );
        }
    }

    /// The byte tables say of every character what the character tests
    /// they stand for say.
    #[test]
    fn the_byte_tables_agree_with_the_character_tests() {
        for c in (0..=0x07FFu32).filter_map(char::from_u32) {
            let mut bytes = [0u8; 4];
            let encoded = c.encode_utf8(&mut bytes).as_bytes();
            let folds_to_itself = matches!(
                c as u32,
                0x0621 | 0x0624 | 0x0626..=0x0628 | 0x062A..=0x063A | 0x0641..=0x0648 | 0x064A
            );
            assert_eq!(
                arabic_folds_to_itself_at(encoded, 0),
                folds_to_itself,
                "{c:?}"
            );
            assert_eq!(
                is_arabic_letter_at(encoded, 0),
                matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}'),
                "{c:?}"
            );
            if c.is_ascii() {
                let b = c as u8;
                assert_eq!(ASCII_NOT_SPACE[usize::from(b)], !c.is_whitespace(), "{c:?}");
                assert_eq!(
                    ASCII_FOLDS_TO_ITSELF[usize::from(b)],
                    !(b.is_ascii_uppercase() || b.is_ascii_whitespace()),
                    "{c:?}"
                );
            } else {
                assert!(!ASCII_NOT_SPACE[usize::from(encoded[0])]);
                assert!(!ASCII_FOLDS_TO_ITSELF[usize::from(encoded[0])]);
            }
        }
    }

    /// The one-pass path is sound: every character it accepts is a starter
    /// that NFKC maps to itself, so a line of them alone is already NFKC
    /// (composition and reordering need a combining mark, which it refuses).
    #[test]
    fn the_fast_path_accepts_only_nfkc_stable_starters() {
        for c in (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| nfkc_stable(c))
        {
            let alone = c.to_string();
            assert_eq!(alone.nfkc().collect::<String>(), alone, "{c:?}");
            assert_eq!(
                unicode_normalization::char::canonical_combining_class(c),
                0,
                "{c:?}"
            );
            assert!(!is_invisible(c) && c != TATWEEL, "{c:?}");
            assert!(c.is_ascii() || !c.is_whitespace(), "{c:?}");
        }
        // Nor is any of them the second of a canonical pair: every
        // character but the first of each canonical decomposition.
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut parts = Vec::new();
            unicode_normalization::char::decompose_canonical(c, |p| parts.push(p));
            for &later in parts.iter().skip(1) {
                assert!(
                    !nfkc_stable(later),
                    "{later:?} in the decomposition of {c:?}"
                );
            }
        }
    }

    #[test]
    fn the_spaces_nfkc_makes_plain_are_those() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let alone = c.to_string();
            let plain = c != ' ' && alone.nfkc().collect::<String>() == " ";
            assert_eq!(nfkc_space(c), plain, "{c:?}");
        }
    }

    /// The fast paths of `is_word_char` agree with the Unicode tables.
    #[test]
    fn word_chars_are_the_alphanumeric_characters() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    /// The fast paths of `is_letter` agree with the Unicode tables.
    #[test]
    fn letters_are_the_alphabetic_characters() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(is_letter(c), c.is_alphabetic(), "{c:?}");
        }
    }

    /// The slice-copy path of `matching` agrees with `fold_char`.
    #[test]
    fn characters_copied_as_they_are_fold_to_themselves() {
        for c in (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| folds_to_itself(c))
        {
            let mut out = Vec::new();
            fold_char(c, &mut |o| out.push(o));
            assert_eq!(out, [c], "{c:?}");
        }
    }

    /// What `fold_char` emits at once for `plainly_folds_to_itself` is
    /// what its general path would: none of them is whitespace, invisible,
    /// a mark, decomposed, or a letter with an arm of its own, and `lower`
    /// gives each back.
    #[test]
    fn plain_characters_fold_to_themselves_the_long_way_too() {
        for c in (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| plainly_folds_to_itself(c))
        {
            assert!(!c.is_ascii() && !c.is_whitespace() && c != TATWEEL, "{c:?}");
            assert!(
                !is_invisible(c) && !is_arabic_mark(c) && !decomposes(c),
                "{c:?}"
            );
            assert!(!('\u{0300}'..='\u{036F}').contains(&c), "{c:?}");
            assert!(
                !matches!(c, '\u{0621}'..='\u{064A}' | '\u{0660}'..='\u{0673}' | '\u{06A9}' | '\u{06CC}' | '\u{06F0}'..='\u{06F9}'),
                "{c:?}"
            );
            let mut out = Vec::new();
            lower(c, &mut |o| out.push(o));
            assert_eq!(out, [c], "{c:?}");
        }
    }

    /// The bits read for the two-byte letters say what `folds_to_itself` says.
    #[test]
    fn the_two_byte_letters_fold_to_themselves_by_their_bits() {
        for c in ('\u{0600}'..='\u{067F}').map(|c| c.to_string()) {
            let b = c.as_bytes();
            let ch = c.chars().next().expect("one char");
            assert_eq!(
                arabic_folds_to_itself(b[0], b[1]),
                folds_to_itself(ch),
                "{c}"
            );
        }
    }

    /// Found by `cargo fuzz run arabic`: tatweels between combining marks,
    /// judged by their immediate neighbours, changed fate when NFKC
    /// reordered the marks, so display was not idempotent.
    #[test]
    fn display_is_stable_when_tatweels_separate_marks() {
        let text = "\u{2055}\u{327F}\u{336}\u{0}/\u{340}\u{640}\u{35F}\u{640}\u{35F}\u{640}\u{35F}\u{640}\u{35F}\u{655}";
        let once = display(text);
        assert_eq!(display(&once), once);
        assert_eq!(once.nfkc().collect::<String>(), once);
    }

    /// A paragraph that matches nothing gets no map; a match gets one; a
    /// stale stored form is replaced by the fresh one and scanned again.
    #[test]
    fn scan_paragraph_builds_the_map_only_for_a_match() {
        let words = |text: &str, out: &mut Vec<String>| {
            out.extend(
                text.split(' ')
                    .filter(|w| w.starts_with('ك'))
                    .map(str::to_owned),
            );
        };
        let mut out = Vec::new();
        assert!(MatchingMap::scan_paragraph("بيونغ يانغ", "بيونغ يانغ", &mut out, words).is_none());
        let map = MatchingMap::scan_paragraph("زار كيـم", "زار كيم", &mut out, words).unwrap();
        assert_eq!(
            (out.as_slice(), map.source_range(7, 13)),
            (["كيم".to_owned()].as_slice(), (7, 15))
        );
        out.clear();
        let map = MatchingMap::scan_paragraph("زار كيـم", "stale كذا", &mut out, words).unwrap();
        assert_eq!(
            (out.as_slice(), map.text.as_str()),
            (["كيم".to_owned()].as_slice(), "زار كيم")
        );
    }

    #[test]
    fn display_keeps_meaning_and_digits() {
        assert_eq!(display("ﻻ"), "لا");
        assert_eq!(display("كـــوريا"), "كوريا");
        assert_eq!(display("الـ70 بـ”العملية”"), "ال70 ب”العملية”");
        // Tatweel touching no letter is a dash or a bullet: it stays.
        assert_eq!(display("كوريا ــ والتحقق"), "كوريا ــ والتحقق");
        assert_eq!(display("ـ كوريا"), "ـ كوريا");
        assert_eq!(display("\u{200F}بوتين\u{200E} \u{200C}قال"), "بوتين قال");
        assert_eq!(display("\u{FEFF}  a \t\u{00A0} b  "), "a b");
        assert_eq!(display("soft\u{00AD}ware"), "software");
        assert_eq!(display("عام ٢٠٢٤ و۱۴۰۳"), "عام ٢٠٢٤ و۱۴۰۳");
        // Diacritics and letter variants stay in the display form.
        assert_eq!(display("إِنَّ مُدَرِّسَةً"), "إِنَّ مُدَرِّسَةً");
    }

    #[test]
    fn matching_folds_variants_marks_and_digits() {
        assert_eq!(matching("إِنَّ أحمد آمن ٱلله"), "ان احمد امن الله");
        assert_eq!(matching("مستشفى مدرسة"), "مستشفي مدرسه");
        assert_eq!(matching("ﻻ ی ک"), "لا ي ك");
        assert_eq!(matching("٢٠٢٤ ۱۴۰۳"), "2024 1403");
        assert_eq!(matching("Kim Jong Un, Erdoğan"), "kim jong un, erdogan");
        assert_eq!(matching("  a\u{200F}  b "), "a b");
    }

    #[test]
    fn map_points_back_into_the_display_text() {
        let display = "قال الرئيسُ بوتينُ: «نعم»";
        let map = MatchingMap::new(display);
        assert_eq!(map.text, matching(display));
        let at = map.text.find("بوتين").unwrap();
        let (s, e) = map.source_range(at, at + "بوتين".len());
        assert_eq!(&display[s..e], "بوتينُ");
        let at = map.text.find("الرئيس").unwrap();
        let (s, e) = map.source_range(at, at + "الرئيس".len());
        assert_eq!(&display[s..e], "الرئيسُ");
    }

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        let text = "قال، بوتين: 24 ok.";
        let words: Vec<&str> = word_ranges(text).map(|(s, e)| &text[s..e]).collect();
        assert_eq!(words, ["قال", "بوتين", "24", "ok"]);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// The map's source range of every byte of its matching form, as
        /// the reference keeps them.
        fn per_byte(map: &MatchingMap) -> (Vec<u32>, Vec<u32>) {
            (0..map.text.len())
                .map(|at| (map.src_start(at) as u32, map.src_end(at) as u32))
                .unzip()
        }

        /// Lines of the common kind (Arabic words with harakat, single
        /// spaces) and their near misses.
        fn plain() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop::sample::select(vec![
                    'ك', 'ي', 'م', 'ا', 'ة', '،', ' ', ' ', ' ', '\t', '\u{000B}', '\u{00A0}', 'a',
                    'Z', '.', '\u{064B}', '\u{064E}', '\u{0650}', '\u{0651}', '\u{0652}',
                    '\u{0653}', '\u{0670}', '«', '“', '—', '\u{2003}',
                ]),
                0..30,
            )
            .prop_map(|cs| cs.into_iter().collect())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            #[test]
            fn plain_lines_agree_with_the_reference(text in plain()) {
                prop_assert_eq!(display_owned_with_stats(text.clone()), reference::display_with_stats(&text));
                agrees_with_the_reference(&text)?;
            }
        }

        /// The display form, the matching form and its map of `text` are the
        /// reference implementations'.
        fn agrees_with_the_reference(text: &str) -> Result<(), TestCaseError> {
            prop_assert_eq!(
                display_with_stats(text),
                reference::display_with_stats(text)
            );
            let (cow, stats) = display_cow_with_stats(text);
            prop_assert_eq!(
                (cow.into_owned(), stats),
                reference::display_with_stats(text)
            );
            prop_assert_eq!(matching(text), reference::matching(text));
            let (map, old) = (MatchingMap::new(text), reference::MatchingMap::new(text));
            prop_assert_eq!(&map.text, &old.text);
            prop_assert_eq!(per_byte(&map), (old.src_start, old.src_end));
            Ok(())
        }

        /// The implementations before the byte-level fast paths.
        mod reference {
            use super::super::*;

            pub fn display_with_stats(text: &str) -> (String, DisplayStats) {
                let mut stats = DisplayStats::default();
                if text.chars().all(nfkc_stable) {
                    let folded = fold_whitespace(text);
                    stats.whitespace = folded != text;
                    return (folded, stats);
                }
                let mut current = if text.chars().any(|c| c == TATWEEL || is_invisible(c)) {
                    strip_invisible(text, &mut stats)
                } else {
                    text.to_owned()
                };
                for _ in 0..4 {
                    if current.chars().all(nfkc_stable)
                        || is_nfkc_quick(current.chars()) == IsNormalized::Yes
                    {
                        break;
                    }
                    let composed: String = current.nfkc().collect();
                    if composed == current {
                        break;
                    }
                    stats.nfkc = true;
                    current = strip_invisible(&composed, &mut stats);
                }
                let folded = fold_whitespace(&current);
                if folded != current {
                    stats.whitespace = true;
                }
                (folded, stats)
            }

            pub fn fold_whitespace(text: &str) -> String {
                let mut folded = String::with_capacity(text.len());
                for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
                    if !folded.is_empty() {
                        folded.push(' ');
                    }
                    folded.push_str(word);
                }
                folded
            }

            pub fn matching(text: &str) -> String {
                let mut out = String::with_capacity(text.len());
                let mut last_space = true;
                let mut run: Option<usize> = None;
                for (at, c) in text.char_indices() {
                    if folds_to_itself(c) {
                        run.get_or_insert(at);
                        continue;
                    }
                    if let Some(start) = run.take() {
                        out.push_str(&text[start..at]);
                        last_space = false;
                    }
                    fold_char(c, &mut |o| {
                        if o == ' ' {
                            if !last_space {
                                out.push(' ');
                            }
                            last_space = true;
                        } else {
                            out.push(o);
                            last_space = false;
                        }
                    });
                }
                if let Some(start) = run {
                    out.push_str(&text[start..]);
                }
                if out.ends_with(' ') {
                    out.pop();
                }
                out
            }

            pub fn word_ranges(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
                let mut chars = text.char_indices().peekable();
                std::iter::from_fn(move || {
                    let (start, _) = loop {
                        let (i, c) = chars.next()?;
                        if c.is_alphanumeric() {
                            break (i, c);
                        }
                    };
                    let mut end = text.len();
                    while let Some(&(i, c)) = chars.peek() {
                        if !c.is_alphanumeric() {
                            end = i;
                            break;
                        }
                        chars.next();
                    }
                    Some((start, end))
                })
            }

            pub struct MatchingMap {
                pub text: String,
                pub src_start: Vec<u32>,
                pub src_end: Vec<u32>,
            }

            impl MatchingMap {
                pub fn new(source: &str) -> Self {
                    let mut map = MatchingMap {
                        text: String::new(),
                        src_start: Vec::new(),
                        src_end: Vec::new(),
                    };
                    let mut last_space = true;
                    for (at, c) in source.char_indices() {
                        let end = (at + c.len_utf8()) as u32;
                        let before = map.text.len();
                        fold_char(c, &mut |o| {
                            if o == ' ' {
                                if last_space {
                                    return;
                                }
                                last_space = true;
                            } else {
                                last_space = false;
                            }
                            let n = o.len_utf8();
                            map.text.push(o);
                            for _ in 0..n {
                                map.src_start.push(at as u32);
                                map.src_end.push(end);
                            }
                        });
                        if map.text.len() == before && attaches(c) && !last_space {
                            let prev_start = map.src_start.last().copied();
                            if let Some(prev_start) = prev_start {
                                let mut i = map.src_end.len();
                                while i > 0 && map.src_start[i - 1] == prev_start {
                                    map.src_end[i - 1] = end;
                                    i -= 1;
                                }
                            }
                        }
                    }
                    if map.text.ends_with(' ') {
                        map.text.pop();
                        map.src_start.pop();
                        map.src_end.pop();
                    }
                    map
                }
            }
        }

        fn mixed() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    4 => prop::sample::select(vec![
                        'ك', 'ي', 'م', 'ا', 'أ', 'إ', 'آ', 'ٱ', 'ى', 'ة', 'ی', 'ک', 'ـ', 'ً', 'ُ', 'ّ', 'ٰ', 'ۖ',
                        '\u{0654}', '\u{0655}', '\u{0653}', 'ﻻ', 'ﷲ', '\u{FE71}', '\u{FE70}', '\u{FE77}',
                        '٣', '۴', ' ', '\u{00A0}', '\t', '\u{200C}', '\u{200D}', '\u{200F}', '\u{061C}',
                        '\u{FEFF}', '\u{00AD}', '\u{202B}', 'a', 'A', 'É', 'e', '\u{0301}', 'İ', 'ß', 'ﬁ', 'Ａ', '①',
                        '\u{064B}', '\u{064E}', '\u{0650}', '\u{0651}', '\u{0652}', '\n', '\r', '\u{000B}',
                        '\u{0085}', '\u{1680}', '\u{2003}', '\u{2028}', '\u{205F}', '\u{3000}', '\u{00C2}',
                        '\u{2022}', '\u{201C}', '،', 'ب', 'ش', 'ؤ', 'ئ', 'Z', '7', '.',
                        'ã', 'ÿ', 'Ĳ', 'ſ', 'Й', '가', '\u{202F}', '\u{3000}', '²',
                    ]),
                    1 => any::<char>(),
                ],
                0..40,
            )
            .prop_map(|cs| cs.into_iter().collect())
        }

        /// Long lines, mostly runs of common letters and single spaces (as
        /// news is), broken now and then by what the runs leave out.
        fn long_lines() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    12 => prop::sample::select(vec![
                        'ك', 'ي', 'م', 'ا', 'ل', 'ب', 'ت', 'ر', 'و', 'ن', 'ء', 'ؤ', 'ئ', 'غ', 'ف', 'ه',
                        'a', 'e', 'z', '7', '.', ',', '!', '~', '\u{7F}', ' ', ' ', ' ', ' ',
                    ]),
                    3 => prop::sample::select(vec![
                        'A', 'Z', 'K', 'أ', 'إ', 'آ', 'ة', 'ى', 'ٱ', 'ی', 'ک', 'ـ', '\u{064B}',
                        '\u{064E}', '\u{0650}', '\u{0651}', '\u{0652}', '\u{0670}', '\u{063B}',
                        '\u{063F}', '\u{0620}', '\u{064C}', '\u{0660}', '،', '؟', '«', '»', '\u{00A0}',
                        '\u{2003}', '\u{200F}', '“', '—', 'É', 'ß', 'ﻻ', 'Й', '가',
                    ]),
                    1 => prop::sample::select(vec!['\t', '\n', '\r', '\u{000B}', '\u{0001}', '\u{001F}', '\0']),
                    1 => any::<char>(),
                ],
                0..120,
            )
            .prop_map(|cs| cs.into_iter().collect())
        }

        /// `stable_line` char by char: `nfkc_stable` characters and runs of
        /// harakat in code point order, and whether whitespace folding
        /// leaves the text as it is.
        fn stable_line_reference(text: &str) -> Option<bool> {
            let mut last_mark = 0;
            for c in text.chars() {
                if ('\u{064B}'..='\u{0652}').contains(&c) {
                    if (c as u32) < last_mark {
                        return None;
                    }
                    last_mark = c as u32;
                } else if nfkc_stable(c) {
                    last_mark = 0;
                } else {
                    return None;
                }
            }
            Some(reference::fold_whitespace(text) == text)
        }

        /// The longest run `fold_run` may take from `at`, character by
        /// character: ASCII but whitespace, the Arabic letters, and spaces
        /// after no space.
        fn fold_run_reference(text: &str, at: usize, mut last_space: bool) -> usize {
            let mut end = at;
            for c in text[at..].chars() {
                if c == ' ' {
                    if last_space {
                        break;
                    }
                    last_space = true;
                } else if (c.is_ascii() && !c.is_ascii_whitespace() && c != '\u{000B}')
                    || matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}')
                {
                    last_space = false;
                } else {
                    break;
                }
                end += c.len_utf8();
            }
            end
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn display_is_idempotent(text in mixed()) {
                let once = display(&text);
                prop_assert_eq!(display(&once), once);
            }

            #[test]
            fn matching_is_idempotent(text in mixed()) {
                let once = matching(&display(&text));
                prop_assert_eq!(matching(&once), once.clone());
                prop_assert_eq!(matching(&display(&once)), once);
            }

            #[test]
            fn map_agrees_with_matching_and_stays_in_bounds(text in mixed()) {
                let map = MatchingMap::new(&text);
                prop_assert_eq!(&map.text, &matching(&text));
                for (s, e) in word_ranges(&map.text) {
                    let (ds, de) = map.source_range(s, e);
                    prop_assert!(ds < de && de <= text.len());
                    prop_assert!(text.is_char_boundary(ds) && text.is_char_boundary(de));
                    let source = matching(&text[ds..de]);
                    // One character can fold to several words (ﷺ); a word of
                    // them maps back to all of that character.
                    let phrase = |c: char| matching(c.encode_utf8(&mut [0; 4])).contains(' ');
                    if text[ds..de].chars().any(phrase) {
                        prop_assert!(source.contains(&map.text[s..e]));
                    } else {
                        prop_assert_eq!(source, map.text[s..e].to_owned());
                    }
                }
            }

            /// The byte-level rewrites agree with the char-by-char versions
            /// they replaced.
            #[test]
            fn fast_paths_agree_with_the_reference(text in mixed()) {
                prop_assert_eq!(display_with_stats(&text), reference::display_with_stats(&text));
                prop_assert_eq!(display_owned_with_stats(text.clone()), reference::display_with_stats(&text));
                let (cow, stats) = display_cow_with_stats(&text);
                prop_assert_eq!((cow.into_owned(), stats), reference::display_with_stats(&text));
                prop_assert_eq!(fold_whitespace(&text), reference::fold_whitespace(&text));
                prop_assert_eq!(matching(&text), reference::matching(&text));
                let (map, old) = (MatchingMap::new(&text), reference::MatchingMap::new(&text));
                prop_assert_eq!(&map.text, &old.text);
                prop_assert_eq!(per_byte(&map), (old.src_start, old.src_end));
                prop_assert_eq!(
                    word_ranges(&text).collect::<Vec<_>>(),
                    reference::word_ranges(&text).collect::<Vec<_>>()
                );
            }

            /// On long lines too, where the SSE2 scans take 16 bytes at a
            /// time, and cross from one chunk into the next.
            #[test]
            fn fast_paths_agree_with_the_reference_on_long_lines(text in long_lines()) {
                agrees_with_the_reference(&text)?;
            }

            /// `stable_line` says what its definition, char by char, says.
            #[test]
            fn stable_line_agrees_with_the_character_rule(text in long_lines(), plain in plain(), mixed in mixed()) {
                for text in [text, plain, mixed] {
                    prop_assert_eq!(stable_line(&text), stable_line_reference(&text), "{:?}", text);
                }
            }

            /// The one walk that checks a line and folds it says what
            /// `stable_line` says and, when yes, gives `matching`; the
            /// display and matching forms it makes are the reference's.
            #[test]
            fn one_walk_gives_display_and_matching(text in long_lines(), plain in plain(), mixed in mixed()) {
                for text in [text, plain, mixed] {
                    let mut out = String::new();
                    let display_form = matching_if_display(&text, &mut out);
                    prop_assert_eq!(display_form, stable_line_reference(&text) == Some(true), "{:?}", text);
                    if display_form {
                        prop_assert_eq!(&out, &reference::matching(&text));
                    }
                    let (display, stats) = reference::display_with_stats(&text);
                    let folded = reference::matching(&display);
                    let (cow, cow_stats, cow_folded) = display_and_matching_cow(&text);
                    prop_assert_eq!(
                        (cow.into_owned(), cow_stats, cow_folded),
                        (display.clone(), stats, folded.clone())
                    );
                    prop_assert_eq!(display_and_matching_owned(text.clone()), (display, stats, folded));
                }
            }

            /// `fold_run` takes what the character rule takes, from every
            /// char boundary (but perhaps not past an ASCII control
            /// character), and appends what `fold_char` makes of it.
            #[test]
            fn fold_runs_agree_with_fold_char(text in long_lines()) {
                let bytes = text.as_bytes();
                let controls = bytes.iter().any(|&b| b < 0x20);
                let whole = cfg!(all(target_arch = "x86_64", target_feature = "sse2"));
                for at in (0..=text.len()).filter(|&at| text.is_char_boundary(at)) {
                    for last_space in [false, true] {
                        if at > 0 && bytes[at - 1] == b' ' && !last_space {
                            continue;
                        }
                        let mut state = last_space;
                        let mut out = String::from("Left Over ");
                        let end = fold_run(&text, at, &mut state, &mut out);
                        let longest = fold_run_reference(&text, at, last_space);
                        prop_assert!(at <= end && end <= longest && text.is_char_boundary(end));
                        if whole && !controls {
                            prop_assert_eq!(end, longest, "from {}", at);
                        }
                        let mut folded = String::from("Left Over ");
                        for c in text[at..end].chars() {
                            fold_char(c, &mut |o| folded.push(o));
                        }
                        prop_assert_eq!(out, folded);
                        let after = if end > at { bytes[end - 1] == b' ' } else { last_space };
                        prop_assert_eq!(state, after);
                    }
                }
            }

            /// The byte walker of the runs that fold to themselves takes
            /// what the character rule takes.
            #[test]
            fn self_folding_runs_agree_with_the_character_rule(text in long_lines()) {
                let bytes = text.as_bytes();
                for at in (0..=text.len()).filter(|&at| text.is_char_boundary(at)) {
                    for last_space in [false, true] {
                        let mut state = last_space;
                        let end = self_folding_run(bytes, at, &mut state);
                        let mut longest = at;
                        let mut space = last_space;
                        for c in text[at..].chars() {
                            if c == ' ' && !space {
                                space = true;
                            } else if c != ' ' && folds_to_itself(c) {
                                space = false;
                            } else {
                                break;
                            }
                            longest += c.len_utf8();
                        }
                        prop_assert_eq!((end, state), (longest, space), "from {}", at);
                    }
                }
            }

            #[test]
            fn matching_cow_equals_matching(text in mixed()) {
                prop_assert_eq!(matching_cow(&text).into_owned(), matching(&text));
                for (s, e) in word_ranges(&text) {
                    let word = &text[s..e];
                    prop_assert_eq!(matching_cow(word).into_owned(), matching(word));
                }
            }

            /// With one scratch string for every word, as keywords folds.
            #[test]
            fn matching_in_equals_matching(text in mixed()) {
                let mut scratch = String::from("Left Over");
                prop_assert_eq!(matching_in(&text, &mut scratch), matching(&text));
                for (s, e) in word_ranges(&text) {
                    let word = &text[s..e];
                    prop_assert_eq!(matching_in(word, &mut scratch), matching(word));
                }
            }
        }
    }
}
