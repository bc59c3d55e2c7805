use super::*;
use akhbar_plugin_sdk::proto::Paragraph;

fn enrich(texts: &[&str], published: Option<&str>) -> Article {
    let plugin = Dates::new(&Config::new(b"")).unwrap();
    let article = Article {
        paragraphs: texts
            .iter()
            .map(|t| Paragraph {
                text: akhbar_arabic_text::display(t),
                ..Default::default()
            })
            .collect(),
        published_at: published
            .map(|p| timestamp(NaiveDate::parse_from_str(p, "%Y-%m-%d").unwrap())),
        ..Default::default()
    };
    plugin.enriched(article).unwrap()
}

/// (surface text, ISO date) of each mentioned date; checks the offsets.
fn dates(article: &Article) -> Vec<(String, String)> {
    article
        .dates
        .iter()
        .map(|d| {
            let display = &article.paragraphs[d.paragraph as usize].text;
            assert_eq!(&display[d.start as usize..d.end as usize], d.text);
            (d.text.clone(), d.date.clone())
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn arabic_months_in_every_regional_set() {
    let out = enrich(
        &[
            "وقع الاتفاق في 13 سبتمبر 2024 ثم في 2 أيلول 2023 وفي 5 جوان 2022 و7 شتنبر 2021 و9 يوليه 2020 و1 كانون الثاني 2019 و3 جويلية 2018 و4 غشت 2017",
        ],
        Some("2024-09-14"),
    );
    assert_eq!(
        dates(&out),
        pairs(&[
            ("13 سبتمبر 2024", "2024-09-13"),
            ("2 أيلول 2023", "2023-09-02"),
            ("5 جوان 2022", "2022-06-05"),
            ("7 شتنبر 2021", "2021-09-07"),
            ("9 يوليه 2020", "2020-07-09"),
            ("1 كانون الثاني 2019", "2019-01-01"),
            ("3 جويلية 2018", "2018-07-03"),
            ("4 غشت 2017", "2017-08-04"),
        ])
    );
}

#[test]
fn paired_months_arabic_digits_and_month_year() {
    let out = enrich(
        &["زار بيونغ يانغ في ١٩ يونيو/حزيران ٢٠٢٤ بعد زيارة في يوليو/تموز 2023"],
        None,
    );
    assert_eq!(
        dates(&out),
        pairs(&[
            ("١٩ يونيو/حزيران ٢٠٢٤", "2024-06-19"),
            ("يوليو/تموز 2023", "2023-07")
        ])
    );
}

#[test]
fn hijri_dates_with_the_year_and_ha() {
    let out = enrich(
        &["بدأ الصيام في 1 رمضان 1445 هـ وانتهى في شوال 1445هـ"],
        None,
    );
    assert_eq!(
        dates(&out),
        // The display text has no tatweel: هـ reads ه.
        pairs(&[("1 رمضان 1445 ه", "2024-03-11"), ("شوال 1445ه", "2024-04")])
    );
    // Without a year or هـ, رمضان is a name, not a date.
    assert!(
        enrich(&["قال رمضان إن الاجتماع انتهى"], None)
            .dates
            .is_empty()
    );
}

#[test]
fn weekdays_resolve_against_the_publication_date() {
    // 2024-09-14 is a Saturday.
    let out = enrich(
        &["التقى الوزيران يوم الجمعة، ويعود الوفد الثلاثاء المقبل."],
        Some("2024-09-14"),
    );
    assert_eq!(
        dates(&out),
        pairs(&[
            ("يوم الجمعة", "2024-09-13"),
            ("الثلاثاء المقبل", "2024-09-17")
        ])
    );
    // Unknown publication date: nothing to resolve against.
    assert!(
        enrich(&["التقى الوزيران يوم الجمعة"], None)
            .dates
            .is_empty()
    );
}

#[test]
fn a_weekday_that_ends_the_paragraph_after_next_or_last() {
    // 2024-09-14 is a Saturday. "next"/"last" before the weekday, nothing
    // after it: the mention is the weekday itself (this used to index past
    // the last token and panic).
    let out = enrich(
        &["The envoy returns next Tuesday", "They met last Friday"],
        Some("2024-09-14"),
    );
    assert_eq!(
        dates(&out),
        pairs(&[("Tuesday", "2024-09-17"), ("Friday", "2024-09-13")])
    );
}

#[test]
fn english_dates_and_the_publication_date_from_the_text() {
    let out = enrich(
        &[
            "Published September 14, 2024",
            "Talks began on Friday and follow those of 19 June 2024 and 2023-07-27; a month before, in June, nothing.",
        ],
        None,
    );
    assert_eq!(
        out.published_at.unwrap().seconds,
        timestamp(NaiveDate::from_ymd_opt(2024, 9, 14).unwrap()).seconds
    );
    assert_eq!(
        dates(&out),
        pairs(&[
            ("September 14, 2024", "2024-09-14"),
            ("Friday", "2024-09-13"),
            ("19 June 2024", "2024-06-19"),
            ("2023-07-27", "2023-07-27"),
            ("June", "2024-06"),
        ])
    );
}

#[test]
fn ambiguous_month_words_need_a_number() {
    // اب (father), مارس (practised), may: no dates without a day or year.
    assert!(
        enrich(
            &["قال الاب إنه مارس الرياضة وقد may come"],
            Some("2024-01-01")
        )
        .dates
        .is_empty()
    );
    assert_eq!(
        dates(&enrich(&["في 15 آب 2023"], None)),
        pairs(&[("15 آب 2023", "2023-08-15")])
    );
}

#[test]
fn datelines_in_arabic_and_english() {
    let ar = enrich(
        &["سيول، كوريا الجنوبية – شكر الرئيس الروسي فلاديمير بوتين كوريا الشمالية"],
        None,
    );
    let d = ar.dateline.unwrap();
    assert_eq!((d.place.as_str(), d.agency.as_str()), ("سيول", ""));
    assert_eq!(d.text, "سيول، كوريا الجنوبية –");
    let ar = enrich(&["موسكو (رويترز) - قال الكرملين"], None)
        .dateline
        .unwrap();
    assert_eq!((ar.place.as_str(), ar.agency.as_str()), ("موسكو", "رويترز"));
    let en = enrich(
        &["SEOUL (Reuters) — North Korea's leader Kim Jong Un said"],
        None,
    )
    .dateline
    .unwrap();
    assert_eq!(
        (en.place.as_str(), en.agency.as_str()),
        ("SEOUL", "Reuters")
    );
    let en = enrich(
        &["SEOUL, South Korea (AP) — Russian President Vladimir Putin"],
        None,
    )
    .dateline
    .unwrap();
    assert_eq!((en.place.as_str(), en.agency.as_str()), ("SEOUL", "AP"));
    // An ordinary sentence with a dash is not a dateline.
    assert!(enrich(&["قال الرئيس – في كلمة"], None).dateline.is_none());
    assert!(
        enrich(&["The talks - held in secret - ended"], None)
            .dateline
            .is_none()
    );
}

#[test]
fn a_year_named_as_one_is_a_mention() {
    let out = enrich(
        &[
            "تحسنت العلاقات منذ الحرب في عام 2022، والهدنة وقعت عام ١٩٥٣ وليس العام 1445 هـ.",
            "Growth came back in 2020, as it has since 1991; in 1500 ways, 2019 dollars and 40 percent are no years.",
            "وكان آخر لقاء في يوليو/تموز 2023 ثم عام 2024.",
        ],
        None,
    );
    assert_eq!(
        dates(&out),
        pairs(&[
            ("عام 2022", "2022"),
            ("عام ١٩٥٣", "1953"),
            ("2020", "2020"),
            ("1991", "1991"),
            ("يوليو/تموز 2023", "2023-07"),
            ("عام 2024", "2024"),
        ])
    );
}

#[test]
fn the_removed_byline_dates_the_article() {
    let plugin = Dates::new(&Config::new(b"")).unwrap();
    let article = |byline: &str| Article {
        paragraphs: vec![Paragraph {
            text: akhbar_arabic_text::display("التقى الوزير نظيره يوم الجمعة في العاصمة."),
            ..Default::default()
        }],
        metadata: [(
            akhbar_plugin_sdk::metadata::BYLINE.to_owned(),
            byline.to_owned(),
        )]
        .into(),
        ..Default::default()
    };
    let enrich = |byline: &str| plugin.enriched(article(byline)).unwrap();
    let published = |out: &Article| out.published_at.map(|t| t.seconds);
    let day = |y, m, d| Some(timestamp(NaiveDate::from_ymd_opt(y, m, d).unwrap()).seconds);
    let out = enrich("بقلم: سارة محمود\nنشر في 12 مارس 2024");
    assert_eq!(published(&out), day(2024, 3, 12));
    // The weekday resolves against it: the Friday before Tuesday 12 March.
    assert_eq!(dates(&out), pairs(&[("يوم الجمعة", "2024-03-08")]));
    assert!(
        out.provenance.iter().any(|p| p.action.contains("byline")),
        "{:?}",
        out.provenance
    );
    // English, with the weekday and time around the date.
    assert_eq!(
        published(&enrich("Monday, June 17, 2024 10:35 AM ET")),
        day(2024, 6, 17)
    );
    // A byline without a date dates nothing.
    let out = enrich("Updated 2 hours ago");
    assert_eq!(published(&out), None);
    assert!(out.dates.is_empty());
}

#[test]
fn words_are_those_of_word_ranges() {
    let mut texts: Vec<String> = [
        "",
        " ",
        "في 13 سبتمبر 2024، قال: «نعم»؛ ثم؟",
        "September 13, 2024 (Reuters) — SEOUL",
        "١٤٤٥هـ و۱۴۰۳ Erdoğan café ×÷ 🙂x",
        "كانون الثاني/يناير 2024-09-13 13/09/2024",
        "123 45 6789x",
        "عام2024",
    ]
    .iter()
    .map(|t| (*t).to_owned())
    .collect();
    // Every character, between letters and alone.
    let all: Vec<char> = (0..=0x10FFFFu32).filter_map(char::from_u32).collect();
    for chunk in all.chunks(4096) {
        texts.push(chunk.iter().flat_map(|&c| [c, 'a', c, ' ']).collect());
    }
    for text in &texts {
        let mut mine = Vec::new();
        words(text, &mut mine);
        let theirs: Vec<_> = akhbar_arabic_text::word_ranges(text).collect();
        assert_eq!(mine, theirs, "{text:?}");
    }
}

#[test]
fn the_name_filter_lets_every_name_through() {
    let plugin = Dates::new(&Config::new(b"")).unwrap();
    let names = GREGORIAN.iter().chain(HIJRI).map(|(name, _)| *name);
    for name in names
        .chain(TWO_WORD_STARTS.iter().copied())
        .chain(WEEKDAYS.iter().map(|(name, _)| *name))
    {
        assert!(plugin.names.may_hold(name.as_bytes()), "{name}");
    }
}
