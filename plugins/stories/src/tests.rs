use super::*;
use akhbar_plugin_sdk::Timestamp;
use akhbar_plugin_sdk::proto::{Entity, Paragraph};

fn person(id: &str, paragraph: u32) -> Entity {
    Entity {
        canonical_id: id.into(),
        label: Label::Person as i32,
        paragraph,
        ..Default::default()
    }
}

fn article(id: &str, text: &str, people: &[(&str, u32)], hours: i64) -> Article {
    Article {
        id: id.into(),
        paragraphs: text
            .split('\n')
            .map(|t| Paragraph {
                text: t.into(),
                ..Default::default()
            })
            .collect(),
        entities: people.iter().map(|(p, i)| person(p, *i)).collect(),
        published_at: Some(Timestamp {
            seconds: 1_700_000_000 + hours * 3600,
            nanos: 0,
        }),
        ..Default::default()
    }
}

fn plugin(config: &str) -> Stories {
    Stories::new(&Config::new(config.as_bytes())).unwrap()
}

const SHOIGU_A: &str =
    "أجرى سيرجي شويغو محادثات مع الزعيم كيم جونغ أون في بيونغ يانغ حول التعاون العسكري";
const SHOIGU_B: &str = "تعهد كيم جونغ أون بتعزيز العلاقات خلال لقائه أمين مجلس الأمن سيرغي شويغو";
const PUTIN_A: &str =
    "وصل الرئيس فلاديمير بوتين إلى بيونغ يانغ في أول زيارة منذ 24 عاما ووقع معاهدة شراكة";
const PUTIN_B: &str =
    "زيارة بوتين لكوريا الشمالية تتصدر محركات البحث مع توقيع معاهدة الشراكة الاستراتيجية";
const OTHER: &str =
    "The central bank raised interest rates by a quarter point on Tuesday citing inflation";

fn corpus() -> Vec<Article> {
    vec![
        article("a1", SHOIGU_A, &[("shoigu", 0), ("kim", 0)], 0),
        article("b1", PUTIN_A, &[("putin", 0), ("putin", 1)], 1),
        article("a2", SHOIGU_B, &[("kim", 0), ("shoigu", 0)], 2),
        article("b2", PUTIN_B, &[("putin", 0), ("kim", 2)], 3),
        article("c1", OTHER, &[], 4),
    ]
}

/// The partition of ids into stories, as sorted groups.
fn groups(articles: &[Article]) -> Vec<Vec<String>> {
    let mut by_story: HashMap<&str, Vec<String>> = HashMap::new();
    for a in articles {
        by_story.entry(&a.story_id).or_default().push(a.id.clone());
    }
    let mut groups: Vec<Vec<String>> = by_story
        .into_values()
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    groups.sort();
    groups
}

#[test]
fn articles_about_one_event_share_a_story_and_others_do_not() {
    let p = plugin("");
    let out: Vec<Article> = corpus()
        .into_iter()
        .map(|a| p.enriched(a).unwrap())
        .collect();
    assert_eq!(
        groups(&out),
        [vec!["a1", "a2"], vec!["b1", "b2"], vec!["c1"]]
    );
    assert!(
        out.iter()
            .all(|a| a.story_id.starts_with("story-") && a.simhash.len() == 16)
    );
    assert!(
        out[2]
            .provenance
            .last()
            .unwrap()
            .action
            .contains("joined the story of a1")
    );
}

#[test]
fn grouping_does_not_depend_on_arrival_order() {
    let base = corpus();
    let orders = [
        [4, 3, 2, 1, 0],
        [2, 0, 4, 3, 1],
        [3, 4, 0, 2, 1],
        [1, 2, 3, 4, 0],
    ];
    for order in orders {
        let p = plugin("");
        let out: Vec<Article> = order
            .iter()
            .map(|&i| p.enriched(base[i].clone()).unwrap())
            .collect();
        assert_eq!(
            groups(&out),
            [vec!["a1", "a2"], vec!["b1", "b2"], vec!["c1"]],
            "{order:?}"
        );
    }
}

