//! The seeds through `akhbar run` with the default pipeline: every article
//! is Arabic, its main people and places are linked, and the story groups
//! are the two Shoigu pieces (000, 004), the two Putin pieces (001, 002)
//! and Kim's visit to Russia (003) alone, whatever the input order.
//!
//! Needs the binary and plugin libraries: `cargo build --workspace` first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn akhbar() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let bin = dir.join(format!("akhbar{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace` before the tests",
        bin.display()
    );
    bin
}

fn seeds() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

/// Runs the seeds in the given order; returns stem prefix ("000") → article.
fn run(files: &[PathBuf]) -> BTreeMap<String, serde_json::Value> {
    let output = Command::new(akhbar())
        .arg("run")
        .args(files)
        .env_remove("AKHBAR_PLUGIN_DIR")
        .env_remove("AKHBAR_CONFIG")
        .env("RUST_LOG", "error")
        .output()
        .expect("akhbar runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            let a: serde_json::Value = serde_json::from_str(l).unwrap();
            let uri = a["sourceUri"].as_str().unwrap();
            let stem = Path::new(uri).file_name().unwrap().to_str().unwrap()[..3].to_owned();
            (stem, a)
        })
        .collect()
}

fn groups(articles: &BTreeMap<String, serde_json::Value>) -> BTreeSet<BTreeSet<String>> {
    let mut by_story: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (stem, a) in articles {
        let story = a["storyId"].as_str().unwrap_or_default().to_owned();
        assert!(!story.is_empty(), "{stem} has no story");
        by_story.entry(story).or_default().insert(stem.clone());
    }
    by_story.into_values().collect()
}

fn expected_groups() -> BTreeSet<BTreeSet<String>> {
    [vec!["000", "004"], vec!["001", "002"], vec!["003"]]
        .into_iter()
        .map(|g| g.into_iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn seeds_are_arabic_with_their_people_and_places_linked() {
    let articles = run(&seeds());
    assert_eq!(articles.len(), 5);
    let expected: [(&str, &[&str]); 5] = [
        (
            "000",
            &[
                "wikidata:Q32024",
                "wikidata:Q56226",
                "wikidata:Q18808",
                "wikidata:Q159",
                "wikidata:Q423",
            ],
        ),
        (
            "001",
            &[
                "wikidata:Q7747",
                "wikidata:Q56226",
                "wikidata:Q18808",
                "wikidata:Q8684",
                "wikidata:Q423",
            ],
        ),
        (
            "002",
            &[
                "wikidata:Q7747",
                "wikidata:Q56226",
                "wikidata:Q18808",
                "wikidata:Q423",
            ],
        ),
        (
            "003",
            &[
                "wikidata:Q56226",
                "wikidata:Q7747",
                "wikidata:Q159",
                "akhbar:vostochny-cosmodrome",
            ],
        ),
        (
            "004",
            &[
                "wikidata:Q32024",
                "wikidata:Q56226",
                "wikidata:Q159",
                "wikidata:Q423",
            ],
        ),
    ];
    for (stem, ids) in expected {
        let a = &articles[stem];
        assert_eq!(a["language"], "ar", "{stem}");
        assert!(a["languageConfidence"].as_f64().unwrap() > 0.8, "{stem}");
        let found: BTreeSet<&str> = a["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["canonicalId"].as_str().unwrap())
            .collect();
        for id in ids {
            assert!(found.contains(id), "{stem}: {id} not found in {found:?}");
        }
    }
}

#[test]
fn seed_story_groups_hold_in_any_input_order() {
    let files = seeds();
    for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 0, 3, 1]] {
        let ordered: Vec<PathBuf> = order.iter().map(|&i| files[i].clone()).collect();
        assert_eq!(groups(&run(&ordered)), expected_groups(), "order {order:?}");
    }
}
