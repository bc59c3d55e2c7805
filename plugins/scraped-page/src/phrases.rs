//! Curated, generic "page chrome" phrase lists (navigation, share prompts,
//! related-article teasers, settings panels, legal notices, ...) in English,
//! Arabic, French, Spanish and German.
//!
//! Phrases are stored in a readable form and folded with [`fold`] when the
//! tables are built, so matching is insensitive to case, punctuation, Arabic
//! diacritics/tatweel and alef/yeh/teh-marbuta variants. Only *short* lines are
//! ever matched (see the callers in `extract.rs`): a long prose paragraph that
//! happens to say "subscribe" is never treated as chrome.

pub use crate::fold::{fold, fold_into};
use foldhash::{HashMap, HashMapExt, HashSet};
use std::sync::LazyLock;

/// What a chrome line is, used to build the human-readable removal reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chrome {
    /// Menu / section / breadcrumb words ("Home", "Explore", "اخبار العالم").
    Navigation,
    /// "Read also", "Related articles", "More from", ... (and what follows).
    Related,
    /// Share / follow / subscribe / newsletter / comment prompts.
    Share,
    /// "Filed under", "Tags:", "Topics" — everything after is tag chrome.
    Tags,
    /// "Back to top", "زر الذهاب إلى الأعلى".
    BackToTop,
    /// Reading-mode / font-size / settings panel text.
    Settings,
    /// Copyright, cookie, privacy and terms notices.
    Legal,
    /// "Advertisement", "Sponsored", ...
    Advert,
    /// Trailing "Source:" / "المصدر" lines.
    Source,
    /// Bylines, "Updated"/"Published" timestamps, reading time.
    Byline,
    /// Photo / image credit lines.
    Caption,
}

impl Chrome {
    /// Short human sentence used as a removal reason.
    pub fn reason(self) -> &'static str {
        match self {
            Chrome::Navigation => "dropped navigation line",
            Chrome::Related => "dropped related-articles prompt",
            Chrome::Share => "dropped share/subscribe prompt",
            Chrome::Tags => "dropped tag/filed-under line",
            Chrome::BackToTop => "dropped back-to-top link",
            Chrome::Settings => "dropped reader settings panel line",
            Chrome::Legal => "dropped copyright/cookie notice",
            Chrome::Advert => "dropped advertisement label",
            Chrome::Source => "dropped trailing source line",
            Chrome::Byline => "dropped byline/timestamp line",
            Chrome::Caption => "dropped photo credit line",
        }
    }

    /// Chrome after which, at the end of an article, nothing is article text
    /// any more (tags, related links, share bars).
    pub fn ends_article(self) -> bool {
        matches!(
            self,
            Chrome::Related | Chrome::Tags | Chrome::Share | Chrome::BackToTop
        )
    }
}

