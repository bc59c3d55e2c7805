//! `akhbar run`: the batch job. Inputs are read lazily and processed in
//! ordered chunks on a worker pool, so memory stays bounded by the chunk,
//! not the corpus, and output order matches input order. Each worker runs
//! its part of a chunk through the pipeline in batches, stage by stage
//! ([`Pipeline::process_batch`]).

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use akhbar_core::proto::DeadLetter;
use akhbar_core::{BATCH_BYTES, BATCH_DOCUMENTS, EncodedArticle, Outcome, Pipeline, RawDocument};
use akhbar_proto::json::Written;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::settings::{self, CommonArgs};

/// Batches per worker in a chunk (more parts than workers, so that a slow
/// part does not leave the others idle).
const BATCHES_PER_WORKER: usize = 2;

/// The output buffer of `akhbar run`.
const OUTPUT_BUFFER_BYTES: usize = 1 << 20;

/// Flags of `akhbar run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Files, folders (read recursively) or `-` for stdin.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Documents larger than this many bytes are refused up front.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_document_bytes: u64,
    /// Also write dead letters, one JSON object per line, to this file.
    #[arg(long)]
    dead_letters: Option<PathBuf>,
    /// Print no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Mean wall time per call of each stage, in pipeline order, so that a user
/// sees which plugin a run spends its time in.
fn stage_times(pipeline: &Pipeline) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    pipeline
        .stages()
        .map(|stage| {
            let calls = stage.stats.documents_in.load(Relaxed);
            let nanos = stage.stats.nanos.load(Relaxed);
            let micros = nanos as f64 / 1e3 / calls.max(1) as f64;
            format!("{} {micros:.0} µs", stage.info.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One input before it is read.
#[derive(Debug)]
pub(crate) enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    fn uri(&self) -> String {
        match self {
            Input::Stdin => "stdin".to_owned(),
            Input::File(path) => path.display().to_string(),
        }
    }
}

/// The inputs named on the command line, in order: `-` is stdin, a folder
/// is walked recursively in file-name order. Folders are walked lazily, so
/// memory does not grow with the number of files (a million-file corpus
/// would otherwise hold a million paths).
pub(crate) fn inputs(args: &[String]) -> anyhow::Result<impl Iterator<Item = Input> + '_> {
    for arg in args {
        if arg != "-" && !Path::new(arg).exists() {
            anyhow::bail!("{arg}: no such file or folder");
        }
    }
    Ok(args
        .iter()
        .flat_map(|arg| -> Box<dyn Iterator<Item = Input>> {
            if arg == "-" {
                return Box::new(std::iter::once(Input::Stdin));
            }
            let path = PathBuf::from(arg);
            if !path.is_dir() {
                return Box::new(std::iter::once(Input::File(path)));
            }
            Box::new(
                walkdir::WalkDir::new(path)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_file())
                    .map(|e| Input::File(e.into_path())),
            )
        }))
}

/// [`inputs`], all at once (for commands that need the count).
pub(crate) fn collect_inputs(args: &[String]) -> anyhow::Result<Vec<Input>> {
    Ok(inputs(args)?.collect())
}

pub(crate) fn now() -> akhbar_proto::Timestamp {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    akhbar_proto::Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(since.subsec_nanos()).unwrap_or(0),
    }
}

/// A dead letter for an input that never reached the pipeline.
fn unreadable(uri: String, reason: String) -> Outcome {
    Outcome {
        articles: Vec::new(),
        dead_letters: vec![DeadLetter {
            source_uri: uri,
            stage: "input".into(),
            plugin: "akhbar".into(),
            reason,
            rejected: true,
            at: Some(now()),
            document: None,
        }],
    }
}

