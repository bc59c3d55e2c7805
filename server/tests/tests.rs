//! End-to-end tests of the `akhbar` binary: golden tests over `seeds/` and
//! the batch runner's behaviour on bad input.
//!
//! The binary finds the plugin libraries beside itself (`target/<profile>/`),
//! so build them first: `cargo build --workspace && cargo test --workspace`.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod bad_input;
mod reliability;
mod service;
mod support;

use support::{akhbar, seeds_dir};

fn run(args: &[&str]) -> Output {
    akhbar().args(args).output().expect("akhbar runs")
}

fn articles(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is a JSON article"))
        .collect()
}

fn paragraphs(article: &Value) -> Vec<(String, String)> {
    article["paragraphs"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    (
                        p["kind"]
                            .as_str()
                            .unwrap_or("KIND_UNSPECIFIED")
                            .trim_start_matches("KIND_")
                            .to_lowercase(),
                        p["text"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What a person reviews in a golden snapshot: the title, each kept
/// paragraph with its kind, and each removal the extractor recorded.
fn review(article: &Value) -> String {
    let mut text = format!(
        "title: {}\n\n",
        article["title"].as_str().unwrap_or("(none)")
    );
    for (kind, paragraph) in paragraphs(article) {
        text.push_str(&format!("[{kind}] {paragraph}\n"));
    }
    text.push_str("\nremoved:\n");
    for record in article["provenance"].as_array().into_iter().flatten() {
        if record["plugin"] == "scraped-page" {
            for detail in record["details"].as_array().into_iter().flatten() {
                text.push_str(&format!("- {}\n", detail.as_str().unwrap_or_default()));
            }
        }
    }
    text
}

/// Runs the default pipeline over the seeds once per test binary.
fn seed_articles() -> &'static Vec<Value> {
    static ARTICLES: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    ARTICLES.get_or_init(|| {
        let output = run(&["run", seeds_dir().to_str().unwrap()]);
        assert!(
            output.status.success(),
            "akhbar run seeds/ failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        articles(&output)
    })
}

fn seed_article(stem: &str) -> &'static Value {
    seed_articles()
        .iter()
        .find(|a| a["sourceUri"].as_str().is_some_and(|u| u.contains(stem)))
        .unwrap_or_else(|| panic!("no article for seed {stem}"))
}

const SEEDS: [&str; 5] = [
    "000_95c725b6b12b9bbb",
    "001_67609f2c1547a75f",
    "002_f8682f4e741b8caa",
    "003_37bc78e853091130",
    "004_f8d0b1c6686edb80",
];

#[test]
fn akhbar_run_seeds_prints_five_articles() {
    assert_eq!(seed_articles().len(), 5);
    for article in seed_articles() {
        assert_eq!(article["id"].as_str().map(str::len), Some(32), "{article}");
        assert!(
            article["contentHash"]
                .as_str()
                .is_some_and(|h| h.len() == 64)
        );
        assert!(article["wordCount"].as_u64().unwrap_or(0) > 200);
    }
}

/// Golden test over the seeds: the snapshot of each article (reviewed by
/// hand) is the article alone, every paragraph of it, and nothing else.
#[test]
fn seeds_golden() {
    for stem in SEEDS {
        insta::assert_snapshot!(stem, review(seed_article(stem)));
    }
}

/// Lines of site chrome in the seeds, by kind. The extractor has no list of
/// these lines; the test checks that general signals removed them.
const CHROME: &[&str] = &[
    "Explore",
    "Settings",
    "Reading Mode",
    "Adjust the reading mode to suit your reading needs.",
    "Font Size",
    "Filed under",
    "mail logo",
    "اشترك لتلقي عناوين اليوم",
    "[ad_1]",
    "[ad_2]",
    "اقرأ أيضا",
    "مقالات ذات صلة",
    "زر الذهاب إلى الأعلى",
    "اخبار العالم",
    "تعرف على جهاز أمن ماسك",
];

#[test]
fn no_chrome_line_or_ad_marker_is_left() {
    for article in seed_articles() {
        for (_, paragraph) in paragraphs(article) {
            for chrome in CHROME {
                assert!(
                    !paragraph.contains(chrome),
                    "chrome {chrome:?} left in {}: {paragraph}",
                    article["sourceUri"]
                );
            }
            assert_ne!(
                paragraph.trim(),
                "المصدر",
                "trailing source line left in {}",
                article["sourceUri"]
            );
            assert_ne!(paragraph.trim(), "×");
        }
    }
}

#[test]
fn no_paragraph_is_repeated() {
    for article in seed_articles() {
        let mut seen = HashSet::new();
        for (_, paragraph) in paragraphs(article) {
            assert!(
                seen.insert(paragraph.clone()),
                "repeated in {}: {paragraph}",
                article["sourceUri"]
            );
        }
        let title = article["title"].as_str().unwrap_or_default();
        if !title.is_empty() {
            assert!(
                !seen.contains(title),
                "the body repeats the title in {}",
                article["sourceUri"]
            );
        }
    }
}

/// Every long prose line of a seed (the article's own paragraphs) is kept.
#[test]
fn no_paragraph_of_the_article_is_lost() {
    for stem in SEEDS {
        let raw = std::fs::read_to_string(seeds_dir().join(format!("{stem}.txt"))).unwrap();
        let kept: HashSet<String> = paragraphs(seed_article(stem))
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        let article_lines = raw.lines().map(str::trim).filter(|l| {
            l.split_whitespace().count() >= 15 && !CHROME.iter().any(|c| l.contains(c))
        });
        for line in article_lines {
            // The display form of the line: what the arabic normalizer may
            // change without changing meaning (tatweel, invisibles).
            let line = akhbar_arabic_text::display(line);
            assert!(kept.contains(&line), "{stem}: lost a paragraph: {line}");
        }
    }
}

#[test]
fn bad_inputs_become_dead_letters_naming_the_document_and_stage_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a_empty.txt"), b"").unwrap();
    std::fs::write(dir.path().join("b_latin1.txt"), b"caf\xE9 au lait\n").unwrap();
    std::fs::write(
        dir.path().join("c_binary.bin"),
        b"\x7FELF\x02\x01\x01\x00\x00\x00",
    )
    .unwrap();
    std::fs::copy(
        seeds_dir().join("001_67609f2c1547a75f.txt"),
        dir.path().join("d_good.txt"),
    )
    .unwrap();
    let dead = dir.path().join("dead.jsonl");
    let output = run(&[
        "run",
        dir.path().to_str().unwrap(),
        "--dead-letters",
        dead.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "one good document is enough: {stderr}"
    );
    assert_eq!(articles(&output).len(), 1);
    assert!(
        stderr.contains("a_empty.txt: source `text-dump`: rejected"),
        "{stderr}"
    );
    assert!(
        stderr.contains("b_latin1.txt: source `text-dump`: invalid UTF-8 at byte 3"),
        "{stderr}"
    );
    assert!(
        stderr.contains("c_binary.bin: source `text-dump`: binary content"),
        "{stderr}"
    );
    assert!(
        stderr.contains("4 documents in, 1 articles out, 3 dead letters"),
        "{stderr}"
    );
    let letters: Vec<Value> = std::fs::read_to_string(&dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 3);
    assert!(
        letters
            .iter()
            .all(|l| l["stage"] == "source" && l["plugin"] == "text-dump")
    );
}

#[test]
fn nothing_processed_exits_non_zero_and_a_bad_config_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.txt"), b"   \n").unwrap();
    let output = run(&["run", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));

    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[pipeline]\nsource = { plugin = \"no-such-plugin\" }\n",
    )
    .unwrap();
    let output = run(&[
        "--config",
        config.to_str().unwrap(),
        "run",
        seeds_dir().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no plugin named `no-such-plugin`"),
        "{stderr}"
    );
}

#[test]
fn stdin_is_an_input() {
    let mut child = akhbar()
        .args(["run", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all("[ad_1]\nقال الرئيس إن المحادثات ستستمر يوم الجمعة في العاصمة وسط توقعات بتحقيق تقدم ملموس في الملفات العالقة بين البلدين.\n[ad_2]\n".as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let articles = articles(&output);
    assert_eq!(
        articles.len(),
        1,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(articles[0]["sourceUri"], "stdin");
    assert!(!articles[0]["body"].as_str().unwrap().contains("[ad_"));
}

#[test]
fn plugins_lists_the_real_plugins_with_path_and_abi() {
    let output = run(&["plugins", "--json"]);
    let listing: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = listing["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for expected in ["text-dump", "scraped-page"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    for plugin in listing["plugins"].as_array().unwrap() {
        assert_eq!(plugin["abiVersion"], akhbar_core::PLUGIN_ABI_VERSION);
        assert!(plugin["path"].as_str().unwrap().contains("akhbar_plugin_"));
    }
}

#[test]
fn a_user_plugin_in_c_runs_in_the_pipeline_via_plugin_dir() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lib = dir.path().join(format!(
        "{}akhbar_plugin_c_filter{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-I"])
        .arg(root.join("plugins/sdk/include"))
        .arg(root.join("examples/c-plugin/c_filter.c"))
        .arg("-o")
        .arg(&lib)
        .status()
        .unwrap();
    assert!(status.success());
    let config = dir.path().join("pipeline.toml");
    std::fs::write(
        &config,
        "[pipeline]\nsource = { plugin = \"text-dump\" }\n[[pipeline.normalizers]]\nplugin = \"scraped-page\"\n[[pipeline.normalizers]]\nplugin = \"c-filter\"\nconfig = { banned = \"بوتين\" }\n",
    )
    .unwrap();
    let output = akhbar()
        .args([
            "--config",
            config.to_str().unwrap(),
            "--plugin-dir",
            dir.path().to_str().unwrap(),
            "run",
        ])
        .arg(seeds_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Every seed names Putin, so the C filter rejects all five.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr
            .matches("normalizer `c-filter`: rejected: contains a banned phrase")
            .count(),
        5,
        "{stderr}"
    );
}

/// The same article scraped from two sites with different chrome comes out
/// with the same body and the same content hash.
#[test]
fn same_article_from_two_sites_has_the_same_body_and_hash() {
    let seed = std::fs::read_to_string(seeds_dir().join("001_67609f2c1547a75f.txt")).unwrap();
    let article: Vec<&str> = seed
        .lines()
        .map(str::trim)
        .filter(|l| l.split_whitespace().count() >= 8)
        .collect();
    let site_a = format!(
        "الرئيسية\nأخبار\nرياضة\nاقتصاد\n\n{}\n\nشارك\nفيسبوك\nتويتر\nواتساب\nجميع الحقوق محفوظة © 2024\n",
        article.join("\n\n")
    );
    let site_b = format!(
        "Home\nWorld\nMenu\n[ad_1]\n{}\n[ad_2]\nاقرأ أيضا:\nبوتين يصل إلى فيتنام في زيارة رسمية\nمقالات ذات صلة\nزر الذهاب إلى الأعلى\nالمصدر\n",
        article.join("\n")
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::fs::create_dir_all(dir.path().join("b")).unwrap();
    std::fs::write(dir.path().join("a/page.txt"), site_a).unwrap();
    std::fs::write(dir.path().join("b/page.txt"), site_b).unwrap();
    let output = run(&["run", dir.path().to_str().unwrap()]);
    let out = articles(&output);
    assert_eq!(out.len(), 2, "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(out[0]["body"], out[1]["body"], "same body from both sites");
    assert_eq!(out[0]["contentHash"], out[1]["contentHash"]);
    assert_ne!(out[0]["id"], out[1]["id"], "two documents, two ids");
    assert_ne!(out[0]["site"], out[1]["site"]);
}
