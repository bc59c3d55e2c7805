//! End to end through `akhbar run` with the default pipeline: an entity
//! named only in site chrome (a menu and a "read also" line) that the
//! normalizers remove must not be reported; the same name in the article's
//! prose must be.
//!
//! Needs the binary and plugin libraries: `cargo build --workspace` first.

use std::path::PathBuf;
use std::process::Command;

fn akhbar() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let bin = dir.join(format!("akhbar{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace` before the tests",
        bin.display()
    );
    bin
}

const PROSE: [&str; 4] = [
    "أجرى وزير الخارجية الروسي سيرغي لافروف محادثات مطولة في موسكو مع نظيره الكوري الشمالي حول التعاون الاقتصادي والعسكري بين البلدين، وفقا لوكالات الأنباء الرسمية التي نقلت تفاصيل اللقاء.",
    "وقال لافروف في مؤتمر صحفي عقب الاجتماع إن العلاقات بين موسكو وبيونغ يانغ تشهد تطورا غير مسبوق، وإن البلدين سيواصلان التنسيق في المحافل الدولية لمواجهة العقوبات الغربية المفروضة عليهما.",
    "وأضاف أن الجانبين بحثا أيضا مشاريع مشتركة في مجالات الطاقة والنقل والزراعة، مشيرا إلى أن فرق العمل الفنية ستجتمع خلال الأسابيع المقبلة لوضع جدول زمني واضح لتنفيذ هذه المشاريع.",
    "ويرى محللون أن هذه المحادثات تعكس رغبة موسكو في تعزيز حضورها في شرق آسيا، في وقت تتزايد فيه الضغوط الغربية عليها بسبب الحرب المستمرة في أوكرانيا منذ أكثر من عامين.",
];

fn run(dump: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.txt");
    std::fs::write(&path, dump).unwrap();
    let output = Command::new(akhbar())
        .arg("run")
        .arg(&path)
        .env_remove("AKHBAR_PLUGIN_DIR")
        .env_remove("AKHBAR_CONFIG")
        .env("RUST_LOG", "error")
        .output()
        .expect("akhbar runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn entity_ids(article: &serde_json::Value) -> Vec<String> {
    article["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["canonicalId"].as_str().unwrap_or_default().to_owned())
        .collect()
}

const XI: &str = "wikidata:Q15031";

#[test]
fn a_name_only_in_removed_chrome_is_not_an_entity() {
    let dump = format!(
        "الرئيسية\nأخبار\nشي جين بينغ\nرياضة\n\nلافروف يبحث التعاون مع كوريا الشمالية في موسكو\n\n{}\n\nاقرأ أيضا: شي جين بينغ يستقبل بوتين في بكين\n\nجميع الحقوق محفوظة © 2024\n",
        PROSE.join("\n\n")
    );
    let articles = run(&dump);
    assert_eq!(articles.len(), 1);
    let article = &articles[0];
    let body = article["body"].as_str().unwrap();
    assert!(
        !body.contains("شي جين بينغ"),
        "the chrome lines were kept: {body}"
    );
    let ids = entity_ids(article);
    assert!(ids.iter().any(|id| id == "akhbar:sergei-lavrov"), "{ids:?}");
    assert!(
        !ids.iter().any(|id| id == XI),
        "entity from removed chrome: {ids:?}"
    );
}

#[test]
fn the_same_name_in_the_prose_is_an_entity() {
    let mut prose = PROSE.map(str::to_owned);
    prose[2] = prose[2].replace(
        "وأضاف أن الجانبين",
        "وأضاف أن الرئيس الصيني شي جين بينغ والجانبين",
    );
    let dump = format!("الرئيسية\nأخبار\n\n{}\n", prose.join("\n\n"));
    let articles = run(&dump);
    assert!(entity_ids(&articles[0]).iter().any(|id| id == XI));
}
