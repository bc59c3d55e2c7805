use super::*;
use akhbar_plugin_sdk::proto::Paragraph;

fn plugin() -> Entities {
    Entities::new(&Config::new(b"")).unwrap()
}

fn article(texts: &[&str]) -> Article {
    Article {
        paragraphs: texts
            .iter()
            .map(|t| Paragraph {
                text: akhbar_arabic_text::display(t),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// (surface text, canonical id) of each mention.
fn mentions(plugin: &Entities, texts: &[&str]) -> Vec<(String, String)> {
    let out = plugin.enriched(article(texts)).unwrap();
    for e in &out.entities {
        let display = &out.paragraphs[e.paragraph as usize].text;
        assert_eq!(
            &display[e.start as usize..e.end as usize],
            e.text,
            "offsets point at the surface text"
        );
    }
    out.entities
        .iter()
        .map(|e| (e.text.clone(), e.canonical_id.clone()))
        .collect()
}

fn ids(plugin: &Entities, text: &str) -> Vec<String> {
    mentions(plugin, &[text])
        .into_iter()
        .map(|(_, id)| id)
        .collect()
}

#[test]
fn spelling_variants_meet_on_one_canonical_entity() {
    let p = plugin();
    for text in [
        "كيم جونغ أون",
        "كيم جونج أون",
        "كيم جونغ اون",
        "كِيم جُونغ أُون",
        "Kim Jong Un",
        "Kim Jong-un",
    ] {
        assert_eq!(ids(&p, text), ["wikidata:Q56226"], "{text}");
    }
    for text in ["بيونغ يانغ", "بيونج يانج", "Pyongyang"] {
        assert_eq!(ids(&p, text), ["wikidata:Q18808"], "{text}");
    }
    for text in [
        "شويغو",
        "شويجو",
        "سيرجي شويغو",
        "سيرغي شويجو",
        "Sergei Shoigu",
    ] {
        assert_eq!(ids(&p, text), ["wikidata:Q32024"], "{text}");
    }
}

#[test]
fn arabic_clitics_are_allowed_and_left_out_of_the_surface() {
    let p = plugin();
    assert_eq!(
        mentions(&p, &["يلتقي بكيم جونغ أون وبيونغ يانغ ولروسيا وبالصين"]),
        [
            ("كيم جونغ أون".to_owned(), "wikidata:Q56226".to_owned()),
            ("بيونغ يانغ".to_owned(), "wikidata:Q18808".to_owned()),
            ("روسيا".to_owned(), "wikidata:Q159".to_owned()),
            ("الصين".to_owned(), "wikidata:Q148".to_owned()),
        ]
    );
    assert_eq!(ids(&p, "بيان للكرملين"), ["akhbar:moscow-kremlin"]);
    assert_eq!(ids(&p, "قال الكرملين"), ["akhbar:moscow-kremlin"]);
}

#[test]
fn a_name_inside_a_longer_word_is_not_a_mention() {
    let p = plugin();
    // مصرف (bank) is not مصر (Egypt); الروسية (Russian) is not روسيا.
    assert!(ids(&p, "قال مصرف الدولة إن القوات الروسية").is_empty());
    // A word that only starts like a clitic + name: "كمصر" is fine, "يمصر" is not.
    assert_eq!(ids(&p, "كمصر"), ["wikidata:Q79"]);
    assert!(ids(&p, "يمصر").is_empty());
    // Latin names need a word boundary.
    assert!(ids(&p, "Putinism and Obamacare").is_empty());
}

#[test]
fn surface_text_keeps_the_diacritics_of_the_display_text() {
    let p = plugin();
    let found = mentions(&p, &["قالَ الرئيسُ بوتينُ"]);
    assert_eq!(found, [("بوتينُ".to_owned(), "wikidata:Q7747".to_owned())]);
}

#[test]
fn weak_aliases_count_only_after_the_full_name() {
    let p = plugin();
    assert!(ids(&p, "استضاف كيم الوفد").is_empty());
    assert_eq!(
        mentions(&p, &["التقى كيم جونغ أون بوتين.", "واستضاف كيم الوفد"])
            .into_iter()
            .map(|(_, id)| id)
            .collect::<Vec<_>>(),
        ["wikidata:Q56226", "wikidata:Q7747", "wikidata:Q56226"]
    );
}

#[test]
fn names_after_title_words_are_found_and_their_variants_meet() {
    let p = plugin();
    let a = mentions(&p, &["وقال الرئيس الفنزويلي نيكولاس مادورو إن البلاد ستقاوم"]);
    assert_eq!(
        a,
        [(
            "نيكولاس مادورو".to_owned(),
            "akhbar:name:نيكولاس-مادورو".to_owned()
        )]
    );
    let b = mentions(
        &p,
        &[
            "وصل الجنرال فاليري غيراسيموف",
            "وصل الجنرال فاليري جيراسيموف",
        ],
    );
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].1, b[1].1);
    // A title followed by a known name gives the gazetteer entity only.
    assert_eq!(
        ids(&p, "قال الرئيس الروسي فلاديمير بوتين"),
        ["wikidata:Q7747"]
    );
    // A title followed by a verb and a preposition is not a name.
    assert!(ids(&p, "وصل الرئيس إلى المطار").is_empty());
}

#[test]
fn english_said_and_title_rules() {
    let p = plugin();
    let found = mentions(
        &p,
        &[
            "\"We will respond,\" said Jake Sullivan. Lloyd Austin said the talks failed, and President Joe Biden agreed.",
        ],
    );
    let names: Vec<&str> = found.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, ["Jake Sullivan", "Lloyd Austin", "Joe Biden"]);
    assert_eq!(found[0].1, "akhbar:name:jake-sullivan");
    assert_eq!(found[2].1, "wikidata:Q6279");
}

#[test]
fn english_roles_and_surnames_alone() {
    let p = plugin();
    let out = p
        .enriched(article(&[
            "Oscar-winning actress Mary Steenburgen came to co-write the song, and filmmaker Charlie McDowell remembers it.",
            "“I felt strange,” Steenburgen said. Steenburgen's son, McDowell, laughed.",
            "Their coach Bruce Boudreau was fine, said Ann Boudreau. Boudreau smiled.",
            "The San Francisco Chronicle said so, and James Van Der Beek said he agreed.",
        ]))
        .unwrap();
    let got: Vec<(&str, &str, &str)> = out
        .entities
        .iter()
        .map(|e| {
            (
                e.text.as_str(),
                e.canonical_name.as_str(),
                e.canonical_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Mary Steenburgen",
                "Mary Steenburgen",
                "akhbar:name:mary-steenburgen"
            ),
            (
                "Charlie McDowell",
                "Charlie McDowell",
                "akhbar:name:charlie-mcdowell"
            ),
            (
                "Steenburgen",
                "Mary Steenburgen",
                "akhbar:name:mary-steenburgen"
            ),
            (
                "Steenburgen",
                "Mary Steenburgen",
                "akhbar:name:mary-steenburgen"
            ),
            (
                "McDowell",
                "Charlie McDowell",
                "akhbar:name:charlie-mcdowell"
            ),
            // Two people share the surname: it is left alone.
            (
                "Bruce Boudreau",
                "Bruce Boudreau",
                "akhbar:name:bruce-boudreau"
            ),
            ("Ann Boudreau", "Ann Boudreau", "akhbar:name:ann-boudreau"),
            // An institution is no person; the longest name before "said".
            ("Van Der Beek", "Van Der Beek", "akhbar:name:van-der-beek"),
        ]
    );
}

#[test]
fn users_extend_the_gazetteer_with_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.tsv");
    std::fs::write(&path, "# mine\nakhbar:acme\tORGANIZATION\tAcme Corp\t-\tشركة أكمي|Acme Corp\nwikidata:Q7747\tPERSON\tVladimir Putin\t-\tالقيصر\n").unwrap();
    let config = format!(r#"{{"extra_gazetteers": ["{}"]}}"#, path.display());
    let p = Entities::new(&Config::new(config.as_bytes())).unwrap();
    assert_eq!(
        ids(&p, "أعلنت شركة أكمي أن القيصر و Acme Corp"),
        ["akhbar:acme", "wikidata:Q7747", "akhbar:acme"]
    );

    std::fs::write(&path, "akhbar:x\tTHING\tX\t-\tx\n").unwrap();
    let err = Entities::new(&Config::new(config.as_bytes())).unwrap_err();
    assert!(err.message().contains("line 1: unknown label"), "{err}");
}

#[test]
fn labels_and_names_come_from_the_gazetteer() {
    let out = plugin()
        .enriched(article(&["زار بوتين بيونغ يانغ قبل اجتماع الأمم المتحدة"]))
        .unwrap();
    let got: Vec<(i32, &str)> = out
        .entities
        .iter()
        .map(|e| (e.label, e.canonical_name.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Label::Person as i32, "Vladimir Putin"),
            (Label::Place as i32, "Pyongyang"),
            (Label::Organization as i32, "United Nations"),
        ]
    );
}

