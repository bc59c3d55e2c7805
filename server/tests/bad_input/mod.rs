//! The bad-input corpus: every kind of garbage a long-running ingestion
//! service meets, generated here (the large ones would bloat the repo) and
//! fed through `akhbar run` in one batch with a good document. The process
//! must survive, each bad document must get a clear error naming it and the
//! stage (or come out as a sensible article), memory must stay bounded, and
//! the good document must come out.

use std::io::Write as _;
use std::path::Path;

use serde_json::Value;

use super::{articles, run, seeds_dir};

/// Refused up front above this size (the test's `--max-document-bytes`).
const LIMIT: u64 = 32 * 1024 * 1024;

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// Writes the corpus; returns (file name, what must happen to it).
fn generate(dir: &Path) -> Vec<(&'static str, Expect)> {
    use Expect::*;
    let prose = "قال الرئيس إن المحادثات ستستمر يوم الجمعة في العاصمة وسط توقعات بتحقيق تقدم ملموس في الملفات العالقة بين البلدين. ";
    write(dir, "empty.txt", b"");
    write(
        dir,
        "invalid_utf8.txt",
        b"valid start \xC3\x28 then garbage \xFF\xFE\xFD",
    );
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(prose.repeat(3).encode_utf16().flat_map(u16::to_le_bytes));
    write(dir, "utf16_bom.txt", &utf16);
    write(
        dir,
        "utf16_no_bom.txt",
        &prose
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<_>>(),
    );
    write(
        dir,
        "image.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00",
    );
    write(dir, "archive.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00\x86\xa6\x10\x36\x05\x00\x00\x00");
    write(
        dir,
        "program.elf",
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00",
    );
    write(
        dir,
        "nul_bytes.txt",
        format!("{prose}\0\0\0{prose}").as_bytes(),
    );
    // Larger than the limit: a sparse file, refused before it is read.
    let huge = std::fs::File::create(dir.join("huge_100mb.txt")).unwrap();
    huge.set_len(100 * 1024 * 1024).unwrap();
    let mut long_line = std::fs::File::create(dir.join("one_10mb_line.txt")).unwrap();
    for _ in 0..(10 * 1024 * 1024 / prose.len()) {
        long_line.write_all(prose.as_bytes()).unwrap();
    }
    write(dir, "whitespace_only.txt", b" \t\n\r\n   \n\t\t\n");
    write(dir, "chrome_only.txt", "Home\nMenu\nSubscribe\nShare\nاقرأ أيضا\n[ad_1]\n[ad_2]\nزر الذهاب إلى الأعلى\nمقالات ذات صلة\n".as_bytes());
    let bidi = format!(
        "\u{202B}{prose}\u{202C} The minister said talks with \u{2067}كيم جونغ أون\u{2069} would continue on Friday, officials told reporters in Seoul.\u{200F}\n{prose}\u{200E}\n"
    );
    write(dir, "bidi_mixed.txt", bidi.as_bytes());
    write(
        dir,
        "long_words.txt",
        format!(
            "{}\n{prose}\n{}\n",
            "ش".repeat(200_000),
            "x".repeat(300_000)
        )
        .as_bytes(),
    );
    write(
        dir,
        "million_paragraphs.txt",
        "x\n".repeat(1_000_000).as_bytes(),
    );
    write(
        dir,
        "nested_markup.txt",
        format!(
            "{}{prose}<p class=\"unterminated",
            "<div><span>".repeat(100_000)
        )
        .as_bytes(),
    );
    std::fs::copy(
        seeds_dir().join("001_67609f2c1547a75f.txt"),
        dir.join("zz_good_seed.txt"),
    )
    .unwrap();
    vec![
        (
            "empty.txt",
            Dead("source `text-dump`: rejected: the document has no text"),
        ),
        (
            "invalid_utf8.txt",
            Dead("source `text-dump`: invalid UTF-8 at byte 12"),
        ),
        ("utf16_bom.txt", Article),
        (
            "utf16_no_bom.txt",
            Dead("source `text-dump`: binary content: NUL byte"),
        ),
        (
            "image.png",
            Dead("source `text-dump`: binary content: NUL byte"),
        ),
        (
            "archive.gz",
            Dead("source `text-dump`: binary content: NUL byte"),
        ),
        (
            "program.elf",
            Dead("source `text-dump`: binary content: NUL byte"),
        ),
        (
            "nul_bytes.txt",
            Dead("source `text-dump`: binary content: NUL byte"),
        ),
        (
            "huge_100mb.txt",
            Dead("input `akhbar`: rejected: document is 104857600 bytes, over the limit"),
        ),
        ("one_10mb_line.txt", Either),
        (
            "whitespace_only.txt",
            Dead("source `text-dump`: rejected: the document has no text"),
        ),
        (
            "chrome_only.txt",
            Dead("normalizer `scraped-page`: rejected: no article text found"),
        ),
        ("bidi_mixed.txt", Article),
        ("long_words.txt", Either),
        (
            "million_paragraphs.txt",
            Dead(
                "source `text-dump`: rejected: the document has 1000000 lines, over the limit of 50000",
            ),
        ),
        ("nested_markup.txt", Either),
        ("zz_good_seed.txt", Article),
    ]
}

#[derive(Debug)]
enum Expect {
    /// An article comes out.
    Article,
    /// A dead letter naming the file, with this text after the file name.
    Dead(&'static str),
    /// Either a sensible article or a dead letter naming the file.
    Either,
}

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
