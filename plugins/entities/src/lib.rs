//! `entities`: people, places and organizations, each with its surface text
//! and byte offsets in the display text of its paragraph, a label and a
//! canonical id that spelling variants share.
//!
//! - **Gazetteer** (`data/gazetteer.tsv`, embedded; users add their own
//!   files with `{"extra_gazetteers": ["path.tsv"]}`): aliases are folded to
//!   the matching form and matched with aho-corasick over the matching form
//!   of each paragraph. Arabic clitics before a name are allowed (و ف ب ل ك
//!   and ال with their combinations, ل+ال → لل), so بكيم جونغ أون and
//!   وللكرملين match (the surface text leaves out a clitic, except in the
//!   fused لل form); a match must end at a word end. Transliterated names
//!   (flag `g`) also match with غ/ج swapped: جونغ/جونج, شويغو/شويجو.
//!   Weak aliases (`~كيم`) count only in an article that names the entity
//!   in full.
//! - **Rules** for names the gazetteer lacks: a title word (الرئيس، الزعيم،
//!   وزير، رئيس الوزراء، المتحدث باسم …) followed, after its modifiers
//!   (الروسي، الخارجية …), by two or three name words; in English, "said"
//!   next to a capitalized name of two or three words, and titles and roles
//!   before one ("President", "actress", "coach"), but no run that holds an
//!   institution's word (Ministry, Chronicle …). Their canonical id is
//!   `akhbar:name:` and the folded name (غ folded to ج), so spelling variants
//!   of unknown names still meet. In English, the surname of a name so found
//!   is, alone elsewhere in the article, a mention of that person (unless
//!   two found names share it).
//!
//! Only the paragraphs the normalizers kept are read, so nothing comes from
//! removed chrome.
#![forbid(unsafe_code)]

use foldhash::{HashMap, HashMapExt, HashSet};

use aho_corasick::automaton::Automaton;
use aho_corasick::automaton::StateID;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use akhbar_arabic_text::{MatchingMap, is_letter, is_stopword, is_word_char, matching};
use akhbar_plugin_sdk::proto::{Article, Enrichment, Entity, entity::Label};
use akhbar_plugin_sdk::{ArticleView, Config, Enricher, ParagraphView, Plugin, PluginError};

/// The built-in gazetteer.
pub const GAZETTEER: &str = include_str!("../data/gazetteer.tsv");

/// One gazetteer entity.
#[derive(Debug, Clone)]
pub struct GazetteerEntry {
    /// Canonical id (`wikidata:Q…` or `akhbar:…`).
    pub id: String,
    /// Label.
    pub label: Label,
    /// Canonical name.
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// The alias as written (Arabic clitics may precede it).
    Plain,
    /// An ال-alias after ل: للكرملين (only و or ف may precede it).
    Lil,
}

#[derive(Debug, Clone, Copy)]
struct PatternInfo {
    entity: usize,
    weak: bool,
    form: Form,
    latin: bool,
    starts_with_al: bool,
}

/// Config of `entities`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntitiesConfig {
    /// More gazetteer files (same format as the built-in one).
    pub extra_gazetteers: Vec<String>,
    /// Use the built-in gazetteer.
    pub builtin_gazetteer: bool,
    /// Find names the gazetteer lacks with title and "said" rules.
    pub rules: bool,
}

impl Default for EntitiesConfig {
    fn default() -> Self {
        EntitiesConfig {
            extra_gazetteers: Vec::new(),
            builtin_gazetteer: true,
            rules: true,
        }
    }
}

/// The `entities` enricher.
#[derive(Debug)]
pub struct Entities {
    entries: Vec<GazetteerEntry>,
    patterns: Vec<PatternInfo>,
    /// The gazetteer's patterns, then (with the rules) the title words.
    automaton: Option<DFA>,
    rules: bool,
    title_words: Vec<&'static str>,
    english_titles: EnglishTitles,
}

/// Title words of the English rules ("President", "spokesman", …).
#[derive(Debug)]
struct EnglishTitles {
    words: HashSet<&'static str>,
    sketch: WordSketch,
}

impl EnglishTitles {
    fn new(words: Vec<&'static str>) -> Self {
        let mut sketch = WordSketch::default();
        for word in &words {
            sketch.insert(word);
        }
        EnglishTitles {
            words: words.into_iter().collect(),
            sketch,
        }
    }

