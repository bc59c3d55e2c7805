//! Settings shared by every command: config file, plugin folders, logging.

use std::path::{Path, PathBuf};

use akhbar_core::{PipelineConfig, PluginCatalog};
use anyhow::Context;

/// Flags every command takes.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// TOML config file (default: the embedded pipeline: text-dump, arabic, scraped-page, then the five enrichers).
    #[arg(long, short, global = true, env = "AKHBAR_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder to load plugins from (repeatable; searched before the others).
    #[arg(long = "plugin-dir", global = true)]
    pub plugin_dirs: Vec<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How logs look.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logs to stderr, filtered by `RUST_LOG` (default: warnings).
pub fn init_logging(args: &CommonArgs) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The whole config file: `[pipeline]` and, for `serve`, more tables.
pub fn load_config_text(args: &CommonArgs) -> anyhow::Result<String> {
    match &args.config {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display())),
        None => Ok(akhbar_core::config::DEFAULT_PIPELINE_TOML.to_owned()),
    }
}

/// The pipeline config.
pub fn pipeline_config(args: &CommonArgs) -> anyhow::Result<PipelineConfig> {
    let text = load_config_text(args)?;
    let config = PipelineConfig::from_toml(&text).with_context(|| match &args.config {
        Some(path) => format!("in {}", path.display()),
        None => "in the embedded default config".to_owned(),
    })?;
    Ok(config)
}

/// Folders searched for plugins, lowest precedence first: beside the binary,
/// the config's `plugin_dirs`, `AKHBAR_PLUGIN_DIR`, then `--plugin-dir`.
pub fn plugin_dirs(args: &CommonArgs, config: Option<&PipelineConfig>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(exe_dir) = akhbar_core::pipeline::default_plugin_dir() {
        dirs.push(exe_dir.join("plugins"));
        dirs.push(exe_dir);
    }
    if let Some(config) = config {
        let base = args
            .config
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        dirs.extend(config.plugin_dirs.iter().map(|d| base.join(d)));
    }
    if let Some(env) = std::env::var_os("AKHBAR_PLUGIN_DIR") {
        dirs.extend(std::env::split_paths(&env));
    }
    dirs.extend(args.plugin_dirs.iter().cloned());
    dirs
}

/// Loads every plugin from the plugin folders.
pub fn catalog(args: &CommonArgs, config: Option<&PipelineConfig>) -> PluginCatalog {
    let mut catalog = PluginCatalog::new();
    for dir in plugin_dirs(args, config) {
        catalog.load_dir(&dir);
    }
    catalog
}
