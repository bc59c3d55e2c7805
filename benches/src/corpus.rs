//! A deterministic corpus of realistic page dumps.
//!
//! Real article bodies — the five Arabic `seeds/` (their prose lines) and the
//! 88 English labelled bodies of `../shared/eval/aeb-dev/ground-truth.json` —
//! wrapped in varied site chrome: menus, cookie and settings panels, bylines,
//! photo credits, share and subscribe prompts, `[ad_N]` markers, inline and
//! trailing "read also" blocks, repeated titles, tags, comments and footers,
//! with blank-line or single-newline paragraphs, some CRLF, some BOMs.
//!
//! Document `i` of seed `s` depends only on `(s, i)`, so a corpus of N is the
//! prefix of a corpus of M > N, and output is byte-identical for a seed.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Generator version: bump when the output for a seed changes.
pub const GENERATOR_VERSION: u32 = 1;

/// Files per sub-folder of a written corpus.
pub const PER_FOLDER: usize = 1000;

/// A real article body.
#[derive(Debug, Clone)]
pub struct Body {
    /// Its headline (from the seed page, or the URL slug for aeb-dev).
    pub title: String,
    /// Its paragraphs, in order.
    pub paragraphs: Vec<String>,
}

/// Language of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Arabic (bodies from `seeds/`).
    Arabic,
    /// English (bodies from aeb-dev).
    English,
}

impl Lang {
    /// Short code used in file names.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Arabic => "ar",
            Lang::English => "en",
        }
    }
}

/// The article bodies the generator draws from.
#[derive(Debug, Clone)]
pub struct Bodies {
    /// Arabic bodies.
    pub arabic: Vec<Body>,
    /// English bodies.
    pub english: Vec<Body>,
}

impl Bodies {
    /// Loads `seeds/*.txt` and `../shared/eval/aeb-dev/ground-truth.json`.
    pub fn load(repo: &Path) -> anyhow::Result<Self> {
        let mut seed_files: Vec<PathBuf> = std::fs::read_dir(repo.join("seeds"))
            .with_context(|| format!("cannot read {}/seeds", repo.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        seed_files.sort();
        let mut arabic = Vec::new();
        for path in seed_files {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if let Some(body) = body_of_seed(&text) {
                arabic.push(body);
            }
        }
        let aeb = crate::aeb_dev(repo)?;
        let truth: BTreeMap<String, serde_json::Value> = serde_json::from_slice(
            &std::fs::read(aeb.join("ground-truth.json"))
                .context("cannot read ground-truth.json")?,
        )
        .context("ground-truth.json is not a JSON object")?;
        let mut english = Vec::new();
        for value in truth.values() {
            let body = value["articleBody"].as_str().unwrap_or_default();
            let url = value["url"].as_str().unwrap_or_default();
            let paragraphs: Vec<String> = body
                .lines()
                .map(str::trim)
                .filter(|l| l.split_whitespace().count() >= 3)
                .map(str::to_owned)
                .collect();
            if paragraphs.is_empty() {
                continue;
            }
            let title = title_of_url(url).unwrap_or_else(|| first_words(&paragraphs[0], 10));
            english.push(Body { title, paragraphs });
        }
        if arabic.is_empty() || english.is_empty() {
            anyhow::bail!(
                "no article bodies found ({} Arabic from seeds/, {} English from aeb-dev)",
                arabic.len(),
                english.len()
            );
        }
        Ok(Bodies { arabic, english })
    }

    fn of(&self, lang: Lang) -> &[Body] {
        match lang {
            Lang::Arabic => &self.arabic,
            Lang::English => &self.english,
        }
    }
}

/// The prose lines of a seed page dump (its chrome is left out), and its
/// headline: the first line of 5–25 words that does not end a sentence.
fn body_of_seed(text: &str) -> Option<Body> {
    let mut seen = HashSet::new();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let paragraphs: Vec<String> = lines
        .iter()
        .filter(|l| l.split_whitespace().count() >= 14 && !l.starts_with('['))
        .filter(|l| seen.insert(**l))
        .map(|l| (*l).to_owned())
        .collect();
    if paragraphs.is_empty() {
        return None;
    }
    let title = lines
        .iter()
        .find(|l| {
            let words = l.split_whitespace().count();
            (5..=25).contains(&words) && !l.ends_with(['.', ':', '،'])
        })
        .map(|l| (*l).to_owned())
        .unwrap_or_else(|| first_words(&paragraphs[0], 10));
    Some(Body { title, paragraphs })
}

fn first_words(text: &str, n: usize) -> String {
    text.split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `https://site/…/google-stadia-so-many-ways-11574168580` → "Google stadia so many ways".
fn title_of_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let slug = path
        .trim_end_matches('/')
        .rsplit('/')
        .find(|s| s.contains('-'))?;
    let slug = slug.split('.').next()?;
    let words: Vec<&str> = slug
        .split(['-', '_'])
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()) && w.len() < 20)
        .collect();
    if words.len() < 3 {
        return None;
    }
    let mut title = words.join(" ");
    if let Some(first) = title.get(..1) {
        title = first.to_ascii_uppercase() + &title[1..];
    }
    Some(title)
}

