//! `scraped-page`: keeps the article of a scraped page dump and drops
//! everything else — ad markers, menus, settings panels, share and subscribe
//! prompts, "read also" blocks, tag footers, repeated titles and captions —
//! recording every removal in provenance. The detection itself lives in
//! [`extract`], which works on lines and general signals, not on lists of
//! particular sites' lines.
#![forbid(unsafe_code)]

pub mod extract;
mod phrases;

use akhbar_plugin_sdk::proto::{Article, Paragraph, paragraph::Kind};
use akhbar_plugin_sdk::{Config, Normalizer, Plugin, PluginError};

use extract::{Options, ParagraphKind};

/// The `scraped-page` normalizer.
#[derive(Debug, Clone, Default)]
pub struct ScrapedPage {
    options: Options,
}

impl Plugin for ScrapedPage {
    const NAME: &'static str = "scraped-page";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        Ok(ScrapedPage {
            options: config.parse()?,
        })
    }
}

fn kind_of(kind: ParagraphKind) -> Kind {
    match kind {
        ParagraphKind::Heading => Kind::Heading,
        ParagraphKind::Paragraph => Kind::Paragraph,
        ParagraphKind::Quote => Kind::Quote,
        ParagraphKind::Caption => Kind::Caption,
    }
}

/// At most this many characters of a removed line are quoted in provenance.
const QUOTE_CHARS: usize = 60;

fn quote(text: &str) -> String {
    let mut quoted: String = text.chars().take(QUOTE_CHARS).collect();
    if quoted.len() < text.len() {
        quoted.push('…');
    }
    quoted
}

impl Normalizer for ScrapedPage {
    fn normalize(&self, mut article: Article) -> Result<Article, PluginError> {
        let paragraphs = std::mem::take(&mut article.paragraphs);
        let texts: Vec<&str> = paragraphs.iter().map(|p| p.text.as_str()).collect();
        let has_matching = paragraphs.iter().any(|p| !p.matching.is_empty());
        let matching: Vec<&str> = paragraphs
            .iter()
            .map(akhbar_plugin_sdk::matching_text)
            .collect();
        let extraction = extract::extract(
            &texts,
            has_matching.then_some(matching.as_slice()),
            &self.options,
        );

        if let Some(title) = extraction.title {
            if article.title.is_empty() {
                article.title = texts[title].to_owned();
            }
            article.provenance.push(Self::provenance(
                "normalizer",
                format!(
                    "took line {} as the title: \"{}\"",
                    title + 1,
                    quote(texts[title])
                ),
            ));
        }
        for removed in &extraction.removed {
            article.provenance.push(Self::provenance(
                "normalizer",
                format!(
                    "{} (line {}): \"{}\"",
                    removed.reason,
                    removed.index + 1,
                    quote(texts[removed.index])
                ),
            ));
        }
        let line_count = texts.len();
        let mut slots: Vec<Option<Paragraph>> = paragraphs.into_iter().map(Some).collect();
        article.paragraphs = extraction
            .kept
            .iter()
            .filter_map(|kept| {
                let mut paragraph = slots.get_mut(kept.index)?.take()?;
                paragraph.kind = kind_of(kept.kind) as i32;
                Some(paragraph)
            })
            .collect();
        if article.paragraphs.is_empty() {
            return Err(PluginError::rejected(format!(
                "no article text found: all {} lines look like site chrome",
                line_count
            )));
        }
        Ok(article)
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(normalizer: ScrapedPage);