/// Lines that are chrome when they consist of exactly the phrase.
const EXACT: &[(Chrome, &[&str])] = &[
    (
        Chrome::Navigation,
        &[
            // en
            "home",
            "homepage",
            "menu",
            "main menu",
            "explore",
            "search",
            "search for",
            "close",
            "open",
            "skip to content",
            "skip to main content",
            "skip navigation",
            "toggle navigation",
            "navigation",
            "sections",
            "all sections",
            "more",
            "show more",
            "see more",
            "load more",
            "view all",
            "see all",
            "next",
            "previous",
            "prev",
            "next article",
            "previous article",
            "next post",
            "previous post",
            "older posts",
            "newer posts",
            "back",
            "go back",
            "login",
            "log in",
            "sign in",
            "sign out",
            "log out",
            "register",
            "my account",
            "account",
            "profile",
            "sign in register",
            "news",
            "latest",
            "latest news",
            "top stories",
            "trending",
            "trending now",
            "popular",
            "most popular",
            "most read",
            "most viewed",
            "editor s picks",
            "world",
            "world news",
            "politics",
            "business",
            "tech",
            "technology",
            "science",
            "health",
            "sports",
            "sport",
            "entertainment",
            "lifestyle",
            "culture",
            "opinion",
            "opinions",
            "video",
            "videos",
            "photos",
            "gallery",
            "podcasts",
            "podcast",
            "weather",
            "travel",
            "food",
            "style",
            "markets",
            "economy",
            "local",
            "national",
            "international",
            "contact",
            "contact us",
            "about",
            "about us",
            "advertise",
            "advertise with us",
            "careers",
            "jobs",
            "help",
            "faq",
            "sitemap",
            "site map",
            "rss",
            "newsletters",
            "archive",
            "archives",
            "categories",
            "category",
            "menu close",
            "home page",
            "breaking news",
            "live",
            "watch live",
            "listen",
            "watch",
            "settings",
            "language",
            "english",
            "edition",
            "select edition",
            "subscriptions",
            "print edition",
            "today s paper",
            "e paper",
            "epaper",
            "quick links",
            "useful links",
            "links",
            "x",
            "×",
            "≡",
            "☰",
            "…",
            "...",
            "|",
            "•",
            "·",
            "—",
            "-",
            ">",
            "»",
            "«",
            // ar
            "الرئيسية",
            "الصفحة الرئيسية",
            "القائمة",
            "القائمة الرئيسية",
            "بحث",
            "ابحث",
            "اغلاق",
            "المزيد",
            "عرض المزيد",
            "شاهد المزيد",
            "اخبار",
            "الاخبار",
            "اخر الاخبار",
            "اخبار العالم",
            "اخبار عاجلة",
            "عاجل",
            "اقتصاد",
            "رياضة",
            "سياسة",
            "ثقافة",
            "فن",
            "منوعات",
            "تكنولوجيا",
            "صحة",
            "مقالات",
            "مقالات الراي",
            "راي",
            "فيديو",
            "صور",
            "الاكثر قراءة",
            "الاكثر مشاهدة",
            "الاكثر تداولا",
            "اتصل بنا",
            "من نحن",
            "سياسة الخصوصية",
            "اعلن معنا",
            "تسجيل الدخول",
            "تسجيل الخروج",
            "حسابي",
            "التالي",
            "السابق",
            "المقال التالي",
            "المقال السابق",
            "العالم",
            "محليات",
            "دوليات",
            "عربي ودولي",
            "اخبار عربية",
            "اخبار دولية",
            "الاعدادات",
            "استكشف",
            "اقسام",
            "الاقسام",
            "بث مباشر",
            "مباشر",
            // fr
            "accueil",
            "rechercher",
            "recherche",
            "fermer",
            "plus",
            "voir plus",
            "voir tout",
            "suivant",
            "precedent",
            "précédent",
            "connexion",
            "se connecter",
            "s inscrire",
            "mon compte",
            "actualites",
            "actualités",
            "a la une",
            "à la une",
            "monde",
            "politique",
            "economie",
            "économie",
            "culture",
            "sport",
            "sports",
            "les plus lus",
            "nous contacter",
            "contactez nous",
            "qui sommes nous",
            "mentions legales",
            "mentions légales",
            // es
            "inicio",
            "portada",
            "buscar",
            "cerrar",
            "mas",
            "más",
            "ver mas",
            "ver más",
            "ver todo",
            "siguiente",
            "anterior",
            "iniciar sesion",
            "iniciar sesión",
            "registrarse",
            "mi cuenta",
            "noticias",
            "ultimas noticias",
            "últimas noticias",
            "lo mas leido",
            "lo más leído",
            "contacto",
            "contactenos",
            "contáctenos",
            "quienes somos",
            "quiénes somos",
            "aviso legal",
            "deportes",
            "economía",
            "politica",
            "política",
            // de
            "startseite",
            "suche",
            "suchen",
            "schliessen",
            "schließen",
            "mehr",
            "mehr anzeigen",
            "alle anzeigen",
            "weiter",
            "zuruck",
            "zurück",
            "anmelden",
            "abmelden",
            "registrieren",
            "mein konto",
            "nachrichten",
            "aktuell",
            "meistgelesen",
            "meistgelesen",
            "kontakt",
            "impressum",
            "datenschutz",
            "uber uns",
            "über uns",
            "wirtschaft",
            "politik",
            "kultur",
        ],
    ),
    (
        Chrome::Related,
        &[
            "related",
            "related articles",
            "related stories",
            "related posts",
            "related news",
            "related content",
            "related topics",
            "related coverage",
            "related links",
            "read more",
            "read also",
            "also read",
            "see also",
            "more from",
            "more stories",
            "more on this story",
            "more news",
            "you may also like",
            "you might also like",
            "recommended",
            "recommended for you",
            "recommended stories",
            "don t miss",
            "dont miss",
            "up next",
            "what to read next",
            "read next",
            "more to explore",
            "top picks",
            "around the web",
            "from the web",
            "sponsored stories",
            "promoted stories",
            "اقرا ايضا",
            "اقرا ايضاً",
            "اقرا كذلك",
            "اقرا المزيد",
            "مقالات ذات صلة",
            "اخبار ذات صلة",
            "مواضيع ذات صلة",
            "ذات صلة",
            "مواضيع مقترحة",
            "قد يهمك ايضا",
            "قد يهمك",
            "شاهد ايضا",
            "اقرا ايضا في",
            "المزيد من الاخبار",
            "اخبار متعلقة",
            "مقالات مشابهة",
            "لمزيد من الاخبار",
            "a lire aussi",
            "à lire aussi",
            "lire aussi",
            "voir aussi",
            "sur le meme sujet",
            "sur le même sujet",
            "articles similaires",
            "lire la suite",
            "a voir aussi",
            "lee tambien",
            "lee también",
            "te puede interesar",
            "noticias relacionadas",
            "articulos relacionados",
            "artículos relacionados",
            "tambien te puede interesar",
            "también te puede interesar",
            "mas noticias",
            "más noticias",
            "leer mas",
            "leer más",
            "lesen sie auch",
            "auch interessant",
            "mehr zum thema",
            "weitere artikel",
            "das konnte sie auch interessieren",
            "das könnte sie auch interessieren",
            "weiterlesen",
        ],
    ),
    (
        Chrome::Share,
        &[
            "share",
            "share this",
            "share this article",
            "share this story",
            "share this post",
            "share on facebook",
            "share on twitter",
            "share via email",
            "share article",
            "gift this article",
            "gift article",
            "save article",
            "save",
            "tweet",
            "email",
            "e mail",
            "mail",
            "print",
            "copy link",
            "copy url",
            "link copied",
            "facebook",
            "twitter",
            "instagram",
            "youtube",
            "linkedin",
            "pinterest",
            "reddit",
            "whatsapp",
            "telegram",
            "tiktok",
            "snapchat",
            "flipboard",
            "messenger",
            "pocket",
            "comments",
            "comment",
            "leave a comment",
            "leave a reply",
            "post a comment",
            "add a comment",
            "view comments",
            "show comments",
            "no comments",
            "0 comments",
            "subscribe",
            "subscribe now",
            "sign up",
            "sign up now",
            "follow us",
            "follow",
            "newsletter",
            "join",
            "join now",
            "get the app",
            "download the app",
            "mail logo",
            "email logo",
            "facebook logo",
            "twitter logo",
            "whatsapp logo",
            "like",
            "likes",
            "شارك",
            "مشاركة",
            "شارك الخبر",
            "شارك المقال",
            "شارك عبر",
            "تويتر",
            "فيسبوك",
            "واتساب",
            "تيليجرام",
            "انستغرام",
            "يوتيوب",
            "اشترك",
            "اشترك الان",
            "تابعنا",
            "تابعونا",
            "طباعة",
            "البريد الالكتروني",
            "نسخ الرابط",
            "تعليقات",
            "التعليقات",
            "اضف تعليق",
            "اترك تعليقا",
            "النشرة البريدية",
            "partager",
            "partagez",
            "imprimer",
            "commentaires",
            "s abonner",
            "abonnez vous",
            "suivez nous",
            "compartir",
            "comparte",
            "imprimir",
            "comentarios",
            "suscribete",
            "suscríbete",
            "siguenos",
            "síguenos",
            "teilen",
            "drucken",
            "kommentare",
            "abonnieren",
            "folgen sie uns",
        ],
    ),
    (
        Chrome::Tags,
        &[
            "filed under",
            "tags",
            "tag",
            "topics",
            "topic",
            "keywords",
            "categories",
            "posted in",
            "more about",
            "الوسوم",
            "وسوم",
            "الكلمات المفتاحية",
            "كلمات مفتاحية",
            "مواضيع",
            "تصنيفات",
            "mots cles",
            "mots clés",
            "etiquettes",
            "étiquettes",
            "etiquetas",
            "temas",
            "schlagworte",
            "schlagwörter",
            "themen",
        ],
    ),
    (
        Chrome::BackToTop,
        &[
            "back to top",
            "to top",
            "top",
            "scroll to top",
            "go to top",
            "return to top",
            "زر الذهاب الى الاعلى",
            "العودة الى الاعلى",
            "الى الاعلى",
            "للاعلى",
            "retour en haut",
            "haut de page",
            "volver arriba",
            "ir arriba",
            "nach oben",
            "zurück nach oben",
            "zuruck nach oben",
        ],
    ),
    (
        Chrome::Settings,
        &[
            "reading mode",
            "font size",
            "text size",
            "dark mode",
            "light mode",
            "night mode",
            "increase font size",
            "decrease font size",
            "a a",
            "a+ a-",
            "listen to this article",
            "وضع القراءة",
            "حجم الخط",
            "تكبير الخط",
            "تصغير الخط",
            "الوضع الليلي",
            "استمع للمقال",
            "mode lecture",
            "taille du texte",
            "taille de police",
            "modo lectura",
            "tamaño de letra",
            "tamano de letra",
            "schriftgröße",
            "schriftgrosse",
            "lesemodus",
        ],
    ),
    (
        Chrome::Advert,
        &[
            "advertisement",
            "advertising",
            "ad",
            "ads",
            "sponsored",
            "sponsored content",
            "paid content",
            "promoted",
            "scroll to continue with content",
            "scroll to continue",
            "story continues below advertisement",
            "article continues below advertisement",
            "continue reading below",
            "content continues below",
            "skip advert",
            "اعلان",
            "اعلانات",
            "محتوى مدفوع",
            "publicite",
            "publicité",
            "publicidad",
            "anuncio",
            "werbung",
            "anzeige",
        ],
    ),
    (
        Chrome::Source,
        &[
            "source",
            "sources",
            "المصدر",
            "مصدر",
            "المصادر",
            "source s",
            "fuente",
            "quelle",
        ],
    ),
];