/// How document sizes are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeProfile {
    /// Log-uniform between 1 KB and 200 KB.
    Mixed,
    /// Like the seeds: 4–11 KB.
    Seed,
    /// Every document about this many bytes (1 KB … 10 MB and more).
    Fixed(usize),
}

impl std::str::FromStr for SizeProfile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mixed" => Ok(SizeProfile::Mixed),
            "seed" => Ok(SizeProfile::Seed),
            other => parse_size(other)
                .map(SizeProfile::Fixed)
                .ok_or_else(|| format!("`{other}`: expected mixed, seed or a size like 10K, 10M")),
        }
    }
}

/// `1500`, `10K`, `10KB`, `2M`, `10MB` (powers of 1000).
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_uppercase();
    let s = s.strip_suffix('B').unwrap_or(&s);
    let (digits, factor) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 1_000),
        'M' => (&s[..s.len() - 1], 1_000_000),
        'G' => (&s[..s.len() - 1], 1_000_000_000),
        _ => (s, 1),
    };
    let value: f64 = digits.parse().ok()?;
    (value > 0.0).then_some((value * factor as f64) as usize)
}

/// Human form of a byte count (`10 KB`, `1 MB`).
pub fn human_size(bytes: usize) -> String {
    if bytes >= 1_000_000 {
        format!("{} MB", trim_float(bytes as f64 / 1e6))
    } else if bytes >= 1_000 {
        format!("{} KB", trim_float(bytes as f64 / 1e3))
    } else {
        format!("{bytes} B")
    }
}

fn trim_float(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// One generated document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Language of its article.
    pub lang: Lang,
    /// The page dump's bytes.
    pub bytes: Vec<u8>,
}

/// The generator.
#[derive(Debug, Clone)]
pub struct Generator {
    bodies: Bodies,
    seed: u64,
    profile: SizeProfile,
}

/// splitmix64: mixes (seed, index) into a per-document seed.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Generator {
    /// A generator over `bodies`.
    pub fn new(bodies: Bodies, seed: u64, profile: SizeProfile) -> Self {
        Generator {
            bodies,
            seed,
            profile,
        }
    }

    /// Document `index` (depends only on the seed, the profile and `index`).
    pub fn document(&self, index: u64) -> Document {
        let mut rng = fastrand::Rng::with_seed(mix(self.seed ^ mix(index)));
        let lang = if rng.bool() {
            Lang::Arabic
        } else {
            Lang::English
        };
        let target = match self.profile {
            SizeProfile::Mixed => (1_000.0 * 200f64.powf(rng.f64())) as usize,
            SizeProfile::Seed => rng.usize(4_000..=11_000),
            SizeProfile::Fixed(n) => n,
        };
        let bytes = Page::new(&mut rng, &self.bodies, lang).render(target);
        Document { lang, bytes }
    }

    /// Writes documents `0..count` under `dir` (`dir/0000/0000000-ar.txt`, a
    /// thousand to a folder) and returns their total size in bytes.
    pub fn write(&self, dir: &Path, count: u64) -> anyhow::Result<u64> {
        let mut total = 0u64;
        for index in 0..count {
            let doc = self.document(index);
            let path = document_path(dir, index, doc.lang);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, &doc.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            total += doc.bytes.len() as u64;
        }
        Ok(total)
    }
}

/// Where document `index` goes in a corpus folder.
pub fn document_path(dir: &Path, index: u64, lang: Lang) -> PathBuf {
    dir.join(format!("{:04}", index / PER_FOLDER as u64))
        .join(format!("{index:07}-{}.txt", lang.code()))
}

