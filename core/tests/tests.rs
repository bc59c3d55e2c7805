//! Plugin host tests: real plugins, a C plugin, and fixture libraries that
//! misbehave in every way the host must survive.
//!
//! The libraries are the workspace's cdylibs, built next to this test binary
//! by `cargo test --workspace` (or `cargo build --workspace`).

use std::path::{Path, PathBuf};
use std::process::Command;

use akhbar_core::host::AvailablePlugin;
use akhbar_core::proto::{Article, Paragraph, RawDocument};
use akhbar_core::{Pipeline, PipelineConfig, PluginCatalog, PluginError, StageConfig};

/// `target/<profile>`, where cargo puts the workspace's cdylibs.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .to_owned()
}

fn library(crate_name: &str) -> PathBuf {
    let file = format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        crate_name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    );
    let path = target_dir().join(file);
    assert!(
        path.exists(),
        "{} is missing: build the plugin libraries first (`cargo build --workspace && cargo test --workspace`)",
        path.display()
    );
    path
}

/// Compiles C sources into a shared library in `dir` with the system `cc`.
fn compile_c(dir: &Path, sources: &[PathBuf], name: &str) -> PathBuf {
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/include");
    let out = dir.join(format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-Wall", "-Werror", "-I"])
        .arg(include)
        .args(sources)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("a C compiler (`cc`) is needed for the C plugin tests");
    assert!(status.success(), "cc failed for {name}");
    out
}

/// Compiles the C fixture `file` (in `tests/fixtures`) into the library
/// `name` in `dir`.
fn compile_fixture(dir: &Path, file: &str, name: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    compile_c(dir, &[source], name)
}

fn raw(uri: &str, text: &str) -> RawDocument {
    RawDocument {
        source_uri: uri.into(),
        content: text.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn stage(plugin: &str, path: Option<PathBuf>) -> StageConfig {
    StageConfig {
        plugin: plugin.into(),
        path,
        ..Default::default()
    }
}

/// text-dump → (the given normalizers), plugins loaded from the libraries.
fn pipeline_with(normalizers: Vec<StageConfig>) -> Pipeline {
    let config = PipelineConfig {
        plugin_dirs: vec![],
        source: stage("text-dump", Some(library("akhbar_plugin_text_dump"))),
        normalizers,
        enrichers: vec![],
    };
    Pipeline::build(&config, &mut PluginCatalog::new()).expect("pipeline builds")
}

#[test]
fn the_real_plugins_load_from_the_plugin_folder_and_run_the_seeds() {
    let mut catalog = PluginCatalog::new();
    catalog.load_dir(&target_dir());
    let names: Vec<_> = catalog
        .plugins()
        .iter()
        .map(|p| p.info.name.as_str())
        .collect();
    assert!(
        names.contains(&"text-dump") && names.contains(&"scraped-page"),
        "{names:?}"
    );
    assert!(catalog.refused().is_empty(), "{:?}", catalog.refused());
    // Fixtures are not named akhbar_plugin_*, so a folder scan leaves them alone.
    assert!(!names.contains(&"panicky"));

    let pipeline = Pipeline::build(&PipelineConfig::embedded_default(), &mut catalog).unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds/001_67609f2c1547a75f.txt");
    let outcome = pipeline.process(RawDocument {
        source_uri: seed.display().to_string(),
        content: std::fs::read(&seed).unwrap(),
        ..Default::default()
    });
    assert!(
        outcome.dead_letters.is_empty(),
        "{:?}",
        outcome.dead_letters
    );
    let article = &outcome.decoded_articles().unwrap()[0];
    assert!(
        !article.body.contains("[ad_1]"),
        "ad marker left in the body"
    );
    assert!(
        article
            .provenance
            .iter()
            .filter(|p| p.plugin == "scraped-page")
            .flat_map(|p| &p.details)
            .any(|d| d.contains("[ad_1]"))
    );
    assert_eq!(article.id.len(), 32);
}

#[test]
fn a_panicking_plugin_fails_one_document_and_the_next_one_goes_through() {
    let pipeline = pipeline_with(vec![stage(
        "panicky",
        Some(library("akhbar_fixture_panicky")),
    )]);
    let bad = pipeline.process(raw("bad.txt", "please PANIC now"));
    assert!(bad.articles.is_empty());
    let letter = &bad.dead_letters[0];
    assert_eq!(
        (
            letter.source_uri.as_str(),
            letter.stage.as_str(),
            letter.plugin.as_str()
        ),
        ("bad.txt", "normalizer", "panicky")
    );
    assert!(
        letter.reason.contains("panicked") && letter.reason.contains("fixture asked to panic"),
        "{}",
        letter.reason
    );
    assert!(
        letter.document.is_some(),
        "the dead letter keeps the document for a re-drive"
    );

    let good = pipeline.process(raw("good.txt", "a calm document"));
    assert_eq!(good.articles.len(), 1, "{:?}", good.dead_letters);
    let stats: Vec<_> = pipeline
        .stages()
        .map(|s| s.stats.errors.load(std::sync::atomic::Ordering::Relaxed))
        .collect();
    assert_eq!(stats, [0, 1], "one error counted against the panicky stage");
}

#[test]
fn a_batch_gives_each_input_the_outcome_it_gets_alone() {
    // Stage by stage over a batch: a document that fails in the middle
    // (the panicky normalizer, before the real ones) or at the source (not
    // UTF-8) gets its dead letter, the others their articles, each input
    // in its place, exactly as when they run one at a time.
    let stages = || {
        vec![
            stage("panicky", Some(library("akhbar_fixture_panicky"))),
            stage("arabic", Some(library("akhbar_plugin_arabic"))),
            stage("scraped-page", Some(library("akhbar_plugin_scraped_page"))),
        ]
    };
    let enrichers = ["language", "entities", "dates", "keywords", "stories"];
    let build = || {
        let config = PipelineConfig {
            plugin_dirs: vec![],
            source: stage("text-dump", Some(library("akhbar_plugin_text_dump"))),
            normalizers: stages(),
            enrichers: enrichers
                .iter()
                .map(|name| stage(name, Some(library(&format!("akhbar_plugin_{name}")))))
                .collect(),
        };
        Pipeline::build(&config, &mut PluginCatalog::new()).expect("pipeline builds")
    };
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds");
    let seed = |name: &str| std::fs::read_to_string(seeds.join(name)).unwrap();
    let mut inputs = vec![
        raw("a.txt", &seed("000_95c725b6b12b9bbb.txt")),
        raw("panic.txt", "please PANIC now"),
        raw("b.txt", &seed("001_67609f2c1547a75f.txt")),
        RawDocument {
            source_uri: "latin1.txt".into(),
            content: vec![b'c', 0xe9, b'\n'],
            ..Default::default()
        },
        raw("empty.txt", "   "),
        raw("c.txt", &seed("002_f8682f4e741b8caa.txt")),
    ];
    inputs.push(RawDocument {
        source_uri: "a-again.txt".into(),
        ..inputs[0].clone()
    });

    let (alone, batched) = (build(), build());
    let one_by_one: Vec<_> = inputs
        .iter()
        .map(|raw| alone.process(raw.clone()))
        .collect();
    let in_a_batch = batched.process_batch(&inputs);
    assert_eq!(in_a_batch.len(), inputs.len());
    // Per input: its articles (time received aside) and its dead letters'
    // plugin and reason.
    type Summary = Vec<(Vec<Article>, Vec<(String, String)>)>;
    let summary = |outcomes: &[akhbar_core::Outcome]| -> Summary {
        outcomes
            .iter()
            .map(|o| {
                let mut articles = o.decoded_articles().unwrap();
                for a in &mut articles {
                    a.received_at = None;
                }
                let letters = o
                    .dead_letters
                    .iter()
                    .map(|d| (d.plugin.clone(), d.reason.clone()))
                    .collect();
                (articles, letters)
            })
            .collect()
    };
    assert_eq!(summary(&in_a_batch), summary(&one_by_one));
    let kinds: Vec<(usize, usize)> = in_a_batch
        .iter()
        .map(|o| (o.articles.len(), o.dead_letters.len()))
        .collect();
    assert_eq!(
        kinds,
        [(1, 0), (0, 1), (1, 0), (0, 1), (0, 1), (1, 0), (1, 0)]
    );
    // The document again under another name is a near-duplicate of the
    // first, found across the batch.
    assert_eq!(
        in_a_batch[6].decoded_articles().unwrap()[0].near_duplicate_of,
        in_a_batch[0].articles[0].id()
    );
}

#[test]
fn a_plugin_returning_undecodable_bytes_fails_one_document() {
    let pipeline = pipeline_with(vec![stage(
        "garbage",
        Some(library("akhbar_fixture_garbage")),
    )]);
    let outcome = pipeline.process(raw("doc.txt", "some text"));
    let letter = &outcome.dead_letters[0];
    assert_eq!(letter.plugin, "garbage");
    assert!(
        letter.reason.contains("not an akhbar.v1.Article"),
        "{}",
        letter.reason
    );
}

#[test]
fn a_library_built_for_another_abi_is_refused_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let lib = compile_fixture(dir.path(), "wrong_abi.c", "akhbar_plugin_future");
    let err = AvailablePlugin::load_library(&lib).unwrap_err().to_string();
    assert!(
        err.contains("libakhbar_plugin_future"),
        "names the file: {err}"
    );
    assert!(
        err.contains("ABI version 99")
            && err.contains(&format!(
                "ABI version {}",
                akhbar_plugin_sdk::ffi::ABI_VERSION
            )),
        "{err}"
    );
    assert!(err.contains("rebuild the plugin"), "says what to do: {err}");

    // In a folder scan the refusal is recorded and the process goes on.
    let mut catalog = PluginCatalog::new();
    catalog.load_dir(dir.path());
    assert_eq!(catalog.refused().len(), 1);
}

#[test]
fn a_library_without_the_entry_symbol_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lib = compile_fixture(dir.path(), "no_entry.c", "akhbar_plugin_not_really");
    let err = AvailablePlugin::load_library(&lib).unwrap_err().to_string();
    assert!(err.contains("libakhbar_plugin_not_really"), "{err}");
    assert!(err.contains("exports no `akhbar_plugin_entry`"), "{err}");
}

#[test]
fn a_file_that_is_not_a_library_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libakhbar_plugin_text.so");
    std::fs::write(&path, "just some text\n").unwrap();
    let err = AvailablePlugin::load_library(&path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a loadable shared library"), "{err}");
}

#[test]
fn a_library_the_system_cannot_load_is_refused_with_the_systems_reason() {
    let dir = tempfile::tempdir().unwrap();
    let lib = compile_fixture(dir.path(), "missing_symbol.c", "akhbar_plugin_unlinked");
    let err = AvailablePlugin::load_library(&lib).unwrap_err().to_string();
    assert!(err.contains("libakhbar_plugin_unlinked"), "{err}");
    assert!(err.contains("not a loadable shared library"), "{err}");
    // The dynamic linker's own words name what is missing.
    assert!(
        err.contains("akhbar_fixture_missing_variable"),
        "says which symbol: {err}"
    );
}

#[test]
fn the_same_library_loaded_twice_works_twice() {
    // Libraries are never unloaded; loading again must not disturb the first.
    let first = AvailablePlugin::load_library(&library("akhbar_plugin_text_dump")).unwrap();
    let second = AvailablePlugin::load_library(&library("akhbar_plugin_text_dump")).unwrap();
    assert_eq!(first.info.name, second.info.name);
    drop(first);
    assert!(second.instantiate(b"").is_ok());
}

#[test]
fn a_plugin_that_refuses_its_config_says_why() {
    let plugin = AvailablePlugin::load_library(&library("akhbar_plugin_text_dump")).unwrap();
    let err = plugin.instantiate(br#"{"lossy": "yes"}"#).unwrap_err();
    assert!(err.message().contains("invalid plugin config"), "{err}");
}

fn article(text: &str) -> Article {
    Article {
        source_uri: "c.txt".into(),
        paragraphs: vec![Paragraph {
            text: text.into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn c_plugin_is_loaded_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/c-plugin/c_filter.c");
    let lib = compile_c(dir.path(), &[source], "akhbar_plugin_c_filter");
    let mut catalog = PluginCatalog::new();
    catalog.load_dir(dir.path());
    let plugin = catalog
        .find("c-filter", akhbar_core::PluginKind::Normalizer)
        .unwrap();
    assert_eq!(plugin.info.origin, akhbar_core::PluginOrigin::Library(lib));
    let filter = plugin
        .instantiate(br#"{"banned": "act fast"}"#)
        .unwrap()
        .normalizer()
        .expect("c-filter is a normalizer");
    let kept = filter
        .normalize(article("كيم جونغ أون في بيونغ يانغ"))
        .unwrap();
    assert_eq!(kept.paragraphs[0].text, "كيم جونغ أون في بيونغ يانغ");
    let record = kept
        .provenance
        .last()
        .expect("the C plugin appended provenance");
    assert_eq!(
        (record.plugin.as_str(), record.action.as_str()),
        ("c-filter", "no banned phrase")
    );
    let refused = filter.normalize(article("deals! act fast")).unwrap_err();
    assert_eq!(refused, PluginError::rejected("contains a banned phrase"));
}

#[test]
fn a_slow_plugin_runs_out_of_its_time_budget_and_the_pipeline_goes_on() {
    let mut slow = stage("panicky", Some(library("akhbar_fixture_panicky")));
    slow.config = Some(serde_json::json!({ "sleep_ms": 3000 }));
    slow.timeout_ms = Some(100);
    let pipeline = pipeline_with(vec![slow]);
    let started = std::time::Instant::now();
    let outcome = pipeline.process(raw("slow.txt", "this one is SLOW"));
    assert!(
        started.elapsed() < std::time::Duration::from_millis(2500),
        "the pipeline did not wait for the plugin"
    );
    let letter = &outcome.dead_letters[0];
    assert_eq!(
        (letter.source_uri.as_str(), letter.plugin.as_str()),
        ("slow.txt", "panicky")
    );
    assert!(
        letter.reason.contains("timeout") && letter.reason.contains("100 ms"),
        "{}",
        letter.reason
    );
    assert_eq!(pipeline.process(raw("fast.txt", "quick")).articles.len(), 1);
    let normalizer = pipeline.stages().nth(1).unwrap();
    assert_eq!(
        normalizer
            .stats
            .timeouts
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[test]
fn a_pinned_plugin_with_another_hash_is_refused_before_loading() {
    let text_dump = library("akhbar_plugin_text_dump");
    let mut source = stage("text-dump", Some(text_dump.clone()));
    source.sha256 = Some("00".repeat(32));
    let config = PipelineConfig {
        plugin_dirs: vec![],
        source,
        normalizers: vec![],
        enrichers: vec![],
    };
    let err = Pipeline::build(&config, &mut PluginCatalog::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("but the config pins 0000"), "{err}");

    use sha2::Digest as _;
    let actual = hex::encode(sha2::Sha256::digest(std::fs::read(&text_dump).unwrap()));
    let mut source = stage("text-dump", Some(text_dump));
    source.sha256 = Some(actual.to_uppercase());
    let config = PipelineConfig {
        plugin_dirs: vec![],
        source,
        normalizers: vec![],
        enrichers: vec![],
    };
    assert!(Pipeline::build(&config, &mut PluginCatalog::new()).is_ok());
}

#[cfg(unix)]
#[test]
fn a_plugin_folder_writable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        library("akhbar_plugin_text_dump"),
        dir.path().join("libakhbar_plugin_text_dump.so"),
    )
    .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut catalog = PluginCatalog::new();
    catalog.load_dir(dir.path());
    assert!(catalog.plugins().is_empty());
    assert!(
        catalog.refused()[0].1.contains("writable by other users"),
        "{:?}",
        catalog.refused()
    );
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut catalog = PluginCatalog::new();
    catalog.load_dir(dir.path());
    assert_eq!(catalog.plugins().len(), 1);
}

#[test]
fn an_enricher_that_tries_to_rewrite_the_text_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lib = compile_fixture(dir.path(), "forger.c", "akhbar_plugin_forger");
    let config = PipelineConfig {
        plugin_dirs: vec![],
        source: stage("text-dump", Some(library("akhbar_plugin_text_dump"))),
        normalizers: vec![],
        enrichers: vec![stage("forger", Some(lib))],
    };
    let pipeline = Pipeline::build(&config, &mut PluginCatalog::new()).expect("pipeline builds");
    for name in ["a.txt", "b.txt"] {
        let outcome = pipeline.process(raw(name, "The council met on Tuesday."));
        assert!(outcome.articles.is_empty(), "{:?}", outcome.articles);
        let letter = &outcome.dead_letters[0];
        assert_eq!(letter.plugin, "forger");
        assert_eq!(letter.stage, "enricher");
        assert!(
            letter.reason.contains("not an akhbar.v1.Enrichment")
                && letter.reason.contains("field 6"),
            "{}",
            letter.reason
        );
    }
}

#[test]
fn an_enrichment_that_is_not_utf8_is_blamed_on_its_enricher_wherever_it_stands() {
    let dir = tempfile::tempdir().unwrap();
    let lib = compile_fixture(dir.path(), "bad_text.c", "akhbar_plugin_bad_text");
    let language = || stage("language", Some(library("akhbar_plugin_language")));
    let bad = || stage("bad-text", Some(lib.clone()));
    for enrichers in [vec![language(), bad()], vec![bad(), language()]] {
        let config = PipelineConfig {
            plugin_dirs: vec![],
            source: stage("text-dump", Some(library("akhbar_plugin_text_dump"))),
            normalizers: vec![],
            enrichers,
        };
        let pipeline =
            Pipeline::build(&config, &mut PluginCatalog::new()).expect("pipeline builds");
        let outcome = pipeline.process(raw("a.txt", "The council met on Tuesday."));
        assert!(outcome.articles.is_empty(), "{:?}", outcome.articles);
        let letter = &outcome.dead_letters[0];
        assert_eq!(
            (letter.plugin.as_str(), letter.stage.as_str()),
            ("bad-text", "enricher")
        );
        assert!(
            letter.reason.contains("not an akhbar.v1.Enrichment")
                && letter.reason.contains("UTF-8"),
            "{}",
            letter.reason
        );
        let stats = pipeline
            .stages()
            .find(|s| s.info.name == "bad-text")
            .unwrap();
        assert_eq!(
            stats
                .stats
                .errors
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
    }
}