/// Lines that are chrome when they *start* with the phrase and are short.
const PREFIX: &[(Chrome, &[&str])] = &[
    (
        Chrome::Related,
        &[
            "read also",
            "read more",
            "also read",
            "see also",
            "related",
            "more from",
            "recommended",
            "you may also like",
            "you might also like",
            "click here",
            "اقرا ايضا",
            "اقرا كذلك",
            "اقرا المزيد",
            "شاهد ايضا",
            "طالع ايضا",
            "a lire aussi",
            "à lire aussi",
            "lire aussi",
            "voir aussi",
            "lee tambien",
            "lee también",
            "te puede interesar",
            "lesen sie auch",
            "mehr zum thema",
        ],
    ),
    (
        Chrome::Share,
        &[
            "share this",
            "share on",
            "share via",
            "subscribe to",
            "subscribe for",
            "sign up for",
            "sign up to",
            "sign up and",
            "get our newsletter",
            "join our newsletter",
            "follow us on",
            "follow us",
            "like us on",
            "download our app",
            "get the latest",
            "get breaking news",
            "click to share",
            "click to email",
            "click to print",
            "leave a comment",
            "comments are closed",
            "you must be logged in",
            "اشترك",
            "تابعونا على",
            "تابعنا على",
            "شارك على",
            "انضم الى",
            "حمل تطبيق",
            "partager sur",
            "abonnez vous",
            "inscrivez vous",
            "suivez nous sur",
            "compartir en",
            "suscribete",
            "suscríbete",
            "siguenos en",
            "síguenos en",
            "teilen sie",
            "abonnieren sie",
            "folgen sie uns",
        ],
    ),
    (
        Chrome::Tags,
        &[
            "filed under",
            "tags",
            "tag",
            "tagged",
            "topics",
            "keywords",
            "posted in",
            "categories",
            "الوسوم",
            "وسوم",
            "الكلمات المفتاحية",
            "mots cles",
            "mots clés",
            "etiquetas",
            "schlagworte",
            "themen",
        ],
    ),
    (
        Chrome::Settings,
        &[
            "adjust the reading mode",
            "fix the font size",
            "adjust the font size",
            "change the font size",
            "change text size",
            "reading mode",
            "font size",
            "اضبط وضع القراءة",
            "تغيير حجم الخط",
            "حجم الخط",
        ],
    ),
    (
        Chrome::Legal,
        &[
            "copyright",
            "all rights reserved",
            "we use cookies",
            "this site uses cookies",
            "this website uses cookies",
            "by using this site",
            "by continuing to use",
            "privacy policy",
            "terms of use",
            "terms of service",
            "terms and conditions",
            "جميع الحقوق محفوظة",
            "حقوق النشر",
            "كل الحقوق محفوظة",
            "tous droits reserves",
            "tous droits réservés",
            "nous utilisons des cookies",
            "todos los derechos reservados",
            "utilizamos cookies",
            "alle rechte vorbehalten",
            "wir verwenden cookies",
        ],
    ),
    (
        Chrome::Source,
        &["source", "sources", "المصدر", "مصدر", "fuente", "quelle"],
    ),
    (
        Chrome::Byline,
        &[
            "by",
            "posted by",
            "written by",
            "published",
            "updated",
            "last updated",
            "posted on",
            "published on",
            "min read",
            "minute read",
            "reading time",
            "بقلم",
            "كتب",
            "نشر في",
            "تاريخ النشر",
            "اخر تحديث",
            "تم التحديث",
            "publié le",
            "publie le",
            "mis a jour",
            "mis à jour",
            "publicado",
            "actualizado",
            "veröffentlicht",
            "veroffentlicht",
            "aktualisiert",
        ],
    ),
    (
        Chrome::Caption,
        &[
            "photo",
            "photo by",
            "photograph",
            "file photo",
            "ap photo",
            "afp photo",
            "epa photo",
            "reuters photo",
            "image",
            "image by",
            "image credit",
            "photo credit",
            "credit",
            "picture",
            "getty images",
            "صورة",
            "الصورة",
            "صورة ارشيفية",
            "crédit photo",
            "credit photo",
            "foto",
            "bild",
        ],
    ),
];