/// The sub-folders holding the first `count` documents of a corpus (a
/// multiple of [`PER_FOLDER`], or everything when smaller).
pub fn folders_for(dir: &Path, count: u64) -> Vec<PathBuf> {
    let folders = count.div_ceil(PER_FOLDER as u64).max(1);
    (0..folders).map(|f| dir.join(format!("{f:04}"))).collect()
}

struct Chrome {
    menu: &'static [&'static str],
    site_sections: &'static [&'static str],
    share: &'static [&'static str],
    subscribe: &'static [&'static str],
    ads: &'static [&'static str],
    read_also: &'static [&'static str],
    more: &'static [&'static str],
    cookie: &'static [&'static str],
    settings: &'static [&'static str],
    bylines: &'static [&'static str],
    dates: &'static [&'static str],
    captions: &'static [&'static str],
    tags_header: &'static [&'static str],
    tags: &'static [&'static str],
    comments: &'static [&'static str],
    comment_lines: &'static [&'static str],
    footer: &'static [&'static str],
    source: &'static [&'static str],
    sites: &'static [&'static str],
}

const ENGLISH: Chrome = Chrome {
    menu: &[
        "Home",
        "World",
        "Politics",
        "Business",
        "Tech",
        "Science",
        "Health",
        "Sports",
        "Entertainment",
        "Opinion",
        "Video",
        "Podcasts",
        "Travel",
        "Style",
        "Markets",
        "Climate",
        "Newsletters",
        "Sign in",
        "Subscribe",
        "Search",
        "Menu",
        "Live TV",
        "Weather",
        "Lifestyle",
        "Education",
        "Africa",
        "Asia",
        "Europe",
        "Middle East",
        "US & Canada",
        "Latin America",
    ],
    site_sections: &[
        "The Morning Briefing",
        "Big Reads",
        "Fact Check",
        "In Pictures",
        "Long Reads",
        "The Explainer",
        "Money Talks",
        "Inside Politics",
    ],
    share: &[
        "Share this article",
        "Share on Facebook",
        "Share on Twitter",
        "Share on WhatsApp",
        "Copy link",
        "Email",
        "Print",
        "Save",
        "Share",
        "Tweet",
        "Gift this article",
    ],
    subscribe: &[
        "Sign up for our newsletter",
        "Get the latest headlines delivered to your inbox every morning.",
        "Subscribe now for unlimited access",
        "Already a subscriber? Log in",
        "Enter your email address",
        "Sign up",
        "Support independent journalism. Become a member today.",
        "Follow us on Facebook, Twitter and Instagram",
    ],
    ads: &[
        "Advertisement",
        "ADVERTISEMENT",
        "Scroll to continue with content",
        "Sponsored",
    ],
    read_also: &[
        "Read also:",
        "Read more",
        "Related articles",
        "You may also like",
        "Recommended",
        "Related:",
        "READ MORE:",
    ],
    more: &[
        "More from World",
        "Most read",
        "Top stories",
        "More stories",
        "Trending now",
    ],
    cookie: &[
        "We use cookies to improve your experience on our site. By using this site you agree to our use of cookies.",
        "Accept",
        "Manage preferences",
    ],
    settings: &["Settings", "Reading Mode", "Font Size", "Dark mode", "×"],
    bylines: &[
        "By Sarah Johnson",
        "By Michael Chen and Laura Garcia",
        "By Staff Reporter",
        "By James O'Neill, Reuters",
        "By The Associated Press",
    ],
    dates: &[
        "Published 12 March 2024",
        "Updated 2 hours ago",
        "5 min read",
        "Monday, June 17, 2024 10:35 AM ET",
        "Last updated: 3 days ago",
        "8 min read",
    ],
    captions: &[
        "Photo: Reuters",
        "(AP Photo/John Smith)",
        "Image credit: Getty Images",
        "File photo",
        "Photograph: AFP",
    ],
    tags_header: &["Filed under:", "Tags:", "Topics"],
    tags: &[
        "Russia",
        "North Korea",
        "Diplomacy",
        "Economy",
        "Technology",
        "Elections",
        "Security",
        "Energy",
        "Markets",
        "Gaming",
        "Climate",
        "Health",
    ],
    comments: &[
        "Comments (12)",
        "Leave a comment",
        "Log in to comment",
        "Show comments",
    ],
    comment_lines: &[
        "Great article, thanks for sharing.",
        "This is exactly what I have been saying for years!",
        "Does anyone know where I can read the full report?",
        "Reply",
        "Like",
        "Report",
        "2h ago",
    ],
    footer: &[
        "© 2024 Example Media Group. All rights reserved.",
        "Terms of Use",
        "Privacy Policy",
        "Contact us",
        "About us",
        "Advertise with us",
        "Cookie settings",
        "Back to top",
    ],
    source: &["Source: Reuters", "Source: AP"],
    sites: &[
        "The Daily Ledger",
        "Metro Times",
        "World Report",
        "Newsline",
        "The Observer Post",
    ],
};

