//! `akhbar push FILES…`: sends documents to a server over `Ingest.Push` and
//! prints one JSON acknowledgement per document, in order (proto3 JSON:
//! fields at their default, such as `sequence` 0 or `offset` 0, are left out).
//! Exit status: 0 when every document was acknowledged and at least one
//! article stored, 1 when none was, 2 when the stream failed.

use std::io::Write;
use std::process::ExitCode;

use akhbar_proto::v1::ingest_client::IngestClient;
use akhbar_proto::v1::{PushRequest, RawDocument};
use anyhow::Context;
use tokio_stream::StreamExt;

use crate::cmd::run::{Input, collect_inputs, now};
use crate::service::client::ClientArgs;
use crate::settings::CommonArgs;

/// Flags of `akhbar push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Files or folders (read recursively).
    #[arg(required = true)]
    inputs: Vec<String>,
    #[command(flatten)]
    client: ClientArgs,
    /// Documents in flight at once.
    #[arg(long, default_value_t = 64)]
    window: usize,
}

pub fn run(_common: &CommonArgs, args: PushArgs) -> anyhow::Result<ExitCode> {
    let inputs = collect_inputs(&args.inputs)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(push(inputs, args))
}

async fn push(inputs: Vec<Input>, args: PushArgs) -> anyhow::Result<ExitCode> {
    let (channel, token) = args.client.connect().await?;
    let mut client = IngestClient::with_interceptor(channel, token)
        .max_decoding_message_size(args.client.max_message_bytes)
        .max_encoding_message_size(args.client.max_message_bytes);
    let total = inputs.len();
    let (tx, rx) = tokio::sync::mpsc::channel(args.window.max(1));
    let reader = tokio::spawn(async move {
        for input in inputs {
            let (uri, content) = match &input {
                Input::File(path) => (
                    path.display().to_string(),
                    tokio::fs::read(path)
                        .await
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                Input::Stdin => anyhow::bail!("push does not read stdin"),
            };
            let request = PushRequest {
                client_ref: uri.clone(),
                document: Some(RawDocument {
                    source_uri: uri,
                    content,
                    received_at: Some(now()),
                    ..Default::default()
                }),
            };
            if tx.send(request).await.is_err() {
                break;
            }
        }
        anyhow::Ok(())
    });
    let mut acks = client
        .push(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .context("Push was refused")?
        .into_inner();
    let stdout = std::io::stdout();
    let (mut articles, mut failed, mut received) = (0usize, 0usize, 0usize);
    while let Some(ack) = acks.next().await {
        let ack = ack.context("the Push stream failed")?;
        received += 1;
        articles += ack.articles.len();
        if !ack.error.is_empty() || ack.articles.is_empty() {
            failed += 1;
        }
        let mut out = stdout.lock();
        serde_json::to_writer(&mut out, &ack)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    reader.await??;
    eprintln!(
        "akhbar: {received}/{total} documents acknowledged, {articles} articles stored, {failed} without an article"
    );
    // As `akhbar run`: dead letters are reported (and kept by the server),
    // not a failure; no article at all is.
    Ok(if received < total {
        ExitCode::from(2)
    } else if articles == 0 && total > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
