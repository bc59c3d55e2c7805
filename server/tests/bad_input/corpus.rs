//! The bad-input corpus of issue 6, generated (the large files would bloat
//! the repo): every kind of garbage a long-running ingestion service meets,
//! with one good document, and what must happen to each. Shared by the
//! `akhbar run` test (`tests.rs`, `bad_input`) and the `Ingest.Push` test
//! (`reliability.rs`).

use std::io::Write as _;
use std::path::Path;

/// Refused up front above this size (the test's `--max-document-bytes`).
pub const LIMIT: u64 = 32 * 1024 * 1024;

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// Writes the corpus; returns (file name, what must happen to it).
pub fn generate(dir: &Path) -> Vec<(&'static str, Expect)> {
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
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds/001_67609f2c1547a75f.txt"),
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
        ("huge_100mb.txt", TooLarge(104_857_600)),
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
pub enum Expect {
    /// An article comes out.
    Article,
    /// A dead letter naming the file, with this text after the file name.
    Dead(&'static str),
    /// Either a sensible article or a dead letter naming the file.
    Either,
    /// Refused up front, unread: larger (this many bytes) than [`LIMIT`].
    TooLarge(u64),
}
