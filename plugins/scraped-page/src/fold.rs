//! The fold used for phrase matching, duplicate detection and stopwords.
//! Standard library only: the build script folds the stopword lists with it.

/// Fold a string for phrase matching: lowercase, Arabic diacritics and tatweel
/// dropped, alef/yeh/teh-marbuta variants unified, every run of non-word
/// characters collapsed to one space, trimmed. A line made of symbols only
/// (×, ☰, ©, …) folds to its symbols, whitespace-collapsed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(&mut out, s);
    out
}

/// Appends [`fold`]`(s)` to `out` (the lines of a page folded into one
/// buffer take one allocation, not one each).
pub fn fold_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    // Where this fold starts in `out`: "empty" below is relative to it.
    let start = out.len();
    let mut space = false;
    let push = |out: &mut String, c: char, space: &mut bool| {
        if *space && out.len() > start {
            out.push(' ');
        }
        *space = false;
        out.push(c);
    };
    // Runs of characters that fold to themselves (ASCII letters and digits,
    // lowercased with the rest of the output at the end; Arabic letters
    // without variants) are copied whole: `run` is where the current one
    // starts.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if LEAD[usize::from(b)] == ASCII_SAME {
            // A run of ASCII letters and digits (most bytes of most lines),
            // and single spaces between them, in a loop of its own.
            i += 1;
            while let Some(&b) = bytes.get(i) {
                if LEAD[usize::from(b)] == ASCII_SAME {
                    i += 1;
                } else if b == b' '
                    && bytes
                        .get(i + 1)
                        .is_some_and(|&n| LEAD[usize::from(n)] == ASCII_SAME)
                {
                    i += 2;
                } else {
                    break;
                }
            }
            continue;
        }
        if verbatim_len(bytes, i) == 2 {
            // The same for Arabic letters that fold to themselves.
            i += 2;
            loop {
                match bytes.get(i) {
                    Some(&(0xD8 | 0xD9)) if verbatim_len(bytes, i) == 2 => i += 2,
                    Some(b' ') if verbatim_len(bytes, i + 1) > 0 => i += 1,
                    _ => break,
                }
            }
            continue;
        }
        let same = verbatim_len(bytes, i);
        if same > 0 {
            i += same;
            continue;
        }
        // One space between two such characters folds to itself too.
        if b == b' ' && run < i && verbatim_len(bytes, i + 1) > 0 {
            i += 1;
            continue;
        }
        if run < i {
            if space && out.len() > start {
                out.push(' ');
            }
            space = false;
            out.push_str(&s[run..i]);
        }
        if b.is_ascii() {
            space = true;
            i += 1;
        } else {
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            i += c.len_utf8();
            match fold_char(c) {
                Folded::Dropped => {}
                Folded::Char(c) => push(out, c, &mut space),
                Folded::Separator => space = true,
                Folded::Lowercase => {
                    for l in c.to_lowercase() {
                        push(out, l, &mut space);
                    }
                }
            }
        }
        run = i;
    }
    if run < bytes.len() {
        if space && out.len() > start {
            out.push(' ');
        }
        out.push_str(&s[run..]);
    }
    if out.len() == start {
        // A line of symbols only ("×", "☰", "|"): keep its symbols.
        for (k, symbols) in s.split_whitespace().enumerate() {
            if k > 0 {
                out.push(' ');
            }
            out.push_str(symbols);
        }
        return;
    }
    // Only the ASCII letters copied in runs can be uppercase ASCII: every
    // other character pushed is already lowercase.
    out[start..].make_ascii_lowercase();
}

/// Length in bytes of the character at `bytes[i]` when [`fold`] keeps it as
/// it is (an ASCII letter or digit, up to case, or see [`folds_to_itself`]);
/// 0 otherwise. Table lookups: this runs for every byte of every line.
#[inline]
fn verbatim_len(bytes: &[u8], i: usize) -> usize {
    let Some(&b) = bytes.get(i) else {
        return 0;
    };
    match LEAD[usize::from(b)] {
        ASCII_SAME => 1,
        lead @ (ARABIC_D8 | ARABIC_D9) => match bytes.get(i + 1) {
            Some(&next) => {
                let mask = if lead == ARABIC_D8 { SAME_D8 } else { SAME_D9 };
                // The low six bits of the continuation byte.
                if mask >> (next & 0x3F) & 1 == 1 { 2 } else { 0 }
            }
            None => 0,
        },
        _ => 0,
    }
}

