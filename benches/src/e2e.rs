//! The end-to-end harness: `akhbar run` throughput and memory, plugin
//! boundary overhead (static vs dynamic in one run), scaling with document
//! size and corpus size; a table on stdout and BENCHMARKS.md (whose service
//! and trafilatura sections, measured elsewhere, are kept).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use akhbar_bench::corpus::{self, Bodies, Generator, SizeProfile};
use akhbar_bench::measure::{self, ChildRun, Machine};
use akhbar_bench::plugins;
use akhbar_core::{PipelineConfig, RawDocument};
use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::report::{Report, Row};

/// Flags of `akhbar-bench e2e`.
#[derive(Debug, clap::Args)]
pub struct E2eArgs {
    /// A run of a few seconds for CI: small corpora, debug binaries, report
    /// under target/bench-tiny/ (BENCHMARKS.md and benches/scaling.svg are
    /// left alone).
    #[arg(long)]
    tiny: bool,
    /// Folder with the `akhbar` binary and the plugin libraries (default:
    /// target/release, or target/debug with --tiny).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Seed of the generated corpora.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Largest corpus of the corpus-size scaling run (10^3 … this).
    #[arg(long, default_value_t = 100_000)]
    max_corpus: u64,
    /// Largest document of the document-size scaling run.
    #[arg(long, default_value = "10M")]
    max_document: String,
    /// Where to write the report (default: BENCHMARKS.md at the repo root;
    /// target/bench-tiny/BENCHMARKS.md with --tiny).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Sizes of one run.
struct Plan {
    throughput_docs: u64,
    mixed_docs: u64,
    boundary_docs: usize,
    boundary_rounds: usize,
    doc_sizes: Vec<usize>,
    min_cpu_per_size: Duration,
    corpus_sizes: Vec<u64>,
    /// Runs of each throughput measurement (short runs, whose per-CPU
    /// figure moves by ±10 % with the machine's load from one to the next).
    repeats: usize,
    /// Documents of the callgrind count of the boundary (0: not counted).
    instruction_docs: usize,
}

impl Plan {
    fn new(args: &E2eArgs) -> anyhow::Result<Self> {
        let max_doc = corpus::parse_size(&args.max_document)
            .with_context(|| format!("--max-document {}", args.max_document))?;
        Ok(if args.tiny {
            Plan {
                throughput_docs: 20,
                mixed_docs: 5,
                boundary_docs: 5,
                boundary_rounds: 2,
                doc_sizes: vec![1_000, 10_000, 30_000],
                min_cpu_per_size: Duration::from_millis(20),
                corpus_sizes: vec![10, 30],
                repeats: 1,
                instruction_docs: 0,
            }
        } else {
            let mut doc_sizes = vec![1_000, 10_000, 100_000, 1_000_000, 10_000_000];
            doc_sizes.retain(|&s| s <= max_doc);
            let mut corpus_sizes = vec![1_000, 10_000, 100_000, 1_000_000];
            corpus_sizes.retain(|&c| c <= args.max_corpus);
            Plan {
                throughput_docs: 3_000,
                mixed_docs: 300,
                boundary_docs: 200,
                boundary_rounds: 25,
                doc_sizes,
                min_cpu_per_size: Duration::from_millis(1500),
                corpus_sizes,
                repeats: 5,
                instruction_docs: 100,
            }
        })
    }
}

/// A generated corpus on disk, reused when its stamp matches.
pub(crate) fn ensure_corpus(
    work: &Path,
    bodies: &Bodies,
    seed: u64,
    profile: SizeProfile,
    name: &str,
    count: u64,
) -> anyhow::Result<(PathBuf, u64)> {
    let dir = work.join(format!(
        "corpus-{name}-s{seed}-v{}",
        corpus::GENERATOR_VERSION
    ));
    let stamp = dir.join("COMPLETE");
    if let Ok(text) = std::fs::read_to_string(&stamp)
        && let Some((have, bytes)) = text.trim().split_once(' ')
        && let (Ok(have), Ok(bytes)) = (have.parse::<u64>(), bytes.parse::<u64>())
        && have >= count
    {
        return Ok((dir, bytes));
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "akhbar-bench: generating {count} {name} documents in {}",
        dir.display()
    );
    let generator = Generator::new(bodies.clone(), seed, profile);
    let bytes = generator.write(&dir, count)?;
    std::fs::write(&stamp, format!("{count} {bytes}\n"))?;
    Ok((dir, bytes))
}

/// Bytes of the first `count` documents of a corpus folder.
fn corpus_bytes(dir: &Path, count: u64) -> u64 {
    let mut total = 0;
    let mut seen = 0;
    for folder in corpus::folders_for(dir, count) {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for file in files {
            if seen == count {
                return total;
            }
            total += std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            seen += 1;
        }
    }
    total
}

/// `akhbar run -q --jobs J INPUTS… > /dev/null`, `repeats` times: the
/// median wall time, the CPU time of the run with the median CPU time, and
/// the highest peak RSS.
fn akhbar_run(
    akhbar: &Path,
    jobs: usize,
    inputs: &[PathBuf],
    repeats: usize,
) -> anyhow::Result<ChildRun> {
    akhbar_run_with(akhbar, None, jobs, inputs, repeats)
}

fn akhbar_run_with(
    akhbar: &Path,
    config: Option<&Path>,
    jobs: usize,
    inputs: &[PathBuf],
    repeats: usize,
) -> anyhow::Result<ChildRun> {
    let mut runs = Vec::new();
    for _ in 0..repeats.max(1) {
        let mut command = Command::new(akhbar);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        command
            .arg("run")
            .arg("-q")
            .arg("--jobs")
            .arg(jobs.to_string())
            .args(inputs)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let run = measure::run_child(&mut command)?;
        if run.code != 0 {
            anyhow::bail!(
                "{} run exited with {} (inputs {:?}…)",
                akhbar.display(),
                run.code,
                inputs.first()
            );
        }
        runs.push(run);
    }
    Ok(median_run(runs))
}

/// One figure of each kind from repeated runs: median wall time, the user
/// and system time of the run with the median CPU time (each median taken
/// on its own: on a shared machine the slowest wall clock and the most CPU
/// need not be the same run), the highest peak RSS.
fn median_run(mut runs: Vec<ChildRun>) -> ChildRun {
    let middle = (runs.len() - 1) / 2;
    let max_rss_kib = runs.iter().map(|r| r.max_rss_kib).max().unwrap_or(0);
    runs.sort_by_key(|r| r.wall);
    let wall = runs[middle].wall;
    runs.sort_by_key(ChildRun::cpu);
    ChildRun {
        wall,
        max_rss_kib,
        ..runs[middle]
    }
}

/// Builds the default pipeline from the libraries (as `akhbar run` does);
/// names refused libraries so a missing entry symbol is easy to diagnose.
fn check_libraries(bin_dir: &Path, report: &mut Report) -> anyhow::Result<()> {
    let catalog = plugins::dynamic_catalog(bin_dir)?;
    let refused: Vec<String> = catalog
        .refused()
        .iter()
        .map(|(path, _)| {
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    if !refused.is_empty() {
        report.note(format!(
            "Plugin libraries refused by the host in `{}` (not used by the measured pipeline): {}.",
            bin_dir.display(),
            refused.join(", ")
        ));
    }
    plugins::build_dynamic(&PipelineConfig::embedded_default(), bin_dir).with_context(|| {
        format!(
            "cannot build the default pipeline from the libraries in {} (refused: {}). A library without \
             akhbar_plugin_entry means akhbar-bench/static was enabled in the workspace's own cargo invocation; \
             rebuild with `cargo build --workspace` (see benches/README.md)",
            bin_dir.display(),
            if refused.is_empty() { "none".to_owned() } else { refused.join(", ") }
        )
    })?;
    Ok(())
}

/// Arguments of `akhbar-bench boundary`.
#[derive(Debug, clap::Args)]
pub struct BoundaryArgs {
    /// Folder with the plugin libraries (default: target/release).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Seed of the generated documents.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Documents per round.
    #[arg(long, default_value_t = 200)]
    docs: usize,
    /// Rounds of each pipeline (alternating).
    #[arg(long, default_value_t = 25)]
    rounds: usize,
    /// Run only one of the two pipelines over the documents, once, and
    /// print nothing: for counting instructions, which are repeatable
    /// under load where CPU time is not, e.g.
    /// `valgrind --tool=callgrind --toggle-collect='akhbar_core::pipeline::Pipeline::process_batch'
    /// akhbar-bench boundary --only dynamic`.
    #[arg(long, value_parser = ["static", "dynamic"])]
    only: Option<String>,
    /// Also count both pipelines' instructions under callgrind (valgrind
    /// must be installed; about 15 s).
    #[arg(long)]
    instructions: bool,
}

/// Only the static-vs-dynamic measurement of the e2e run, printed as the
/// report's section (for working on the boundary without the whole run).
pub fn boundary_only(args: BoundaryArgs) -> anyhow::Result<()> {
    let repo = akhbar_bench::repo_root();
    let bin_dir = args
        .bin_dir
        .unwrap_or_else(|| repo.join("target").join("release"));
    let bin_dir = bin_dir.canonicalize().unwrap_or(bin_dir);
    let plan = Plan {
        throughput_docs: 0,
        mixed_docs: 0,
        boundary_docs: args.docs,
        boundary_rounds: args.rounds,
        doc_sizes: Vec::new(),
        min_cpu_per_size: Duration::ZERO,
        corpus_sizes: Vec::new(),
        repeats: 1,
        instruction_docs: if args.instructions {
            100.min(args.docs)
        } else {
            0
        },
    };
    if let Some(which) = &args.only {
        anyhow::ensure!(
            plugins::HAS_STATIC,
            "this akhbar-bench was built without `--features static`"
        );
        let config = PipelineConfig::embedded_default();
        let built = if which == "static" {
            plugins::build_static(&config, &bin_dir)?
        } else {
            plugins::build_dynamic(&config, &bin_dir)?
        };
        let docs = boundary_documents(Bodies::load(&repo)?, args.seed, args.docs);
        let articles: usize = in_batches(&built.pipeline, &docs)
            .map(|outcome| outcome.articles.len())
            .sum();
        eprintln!(
            "akhbar-bench: {which}: {} documents, {articles} articles",
            args.docs
        );
        return Ok(());
    }
    let measured = boundary(&Bodies::load(&repo)?, args.seed, &bin_dir, &plan)?;
    print!("{}", measured.markdown());
    Ok(())
}

pub fn run(args: E2eArgs) -> anyhow::Result<()> {
    let repo = akhbar_bench::repo_root();
    let plan = Plan::new(&args)?;
    let profile = if args.tiny { "debug" } else { "release" };
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| repo.join("target").join(profile));
    // Absolute: children may run in other folders.
    let bin_dir = bin_dir.canonicalize().unwrap_or(bin_dir);
    let akhbar = bin_dir.join("akhbar");
    if !akhbar.is_file() {
        anyhow::bail!(
            "{} not found: build it first with `cargo build{} --workspace`",
            akhbar.display(),
            if args.tiny { "" } else { " --release" }
        );
    }
    let work = repo
        .join("target")
        .join(if args.tiny { "bench-tiny" } else { "bench" });
    std::fs::create_dir_all(&work)?;
    let machine = Machine::detect(&repo);
    let load_before = measure::load_average();
    let bodies = Bodies::load(&repo)?;
    let mut report = Report::new(machine, load_before, args.tiny, std::env::args().collect());
    check_libraries(&bin_dir, &mut report)?;

    // 1. The generator is deterministic.
    let determinism = {
        let hash = |seed| {
            let generator = Generator::new(bodies.clone(), seed, SizeProfile::Mixed);
            let mut hasher = Sha256::new();
            for i in 0..20 {
                hasher.update(generator.document(i).bytes);
            }
            hex::encode(&hasher.finalize()[..8])
        };
        let (a, b) = (hash(args.seed), hash(args.seed));
        anyhow::ensure!(
            a == b,
            "the corpus generator is not deterministic ({a} vs {b})"
        );
        anyhow::ensure!(a != hash(args.seed + 1), "two seeds gave the same corpus");
        a
    };
    report.note(format!(
        "Corpus generator: seed {} gives the same bytes every time (SHA-256 prefix of its first 20 mixed documents: `{determinism}`); generator version {}.",
        args.seed,
        corpus::GENERATOR_VERSION
    ));

    // 2. Throughput of `akhbar run`.
    let seed_count = plan
        .throughput_docs
        .max(plan.corpus_sizes.iter().copied().max().unwrap_or(0));
    let (seed_dir, _) = ensure_corpus(
        &work,
        &bodies,
        args.seed,
        SizeProfile::Seed,
        "seed",
        seed_count,
    )?;
    let (mixed_dir, _) = ensure_corpus(
        &work,
        &bodies,
        args.seed,
        SizeProfile::Mixed,
        "mixed",
        plan.mixed_docs,
    )?;
    for (label, dir, count) in [
        ("seed-sized (4–11 KB)", &seed_dir, plan.throughput_docs),
        ("mixed (1–200 KB)", &mixed_dir, plan.mixed_docs),
    ] {
        let inputs = corpus::folders_for(dir, count);
        let docs = count.min(corpus::PER_FOLDER as u64 * inputs.len() as u64);
        let bytes = corpus_bytes(dir, docs);
        // The tiny run starts as few (debug, slow to load) processes as it can.
        let jobs_list: &[usize] = if args.tiny && label.starts_with("mixed") {
            &[1]
        } else {
            &[1, 2]
        };
        for &jobs in jobs_list {
            let run = akhbar_run(&akhbar, jobs, &inputs, plan.repeats)?;
            report
                .throughput
                .push(Row::throughput(label, jobs, docs, bytes, &run));
        }
    }

    // 3. Plugin boundary overhead, in-process, static vs dynamic.
    report.boundary = boundary(&bodies, args.seed, &bin_dir, &plan)?;

    // 4. Scaling with document size: the default pipeline, with text-dump's
    // line limit lifted so that a 10 MB page is processed, not refused.
    let scaling_toml = akhbar_core::config::DEFAULT_PIPELINE_TOML.replace(
        "source = { plugin = \"text-dump\" }",
        "source = { plugin = \"text-dump\", config = { max_paragraphs = 100000000 } }",
    );
    let scaling_config_path = work.join("scaling.toml");
    std::fs::write(&scaling_config_path, &scaling_toml)?;
    let config = PipelineConfig::from_toml(&scaling_toml)?;
    let dynamic = plugins::build_dynamic(&config, &bin_dir)?;
    let counters = |pipeline: &akhbar_core::Pipeline| -> Vec<(String, u64, u64)> {
        pipeline
            .stages()
            .map(|s| {
                (
                    s.info.name.clone(),
                    s.stats
                        .documents_in
                        .load(std::sync::atomic::Ordering::Relaxed),
                    s.stats.nanos.load(std::sync::atomic::Ordering::Relaxed),
                )
            })
            .collect()
    };
    for &size in &plan.doc_sizes {
        let doc = Generator::new(bodies.clone(), args.seed, SizeProfile::Fixed(size)).document(0);
        let path = work.join(format!("doc-{size}.txt"));
        std::fs::write(&path, &doc.bytes)?;
        let raw = RawDocument {
            source_uri: path.display().to_string(),
            content: doc.bytes.clone(),
            ..Default::default()
        };
        eprintln!("akhbar-bench: document size {}", corpus::human_size(size));
        let before = counters(&dynamic.pipeline);
        let mut times = Vec::new();
        let mut total = Duration::ZERO;
        let mut articles = 0;
        let mut dead = Vec::new();
        let min_reps = if size >= 1_000_000 { 1 } else { 3 };
        while times.len() < min_reps || total < plan.min_cpu_per_size {
            let (outcome, cpu) = measure::cpu_timed(|| dynamic.pipeline.process(raw.clone()));
            articles = outcome.articles.len();
            dead = outcome
                .dead_letters
                .iter()
                .map(|d| format!("{} `{}`: {}", d.stage, d.plugin, d.reason))
                .collect();
            total += cpu;
            times.push(cpu);
            if times.len() >= 10_000 {
                break;
            }
        }
        let stages = counters(&dynamic.pipeline)
            .into_iter()
            .zip(before)
            .map(|((name, n, ns), (_, n0, ns0))| (name, (ns - ns0) as f64 / (n - n0).max(1) as f64))
            .collect();
        let per_doc = measure::median(&mut times);
        let child = akhbar_run_with(
            &akhbar,
            Some(&scaling_config_path),
            1,
            std::slice::from_ref(&path),
            1,
        )
        .or_else(|_| -> anyhow::Result<ChildRun> {
            // A dead letter makes `akhbar run` exit 1; the memory figure
            // still stands.
            let mut command = Command::new(&akhbar);
            command
                .arg("--config")
                .arg(&scaling_config_path)
                .args(["run", "-q", "--jobs", "1"])
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            measure::run_child(&mut command)
        })?;
        report.doc_scaling.push(crate::report::DocScale {
            target: size,
            bytes: doc.bytes.len(),
            per_doc,
            articles,
            dead,
            stages,
            child,
        });
    }

    // 5. Scaling with corpus size.
    for &count in &plan.corpus_sizes {
        let inputs = corpus::folders_for(&seed_dir, count);
        let bytes = corpus_bytes(&seed_dir, count);
        let run = akhbar_run(&akhbar, 2, &inputs, 1)?;
        report
            .corpus_scaling
            .push(Row::throughput("seed-sized", 2, count, bytes, &run));
    }

    // 6. Criterion's last figures, the service and trafilatura sections
    // (measured by their own commands), the plot.
    report.service = crate::report::service_section(&repo);
    report.memory = crate::report::memory_section(&repo);
    report.criterion = crate::report::criterion_estimates(&repo);
    report.trafilatura = crate::report::trafilatura_section(&repo);
    let svg = if args.tiny {
        work.join("scaling.svg")
    } else {
        repo.join("benches").join("scaling.svg")
    };
    crate::plot::scaling(&svg, &report.doc_scaling, &report.corpus_scaling)?;
    report.svg = svg.strip_prefix(&repo).unwrap_or(&svg).to_path_buf();

    report.load_after = measure::load_average();
    let out = args.out.clone().unwrap_or_else(|| {
        if args.tiny {
            work.join("BENCHMARKS.md")
        } else {
            repo.join("BENCHMARKS.md")
        }
    });
    let markdown = report.markdown();
    print!("{}", report.table());
    std::fs::write(&out, markdown).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "akhbar-bench: wrote {} and {}",
        out.display(),
        svg.display()
    );
    Ok(())
}

/// Static vs dynamic on the same documents, alternating, thread CPU time.
/// The documents of the boundary measurement: the first `n` seed-sized
/// pages of `seed` (the same for its timed rounds and for `--only`, which
/// counts instructions).
fn boundary_documents(bodies: Bodies, seed: u64, n: usize) -> Vec<RawDocument> {
    let generator = Generator::new(bodies, seed, SizeProfile::Seed);
    (0..n as u64)
        .map(|i| RawDocument {
            source_uri: format!("bench/{i:07}.txt"),
            content: generator.document(i).bytes,
            ..Default::default()
        })
        .collect()
}

/// `docs` through `pipeline` in the batches `akhbar run` hands it.
fn in_batches<'a>(
    pipeline: &'a akhbar_core::Pipeline,
    docs: &'a [RawDocument],
) -> impl Iterator<Item = akhbar_core::Outcome> + 'a {
    docs.chunks(akhbar_core::BATCH_DOCUMENTS)
        .flat_map(|batch| pipeline.process_batch(batch))
}