    fn contains(&self, word: &str) -> bool {
        self.sketch.may_contain(word) && self.words.contains(word)
    }
}

/// The (first byte, length) pairs of a set of words: most words of a text
/// are told apart from the set with it, without hashing them.
#[derive(Debug, Clone)]
struct WordSketch {
    /// Bit `n` of entry `b`: a word of `n` bytes (63 for longer) starts with `b`.
    lengths: [u64; 256],
}

impl Default for WordSketch {
    fn default() -> Self {
        WordSketch { lengths: [0; 256] }
    }
}

impl WordSketch {
    fn insert(&mut self, word: &str) {
        if let Some(&b) = word.as_bytes().first() {
            self.lengths[usize::from(b)] |= 1 << word.len().min(63);
        }
    }

    /// False only for a word not inserted.
    fn may_contain(&self, word: &str) -> bool {
        word.as_bytes()
            .first()
            .is_some_and(|&b| self.lengths[usize::from(b)] >> word.len().min(63) & 1 != 0)
    }
}

fn parse_label(label: &str) -> Option<Label> {
    Some(match label.trim().to_ascii_uppercase().as_str() {
        "PERSON" | "PER" => Label::Person,
        "PLACE" | "LOC" | "GPE" => Label::Place,
        "ORGANIZATION" | "ORGANISATION" | "ORG" => Label::Organization,
        "EVENT" => Label::Event,
        "OTHER" | "MISC" => Label::Other,
        _ => return None,
    })
}

/// Variants of an Arabic alias with غ and ج swapped, word by word.
fn g_variants(alias: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for (i, word) in alias.split(' ').enumerate() {
        let mut forms = vec![word.to_owned()];
        if word.contains('غ') || word.contains('ج') {
            forms.push(word.replace('غ', "ج"));
            forms.push(word.replace('ج', "غ"));
        }
        forms.sort();
        forms.dedup();
        let mut next = Vec::new();
        for prefix in &out {
            for form in &forms {
                if next.len() < 64 {
                    next.push(if i == 0 {
                        form.clone()
                    } else {
                        format!("{prefix} {form}")
                    });
                }
            }
        }
        out = next;
    }
    out
}

fn is_arabic(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c)
}

