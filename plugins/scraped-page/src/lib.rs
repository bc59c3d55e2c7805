//! `scraped-page`: keeps the article of a scraped page dump and drops
//! everything else — ad markers, menus, settings panels, share and subscribe
//! prompts, "read also" blocks, tag footers, repeated titles and captions —
//! recording every removal in provenance, and keeping the removed byline
//! and timestamp lines in the `byline` metadata entry (they may date the
//! article: the `dates` enricher reads them). The detection itself lives in
//! [`extract`], which works on lines and general signals, not on lists of
//! particular sites' lines.
#![forbid(unsafe_code)]

pub mod extract;
mod fold;
mod phrases;
pub mod site_memory;

use akhbar_plugin_sdk::proto::{Article, Paragraph, Provenance, paragraph::Kind};
use akhbar_plugin_sdk::{
    ArticleView, Config, Normalizer, ParagraphView, Plugin, PluginError, metadata,
};

use extract::{Options, ParagraphKind, push_number};
use site_memory::{LearnOptions, SiteMemory};

/// The `scraped-page` normalizer.
#[derive(Debug, Default)]
pub struct ScrapedPage {
    options: Options,
    memory: SiteMemory,
}

/// Config of `scraped-page`: `{"extract": {…tunables of [`Options`]…},
/// "learn": {…[`LearnOptions`] for cross-document chrome learning…}}`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ScrapedPageConfig {
    extract: Options,
    learn: LearnOptions,
}