const ARABIC: Chrome = Chrome {
    menu: &[
        "الرئيسية",
        "أخبار",
        "سياسة",
        "اقتصاد",
        "رياضة",
        "فن",
        "منوعات",
        "تكنولوجيا",
        "صحة",
        "مقالات",
        "فيديو",
        "عربي ودولي",
        "محافظات",
        "حوادث",
        "بث مباشر",
        "اتصل بنا",
        "من نحن",
        "أخبار العالم",
        "الشرق الأوسط",
    ],
    site_sections: &[
        "ملفات وتقارير",
        "حوارات",
        "رأي",
        "صور",
        "إنفوجراف",
        "كاريكاتير",
    ],
    share: &[
        "شارك",
        "مشاركة",
        "فيسبوك",
        "تويتر",
        "واتساب",
        "تيليجرام",
        "نسخ الرابط",
        "طباعة",
        "شارك الخبر",
    ],
    subscribe: &[
        "اشترك في النشرة البريدية",
        "تابعونا على",
        "اشترك الآن",
        "سجل الدخول",
        "للاشتراك في قناتنا على تيليجرام اضغط هنا",
        "تابعوا آخر الأخبار عبر تطبيقنا",
    ],
    ads: &["إعلان", "مساحة إعلانية", "إعلانات"],
    read_also: &[
        "اقرأ أيضا",
        "اقرأ أيضاً:",
        "مقالات ذات صلة",
        "أخبار متعلقة",
        "شاهد أيضا",
        "اقرأ ايضا:",
    ],
    more: &[
        "الأكثر قراءة",
        "أخبار ذات صلة",
        "المزيد من الأخبار",
        "آخر الأخبار",
    ],
    cookie: &[
        "يستخدم هذا الموقع ملفات تعريف الارتباط لتحسين تجربتك. باستخدامك الموقع فإنك توافق على ذلك.",
        "موافق",
    ],
    settings: &[
        "Explore",
        "Settings",
        "×",
        "Reading Mode",
        "Adjust the reading mode to suit your reading needs.",
        "Font Size",
        "Fix the font size to suit your reading preferences",
    ],
    bylines: &[
        "كتب: أحمد علي",
        "بقلم: سارة محمود",
        "وكالات",
        "القاهرة - محمد حسن",
    ],
    dates: &[
        "نشر في 12 مارس 2024",
        "آخر تحديث: منذ ساعتين",
        "الجمعة 14 يونيو 2024 10:35 ص",
        "قراءة 5 دقائق",
    ],
    captions: &[
        "صورة أرشيفية",
        "(رويترز)",
        "الصورة: وكالة الصحافة الفرنسية",
        "أرشيفية",
    ],
    tags_header: &["الوسوم", "كلمات مفتاحية", "Filed under:"],
    tags: &[
        "روسيا",
        "كوريا الشمالية",
        "بوتين",
        "كيم جونغ أون",
        "أوكرانيا",
        "الولايات المتحدة",
        "موسكو",
        "بيونغ يانغ",
    ],
    comments: &["التعليقات", "أضف تعليقك", "اترك تعليقا"],
    comment_lines: &[
        "رد",
        "إعجاب",
        "منذ ساعة",
        "خبر مهم جدا شكرا لكم",
        "الله يستر",
    ],
    footer: &[
        "جميع الحقوق محفوظة © 2024",
        "سياسة الخصوصية",
        "شروط الاستخدام",
        "زر الذهاب إلى الأعلى",
        "اتصل بنا",
        "أعلن معنا",
    ],
    source: &["المصدر: وكالات", "المصدر"],
    sites: &[
        "الخبر اليوم",
        "بوابة الأخبار",
        "المشهد",
        "الوطن نيوز",
        "صدى البلد",
    ],
};