/// [`LEAD`] classes of a byte.
const OTHER: u8 = 0;
const ASCII_SAME: u8 = 1;
const ARABIC_D8: u8 = 2;
const ARABIC_D9: u8 = 3;

/// Per byte: an ASCII letter or digit, a lead byte of U+0600..U+063F (0xD8)
/// or U+0640..U+067F (0xD9), or other.
static LEAD: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0;
    while b < 128 {
        if (b as u8).is_ascii_alphanumeric() {
            t[b] = ASCII_SAME;
        }
        b += 1;
    }
    t[0xD8] = ARABIC_D8;
    t[0xD9] = ARABIC_D9;
    t
};

/// Bit `k`: U+0600 + `k` (lead 0xD8) or U+0640 + `k` (lead 0xD9) folds to itself.
const SAME_D8: u64 = same_mask(0x0600);
const SAME_D9: u64 = same_mask(0x0640);

const fn same_mask(base: u32) -> u64 {
    let mut mask = 0;
    let mut k = 0;
    while k < 64 {
        if folds_to_itself(base + k) {
            mask |= 1 << k;
        }
        k += 1;
    }
    mask
}

/// An Arabic letter or digit (code point) that [`fold`] keeps as it is.
const fn folds_to_itself(cp: u32) -> bool {
    // Not the alef, yeh, waw and teh marbuta variants fold_char unifies.
    matches!(cp, 0x0621 | 0x0627 | 0x0628 | 0x062A..=0x063A | 0x0641..=0x0648 | 0x064A | 0x0660..=0x0669)
}

/// What [`fold`] makes of one non-ASCII character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Folded {
    /// Left out (Arabic diacritics, tatweel).
    Dropped,
    /// This (lowercase) character.
    Char(char),
    /// A separator: a space between words.
    Separator,
    /// A letter or digit to lowercase with the Unicode tables.
    Lowercase,
}

/// [`fold`]'s treatment of a non-ASCII character. Fast paths for the common
/// scripts (Arabic letters, which have no case; Latin-1 and basic Cyrillic
/// letters, whose lowercase is an offset) and separators; everything else
/// takes the Unicode tables. The fast paths agree with the tables (tested).
fn fold_char(c: char) -> Folded {
    let c = match c {
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{06D6}'..='\u{06ED}' => {
            return Folded::Dropped;
        }
        'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
        'ى' => 'ي',
        'ة' => 'ه',
        'ؤ' => 'و',
        'ئ' => 'ي',
        _ => c,
    };
    match c {
        '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' | '\u{0660}'..='\u{0669}' => {
            Folded::Char(c)
        }
        // Spaces, dashes, quotes and guillemets, Arabic punctuation:
        // separators, known without the Unicode tables.
        '\u{2000}'..='\u{206F}'
        | '\u{00A0}'
        | '\u{00AB}'
        | '\u{00BB}'
        | '\u{060C}'
        | '\u{061B}'
        | '\u{061F}'
        | '×'
        | '÷' => Folded::Separator,
        // Latin-1 letters: À..Þ lowercase 32 code points up; ß..ÿ are lowercase.
        'À'..='Þ' => Folded::Char(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
        'ß'..='ÿ' => Folded::Char(c),
        // Basic Cyrillic: Ѐ..Џ and А..Я have their lowercase 80 and 32 up.
        'Ѐ'..='Џ' => Folded::Char(char::from_u32(c as u32 + 0x50).unwrap_or(c)),
        'А'..='Я' => Folded::Char(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
        'а'..='џ' => Folded::Char(c),
        // Hangul syllables: letters without case.
        '\u{AC00}'..='\u{D7A3}' => Folded::Char(c),
        _ if c.is_alphanumeric() => Folded::Lowercase,
        _ => Folded::Separator,
    }
}
