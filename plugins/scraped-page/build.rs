//! Folds the stopword lists of the `stop-words` crate once, at build time,
//! with the plugin's own [`fold`](fold::fold): the plugin then loads a ready
//! table instead of folding some 20,000 words in every process.

#[allow(dead_code)]
#[path = "src/fold.rs"]
mod fold;

use std::collections::BTreeMap;
use std::fmt::Write as _;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/fold.rs");
    let mut names = Vec::new();
    // folded word -> bit `i` for every language `names[i]` listing it.
    let mut words: BTreeMap<String, u64> = BTreeMap::new();
    for code in stop_words::available_languages() {
        let Some(list) = stop_words::lookup(code) else {
            continue;
        };
        assert!(names.len() < 64, "more stopword languages than bits");
        let bit = 1u64 << names.len();
        names.push(*code);
        for w in list {
            let f = fold::fold(w);
            if f.is_empty() || f.contains(' ') {
                continue;
            }
            *words.entry(f).or_default() |= bit;
        }
    }
    let mut out = String::new();
    out.push_str("/// Stopword languages, in the order of their bits.\n");
    writeln!(out, "pub(crate) static NAMES: &[&str] = &{names:?};").unwrap();
    out.push_str("/// Folded stopwords with the languages listing them.\n");
    out.push_str("pub(crate) static WORDS: &[(&str, u64)] = &[\n");
    for (word, langs) in &words {
        writeln!(out, "    ({word:?}, {langs:#x}),").unwrap();
    }
    out.push_str("];\n");
    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("stopwords.rs");
    std::fs::write(path, out).unwrap();
}