impl Plugin for ScrapedPage {
    const NAME: &'static str = "scraped-page";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        let config: ScrapedPageConfig = config.parse()?;
        Ok(ScrapedPage {
            options: config.extract,
            memory: SiteMemory::new(config.learn),
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

/// Removals recorded one by one; past this, one summary record, so that a
/// pathological page (a million menu lines) cannot blow up the article.
const MAX_REMOVALS_LISTED: usize = 500;

/// At most this many characters of a removed line are quoted in provenance.
const QUOTE_CHARS: usize = 60;

/// A line as quoted in provenance: its first [`QUOTE_CHARS`] characters,
/// and `…` when there were more.
fn quoted(text: &str) -> (&str, &str) {
    if text.len() <= QUOTE_CHARS {
        // No more characters than bytes.
        return (text, "");
    }
    if text.as_bytes()[..QUOTE_CHARS].is_ascii() {
        // Characters are bytes there, and a character follows them.
        return (&text[..QUOTE_CHARS], "…");
    }
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => (&text[..end], "…"),
        None => (text, ""),
    }
}

/// Appends `parts`, then `line` (1-based) and the quoted `text`: the
/// detail of one removed line, `…(line N): "…"`. Built by hand, not with
/// `format!`: a page has dozens of them, and the formatting machinery cost
/// about 2 % of the whole pipeline.
fn line_detail(parts: &[&str], line: usize, text: &str) -> String {
    let mut detail = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 160);
    for part in parts {
        detail.push_str(part);
    }
    detail.push_str(" (line ");
    push_number(&mut detail, line + 1);
    detail.push_str("): \"");
    let (head, more) = quoted(text);
    detail.push_str(head);
    detail.push_str(more);
    detail.push('"');
    detail
}

/// What [`ScrapedPage`] decided for one page: the lines it keeps, the
/// title it found (when the page had none) and its provenance record.
struct Decision {
    kept: Vec<extract::Kept>,
    title: Option<String>,
    record: Provenance,
    lines: usize,
    /// The removed byline and timestamp lines, one a line, for the
    /// [`metadata::BYLINE`] entry (empty: none).
    bylines: String,
}

/// At most this many byline lines, of at most [`QUOTE_CHARS`] * 4 bytes
/// each, go into metadata: a page of a thousand timestamps stays small.
const MAX_BYLINES: usize = 4;

impl ScrapedPage {
    /// Judges the lines of a page from `site` whose title so far is
    /// `current_title`: each line's display text and matching form.
    fn decide(
        &self,
        site: &str,
        current_title: &str,
        texts: &[&str],
        matching: &[&str],
    ) -> Decision {
        // One provenance record for this stage: a summary, and each
        // removal (with the line it was) in its details.
        // A detail for each removed line, mostly: sized once they are known.
        let mut details: Vec<String> = Vec::new();

        // Lines this site repeats on other pages go first; the extractor
        // then sees the rest, and its indices are mapped back.
        // Each line folded once, for the site memory and the extractor.
        // Into one buffer: one allocation a page, not one a line.
        let mut folded = String::with_capacity(matching.iter().map(|m| m.len()).sum());
        let mut ends = Vec::with_capacity(matching.len());
        for m in matching {
            phrases::fold_into(&mut folded, m);
            ends.push(folded.len());
        }
        let folded_refs: Vec<&str> = ends
            .iter()
            .scan(0, |start, &end| {
                Some(&folded[std::mem::replace(start, end)..end])
            })
            .collect();
        let mut learned = self.memory.observe_folded(site, &folded_refs);
        let extract_rest = |learned: &[site_memory::Learned]| {
            let mut is_learned = vec![false; texts.len()];
            for line in learned {
                is_learned[line.index] = true;
            }
            let rest: Vec<usize> = (0..texts.len()).filter(|&i| !is_learned[i]).collect();
            let rest_texts: Vec<&str> = rest.iter().map(|&i| texts[i]).collect();
            let rest_folded: Vec<&str> = rest.iter().map(|&i| folded_refs[i]).collect();
            let mut extraction = extract::extract_folded(&rest_texts, &rest_folded, &self.options);
            extraction.title = extraction.title.map(|i| rest[i]);
            for kept in &mut extraction.kept {
                kept.index = rest[kept.index];
            }
            for removed in &mut extraction.removed {
                removed.index = rest[removed.index];
            }
            extraction
        };
        let mut extraction = extract_rest(&learned);
        if extraction.kept.is_empty() && !learned.is_empty() {
            // The site's other pages carry this page's own text (an article
            // republished or updated under a new address): learning would
            // leave nothing, so this page is judged on its own.
            details.push(format!(
                "kept {} lines seen on other pages of {}: without them no article would be left",
                learned.len(),
                site
            ));
            learned.clear();
            extraction = extract_rest(&learned);
        }
        details.reserve(
            learned.len().min(MAX_REMOVALS_LISTED)
                + extraction.removed.len().min(MAX_REMOVALS_LISTED)
                + 4,
        );
        for line in learned.iter().take(MAX_REMOVALS_LISTED) {
            details.push(line_detail(
                &[
                    "dropped line seen on ",
                    &line.other_documents.to_string(),
                    " other pages of ",
                    site,
                ],
                line.index,
                texts[line.index],
            ));
        }
        if learned.len() > MAX_REMOVALS_LISTED {
            details.push(format!(
                "dropped {} more lines this site repeats on other pages, not listed one by one",
                learned.len() - MAX_REMOVALS_LISTED
            ));
        }

        // An article that already has a title (a source that knows it) keeps
        // it; a different headline-like line found now is a heading of the
        // body, not a second title.
        if let Some(title) = extraction.title
            && !current_title.is_empty()
            && current_title != texts[title]
        {
            extraction.title = None;
            let at = extraction.kept.partition_point(|k| k.index < title);
            extraction.kept.insert(
                at,
                extract::Kept {
                    index: title,
                    kind: ParagraphKind::Heading,
                },
            );
        }
        let mut new_title = None;
        if let Some(title) = extraction.title {
            if current_title.is_empty() {
                new_title = Some(texts[title].to_owned());
            }
            let (head, more) = quoted(texts[title]);
            details.push(format!(
                "took line {} as the title: \"{head}{more}\"",
                title + 1
            ));
        }
        for removed in extraction.removed.iter().take(MAX_REMOVALS_LISTED) {
            details.push(line_detail(
                &[&removed.reason],
                removed.index,
                texts[removed.index],
            ));
        }
        if let Some(rest) = extraction
            .removed
            .get(MAX_REMOVALS_LISTED..)
            .filter(|r| !r.is_empty())
        {
            details.push(format!(
                "dropped {} more lines (lines {} to {}), not listed one by one",
                rest.len(),
                rest[0].index + 1,
                rest[rest.len() - 1].index + 1
            ));
        }
        let mut summary = format!("kept {} of {} lines", extraction.kept.len(), texts.len());
        if let Some(title) = extraction.title {
            summary.push_str(&format!(", took line {} as the title", title + 1));
        }
        let dropped = extraction.removed.len() + learned.len();
        if dropped > 0 {
            summary.push_str(&format!(", dropped {dropped}"));
            if !learned.is_empty() {
                summary.push_str(&format!(
                    " ({} seen on other pages of {})",
                    learned.len(),
                    site
                ));
            }
        }
        let mut record = Self::provenance("normalizer", summary);
        record.details = details;
        let mut bylines = String::new();
        for removed in extraction
            .removed
            .iter()
            .filter(|r| r.byline)
            .take(MAX_BYLINES)
        {
            let line = texts[removed.index];
            let mut end = line.len().min(QUOTE_CHARS * 4);
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            if !bylines.is_empty() {
                bylines.push('\n');
            }
            bylines.push_str(&line[..end]);
        }
        Decision {
            kept: extraction.kept,
            title: new_title,
            record,
            lines: texts.len(),
            bylines,
        }
    }