/// Phrases that mark a short line as chrome wherever they occur in it.
const CONTAINS: &[(Chrome, &[&str])] = &[
    (
        Chrome::Legal,
        &[
            "all rights reserved",
            "copyright",
            "cookie policy",
            "use of cookies",
            "privacy policy",
            "جميع الحقوق محفوظة",
            "tous droits réservés",
            "todos los derechos reservados",
            "alle rechte vorbehalten",
        ],
    ),
    (
        Chrome::Share,
        &[
            "sign up for our newsletter",
            "subscribe to our newsletter",
            "newsletter",
            "in your inbox",
            "to your inbox",
            "في بريدك الالكتروني",
            "النشرة البريدية",
        ],
    ),
    (
        Chrome::Byline,
        &[
            "min read",
            "minute read",
            "minutes read",
            "دقائق للقراءة",
            "دقيقة للقراءة",
        ],
    ),
    (
        Chrome::Settings,
        &[
            "reading preferences",
            "reading needs",
            "font size",
            "حجم الخط",
            "وضع القراءة",
        ],
    ),
];

struct Tables {
    exact: HashMap<String, Chrome>,
    /// Byte length of the longest exact phrase: longer lines are not looked up.
    max_exact_len: usize,
    prefix: HashMap<String, Chrome>,
    /// The first words of the prefix phrases: a line starting otherwise
    /// matches none, and costs one lookup instead of one per word count.
    prefix_first_words: HashSet<String>,
    max_prefix_words: usize,
    /// Contains-phrases in list order (earlier ones win).
    contains: Vec<(String, Chrome)>,
    /// Per byte, bit `k` for each contains-phrase `k` starting with it: a
    /// word of a line is compared only with the phrases its first byte
    /// allows (cheaper, on lines this short, than an automaton's scan).
    contains_by_first_byte: [u64; 256],
    /// Per byte length of a word (the last entry for all longer ones), bit
    /// `k` for each contains-phrase `k` whose first word is that long: a
    /// phrase can only start at a word of its first word's length.
    contains_by_first_word_len: [u64; FIRST_WORD_LENS],
}

