//! The host's check of what plugin libraries return: for any bytes,
//! `wire_check` says an article (or an enrichment) exactly when prost's
//! decoder takes them, and the paragraphs it gives are prost's. The host
//! stores what it passes without decoding it, so a yes that prost would
//! refuse would store an article no client can read.
#![no_main]

use akhbar_plugin_sdk::proto::{Article, Enrichment, Paragraph};
use akhbar_proto::wire_check;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let decoded = Article::decode(data);
    assert_eq!(wire_check::article(data).is_ok(), decoded.is_ok());
    match (wire_check::article_paragraphs(data), &decoded) {
        (Ok(Some(views)), Ok(article)) => {
            let owned: Vec<Paragraph> = views.into_iter().map(Paragraph::from).collect();
            assert_eq!(owned, article.paragraphs);
        }
        (Ok(None), Ok(_)) | (Err(_), Err(_)) => {}
        (mine, prost) => panic!("wire_check {:?}, prost {:?}", mine.is_ok(), prost.is_ok()),
    }
    assert_eq!(
        wire_check::enrichment(data).is_ok(),
        Enrichment::decode(data).is_ok()
    );
});