fn read_input(input: &Input, max_bytes: u64) -> Result<Vec<u8>, String> {
    let mut content = Vec::new();
    let reader: Box<dyn Read> = match input {
        Input::Stdin => Box::new(std::io::stdin()),
        Input::File(path) => {
            let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len > max_bytes {
                return Err(format!(
                    "document is {len} bytes, over the limit of {max_bytes} (--max-document-bytes)"
                ));
            }
            // `take` hides the file's size from `read_to_end`, which then
            // starts at 32 bytes and doubles: ten reads for a seed-sized
            // page. Room for the whole file (and the byte that shows the
            // end) makes it two.
            content.reserve_exact(usize::try_from(len).unwrap_or(0).saturating_add(1));
            Box::new(file)
        }
    };
    reader
        .take(max_bytes + 1)
        .read_to_end(&mut content)
        .map_err(|e| format!("cannot read: {e}"))?;
    if content.len() as u64 > max_bytes {
        return Err(format!(
            "document is over the limit of {max_bytes} bytes (--max-document-bytes)"
        ));
    }
    Ok(content)
}

/// Reads `inputs` and runs them through the pipeline in batches of at most
/// [`BATCH_DOCUMENTS`] documents and [`BATCH_BYTES`] bytes; the outcomes
/// are in input order (an unreadable input's is its dead letter).
fn process_inputs(pipeline: &Pipeline, inputs: &[Input], max_bytes: u64) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(inputs.len());
    // The batch being read, and where each of its outcomes goes.
    let mut batch: Vec<RawDocument> = Vec::new();
    let mut slots: Vec<usize> = Vec::new();
    let mut bytes = 0;
    let run =
        |batch: &mut Vec<RawDocument>, slots: &mut Vec<usize>, outcomes: &mut Vec<Outcome>| {
            for (slot, outcome) in slots.drain(..).zip(pipeline.process_batch(batch)) {
                outcomes[slot] = outcome;
            }
            batch.clear();
        };
    for input in inputs {
        match read_input(input, max_bytes) {
            Ok(content) => {
                if !batch.is_empty() && bytes + content.len() > BATCH_BYTES {
                    run(&mut batch, &mut slots, &mut outcomes);
                    bytes = 0;
                }
                bytes += content.len();
                slots.push(outcomes.len());
                outcomes.push(Outcome::default());
                batch.push(RawDocument {
                    source_uri: input.uri(),
                    format_hint: String::new(),
                    content,
                    received_at: Some(now()),
                    metadata: Default::default(),
                });
                if batch.len() == BATCH_DOCUMENTS {
                    run(&mut batch, &mut slots, &mut outcomes);
                    bytes = 0;
                }
            }
            Err(reason) => outcomes.push(unreadable(input.uri(), reason)),
        }
    }
    if !batch.is_empty() {
        run(&mut batch, &mut slots, &mut outcomes);
    }
    outcomes
}

/// Articles written as JSON lines to `out` through a buffer they are
/// serialized straight into (tens of KB each: not copied into a second
/// buffer), which goes out whenever it holds [`OUTPUT_BUFFER_BYTES`]: one
/// write call for many articles. What it holds is written at the end, and
/// on drop (an error ending the run) as `BufWriter` does.
struct JsonLines<W: Write> {
    out: W,
    pending: Vec<u8>,
}

impl<W: Write> JsonLines<W> {
    fn new(out: W) -> Self {
        JsonLines {
            out,
            pending: Vec::with_capacity(OUTPUT_BUFFER_BYTES * 2),
        }
    }

    /// Writes `article` as a line (proto3 JSON mapping); what was written
    /// besides.
    fn push(&mut self, article: &EncodedArticle) -> anyhow::Result<Written> {
        let written = article.write_json(&mut self.pending).with_context(|| {
            format!(
                "the finished article {} cannot be written as JSON",
                article.id()
            )
        })?;
        self.pending.push(b'\n');
        if self.pending.len() >= OUTPUT_BUFFER_BYTES {
            self.out.write_all(&self.pending)?;
            self.pending.clear();
        }
        Ok(written)
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.out.write_all(&self.pending)?;
        self.pending.clear();
        self.out.flush()
    }
}

impl<W: Write> Drop for JsonLines<W> {
    fn drop(&mut self) {
        // Errors here have nowhere to go (as in `BufWriter`'s drop).
        let _ = self.out.write_all(&self.pending);
        let _ = self.out.flush();
    }
}