/// Entries of [`Tables::contains_by_first_word_len`].
const FIRST_WORD_LENS: usize = 32;

/// Most prefix phrase words (see [`Tables::max_prefix_words`]) the lookup
/// has room for.
const MAX_PREFIX_WORDS: usize = 8;

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut exact = HashMap::new();
    for (cat, list) in EXACT {
        for p in *list {
            let f = fold(p);
            if !f.is_empty() {
                exact.entry(f).or_insert(*cat);
            }
        }
    }
    let max_exact_len = exact.keys().map(String::len).max().unwrap_or(0);
    let mut prefix = HashMap::new();
    let mut prefix_first_words = HashSet::default();
    let mut max_prefix_words = 0;
    for (cat, list) in PREFIX {
        for p in *list {
            let f = fold(p);
            if !f.is_empty() {
                max_prefix_words = max_prefix_words.max(f.split(' ').count());
                prefix_first_words.insert(f.split(' ').next().unwrap_or_default().to_owned());
                prefix.entry(f).or_insert(*cat);
            }
        }
    }
    assert!(
        max_prefix_words <= MAX_PREFIX_WORDS,
        "a longer prefix phrase"
    );
    let mut contains = Vec::new();
    for (cat, list) in CONTAINS {
        for p in *list {
            let f = fold(p);
            if !f.is_empty() {
                contains.push((f, *cat));
            }
        }
    }
    assert!(contains.len() <= 64, "more contains-phrases than bits");
    let mut contains_by_first_byte = [0u64; 256];
    let mut contains_by_first_word_len = [0u64; FIRST_WORD_LENS];
    for (k, (p, _)) in contains.iter().enumerate() {
        contains_by_first_byte[usize::from(p.as_bytes()[0])] |= 1 << k;
        let first_word = p.split(' ').next().unwrap_or_default().len();
        contains_by_first_word_len[first_word.min(FIRST_WORD_LENS - 1)] |= 1 << k;
    }
    Tables {
        exact,
        max_exact_len,
        prefix,
        prefix_first_words,
        max_prefix_words,
        contains,
        contains_by_first_byte,
        contains_by_first_word_len,
    }
});

/// Classify a folded line (see [`fold`]) of `words` words as chrome, if it is.
/// Exact phrases match any line; prefix and contains phrases only lines of at
/// most `max_words` words.
pub fn classify(folded: &str, words: usize, max_words: usize) -> Option<Chrome> {
    let t = &*TABLES;
    if folded.is_empty() {
        return None;
    }
    debug_assert!(
        !folded.starts_with(' ') && !folded.ends_with(' ') && !folded.contains("  "),
        "not a folded line: {folded:?}"
    );
    if folded.len() <= t.max_exact_len
        && let Some(c) = t.exact.get(folded)
    {
        return Some(*c);
    }
    if is_cookie_notice(folded) {
        return Some(Chrome::Legal);
    }
    if words > max_words {
        return None;
    }
    if words <= 4 && is_comment_counter(folded) {
        return Some(Chrome::Share);
    }
    // Both need a word of digits; a folded line has no empty word, so
    // such a word has a digit byte (ASCII, or the last byte of an
    // Arabic-Indic digit, D9 A0..A9). Most lines have none.
    if count_bytes(folded.as_bytes(), |b| {
        b.is_ascii_digit() || (0xA0..=0xA9).contains(&b)
    }) > 0
        && (is_date_line(folded) || is_reading_time(folded))
    {
        return Some(Chrome::Byline);
    }
    // Prefixes: test the first 1..=max_prefix_words words, longest first,
    // once the first word starts some prefix phrase (most do not).
    let bytes = folded.as_bytes();
    let first_end = bytes.iter().position(|&b| b == b' ').unwrap_or(bytes.len());
    if t.prefix_first_words.contains(&folded[..first_end]) {
        let mut ends = [0; MAX_PREFIX_WORDS];
        let mut count = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b' ' {
                ends[count] = i;
                count += 1;
                if count >= t.max_prefix_words {
                    break;
                }
            }
        }
        if count < t.max_prefix_words {
            ends[count] = folded.len();
            count += 1;
        }
        for &e in ends[..count].iter().rev() {
            if let Some(c) = t.prefix.get(&folded[..e]) {
                // A single-word prefix such as "by" or "source" must be followed by
                // little: "By Jane Doe", "Source: Reuters", not a sentence.
                let rest_words = self::words(&folded[e..]).count();
                let single = !folded[..e].contains(' ');
                if single && rest_words > 6 {
                    continue;
                }
                return Some(*c);
            }
        }
    }
    contained_phrase(folded)
}

