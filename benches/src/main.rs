//! `akhbar-bench`: the corpus generator and the end-to-end harness.
//!
//! ```text
//! akhbar-bench corpus --count N --seed S --out DIR [--sizes mixed|seed|10M]
//! akhbar-bench e2e [--tiny]
//! akhbar-bench boundary [--docs 200 --rounds 25]
//! akhbar-bench memory [--docs 1000000]
//! ```
//! The full run is `bash benches/run.sh` (it builds the plugins in the
//! workspace's target dir and this binary with `--features static` in
//! `target/bench-static`; see benches/README.md).

mod e2e;
mod memory;
mod plot;
mod report;

/// The `akhbar` binary's allocator (see server/src/main.rs): the boundary
/// and stage figures are measured with the allocator `akhbar run` uses.
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use akhbar_bench::corpus::{Bodies, Generator, SizeProfile};
use clap::{Parser, Subcommand};

/// Akhbar's benchmarks.
#[derive(Debug, Parser)]
#[command(name = "akhbar-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes N realistic page dumps, byte-identical for a seed.
    Corpus(CorpusArgs),
    /// Runs the end-to-end measurements, prints a table and writes BENCHMARKS.md.
    E2e(e2e::E2eArgs),
    /// Only the plugin boundary: static vs dynamic pipeline, same run.
    Boundary(e2e::BoundaryArgs),
    /// Memory of one long `akhbar run` (up to 10^6 documents), sampled as it goes.
    Memory(memory::MemoryArgs),
}

#[derive(Debug, clap::Args)]
struct CorpusArgs {
    /// Number of documents.
    #[arg(long, default_value_t = 1000)]
    count: u64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Output folder (documents go in sub-folders of a thousand).
    #[arg(long)]
    out: PathBuf,
    /// Sizes: `mixed` (1 KB–200 KB, log-uniform), `seed` (4–11 KB) or a
    /// fixed size such as `10K` or `10M`.
    #[arg(long, default_value = "mixed")]
    sizes: SizeProfile,
    /// Repository root (default: the one this binary was built from).
    #[arg(long)]
    repo: Option<PathBuf>,
}

fn corpus(args: CorpusArgs) -> anyhow::Result<()> {
    let repo = args.repo.unwrap_or_else(akhbar_bench::repo_root);
    let generator = Generator::new(Bodies::load(&repo)?, args.seed, args.sizes);
    let started = std::time::Instant::now();
    let bytes = generator.write(&args.out, args.count)?;
    eprintln!(
        "akhbar-bench: wrote {} documents ({:.1} MB) to {} in {:.1} s",
        args.count,
        bytes as f64 / 1e6,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Corpus(args) => corpus(args),
        Command::E2e(args) => e2e::run(args),
        Command::Boundary(args) => e2e::boundary_only(args),
        Command::Memory(args) => memory::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("akhbar-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
