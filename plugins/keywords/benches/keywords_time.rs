//! Time of the keyword extraction alone (no plugin boundary) on each seed:
//! `cargo bench -p akhbar-plugin-keywords --bench keywords_time`.

use std::time::Instant;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds");
    let mut total = 0.0;
    let mut files = 0;
    for entry in std::fs::read_dir(root).expect("seeds") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("seed");
        let paragraphs: Vec<String> = text
            .lines()
            .map(akhbar_arabic_text::display)
            .filter(|l| !l.is_empty())
            .collect();
        let refs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
        let rounds = 200;
        let started = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(akhbar_plugin_keywords::keywords(&refs, 3, 10));
        }
        let per = started.elapsed().as_secs_f64() / f64::from(rounds) * 1e6;
        let started = Instant::now();
        for _ in 0..rounds {
            for p in &refs {
                std::hint::black_box(akhbar_arabic_text::MatchingMap::new(p));
            }
        }
        let map = started.elapsed().as_secs_f64() / f64::from(rounds) * 1e6;
        println!(
            "{} bytes: keywords {per:.0} µs, matching map of all lines {map:.0} µs",
            text.len()
        );
        total += per;
        files += 1;
    }
    println!("mean keywords {:.0} µs per seed", total / f64::from(files));
}