/// Clitic prefixes that may stand before a name in one word.
const PREFIXES: [&str; 11] = ["", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك"];
/// … and those that bring their own article, for aliases without ال.
const AL_PREFIXES: [&str; 7] = ["ال", "وال", "فال", "بال", "كال", "لل", "ولل"];

impl Entities {
    /// Builds the matcher from gazetteer texts (TSV, see `data/gazetteer.tsv`).
    pub fn from_gazetteers(texts: &[(&str, &str)], rules: bool) -> Result<Self, PluginError> {
        let mut entries: Vec<GazetteerEntry> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut strings: Vec<String> = Vec::new();
        let mut patterns: Vec<PatternInfo> = Vec::new();
        for (origin, text) in texts {
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_end_matches('\r');
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let fields: Vec<&str> = line.split('\t').collect();
                let bad = |why: &str| {
                    PluginError::failed(format!("gazetteer {origin} line {}: {why}", n + 1))
                };
                let [id, label, name, flags, aliases] = fields[..] else {
                    return Err(bad(
                        "expected 5 tab-separated fields: id, label, name, flags, aliases",
                    ));
                };
                let label = parse_label(label).ok_or_else(|| bad("unknown label"))?;
                let entity = *by_id.entry(id.to_owned()).or_insert_with(|| {
                    entries.push(GazetteerEntry {
                        id: id.to_owned(),
                        label,
                        name: name.to_owned(),
                    });
                    entries.len() - 1
                });
                let translit = flags.contains('g');
                for alias in aliases.split('|').map(str::trim).filter(|a| !a.is_empty()) {
                    let (weak, alias) = match alias.strip_prefix('~') {
                        Some(rest) => (true, rest),
                        None => (false, alias),
                    };
                    let folded = matching(alias);
                    if folded.is_empty() {
                        continue;
                    }
                    let arabic = folded.chars().next().is_some_and(is_arabic);
                    let forms = if translit && arabic {
                        g_variants(&folded)
                    } else {
                        vec![folded]
                    };
                    for form in forms {
                        let starts_with_al = arabic && form.starts_with("ال");
                        let mut add = |pattern: String, form: Form| {
                            if seen.contains_key(&pattern) {
                                return;
                            }
                            seen.insert(pattern.clone(), patterns.len());
                            strings.push(pattern);
                            patterns.push(PatternInfo {
                                entity,
                                weak,
                                form,
                                latin: !arabic,
                                starts_with_al,
                            });
                        };
                        if starts_with_al {
                            add(format!("لل{}", &form["ال".len()..]), Form::Lil);
                        }
                        add(form, Form::Plain);
                    }
                }
            }
        }
        let title_words = vec![
            "الرئيس",
            "الزعيم",
            "وزير",
            "وزيره",
            "رئيس الوزراء",
            "رئيس وزراء",
            "رئيسه الوزراء",
            "المتحدث باسم",
            "المتحدثه باسم",
            "الناطق باسم",
            "المستشار",
            "الملك",
            "الامير",
            "الشيخ",
            "السفير",
            "نائب الرئيس",
            "الجنرال",
            "المبعوث",
            "زعيم",
        ];
        // The title words are found in the gazetteer's scan (one pass over
        // the text), all of their matches, which title_rules then reduces
        // to the leftmost-longest ones.
        if rules {
            strings.extend(title_words.iter().map(|&t| t.to_owned()));
        }
        let automaton = if strings.is_empty() {
            None
        } else {
            Some(
                // A DFA: no failure transitions to follow per byte; the
                // matches are the same as the default NFA's. Searched by
                // overlapping_matches.
                DFA::builder()
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .build(&strings)
                    .map_err(|e| PluginError::failed(format!("cannot build the gazetteer: {e}")))?,
            )
        };
        Ok(Entities {
            entries,
            patterns,
            automaton,
            rules,
            title_words,
            english_titles: EnglishTitles::new(vec![
                "President",
                "Prime Minister",
                "Minister",
                "Chancellor",
                "King",
                "Prince",
                "Leader",
                "leader",
                "spokesman",
                "spokeswoman",
                "spokesperson",
                "Secretary",
                "General",
                "Ambassador",
                // Roles before a name ("actress Mary Steenburgen", "coach
                // Bruce Boudreau"), written in lower case mid-sentence.
                "Administrator",
                "administrator",
                "Governor",
                "governor",
                "Senator",
                "senator",
                "Mayor",
                "mayor",
                "Judge",
                "judge",
                "Professor",
                "professor",
                "Commissioner",
                "commissioner",
                "Director",
                "director",
                "minister",
                "president",
                "chairman",
                "chairwoman",
                "founder",
                "CEO",
                "lawmaker",
                "actor",
                "actress",
                "singer",
                "filmmaker",
                "producer",
                "writer",
                "author",
                "journalist",
                "coach",
                "manager",
                "captain",
                "striker",
                "forward",
                "defenseman",
                "goalkeeper",
            ]),
        })
    }

    /// The gazetteer entities.
    pub fn entries(&self) -> &[GazetteerEntry] {
        &self.entries
    }
}

impl Plugin for Entities {
    const NAME: &'static str = "entities";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    fn new(config: &Config<'_>) -> Result<Self, PluginError> {
        let config: EntitiesConfig = config.parse()?;
        let mut extra = Vec::new();
        for path in &config.extra_gazetteers {
            let text = std::fs::read_to_string(path)
                .map_err(|e| PluginError::failed(format!("cannot read gazetteer {path}: {e}")))?;
            extra.push((path.as_str(), text));
        }
        let mut texts: Vec<(&str, &str)> = Vec::new();
        if config.builtin_gazetteer {
            texts.push(("data/gazetteer.tsv", GAZETTEER));
        }
        texts.extend(extra.iter().map(|(p, t)| (*p, t.as_str())));
        Entities::from_gazetteers(&texts, config.rules)
    }
}

/// A mention found in the matching form of one paragraph.
#[derive(Debug, Clone)]
struct Found {
    paragraph: usize,
    start: usize,
    end: usize,
    entity: Option<usize>,
    weak: bool,
    rule: Option<(Label, String)>,
    /// Offsets are already in the display text (English rules).
    in_display: bool,
    /// The full name a rule-made mention stands for, when it is not its own
    /// text (a surname alone: Steenburgen for Mary Steenburgen).
    full_name: Option<String>,
}