/// What callgrind's count runs under: glibc copies large blocks with
/// `rep movsb`, which callgrind counts as one instruction per byte, so that
/// copies (the boundary's own work) would weigh tens of times what they
/// cost; with the threshold out of reach, glibc copies with vector loops,
/// which callgrind counts as they run.
pub const CALLGRIND_GLIBC_TUNABLES: &str =
    "glibc.cpu.x86_rep_movsb_threshold=1000000000:glibc.cpu.x86_rep_stosb_threshold=1000000000";

/// The function whose instructions are counted.
pub const COUNTED_FUNCTION: &str = "akhbar_core::pipeline::Pipeline::process_batch";

fn boundary(
    bodies: &Bodies,
    seed: u64,
    bin_dir: &Path,
    plan: &Plan,
) -> anyhow::Result<crate::report::Boundary> {
    if !plugins::HAS_STATIC {
        return Ok(crate::report::Boundary::NotMeasured(
            "this akhbar-bench was built without `--features static`; run benches/run.sh".into(),
        ));
    }
    let config = PipelineConfig::embedded_default();
    let statics = plugins::build_static(&config, bin_dir)?;
    let dynamic = plugins::build_dynamic(&config, bin_dir)?;
    let docs = boundary_documents(bodies.clone(), seed, plan.boundary_docs);
    // Both deliver what the service stores: each article encoded.
    let run_all = |pipeline: &akhbar_core::Pipeline| {
        let mut hasher = Sha256::new();
        for outcome in in_batches(pipeline, &docs) {
            for article in outcome.articles {
                hasher.update(article.id().as_bytes());
            }
        }
        hasher.finalize()
    };
    // Warm up both (page cache, lazy statics, allocator), and check that
    // they make the same articles, field for field.
    let decoded_all = |pipeline: &akhbar_core::Pipeline| -> anyhow::Result<Vec<_>> {
        let mut articles = Vec::new();
        for outcome in in_batches(pipeline, &docs) {
            articles.extend(outcome.decoded_articles()?);
        }
        Ok(articles)
    };
    anyhow::ensure!(
        decoded_all(&statics.pipeline)? == decoded_all(&dynamic.pipeline)?,
        "static and dynamic pipelines produced different articles"
    );
    let stage_counts = |built: &plugins::Built| -> Vec<(u64, u64)> {
        built
            .pipeline
            .stages()
            .map(|s| {
                (
                    s.stats
                        .documents_in
                        .load(std::sync::atomic::Ordering::Relaxed),
                    s.stats.nanos.load(std::sync::atomic::Ordering::Relaxed),
                )
            })
            .collect()
    };
    // Per-stage figures leave the warm-up out.
    let (s_before, d_before) = (stage_counts(&statics), stage_counts(&dynamic));
    let mut s_times = Vec::new();
    let mut d_times = Vec::new();
    for round in 0..plan.boundary_rounds {
        let order: [bool; 2] = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_static in order {
            let pipeline = if is_static {
                &statics.pipeline
            } else {
                &dynamic.pipeline
            };
            let (_, cpu) = measure::cpu_timed(|| run_all(pipeline));
            if is_static {
                s_times.push(cpu);
            } else {
                d_times.push(cpu);
            }
        }
    }
    let stage_ns = |built: &plugins::Built, before: &[(u64, u64)]| -> Vec<(String, f64)> {
        built
            .pipeline
            .stages()
            .zip(stage_counts(built))
            .zip(before)
            .map(|((s, (n, ns)), (n0, ns0))| {
                (
                    s.info.name.clone(),
                    (ns - ns0) as f64 / (n - n0).max(1) as f64,
                )
            })
            .collect()
    };
    // Each round's static and dynamic runs are next to each other in time:
    // their ratios show how much the machine's load moved the figure.
    let mut round_overheads: Vec<f64> = s_times
        .iter()
        .zip(&d_times)
        .map(|(&s, &d)| crate::report::overhead_percent(s, d))
        .collect();
    round_overheads.sort_by(f64::total_cmp);
    Ok(crate::report::Boundary::Measured {
        docs: docs.len(),
        rounds: plan.boundary_rounds,
        round_overheads,
        static_cpu: measure::median(&mut s_times),
        dynamic_cpu: measure::median(&mut d_times),
        static_stages: statics.static_stages.clone(),
        dynamic_only: statics.dynamic_stages.clone(),
        per_stage_static: stage_ns(&statics, &s_before),
        per_stage_dynamic: stage_ns(&dynamic, &d_before),
        instructions: count_instructions(seed, bin_dir, plan.instruction_docs),
    })
}

