//! `switchboard serve [--demo]`: HTTP and workers until SIGINT/SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::HttpServer;
use anyhow::Context;
use switchboard_store::BlobStore;
use switchboard_web::{AppState, WebConfig};

use super::open_store;
use crate::config::Config;
use crate::demo::{self, DemoOutcome};
use crate::pipeline::Pipeline;

/// Serves until a shutdown signal; in-flight requests finish first.
pub async fn run(config: Config, with_demo: bool) -> anyhow::Result<ExitCode> {
    tracing::info!(config = ?config, "starting");
    let store = open_store(&config).await?;
    if with_demo {
        match demo::prepare(&store).await? {
            DemoOutcome::Seeded => announce_demo("seeded fictional demo data"),
            DemoOutcome::AlreadySeeded => announce_demo("using the demo data seeded earlier"),
        }
    }
    let pipeline = Pipeline::new(
        store.clone(),
        BlobStore::new(config.blob_dir()),
        config.pipeline_settings(),
    )
    .await
    .context("cannot start the ingest pipeline")?;
    let recovered = pipeline.recover().await?;
    if recovered > 0 {
        tracing::info!(recovered, "processed inputs left landed by an earlier run");
    }
    let state = AppState::new(
        store,
        WebConfig {
            max_json_bytes: config.max_json_bytes,
            max_import_bytes: config.max_import_bytes,
            max_inbound_bytes: config.max_inbound_bytes,
        },
    )
    .with_ingestor(Arc::new(pipeline));
    let server = HttpServer::new(move || switchboard_web::create_app(state.clone()))
        .bind(&config.listen)
        .with_context(|| format!("cannot listen on {}", config.listen))?
        .shutdown_timeout(10);
    for address in server.addrs() {
        eprintln!("switchboard listening on http://{address}");
    }
    server.run().await.context("HTTP server failed")?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn announce_demo(what: &str) {
    eprintln!(
        "demo: {what}; sign in as admin, lead or agent with the password {:?}",
        demo::DEMO_PASSWORD
    );
}