mod english_words {
    use super::*;

    /// The word list before the one-pass `english_words`.
    fn reference_words(display: &str) -> Vec<(usize, usize)> {
        display
            .char_indices()
            .filter(|&(i, c)| {
                c.is_alphabetic()
                    && display[..i]
                        .chars()
                        .next_back()
                        .is_none_or(|p| !p.is_alphanumeric() && p != '\'' && p != '-')
            })
            .map(|(i, _)| {
                let end = display[i..]
                    .char_indices()
                    .find(|&(_, c)| !(c.is_alphanumeric() || c == '-' || c == '\''))
                    .map_or(display.len(), |(j, _)| i + j);
                (i, end)
            })
            .collect()
    }

    /// Random strings over letters, digits, `'`, `-`, spaces, punctuation,
    /// Arabic letters and marks, and other scripts (a fixed-seed generator:
    /// no proptest in this crate).
    #[test]
    fn english_words_agree_with_the_reference() {
        let alphabet: Vec<char> = "aZ9'- .,ـكيمأ٣é\u{0300}\u{064B}\u{00B2}\u{2160}\u{00A0}Ω中"
            .chars()
            .collect();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(english_words(&text), reference_words(&text), "{text:?}");
        }
    }
}

/// 20,000 texts of up to 11 of `pieces` each, from a fixed seed
/// (xorshift), for the tests that hold a fast search to a reference one.
fn random_texts<'p>(pieces: &'p [&'p str], seed: u64) -> impl Iterator<Item = String> + 'p {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..20_000).map(move |_| {
        let len = (next() % 12) as usize;
        (0..len)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect()
    })
}

