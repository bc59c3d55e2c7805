//! Any text through the arabic normalizer: never a panic, never more than
//! the longest NFKC expansion per input byte, and normalizing twice equals
//! normalizing once (display and matching forms).
#![no_main]

use akhbar_plugin_arabic::Arabic;
use akhbar_plugin_sdk::Normalizer;
use akhbar_plugin_sdk::proto::{Article, Paragraph};
use libfuzzer_sys::fuzz_target;

/// U+FDFA (3 bytes) becomes 33 bytes under NFKC.
const EXPANSION: usize = 11;

fuzz_target!(|text: &str| {
    let paragraphs: Vec<Paragraph> = text
        .lines()
        .map(|l| Paragraph {
            text: l.to_owned(),
            ..Default::default()
        })
        .collect();
    let input = text.len();
    let Ok(once) = Arabic::default().normalize(Article {
        paragraphs,
        ..Default::default()
    }) else {
        return;
    };
    let output: usize = once
        .paragraphs
        .iter()
        .map(|p| p.text.len() + p.matching.len())
        .sum();
    assert!(output <= 2 * EXPANSION * input);
    let twice = Arabic::default()
        .normalize(once.clone())
        .expect("normalized text is still text");
    let forms = |a: &Article| -> Vec<(String, String)> {
        a.paragraphs
            .iter()
            .map(|p| (p.text.clone(), p.matching.clone()))
            .collect()
    };
    assert_eq!(forms(&twice), forms(&once));
});
