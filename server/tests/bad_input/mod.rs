//! The bad-input corpus: every kind of garbage a long-running ingestion
//! service meets, generated here (the large ones would bloat the repo) and
//! fed through `akhbar run` in one batch with a good document. The process
//! must survive, each bad document must get a clear error naming it and the
//! stage (or come out as a sensible article), memory must stay bounded, and
//! the good document must come out.

use serde_json::Value;

use super::{articles, run};

pub mod corpus;

use corpus::{Expect, LIMIT, generate};

#[test]
fn the_bad_input_corpus_is_survived_document_by_document() {
    let dir = tempfile::tempdir().unwrap();
    let expected = generate(dir.path());
    let limit = LIMIT.to_string();
    let output = run(&[
        "run",
        "--jobs",
        "2",
        "--max-document-bytes",
        &limit,
        dir.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the process survived and produced articles: {stderr}"
    );
    let out = articles(&output);
    let came_out = |name: &str| {
        out.iter()
            .any(|a: &Value| a["sourceUri"].as_str().is_some_and(|u| u.ends_with(name)))
    };
    let dead_line = |name: &str| {
        stderr
            .lines()
            .find(|l| l.contains(&format!("/{name}: ")))
            .map(str::to_owned)
    };
    for (name, expect) in &expected {
        match expect {
            Expect::Article => assert!(
                came_out(name),
                "{name} should come out as an article: {:?}",
                dead_line(name)
            ),
            Expect::Dead(text) => {
                let line = dead_line(name)
                    .unwrap_or_else(|| panic!("no dead letter for {name}: {stderr}"));
                assert!(line.contains(text), "{name}: expected {text:?} in {line:?}");
                assert!(!came_out(name));
            }
            Expect::TooLarge(size) => {
                let line = dead_line(name)
                    .unwrap_or_else(|| panic!("no dead letter for {name}: {stderr}"));
                let text =
                    format!("input `akhbar`: rejected: document is {size} bytes, over the limit");
                assert!(
                    line.contains(&text),
                    "{name}: expected {text:?} in {line:?}"
                );
                assert!(!came_out(name));
            }
            Expect::Either => assert!(
                came_out(name) ^ dead_line(name).is_some(),
                "{name}: neither an article nor a dead letter"
            ),
        }
    }
    let summary = stderr
        .lines()
        .find(|l| l.contains("documents in"))
        .expect("a summary");
    assert!(
        summary.contains(&format!("{} documents in", expected.len())),
        "{summary}"
    );
    // Memory: the 100 MB file was never read; the rest stays far below it.
    let peak: u64 = summary
        .split("peak memory ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the summary reports peak memory");
    assert!(peak < 600, "peak memory {peak} MB");
    let bidi = out
        .iter()
        .find(|a| a["sourceUri"].as_str().unwrap().ends_with("bidi_mixed.txt"))
        .unwrap();
    assert!(bidi["body"].as_str().unwrap().contains("كيم جونغ أون"));
}
