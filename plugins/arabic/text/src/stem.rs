//! A light stemmer on the matching form: Arabic after Larkey's light10
//! (prefixes وال بال كال فال لل ال و, suffixes ها ان ات ون ين يه ه ي),
//! English plural and -ing/-ed endings. Words too short keep their form.

const AR_PREFIXES: [&str; 7] = ["وال", "بال", "كال", "فال", "لل", "ال", "و"];
const AR_SUFFIXES: [&str; 8] = ["ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"];

use std::borrow::Cow;

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
                && rest.chars().count() >= 2
                && (p != "و" || rest.chars().count() >= 3)
            {
                w = rest;
                break;
            }
        }
        for s in AR_SUFFIXES {
            if let Some(rest) = w.strip_suffix(s)
                && rest.chars().count() >= 3
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
    use super::stem;

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
