//! Scoring extracted text against a person's marking, with the shingle F1 of
//! the article-extraction benchmark (see `../shared/eval/README.md`), so our
//! figures compare directly with its published table.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

/// Shingle width: windows of this many consecutive tokens.
const SHINGLE: usize = 4;

static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\w+").expect("valid regex"));

/// The multiset of 4-token shingles of `text` (a text shorter than four
/// tokens is one shingle).
fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let tokens: Vec<&str> = WORD.find_iter(text).map(|m| m.as_str()).collect();
    let mut counts = HashMap::new();
    if tokens.is_empty() {
        return counts;
    }
    if tokens.len() < SHINGLE {
        counts.insert(tokens, 1);
        return counts;
    }
    for window in tokens.windows(SHINGLE) {
        *counts.entry(window.to_vec()).or_insert(0) += 1;
    }
    counts
}

/// One page's counts, normalized so that tp + fp + fn = 1.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct PageScore {
    /// True positives.
    pub tp: f64,
    /// False positives.
    pub fp: f64,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: f64,
}

impl PageScore {
    /// Precision of this page (1 when nothing was predicted nor expected).
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp > 0.0 {
            self.tp / (self.tp + self.fp)
        } else {
            1.0
        }
    }
    /// Recall of this page.
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ > 0.0 {
            self.tp / (self.tp + self.fn_)
        } else {
            1.0
        }
    }
    /// F1 of this page.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }
}

/// Scores one prediction against the truth.
pub fn score_page(truth: &str, prediction: &str) -> PageScore {
    let truth = shingles(truth);
    let prediction = shingles(prediction);
    let mut tp = 0usize;
    let mut fp = 0usize;
    for (shingle, &count) in &prediction {
        let expected = truth.get(shingle).copied().unwrap_or(0);
        tp += count.min(expected);
        fp += count.saturating_sub(expected);
    }
    let fn_: usize = truth
        .iter()
        .map(|(shingle, &count)| {
            count.saturating_sub(prediction.get(shingle).copied().unwrap_or(0))
        })
        .sum();
    let total = (tp + fp + fn_) as f64;
    if total == 0.0 {
        return PageScore::default();
    }
    PageScore {
        tp: tp as f64 / total,
        fp: fp as f64 / total,
        fn_: fn_ as f64 / total,
    }
}

/// Precision, recall and F1 over many pages, as the benchmark defines them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Mean precision over pages that predicted or should have.
    pub precision: f64,
    /// Mean recall over pages that expected something.
    pub recall: f64,
    /// 2PR / (P + R).
    pub f1: f64,
    /// Pages scored.
    pub pages: usize,
}

/// Summarizes page scores.
pub fn summarize(pages: &[PageScore]) -> Summary {
    let mean = |values: Vec<f64>| {
        if values.is_empty() {
            1.0
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        }
    };
    // A page with fp = fn = 0 scores 1 on both, including an empty one.
    let precision = mean(
        pages
            .iter()
            .filter(|p| p.tp + p.fp > 0.0 || p.fn_ == 0.0)
            .map(PageScore::precision)
            .collect(),
    );
    let recall = mean(
        pages
            .iter()
            .filter(|p| p.tp + p.fn_ > 0.0 || p.fp == 0.0)
            .map(PageScore::recall)
            .collect(),
    );
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Summary {
        precision,
        recall,
        f1,
        pages: pages.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_score_one() {
        let text = "one two three four five six";
        let score = score_page(text, text);
        assert_eq!((score.precision(), score.recall()), (1.0, 1.0));
    }

    #[test]
    fn extra_chrome_costs_precision_not_recall() {
        let truth = "the minister said on friday that talks would go on";
        let predicted =
            "home news sport weather the minister said on friday that talks would go on";
        let score = score_page(truth, predicted);
        assert_eq!(score.recall(), 1.0);
        // 7 truth shingles; 11 predicted, of which 4 span the chrome.
        assert!((score.precision() - 7.0 / 11.0).abs() < 1e-9, "{score:?}");
    }

    #[test]
    fn repeated_text_counts_as_a_multiset() {
        let truth = "a b c d";
        let score = score_page(truth, "a b c d a b c d");
        // Shingles of the prediction: abcd, bcda, cdab, dabc, abcd: 1 tp, 4 fp.
        assert!((score.precision() - 0.2).abs() < 1e-9, "{score:?}");
    }

    #[test]
    fn short_texts_are_one_shingle_and_unicode_words_count() {
        let score = score_page("كيم جونغ أون", "كيم جونغ أون");
        assert_eq!(score.f1(), 1.0);
        assert_eq!(score_page("كيم جونغ", "كيم جونج").f1(), 0.0);
    }

    #[test]
    fn summary_follows_the_benchmark() {
        let pages = [
            score_page("a b c d e", "a b c d e"),
            score_page("a b c d e", ""),
        ];
        let summary = summarize(&pages);
        // The empty prediction has no precision term; recall averages 1 and 0.
        assert_eq!(summary.precision, 1.0);
        assert_eq!(summary.recall, 0.5);
        assert!((summary.f1 - 2.0 / 3.0).abs() < 1e-9);
    }
}
