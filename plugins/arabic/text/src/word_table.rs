//! A per-article table of distinct words, each with a value computed once.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

/// The distinct words of a text, each with a value computed the first time
/// the word is seen (its fold, stem, stopword flag, …). Keyed by a hash the
/// caller supplies, so a hash it needs anyway is not computed twice; equal
/// hashes are told apart by the words themselves.
#[derive(Debug)]
pub struct WordTable<'a, V> {
    index: HashTable<u32>,
    entries: Vec<(u64, &'a str, V)>,
}

impl<'a, V: Copy> WordTable<'a, V> {
    /// Room for `words` distinct words without growing.
    pub fn with_capacity(words: usize) -> Self {
        WordTable {
            index: HashTable::with_capacity(words),
            entries: Vec::with_capacity(words),
        }
    }

    /// The value of `word` (whose hash is `hash`), computed by `value` the
    /// first time.
    #[inline]
    pub fn get_or_insert_with(&mut self, hash: u64, word: &'a str, value: impl FnOnce() -> V) -> V {
        let entries = &self.entries;
        let found = self.index.entry(
            hash,
            |&at| {
                let (h, w, _) = entries[at as usize];
                h == hash && w == word
            },
            |&at| entries[at as usize].0,
        );
        match found {
            Entry::Occupied(at) => self.entries[*at.get() as usize].2,
            Entry::Vacant(slot) => {
                let v = value();
                slot.insert(self.entries.len() as u32);
                self.entries.push((hash, word, v));
                v
            }
        }
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
