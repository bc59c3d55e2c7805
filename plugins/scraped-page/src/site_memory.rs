//! Cross-document chrome learning: a site's menus, footers and promos repeat
//! on every page, while its articles do not. The memory counts, per site, in
//! how many documents each (folded) line appeared; a short line seen on
//! enough other pages of the same site is chrome there.
//!
//! - It only ever counts documents, so a line that appears in one document
//!   alone is never learned, however often it repeats inside that document.
//! - It is bounded in bytes: all sites together take at most `max_bytes`
//!   (estimated from their tables' sizes; the least recently seen sites are
//!   forgotten first, and relearning a site's chrome takes three pages), at
//!   most `max_sites` sites, and `max_lines_per_site` lines per site (lines
//!   seen once go first). A line takes 9 bytes of table: a 48-bit
//!   fingerprint and a 16-bit count in one word, plus hashbrown's control
//!   byte.
//! - A document most of whose long lines are already known is a re-ingest or
//!   a republished copy, not chrome: the memory leaves it alone.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;

use crate::phrases::{count_byte, fold};

/// Settings of the memory, part of the plugin config (`learn` table).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearnOptions {
    /// Learn chrome across documents of one site at all.
    pub enabled: bool,
    /// A line is chrome once seen in at least this many *other* documents.
    pub min_other_documents: u32,
    /// Only lines of at most this many words are ever treated as learned chrome.
    pub max_words: usize,
    /// Sites remembered at once.
    pub max_sites: usize,
    /// Lines remembered per site.
    pub max_lines_per_site: usize,
    /// Estimated bytes of all sites' memories together.
    pub max_bytes: usize,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            enabled: true,
            min_other_documents: 2,
            max_words: 40,
            max_sites: 1024,
            max_lines_per_site: 4096,
            max_bytes: 16 << 20,
        }
    }
}

/// Bits of a line's fingerprint kept in a [`Site`]'s table; the count of
/// documents takes the 16 bits above them.
const PRINT_BITS: u32 = 48;
const PRINT_MASK: u64 = (1 << PRINT_BITS) - 1;
/// A site's bookkeeping besides its table (map entry, name, fields).
const SITE_OVERHEAD_BYTES: usize = 128;

#[derive(Default)]
struct Site {
    /// Per line, `count << PRINT_BITS | fingerprint`: the fingerprint of the
    /// folded line and the number of documents it appeared in (saturating).
    lines: hashbrown::HashTable<u64>,
    last_used: u64,
    /// This site's share of [`State::bytes`].
    bytes: usize,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("lines", &self.lines.len())
            .field("last_used", &self.last_used)
            .finish()
    }
}

