use std::path::PathBuf;

/// Errors of the core library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file in the plugin folder (or named in the config) could not be used.
    #[error("cannot load plugin {path}: {reason}")]
    PluginLoad {
        /// The library file.
        path: PathBuf,
        /// What went wrong and what to do about it.
        reason: String,
    },
    /// The pipeline names a plugin that no folder provides.
    #[error(
        "no plugin named `{name}` of kind {kind} was found (searched: {searched}); build the plugins with `cargo build --release --workspace` or set --plugin-dir / AKHBAR_PLUGIN_DIR"
    )]
    PluginNotFound {
        /// The name in the config.
        name: String,
        /// The kind the stage needs.
        kind: String,
        /// Where we looked.
        searched: String,
    },
    /// A plugin refused its config.
    #[error("plugin `{plugin}` refused its config: {reason}")]
    PluginConfig {
        /// Plugin name.
        plugin: String,
        /// Its message.
        reason: String,
    },
    /// The pipeline config is invalid.
    #[error("invalid config: {0}")]
    Config(String),
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
