//! Line-level article extraction (provisional: ad markers and repeats only).
use std::collections::HashSet;

/// What a kept line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParagraphKind {
    Heading,
    Paragraph,
    Quote,
    Caption,
}
/// A kept line.
#[derive(Debug, Clone)]
pub struct Kept {
    pub index: usize,
    pub kind: ParagraphKind,
}
/// A removed line and why.
#[derive(Debug, Clone)]
pub struct Removed {
    pub index: usize,
    pub reason: String,
}
/// The result.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub title: Option<usize>,
    pub kept: Vec<Kept>,
    pub removed: Vec<Removed>,
}
/// Tunables.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Options {}

/// Extracts the article lines.
pub fn extract(paragraphs: &[&str], matching: Option<&[&str]>, _opts: &Options) -> Extraction {
    let matching = matching.unwrap_or(paragraphs);
    let ad = regex::Regex::new(r"^\[ad_\d+\]$").expect("valid regex");
    let mut seen = HashSet::new();
    let mut out = Extraction::default();
    for (index, line) in matching.iter().enumerate() {
        if ad.is_match(line) {
            out.removed.push(Removed {
                index,
                reason: format!("removed ad marker {line}"),
            });
        } else if !seen.insert(*line) {
            out.removed.push(Removed {
                index,
                reason: "dropped duplicate paragraph".into(),
            });
        } else {
            out.kept.push(Kept {
                index,
                kind: ParagraphKind::Paragraph,
            });
        }
    }
    out
}