/// Where a fingerprint goes in a site's table. Fingerprints are hashes
/// already, but hashbrown takes its control byte from the top 7 bits, which
/// a 48-bit fingerprint leaves zero: an odd multiplier spreads them.
fn table_hash(print: u64) -> u64 {
    print.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn print_of(entry: u64) -> u64 {
    entry & PRINT_MASK
}

fn count_of(entry: u64) -> u32 {
    (entry >> PRINT_BITS) as u32
}

impl Site {
    /// Documents (before the current one) that `print` appeared in.
    fn seen(&self, print: u64) -> u32 {
        self.lines
            .find(table_hash(print), |&e| print_of(e) == print)
            .map_or(0, |&e| count_of(e))
    }

    /// Counts one more document containing `print`.
    fn count(&mut self, print: u64) {
        let hash = table_hash(print);
        match self.lines.find_mut(hash, |&e| print_of(e) == print) {
            Some(entry) => {
                if count_of(*entry) < u32::from(u16::MAX) {
                    *entry += 1 << PRINT_BITS;
                }
            }
            None => {
                self.lines
                    .insert_unique(hash, 1 << PRINT_BITS | print, |&e| table_hash(print_of(e)));
            }
        }
    }

    /// Drops lines seen once, then the least frequent, once there are more
    /// than `max_lines`.
    fn trim(&mut self, max_lines: usize) {
        if self.lines.len() <= max_lines {
            return;
        }
        self.lines.retain(|e| count_of(*e) > 1);
        if self.lines.len() > max_lines {
            let mut counts: Vec<u32> = self.lines.iter().map(|&e| count_of(e)).collect();
            let middle = counts.len() / 2;
            let (_, median, _) = counts.select_nth_unstable(middle);
            let median = *median;
            self.lines.retain(|e| count_of(*e) > median);
        }
        self.lines.shrink_to_fit(|&e| table_hash(print_of(e)));
    }

    /// Estimated heap bytes of this site's memory.
    fn estimated_bytes(&self, name: &str) -> usize {
        // A hashbrown table fills up to 7/8 of its buckets (a power of two);
        // a bucket is the 8-byte entry plus one control byte.
        let capacity = self.lines.capacity();
        let buckets = if capacity == 0 {
            0
        } else {
            (capacity * 8 / 7).next_power_of_two()
        };
        SITE_OVERHEAD_BYTES + name.len() + buckets * 9
    }
}

/// Per-site line counts shared by every call of one plugin instance.
#[derive(Debug, Default)]
pub struct SiteMemory {
    options: LearnOptions,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    sites: HashMap<String, Site>,
    clock: u64,
    /// Sum of the sites' estimated bytes.
    bytes: usize,
}

impl State {
    /// Forgets the least recently seen site other than `keep`.
    fn evict_oldest(&mut self, keep: &str) -> bool {
        let oldest = self
            .sites
            .iter()
            .filter(|(name, _)| name.as_str() != keep)
            .min_by_key(|(_, s)| s.last_used)
            .map(|(name, _)| name.clone());
        match oldest.and_then(|name| self.sites.remove(&name)) {
            Some(site) => {
                self.bytes -= site.bytes;
                true
            }
            None => false,
        }
    }
}

/// Fingerprint of a folded line (48 bits: two lines of one site's at most
/// few thousand collide with odds of about one in ten million).
fn fingerprint(folded: &str) -> u64 {
    // A fixed seed: fingerprints are stable.
    foldhash::quality::FixedState::with_seed(0x5eed_c4a0_e1ec_7ed1).hash_one(folded) & PRINT_MASK
}

/// Whether a folded line has more than `n` words. A folded line is trimmed
/// and its words are apart by one ASCII space, so its spaces are counted
/// (a byte scan, where `split_whitespace` decodes every character of the
/// first `n` words: a fortieth of the pipeline's time).
fn more_words_than(folded: &str, n: usize) -> bool {
    match n.checked_sub(1) {
        None => !folded.is_empty(),
        Some(spaces) => count_byte(folded.as_bytes(), b' ') > spaces,
    }
}

/// A line the memory recognised as the site's chrome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learned {
    /// Index of the line in the document.
    pub index: usize,
    /// In how many other documents of the site it appeared.
    pub other_documents: u32,
}

impl SiteMemory {
    /// A memory with these settings.
    pub fn new(options: LearnOptions) -> Self {
        SiteMemory {
            options,
            state: Mutex::default(),
        }
    }

    /// Records one document of `site` and returns its lines that are the
    /// site's chrome, judged by the documents seen before it.
    pub fn observe(&self, site: &str, lines: &[&str]) -> Vec<Learned> {
        let folded: Vec<String> = lines.iter().map(|l| fold(l)).collect();
        let folded: Vec<&str> = folded.iter().map(String::as_str).collect();
        self.observe_folded(site, &folded)
    }

