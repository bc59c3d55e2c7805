//! `akhbar tail`: prints stored articles as they arrive, one JSON object per
//! line: `{"offset": N, "article": {…}}`. Without `--from` it prints only new
//! articles; reconnect with `--from <last offset + 1>` to miss nothing.

use std::io::Write;
use std::process::ExitCode;

use akhbar_proto::v1::articles_client::ArticlesClient;
use akhbar_proto::v1::subscribe_request::Start;
use akhbar_proto::v1::{ArticleFilter, SubscribeRequest};
use anyhow::Context;
use tokio_stream::StreamExt;

use crate::service::client::ClientArgs;
use crate::settings::CommonArgs;

/// Flags of `akhbar tail`.
#[derive(Debug, clap::Args)]
pub struct TailArgs {
    /// Start at this offset (0 = everything kept); default: new articles only.
    #[arg(long)]
    from: Option<u64>,
    /// Only articles in this language (repeatable).
    #[arg(long = "lang")]
    languages: Vec<String>,
    /// Only articles naming this entity: canonical id, name or text (repeatable).
    #[arg(long = "entity")]
    entities: Vec<String>,
    /// Only articles with this keyword or word (repeatable).
    #[arg(long = "keyword")]
    keywords: Vec<String>,
    /// Only articles from this site (repeatable).
    #[arg(long = "site")]
    sites: Vec<String>,
    /// Only articles of this story (repeatable).
    #[arg(long = "story")]
    stories: Vec<String>,
    /// Exit once every stored article has been printed.
    #[arg(long)]
    no_follow: bool,
    /// Exit after this many articles.
    #[arg(long, short = 'n')]
    limit: Option<u64>,
    #[command(flatten)]
    client: ClientArgs,
}

pub fn run(_common: &CommonArgs, args: TailArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(tail(args))
}

async fn tail(args: TailArgs) -> anyhow::Result<ExitCode> {
    let (channel, token) = args.client.connect().await?;
    // The store keeps articles zstd-compressed: accepting zstd gets them as
    // stored, about a fifth of the bytes.
    let mut client = ArticlesClient::with_interceptor(channel, token)
        .accept_compressed(tonic::codec::CompressionEncoding::Zstd)
        .max_decoding_message_size(args.client.max_message_bytes);
    let request = SubscribeRequest {
        start: Some(match args.from {
            Some(offset) => Start::ResumeFrom(offset),
            None => Start::LiveOnly(true),
        }),
        filter: Some(ArticleFilter {
            languages: args.languages,
            entities: args.entities,
            keywords: args.keywords,
            sites: args.sites,
            story_ids: args.stories,
        }),
        until_caught_up: args.no_follow,
    };
    let mut stream = client
        .subscribe(request)
        .await
        .context("Subscribe was refused")?
        .into_inner();
    let stdout = std::io::stdout();
    let mut printed = 0u64;
    while let Some(message) = stream.next().await {
        let message = message.context("the stream ended")?;
        let mut out = stdout.lock();
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({"offset": message.offset, "article": message.article}),
        )?;
        out.write_all(b"\n")?;
        out.flush()?;
        printed += 1;
        if args.limit.is_some_and(|limit| printed >= limit) {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
