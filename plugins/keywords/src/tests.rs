use super::*;
use akhbar_arabic_text::matching;

const ARABIC: [&str; 4] = [
    "أجرى سيرغي شويغو، أمين مجلس الأمن الروسي، محادثات مع زعيم كوريا الشمالية كيم جونغ أون في بيونغ يانغ حول التعاون العسكري.",
    "وقال شويغو إن مجلس الأمن الروسي يولي أهمية كبيرة للحوار الاستراتيجي مع كوريا الشمالية، وإن العقوبات الغربية لن تعرقل التعاون.",
    "وتتهم الدول الغربية كوريا الشمالية بتزويد روسيا بالذخائر والصواريخ الباليستية، في انتهاك للعقوبات المفروضة عليها.",
    "ونفت موسكو وبيونغ يانغ أي نقل للأسلحة، لكن شويغو أكد أن التعاون العسكري سيتعزز في إطار الحوار الاستراتيجي.",
];

const ENGLISH: [&str; 3] = [
    "Russia's Security Council secretary Sergei Shoigu held talks with North Korean leader Kim Jong Un in Pyongyang on military cooperation.",
    "Shoigu said the Security Council valued its strategic dialogue with North Korea and that Western sanctions would not stop military cooperation.",
    "Western countries accuse North Korea of supplying Russia with ammunition and ballistic missiles in violation of sanctions.",
];

fn texts(found: &[(String, f64)]) -> Vec<&str> {
    found.iter().map(|(t, _)| t.as_str()).collect()
}