/// The chrome of the first contains-phrase in list order found in `folded`
/// on word boundaries (starting at its start or after a space, ending at
/// its end or before a space).
fn contained_phrase(folded: &str) -> Option<Chrome> {
    let t = &*TABLES;
    let bytes = folded.as_bytes();
    // Bit `k`: phrase `k` found.
    let mut found = 0u64;
    let mut start = 0;
    while start < bytes.len() {
        let rest = &bytes[start..];
        let space = rest.iter().position(|&b| b == b' ');
        let word_len = space.unwrap_or(rest.len()).min(FIRST_WORD_LENS - 1);
        let mut candidates =
            t.contains_by_first_byte[usize::from(rest[0])] & t.contains_by_first_word_len[word_len];
        while candidates != 0 {
            let k = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            let phrase = t.contains[k].0.as_bytes();
            if rest.starts_with(phrase) && rest.get(phrase.len()).is_none_or(|&b| b == b' ') {
                found |= 1 << k;
            }
        }
        match space {
            Some(space) => start += space + 1,
            None => break,
        }
    }
    (found != 0).then(|| t.contains[found.trailing_zeros() as usize].1)
}

/// The bytes of `bytes` equal to `needle`, counted 255 at a time in a
/// byte-sized counter: a loop the compiler vectorizes (a search stopping
/// at the first, or the `n`th, takes a byte at a time).
pub(crate) fn count_byte(bytes: &[u8], needle: u8) -> usize {
    count_bytes(bytes, |b| b == needle)
}

/// The bytes of `bytes` for which `test` holds, counted as [`count_byte`].
#[inline]
pub(crate) fn count_bytes(bytes: &[u8], test: impl Fn(u8) -> bool) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            let mut n = 0u8;
            for &b in chunk {
                n += u8::from(test(b));
            }
            usize::from(n)
        })
        .sum()
}

