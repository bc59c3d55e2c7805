//! `akhbar`: ingest news text — batch runs, the service, admin commands.
#![forbid(unsafe_code)]

mod cmd;
mod service;
mod settings;

use clap::{Parser, Subcommand};

/// jemalloc, built with its `malloc` unprefixed: it is the whole process's
/// allocator, the plugin libraries' too (they call `malloc`, and the
/// executable's definition comes first in the lookup of `dlopen`ed
/// libraries). One allocator for all: a plugin's per-document allocations
/// were ~15 % of the pipeline's time with glibc's. (A separate allocator per
/// plugin library, tried with mimalloc, kept freed memory per instance.)
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Akhbar: cleans, enriches and stores news articles.
#[derive(Debug, Parser)]
#[command(name = "akhbar", version, about)]
struct Cli {
    #[command(flatten)]
    common: settings::CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the pipeline over files, folders (recursively) or `-` (stdin)
    /// and prints one JSON article per line.
    Run(cmd::run::RunArgs),
    /// Lists the plugins found, and the files refused.
    Plugins(cmd::plugins::PluginsArgs),
    /// Scores the pipeline's article bodies against labelled pages (shingle F1).
    Eval(cmd::eval::EvalArgs),
    /// Serves the gRPC API (Ingest, Articles, Admin, health, reflection) over
    /// the durable store.
    Serve(cmd::serve::ServeArgs),
    /// Pushes files to a server; prints one JSON acknowledgement per document.
    Push(cmd::push::PushArgs),
    /// Prints stored articles from a server as JSON lines (`--from N` to replay).
    Tail(cmd::tail::TailArgs),
}

/// A service idles between bursts: jemalloc's background thread gives
/// freed pages back to the system on time, not at the next allocations
/// (the service bench's plateau with a 16 MiB store cache: 65 -> 45 MiB).
fn return_memory_in_the_background() {
    #[cfg(all(target_os = "linux", not(target_env = "musl")))]
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!("jemalloc's background thread is off: {e}");
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    settings::init_logging(&cli.common);
    let result = match cli.command {
        Command::Run(args) => cmd::run::run(&cli.common, args),
        Command::Plugins(args) => cmd::plugins::run(&cli.common, args),
        Command::Eval(args) => cmd::eval::run(&cli.common, args),
        Command::Serve(args) => {
            return_memory_in_the_background();
            cmd::serve::run(&cli.common, args)
        }
        Command::Push(args) => cmd::push::run(&cli.common, args),
        Command::Tail(args) => cmd::tail::run(&cli.common, args),
    };
    match result {
        Ok(code) => code,
        // A closed stdout (`akhbar run … | head`) is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("akhbar: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