fn pick<'a>(rng: &mut fastrand::Rng, items: &'a [&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

/// The choices that make one page: its article, its site, its habits.
struct Page<'a> {
    rng: &'a mut fastrand::Rng,
    bodies: &'a [Body],
    main: usize,
    chrome: &'static Chrome,
    site: &'static str,
    blank_lines: bool,
    crlf: bool,
    bom: bool,
    ad_counter: u32,
    wrapper_ads: bool,
}

impl<'a> Page<'a> {
    fn new(rng: &'a mut fastrand::Rng, bodies: &'a Bodies, lang: Lang) -> Self {
        let bodies = bodies.of(lang);
        let chrome = match lang {
            Lang::Arabic => &ARABIC,
            Lang::English => &ENGLISH,
        };
        let main = rng.usize(..bodies.len());
        let site = pick(rng, chrome.sites);
        let blank_lines = rng.f64() < 0.7;
        let crlf = rng.f64() < 0.05;
        let bom = rng.f64() < 0.03;
        let wrapper_ads = rng.f64() < 0.25;
        Page {
            rng,
            bodies,
            main,
            chrome,
            site,
            blank_lines,
            crlf,
            bom,
            ad_counter: 0,
            wrapper_ads,
        }
    }

    fn ad(&mut self) -> String {
        self.ad_counter += 1;
        if self.rng.f64() < 0.6 {
            format!("[ad_{}]", self.ad_counter)
        } else {
            pick(self.rng, self.chrome.ads).to_owned()
        }
    }

    fn teaser(&mut self) -> String {
        let other = self.rng.usize(..self.bodies.len());
        self.bodies[other].title.clone()
    }

