//! `arabic`: the normalizer that gives every paragraph its two forms.
//!
//! - The display text (`Paragraph.text`) gets only changes that never alter
//!   meaning: NFKC (ﻻ → لا), tatweel and invisible characters removed
//!   (LRM/RLM/ALM, ZWJ/ZWNJ, bidi controls, BOM, soft hyphen), whitespace
//!   folded. Arabic-Indic and Persian digits are kept as written. Tatweel
//!   that touches no letter (a "ــ" dash, a "ـ" bullet) is punctuation and
//!   stays.
//! - The matching form (`Paragraph.matching`) is filled for every paragraph:
//!   diacritics and Quranic marks removed, إأآٱ → ا, ى → ي, ة → ه,
//!   ی/ک → ي/ك, digits → ASCII, other scripts lowercased.
//!
//! Both are idempotent: normalizing an article twice equals once. Paragraphs
//! left empty (only invisible characters) are dropped, and provenance says so.
//! Runs before `scraped-page`, which matches its phrase lists on the
//! matching form.
#![forbid(unsafe_code)]

use std::borrow::Cow;

use akhbar_arabic_text::{
    DisplayStats, display_and_matching_cow, display_and_matching_owned, display_cow_with_stats,
    display_owned_with_stats, matching,
};
use akhbar_plugin_sdk::proto::Article;
use akhbar_plugin_sdk::{ArticleView, Config, Normalizer, ParagraphView, Plugin, PluginError};

/// The `arabic` normalizer.
#[derive(Debug, Clone, Default)]
pub struct Arabic {
    config: ArabicConfig,
}

/// Config of `arabic`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArabicConfig {
    /// Leave the display text alone and only fill the matching form.
    pub matching_only: bool,
}

impl Plugin for Arabic {
    const NAME: &'static str = "arabic";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        Ok(Arabic {
            config: config.parse()?,
        })
    }
}

/// What [`Arabic`] changed in one article, for its provenance record.
#[derive(Debug, Default)]
struct Tally {
    tatweel: usize,
    invisible: usize,
    nfkc: usize,
    dropped: usize,
}

impl Tally {
    fn add(&mut self, stats: DisplayStats) {
        self.tatweel += stats.tatweel;
        self.invisible += stats.invisible;
        self.nfkc += usize::from(stats.nfkc);
    }

    /// The record's action, for an article left with `kept` paragraphs.
    fn action(&self, kept: usize) -> String {
        let mut changes = Vec::new();
        if self.nfkc > 0 {
            changes.push(format!("applied NFKC to {} paragraphs", self.nfkc));
        }
        if self.tatweel > 0 {
            changes.push(format!("removed {} tatweel", self.tatweel));
        }
        if self.invisible > 0 {
            changes.push(format!("removed {} invisible characters", self.invisible));
        }
        if self.dropped > 0 {
            changes.push(format!("dropped {} paragraphs left empty", self.dropped));
        }
        changes.push(format!("filled the matching form of {kept} paragraphs"));
        changes.join("; ")
    }
}

/// Why an article with no paragraph left is rejected.
const NOTHING_LEFT: &str = "no text left after removing invisible characters";

impl Normalizer for Arabic {
    fn normalize(&self, mut article: Article) -> Result<Article, PluginError> {
        let mut tally = Tally::default();
        let paragraphs = std::mem::take(&mut article.paragraphs);
        for mut paragraph in paragraphs {
            if self.config.matching_only {
                paragraph.matching = matching(&paragraph.text);
            } else {
                // Both forms in one walk over a line already in display form.
                let (text, stats, folded) =
                    display_and_matching_owned(std::mem::take(&mut paragraph.text));
                tally.add(stats);
                paragraph.text = text;
                paragraph.matching = folded;
            }
            if paragraph.text.is_empty() {
                tally.dropped += 1;
                continue;
            }
            article.paragraphs.push(paragraph);
        }
        if !article.title.is_empty() && !self.config.matching_only {
            article.title = display_owned_with_stats(std::mem::take(&mut article.title)).0;
        }
        let action = tally.action(article.paragraphs.len());
        article
            .provenance
            .push(Self::provenance("normalizer", action));
        if article.paragraphs.is_empty() {
            return Err(PluginError::rejected(NOTHING_LEFT));
        }
        Ok(article)
    }