/// Peak resident memory of this process (Linux: `VmHWM`), in MB.
fn peak_memory_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.div_ceil(1024))
}

pub fn run(common: &CommonArgs, args: RunArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let config = settings::pipeline_config(common)?;
    let mut catalog = settings::catalog(common, Some(&config));
    let pipeline = Pipeline::build(&config, &mut catalog).context("cannot build the pipeline")?;
    let inputs = inputs(&args.inputs)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()?;

    let progress = if std::io::stderr().is_terminal() && !args.quiet {
        let bar = ProgressBar::no_length();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} documents {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut dead_file = match &args.dead_letters {
        Some(path) => {
            Some(BufWriter::new(File::create(path).with_context(|| {
                format!("cannot create {}", path.display())
            })?))
        }
        None => None,
    };
    // The dead-letter file may sit in a folder being walked: never read it
    // back as an input.
    let own_output = args
        .dead_letters
        .as_ref()
        .and_then(|p| p.canonicalize().ok());
    let mut inputs = inputs.filter(move |input| match (input, &own_output) {
        (Input::File(path), Some(own)) => {
            path.file_name() != own.file_name() || path.canonicalize().ok().as_ref() != Some(own)
        }
        _ => true,
    });
    let stdout = std::io::stdout();
    let mut out = JsonLines::new(stdout.lock());
    let (mut articles, mut dead) = (0usize, 0usize);
    let mut bytes = 0u64;
    let mut documents = 0usize;
    let chunk_size = BATCH_DOCUMENTS * BATCHES_PER_WORKER * jobs.max(1);
    loop {
        let chunk: Vec<Input> = inputs.by_ref().take(chunk_size).collect();
        if chunk.is_empty() {
            break;
        }
        documents += chunk.len();
        let process = |part: &[Input]| process_inputs(&pipeline, part, args.max_document_bytes);
        let parts: Vec<Vec<Outcome>> = if jobs <= 1 {
            // One worker: this thread, which then writes what it made while
            // that is still in its cache (a pool thread would hand each
            // chunk over, and back, between cores).
            chunk.chunks(BATCH_DOCUMENTS).map(process).collect()
        } else {
            pool.install(|| chunk.par_chunks(BATCH_DOCUMENTS).map(process).collect())
        };
        for outcome in parts.into_iter().flatten() {
            for article in &outcome.articles {
                bytes += out.push(article)?.body_bytes as u64;
            }
            articles += outcome.articles.len();
            for letter in &outcome.dead_letters {
                dead += 1;
                progress.suspend(|| {
                    eprintln!(
                        "akhbar: dead letter: {}: {} `{}`: {}{}",
                        letter.source_uri,
                        letter.stage,
                        letter.plugin,
                        if letter.rejected { "rejected: " } else { "" },
                        letter.reason
                    );
                });
                if let Some(file) = dead_file.as_mut() {
                    let mut letter = letter.clone();
                    if let Some(doc) = letter.document.as_mut() {
                        doc.content.clear();
                    }
                    serde_json::to_writer(&mut *file, &letter)?;
                    file.write_all(b"\n")?;
                }
            }
            progress.inc(1);
        }
    }
    out.finish()?;
    if let Some(file) = dead_file.as_mut() {
        file.flush()?;
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    if !args.quiet {
        eprintln!(
            "akhbar: {} documents in, {articles} articles out, {dead} dead letters, {:.2} s ({:.0} documents/s, {:.1} MB of article text){}",
            documents,
            elapsed,
            documents as f64 / elapsed.max(1e-9),
            bytes as f64 / 1e6,
            peak_memory_mb()
                .map(|mb| format!(", peak memory {mb} MB"))
                .unwrap_or_default(),
        );
    }
    if !args.quiet {
        eprintln!("akhbar: time per call: {}", stage_times(&pipeline));
    }
    if documents == 0 {
        eprintln!("akhbar: no input files found");
        return Ok(ExitCode::from(1));
    }
    Ok(if articles == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