/// A paragraph the English rules read: its words and the gazetteer's
/// spans, both in the display text.
struct EnglishParagraph {
    index: usize,
    words: Vec<(usize, usize)>,
    gazetteer: Vec<(usize, usize)>,
}

fn word_start(text: &str, at: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

fn ends_word(text: &str, at: usize) -> bool {
    text[at..].chars().next().is_none_or(|c| !is_word_char(c))
}

/// Words for the English rules: a letter not preceded by a letter, digit,
/// `'` or `-` starts one, which goes on over letters, digits, `'` and `-`.
/// So the words are the runs of those characters that start with a letter,
/// and one pass finds them all.
fn english_words(display: &str) -> Vec<(usize, usize)> {
    let bytes = display.as_bytes();
    // About one word in six bytes of English: sized once, not regrown.
    let mut words = Vec::with_capacity(display.len() / 6 + 1);
    let mut i = 0;
    loop {
        // Up to the next run; ASCII is told from its byte.
        let (start, letter) = loop {
            let Some(&b) = bytes.get(i) else {
                return words;
            };
            let (class, len) = match BYTE_CLASS[usize::from(b)] {
                DECODE => class_at(display, i, true),
                class => (class, 1),
            };
            if class & INNER != 0 {
                break (i, class & LETTER != 0);
            }
            i += len;
        };
        // Over the run.
        while let Some(&b) = bytes.get(i) {
            let (class, len) = match BYTE_CLASS[usize::from(b)] {
                DECODE => class_at(display, i, false),
                class => (class, 1),
            };
            if class & INNER == 0 {
                break;
            }
            i += len;
        }
        if letter {
            words.push((start, i));
        }
    }
}

/// Classes of a byte for [`english_words`]: an `inner` character (letter,
/// digit, `'`, `-`), a letter, or the first byte of a non-ASCII character.
const INNER: u8 = 1;
const LETTER: u8 = 2;
const DECODE: u8 = 4;
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = if byte.is_ascii_alphabetic() {
            INNER | LETTER
        } else if byte.is_ascii_digit() || byte == b'-' || byte == b'\'' {
            INNER
        } else if byte >= 0x80 {
            DECODE
        } else {
            0
        };
        b += 1;
    }
    table
};

/// The class and length of the non-ASCII character at byte `i` (`LETTER`
/// only if asked for); the two-byte Arabic letters and digits are told from
/// their bytes.
fn class_at(display: &str, i: usize, letter: bool) -> (u8, usize) {
    let bytes = display.as_bytes();
    match (bytes[i], bytes.get(i + 1)) {
        // U+0621..=U+064A.
        (0xD8, Some(0xA1..=0xBF)) | (0xD9, Some(0x80..=0x8A)) => (INNER | LETTER, 2),
        // U+0660..=U+0669.
        (0xD9, Some(0xA0..=0xA9)) => (INNER, 2),
        _ => {
            let c = display[i..].chars().next().unwrap_or_default();
            let mut class = if is_word_char(c) { INNER } else { 0 };
            if letter && is_letter(c) {
                class |= LETTER;
            }
            (class, c.len_utf8())
        }
    }
}

/// Whether the text holds an ASCII capital letter: tested a block of bytes
/// at a time without a branch per byte, which the compiler vectorizes.
fn has_ascii_uppercase(text: &str) -> bool {
    text.as_bytes().chunks(32).any(|block| {
        block
            .iter()
            .fold(0u8, |any, &b| any | u8::from(b.wrapping_sub(b'A') < 26))
            != 0
    })
}

/// Appends each match (start, end, pattern) of the DFA in `text` to `out`,
/// in the order of an overlapping search's.
fn overlapping_matches(dfa: &DFA, text: &str, out: &mut Vec<(usize, usize, usize)>) {
    let Ok(mut sid) = dfa.start_state(Anchored::No) else {
        return;
    };
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some((end, special)) = to_special_state(dfa, bytes, at, sid) {
        (at, sid) = (end, special);
        if dfa.is_dead(sid) {
            return;
        }
        if dfa.is_match(sid) {
            for k in 0..dfa.match_len(sid) {
                let pattern = dfa.match_pattern(sid, k);
                out.push((end - dfa.pattern_len(pattern), end, pattern.as_usize()));
            }
        }
    }
}

