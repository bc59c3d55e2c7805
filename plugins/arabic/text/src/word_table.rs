//! A per-article table of distinct words, each with a value computed once.

/// The distinct words of a text, each with a value computed the first time
/// the word is seen (its fold, stem, stopword flag, …). Keyed by a hash the
/// caller supplies, so a hash it needs anyway is not computed twice; equal
/// hashes are told apart by the words themselves.
#[derive(Debug)]
pub struct WordTable<'a, V> {
    /// Open addressing with linear probing, at most half full: 1 + the
    /// index of an entry, or 0 for an empty slot. A probe reads one `u32`
    /// and, when it is taken, the entry's hash; a general hash table's
    /// probe (control bytes, groups) costs about twice the instructions.
    slots: Vec<u32>,
    entries: Vec<(u64, &'a str, V)>,
}

/// Slots for `words` words, at most half full.
fn slots_for(words: usize) -> usize {
    (words * 2).next_power_of_two().max(8)
}

/// The first slot to probe for `hash`: its high bits, mixed, as the
/// caller's hash may be weak in its low bits.
#[inline]
fn home(hash: u64, mask: usize) -> usize {
    (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask
}

impl<'a, V: Copy> WordTable<'a, V> {
    /// Room for `words` distinct words without growing.
    pub fn with_capacity(words: usize) -> Self {
        WordTable {
            slots: vec![0; slots_for(words)],
            entries: Vec::with_capacity(words),
        }
    }

    /// The value of `word` (whose hash is `hash`), computed by `value` the
    /// first time.
    #[inline]
    pub fn get_or_insert_with(&mut self, hash: u64, word: &'a str, value: impl FnOnce() -> V) -> V {
        let mask = self.slots.len() - 1;
        let mut at = home(hash, mask);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            let (h, w, v) = self.entries[slot as usize - 1];
            if h == hash && w == word {
                return v;
            }
            at = (at + 1) & mask;
        }
        let v = value();
        self.entries.push((hash, word, v));
        self.slots[at] = self.entries.len() as u32;
        if self.entries.len() * 2 > self.slots.len() {
            self.grow();
        }
        v
    }

    /// Twice the slots, the entries placed again.
    #[cold]
    fn grow(&mut self) {
        let mut slots = vec![0u32; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (i, &(hash, _, _)) in self.entries.iter().enumerate() {
            let mut at = home(hash, mask);
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = i as u32 + 1;
        }
        self.slots = slots;
    }

    /// Distinct words so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no word was seen.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Each word's value is the one computed when it was first seen,
        /// computed once, whatever the hashes (poor ones collide often) and
        /// however often the table grows.
        #[test]
        fn values_are_those_of_a_map_of_words(
            words in proptest::collection::vec("[ab]{0,4}", 0..300),
            capacity in 0usize..20,
            hash_bits in 0u32..64,
        ) {
            let mut table = WordTable::with_capacity(capacity);
            let mut reference: std::collections::HashMap<&str, usize> = Default::default();
            for (i, word) in words.iter().enumerate() {
                let hash = (word.len() as u64 * 0x100 + word.bytes().map(u64::from).sum::<u64>())
                    & ((1u64 << hash_bits) - 1);
                let mut computed = false;
                let got = table.get_or_insert_with(hash, word, || {
                    computed = true;
                    i
                });
                let want = *reference.entry(word).or_insert(i);
                prop_assert_eq!(got, want);
                prop_assert_eq!(computed, want == i);
            }
            prop_assert_eq!(table.len(), reference.len());
        }
    }

    #[test]
    fn each_distinct_word_is_computed_once_even_when_hashes_collide() {
        let mut table = WordTable::with_capacity(2);
        let mut calls = 0;
        let text = "قال كيم قال Kim said كيم قال said";
        for word in text.split(' ') {
            // A deliberately poor hash: every word of a length collides.
            let hash = word.len() as u64;
            let v = table.get_or_insert_with(hash, word, || {
                calls += 1;
                word.chars().count()
            });
            assert_eq!(v, word.chars().count());
        }
        assert_eq!(
            calls, 4,
            "قال, كيم (same byte length: same hash), Kim, said"
        );
        assert_eq!(table.len(), calls);
    }
}
