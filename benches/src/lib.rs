//! Akhbar's measuring instruments (issue 7).
//!
//! - [`corpus`]: a deterministic generator of realistic page dumps (real
//!   article bodies from `seeds/` and `../shared/eval/aeb-dev/`, wrapped in
//!   varied Arabic and English chrome);
//! - [`measure`]: child processes with their peak RSS and CPU time, thread
//!   CPU clocks;
//! - [`plugins`]: the same pipeline with plugins loaded from their cdylibs or
//!   (feature `static`, built in its own target dir) linked into this crate.
//!
//! See `benches/README.md` for why the `static` feature must never be
//! enabled in the workspace's own cargo invocation.

pub mod corpus;
pub mod measure;
pub mod plugins;

use std::path::{Path, PathBuf};

/// The repository root (the workspace this crate was built in).
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// `<repo>/../shared/eval/aeb-dev`, or a clear error when it is absent.
pub fn aeb_dev(repo: &Path) -> anyhow::Result<PathBuf> {
    let dir = repo.join("..").join("shared").join("eval").join("aeb-dev");
    if !dir.join("ground-truth.json").is_file() {
        anyhow::bail!(
            "{} is missing: the benchmarks need the shared evaluation set beside the repository \
             (expected {}/ground-truth.json, text/ and html/); every developer and CI has it at ../shared",
            dir.display(),
            dir.display()
        );
    }
    Ok(dir.canonicalize().unwrap_or(dir))
}
