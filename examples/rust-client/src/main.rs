//! A minimal client of `akhbar serve`.
//!
//! ```sh
//! cargo run -p akhbar-client-example -- seeds/*.txt          # push, then replay from 0
//! AKHBAR_SERVER=http://127.0.0.1:50051 AKHBAR_TOKEN=… cargo run -p akhbar-client-example
//! ```
//!
//! Pushes the files named on the command line (if any), prints each
//! acknowledgement, then prints every stored article from offset 0 and
//! exits once caught up (`--follow` keeps waiting for new ones).

use akhbar_proto::v1::articles_client::ArticlesClient;
use akhbar_proto::v1::ingest_client::IngestClient;
use akhbar_proto::v1::subscribe_request::Start;
use akhbar_proto::v1::{PushRequest, RawDocument, SubscribeRequest};
use tokio_stream::StreamExt;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Request, Status};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = std::env::var("AKHBAR_SERVER").unwrap_or_else(|_| "http://127.0.0.1:50051".into());
    let token: Option<MetadataValue<_>> = match std::env::var("AKHBAR_TOKEN") {
        Ok(token) => Some(format!("Bearer {token}").parse()?),
        Err(_) => None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let follow = args.iter().any(|a| a == "--follow");
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();

    let channel = Channel::from_shared(server)?.connect().await?;
    // Ingest and Admin need the bearer token when the server has one.
    let with_token = move |mut request: Request<()>| -> Result<Request<()>, Status> {
        if let Some(token) = &token {
            request
                .metadata_mut()
                .insert("authorization", token.clone());
        }
        Ok(request)
    };

    if !files.is_empty() {
        let mut ingest = IngestClient::with_interceptor(channel.clone(), with_token);
        let mut requests = Vec::new();
        for path in files {
            requests.push(PushRequest {
                client_ref: path.clone(),
                document: Some(RawDocument {
                    source_uri: path.clone(),
                    content: tokio::fs::read(path).await?,
                    ..Default::default()
                }),
            });
        }
        // One acknowledgement per document, in order, once it is stored.
        let mut acks = ingest
            .push(tokio_stream::iter(requests))
            .await?
            .into_inner();
        while let Some(ack) = acks.next().await {
            let ack = ack?;
            for stored in &ack.articles {
                println!(
                    "stored {} as {} at offset {}",
                    ack.client_ref, stored.id, stored.offset
                );
            }
            for dead in &ack.dead_letters {
                println!("not stored {}: {}", ack.client_ref, dead.reason);
            }
            if !ack.error.is_empty() {
                println!("failed {}: {}", ack.client_ref, ack.error);
            }
        }
    }

    // Every message carries its offset: after a disconnect, resubscribe with
    // `resume_from = last + 1` to miss nothing and see nothing twice.
    // The server stores articles zstd-compressed and sends them as they are
    // to a client that accepts zstd (tonic's `zstd` feature).
    let mut articles = ArticlesClient::new(channel).accept_compressed(CompressionEncoding::Zstd);
    let mut stream = articles
        .subscribe(SubscribeRequest {
            start: Some(Start::ResumeFrom(0)),
            filter: None,
            until_caught_up: !follow,
        })
        .await?
        .into_inner();
    while let Some(message) = stream.next().await {
        let message = message?;
        let article = message.article.unwrap_or_default();
        println!(
            "{}\t{}\t{}",
            message.offset, article.language, article.title
        );
    }
    Ok(())
}