/// Runs the DFA from state `sid` over `bytes[at..]` up to a special state
/// (a match): the position after the byte that led to it, and the state.
/// A loop of its own, whose few values stay in registers.
#[inline(never)]
fn to_special_state(
    dfa: &DFA,
    bytes: &[u8],
    at: usize,
    mut sid: StateID,
) -> Option<(usize, StateID)> {
    for (i, &b) in bytes.get(at..)?.iter().enumerate() {
        sid = dfa.next_state(Anchored::No, sid, b);
        if dfa.is_special(sid) {
            return Some((at + i + 1, sid));
        }
    }
    None
}

/// Keeps of all the matches (start, end, pattern) those a leftmost-longest
/// search finds: the leftmost, the longest there, then the same from its end.
fn leftmost_longest(matches: &mut Vec<(usize, usize, usize)>) {
    matches.sort_unstable_by_key(|&(s, e, p)| (s, std::cmp::Reverse(e), p));
    let mut after = 0;
    matches.retain(|&(s, e, _)| {
        let keep = s >= after;
        if keep {
            after = e;
        }
        keep
    });
}

/// Folds a name for a rule-made canonical id: غ and ج meet.
fn name_key(folded: &str) -> String {
    folded
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('غ', "ج"))
        .collect::<Vec<_>>()
        .join("-")
}

/// Capitalized words that belong to the names of institutions, not people:
/// a run of capitalized words holding one is no person's name.
const INSTITUTION_WORDS: &[&str] = &[
    "Agency",
    "Airlines",
    "Army",
    "Association",
    "Authority",
    "Bank",
    "Board",
    "Capital",
    "Center",
    "Centre",
    "Chronicle",
    "Church",
    "Club",
    "College",
    "Commission",
    "Committee",
    "Company",
    "Corp",
    "Corporation",
    "Council",
    "Court",
    "Department",
    "Equities",
    "Festival",
    "Force",
    "Forces",
    "Foundation",
    "Fund",
    "Group",
    "Holdings",
    "Hospital",
    "House",
    "Inc",
    "Institute",
    "Institutional",
    "Journal",
    "League",
    "Media",
    "Ministry",
    "Museum",
    "Network",
    "News",
    "Office",
    "Partners",
    "Party",
    "Police",
    "Post",
    "Press",
    "Securities",
    "Service",
    "Services",
    "Stadium",
    "Times",
    "Union",
    "University",
];

/// Words that end a name after a title word.
const NOT_NAME: &[&str] = &[
    "يوم",
    "خلال",
    "امس",
    "اليوم",
    "الي",
    "ان",
    "انه",
    "انها",
    "الذي",
    "التي",
    "قال",
    "قالت",
    "اكد",
    "اعلن",
    "بعد",
    "قبل",
    "عن",
    "علي",
    "في",
    "من",
    "مع",
    "كان",
    "لدي",
    "شخصيا",
    "نفسه",
    "السابق",
];

