//! `language`: the language of an article as a BCP-47 code and a confidence.
//!
//! Detection is `whatlang` (trigrams) on the display text: the matching form
//! folds ی/ک into ي/ك, which is exactly what tells Persian from Arabic. The
//! confidence is whatlang's, lowered for short text (under 200 letters) and
//! for mixed text (the main script holds less than 90% of the letters), so
//! that a headline or a bilingual snippet gets a low confidence rather than a
//! wrong certainty.
//!
//! Config: `{"languages": ["ar", "fa", "ur", "en"], "sample_chars": 500}`;
//! `languages` restricts the candidates (empty: all of whatlang's).
#![forbid(unsafe_code)]

use akhbar_arabic_text::is_letter;
use akhbar_plugin_sdk::proto::{Article, Enrichment};
use akhbar_plugin_sdk::{ArticleView, Config, Enricher, ParagraphView, Plugin, PluginError};
use whatlang::{Detector, Lang};

/// The `language` enricher.
#[derive(Debug)]
pub struct Language {
    detector: Detector,
    sample_chars: usize,
}

/// Config of `language`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LanguageConfig {
    /// BCP-47 codes of the candidate languages (empty: all).
    pub languages: Vec<String>,
    /// How many characters of the body are looked at (from the start).
    pub sample_chars: usize,
}

impl Default for LanguageConfig {
    fn default() -> Self {
        LanguageConfig {
            languages: Vec::new(),
            // Half of 1000, the default before: whatlang's time grew with
            // it, and on 3,000 generated pages the two disagreed on 12
            // (pages that mix articles in two languages), right as often
            // with 500 as with 1000.
            sample_chars: 500,
        }
    }
}

/// ISO 639-3 (whatlang) to BCP-47 (the shortest ISO 639 code).
const CODES: &[(&str, &str)] = &[
    ("afr", "af"),
    ("aka", "ak"),
    ("amh", "am"),
    ("ara", "ar"),
    ("aze", "az"),
    ("bel", "be"),
    ("ben", "bn"),
    ("bul", "bg"),
    ("cat", "ca"),
    ("ces", "cs"),
    ("cmn", "zh"),
    ("cym", "cy"),
    ("dan", "da"),
    ("deu", "de"),
    ("ell", "el"),
    ("eng", "en"),
    ("epo", "eo"),
    ("est", "et"),
    ("fin", "fi"),
    ("fra", "fr"),
    ("guj", "gu"),
    ("heb", "he"),
    ("hin", "hi"),
    ("hrv", "hr"),
    ("hun", "hu"),
    ("hye", "hy"),
    ("ind", "id"),
    ("ita", "it"),
    ("jav", "jv"),
    ("jpn", "ja"),
    ("kan", "kn"),
    ("kat", "ka"),
    ("khm", "km"),
    ("kor", "ko"),
    ("lat", "la"),
    ("lav", "lv"),
    ("lit", "lt"),
    ("mal", "ml"),
    ("mar", "mr"),
    ("mkd", "mk"),
    ("mya", "my"),
    ("nep", "ne"),
    ("nld", "nl"),
    ("nob", "nb"),
    ("ori", "or"),
    ("pan", "pa"),
    ("pes", "fa"),
    ("pol", "pl"),
    ("por", "pt"),
    ("ron", "ro"),
    ("rus", "ru"),
    ("sin", "si"),
    ("slk", "sk"),
    ("slv", "sl"),
    ("sna", "sn"),
    ("spa", "es"),
    ("srp", "sr"),
    ("swe", "sv"),
    ("tam", "ta"),
    ("tel", "te"),
    ("tgl", "tl"),
    ("tha", "th"),
    ("tuk", "tk"),
    ("tur", "tr"),
    ("ukr", "uk"),
    ("urd", "ur"),
    ("uzb", "uz"),
    ("vie", "vi"),
    ("yid", "yi"),
    ("zul", "zu"),
];

/// The BCP-47 code of a whatlang language.
pub fn bcp47(lang: Lang) -> &'static str {
    let code = lang.code();
    CODES
        .iter()
        .find(|(three, _)| *three == code)
        .map_or(code, |(_, two)| two)
}

fn lang_of(bcp47_code: &str) -> Option<Lang> {
    Lang::all()
        .iter()
        .copied()
        .find(|l| bcp47(*l) == bcp47_code || l.code() == bcp47_code)
}

/// Coarse scripts, enough to tell mixed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coarse {
    Arabic,
    Latin,
    Cyrillic,
    Other,
}

