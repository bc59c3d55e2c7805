//! Issue 6's properties of the `arabic` normalizer on any text (the unit
//! tests' strategy is Arabic-heavy; this one is any Unicode): never a panic,
//! output never longer than the input allows, and normalizing twice equals
//! normalizing once.

use akhbar_plugin_arabic::Arabic;
use akhbar_plugin_sdk::Normalizer;
use akhbar_plugin_sdk::proto::{Article, Paragraph};
use proptest::prelude::*;

/// The longest NFKC expansion of one character, per input byte: U+FDFA
/// (3 bytes) becomes an 18-letter phrase of 33 bytes.
const EXPANSION: usize = 11;

fn article(lines: &[String]) -> Article {
    Article {
        paragraphs: lines
            .iter()
            .map(|l| Paragraph {
                text: l.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn forms(article: &Article) -> Vec<(String, String)> {
    article
        .paragraphs
        .iter()
        .map(|p| (p.text.clone(), p.matching.clone()))
        .collect()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\u{0600}-\u{06FF}\u{0750}-\u{077F}\u{FB50}-\u{FDFF}\u{FE70}-\u{FEFF}\u{200B}-\u{200F}\u{202A}-\u{202E} a-zA-Z0-9]{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_text_normalizes_within_bounds_and_idempotently(lines in proptest::collection::vec(text(), 1..8)) {
        let input: usize = lines.iter().map(String::len).sum();
        let Ok(once) = Arabic::default().normalize(article(&lines)) else {
            // A clean rejection (nothing left) is fine; a panic is not.
            return Ok(());
        };
        for paragraph in &once.paragraphs {
            prop_assert!(paragraph.text.len() <= EXPANSION * input);
            prop_assert!(paragraph.matching.len() <= EXPANSION * input);
        }
        let output: usize = once.paragraphs.iter().map(|p| p.text.len()).sum();
        prop_assert!(output <= EXPANSION * input, "{} bytes out of {}", output, input);
        let twice = Arabic::default().normalize(once.clone()).expect("a normalized article normalizes again");
        prop_assert_eq!(forms(&twice), forms(&once));
    }
}
