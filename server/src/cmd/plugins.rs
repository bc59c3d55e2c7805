//! `akhbar plugins`: what was found, and what was refused and why.

use std::process::ExitCode;

use akhbar_core::PluginOrigin;

use crate::settings::{self, CommonArgs};

/// Flags of `akhbar plugins`.
#[derive(Debug, clap::Args)]
pub struct PluginsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(common: &CommonArgs, args: PluginsArgs) -> anyhow::Result<ExitCode> {
    let config = settings::pipeline_config(common).ok();
    let catalog = settings::catalog(common, config.as_ref());
    let rows: Vec<serde_json::Value> = catalog
        .plugins()
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.info.name,
                "version": p.info.version,
                "kind": p.info.kind.as_str(),
                "abiVersion": p.info.abi_version,
                "path": match &p.info.origin {
                    PluginOrigin::Static => "(built in)".to_owned(),
                    PluginOrigin::Library(path) => path.display().to_string(),
                },
            })
        })
        .collect();
    if args.json {
        let refused: Vec<_> = catalog
            .refused()
            .iter()
            .map(|(path, reason)| serde_json::json!({"path": path.display().to_string(), "reason": reason}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"plugins": rows, "refused": refused})
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<16} {:<9} {:<11} {:<4} PATH",
        "NAME", "VERSION", "KIND", "ABI"
    );
    for row in &rows {
        println!(
            "{:<16} {:<9} {:<11} {:<4} {}",
            row["name"].as_str().unwrap_or(""),
            row["version"].as_str().unwrap_or(""),
            row["kind"].as_str().unwrap_or(""),
            row["abiVersion"]
                .as_u64()
                .map(|v| v.to_string())
                .unwrap_or_default(),
            row["path"].as_str().unwrap_or(""),
        );
    }
    if rows.is_empty() {
        let searched: Vec<_> = catalog
            .searched()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        println!("(no plugins found; searched {})", searched.join(", "));
    }
    for (path, reason) in catalog.refused() {
        println!("refused {}: {reason}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
