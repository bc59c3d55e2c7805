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

use akhbar_arabic_text::{display_owned_with_stats, matching};
use akhbar_plugin_sdk::proto::Article;
use akhbar_plugin_sdk::{Config, Normalizer, Plugin, PluginError};

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

impl Normalizer for Arabic {
    fn normalize(&self, mut article: Article) -> Result<Article, PluginError> {
        let (mut tatweel, mut invisible, mut nfkc, mut dropped) = (0, 0, 0, 0);
        let paragraphs = std::mem::take(&mut article.paragraphs);
        for mut paragraph in paragraphs {
            if !self.config.matching_only {
                let (text, stats) = display_owned_with_stats(std::mem::take(&mut paragraph.text));
                tatweel += stats.tatweel;
                invisible += stats.invisible;
                nfkc += usize::from(stats.nfkc);
                paragraph.text = text;
            }
            if paragraph.text.is_empty() {
                dropped += 1;
                continue;
            }
            paragraph.matching = matching(&paragraph.text);
            article.paragraphs.push(paragraph);
        }
        if !article.title.is_empty() && !self.config.matching_only {
            article.title = display_owned_with_stats(std::mem::take(&mut article.title)).0;
        }
        let mut changes = Vec::new();
        if nfkc > 0 {
            changes.push(format!("applied NFKC to {nfkc} paragraphs"));
        }
        if tatweel > 0 {
            changes.push(format!("removed {tatweel} tatweel"));
        }
        if invisible > 0 {
            changes.push(format!("removed {invisible} invisible characters"));
        }
        if dropped > 0 {
            changes.push(format!("dropped {dropped} paragraphs left empty"));
        }
        changes.push(format!(
            "filled the matching form of {} paragraphs",
            article.paragraphs.len()
        ));
        article
            .provenance
            .push(Self::provenance("normalizer", changes.join("; ")));
        if article.paragraphs.is_empty() {
            return Err(PluginError::rejected(
                "no text left after removing invisible characters",
            ));
        }
        Ok(article)
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
        }
    }
}