fn coarse_script(script: whatlang::Script) -> Coarse {
    match script {
        whatlang::Script::Arabic => Coarse::Arabic,
        whatlang::Script::Latin => Coarse::Latin,
        whatlang::Script::Cyrillic => Coarse::Cyrillic,
        _ => Coarse::Other,
    }
}

fn script_of(c: char) -> Coarse {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Coarse::Latin,
        '\u{0600}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FEFF}' => Coarse::Arabic,
        '\u{0400}'..='\u{04FF}' => Coarse::Cyrillic,
        _ => Coarse::Other,
    }
}

/// Letters fewer than this lower the confidence proportionally.
const FULL_CONFIDENCE_LETTERS: usize = 200;

/// Detects the language of `text`: a BCP-47 code and a confidence in 0..=1.
pub fn detect(detector: &Detector, text: &str) -> Option<(&'static str, f32)> {
    let info = detector.detect(text)?;
    // Letters by coarse script (by code point ranges: cheap), to see how
    // much of the text is in the detected language's script.
    let mut letters = 0usize;
    let mut main = 0usize;
    let wanted = coarse_script(info.script());
    for c in text.chars().filter(|&c| is_letter(c)) {
        letters += 1;
        if script_of(c) == wanted {
            main += 1;
        }
    }
    let purity = if letters == 0 {
        0.0
    } else {
        main as f64 / letters as f64
    };
    let length = (letters as f64 / FULL_CONFIDENCE_LETTERS as f64).min(1.0);
    let mixed = if purity >= 0.9 { 1.0 } else { purity * 0.8 };
    let confidence = info.confidence() * length * mixed;
    Some((bcp47(info.lang()), confidence.clamp(0.0, 1.0) as f32))
}