/// `s.split(' ')`, without its per-call cost (lines have short words).
pub(crate) fn split_spaces(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == b' ') {
            Some(p) => {
                rest = Some(&r[p + 1..]);
                Some(&r[..p])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The words of a folded line: `folded.split(' ')` without empty ones.
pub(crate) fn words(folded: &str) -> impl Iterator<Item = &str> {
    split_spaces(folded).filter(|w| !w.is_empty())
}

/// "167 comments", "Top rated comments", "التعليقات (3)": comment widgets.
fn is_comment_counter(folded: &str) -> bool {
    split_spaces(folded).any(|w| {
        matches!(
            w,
            "comments"
                | "comment"
                | "replies"
                | "reply"
                | "votes"
                | "تعليقات"
                | "تعليق"
                | "commentaires"
                | "commentaire"
                | "comentarios"
                | "comentario"
                | "kommentare"
                | "kommentar"
        )
    })
}

const DATE_WORDS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "am",
    "pm",
    "ago",
    "minute",
    "minutes",
    "min",
    "mins",
    "hour",
    "hours",
    "hr",
    "hrs",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "yesterday",
    "today",
    "at",
    "on",
    "updated",
    "published",
    "posted",
    "last",
    "et",
    "est",
    "edt",
    "pst",
    "pdt",
    "cst",
    "cdt",
    "gmt",
    "utc",
    "bst",
    "cet",
    "ist",
    "read",
    "time",
    "by",
    "and",
    "|",
    "janvier",
    "fevrier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
    "décembre",
    "il",
    "y",
    "a",
    "le",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "hace",
    "de",
    "del",
    "januar",
    "februar",
    "märz",
    "maerz",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "vor",
    "am",
    "um",
    "uhr",
    "يناير",
    "فبراير",
    "مارس",
    "ابريل",
    "مايو",
    "يونيو",
    "يوليو",
    "اغسطس",
    "سبتمبر",
    "اكتوبر",
    "نوفمبر",
    "ديسمبر",
    "كانون",
    "شباط",
    "اذار",
    "نيسان",
    "ايار",
    "حزيران",
    "تموز",
    "اب",
    "ايلول",
    "تشرين",
    "الثاني",
    "الاول",
    "منذ",
    "ساعة",
    "ساعات",
    "دقيقة",
    "دقائق",
    "يوم",
    "ايام",
    "الاحد",
    "الاثنين",
    "الثلاثاء",
    "الاربعاء",
    "الخميس",
    "الجمعة",
    "السبت",
    "في",
    "ص",
    "م",
    "pm",
    "rating",
];

static DATE_SET: LazyLock<HashSet<String>> =
    LazyLock::new(|| DATE_WORDS.iter().map(|w| fold(w)).collect());

/// A timestamp/dateline-only line: "Nov. 19, 2019 8:03 am ET",
/// "2 days ago at 07:47 am", "Monday November 18, 2019 7:45 am PST by Jane
/// Doe". At least two date/time tokens (one a number), little else.
fn is_date_line(folded: &str) -> bool {
    let is_number = |w: &str| {
        w.chars()
            .all(|c| c.is_ascii_digit() || ('٠'..='٩').contains(&c))
    };
    // Numbers first: most lines have none, and need no word looked up.
    let mut n = 0;
    let mut nums = 0;
    for w in split_spaces(folded) {
        n += 1;
        if is_number(w) {
            nums += 1;
        }
    }
    if n > 16 || nums == 0 {
        return false;
    }
    let date = split_spaces(folded)
        .filter(|w| !is_number(w) && DATE_SET.contains(*w))
        .count();
    let other = n - nums - date;
    nums + date >= 3 && date >= 1 && other <= 4 && other * 2 < n
}

/// A reading-time note in either word order: "5 min read", "Reading time:
/// 4 minutes", "قراءة 5 دقائق", "3 دقائق للقراءة". A number, a word for
/// minutes, one for reading, and at most one word more ("time"), not a
/// sentence ("He read for 5 minutes").
fn is_reading_time(folded: &str) -> bool {
    let (mut number, mut minutes, mut read, mut other) = (false, false, false, 0);
    for w in split_spaces(folded) {
        match w {
            // Folded: دقائق is دقايق.
            "min" | "mins" | "minute" | "minutes" | "دقيقه" | "دقايق" | "دقيقتان" | "دقيقتين" =>
            {
                minutes = true;
            }
            "read" | "reading" | "قراءه" | "للقراءه" => read = true,
            _ if w
                .chars()
                .all(|c| c.is_ascii_digit() || ('٠'..='٩').contains(&c)) =>
            {
                number = true;
            }
            _ => {
                other += 1;
                if other > 1 {
                    return false;
                }
            }
        }
    }
    number && minutes && read
}

/// Cookie banners and consent panels are long, so they are recognised at any
/// length: the word "cookies" together with website/browser vocabulary.
fn is_cookie_notice(folded: &str) -> bool {
    // Without the letters "cookie" no word is "cookie" or "cookies".
    if !folded.contains("cookie") {
        return false;
    }
    let mut cookie = false;
    let mut site = false;
    let mut n = 0;
    for w in split_spaces(folded) {
        n += 1;
        match w {
            "cookies" | "cookie" => cookie = true,
            "website" | "site" | "browser" | "navegador" | "navigateur" | "webseite" | "sitio"
            | "consent" | "opt" | "الموقع" | "المتصفح" => site = true,
            _ => {}
        }
    }
    cookie && site && n <= 120
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fold as first written, character by character through the
    /// Unicode tables: the reference the fast paths must agree with.
    fn fold_reference(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut space = false;
        let push = |out: &mut String, c: char, space: &mut bool| {
            if *space && !out.is_empty() {
                out.push(' ');
            }
            *space = false;
            out.push(c);
        };
        for c in s.chars() {
            if c.is_ascii() {
                if c.is_ascii_alphanumeric() {
                    push(&mut out, c.to_ascii_lowercase(), &mut space);
                } else {
                    space = true;
                }
                continue;
            }
            let c = match c {
                '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | '\u{06D6}'..='\u{06ED}' => {
                    continue;
                }
                'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
                'ى' => 'ي',
                'ة' => 'ه',
                'ؤ' => 'و',
                'ئ' => 'ي',
                _ => c,
            };
            if matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' | '\u{0660}'..='\u{0669}')
            {
                push(&mut out, c, &mut space);
            } else if matches!(
                c,
                '\u{2000}'
                    ..='\u{206F}'
                        | '\u{00A0}'
                        | '\u{00AB}'
                        | '\u{00BB}'
                        | '\u{060C}'
                        | '\u{061B}'
                        | '\u{061F}'
            ) {
                space = true;
            } else if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    push(&mut out, l, &mut space);
                }
            } else {
                space = true;
            }
        }
        if out.is_empty() {
            return s.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        out
    }

    #[test]
    fn fold_agrees_with_the_reference_on_every_character() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            for s in [
                format!("{c}"),
                format!("ab{c}Cd"),
                format!("Ab {c}{c} x"),
                format!("{c}1"),
            ] {
                assert_eq!(fold(&s), fold_reference(&s), "{:?} (U+{:04X})", s, c as u32);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fold_agrees_with_the_reference(s in "\\PC{0,40}", t in "[a-zA-Z0-9 .,'’À-ÿЀ-ӿ؀-ۿ]{0,60}") {
            proptest::prop_assert_eq!(fold(&s), fold_reference(&s));
            proptest::prop_assert_eq!(fold(&t), fold_reference(&t));
        }
    }

    proptest::proptest! {
        /// Folded into one buffer one after another, lines fold as alone.
        #[test]
        fn folding_into_a_buffer_appends_the_fold(lines in proptest::collection::vec("\\PC{0,12}|[×☰| A-Z]{0,6}", 0..6)) {
            let mut buffer = String::from("X");
            let mut want = String::from("X");
            for line in &lines {
                fold_into(&mut buffer, line);
                want.push_str(&fold(line));
            }
            proptest::prop_assert_eq!(buffer, want);
        }

        #[test]
        fn split_spaces_is_split(s in "[ a-c\u{e9}\u{627}]{0,20}") {
            proptest::prop_assert_eq!(split_spaces(&s).collect::<Vec<_>>(), s.split(' ').collect::<Vec<_>>());
        }
    }

    #[test]
    fn folds_arabic_and_case() {
        assert_eq!(fold("اقرأ أيضاً:"), "اقرا ايضا");
        assert_eq!(fold("  Back to Top « "), "back to top");
        assert_eq!(fold("×"), "×");
    }

    /// How a line of a page is classified (at most 12 words for prefix and
    /// contains phrases, the extractor's default).
    fn classified(line: &str) -> Option<Chrome> {
        classify(&fold(line), line.split_whitespace().count(), 12)
    }

    #[test]
    fn classifies_common_chrome() {
        let c = classified;
        assert_eq!(c("Read also:"), Some(Chrome::Related));
        assert_eq!(c("مقالات ذات صلة"), Some(Chrome::Related));
        assert_eq!(c("زر الذهاب إلى الأعلى"), Some(Chrome::BackToTop));
        assert_eq!(c("Filed under"), Some(Chrome::Tags));
        assert_eq!(c("المصدر"), Some(Chrome::Source));
        assert_eq!(c("Sign up for our newsletter"), Some(Chrome::Share));
        assert_eq!(
            c("© 2024 Example Media. All rights reserved."),
            Some(Chrome::Legal)
        );
        assert_eq!(c("By Jane Doe"), Some(Chrome::Byline));
        assert_eq!(
            c("By the time the rescue teams arrived the village had been cut off for days"),
            None
        );
        assert_eq!(c("The minister said the talks would resume."), None);
    }

    #[test]
    fn photo_credits_and_gift_prompts_are_chrome() {
        let c = classified;
        for credit in [
            "(AP Photo/John Smith)",
            "AFP Photo",
            "Photograph: AFP",
            "File photo",
            "Photo: Reuters",
        ] {
            assert_eq!(c(credit), Some(Chrome::Caption), "{credit}");
        }
        for prompt in ["Gift this article", "Save", "Save article"] {
            assert_eq!(c(prompt), Some(Chrome::Share), "{prompt}");
        }
        // A sentence that only starts like a credit is text.
        assert_eq!(
            c("Photographs of the flooded valley spread online within hours of the storm"),
            None
        );
        assert_eq!(c("Save the Children said aid was blocked."), None);
        assert_eq!(c("Scroll to continue with content"), Some(Chrome::Advert));
    }

    #[test]
    fn reading_time_notes_are_byline_chrome_in_either_order() {
        let c = classified;
        for note in [
            "5 min read",
            "Reading time: 4 minutes",
            "قراءة 5 دقائق",
            "٣ دقائق للقراءة",
        ] {
            assert_eq!(c(note), Some(Chrome::Byline), "{note}");
        }
        assert!(!is_reading_time(&fold("He read for 5 minutes")));
        assert_eq!(c("قراءة في المشهد"), None);
    }

    /// [`contained_phrase`] by its definition: the first phrase in list
    /// order occurring anywhere on word boundaries.
    fn contained_reference(folded: &str) -> Option<Chrome> {
        let b = folded.as_bytes();
        TABLES
            .contains
            .iter()
            .find(|(p, _)| {
                (0..b.len()).any(|s| {
                    (s == 0 || b[s - 1] == b' ')
                        && b[s..].starts_with(p.as_bytes())
                        && b.get(s + p.len()).is_none_or(|&x| x == b' ')
                })
            })
            .map(|(_, c)| *c)
    }

    proptest::proptest! {
        #[test]
        fn contained_phrases_are_found_word_by_word(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "all", "rights", "reserved", "copyright", "cookie", "cookies", "policy", "use",
                "of", "privacy", "sign", "up", "for", "our", "newsletter", "newsletters",
                "subscribe", "to", "in", "your", "inbox", "min", "minute", "minutes", "read",
                "reading", "needs", "preferences", "font", "size", "fontsize", "x", "",
                "جميع", "الحقوق", "محفوظه", "في", "بريدك", "الالكتروني", "النشره", "البريديه",
                "دقايق", "للقراءه", "حجم", "الخط", "وضع", "القراءه",
            ]), 0..12),
        ) {
            let line = words.join(" ");
            proptest::prop_assert_eq!(contained_phrase(&line), contained_reference(&line), "{:?}", line);
        }
    }

    proptest::proptest! {
        /// A date line or reading-time note has a digit byte, which is all
        /// `classify` looks for before trying them.
        #[test]
        fn byline_notes_have_a_digit_byte(
            line in "\\PC{0,30}|((5|١٢|٣|min|read|am|nov|2024|x|قراءة|دقائق) ){1,8}"
        ) {
            let f = fold(&line);
            if is_date_line(&f) || is_reading_time(&f) {
                proptest::prop_assert!(
                    count_bytes(f.as_bytes(), |b| b.is_ascii_digit() || (0xA0..=0xA9).contains(&b)) > 0,
                    "{:?}", f
                );
            }
        }
    }

    #[test]
    fn contained_phrases_in_list_order() {
        for line in [
            "font size",
            "x font size",
            "fontsize",
            "font sizes",
            "all rights reserved copyright",
            "get it in your inbox now",
            "newsletter",
            "5 minutes read",
            "",
        ] {
            assert_eq!(
                contained_phrase(line),
                contained_reference(line),
                "{line:?}"
            );
        }
        assert_eq!(
            contained_phrase("privacy policy and all rights reserved"),
            Some(Chrome::Legal)
        );
        assert_eq!(contained_phrase("in your inbox"), Some(Chrome::Share));
        assert_eq!(contained_phrase("fontsize"), None);
    }
}
