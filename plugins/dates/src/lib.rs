//! `dates`: the publication date, the dates an article mentions, and its
//! dateline.
//!
//! Table-driven on `chrono`, over the matching form (so أبريل/ابريل,
//! يونيه/يونيو, ٢٠٢٤/2024 all read alike), with offsets reported in the
//! display text:
//! - Gregorian months in every Arabic regional set: Egypt and the Gulf
//!   (يناير … ديسمبر, يونيه/يوليه), the Levant and Iraq (كانون الثاني …
//!   حزيران … كانون الأول), Algeria and Tunisia (جانفي، فيفري، أفريل، ماي،
//!   جوان، جويلية، أوت), Morocco (يوليوز، غشت، شتنبر، نونبر، دجنبر), and
//!   paired forms (يونيو/حزيران 2024); English names and abbreviations.
//! - Forms: `13 سبتمبر 2024`, `سبتمبر 2024` (YYYY-MM), `September 13, 2024`,
//!   `13 September 2024`, `2024-09-13`, `13/09/2024` (day first).
//! - A year a word names as one (YYYY): `عام 2022` (and العام، لعام، سنة …
//!   with their clitics; not a Hijri year with هـ), `in 2019`, `since 1991`
//!   (English: 1800 to 2100).
//! - Hijri dates with a year and هـ (`5 رمضان 1445 هـ`), converted with the
//!   arithmetic (tabular) Islamic calendar, which can differ from the
//!   sighted or Umm al-Qura calendar by a day or two.
//! - Weekdays (`يوم الجمعة`, `on Friday`) resolved against the publication
//!   date when it is known: the latest such day on or before it, or the next
//!   one after it with المقبل/القادم/next.
//! - Publication date: `published_at` if a source set it, else metadata
//!   (`published_at`, `published`, `date`), else the first full date of the
//!   byline and timestamp lines `scraped-page` removed (metadata `byline`:
//!   "Published 12 March 2024", "نشر في 12 مارس 2024"), else a full date at
//!   the start of the first paragraphs or after نشر/تاريخ/Published/Updated.
//! - Dateline at the start of the first paragraph: `سيول، كوريا الجنوبية –`,
//!   `موسكو (رويترز) -`, `SEOUL (Reuters) —`, `SEOUL, South Korea (AP) —`.
#![forbid(unsafe_code)]

use foldhash::{HashMap, HashMapExt};

use akhbar_arabic_text::{MatchingMap, word_char_at};
use akhbar_plugin_sdk::proto::{Article, Dateline, Enrichment, MentionedDate};
use akhbar_plugin_sdk::{ArticleView, Config, Enricher, Plugin, PluginError, Timestamp, metadata};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Calendar {
    Gregorian,
    Hijri,
}

#[derive(Debug, Clone, Copy)]
struct Month {
    calendar: Calendar,
    number: u32,
    /// Also an ordinary word (اب "father", ماي, مارس "practised", صفر
    /// "zero", رجب/شعبان/رمضان names): needs a day or year beside it.
    ambiguous: bool,
}

