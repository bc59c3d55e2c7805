//! `akhbar eval`: runs the configured pipeline over labelled pages and
//! scores each article body against the person's marking with the shingle F1
//! of the article-extraction benchmark. Users measure their own plugins on
//! their own labelled pages with it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use akhbar_core::eval::{self, PageScore};
use akhbar_core::{Pipeline, RawDocument};
use anyhow::Context;
use rayon::prelude::*;

use super::run::{Input, collect_inputs, now};
use crate::settings::{self, CommonArgs};

/// Flags of `akhbar eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Folder (or files) of pages; a page's id is its file stem.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Ground truth: a JSON object mapping id to `{"articleBody": …}`.
    #[arg(long)]
    truth: PathBuf,
    /// How many of the worst pages to list.
    #[arg(long, default_value_t = 10)]
    worst: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Truth {
    article_body: String,
    #[serde(default)]
    url: Option<String>,
}

#[derive(serde::Serialize)]
struct PageReport {
    id: String,
    precision: f64,
    recall: f64,
    f1: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn id_of(path: &std::path::Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.split('.').next().unwrap_or(name).to_owned()
}

pub fn run(common: &CommonArgs, args: EvalArgs) -> anyhow::Result<ExitCode> {
    let config = settings::pipeline_config(common)?;
    let mut catalog = settings::catalog(common, Some(&config));
    let pipeline = Pipeline::build(&config, &mut catalog).context("cannot build the pipeline")?;
    let truth: HashMap<String, Truth> = serde_json::from_slice(
        &std::fs::read(&args.truth)
            .with_context(|| format!("cannot read {}", args.truth.display()))?,
    )
    .with_context(|| {
        format!(
            "{} is not a JSON object of {{id: {{articleBody}}}}",
            args.truth.display()
        )
    })?;
    let pages: Vec<(String, PathBuf)> = collect_inputs(&args.inputs)?
        .into_iter()
        .filter_map(|input| match input {
            Input::File(path) => Some((id_of(&path), path)),
            Input::Stdin => None,
        })
        .filter(|(id, _)| truth.contains_key(id))
        .collect();
    if pages.is_empty() {
        anyhow::bail!(
            "no input file has an id (file stem) in {}",
            args.truth.display()
        );
    }
    let mut reports: Vec<(PageScore, PageReport)> = pages
        .par_iter()
        .map(|(id, path)| {
            let truth = &truth[id];
            let (prediction, error) = match std::fs::read(path) {
                Ok(content) => {
                    let outcome = pipeline.process(RawDocument {
                        source_uri: truth
                            .url
                            .clone()
                            .unwrap_or_else(|| path.display().to_string()),
                        content,
                        received_at: Some(now()),
                        ..Default::default()
                    });
                    match outcome.decoded_articles() {
                        Ok(articles) => {
                            let body = articles
                                .iter()
                                .map(|a| a.body.as_str())
                                .collect::<Vec<_>>()
                                .join("\n\n");
                            let error = outcome
                                .dead_letters
                                .first()
                                .map(|d| format!("{} `{}`: {}", d.stage, d.plugin, d.reason));
                            (body, error)
                        }
                        Err(e) => (String::new(), Some(format!("pipeline: {e}"))),
                    }
                }
                Err(e) => (String::new(), Some(e.to_string())),
            };
            let score = eval::score_page(&truth.article_body, &prediction);
            let report = PageReport {
                id: id.clone(),
                precision: score.precision(),
                recall: score.recall(),
                f1: score.f1(),
                error,
            };
            (score, report)
        })
        .collect();
    let summary = eval::summarize(&reports.iter().map(|(s, _)| *s).collect::<Vec<_>>());
    reports.sort_by(|a, b| a.1.f1.total_cmp(&b.1.f1).then_with(|| a.1.id.cmp(&b.1.id)));
    let worst: Vec<&PageReport> = reports.iter().map(|(_, r)| r).take(args.worst).collect();
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "summary": summary, "worst": worst })
        );
    } else {
        println!(
            "{} pages: precision {:.3}  recall {:.3}  F1 {:.3}",
            summary.pages, summary.precision, summary.recall, summary.f1
        );
        if !worst.is_empty() {
            println!("worst pages:");
            for page in worst {
                println!(
                    "  F1 {:.3}  P {:.3}  R {:.3}  {}{}",
                    page.f1,
                    page.precision,
                    page.recall,
                    page.id,
                    page.error
                        .as_deref()
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
