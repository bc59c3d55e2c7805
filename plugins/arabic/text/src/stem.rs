//! A light stemmer on the matching form: Arabic after Larkey's light10
//! (prefixes وال بال كال فال لل ال و, suffixes ها ان ات ون ين يه ه ي),
//! English plural and -ing/-ed endings. Words too short keep their form.

const AR_PREFIXES: [&str; 7] = ["وال", "بال", "كال", "فال", "لل", "ال", "و"];
const AR_SUFFIXES: [&str; 8] = ["ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"];

use std::borrow::Cow;

/// Whether `s` has at least `n` (> 0) characters: reads no further than the
/// `n`th, where counting them all reads the whole word each time.
#[inline]
fn has_chars(s: &str, n: usize) -> bool {
    s.chars().nth(n - 1).is_some()
}

/// The stem of one word in the matching form (borrowed unless an ending is
/// replaced, as in "ies" → "y").
pub fn stem(word: &str) -> Cow<'_, str> {
    let arabic = word
        .chars()
        .next()
        .is_some_and(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
    if arabic {
        let mut w = word;
        for p in AR_PREFIXES {
            if let Some(rest) = w.strip_prefix(p)
                && has_chars(rest, if p == "و" { 3 } else { 2 })
            {
                w = rest;
                break;
            }
        }
        for s in AR_SUFFIXES {
            if let Some(rest) = w.strip_suffix(s)
                && has_chars(rest, 3)
            {
                w = rest;
            }
        }
        return Cow::Borrowed(w);
    }
    if !word.is_ascii() || word.len() <= 4 {
        return Cow::Borrowed(word);
    }
    for (suffix, keep) in [
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ] {
        if let Some(rest) = word.strip_suffix(suffix)
            && rest.len() >= 3
            && !word.ends_with("ss")
        {
            return if keep.is_empty() {
                Cow::Borrowed(rest)
            } else {
                Cow::Owned(format!("{rest}{keep}"))
            };
        }
    }
    Cow::Borrowed(word)
}

#[cfg(test)]
mod tests {
    use super::{has_chars, stem};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn has_chars_is_a_count(s in "[a-zو ال\u{0600}-\u{06FF}é😀]{0,6}", n in 1usize..8) {
            prop_assert_eq!(has_chars(&s, n), s.chars().count() >= n);
        }
    }

    #[test]
    fn clitics_and_plural_endings_come_off() {
        assert_eq!(stem("والصواريخ"), "صواريخ");
        assert_eq!(stem("العقوبات"), "عقوب");
        assert_eq!(stem("عقوبات"), "عقوب");
        assert_eq!(stem("talks"), "talk");
        assert_eq!(stem("sanctions"), "sanction");
        assert_eq!(stem("في"), "في");
    }
}