#[test]
fn arabic_key_phrases_are_topical_and_free_of_stopwords() {
    let found = keywords(&ARABIC, 3, 10);
    let got = texts(&found);
    assert!(got.len() >= 5, "{got:?}");
    assert!(got.iter().any(|k| k.contains("شويغو")), "{got:?}");
    assert!(got.iter().any(|k| k.contains("كوريا الشمالية")), "{got:?}");
    assert!(
        got.iter()
            .any(|k| k.contains("التعاون العسكري") || k.contains("الحوار الاستراتيجي")),
        "{got:?}"
    );
    for k in &got {
        let first = matching(k.split(' ').next().unwrap());
        let last = matching(k.rsplit(' ').next().unwrap());
        assert!(!is_stopword(&first) && !is_stopword(&last), "{k}");
    }
    // Scores are in (0, 1] and best first.
    assert!(found.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(found.iter().all(|(_, s)| *s > 0.0 && *s <= 1.0));
}

#[test]
fn clitic_and_plural_variants_count_as_one_phrase() {
    // العقوبات / للعقوبات / عقوبات: one key, not three.
    let found = keywords(
        &[
            "فرضت العقوبات على البلاد.",
            "وأدت للعقوبات آثار.",
            "ستبقى عقوبات جديدة.",
        ],
        1,
        20,
    );
    let sanctions = texts(&found)
        .iter()
        .filter(|k| matching(k).contains("عقوب"))
        .count();
    assert_eq!(sanctions, 1, "{found:?}");
}

#[test]
fn a_phrase_is_shown_without_the_proclitic_the_text_also_writes_it_without() {
    // للعقوبات three times, العقوبات once: the word is العقوبات. وكوريا
    // twice, كوريا once: كوريا. والكوريون has no bare form: it stays.
    let found = keywords(
        &[
            "تخضع البلاد للعقوبات منذ سنوات، وتمتد للعقوبات آثار على الاقتصاد.",
            "لا نهاية للعقوبات في الأفق، وفرضت العقوبات الأمم المتحدة.",
            "زار الوفد وكوريا الجنوبية ثم وكوريا الشمالية، ورحبت كوريا بذلك.",
            "قال والكوريون إنهم مستعدون.",
        ],
        1,
        20,
    );
    let shown = texts(&found);
    assert!(shown.contains(&"العقوبات"), "{shown:?}");
    assert!(!shown.contains(&"للعقوبات"), "{shown:?}");
    assert!(shown.contains(&"كوريا"), "{shown:?}");
    assert!(!shown.contains(&"وكوريا"), "{shown:?}");
}

#[test]
fn a_proclitic_is_told_by_the_other_form() {
    use super::with_proclitic;
    assert!(with_proclitic("للعقوبات", "العقوبات"));
    assert!(with_proclitic("بالعقوبات", "العقوبات"));
    assert!(with_proclitic("وكوريا الشمالية", "كوريا الشمالية"));
    assert!(!with_proclitic("العقوبات", "للعقوبات"));
    assert!(!with_proclitic("والكوريون", "كوريون"));
    assert!(!with_proclitic("ل", ""));
    assert!(!with_proclitic("Kim", "im"));
}

#[test]
fn a_phrase_found_only_inside_longer_names_is_no_key_phrase() {
    let paragraphs = [
        "التقى كيم جونج أون في بيونج يانج الرئيس فلاديمير بوتين.",
        "وقال كيم إن العلاقات مع روسيا قوية، وأشاد بوتين بالشراكة مع كيم.",
        "وأكد كيم جونج أون أن الزيارة تاريخية، وقال كيم إن الشراكة ستدوم.",
        "ورحب كيم جونج أون بالضيف، وقال كيم إن بوتين صديق.",
        "The United Nations Security Council met; the United Nations said little.",
    ];
    // The names entities finds: every mention, as (paragraph, start, end).
    let mut names = Vec::new();
    for (i, p) in paragraphs.iter().enumerate() {
        for name in [
            "كيم جونج أون",
            "فلاديمير بوتين",
            "بوتين",
            "بيونج يانج",
            "United Nations Security Council",
            "United Nations",
        ] {
            for (start, _) in p.match_indices(name) {
                names.push((i, start, start + name.len()));
            }
        }
    }
    // Two-word phrases at most, so that the name's pieces compete.
    let without = keywords(&paragraphs, 2, 30);
    let with = keywords_beside_names(&paragraphs, &names, 2, 30);
    let (without, with) = (texts(&without), texts(&with));
    // Pieces of a name that the text never writes alone go.
    for piece in ["كيم جونج", "أون", "Security Council"] {
        assert!(without.contains(&piece), "{piece}: {without:?}");
        assert!(!with.contains(&piece), "{piece}: {with:?}");
    }
    // A name's word that the text also uses alone stays.
    for word in ["كيم", "بوتين"] {
        assert!(with.contains(&word), "{word}: {with:?}");
    }
}

#[test]
fn english_key_phrases() {
    let got = keywords(&ENGLISH, 3, 10);
    let got = texts(&got);
    assert!(got.iter().any(|k| k.contains("Shoigu")), "{got:?}");
    assert!(got.iter().any(|k| k.contains("North Korea")), "{got:?}");
    assert!(
        !got.iter().any(|k| ["the", "and", "with", "of"].contains(k)),
        "{got:?}"
    );
}

#[test]
fn the_enricher_fills_keywords_and_checks_its_config() {
    use akhbar_plugin_sdk::proto::Paragraph;
    let plugin = Keywords::new(&Config::new(br#"{"max_keywords": 3}"#)).unwrap();
    let article = Article {
        paragraphs: ENGLISH
            .iter()
            .map(|t| Paragraph {
                text: (*t).into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let out = plugin.enriched(article).unwrap();
    assert_eq!(out.keywords.len(), 3);
    assert!(Keywords::new(&Config::new(br#"{"max_words": 9}"#)).is_err());
    assert!(keywords(&["و في من"], 3, 10).is_empty());
}

#[test]
fn character_classes_agree_with_the_shared_tokenizer() {
    for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
        let expected = if is_word_char(c) {
            Class::Word
        } else if c == '\'' || c == '-' || c == '’' {
            Class::Joiner
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Stop
        };
        assert_eq!(class(c), expected, "{c:?} U+{:04X}", c as u32);
    }
}

#[test]
fn sentences_split_at_punctuation_and_keep_inner_joiners() {
    let mut got: Vec<Option<&str>> = Vec::new();
    split(
        "Kim's talks—in Pyongyang, on co-operation. -x' «نعم»",
        |e| got.push(e),
    );
    assert_eq!(
        got,
        [
            Some("Kim's"),
            Some("talks"),
            None,
            Some("in"),
            Some("Pyongyang"),
            None,
            Some("on"),
            Some("co-operation"),
            None,
            None,
            Some("x"),
            None,
            None,
            Some("نعم"),
            None,
            None,
        ]
    );
}

/// Found on a generated page: “I couldn’t focus”, split at the typographic
/// apostrophe, made “couldn” a key phrase. Contractions are one word, and a
/// stopword when negated; a possessive counts with its name.
#[test]
fn contractions_and_possessives_with_either_apostrophe() {
    let text = [
        "“I couldn’t focus, I couldn’t have acted,” Steenburgen said of the music.",
        "Steenburgen’s son said he couldn't have guessed. Steenburgen's music won.",
        "Steenburgen wrote the music that Buckley sings; they’re proud, it’s done.",
    ];
    let found = keywords(&text, 1, 10);
    let got = texts(&found);
    for junk in [
        "couldn",
        "couldn’t",
        "couldn't",
        "t",
        "re",
        "they’re",
        "it’s",
    ] {
        assert!(
            !got.iter().any(|k| k.eq_ignore_ascii_case(junk)),
            "{junk}: {got:?}"
        );
    }
    // Five mentions of the name, three of them possessive, make one key
    // word, the best, in the form written most often.
    assert_eq!(got.first(), Some(&"Steenburgen"), "{got:?}");
    assert!(
        !got.iter()
            .any(|k| k.starts_with("Steenburgen’") || k.starts_with("Steenburgen'")),
        "{got:?}"
    );
    // A possessive is shown as the name, wherever it is written most.
    let nasa = keywords(
        &["NASA’s plan is bold. NASA’s budget is larger. NASA said so."],
        1,
        10,
    );
    assert!(texts(&nasa).contains(&"NASA"), "{nasa:?}");
    assert!(!texts(&nasa).iter().any(|k| k.contains('’')), "{nasa:?}");
    let musk = keywords(
        &["Elon Musk’s SpaceX won. Elon Musk’s SpaceX flew. SpaceX said."],
        3,
        10,
    );
    assert!(texts(&musk).contains(&"Elon Musk’s SpaceX"), "{musk:?}");
    // A closing quote is not part of the word before it.
    let quoted = keywords(
        &["He wanted to work with ‘Nellie Wall,’ with ‘Nellie Wall’ again."],
        2,
        10,
    );
    assert!(texts(&quoted).contains(&"Nellie Wall"), "{quoted:?}");
}

proptest::proptest! {
    /// The five-byte shortcut answers as a look at the whole word would.
    #[test]
    fn a_clitic_is_found_by_its_last_five_bytes(word in "[a-zA-Z’'ـء-ي]{0,12}") {
        let whole = match word.char_indices().rev().find(|&(_, c)| c == '\'' || c == '’') {
            None => Clitic::Kept,
            Some((at, a)) => {
                let (base, tail) = (&word[..at], word[at + a.len_utf8()..].to_ascii_lowercase());
                if tail == "t" && base.to_ascii_lowercase().ends_with('n') {
                    Clitic::Negation
                } else if !base.is_empty() && ["s", "m", "re", "ve", "ll", "d"].contains(&tail.as_str()) {
                    Clitic::Off(at)
                } else {
                    Clitic::Kept
                }
            }
        };
        proptest::prop_assert_eq!(english_clitic(&word), whole);
    }
}

proptest::proptest! {
    /// Names may be anywhere, even past a paragraph's end, without a panic;
    /// names that hold nothing (empty ranges) change nothing.
    #[test]
    fn names_anywhere_are_safe_and_empty_ones_change_nothing(
        paragraphs in proptest::collection::vec("[a-c ءابتكيمن.،]{0,40}", 1..5),
        names in proptest::collection::vec((0usize..6, 0usize..60, 0usize..60), 0..6),
    ) {
        let paragraphs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
        let plain = keywords(&paragraphs, 3, 50);
        let with = keywords_beside_names(&paragraphs, &names, 3, 50);
        let empty: Vec<NameSpan> = names.iter().map(|&(p, s, _)| (p, s, s)).collect();
        proptest::prop_assert_eq!(keywords_beside_names(&paragraphs, &empty, 3, 50), plain.clone());
        proptest::prop_assert!(with.len() <= 50);
    }
}

proptest::proptest! {
    /// Splitting by bytes gives the events of a split char by char: each
    /// word ends at its last word character, and punctuation (or a joiner
    /// outside a word) ends a chunk.
    #[test]
    fn split_by_bytes_agrees_with_a_split_by_chars(
        text in "[a-zA-Z0-9 א\u{05FF}\u{0680}\u{06A9}\u{06CC}'’\\-.,ءاأةىيـًٌٍَ٠-٩ؠ-ٟ،؛؟«»\u{2000}-\u{2010}\u{A0}éЖ가\u{FEFC}]{0,40}",
    ) {
        let mut by_chars: Vec<Option<&str>> = Vec::new();
        let (mut start, mut end): (Option<usize>, usize) = (None, 0);
        for (i, c) in text.char_indices() {
            let class = class(c);
            if class == Class::Word {
                start.get_or_insert(i);
                end = i + c.len_utf8();
                continue;
            }
            if class == Class::Joiner && start.is_some() {
                continue;
            }
            if let Some(s) = start.take() {
                by_chars.push(Some(&text[s..end]));
                if end < i {
                    by_chars.push(None);
                }
            }
            if class != Class::Space {
                by_chars.push(None);
            }
        }
        if let Some(s) = start {
            by_chars.push(Some(&text[s..end]));
        }
        by_chars.push(None);
        let mut by_bytes: Vec<Option<&str>> = Vec::new();
        split(&text, |e| by_bytes.push(e));
        proptest::prop_assert_eq!(by_bytes, by_chars);
    }
}

/// The capital check tells a word led by U+0600..=U+06FF from its first
/// byte: nothing there is upper case.
#[test]
fn the_arabic_block_has_no_capitals() {
    assert!(('\u{0600}'..='\u{06FF}').all(|c| !c.is_uppercase()));
}

#[test]
fn small_logs_are_the_logarithms_computed_in_place() {
    let logs = small_logs();
    for n in [0, 1, 2, 7, SMALL - 1, SMALL, SMALL + 5, u32::MAX] {
        assert_eq!(logs.ln(n).to_bits(), f64::from(n).ln().to_bits(), "{n}");
        let direct = (3.0 + f64::from(n)).ln().ln();
        assert_eq!(logs.ln_ln_3_plus(n).to_bits(), direct.to_bits(), "{n}");
    }
}

/// Each one-letter proclitic comes off a word that the text also writes
/// without it: one key phrase, not two.
#[test]
fn each_one_letter_proclitic_meets_the_bare_word() {
    for clitic in ['و', 'ف', 'ب', 'ل', 'ك'] {
        let second = format!("وتحدث الوزير {clitic}كوريا طويلا.");
        let found = keywords(&["زار الوفد كوريا أمس.", &second], 1, 20);
        let korea = texts(&found).iter().filter(|k| k.contains("كوريا")).count();
        assert_eq!(korea, 1, "{clitic}: {found:?}");
    }
}

proptest::proptest! {
    /// The word keys' table numbers keys as a map of them would (in order
    /// of first sight), whatever the capacity it starts with (it grows).
    #[test]
    fn keys_are_numbered_as_a_map_numbers_them(
        words in proptest::collection::vec("[abء]{0,4}", 0..300),
        capacity in 0usize..20,
    ) {
        let mut keys = Keys::with_capacity(capacity, 0);
        let mut reference: std::collections::HashMap<&str, u32> = Default::default();
        for word in &words {
            let next = reference.len() as u32;
            let want = *reference.entry(word).or_insert(next);
            proptest::prop_assert_eq!(keys.id(word), want);
            proptest::prop_assert_eq!(keys.get(word), Some(want));
            proptest::prop_assert_eq!(keys.key(want as usize), word.as_str());
        }
        proptest::prop_assert_eq!(keys.len(), reference.len());
        proptest::prop_assert_eq!(keys.get("abab"), reference.get("abab").copied());
    }

    /// The trie's longer sequences are numbered as a map of them would (from
    /// `base`, in order of first sight), whatever the capacity it starts with.
    #[test]
    fn children_are_numbered_as_a_map_numbers_them(
        pairs in proptest::collection::vec((0u64..6, 0u64..6), 0..300),
        capacity in 0usize..20,
        base in 0u32..1000,
    ) {
        let mut children = Children::with_capacity(capacity, base);
        let mut reference: std::collections::HashMap<u64, u32> = Default::default();
        for (parent, word) in pairs {
            let key = (parent + u64::from(base)) << 32 | word;
            let next = base + reference.len() as u32;
            let want = *reference.entry(key).or_insert(next);
            proptest::prop_assert_eq!(children.node(key), (want, want == next));
        }
    }
}

proptest::proptest! {
    /// The walk along each term's occurrences counts as passes over the
    /// sentences do: occurrences, capitalized ones not first in their
    /// sentence, sentences, the median one (the `sentences / 2`-th), and
    /// distinct neighbours; equal pairs (in a sentence) get equal numbers,
    /// different ones different numbers.
    #[test]
    fn term_walk_counts_as_passes_over_the_sentences(
        spec in proptest::collection::vec((0u32..6, proptest::bool::weighted(0.2), proptest::bool::ANY, proptest::bool::weighted(0.2)), 0..80),
    ) {
        let keys = 6usize;
        let mut words = Vec::new();
        let mut ends = Vec::new();
        for &(key, stop, upper, ends_sentence) in &spec {
            words.push(Word { at: 0, form: 0, key, stop, upper });
            if ends_sentence {
                ends.push(words.len() as u32);
            }
        }
        if ends.last().copied().unwrap_or(0) < words.len() as u32 {
            ends.push(words.len() as u32);
        }
        let mut sentence_of = Vec::new();
        for (si, &end) in ends.iter().enumerate() {
            sentence_of.resize(end as usize, (end, si as u32));
        }
        let mut first_at = vec![NONE; keys];
        let mut next_same = vec![NONE; words.len()];
        for (i, w) in words.iter().enumerate().rev() {
            next_same[i] = first_at[w.key as usize];
            first_at[w.key as usize] = i as u32;
        }
        let (stats, pair_node, nodes) = walk_terms(&words, &ends, &sentence_of, &first_at, &next_same);

        // The simple passes.
        let mut want = vec![TermStats::default(); keys];
        let mut in_sentences: Vec<Vec<u32>> = vec![Vec::new(); keys];
        let mut rights = vec![std::collections::BTreeSet::new(); keys];
        let mut lefts = vec![std::collections::BTreeSet::new(); keys];
        let mut pairs = std::collections::BTreeSet::new();
        for (si, sentence) in sentences(&words, &ends).enumerate() {
            for (wi, w) in sentence.iter().enumerate() {
                if let Some(next) = sentence.get(wi + 1) {
                    rights[w.key as usize].insert(next.key);
                    lefts[next.key as usize].insert(w.key);
                    pairs.insert((w.key, next.key));
                }
                if w.stop {
                    continue;
                }
                let t = &mut want[w.key as usize];
                t.tf += 1;
                t.upper += u32::from(w.upper && wi > 0);
                if in_sentences[w.key as usize].last() != Some(&(si as u32)) {
                    in_sentences[w.key as usize].push(si as u32);
                }
            }
        }
        for (k, t) in want.iter_mut().enumerate() {
            t.sentences = in_sentences[k].len() as u32;
            t.median = in_sentences[k].get(in_sentences[k].len() / 2).copied().unwrap_or(0);
            t.left = lefts[k].len() as u32;
            t.right = rights[k].len() as u32;
        }
        let got: Vec<_> = stats.iter().map(|t| (t.tf, t.upper, t.sentences, t.median, t.left, t.right)).collect();
        let want: Vec<_> = want.iter().map(|t| (t.tf, t.upper, t.sentences, t.median, t.left, t.right)).collect();
        proptest::prop_assert_eq!(got, want);
        proptest::prop_assert_eq!(nodes as usize, keys + pairs.len());
        let mut numbers = std::collections::BTreeMap::new();
        for i in 0..words.len() {
            let pair = (i + 1 < sentence_of[i].0 as usize).then(|| (words[i].key, words[i + 1].key));
            match pair {
                None => proptest::prop_assert_eq!(pair_node[i], NONE),
                Some(pair) => {
                    proptest::prop_assert!((keys as u32..nodes).contains(&pair_node[i]));
                    let number = *numbers.entry(pair).or_insert(pair_node[i]);
                    proptest::prop_assert_eq!(pair_node[i], number);
                }
            }
        }
        let distinct: std::collections::BTreeSet<_> = numbers.values().collect();
        proptest::prop_assert_eq!(distinct.len(), numbers.len());
    }
}

proptest::proptest! {
    /// The written words' table gives each word the value computed when it
    /// was first seen, computed once, as a map of the words would: words
    /// up to 16 bytes are told by their fingerprints alone, longer ones
    /// (sharing first and last bytes often here) by their bytes too.
    #[test]
    fn forms_are_told_apart_as_a_map_tells_them(
        words in proptest::collection::vec("[ab’ء]{0,12}", 0..300),
        capacity in 0usize..20,
    ) {
        let mut table = FormTable::with_capacity(capacity);
        let mut reference: std::collections::HashMap<&str, usize> = Default::default();
        for (i, word) in words.iter().enumerate() {
            let mut computed = false;
            let got = table.get_or_insert_with(word, || {
                computed = true;
                i
            });
            let want = *reference.entry(word).or_insert(i);
            proptest::prop_assert_eq!(got, want);
            proptest::prop_assert_eq!(computed, want == i);
        }
    }

    /// Up to 16 bytes, words of a length with equal fingerprints are
    /// equal (the other word differs from the first in a byte or two).
    #[test]
    fn a_fingerprint_is_the_word_up_to_16_bytes(
        a in proptest::collection::vec(0u8..3, 1..17),
        changes in proptest::collection::vec((0usize..16, 0u8..3), 0..3),
    ) {
        let mut b = a.clone();
        for (at, byte) in changes {
            let n = b.len();
            b[at % n] = byte;
        }
        proptest::prop_assert_eq!(fingerprint(&a) == fingerprint(&b), a == b);
    }
}