    /// [`SiteMemory::observe`] for lines already folded with [`fold`] (the
    /// plugin folds each line once for the memory and the extractor).
    pub fn observe_folded(&self, site: &str, lines: &[&str]) -> Vec<Learned> {
        if !self.options.enabled || site.is_empty() || lines.is_empty() {
            return Vec::new();
        }
        let prints: Vec<u64> = lines.iter().map(|l| fingerprint(l)).collect();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.clock += 1;
        let clock = state.clock;
        if !state.sites.contains_key(site) && state.sites.len() >= self.options.max_sites {
            state.evict_oldest(site);
        }
        let memory = state.sites.entry(site.to_owned()).or_default();
        memory.last_used = clock;

        let seen = |print: &u64| memory.seen(*print);
        let is_long: Vec<bool> = lines
            .iter()
            .map(|l| more_words_than(l, self.options.max_words))
            .collect();
        let long: Vec<usize> = (0..lines.len()).filter(|&i| is_long[i]).collect();
        let known_long = long.iter().filter(|&&i| seen(&prints[i]) > 0).count();
        let republished = !long.is_empty() && known_long * 2 > long.len();
        let learned = if republished {
            Vec::new()
        } else {
            (0..lines.len())
                .filter(|&i| !is_long[i])
                .filter_map(|i| {
                    let other_documents = seen(&prints[i]);
                    (other_documents >= self.options.min_other_documents).then_some(Learned {
                        index: i,
                        other_documents,
                    })
                })
                .collect()
        };

        // Count this document once per distinct line, after judging it.
        let mut distinct = prints;
        distinct.sort_unstable();
        distinct.dedup();
        for print in distinct {
            memory.count(print);
        }
        memory.trim(self.options.max_lines_per_site);
        let before = memory.bytes;
        memory.bytes = memory.estimated_bytes(site);
        let after = memory.bytes;
        state.bytes = state.bytes - before + after;
        while state.bytes > self.options.max_bytes && state.evict_oldest(site) {}
        learned
    }

    /// Estimated bytes all sites' memories take now.
    pub fn estimated_bytes(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// On what `fold` gives, counting spaces counts words.
        #[test]
        fn spaces_count_the_words_of_a_folded_line(line in "\\PC{0,60}|[a-z ]{0,40}|[\\u{0600}-\\u{06FF}\\u{00A0}\\u{2000}-\\u{200F}\\u{3000} .,]{0,40}", n in 0usize..12) {
            let folded = crate::phrases::fold(&line);
            proptest::prop_assert_eq!(
                more_words_than(&folded, n),
                folded.split_whitespace().nth(n).is_some(),
                "{:?}", folded
            );
        }
    }

    #[test]
    fn words_are_counted_past_the_chunks_of_spaces() {
        // 300 words, 599 bytes: more than two 255-byte chunks.
        let line = vec!["a"; 300].join(" ");
        for n in [0, 1, 254, 255, 256, 299, 300, 301] {
            assert_eq!(
                more_words_than(&line, n),
                line.split_whitespace().nth(n).is_some(),
                "{n}"
            );
        }
    }

    const MENU: &str = "Home | World | Business | Sport";
    const PROMO: &str = "Our reporters work around the clock to bring you the news that matters, so please support independent journalism today.";

    #[test]
    fn a_line_on_enough_other_pages_of_a_site_is_chrome_there_only() {
        let memory = SiteMemory::new(LearnOptions::default());
        assert!(
            memory
                .observe("a.com", &[MENU, PROMO, "story one"])
                .is_empty()
        );
        assert!(
            memory
                .observe("a.com", &[MENU, PROMO, "story two"])
                .is_empty()
        );
        let learned = memory.observe("a.com", &[MENU, "story three", PROMO]);
        assert_eq!(
            learned,
            [
                Learned {
                    index: 0,
                    other_documents: 2
                },
                Learned {
                    index: 2,
                    other_documents: 2
                }
            ]
        );
        // Another site has its own memory.
        assert!(memory.observe("b.com", &[MENU, PROMO]).is_empty());
    }

    #[test]
    fn a_line_repeated_inside_one_document_is_never_learned() {
        let memory = SiteMemory::new(LearnOptions::default());
        for _ in 0..3 {
            memory.observe("a.com", &["other", "other"]);
        }
        let unique = "a line that only this document has";
        let learned = memory.observe("a.com", &[unique, unique, unique]);
        assert!(learned.is_empty());
    }