    fn some(&mut self, items: &'static [&'static str], lo: usize, hi: usize) -> Vec<String> {
        let n = self.rng.usize(lo..=hi).min(items.len());
        let mut chosen: Vec<usize> = (0..items.len()).collect();
        self.rng.shuffle(&mut chosen);
        chosen.truncate(n);
        chosen.sort_unstable();
        chosen.into_iter().map(|i| items[i].to_owned()).collect()
    }

    fn read_also_block(&mut self, lines: &mut Vec<String>) {
        lines.push(pick(self.rng, self.chrome.read_also).to_owned());
        for _ in 0..self.rng.usize(1..=4) {
            let teaser = self.teaser();
            lines.push(teaser);
        }
    }

    /// Header chrome, title, byline: what comes before the article.
    fn head(&mut self, title: &str, budget: usize) -> Vec<String> {
        let mut lines = Vec::new();
        if self.rng.f64() < 0.6 {
            lines.push(format!("{title} - {}", self.site));
        }
        if budget < 2_500 {
            lines.push(pick(self.rng, self.chrome.menu).to_owned());
            lines.push(title.to_owned());
            return lines;
        }
        if self.rng.f64() < 0.3 {
            lines.extend(self.some(self.chrome.cookie, 1, 3));
        }
        if self.rng.f64() < 0.25 {
            lines.extend(self.chrome.settings.iter().map(|s| (*s).to_owned()));
        }
        let menu = self.some(self.chrome.menu, 5, 14);
        if self.rng.bool() {
            lines.extend(menu);
        } else {
            lines.push(menu.join(" | "));
        }
        if self.rng.f64() < 0.3 {
            lines.push(pick(self.rng, self.chrome.site_sections).to_owned());
        }
        if self.wrapper_ads {
            lines.push(self.ad());
        }
        lines.push(title.to_owned());
        if self.rng.f64() < 0.3 {
            lines.push(title.to_owned());
        }
        if self.rng.f64() < 0.7 {
            lines.push(pick(self.rng, self.chrome.bylines).to_owned());
        }
        if self.rng.f64() < 0.7 {
            lines.push(pick(self.rng, self.chrome.dates).to_owned());
        }
        if self.rng.f64() < 0.4 {
            lines.push(pick(self.rng, self.chrome.captions).to_owned());
        }
        if self.rng.f64() < 0.3 {
            lines.extend(self.some(self.chrome.share, 2, 5));
        }
        lines
    }

    /// Trailing chrome: share bar, tags, related, comments, footer.
    fn tail(&mut self, budget: usize) -> Vec<String> {
        let mut lines = Vec::new();
        if self.wrapper_ads {
            lines.push(self.ad());
        }
        if self.rng.f64() < 0.3 {
            lines.push(pick(self.rng, self.chrome.source).to_owned());
        }
        if budget < 2_500 {
            return lines;
        }
        if self.rng.f64() < 0.6 {
            lines.extend(self.some(self.chrome.share, 2, 6));
        }
        if self.rng.f64() < 0.5 {
            lines.push(pick(self.rng, self.chrome.tags_header).to_owned());
            lines.extend(self.some(self.chrome.tags, 2, 6));
        }
        if self.rng.f64() < 0.6 {
            self.read_also_block(&mut lines);
        }
        if self.rng.f64() < 0.4 {
            lines.extend(self.some(self.chrome.subscribe, 1, 4));
        }
        lines.extend(self.some(self.chrome.footer, 2, 6));
        lines
    }

    /// Fills up to `budget` bytes with page furniture that grows with page
    /// size on real sites: "more stories" lists and comment threads.
    fn filler(&mut self, budget: usize) -> Vec<String> {
        let mut lines = Vec::new();
        let mut size = 0;
        while size < budget {
            let before = lines.len();
            if self.rng.bool() {
                lines.push(pick(self.rng, self.chrome.more).to_owned());
                for _ in 0..self.rng.usize(3..=8) {
                    let teaser = self.teaser();
                    lines.push(teaser);
                }
            } else {
                lines.push(pick(self.rng, self.chrome.comments).to_owned());
                for _ in 0..self.rng.usize(2..=6) {
                    let line = pick(self.rng, self.chrome.comment_lines).to_owned();
                    lines.push(line);
                }
            }
            size += lines[before..].iter().map(|l| l.len() + 2).sum::<usize>();
        }
        lines
    }

    /// The article: the main body, continued (for large targets) with
    /// paragraphs of other bodies of the same language under their titles as
    /// subheadings, as a live blog does; ads and inline "read also" between.
    fn article(&mut self, budget: usize) -> Vec<String> {
        let mut lines = Vec::new();
        let mut size = 0usize;
        let mut body = self.main;
        let mut paragraph = 0usize;
        let ad_every = self.rng.usize(3..=7);
        let mut since_ad = 0;
        loop {
            let text = &self.bodies[body].paragraphs[paragraph];
            if size + text.len() > budget && !lines.is_empty() {
                break;
            }
            size += text.len() + 2;
            lines.push(text.clone());
            since_ad += 1;
            if since_ad >= ad_every && self.rng.f64() < 0.5 {
                since_ad = 0;
                let ad = self.ad();
                lines.push(ad);
            } else if self.rng.f64() < 0.04 {
                // An inline "read also" with one teaser, inside the article.
                lines.push(pick(self.rng, self.chrome.read_also).to_owned());
                let teaser = self.teaser();
                lines.push(teaser);
            }
            paragraph += 1;
            if paragraph == self.bodies[body].paragraphs.len() {
                if size * 10 >= budget * 9 {
                    break;
                }
                // Continue with another story, headed by its title.
                body = self.rng.usize(..self.bodies.len());
                paragraph = 0;
                let title = self.bodies[body].title.clone();
                size += title.len() + 2;
                lines.push(title);
            }
        }
        lines
    }

    fn render(mut self, target: usize) -> Vec<u8> {
        let title = self.bodies[self.main].title.clone();
        // Chrome takes 15–45 % of a page; the article the rest.
        let chrome_share = 0.15 + 0.3 * self.rng.f64();
        let article_budget = ((target as f64) * (1.0 - chrome_share)) as usize;
        let head = self.head(&title, target);
        let article = self.article(article_budget.max(200));
        let tail = self.tail(target);
        let used: usize = head
            .iter()
            .chain(&article)
            .chain(&tail)
            .map(|l| l.len() + 2)
            .sum();
        let trailer = if target > used + 200 {
            self.filler(target - used)
        } else {
            Vec::new()
        };
        let separator = match (self.blank_lines, self.crlf) {
            (true, false) => "\n\n",
            (true, true) => "\r\n\r\n",
            (false, false) => "\n",
            (false, true) => "\r\n",
        };
        let mut out = String::with_capacity(target + 1024);
        if self.bom {
            out.push('\u{feff}');
        }
        for line in head.iter().chain(&article).chain(&trailer).chain(&tail) {
            let _ = write!(out, "{line}{separator}");
        }
        out.into_bytes()
    }
}