impl Entities {
    /// Gazetteer matches into `out`; the title words' matches (start, end,
    /// title) into `titles`.
    fn gazetteer_matches(
        &self,
        paragraph: usize,
        text: &str,
        out: &mut Vec<Found>,
        titles: &mut Vec<(usize, usize, usize)>,
    ) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        let mut candidates: Vec<Found> = Vec::with_capacity(16);
        let mut matches = Vec::new();
        overlapping_matches(automaton, text, &mut matches);
        for (start, end, pattern) in matches {
            let Some(&info) = self.patterns.get(pattern) else {
                titles.push((start, end, pattern - self.patterns.len()));
                continue;
            };
            if !ends_word(text, end) {
                continue;
            }
            let ws = word_start(text, start);
            let prefix = &text[ws..start];
            let ok = if info.latin {
                prefix.is_empty()
            } else {
                match info.form {
                    Form::Lil => matches!(prefix, "" | "و" | "ف"),
                    Form::Plain => {
                        PREFIXES.contains(&prefix)
                            || (!info.starts_with_al && AL_PREFIXES.contains(&prefix))
                    }
                }
            };
            if !ok {
                continue;
            }
            // A لل form (ل + ال) is reported whole: للكرملين.
            candidates.push(Found {
                paragraph,
                start,
                end,
                entity: Some(info.entity),
                weak: info.weak,
                rule: None,
                in_display: false,
                full_name: None,
            });
        }
        // Longest first, then leftmost; no overlaps.
        candidates.sort_by_key(|f| (std::cmp::Reverse(f.end - f.start), f.start));
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for c in candidates {
            if taken.iter().all(|&(s, e)| c.end <= s || c.start >= e) {
                taken.push((c.start, c.end));
                out.push(c);
            }
        }
    }

    fn title_rules(
        &self,
        paragraph: usize,
        text: &str,
        titles: &mut Vec<(usize, usize, usize)>,
        taken: &[(usize, usize)],
        out: &mut Vec<Found>,
    ) {
        leftmost_longest(titles);
        for &(m_start, m_end, title) in titles.iter() {
            if word_start(text, m_start) != m_start
                && !matches!(
                    &text[word_start(text, m_start)..m_start],
                    "و" | "ف" | "ل" | "ب"
                )
            {
                continue;
            }
            if !ends_word(text, m_end) {
                continue;
            }
            let title = self.title_words[title];
            let label_after_title = if title.contains("باسم") {
                Label::Organization
            } else {
                Label::Person
            };
            // Words after the title: modifiers (ال…) first, then the name.
            let mut words = akhbar_arabic_text::word_ranges(&text[m_end..])
                .map(|(s, e)| (m_end + s, m_end + e))
                .peekable();
            let mut last_end = m_end;
            let mut modifiers = 0;
            let mut name: Vec<(usize, usize)> = Vec::new();
            for (s, e) in words.by_ref() {
                // Punctuation between words ends the phrase.
                if text[last_end..s].chars().any(|c| !c.is_whitespace()) {
                    break;
                }
                let word = &text[s..e];
                let in_gazetteer = taken.iter().any(|&(ts, te)| s < te && e > ts);
                if in_gazetteer {
                    break;
                }
                if name.is_empty()
                    && word.starts_with("ال")
                    && modifiers < 4
                    && label_after_title == Label::Person
                {
                    modifiers += 1;
                    last_end = e;
                    continue;
                }
                if word.starts_with("ال") && label_after_title == Label::Person
                    || is_stopword(word)
                    || NOT_NAME.contains(&word)
                    || word.chars().count() < 2
                    || word.chars().all(|c| c.is_ascii_digit())
                    || name.len() == 3
                {
                    break;
                }
                name.push((s, e));
                last_end = e;
            }
            let enough = match label_after_title {
                Label::Person => name.len() >= 2,
                _ => !name.is_empty(),
            };
            if enough {
                let (start, end) = (name[0].0, name[name.len() - 1].1);
                out.push(Found {
                    paragraph,
                    start,
                    end,
                    entity: None,
                    weak: false,
                    rule: Some((label_after_title, name_key(&text[start..end]))),
                    in_display: false,
                    full_name: None,
                });
            }
        }
    }

    /// English rules on the display text: "said Name Name", "Name Name said",
    /// and a title word before a capitalized name.
    fn english_rules(
        &self,
        paragraph: usize,
        display: &str,
        words: &[(usize, usize)],
        taken: &[(usize, usize)],
        out: &mut Vec<Found>,
    ) {
        let is_cap = |&(s, e): &(usize, usize)| {
            let w = &display[s..e];
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().nth(1).is_some_and(char::is_lowercase)
                && !self.english_titles.contains(w)
                && !is_stopword(&w.to_lowercase())
        };
        let adjacent =
            |a: (usize, usize), b: (usize, usize)| display[a.1..b.0].chars().all(|c| c == ' ');
        let name_from = |i: usize| -> Option<(usize, usize)> {
            let mut j = i;
            while j < words.len()
                && j < i + 3
                && is_cap(&words[j])
                && (j == i || adjacent(words[j - 1], words[j]))
            {
                j += 1;
            }
            // "San Francisco Chronicle said", "Interior Ministry spokesman":
            // a word that names an institution makes it no person's name.
            let institution = words[i..j]
                .iter()
                .any(|&(s, e)| INSTITUTION_WORDS.contains(&&display[s..e]));
            (j >= i + 2 && !institution).then(|| (words[i].0, words[j - 1].1))
        };
        let mut push = |range: (usize, usize)| {
            if taken.iter().any(|&(s, e)| range.0 < e && range.1 > s)
                || out
                    .iter()
                    .any(|f| f.paragraph == paragraph && f.start == range.0)
            {
                return;
            }
            out.push(Found {
                paragraph,
                start: range.0,
                end: range.1,
                entity: None,
                weak: false,
                rule: Some((
                    Label::Person,
                    name_key(&matching(&display[range.0..range.1])),
                )),
                in_display: true,
                full_name: None,
            });
        };
        for (i, &(s, e)) in words.iter().enumerate() {
            let w = &display[s..e];
            let next = i + 1;
            if (w == "said" || w == "says" || self.english_titles.contains(w))
                && next < words.len()
                && adjacent(words[i], words[next])
                && let Some(range) = name_from(next)
            {
                push(range);
            }
            if (w == "said" || w == "says") && i >= 2 {
                // The longest name that ends before "said" (Van Der Beek,
                // not Der Beek).
                for k in i.saturating_sub(3)..i.saturating_sub(1) {
                    if let Some(range) = name_from(k)
                        && range.1 == words[i - 1].1
                        && adjacent(words[i - 1], words[i])
                    {
                        push(range);
                        break;
                    }
                }
            }
        }
    }

    /// A full name the English rules found stands for its surname alone
    /// elsewhere in the article ("Steenburgen said" after "actress Mary
    /// Steenburgen"): each such capitalized word, outside the spans already
    /// found, is a mention of that person. A surname two found names share
    /// is left alone.
    fn surnames(
        &self,
        paragraphs: &[ParagraphView<'_>],
        english_taken: &[EnglishParagraph],
        english: &mut Vec<Found>,
    ) {
        let mut by_surname: HashMap<&str, Option<(String, String)>> = HashMap::new();
        let mut surnames = WordSketch::default();
        for f in english.iter() {
            let display = paragraphs[f.paragraph].text;
            let name = &display[f.start..f.end];
            let Some((_, surname)) = name.rsplit_once(' ') else {
                continue;
            };
            let Some((_, key)) = &f.rule else { continue };
            let person = (key.clone(), name.to_owned());
            surnames.insert(surname);
            by_surname
                .entry(surname)
                .and_modify(|known| {
                    if known.as_ref().is_some_and(|(k, _)| *k != person.0) {
                        *known = None;
                    }
                })
                .or_insert(Some(person));
        }
        let mut more = Vec::new();
        for paragraph in english_taken {
            let i = paragraph.index;
            let display = paragraphs[i].text;
            let found_here: Vec<(usize, usize)> = english
                .iter()
                .filter(|f| f.paragraph == i)
                .map(|f| (f.start, f.end))
                .chain(paragraph.gazetteer.iter().copied())
                .collect();
            for &(s, e) in &paragraph.words {
                // A possessive with `'` is one English word: its name is
                // before the `'s` (with `’`, the words split there).
                let e = display[s..e]
                    .strip_suffix("'s")
                    .map_or(e, |name| s + name.len());
                let word = &display[s..e];
                if !surnames.may_contain(word) {
                    continue;
                }
                let Some(Some((key, name))) = by_surname.get(word) else {
                    continue;
                };
                if found_here.iter().any(|&(fs, fe)| s < fe && e > fs) {
                    continue;
                }
                more.push(Found {
                    paragraph: i,
                    start: s,
                    end: e,
                    entity: None,
                    weak: false,
                    rule: Some((Label::Person, key.clone())),
                    in_display: true,
                    full_name: Some(name.clone()),
                });
            }
        }
        english.extend(more);
    }

    /// Gazetteer matches, then the title rules, on one paragraph's matching
    /// form; returns the spans the gazetteer took.
    fn match_paragraph(
        &self,
        i: usize,
        matching: &str,
        found: &mut Vec<Found>,
    ) -> Vec<(usize, usize)> {
        let before = found.len();
        let mut titles = Vec::new();
        self.gazetteer_matches(i, matching, found, &mut titles);
        let taken: Vec<(usize, usize)> = found[before..].iter().map(|f| (f.start, f.end)).collect();
        if self.rules {
            self.title_rules(i, matching, &mut titles, &taken, found);
        }
        taken
    }

    /// Finds the entities of an article.
    pub fn find(&self, article: &ArticleView<'_>) -> (Vec<Entity>, usize) {
        let paragraphs = article.paragraphs();
        let mut found: Vec<Found> = Vec::with_capacity(paragraphs.len());
        let mut maps = Vec::with_capacity(paragraphs.len());
        let mut english: Vec<Found> = Vec::new();
        let mut english_taken: Vec<EnglishParagraph> = Vec::new();
        for (i, paragraph) in paragraphs.iter().enumerate() {
            // Gazetteer and title rules on the matching form; the map back
            // into the display text comes only with a match.
            let mut taken = Vec::new();
            let map = MatchingMap::scan_paragraph(
                paragraph.text,
                paragraph.matching,
                &mut found,
                |text, found| taken = self.match_paragraph(i, text, found),
            );
            if self.rules && has_ascii_uppercase(paragraph.text) {
                let display_taken: Vec<(usize, usize)> = match &map {
                    Some(map) => taken.iter().map(|&(s, e)| map.source_range(s, e)).collect(),
                    None => Vec::new(),
                };
                let words = english_words(paragraph.text);
                self.english_rules(i, paragraph.text, &words, &display_taken, &mut english);
                english_taken.push(EnglishParagraph {
                    index: i,
                    words,
                    gazetteer: display_taken,
                });
            }
            maps.push(map);
        }
        if !english.is_empty() {
            self.surnames(paragraphs, &english_taken, &mut english);
        }
        let mut strong = vec![false; self.entries.len()];
        for f in found.iter().filter(|f| !f.weak) {
            if let Some(e) = f.entity {
                strong[e] = true;
            }
        }
        let mut entities = Vec::with_capacity(found.len() + english.len());
        let mut rule_count = 0;
        for f in found.iter().chain(english.iter()) {
            let display = paragraphs[f.paragraph].text;
            let (start, end) = if f.in_display {
                (f.start, f.end)
            } else {
                maps[f.paragraph]
                    .as_ref()
                    .expect("a paragraph with a match has its map")
                    .source_range(f.start, f.end)
            };
            if start >= end {
                continue;
            }
            let text = display[start..end].to_owned();
            let entity = match (f.entity, &f.rule) {
                (Some(e), _) => {
                    if f.weak && !strong[e] {
                        continue;
                    }
                    let entry = &self.entries[e];
                    Entity {
                        text,
                        label: entry.label as i32,
                        canonical_id: entry.id.clone(),
                        canonical_name: entry.name.clone(),
                        paragraph: f.paragraph as u32,
                        start: start as u32,
                        end: end as u32,
                        confidence: if f.weak { 0.7 } else { 0.95 },
                    }
                }
                (None, Some((label, key))) => {
                    rule_count += 1;
                    Entity {
                        canonical_name: f.full_name.clone().unwrap_or_else(|| text.clone()),
                        text,
                        label: *label as i32,
                        canonical_id: format!("akhbar:name:{key}"),
                        paragraph: f.paragraph as u32,
                        start: start as u32,
                        end: end as u32,
                        confidence: 0.5,
                    }
                }
                (None, None) => continue,
            };
            entities.push(entity);
        }
        entities.sort_by_key(|e| (e.paragraph, e.start));
        (entities, rule_count)
    }
}

impl Enricher for Entities {
    fn enrich(&self, article: &Article) -> Result<Enrichment, PluginError> {
        self.enrich_view(&ArticleView::of(article))
    }

    fn enrich_view(&self, article: &ArticleView<'_>) -> Result<Enrichment, PluginError> {
        let (entities, from_rules) = self.find(article);
        let distinct: HashSet<&str> = entities.iter().map(|e| e.canonical_id.as_str()).collect();
        let provenance = vec![Self::provenance(
            "enricher",
            format!(
                "found {} mentions of {} entities ({} from title and \"said\" rules)",
                entities.len(),
                distinct.len(),
                from_rules
            ),
        )];
        Ok(Enrichment {
            entities,
            provenance,
            ..Default::default()
        })
    }
}

#[cfg(not(feature = "static"))]
akhbar_plugin_sdk::export_plugin!(enricher: Entities);

#[cfg(test)]
mod tests;