/// Both pipelines' instructions under callgrind: this binary's
/// `boundary --only static|dynamic` over the first `docs` documents.
fn count_instructions(seed: u64, bin_dir: &Path, docs: usize) -> crate::report::Instructions {
    use crate::report::Instructions;
    if docs == 0 {
        return Instructions::NotCounted("not asked for in this run".into());
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return Instructions::NotCounted(format!("cannot find akhbar-bench: {e}")),
    };
    let count = |which: &str| -> anyhow::Result<u64> {
        let out_file = std::env::temp_dir().join(format!(
            "akhbar-bench-callgrind-{}-{which}.out",
            std::process::id()
        ));
        eprintln!(
            "akhbar-bench: counting the {which} pipeline's instructions (callgrind, {docs} documents)"
        );
        let output = std::process::Command::new("valgrind")
            .env("GLIBC_TUNABLES", CALLGRIND_GLIBC_TUNABLES)
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out_file.display()))
            .arg(format!("--toggle-collect={COUNTED_FUNCTION}"))
            .arg(&exe)
            .args(["boundary", "--only", which, "--docs", &docs.to_string()])
            .args(["--seed", &seed.to_string()])
            .arg("--bin-dir")
            .arg(bin_dir)
            .output()
            .context("valgrind")?;
        let _ = std::fs::remove_file(&out_file);
        let stderr = String::from_utf8_lossy(&output.stderr);
        anyhow::ensure!(output.status.success(), "valgrind failed: {stderr}");
        // "==PID== Collected : N"
        let collected: u64 = stderr
            .lines()
            .find_map(|line| line.split("Collected :").nth(1))
            .and_then(|n| n.trim().parse().ok())
            .with_context(|| format!("no \"Collected\" line in callgrind's output: {stderr}"))?;
        // Nothing collected: the toggle names a function that never ran.
        anyhow::ensure!(
            collected > 0,
            "callgrind counted no instructions in {COUNTED_FUNCTION} (renamed?)"
        );
        Ok(collected)
    };
    match (count("static"), count("dynamic")) {
        (Ok(static_ir), Ok(dynamic_ir)) => Instructions::Counted {
            docs,
            static_ir,
            dynamic_ir,
        },
        (Err(e), _) | (_, Err(e)) => Instructions::NotCounted(format!("{e:#}")),
    }
}