/// The title words' matches, taken from all the matches of the gazetteer's
/// scan, are those of a leftmost-longest search for them alone (texts
/// made of pieces of title words and gazetteer names, fixed-seed).
#[test]
fn title_matches_are_those_of_a_leftmost_longest_search() {
    let plugin = plugin();
    let automaton = plugin.automaton.as_ref().unwrap();
    let leftmost = aho_corasick::AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&plugin.title_words)
        .unwrap();
    let pieces = [
        "ال",
        "رئيس",
        "الرئيس",
        "وزير",
        "وزيره",
        "ه",
        " ",
        "الوزراء",
        "وزراء",
        "زعيم",
        "باسم",
        "المتحدث",
        "نائب",
        "ب",
        "و",
        "كيم",
        "بوتين",
        "ملك",
        "x",
        ".",
    ];
    for text in random_texts(&pieces, 0x9E37_79B9_7F4A_7C15) {
        let expected: Vec<(usize, usize, usize)> = leftmost
            .find_iter(&text)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        let mut titles = Vec::new();
        overlapping_matches(automaton, &text, &mut titles);
        titles.retain(|&(_, _, p)| p >= plugin.patterns.len());
        for (_, _, p) in &mut titles {
            *p -= plugin.patterns.len();
        }
        leftmost_longest(&mut titles);
        assert_eq!(titles, expected, "{text:?}");
    }
}

/// `overlapping_matches` reports what an overlapping search does, in its order
/// (patterns that overlap, nest and repeat; texts of their pieces).
#[test]
fn the_dfa_loop_reports_the_overlapping_search() {
    let patterns = [
        "ال",
        "الرئيس",
        "رئيس",
        "ئيس",
        "كيم",
        "كيم جونغ",
        "جونغ",
        "ab",
        "b",
        "abab",
        "رئيس",
    ];
    let dfa = DFA::builder()
        .match_kind(MatchKind::Standard)
        .prefilter(false)
        .build(patterns)
        .unwrap();
    let reference = aho_corasick::AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(patterns)
        .unwrap();
    let pieces = ["ال", "رئيس", "ر", "كيم", " ", "جونغ", "a", "b", "x", "و"];
    for text in random_texts(&pieces, 0x2545_F491_4F6C_DD1D) {
        let expected: Vec<(usize, usize, usize)> = reference
            .find_overlapping_iter(&text)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        let mut found = Vec::new();
        overlapping_matches(&dfa, &text, &mut found);
        assert_eq!(found, expected, "{text:?}");
    }
}