    /// `article` (its paragraphs already the kept ones) with what
    /// `decision` says besides.
    fn apply(mut article: Article, decision: Decision) -> Result<Article, PluginError> {
        if article.paragraphs.is_empty() {
            return Err(PluginError::rejected(format!(
                "no article text found: all {} lines look like site chrome",
                decision.lines
            )));
        }
        if let Some(title) = decision.title {
            article.title = title;
        }
        if !decision.bylines.is_empty() {
            // A byline the source put there stays.
            article
                .metadata
                .entry(metadata::BYLINE.to_owned())
                .or_insert(decision.bylines);
        }
        article.provenance.push(decision.record);
        Ok(article)
    }

    /// Whether this plugin already extracted the article: normalizing twice
    /// equals normalizing once, so it is left as it is. (Judged again, a
    /// short line whose neighbours were removed could change its class.)
    fn extracted(provenance: &[Provenance]) -> bool {
        provenance.iter().any(|p| p.plugin == Self::NAME)
    }
}

impl Normalizer for ScrapedPage {
    fn normalize(&self, mut article: Article) -> Result<Article, PluginError> {
        if Self::extracted(&article.provenance) {
            return Ok(article);
        }
        let paragraphs = std::mem::take(&mut article.paragraphs);
        let texts: Vec<&str> = paragraphs.iter().map(|p| p.text.as_str()).collect();
        let matching: Vec<&str> = paragraphs
            .iter()
            .map(akhbar_plugin_sdk::matching_text)
            .collect();
        let decision = self.decide(&article.site, &article.title, &texts, &matching);
        let mut slots: Vec<Option<Paragraph>> = paragraphs.into_iter().map(Some).collect();
        article.paragraphs = decision
            .kept
            .iter()
            .filter_map(|kept| {
                let mut paragraph = slots.get_mut(kept.index)?.take()?;
                paragraph.kind = kind_of(kept.kind) as i32;
                Some(paragraph)
            })
            .collect();
        Self::apply(article, decision)
    }

