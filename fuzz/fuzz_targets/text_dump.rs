//! Any bytes through the text-dump source: an article or an error, never a
//! panic, and never more text than the bytes could hold.
#![no_main]

use akhbar_plugin_sdk::proto::RawDocument;
use akhbar_plugin_sdk::{Config, Plugin, Source};
use akhbar_plugin_text_dump::TextDump;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lossy = data.first().is_some_and(|b| b & 1 == 1);
    let config: &[u8] = if lossy { br#"{"lossy": true}"# } else { b"" };
    let plugin = TextDump::new(&Config::new(config)).unwrap();
    let raw = RawDocument { content: data.to_vec(), ..Default::default() };
    if let Ok(articles) = plugin.decode(raw) {
        let text: usize = articles.iter().flat_map(|a| &a.paragraphs).map(|p| p.text.len()).sum();
        assert!(text <= data.len() * 3);
    }
});
