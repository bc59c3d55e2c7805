//! Cross-document chrome learning: a site's menus, footers and promos repeat
//! on every page, while its articles do not. The memory counts, per site, in
//! how many documents each (folded) line appeared; a short line seen on
//! enough other pages of the same site is chrome there.
//!
//! - It only ever counts documents, so a line that appears in one document
//!   alone is never learned, however often it repeats inside that document.
//! - It is bounded: at most `max_sites` sites (least recently used evicted)
//!   and `max_lines_per_site` lines per site (lines seen once go first).
//! - A document most of whose long lines are already known is a re-ingest or
//!   a republished copy, not chrome: the memory leaves it alone.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;

use crate::phrases::fold;

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
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            enabled: true,
            min_other_documents: 2,
            max_words: 40,
            max_sites: 1024,
            max_lines_per_site: 4096,
        }
    }
}

#[derive(Debug, Default)]
struct Site {
    /// Line fingerprint → number of documents it appeared in.
    lines: foldhash::HashMap<u64, u32>,
    last_used: u64,
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
}

/// Fingerprint of a folded line.
fn fingerprint(folded: &str) -> u64 {
    // A fixed seed: fingerprints are stable.
    foldhash::quality::FixedState::with_seed(0x5eed_c4a0_e1ec_7ed1).hash_one(folded)
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
            let oldest = state
                .sites
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                state.sites.remove(&oldest);
            }
        }
        let memory = state.sites.entry(site.to_owned()).or_default();
        memory.last_used = clock;

        let seen = |print: &u64| memory.lines.get(print).copied().unwrap_or(0);
        // More than `max_words` words (counting stops past that).
        let is_long: Vec<bool> = lines
            .iter()
            .map(|l| l.split_whitespace().nth(self.options.max_words).is_some())
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
            *memory.lines.entry(print).or_insert(0) += 1;
        }
        if memory.lines.len() > self.options.max_lines_per_site {
            memory.lines.retain(|_, documents| *documents > 1);
            if memory.lines.len() > self.options.max_lines_per_site {
                let mut counts: Vec<u32> = memory.lines.values().copied().collect();
                let middle = counts.len() / 2;
                let (_, median, _) = counts.select_nth_unstable(middle);
                let median = *median;
                memory.lines.retain(|_, documents| *documents > median);
            }
        }
        learned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn memory_is_bounded() {
        let memory = SiteMemory::new(LearnOptions {
            max_sites: 3,
            max_lines_per_site: 100,
            ..LearnOptions::default()
        });
        for site in 0..10 {
            for doc in 0..50 {
                let lines: Vec<String> = (0..20)
                    .map(|l| format!("site {site} doc {doc} line {l}"))
                    .collect();
                let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
                memory.observe(&format!("s{site}.com"), &refs);
            }
        }
        let state = memory.state.lock().unwrap();
        assert_eq!(state.sites.len(), 3);
        assert!(state.sites.values().all(|s| s.lines.len() <= 100 + 20));
    }
}