const GREGORIAN: &[(&str, u32)] = &[
    // Egypt and the Gulf
    ("يناير", 1),
    ("فبراير", 2),
    ("مارس", 3),
    ("ابريل", 4),
    ("مايو", 5),
    ("يونيو", 6),
    ("يونيه", 6),
    ("يوليو", 7),
    ("يوليه", 7),
    ("اغسطس", 8),
    ("سبتمبر", 9),
    ("اكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
    // Levant and Iraq
    ("كانون الثاني", 1),
    ("شباط", 2),
    ("اذار", 3),
    ("نيسان", 4),
    ("ايار", 5),
    ("حزيران", 6),
    ("تموز", 7),
    ("اب", 8),
    ("ايلول", 9),
    ("تشرين الاول", 10),
    ("تشرين الثاني", 11),
    ("كانون الاول", 12),
    // Algeria and Tunisia
    ("جانفي", 1),
    ("فيفري", 2),
    ("افريل", 4),
    ("ماي", 5),
    ("جوان", 6),
    ("جويليه", 7),
    ("اوت", 8),
    // Morocco
    ("يوليوز", 7),
    ("غشت", 8),
    ("شتنبر", 9),
    ("نونبر", 11),
    ("دجنبر", 12),
    // English
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

const HIJRI: &[(&str, u32)] = &[
    ("محرم", 1),
    ("صفر", 2),
    ("ربيع الاول", 3),
    ("ربيع الاخر", 4),
    ("ربيع الثاني", 4),
    ("جمادي الاولي", 5),
    ("جمادي الاول", 5),
    ("جمادي الاخره", 6),
    ("جمادي الثانيه", 6),
    ("جمادي الاخر", 6),
    ("رجب", 7),
    ("شعبان", 8),
    ("رمضان", 9),
    ("شوال", 10),
    ("ذو القعده", 11),
    ("ذي القعده", 11),
    ("ذو الحجه", 12),
    ("ذي الحجه", 12),
];

/// First words of the two-word month names.
const TWO_WORD_STARTS: &[&str] = &["كانون", "تشرين", "ربيع", "جمادي", "ذو", "ذي"];

const AMBIGUOUS: &[&str] = &["اب", "ماي", "مارس", "may", "mar", "jun", "dec", "march"];

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("السبت", Weekday::Sat),
    ("الاحد", Weekday::Sun),
    ("الاثنين", Weekday::Mon),
    ("الثلاثاء", Weekday::Tue),
    ("الاربعاء", Weekday::Wed),
    ("الخميس", Weekday::Thu),
    ("الجمعه", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
];

/// The Gregorian date of a Hijri date (tabular Islamic calendar, civil epoch).
pub fn hijri_to_gregorian(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    if !(1..=12).contains(&month) || !(1..=30).contains(&day) || year < 1 {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(622, 7, 19)?;
    let days = i64::from(day - 1)
        + (29.5 * f64::from(month - 1)).ceil() as i64
        + i64::from(year - 1) * 354
        + i64::from(3 + 11 * year).div_euclid(30);
    epoch.checked_add_signed(Duration::days(days))
}

/// Config of `dates`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatesConfig {
    /// Do not look for a dateline.
    pub no_dateline: bool,
}

/// The `dates` enricher.
#[derive(Debug)]
pub struct Dates {
    config: DatesConfig,
    months: HashMap<&'static str, Month>,
    weekdays: HashMap<&'static str, Weekday>,
    /// Every word that can start a month name or be a weekday.
    names: NameFilter,
    iso: Regex,
    dmy: Regex,
    dateline_en: Regex,
    dateline_ar: Regex,
}

impl Plugin for Dates {
    const NAME: &'static str = "dates";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        let mut months = HashMap::new();
        for (name, number) in GREGORIAN {
            months.insert(
                *name,
                Month {
                    calendar: Calendar::Gregorian,
                    number: *number,
                    ambiguous: AMBIGUOUS.contains(name),
                },
            );
        }
        for (name, number) in HIJRI {
            months.insert(
                *name,
                Month {
                    calendar: Calendar::Hijri,
                    number: *number,
                    ambiguous: true,
                },
            );
        }
        let re = |s: &str| Regex::new(s).map_err(|e| PluginError::failed(e.to_string()));
        Ok(Dates {
            config: config.parse()?,
            months,
            weekdays: WEEKDAYS.iter().copied().collect(),
            names: NameFilter::new(
                GREGORIAN
                    .iter()
                    .chain(HIJRI)
                    .map(|(name, _)| *name)
                    .chain(TWO_WORD_STARTS.iter().copied())
                    .chain(WEEKDAYS.iter().map(|(name, _)| *name)),
            ),
            iso: re(r"(?-u:\b)([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?-u:\b)")?,
            dmy: re(r"(?-u:\b)([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})(?-u:\b)")?,
            dateline_en: re(
                r"^([A-Z][A-Z .'\-]{1,30}?)(?:, ([A-Z][A-Za-z .]{1,30}?))?\s*(?:\(([^)]{1,30})\))?\s*[—–-]{1,2}\s",
            )?,
            dateline_ar: re(
                r"^([\p{Arabic}]+(?: [\p{Arabic}]+){0,2})\s*(?:[،,]\s*([\p{Arabic}]+(?: [\p{Arabic}]+){0,2}))?\s*(?:\(([^)]{1,30})\))?\s*[–—-]{1,2}\s",
            )?,
        })
    }
}

/// Two bit sets over a word's length and some of its bytes (the first,
/// second and last; then the third, fourth and third from last, where an
/// Arabic word has the second letter and the one before last): a word
/// whose bit is clear in either is none of the names they were made from,
/// so most words skip the hash tables. (Names with a space set the bits of
/// their whole text, never looked up alone; their first words are added
/// separately.)
#[derive(Debug)]
struct NameFilter([[u64; 64]; 2]);

impl NameFilter {
    fn new<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        let mut bits = [[0u64; 64]; 2];
        for name in names {
            for (set, bit) in bits.iter_mut().zip(Self::bits(name.as_bytes())) {
                set[bit / 64] |= 1 << (bit % 64);
            }
        }
        NameFilter(bits)
    }

    fn bits(b: &[u8]) -> [usize; 2] {
        let at = |i: usize| usize::from(b.get(i).copied().unwrap_or(0));
        let from_end = |i: usize| b.len().checked_sub(i).map_or(0, at);
        [
            b.len()
                .wrapping_mul(0x9E5)
                .wrapping_add(at(0).wrapping_mul(0x2F))
                .wrapping_add(at(1).wrapping_mul(0x1F3))
                .wrapping_add(from_end(1).wrapping_mul(0x65))
                % 4096,
            b.len()
                .wrapping_mul(0x3B)
                .wrapping_add(at(2).wrapping_mul(0x1D7))
                .wrapping_add(at(3).wrapping_mul(0x95))
                .wrapping_add(from_end(3).wrapping_mul(0x2C9))
                % 4096,
        ]
    }

    /// Whether `word` may be one of the names.
    fn may_hold(&self, word: &[u8]) -> bool {
        let [a, b] = Self::bits(word);
        self.0[0][a / 64] & (1 << (a % 64)) != 0 && self.0[1][b / 64] & (1 << (b % 64)) != 0
    }
}