    /// [`Arabic::normalize`] written straight from the input: each line's
    /// display form borrowed from it when unchanged (most lines), its
    /// matching form from here, so that no owned copy of the page is made
    /// only to be encoded and dropped.
    fn normalize_into(
        &self,
        article: ArticleView<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), PluginError> {
        // A damaged entity fails the document before anything else, as it
        // does on the way to `normalize`.
        article
            .try_entities()
            .map_err(|e| PluginError::undecodable("Article", e))?;
        let mut tally = Tally::default();
        let mut forms: Vec<(i32, Cow<'_, str>, String)> =
            Vec::with_capacity(article.paragraphs().len());
        for paragraph in article.paragraphs() {
            let (text, matching) = if self.config.matching_only {
                (Cow::Borrowed(paragraph.text), matching(paragraph.text))
            } else {
                // Both forms in one walk over a line already in display form.
                let (text, stats, matching) = display_and_matching_cow(paragraph.text);
                tally.add(stats);
                (text, matching)
            };
            if text.is_empty() {
                tally.dropped += 1;
                continue;
            }
            forms.push((paragraph.kind, text, matching));
        }
        if forms.is_empty() {
            return Err(PluginError::rejected(NOTHING_LEFT));
        }
        let title = (!article.title().is_empty() && !self.config.matching_only)
            .then(|| display_cow_with_stats(article.title()).0.into_owned());
        let record = Self::provenance("normalizer", tally.action(forms.len()));
        let paragraphs = forms.iter().map(|(kind, text, matching)| ParagraphView {
            kind: *kind,
            text,
            matching,
        });
        article
            .encode_with(
                paragraphs,
                |rest| {
                    if let Some(title) = title {
                        rest.title = title;
                    }
                    rest.provenance.push(record);
                },
                out,
            )
            .map_err(|e| PluginError::undecodable("Article", e))
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(normalizer: Arabic);

#[cfg(test)]
mod tests {
    use super::*;
    use akhbar_plugin_sdk::proto::Paragraph;

    fn article(lines: &[&str]) -> Article {
        Article {
            paragraphs: lines
                .iter()
                .map(|l| Paragraph {
                    text: (*l).to_owned(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn forms(article: &Article) -> Vec<(&str, &str)> {
        article
            .paragraphs
            .iter()
            .map(|p| (p.text.as_str(), p.matching.as_str()))
            .collect()
    }

    #[test]
    fn display_keeps_meaning_matching_folds_variants() {
        let out = Arabic::default()
            .normalize(article(&[
                "\u{200F}الرئيسُ  الكوريُّ كيـــم جونغ أون ﻻ يزور إِيران في ٢٠٢٤",
                "مدرسة مستشفى ی ک ۱۴۰۳",
                "Kim Jong Un VISITED Moscow",
            ]))
            .unwrap();
        assert_eq!(
            forms(&out),
            [
                (
                    "الرئيسُ الكوريُّ كيم جونغ أون لا يزور إِيران في ٢٠٢٤",
                    "الرئيس الكوري كيم جونغ اون لا يزور ايران في 2024"
                ),
                ("مدرسة مستشفى ی ک ۱۴۰۳", "مدرسه مستشفي ي ك 1403"),
                ("Kim Jong Un VISITED Moscow", "kim jong un visited moscow"),
            ]
        );
        let record = &out.provenance.last().unwrap().action;
        assert!(record.contains("removed 3 tatweel"), "{record}");
        assert!(record.contains("removed 1 invisible"), "{record}");
    }

    #[test]
    fn empty_paragraphs_are_dropped_and_an_empty_article_rejected() {
        let out = Arabic::default()
            .normalize(article(&["\u{200F}\u{200E}", "نص"]))
            .unwrap();
        assert_eq!(forms(&out), [("نص", "نص")]);
        let err = Arabic::default()
            .normalize(article(&["\u{FEFF} \u{00AD}"]))
            .unwrap_err();
        assert!(matches!(err, PluginError::Rejected(_)));
    }

    #[test]
    fn unknown_config_keys_are_refused() {
        assert!(Arabic::new(&Config::new(br#"{"matchingonly": true}"#)).is_err());
        let plugin = Arabic::new(&Config::new(br#"{"matching_only": true}"#)).unwrap();
        let out = plugin.normalize(article(&["كيـم"])).unwrap();
        assert_eq!(forms(&out), [("كيـم", "كيم")]);
    }

    mod properties {
        use super::*;
        use akhbar_plugin_sdk::Message;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            /// Normalizing twice equals normalizing once.
            #[test]
            fn normalizing_is_idempotent(lines in proptest::collection::vec("[\\PC\u{0640}\u{064B}-\u{0652}\u{200C}-\u{200F}\u{FEFF}\u{FE70}-\u{FEFC} ]{0,30}", 1..6)) {
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                if let Ok(once) = Arabic::default().normalize(article(&lines)) {
                    let twice = Arabic::default().normalize(once.clone()).unwrap();
                    prop_assert_eq!(forms(&twice), forms(&once));
                }
            }

            /// What the plugin boundary calls, written from a view of the
            /// encoded input, is the article (or the rejection) that
            /// `normalize` gives, in either mode.
            #[test]
            fn written_from_the_view_as_normalized(
                lines in proptest::collection::vec("[\\PC\u{0640}\u{064B}-\u{0652}\u{200C}-\u{200F}\u{FEFF}\u{FE70}-\u{FEFC} ]{0,30}", 0..6),
                title in "[\\PC\u{0640}\u{200F} ]{0,12}",
                kind in 0i32..5,
                matching_only in any::<bool>(),
            ) {
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                let mut input = article(&lines);
                input.title = title;
                input.site = "example.com".into();
                input.provenance.push(Arabic::provenance("source", "decoded"));
                for (i, paragraph) in input.paragraphs.iter_mut().enumerate() {
                    paragraph.kind = kind + i as i32;
                    paragraph.matching = "stale".into();
                }
                let plugin = Arabic { config: ArabicConfig { matching_only } };
                let bytes = input.encode_to_vec();
                let mut out = Vec::new();
                let written = plugin
                    .normalize_into(ArticleView::decode(&bytes).unwrap(), &mut out)
                    .map(|()| Article::decode(out.as_slice()).unwrap());
                match (written, plugin.normalize(input)) {
                    (Ok(written), Ok(owned)) => prop_assert_eq!(written, owned),
                    (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => prop_assert!(false, "written {a:?}, normalized {b:?}"),
                }
            }
        }
    }
}
