//! `switchboard serve [--demo]`: HTTP and workers until SIGINT/SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::HttpServer;
use anyhow::Context;
use switchboard_store::BlobStore;
use switchboard_web::api::VoicemailWebhook;
use switchboard_web::api::webhook_secret::WebhookSecret;
use switchboard_web::{AppState, WebConfig};

use super::open_store;
use crate::channel_editor::{ChannelEditor, ChannelFiles};
use crate::channel_workers::ChannelWorkers;
use crate::config::Config;
use crate::demo::{self, DemoOutcome};
use crate::indexer::{self, Indexer, IndexerSettings};
use crate::pipeline::Pipeline;

/// Serves until a shutdown signal; in-flight requests finish first.
pub async fn run(config: Config, with_demo: bool) -> anyhow::Result<ExitCode> {
    tracing::info!(config = %config.summary(), "starting");
    tracing::debug!(config = ?config, "configuration");
    let store = open_store(&config).await?;
    if with_demo {
        match demo::prepare(&store).await? {
            DemoOutcome::Seeded => announce_demo("seeded fictional demo data"),
            DemoOutcome::AlreadySeeded => announce_demo("using the demo data seeded earlier"),
        }
    }
    let router = crate::dispatch::start(store.clone(), &config.database_url());
    let outbox = crate::mail::prepare_outbox(&config, store.clone())?;
    let acknowledger = outbox.as_ref().map(|outbox| outbox.acknowledger.clone());
    let (pipeline_settings, sla_version) =
        crate::sla_settings::pipeline_settings(&config, store.as_ref()).await?;
    let pipeline = Pipeline::new(
        store.clone(),
        BlobStore::new(config.blob_dir()),
        pipeline_settings,
    )
    .await
    .context("cannot start the ingest pipeline")?
    .waking(router.clone());
    let pipeline = match &acknowledger {
        Some(acknowledger) => pipeline.acknowledging(acknowledger.clone()),
        None => pipeline,
    };
    // Imports by the CLI or another node reach this node's linker within seconds, and SLA
    // settings saved on another node its pipeline and pages.
    pipeline.follow_master_data(std::time::Duration::from_secs(5));
    let sla = pipeline.sla_policy();
    crate::sla_settings::follow(
        store.clone(),
        config.sla.clone(),
        sla.clone(),
        sla_version,
        std::time::Duration::from_secs(5),
    );
    let recovered = pipeline.recover().await?;
    if recovered > 0 {
        tracing::info!(recovered, "processed inputs left landed by an earlier run");
    }
    // The index catches up in its task; until then searches may lag behind the database.
    let indexer = Indexer::open(
        indexer::index_root(&config),
        indexer::index_config(&config),
        store.clone(),
        IndexerSettings::default(),
    )
    .await?;
    let search = indexer.search();
    let pipeline = Arc::new(pipeline.waking_indexer(indexer.waker()));
    let indexer = indexer.spawn();
    let router_data = actix_web::web::Data::from(router.as_router_handle());
    // Mailboxes, watched folders and the SMTP relay: the file's, or those an admin saved
    // (followed from the database, so a change on any node reaches this one within seconds).
    let workers = ChannelWorkers::new(pipeline.clone(), acknowledger, config.database_url());
    let channel_editor = ChannelEditor::start(
        store.clone(),
        ChannelFiles {
            imap: config.mail.imap.clone(),
            folders: config.watch.clone(),
            relay: outbox.as_ref().map(|outbox| outbox.relay.clone()),
        },
        workers,
    )
    .await?;
    channel_editor.follow(std::time::Duration::from_secs(5));
    if let Some(outbox) = &outbox {
        outbox.start_sending();
    }
    let state = AppState::new(
        store,
        WebConfig {
            max_json_bytes: config.max_json_bytes,
            max_import_bytes: config.max_import_bytes,
            max_inbound_bytes: config.max_inbound_bytes,
            sessions: config.sessions.web(config.secure_cookies),
        },
    )
    .with_ingestor(pipeline.clone())
    .with_tasks(pipeline)
    .with_search(search)
    .with_attachment_bytes(Arc::new(BlobStore::new(config.blob_dir())))
    .with_channels(crate::channel_overview::channel_overview(&config))
    .with_channel_settings(channel_editor.clone())
    .with_shared_sla(sla, config.sla.clone());
    let state = match outbox {
        Some(outbox) => state.with_outbound_mail(outbox.mail),
        None => state,
    };
    // The webhook is served while a secret is in force: the file's, or one an admin saved.
    let settings = &config.voicemail_webhook;
    let mut webhook = VoicemailWebhook::new(
        Vec::new(),
        chrono::TimeDelta::seconds(settings.tolerance_seconds),
        Vec::new(),
    );
    webhook.secret = WebhookSecret::from_file(settings.secret.as_deref().map(str::as_bytes));
    crate::channel_settings::apply_saved_webhook_secret(state.store.as_ref(), &webhook.secret)
        .await?;
    crate::channel_settings::follow_webhook_secret(
        state.store.clone(),
        webhook.secret.clone(),
        std::time::Duration::from_secs(5),
    );
    webhook.recording_urls = settings.recording_policy();
    webhook.max_upload_bytes = settings.max_upload_bytes(webhook.max_body_bytes);
    let state = state.with_voicemail_webhook(webhook);
    crate::session_sweeper::start(
        state.store.clone(),
        state.clock.clone(),
        state.config.sessions.idle_timeout,
        crate::session_sweeper::SWEEP_EVERY,
    );
    crate::backlog_sampler::start(
        state.store.clone(),
        state.clock.clone(),
        crate::backlog_sampler::SAMPLE_EVERY,
    );
    let app = move || switchboard_web::create_app(state.clone()).app_data(router_data.clone());
    let server = HttpServer::new(app)
        .bind(&config.listen)
        .with_context(|| format!("cannot listen on {}", config.listen))?
        .shutdown_timeout(10);
    for address in server.addrs() {
        eprintln!("switchboard listening on http://{address}");
    }
    let served = server.run().await.context("HTTP server failed");
    // Each mailbox reader and folder scanner finishes its batch.
    channel_editor.stop().await;
    match indexer.shutdown().await {
        Ok(applied_seq) => tracing::info!(applied_seq, "search index closed"),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "search index not closed cleanly")
        }
    }
    served?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn announce_demo(what: &str) {
    eprintln!(
        "demo: {what}; sign in as admin, lead or agent with the password {:?}",
        demo::DEMO_PASSWORD
    );
}