/// A date found in one paragraph, in matching-form offsets.
#[derive(Debug, Clone)]
enum Found {
    Date(NaiveDate),
    /// A year alone (عام 2022, in 2019).
    Year(i32),
    YearMonth(i32, u32),
    /// A month with neither day nor year.
    MonthOnly(u32),
    Weekday(Weekday, bool),
}

#[derive(Debug, Clone)]
struct Mention {
    paragraph: usize,
    start: usize,
    end: usize,
    found: Found,
    /// Said to be the publication date (نشر, Published …).
    marked: bool,
}

/// A number token, allowing a leading و ("و7 شتنبر") and a trailing ه
/// ("1445هـ" once tatweel is gone).
/// Words before a number that make it a year, in the matching form (ة is
/// folded to ه): عام، العام، سنة … with a clitic.
const YEAR_WORDS_AR: &[&str] = &[
    "عام",
    "العام",
    "لعام",
    "وعام",
    "بعام",
    "للعام",
    "والعام",
    "بالعام",
    "سنه",
    "السنه",
    "لسنه",
    "وسنه",
    "للسنه",
    "والسنه",
];

/// English words before a number that make it a year (one from 1800 to
/// 2100: "in 2019", "since 1991").
const YEAR_WORDS_EN: &[&str] = &["in", "since", "until", "during", "year"];