    /// Reads the lines borrowed and copies only the kept ones: a page
    /// dump's chrome is most of its lines.
    fn normalize_view(&self, article: ArticleView<'_>) -> Result<Article, PluginError> {
        let undecodable = |e| PluginError::undecodable("Article", e);
        if Self::extracted(article.provenance()) {
            return article.into_article().map_err(undecodable);
        }
        let lines = article.paragraphs();
        let texts: Vec<&str> = lines.iter().map(|p| p.text).collect();
        let matching: Vec<&str> = lines.iter().map(ParagraphView::matching_text).collect();
        let decision = self.decide(article.site(), article.title(), &texts, &matching);
        let kept = decision
            .kept
            .iter()
            .map(|kept| Paragraph {
                kind: kind_of(kept.kind) as i32,
                ..Paragraph::from(lines[kept.index])
            })
            .collect();
        let article = article.into_article_with(kept).map_err(undecodable)?;
        Self::apply(article, decision)
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(normalizer: ScrapedPage);

#[cfg(test)]
mod tests {
    use super::*;

    fn page(site: &str, lines: &[&str]) -> Article {
        Article {
            site: site.into(),
            paragraphs: lines
                .iter()
                .map(|l| Paragraph {
                    text: (*l).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn body(article: &Article) -> Vec<&str> {
        article.paragraphs.iter().map(|p| p.text.as_str()).collect()
    }

    /// A promo that reads like prose: no single page can tell it from the
    /// article, but a site that repeats it on every page gives it away.
    const PROMO: &str = "Our reporters work around the clock to bring you the news that matters, and they need your support to keep doing it.";

    fn story(n: usize) -> Vec<String> {
        (0..4)
            .map(|p| format!("Story {n}, paragraph {p}: the council met on Tuesday and voted on the budget, which the mayor said would fund new schools and roads across the city."))
            .collect()
    }

    #[test]
    fn numbers_and_quotes_are_written_as_format_writes_them() {
        for n in [0, 7, 10, 99, 100, 12_345, usize::MAX] {
            let mut s = String::from("x");
            push_number(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
        let long = "a".repeat(70);
        for text in [
            "",
            "short",
            &long,
            &"ب".repeat(70),
            &format!("{}é{}", "a".repeat(59), "b".repeat(10)),
            &format!("{}é{}", "a".repeat(60), "b".repeat(10)),
        ] {
            let want = match text.char_indices().nth(QUOTE_CHARS) {
                Some((end, _)) => (&text[..end], "…"),
                None => (text, ""),
            };
            assert_eq!(quoted(text), want, "{text:?}");
        }
    }

    #[test]
    fn chrome_learned_across_a_sites_pages_is_removed_and_recorded() {
        let plugin = ScrapedPage::new(&Config::new(b"")).unwrap();
        let mut outputs = Vec::new();
        for n in 0..4 {
            let story = story(n);
            let mut lines: Vec<&str> = story.iter().map(String::as_str).collect();
            lines.push(PROMO);
            outputs.push(plugin.normalize(page("news.example", &lines)).unwrap());
        }
        assert!(
            body(&outputs[0]).contains(&PROMO),
            "one page alone cannot tell the promo from the article"
        );
        assert!(body(&outputs[1]).contains(&PROMO));
        for later in &outputs[2..] {
            assert!(!body(later).contains(&PROMO));
            assert_eq!(body(later).len(), 4, "the article itself is untouched");
            assert!(later.provenance.iter().flat_map(|p| &p.details).any(|d| {
                d.starts_with("dropped line seen on 2 other pages of news.example")
                    || d.starts_with("dropped line seen on 3 other pages of news.example")
            }));
        }
        // The same promo on another site is that site's business.
        let other = plugin
            .normalize(page("other.example", &[story(9)[0].as_str(), PROMO]))
            .unwrap();
        assert!(body(&other).contains(&PROMO));
    }

    #[test]
    fn a_short_paragraph_article_the_site_republishes_is_never_lost() {
        // Paragraphs under the memory's long-line limit, the same on every
        // page of the site (an article republished under new addresses):
        // learning them would leave nothing, so the page keeps its article.
        let article = [
            "The council met on Tuesday and voted on the budget for next year.",
            "The mayor said the money would fund new schools and roads.",
            "Opposition members said the plan raised taxes too far.",
        ];
        let plugin = ScrapedPage::new(&Config::new(b"")).unwrap();
        for copy in 0..4 {
            let out = plugin
                .normalize(page("news.example", &article))
                .unwrap_or_else(|e| panic!("copy {copy} was rejected: {e}"));
            assert_eq!(body(&out), article, "copy {copy}");
            if copy >= 2 {
                assert!(out.provenance.iter().flat_map(|p| &p.details).any(|d| {
                    d.starts_with("kept 3 lines seen on other pages of news.example")
                }));
            }
        }
    }

    /// Found by `cargo fuzz run scraped_page`: a first pass that took no
    /// title (its headline was repeated, and the repeat dropped) must not
    /// take one on a second pass, when the repeat is gone.
    #[test]
    fn a_second_pass_takes_no_title_the_first_did_not() {
        let headline = format!("b\u{3}y{}\u{2}", "\u{0}".repeat(78));
        let lines = [headline.as_str(), "b\u{3}y\u{2}", "\u{2}"];
        let plugin = ScrapedPage::new(&Config::new(br#"{"learn": {"enabled": false}}"#)).unwrap();
        let first = plugin.normalize(page("", &lines)).unwrap();
        assert_eq!(first.title, "");
        let second = plugin.normalize(first.clone()).unwrap();
        assert_eq!(second.title, first.title);
        assert_eq!(body(&second), body(&first));
    }

    /// Found by `cargo fuzz run scraped_page`: on an extracted page, the
    /// neighbours that decided a short line's fate are gone, so judging it
    /// again could drop it. A second pass leaves the article as it is.
    #[test]
    fn a_second_pass_leaves_an_extracted_article_as_it_is() {
        let text = "@\u{2}\n\u{2}+'\n'((((((\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}@\u{2}\n\u{2}+'\n'((((((\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}((((((s\u{3}84'7b\u{3}84'7b{s\u{3}85\u{3}\u{0}s((((((((((((((((((\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}((((\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}@\u{2}\n\u{2}+'\n'((((((\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}((((((s\u{3}84'7b\u{3}8(((s\u{3}84'7b\u{3}84'7b{s\u{3}85\u{3}\u{0}s((((((((((((((((((((((((((?\u{b}!!";
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let plugin = ScrapedPage::new(&Config::new(br#"{"learn": {"enabled": false}}"#)).unwrap();
        let first = plugin.normalize(page("", &lines)).unwrap();
        assert_eq!(body(&first).len(), 2, "the first pass keeps two lines");
        let second = plugin.normalize(first.clone()).unwrap();
        assert_eq!(second, first);
    }

    #[test]
    fn removed_byline_lines_are_kept_in_metadata() {
        let story = story(1);
        let mut lines: Vec<&str> = vec!["Home", "By Jane Doe", "Published 12 March 2024"];
        lines.extend(story.iter().map(String::as_str));
        lines.push("Share on Facebook");
        let plugin = ScrapedPage::new(&Config::new(br#"{"learn": {"enabled": false}}"#)).unwrap();
        let out = plugin.normalize(page("news.example", &lines)).unwrap();
        assert_eq!(body(&out).len(), 4, "{:?}", body(&out));
        assert_eq!(
            out.metadata.get(metadata::BYLINE).map(String::as_str),
            Some("By Jane Doe\nPublished 12 March 2024"),
            "only the byline and timestamp lines, in page order"
        );
        // One the source gave stays.
        let mut given = page("news.example", &lines);
        given
            .metadata
            .insert(metadata::BYLINE.into(), "From the source".into());
        let out = plugin.normalize(given).unwrap();
        assert_eq!(out.metadata[metadata::BYLINE], "From the source");
        // No byline, no entry.
        let plain: Vec<&str> = story.iter().map(String::as_str).collect();
        let out = plugin.normalize(page("news.example", &plain)).unwrap();
        assert!(!out.metadata.contains_key(metadata::BYLINE));
    }

    #[test]
    fn learning_can_be_switched_off_and_bad_config_is_refused() {
        let plugin = ScrapedPage::new(&Config::new(br#"{"learn": {"enabled": false}}"#)).unwrap();
        for n in 0..4 {
            let story = story(n);
            let mut lines: Vec<&str> = story.iter().map(String::as_str).collect();
            lines.push(PROMO);
            assert!(
                body(&plugin.normalize(page("news.example", &lines)).unwrap()).contains(&PROMO)
            );
        }
        let err = ScrapedPage::new(&Config::new(br#"{"lern": {}}"#)).unwrap_err();
        assert!(err.message().contains("lern"), "{err}");
    }

    mod properties {
        use super::*;
        use akhbar_plugin_sdk::Message;
        use proptest::prelude::*;

        /// Lines like those of real dumps: prose sentences, menu words,
        /// ad markers, prompts, and arbitrary text.
        fn line() -> impl Strategy<Value = String> {
            prop_oneof![4 => realistic_line(), 1 => "\\PC{1,80}"]
        }

        /// Prose sentences and chrome, no noise.
        fn realistic_line() -> impl Strategy<Value = String> {
            prop_oneof![
                3 => proptest::collection::vec(prop::sample::select(vec![
                    "the", "minister", "said", "on", "friday", "that", "talks", "would", "continue",
                    "قال", "الرئيس", "إن", "المحادثات", "ستستمر", "في", "العاصمة", "يوم", "الجمعة",
                ]), 6..40).prop_map(|w| w.join(" ") + "."),
                1 => prop::sample::select(vec!["Home", "Menu", "Share", "[ad_1]", "اقرأ أيضا", "Subscribe", "المصدر", "×"]).prop_map(str::to_owned),
            ]
        }

        fn normalized(lines: &[String]) -> Result<Article, PluginError> {
            let plugin =
                ScrapedPage::new(&Config::new(br#"{"learn": {"enabled": false}}"#)).unwrap();
            let lines: Vec<&str> = lines
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect();
            plugin.normalize(page("p.example", &lines))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// Never a panic; every line is accounted for exactly once; the
            /// output is never longer than the input.
            #[test]
            fn every_line_is_kept_removed_or_the_title(lines in proptest::collection::vec(line(), 0..60)) {
                let trimmed: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
                let extraction = extract::extract(&trimmed, None, &Options::default());
                let mut seen = vec![0u8; trimmed.len()];
                extraction.title.into_iter().chain(extraction.kept.iter().map(|k| k.index)).chain(extraction.removed.iter().map(|r| r.index)).for_each(|i| seen[i] += 1);
                prop_assert!(seen.iter().all(|&n| n == 1), "{:?}", seen);
                if let Ok(article) = normalized(&lines) {
                    let out: usize = article.paragraphs.iter().map(|p| p.text.len()).sum::<usize>() + article.title.len();
                    let input: usize = trimmed.iter().map(|l| l.len()).sum();
                    prop_assert!(out <= input);
                }
            }

            /// Owned or through a view (as the plugin boundary calls it),
            /// a page gives the same article or the same rejection, page
            /// after page of one site (so that the site memory has its
            /// say), and again on an article already extracted.
            #[test]
            fn viewed_as_normalized(
                pages in proptest::collection::vec(proptest::collection::vec(line(), 0..30), 1..5),
            ) {
                let (owned, viewed) = (
                    ScrapedPage::new(&Config::new(b"")).unwrap(),
                    ScrapedPage::new(&Config::new(b"")).unwrap(),
                );
                for lines in &pages {
                    let lines: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
                    let mut input = page("p.example", &lines);
                    input.title = lines.first().copied().unwrap_or_default().to_owned();
                    let bytes = input.encode_to_vec();
                    let answers = (
                        owned.normalize(input),
                        viewed.normalize_view(ArticleView::decode(&bytes).unwrap()),
                    );
                    match &answers {
                        (Ok(a), Ok(b)) => {
                            prop_assert_eq!(a, b);
                            let again = a.encode_to_vec();
                            let again = viewed.normalize_view(ArticleView::decode(&again).unwrap()).unwrap();
                            prop_assert_eq!(&again, a);
                        }
                        (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                        _ => prop_assert!(false, "{answers:?}"),
                    }
                }
            }

            /// The article the extractor keeps survives a second pass whole.
            #[test]
            fn a_second_pass_keeps_what_the_first_kept(lines in proptest::collection::vec(realistic_line(), 1..60)) {
                if let Ok(first) = normalized(&lines) {
                    let plugin = ScrapedPage::new(&Config::new(br#"{"learn": {"enabled": false}}"#)).unwrap();
                    let second = plugin.normalize(first.clone()).expect("an extracted article is still an article");
                    prop_assert_eq!(body(&second), body(&first));
                }
            }
        }
    }
}
