//! The extractor itself on any lines: every index lands in exactly one of
//! title, kept or removed.
#![no_main]

use akhbar_plugin_scraped_page::extract::{Options, extract};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let extraction = extract(&lines, None, &Options::default());
    let mut seen = vec![0u8; lines.len()];
    let indices = extraction
        .title
        .into_iter()
        .chain(extraction.kept.iter().map(|k| k.index))
        .chain(extraction.removed.iter().map(|r| r.index));
    for index in indices {
        seen[index] += 1;
    }
    assert!(seen.iter().all(|&n| n == 1));
});