    #[test]
    fn a_republished_article_is_not_mistaken_for_chrome() {
        let memory = SiteMemory::new(LearnOptions {
            max_words: 5,
            ..LearnOptions::default()
        });
        let article = [
            "Short head",
            "a long paragraph of the article that goes on and on for a while",
        ];
        memory.observe("a.com", &article);
        memory.observe("a.com", &article);
        assert!(memory.observe("a.com", &article).is_empty());
    }

    /// A page of `count` lines no other page has.
    fn unique_lines(site: usize, page: usize, count: usize) -> Vec<String> {
        (0..count)
            .map(|l| format!("site {site} page {page} line {l} of the article"))
            .collect()
    }

    #[test]
    fn memory_is_bounded() {
        let memory = SiteMemory::new(LearnOptions {
            max_sites: 3,
            max_lines_per_site: 100,
            ..LearnOptions::default()
        });
        for site in 0..10 {
            for page in 0..50 {
                let lines = unique_lines(site, page, 20);
                let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
                memory.observe(&format!("s{site}.com"), &refs);
            }
        }
        let state = memory.state.lock().unwrap();
        assert_eq!(state.sites.len(), 3);
        assert!(state.sites.values().all(|s| s.lines.len() <= 100 + 20));
        assert!(state.sites.contains_key("s9.com"), "the newest site stays");
    }

    #[test]
    fn chrome_is_learned_among_many_article_lines_in_bounded_room() {
        let memory = SiteMemory::new(LearnOptions::default());
        let chrome = [
            "Home | World | Sport",
            "Subscribe to our newsletter",
            "© 2026 The Daily",
        ];
        let mut learned_on_late_pages = 0;
        for page in 0..5_000 {
            let mut lines = unique_lines(0, page, 60);
            lines.splice(0..0, chrome.iter().map(|c| c.to_string()));
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let learned = memory.observe("a.com", &refs);
            assert!(
                learned.iter().all(|l| l.index < chrome.len()),
                "page {page}: an article line taken for chrome"
            );
            if page >= 10 {
                assert_eq!(
                    learned.len(),
                    chrome.len(),
                    "page {page}: chrome not learned"
                );
                learned_on_late_pages += 1;
            }
        }
        assert_eq!(learned_on_late_pages, 4_990);
        // 300,000 article lines went by; the site keeps at most
        // `max_lines_per_site` of them, 9 bytes each in a table of a power of
        // two buckets, and its chrome.
        let bytes = memory.estimated_bytes();
        assert!(bytes <= 8192 * 9 + 1024, "one site takes {bytes} bytes");
        let state = memory.state.lock().unwrap();
        let site = &state.sites["a.com"];
        assert!(site.lines.len() <= 4096 + 63);
        assert_eq!(
            site.lines.iter().filter(|&&e| count_of(e) > 1).count(),
            chrome.len()
        );
    }

    #[test]
    fn the_byte_budget_forgets_the_least_recently_seen_sites() {
        let memory = SiteMemory::new(LearnOptions {
            max_bytes: 64 * 1024,
            ..LearnOptions::default()
        });
        for site in 0..100 {
            for page in 0..20 {
                let mut lines = unique_lines(site, page, 40);
                lines.push(format!("menu of site {site}"));
                let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
                memory.observe(&format!("s{site}.com"), &refs);
            }
            assert!(memory.estimated_bytes() <= 64 * 1024);
        }
        let state = memory.state.lock().unwrap();
        let kept = state.sites.len();
        assert!((5..100).contains(&kept), "{kept} sites kept");
        // The ones kept are the most recent.
        for site in 100 - kept..100 {
            assert!(
                state.sites.contains_key(&format!("s{site}.com")),
                "s{site}.com forgotten"
            );
        }
        drop(state);
        // A forgotten site relearns its chrome in three pages.
        let mut learned = Vec::new();
        for page in 0..3 {
            let mut lines = unique_lines(0, 100 + page, 40);
            lines.push("menu of site 0".into());
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            learned = memory.observe("s0.com", &refs);
        }
        assert_eq!(
            learned,
            [Learned {
                index: 40,
                other_documents: 2
            }]
        );
    }
}