fn number(word: &str) -> Option<i32> {
    let word = word.strip_prefix('و').unwrap_or(word);
    let word = word.strip_suffix('ه').unwrap_or(word);
    (!word.is_empty() && word.len() <= 4 && word.chars().all(|c| c.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
}

/// Appends the byte ranges of the words of `text` to `out`: those of
/// [`akhbar_arabic_text::word_ranges`], found here without a call per
/// character (this runs over every paragraph). Returns whether a word
/// starts or ends with an ASCII digit, as the year of each date pattern
/// does.
fn words(text: &str, out: &mut Vec<(usize, usize)>) -> bool {
    let bytes = text.as_bytes();
    let (mut at, mut digit) = (0, false);
    loop {
        let start = loop {
            let Some((word, len)) = word_char_at(text, at) else {
                return digit;
            };
            if word {
                break at;
            }
            at += len;
        };
        while let Some((true, len)) = word_char_at(text, at) {
            at += len;
        }
        digit |= bytes[start].is_ascii_digit() || bytes[at - 1].is_ascii_digit();
        out.push((start, at));
    }
}

/// Whether `word` can be a [`number`]: its first byte after a leading و
/// is a digit.
fn starts_with_digit(word: &[u8]) -> bool {
    let word = word.strip_prefix("و".as_bytes()).unwrap_or(word);
    word.first().is_some_and(u8::is_ascii_digit)
}

impl Dates {
    /// A month name at token `i` (one or two words, and a paired form
    /// "يونيو/حزيران"): the month and the index after it.
    fn month_at(&self, text: &str, tokens: &[(usize, usize)], i: usize) -> Option<(Month, usize)> {
        let word = |k: usize| tokens.get(k).map(|&(s, e)| &text[s..e]);
        let single = |k: usize| -> Option<(Month, usize)> {
            if !self.names.may_hold(word(k)?.as_bytes()) {
                return None;
            }
            if let (Some(a), Some(_)) = (word(k), word(k + 1))
                && TWO_WORD_STARTS.contains(&a)
                && &text[tokens[k].1..tokens[k + 1].0] == " "
                && let Some(m) = self.months.get(&text[tokens[k].0..tokens[k + 1].1])
            {
                return Some((*m, k + 2));
            }
            self.months.get(word(k)?).map(|m| (*m, k + 1))
        };
        let (month, next) = single(i)?;
        // A paired form: month/month.
        if let Some(&(s, _)) = tokens.get(next)
            && text[tokens[next - 1].1..s].trim() == "/"
            && let Some((_, after)) = single(next)
        {
            return Some((month, after));
        }
        Some((month, next))
    }

    fn scan(&self, paragraph: usize, text: &str, out: &mut Vec<Mention>) {
        let mut tokens: Vec<(usize, usize)> = Vec::with_capacity(text.len() / 8 + 4);
        let digit_edge = words(text, &mut tokens);
        let word = |k: usize| tokens.get(k).map(|&(s, e)| &text[s..e]);
        let gap = |a: usize, b: usize| -> &str { &text[tokens[a].1..tokens[b].0] };
        let marked_before = |k: usize| {
            (k.saturating_sub(4)..k).any(|j| {
                word(j).is_some_and(|w| {
                    w.starts_with("نشر")
                        || w == "تاريخ"
                        || w == "published"
                        || w == "updated"
                        || w == "posted"
                        || w == "محدث"
                        || w == "تحديث"
                })
            })
        };
        let mut i = 0;
        while i < tokens.len() {
            let (s, e) = tokens[i];
            // Each case below starts at a number (a digit first, after a
            // و) or a word the name filter lets through; most words are
            // neither.
            let bytes = &text.as_bytes()[s..e];
            if !starts_with_digit(bytes) && !self.names.may_hold(bytes) {
                i += 1;
                continue;
            }
            let w = &text[s..e];
            // day month [year]
            if let Some(day) = number(w).filter(|d| (1..=31).contains(d))
                && i + 1 < tokens.len()
                && gap(i, i + 1).trim().is_empty()
                && let Some((month, next)) = self.month_at(text, &tokens, i + 1)
            {
                let year = word(next)
                    .and_then(number)
                    .filter(|_| {
                        gap(next - 1, next)
                            .trim()
                            .trim_matches([',', '،'])
                            .is_empty()
                    })
                    .map(|y| (y, next));
                if let Some((found, end)) =
                    self.resolve(text, &tokens, month, Some(day as u32), year, next - 1)
                {
                    let start = tokens[i].0
                        + if w.starts_with('و') {
                            'و'.len_utf8()
                        } else {
                            0
                        };
                    out.push(Mention {
                        paragraph,
                        start,
                        end,
                        found,
                        marked: marked_before(i),
                    });
                    i = tokens
                        .iter()
                        .position(|t| t.0 >= end)
                        .unwrap_or(tokens.len());
                    continue;
                }
            }
            if let Some((month, next)) = self.month_at(text, &tokens, i) {
                // English "September 13, 2024" / "Sept. 13"
                let mut day = None;
                let mut after = next;
                if let Some(d) = word(next).and_then(number).filter(|d| (1..=31).contains(d))
                    && gap(next - 1, next).trim().trim_end_matches('.').is_empty()
                    && w.is_ascii()
                {
                    day = Some(d as u32);
                    after = next + 1;
                }
                let year = word(after)
                    .and_then(number)
                    .filter(|y| {
                        *y >= 1000
                            && gap(after - 1, after)
                                .trim()
                                .trim_matches([',', '،'])
                                .is_empty()
                    })
                    .map(|y| (y, after));
                if let Some((found, end)) = self.resolve(text, &tokens, month, day, year, after - 1)
                {
                    out.push(Mention {
                        paragraph,
                        start: tokens[i].0,
                        end,
                        found,
                        marked: marked_before(i),
                    });
                    i = tokens
                        .iter()
                        .position(|t| t.0 >= end)
                        .unwrap_or(tokens.len());
                    continue;
                }
            }
            // A year after a word that says it is one: عام 2022 (the
            // word is in the mention), in 2019 (it is not). Not a Hijri
            // year (عام 1445 هـ), and nothing a month above already took.
            if i > 0
                && w.len() == 4
                && w.bytes().all(|b| b.is_ascii_digit())
                && gap(i - 1, i).trim().is_empty()
                && word(i + 1) != Some("ه")
                && let Some(year) = number(w)
                && let Some(before) = word(i - 1)
            {
                let arabic = YEAR_WORDS_AR.contains(&before);
                let english = YEAR_WORDS_EN.contains(&before) && (1800..=2100).contains(&year);
                if arabic || english {
                    out.push(Mention {
                        paragraph,
                        start: if arabic { tokens[i - 1].0 } else { tokens[i].0 },
                        end: tokens[i].1,
                        found: Found::Year(year),
                        marked: false,
                    });
                    i += 1;
                    continue;
                }
            }
            // Weekdays: يوم الجمعة, الجمعة الماضي/المقبل, English names.
            if self.names.may_hold(w.as_bytes())
                && let Some(&weekday) = self.weekdays.get(w)
            {
                let arabic = !w.is_ascii();
                let after = word(i + 1).unwrap_or_default();
                let future_after =
                    matches!(after, "المقبل" | "القادم" | "المقبله" | "القادمه" | "next");
                let past_after = matches!(after, "الماضي" | "الماضيه" | "last");
                let future = future_after || (i > 0 && word(i - 1) == Some("next"));
                let past = past_after || (i > 0 && word(i - 1) == Some("last"));
                let day_word = i > 0 && matches!(word(i - 1), Some("يوم" | "ويوم" | "اليوم"));
                if !arabic || day_word || future || past {
                    let start = if day_word {
                        tokens[i - 1].0
                    } else {
                        tokens[i].0
                    };
                    // The mention takes in a marker that follows the
                    // weekday ("الجمعة المقبلة"), never one before it.
                    let end = if future_after || past_after {
                        tokens[i + 1].1
                    } else {
                        tokens[i].1
                    };
                    out.push(Mention {
                        paragraph,
                        start,
                        end,
                        found: Found::Weekday(weekday, future),
                        marked: false,
                    });
                }
            }
            i += 1;
        }
        // Each pattern's year ends a word (before '-') or starts one
        // (after '/' or '.'): no such digit, no match.
        if !digit_edge {
            return;
        }
        for caps in self.iso.captures_iter(text) {
            let (y, m, d) = (
                caps[1].parse().ok(),
                caps[2].parse().ok(),
                caps[3].parse().ok(),
            );
            if let (Some(y), Some(m), Some(d)) = (y, m, d)
                && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
            {
                let whole = caps.get(0).unwrap();
                let at = tokens
                    .iter()
                    .position(|t| t.0 == whole.start())
                    .unwrap_or(0);
                out.push(Mention {
                    paragraph,
                    start: whole.start(),
                    end: whole.end(),
                    found: Found::Date(date),
                    marked: marked_before(at),
                });
            }
        }
        for caps in self.dmy.captures_iter(text) {
            let (d, m, y) = (
                caps[1].parse().ok(),
                caps[2].parse().ok(),
                caps[3].parse().ok(),
            );
            if let (Some(d), Some(m), Some(y)) = (d, m, y)
                && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
            {
                let whole = caps.get(0).unwrap();
                let at = tokens
                    .iter()
                    .position(|t| t.0 == whole.start())
                    .unwrap_or(0);
                out.push(Mention {
                    paragraph,
                    start: whole.start(),
                    end: whole.end(),
                    found: Found::Date(date),
                    marked: marked_before(at),
                });
            }
        }
    }

    /// Turns month/day/year into a date; `year_index` is the token of the
    /// year (or the token after the month when there is none).
    fn resolve(
        &self,
        text: &str,
        tokens: &[(usize, usize)],
        month: Month,
        day: Option<u32>,
        year: Option<(i32, usize)>,
        last: usize,
    ) -> Option<(Found, usize)> {
        let word = |k: usize| tokens.get(k).map(|&(s, e)| &text[s..e]);
        match month.calendar {
            Calendar::Hijri => {
                let (year, year_index) = year.filter(|(y, _)| (1300..=1600).contains(y))?;
                let marker = word(year_index + 1)
                    .filter(|w| matches!(*w, "ه" | "هجري" | "هجريه" | "للهجره"));
                let end = if marker.is_some() {
                    tokens[year_index + 1].1
                } else {
                    tokens[year_index].1
                };
                let attached = word(year_index).is_some_and(|w| w.ends_with('ه'));
                if marker.is_none() && !attached && day.is_none() {
                    return None;
                }
                let date = hijri_to_gregorian(year, month.number, day.unwrap_or(1))?;
                Some((
                    if day.is_some() {
                        Found::Date(date)
                    } else {
                        Found::YearMonth(date.year(), date.month())
                    },
                    end,
                ))
            }
            Calendar::Gregorian => match (day, year.filter(|(y, _)| (1000..=2200).contains(y))) {
                (Some(d), Some((y, at))) => Some((
                    Found::Date(NaiveDate::from_ymd_opt(y, month.number, d)?),
                    tokens[at].1,
                )),
                (None, Some((y, at))) => Some((Found::YearMonth(y, month.number), tokens[at].1)),
                (_, None) => {
                    if month.ambiguous && day.is_none() {
                        return None;
                    }
                    Some((
                        Found::MonthOnly(month.number * 100 + day.unwrap_or(0)),
                        tokens[last].1,
                    ))
                }
            },
        }
    }

    fn dateline(&self, article: &ArticleView<'_>) -> Option<Dateline> {
        let first = article.paragraphs().first()?;
        let text = first.text;
        if let Some(c) = self.dateline_en.captures(text) {
            return Some(Dateline {
                place: c[1].trim().to_owned(),
                agency: c
                    .get(3)
                    .map_or(String::new(), |m| m.as_str().trim().to_owned()),
                text: c[0].trim().to_owned(),
            });
        }
        let c = self.dateline_ar.captures(text)?;
        // Either a comma and a region, or an agency, must be there: a plain
        // "word –" is too weak.
        if c.get(2).is_none() && c.get(3).is_none() {
            return None;
        }
        Some(Dateline {
            place: c[1].trim().to_owned(),
            agency: c
                .get(3)
                .map_or(String::new(), |m| m.as_str().trim().to_owned()),
            text: c[0].trim().to_owned(),
        })
    }
}

impl Dates {
    /// The first full date in the byline and timestamp lines the
    /// `scraped-page` normalizer removed and kept in the `byline` metadata
    /// entry ("Published 12 March 2024", "الجمعة 14 يونيو 2024 10:35 ص").
    fn published_from_byline(&self, article: &ArticleView<'_>) -> Option<NaiveDate> {
        let bylines = article.metadata().get(metadata::BYLINE)?;
        bylines.lines().find_map(|line| {
            let mut found = Vec::new();
            self.scan(0, &akhbar_arabic_text::matching(line), &mut found);
            found.into_iter().find_map(|m| match m.found {
                Found::Date(d) => Some(d),
                _ => None,
            })
        })
    }
}

fn published_from_metadata(article: &ArticleView<'_>) -> Option<NaiveDate> {
    ["published_at", "published", "date", "publication_date"]
        .iter()
        .filter_map(|k| article.metadata().get(*k))
        .find_map(|v| {
            let v = v.trim();
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|d| d.date_naive())
                .ok()
                .or_else(|| NaiveDate::parse_from_str(v.get(..10)?, "%Y-%m-%d").ok())
        })
}

fn timestamp(date: NaiveDate) -> Timestamp {
    let seconds = date
        .and_hms_opt(0, 0, 0)
        .map_or(0, |d| d.and_utc().timestamp());
    Timestamp { seconds, nanos: 0 }
}

fn resolve_weekday(published: NaiveDate, weekday: Weekday, future: bool) -> NaiveDate {
    let from = published.weekday().num_days_from_monday() as i64;
    let to = weekday.num_days_from_monday() as i64;
    if future {
        let ahead = (to - from).rem_euclid(7);
        published + Duration::days(if ahead == 0 { 7 } else { ahead })
    } else {
        published - Duration::days((from - to).rem_euclid(7))
    }
}

impl Enricher for Dates {
    fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
        self.enrich_view(&ArticleView::of(article))
    }

    fn enrich_view(&self, article: &ArticleView<'_>) -> Result<Enrichment, PluginError> {
        let mut added = Enrichment::default();
        let mut mentions = Vec::new();
        // Scan the matching form the arabic normalizer filled; the offset
        // map back into the display text is built only for paragraphs that
        // mention a date (most do not), and checked against it.
        let maps: Vec<Option<MatchingMap>> = article
            .paragraphs()
            .iter()
            .enumerate()
            .map(|(i, paragraph)| {
                MatchingMap::scan_paragraph(
                    paragraph.text,
                    paragraph.matching,
                    &mut mentions,
                    |text, out| self.scan(i, text, out),
                )
            })
            .collect();
        mentions.sort_by_key(|m| (m.paragraph, m.start));
        mentions.dedup_by(|b, a| a.paragraph == b.paragraph && b.start < a.end);

        let mut published = article
            .published_at()
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
            .map(|d| d.date_naive());
        let mut how = "kept the publication date the source gave";
        if published.is_none() {
            published = published_from_metadata(article);
            how = "took the publication date from metadata";
        }
        if published.is_none() {
            published = self.published_from_byline(article);
            how = "took the publication date from the page's byline (removed with the chrome)";
        }
        if published.is_none() {
            let lead = mentions.iter().find(|m| {
                matches!(m.found, Found::Date(_))
                    && (m.marked || (m.paragraph < 3 && m.start < 120))
            });
            if let Some(Mention {
                found: Found::Date(d),
                ..
            }) = lead
            {
                published = Some(*d);
                how = "took the publication date from the text";
            }
        }
        let mut dates = Vec::new();
        for m in &mentions {
            let iso = match m.found {
                Found::Date(d) => d.format("%Y-%m-%d").to_string(),
                Found::YearMonth(y, mo) => format!("{y:04}-{mo:02}"),
                Found::Year(y) => format!("{y:04}"),
                Found::MonthOnly(code) => {
                    // A month (and day) without a year: the latest one on or
                    // before the publication date.
                    let Some(p) = published else { continue };
                    let (month, day) = (code / 100, code % 100);
                    let year = if (month, day.max(1)) <= (p.month(), p.day()) {
                        p.year()
                    } else {
                        p.year() - 1
                    };
                    if day == 0 {
                        format!("{year:04}-{month:02}")
                    } else {
                        match NaiveDate::from_ymd_opt(year, month, day) {
                            Some(d) => d.format("%Y-%m-%d").to_string(),
                            None => continue,
                        }
                    }
                }
                Found::Weekday(w, future) => {
                    let Some(p) = published else { continue };
                    resolve_weekday(p, w, future).format("%Y-%m-%d").to_string()
                }
            };
            let (start, end) = maps[m.paragraph]
                .as_ref()
                .expect("a paragraph with a mention has its map")
                .source_range(m.start, m.end);
            if start >= end {
                continue;
            }
            dates.push(MentionedDate {
                text: article.paragraphs()[m.paragraph].text[start..end].to_owned(),
                date: iso,
                paragraph: m.paragraph as u32,
                start: start as u32,
                end: end as u32,
            });
        }
        let mut notes = vec![format!("found {} dates", dates.len())];
        if let Some(p) = published
            && article.published_at().is_none()
        {
            added.published_at = Some(timestamp(p));
            notes.push(format!("{how}: {p}"));
        }
        added.dates = dates;
        if !self.config.no_dateline
            && article.dateline().is_none()
            && let Some(dateline) = self.dateline(article)
        {
            notes.push(format!("dateline \"{}\"", dateline.text));
            added.dateline = Some(dateline);
        }
        added
            .provenance
            .push(Self::provenance("enricher", notes.join("; ")));
        Ok(added)
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(enricher: Dates);

#[cfg(test)]
mod tests;
