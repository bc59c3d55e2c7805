use std::cell::{Ref, RefCell};
use std::ops::Deref;

#[derive(Debug)]
pub struct LowercaseText {
    inner: String,
}

impl LowercaseText {
    pub fn new(original_text: &str) -> Self {
        let inner = to_lowercase(original_text);
        Self { inner }
    }
}

impl Deref for LowercaseText {
    type Target = str;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

#[derive(Debug)]
pub struct Text<'a> {
    original: &'a str,
    lowercase: RefCell<Option<LowercaseText>>,
}

impl<'a> Text<'a> {
    pub fn new(original_text: &'a str) -> Self {
        Self {
            original: original_text,
            lowercase: RefCell::new(None),
        }
    }

    pub fn lowercase(&self) -> Ref<'_, LowercaseText> {
        if self.lowercase.borrow().is_none() {
            let lowercase_text = LowercaseText::new(self.original);
            self.lowercase.replace(Some(lowercase_text));
        }

        let ref_opt_lowercase = self.lowercase.borrow();
        Ref::map(ref_opt_lowercase, |r| r.as_ref().unwrap())
    }
}

/// `str::to_lowercase` (Akhbar's change, see AKHBAR.md): the runs of
/// characters without a lower case of their own (ASCII but A-Z, the Arabic
/// block U+0600..=U+06FF, general punctuation U+2000..=U+206F) are told from
/// their bytes and copied as they are, not looked up in the case tables.
fn to_lowercase(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let len = match (b, bytes.get(i + 1)) {
            (b'A'..=b'Z', _) => 0,
            (0..=0x7F, _) => 1,
            (0xD8..=0xDB, _) => 2,
            (0xE2, Some(0x80)) => 3,
            (0xE2, Some(0x81)) if bytes.get(i + 2) < Some(&0xB0) => 3,
            _ => 0,
        };
        if len > 0 {
            i += len;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or_default();
        if c == 'Σ' {
            // Its lower case depends on the letters around it.
            return text.to_lowercase();
        }
        out.push_str(&text[copied..i]);
        out.extend(c.to_lowercase());
        i += c.len_utf8();
        copied = i;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `to_lowercase` is `str::to_lowercase` (random strings over ASCII,
    /// Arabic, punctuation and letters with special lower cases).
    #[test]
    fn to_lowercase_is_str_to_lowercase() {
        let alphabet: Vec<char> = "aZ9 .\nكيمأ٣ـ“”—‰⁰ⅠÉéΣσİẞДΩ\u{0130}\u{1E9E}ǅ中"
            .chars()
            .collect();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 16) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(to_lowercase(&text), text.to_lowercase(), "{text:?}");
        }
    }

    #[test]
    fn test_text() {
        let text = Text::new("Hello THERE");
        assert_eq!(text.lowercase().deref().deref(), "hello there");
    }
}
