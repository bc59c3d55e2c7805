//! Any text as a page through scraped-page: never a panic, never longer
//! than the input, and a second pass leaves the article as the first made it.
#![no_main]

use akhbar_plugin_sdk::proto::{Article, Paragraph};
use akhbar_plugin_sdk::{Config, Normalizer, Plugin};
use akhbar_plugin_scraped_page::ScrapedPage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let plugin = ScrapedPage::new(&Config::new(br#"{"learn": {"enabled": false}}"#)).unwrap();
    let paragraphs: Vec<Paragraph> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Paragraph { text: l.to_owned(), ..Default::default() })
        .collect();
    let input: usize = paragraphs.iter().map(|p| p.text.len()).sum();
    let article = Article { paragraphs, ..Default::default() };
    if let Ok(first) = plugin.normalize(article) {
        let output: usize = first.paragraphs.iter().map(|p| p.text.len()).sum::<usize>() + first.title.len();
        assert!(output <= input);
        let second = plugin.normalize(first.clone()).expect("an extracted article is still an article");
        assert_eq!(second.paragraphs.len(), first.paragraphs.len());
    }
});