impl Plugin for Language {
    const NAME: &'static str = "language";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        let config: LanguageConfig = config.parse()?;
        let detector = if config.languages.is_empty() {
            Detector::new()
        } else {
            let langs = config
                .languages
                .iter()
                .map(|code| {
                    lang_of(code).ok_or_else(|| {
                        PluginError::failed(format!(
                            "language `{code}` is not one the detector knows"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Detector::with_allowlist(langs)
        };
        Ok(Language {
            detector,
            sample_chars: config.sample_chars.max(50),
        })
    }
}

/// What is looked at: the first `sample_chars` characters of the
/// paragraphs, each paragraph's part followed by a newline.
fn sample(paragraphs: &[ParagraphView<'_>], sample_chars: usize) -> String {
    let mut sample = String::with_capacity(sample_chars * 2);
    let mut chars = 0;
    for paragraph in paragraphs {
        if chars >= sample_chars {
            break;
        }
        // The paragraph's first `room` characters, copied as one slice.
        let text = paragraph.text;
        let room = sample_chars - chars;
        match text.char_indices().nth(room) {
            Some((end, _)) => {
                sample.push_str(&text[..end]);
                chars += room;
            }
            None => {
                sample.push_str(text);
                chars += text.chars().count();
            }
        }
        sample.push('\n');
    }
    sample
}

impl Enricher for Language {
    fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
        self.enrich_view(&ArticleView::of(article))
    }

    fn enrich_view(&self, article: &ArticleView<'_>) -> Result<Enrichment, PluginError> {
        let mut added = Enrichment::default();
        let sample = sample(article.paragraphs(), self.sample_chars);
        match detect(&self.detector, &sample) {
            Some((code, confidence)) => {
                added.language = code.to_owned();
                added.language_confidence = confidence;
                added.provenance.push(Self::provenance(
                    "enricher",
                    format!("detected language {code} with confidence {confidence:.2}"),
                ));
            }
            None => added.provenance.push(Self::provenance(
                "enricher",
                "could not tell the language (no letters)",
            )),
        }
        Ok(added)
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(enricher: Language);

#[cfg(test)]
mod tests {
    use super::*;
    use akhbar_plugin_sdk::proto::Paragraph;

    /// What a detector answered, comparable across the two crates.
    type Answer = Option<(String, String, u64, bool)>;

    /// The vendored whatlang (its trigram distances through an inverted
    /// index) and the crates.io release give the same answer, to the bit,
    /// with all languages and with a candidate list.
    fn same_as_upstream(text: &str) -> Result<(), String> {
        let allow = [
            Lang::Ara,
            Lang::Pes,
            Lang::Urd,
            Lang::Eng,
            Lang::Fra,
            Lang::Rus,
        ];
        let allow_upstream =
            allow.map(|l| whatlang_upstream::Lang::from_code(l.code()).expect("the same language"));
        // The two crates' types differ: the same words, written for each.
        macro_rules! answers {
            ($detectors:expr) => {
                $detectors.map(|d| {
                    d.detect(text).map(|i| {
                        let script = format!("{:?}", i.script());
                        let confidence = i.confidence().to_bits();
                        (
                            i.lang().code().to_owned(),
                            script,
                            confidence,
                            i.is_reliable(),
                        )
                    })
                })
            };
        }
        let ours: [Answer; 2] =
            answers!([Detector::new(), Detector::with_allowlist(allow.to_vec())]);
        let upstream: [Answer; 2] = answers!([
            whatlang_upstream::Detector::new(),
            whatlang_upstream::Detector::with_allowlist(allow_upstream.to_vec()),
        ]);
        if ours != upstream {
            return Err(format!("{text:?}: {ours:?} vs upstream {upstream:?}"));
        }
        Ok(())
    }

    /// Sentences in languages of every script whatlang scores by trigrams
    /// (Latin, Cyrillic, Arabic, Devanagari, Hebrew), to mix.
    const SENTENCES: &[&str] = &[
        "The minister said on Tuesday that the talks would resume next week in Geneva.",
        "Le ministre a déclaré mardi que les négociations reprendraient la semaine prochaine.",
        "Der Minister sagte am Dienstag, die Gespräche würden nächste Woche fortgesetzt.",
        "El ministro dijo el martes que las conversaciones se reanudarían la próxima semana.",
        "O ministro disse na terça-feira que as negociações seriam retomadas na próxima semana.",
        "Il ministro ha detto martedì che i colloqui riprenderanno la prossima settimana.",
        "De minister zei dinsdag dat de gesprekken volgende week worden hervat.",
        "Minister powiedział we wtorek, że rozmowy zostaną wznowione w przyszłym tygodniu.",
        "Bakan salı günü görüşmelerin gelecek hafta yeniden başlayacağını söyledi.",
        "Министр заявил во вторник, что переговоры возобновятся на следующей неделе.",
        "Міністр заявив у вівторок, що переговори відновляться наступного тижня.",
        "قال الوزير يوم الثلاثاء إن المحادثات ستستأنف الأسبوع المقبل في جنيف.",
        "وزیر روز سه‌شنبه گفت که مذاکرات هفته آینده از سر گرفته می‌شود.",
        "وزیر نے منگل کو کہا کہ مذاکرات اگلے ہفتے دوبارہ شروع ہوں گے۔",
        "मंत्री ने मंगलवार को कहा कि बातचीत अगले सप्ताह फिर से शुरू होगी।",
        "השר אמר ביום שלישי כי השיחות יתחדשו בשבוע הבא.",
        "Waziri alisema Jumanne kwamba mazungumzo yataendelea wiki ijayo.",
        "Ministri sanoi tiistaina, että neuvottelut jatkuvat ensi viikolla.",
    ];

    #[test]
    fn the_vendored_detector_answers_as_upstream_on_seeds_and_sentences() {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds");
        let mut n = 0;
        for entry in std::fs::read_dir(seeds).expect("seeds/") {
            let text = std::fs::read_to_string(entry.expect("a seed").path()).expect("UTF-8");
            // The whole seed, and a 500-character sample as the plugin takes.
            same_as_upstream(&text).unwrap();
            same_as_upstream(&text.chars().take(500).collect::<String>()).unwrap();
            n += 1;
        }
        assert!(n >= 5, "{n} seeds");
        for s in SENTENCES {
            same_as_upstream(s).unwrap();
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        /// Mixtures of the sentences' words (any mix of scripts, any
        /// length), with noise characters after them.
        #[test]
        fn the_vendored_detector_answers_as_upstream_on_mixtures(
            picks in proptest::collection::vec((0..SENTENCES.len(), 0usize..14, 1usize..14), 1..14),
            noise in "[ a-zA-Z0-9.,!?؟،ـ\u{64b}-\u{652}ßæøåşğıçñ-]{0,40}",
        ) {
            let mut text = String::new();
            for (i, (s, skip, take)) in picks.into_iter().enumerate() {
                let words: Vec<&str> = SENTENCES[s].split(' ').skip(skip).take(take).collect();
                text.push_str(&words.join(" "));
                text.push(if i % 3 == 2 { '\n' } else { ' ' });
            }
            text.push_str(&noise);
            same_as_upstream(&text).map_err(proptest::test_runner::TestCaseError::fail)?;
        }

        /// Any text at all.
        #[test]
        fn the_vendored_detector_answers_as_upstream_on_any_text(text in "\\PC{0,300}") {
            same_as_upstream(&text).map_err(proptest::test_runner::TestCaseError::fail)?;
        }
    }

    /// Every language the detector can answer gets its two-letter code
    /// (a new whatlang release once added Welsh, which then came out as
    /// `cym`), and the config accepts that code back.
    #[test]
    fn every_detectable_language_has_a_two_letter_code() {
        for &lang in Lang::all() {
            let code = bcp47(lang);
            assert_eq!(code.len(), 2, "{lang:?} has no two-letter code: {code}");
            assert_eq!(lang_of(code), Some(lang), "{code}");
        }
    }

    fn enrich(config: &str, texts: &[&str]) -> Article {
        let plugin = Language::new(&Config::new(config.as_bytes())).unwrap();
        let article = Article {
            paragraphs: texts
                .iter()
                .map(|t| Paragraph {
                    text: (*t).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        plugin.enriched(article).unwrap()
    }

    const ARABIC: &str = "أجرى سيرجي شويغو، أعلى مسؤول أمني روسي، محادثات مع زعيم كوريا الشمالية كيم جونغ أون خلال زيارته إلى بيونغ يانغ يوم الجمعة، وفقا لوكالات الأنباء الروسية. جاءت الزيارة في وقت حاسم في نزاع أوكرانيا، والذي تدعي الولايات المتحدة أن كوريا الشمالية زودت روسيا بالذخائر.";
    const PERSIAN: &str = "سرگئی شویگو، دبیر شورای امنیت روسیه، در سفر به پیونگ یانگ با کیم جونگ اون رهبر کره شمالی دیدار و گفتگو کرد. این دیدار در زمانی انجام می‌شود که آمریکا می‌گوید کره شمالی به روسیه موشک و مهمات داده است و روابط نظامی دو کشور گسترش یافته است.";
    const ENGLISH: &str = "Sergei Shoigu, Russia's top security official, held talks with North Korean leader Kim Jong Un during a visit to Pyongyang on Friday, Russian news agencies reported. The visit came at a critical time in the war in Ukraine, in which the United States says North Korea has supplied Russia with munitions.";

    /// The sample is the first `sample_chars` characters of the
    /// paragraphs, each paragraph followed by a newline, as when it was
    /// built character by character.
    #[test]
    fn the_sample_is_the_first_characters() {
        let accents = "é".repeat(30);
        let texts = ["ab", "", accents.as_str(), ARABIC, ENGLISH];
        let paragraphs: Vec<Paragraph> = texts
            .iter()
            .map(|t| Paragraph {
                text: (*t).into(),
                ..Default::default()
            })
            .collect();
        for limit in [0, 1, 2, 3, 31, 32, 33, 60, 200, 1000, 5000] {
            let mut want = String::new();
            let mut chars = 0;
            for t in texts {
                if chars >= limit {
                    break;
                }
                for c in t.chars().take(limit - chars) {
                    want.push(c);
                    chars += 1;
                }
                want.push('\n');
            }
            let views: Vec<ParagraphView<'_>> =
                paragraphs.iter().map(ParagraphView::from).collect();
            assert_eq!(sample(&views, limit), want, "{limit}");
        }
    }

    #[test]
    fn arabic_persian_and_english_articles() {
        let ar = enrich("", &[ARABIC]);
        assert_eq!(ar.language, "ar");
        assert!(ar.language_confidence > 0.8, "{}", ar.language_confidence);
        assert_eq!(enrich("", &[PERSIAN]).language, "fa");
        let en = enrich("", &[ENGLISH]);
        assert_eq!(en.language, "en");
        assert!(en.language_confidence > 0.8, "{}", en.language_confidence);
    }

    #[test]
    fn short_or_mixed_text_gets_a_low_confidence() {
        let short = enrich("", &["كيم جونغ أون في موسكو"]);
        assert_eq!(short.language, "ar");
        assert!(
            short.language_confidence < 0.3,
            "{}",
            short.language_confidence
        );
        let mixed = enrich("", &[ARABIC, ENGLISH]);
        assert!(
            mixed.language_confidence < 0.6,
            "{}",
            mixed.language_confidence
        );
    }

    #[test]
    fn the_candidate_list_is_configurable_and_checked() {
        let out = enrich(r#"{"languages": ["ar", "en"]}"#, &[PERSIAN]);
        assert_eq!(out.language, "ar");
        let err = Language::new(&Config::new(br#"{"languages": ["xx"]}"#)).unwrap_err();
        assert!(err.message().contains("xx"), "{err}");
    }
}