#[test]
fn republished_text_is_a_near_duplicate_in_the_same_story() {
    let p = plugin("");
    let long: String = (0..8)
        .map(|i| format!("{SHOIGU_A} {i} {SHOIGU_B} {PUTIN_A} {} {PUTIN_B}", i * 7))
        .collect::<Vec<_>>()
        .join("\n");
    let first = p.enriched(article("x", &long, &[], 0)).unwrap();
    let edited = long.replacen("محادثات", "مباحثات", 1);
    let again = p.enriched(article("y", &edited, &[], 5)).unwrap();
    assert_eq!(again.near_duplicate_of, "x");
    assert_eq!(again.story_id, first.story_id);
    let different = p.enriched(article("z", OTHER, &[], 6)).unwrap();
    assert!(different.near_duplicate_of.is_empty());
}

#[test]
fn articles_outside_the_time_window_start_a_new_story() {
    let p = plugin(r#"{"window_hours": 24}"#);
    let a = p
        .enriched(article("a1", SHOIGU_A, &[("shoigu", 0), ("kim", 0)], 0))
        .unwrap();
    let b = p
        .enriched(article("a2", SHOIGU_B, &[("kim", 0), ("shoigu", 0)], 100))
        .unwrap();
    assert_ne!(a.story_id, b.story_id);
}

#[test]
fn memory_is_bounded() {
    let p = plugin(r#"{"max_articles": 2}"#);
    p.enriched(article("a1", SHOIGU_A, &[("shoigu", 0), ("kim", 0)], 0))
        .unwrap();
    p.enriched(article("b1", PUTIN_A, &[("putin", 0)], 0))
        .unwrap();
    p.enriched(article("c1", OTHER, &[], 0)).unwrap();
    assert_eq!(p.state.lock().unwrap().entries.len(), 2);
    // a1 is forgotten: its sibling starts a story of its own.
    let a2 = p
        .enriched(article("a2", SHOIGU_B, &[("kim", 0), ("shoigu", 0)], 0))
        .unwrap();
    assert_eq!(a2.story_id, "story-a2");
}

#[test]
fn english_articles_group_by_words_when_no_person_is_known() {
    let p = plugin("");
    let a = p.enriched(article("e1", OTHER, &[], 0)).unwrap();
    let b = p
        .enriched(article("e2", "On Tuesday the central bank raised interest rates by a quarter point, citing inflation worries", &[], 1))
        .unwrap();
    let c = p
        .enriched(article(
            "e3",
            "The football club signed a new striker from Brazil for a record fee",
            &[],
            1,
        ))
        .unwrap();
    assert_eq!(a.story_id, b.story_id);
    assert_ne!(a.story_id, c.story_id);
}

#[test]
fn config_is_checked() {
    assert!(Stories::new(&Config::new(br#"{"near_duplicate_bits": 9}"#)).is_err());
    assert!(Stories::new(&Config::new(br#"{"treshold": 0.5}"#)).is_err());
}

#[test]
fn the_same_document_again_keeps_its_story_only_while_remembered() {
    let p = plugin(r#"{"max_articles": 2}"#);
    let x = p
        .enriched(article("x", SHOIGU_A, &[("shoigu", 0), ("kim", 0)], 0))
        .unwrap();
    assert_eq!(x.story_id, "story-x");
    let y = p
        .enriched(article("y", PUTIN_A, &[("putin", 0)], 0))
        .unwrap();
    assert_eq!(y.story_id, "story-y");
    // x again, now about y's event: it keeps its story. Its first copy is
    // forgotten by this push, the second is still remembered.
    for _ in 0..2 {
        let again = p
            .enriched(article("x", PUTIN_B, &[("putin", 0)], 1))
            .unwrap();
        assert_eq!(again.story_id, "story-x");
    }
    // Forget every copy of x: the same id is then a new document.
    let r = p.enriched(article("r", OTHER, &[], 2)).unwrap();
    p.enriched(article("s", SHOIGU_B, &[("kim", 0)], 2))
        .unwrap();
    {
        let state = p.state.lock().unwrap();
        assert!(state.entries.iter().all(|e| e.id != "x"));
        assert!(!state.ids.contains_key("x"));
        assert_eq!(state.ids.len(), state.entries.len());
    }
    let x = p.enriched(article("x", OTHER, &[], 3)).unwrap();
    assert_eq!(x.near_duplicate_of, "r");
    assert_eq!(x.story_id, r.story_id);
}

#[test]
fn the_word_scan_agrees_with_the_shared_tokenizer() {
    let text = matching(&format!(
        "{SHOIGU_A}، «{PUTIN_B}» — {OTHER}… ok’s 24٪ ü x²y ﷲ ä\u{00A0}ب"
    ));
    let mut texts = vec![text];
    // Every character, between letters and alone.
    let all: Vec<char> = (0..=0x10_FFFF).filter_map(char::from_u32).collect();
    for chunk in all.chunks(4096) {
        texts.push(chunk.iter().flat_map(|&c| [c, 'a', c, ' ']).collect());
    }
    for text in &texts {
        let mut got = Vec::new();
        for_each_word(text, |w, hash| got.push((w, hash)));
        let expected: Vec<(&str, u64)> = akhbar_arabic_text::word_ranges(text)
            .map(|(s, e)| (&text[s..e], fnv(&text.as_bytes()[s..e])))
            .collect();
        assert_eq!(got, expected);
    }
}

#[test]
fn simhash_is_the_majority_of_shingle_bits() {
    let long: String = (0..30)
        .map(|i| format!("{SHOIGU_A} {i} {OTHER} {}", i * 3))
        .collect::<Vec<_>>()
        .join("\n");
    let a = article("x", &long, &[], 0);
    let (_, _, simhash) = features(&ArticleView::of(&a)).unwrap();
    // The plain count: +1 or -1 per shingle and bit.
    let mut bits = [0i64; 64];
    for paragraph in &a.paragraphs {
        let text = matching(&paragraph.text);
        let hashes: Vec<u64> = akhbar_arabic_text::word_ranges(&text)
            .map(|(s, e)| fnv(&text.as_bytes()[s..e]))
            .collect();
        for shingle in hashes.windows(3) {
            let h = shingle.iter().fold(0u64, |acc, x| {
                (acc.rotate_left(21) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            });
            for (bit, b) in bits.iter_mut().enumerate() {
                *b += if h >> bit & 1 == 1 { 1 } else { -1 };
            }
        }
    }
    let expected = bits.iter().enumerate().fold(
        0u64,
        |acc, (bit, b)| if *b > 0 { acc | 1 << bit } else { acc },
    );
    assert_eq!(simhash, expected);
}

/// `normalize` as first written: one order for selecting, for summing the
/// norm and (then by key) for the result.
fn normalize_plainly(mut items: Vector, keep: usize) -> Vector {
    let order = |a: &(u64, f32), b: &(u64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    items.sort_by(order);
    items.truncate(keep);
    let norm = items.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for item in &mut items {
            item.1 /= norm;
        }
    }
    items.sort_by_key(|(k, _)| *k);
    items
}

proptest::proptest! {
    /// Selecting by an integer key and summing sorted weights alone give
    /// the very same vector, ties of weight included.
    #[test]
    fn normalize_is_the_plain_sort(
        items in proptest::collection::btree_map(
            proptest::num::u64::ANY,
            proptest::prop_oneof![
                proptest::sample::select(vec![1.0f32, 1.693_147_2, 2.098_612_3, 0.25, 0.1]),
                0.01f32..10.0,
            ],
            0..150,
        ),
        keep in proptest::sample::select(vec![0usize, 1, 7, 32, 64, 200]),
    ) {
        let items: Vector = items.into_iter().collect();
        let got = normalize(items.clone(), keep);
        let want = normalize_plainly(items, keep);
        let bits = |v: &Vector| v.iter().map(|&(k, w)| (k, w.to_bits())).collect::<Vec<_>>();
        proptest::prop_assert_eq!(bits(&got), bits(&want));
    }

    /// Eight words at a time through carry-save adders, and the top-down
    /// comparison, count as one counter per bit does.
    #[test]
    fn bit_counters_take_the_majority_of_each_bit(
        words in proptest::collection::vec(
            proptest::prop_oneof![proptest::num::u64::ANY, 0u64..4, proptest::sample::select(vec![0, !0u64, 0xF0F0_F0F0_F0F0_F0F0])],
            0..300,
        ),
    ) {
        let mut bits = BitCounters::new();
        for &word in &words {
            bits.add(word);
        }
        let n = words.len() as u64;
        let expected = (0..64).fold(0u64, |acc, bit| {
            let count = words.iter().filter(|&&w| w >> bit & 1 == 1).count() as u64;
            if 2 * count > n { acc | 1 << bit } else { acc }
        });
        proptest::prop_assert_eq!(bits.above(n / 2), expected);
    }

    /// The lookup adds exactly the products of shared keys, in key order
    /// (as a merge of the two sorted vectors does).
    #[test]
    fn dot_is_the_sum_over_shared_keys(
        a in proptest::collection::btree_map(proptest::prop_oneof![0u64..40, proptest::num::u64::ANY], 0.01f32..1.0, 0..70),
        b in proptest::collection::btree_map(proptest::prop_oneof![0u64..40, proptest::num::u64::ANY], 0.01f32..1.0, 0..70),
    ) {
        let want = a
            .iter()
            .filter_map(|(k, wa)| b.get(k).map(|wb| wa * wb))
            .fold(0.0f32, |sum, p| sum + p);
        let (a, b): (Vector, Vector) = (a.into_iter().collect(), b.into_iter().collect());
        proptest::prop_assert_eq!(Lookup::of(&a).dot(&b).to_bits(), want.to_bits());
        proptest::prop_assert_eq!(Lookup::of(&b).dot(&a).to_bits(), want.to_bits());
    }

    /// Giving up early changes nothing that counts: of two unit vectors
    /// (as `normalize` makes them), `dot_reaching` is the very same sum
    /// whenever that sum reaches the target, and `None` only when it does
    /// not.
    #[test]
    fn dot_reaching_gives_up_only_on_sums_below_the_target(
        a in proptest::collection::btree_map(proptest::prop_oneof![0u64..40, proptest::num::u64::ANY], 0.01f32..1.0, 0..70),
        b in proptest::collection::btree_map(proptest::prop_oneof![0u64..40, proptest::num::u64::ANY], 0.01f32..1.0, 0..70),
        target in 0.0f32..1.2,
    ) {
        let (a, b) = (
            normalize(a.into_iter().collect(), 64),
            normalize(b.into_iter().collect(), 64),
        );
        let lookup = Lookup::of(&a);
        let full = lookup.dot(&b);
        match lookup.dot_reaching(&b, squared_norm(&b), target) {
            Some(sum) => proptest::prop_assert_eq!(sum.to_bits(), full.to_bits()),
            None => proptest::prop_assert!(full < target, "gave up on {full} for {target}"),
        }
        if full >= target {
            proptest::prop_assert!(lookup.dot_reaching(&b, squared_norm(&b), target).is_some());
        }
    }
}

#[test]
fn dot_reaching_keeps_an_identical_vector_and_gives_up_on_a_stranger() {
    let a = normalize((0..64u64).map(|k| (k, 1.0 + (k % 5) as f32)).collect(), 64);
    let stranger = normalize((100..164u64).map(|k| (k, 1.0)).collect(), 64);
    let lookup = Lookup::of(&a);
    let same = lookup
        .dot_reaching(&a, squared_norm(&a), 0.99)
        .expect("a vector reaches itself");
    assert_eq!(same.to_bits(), lookup.dot(&a).to_bits());
    assert!((same - 1.0).abs() < 1e-5, "{same}");
    assert_eq!(
        lookup.dot_reaching(&stranger, squared_norm(&stranger), 0.78),
        None
    );
    // With nothing to reach, nothing is given up.
    assert_eq!(
        lookup.dot_reaching(&stranger, squared_norm(&stranger), 0.0),
        Some(0.0)
    );
}
