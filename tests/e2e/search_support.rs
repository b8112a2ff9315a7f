//! Shared set-up of the search tests: a store with master data and corpus e-mails on every
//! configured database, an indexer on its own folder, and searches through the HTTP API.

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::test;
use switchboard_core::item::Channel;
use switchboard_core::store::Store;
use switchboard_core::user::Role;
use switchboard_server::Config;
use switchboard_server::indexer::{self, Indexer, IndexerSettings};
use switchboard_server::pipeline::{IngestOutcome, Pipeline};
use switchboard_store::BlobStore;
use switchboard_tests::{corpus_dir, import_master, stores, token, velora_config};
use switchboard_web::{AppState, WebConfig, create_app};

/// One database with master data, a pipeline and an agent token.
pub struct Setup {
    pub label: String,
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub pipeline: Pipeline,
    pub agent: String,
}

/// Builds a set-up on every configured database under `folder`.
pub async fn setups(folder: &std::path::Path) -> Vec<Setup> {
    let mut setups = Vec::new();
    for (label, store, url) in stores(folder).await {
        let mut config = velora_config(&folder.join(&label));
        config.database_url = Some(url);
        import_master(&store).await;
        let pipeline = Pipeline::new(
            store.clone(),
            BlobStore::new(config.blob_dir()),
            config.pipeline_settings(),
        )
        .await
        .unwrap();
        let agent = token(&store, Role::Agent).await;
        setups.push(Setup {
            label,
            store,
            config,
            pipeline,
            agent,
        });
    }
    setups
}

/// The development corpus e-mails, in name order.
pub fn email_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir().join("dev/email"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

impl Setup {
    /// Ingests e-mails through the live pipeline.
    pub async fn ingest(&self, files: &[PathBuf]) {
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let outcome = self
                .pipeline
                .ingest_raw(Channel::Email, &name, std::fs::read(file).unwrap())
                .await
                .unwrap();
            assert!(
                matches!(outcome, IngestOutcome::Ingested { .. }),
                "{name}: {outcome:?}"
            );
        }
    }

    /// Opens the indexer on this set-up's index folder (without starting it).
    pub async fn indexer(&self) -> Indexer {
        Indexer::open(
            indexer::index_root(&self.config),
            indexer::index_config(&self.config),
            self.store.clone(),
            IndexerSettings::default(),
        )
        .await
        .unwrap()
    }

    /// The app state with the indexer's search port.
    pub fn state(&self, indexer: &Indexer) -> AppState {
        AppState::new(self.store.clone(), WebConfig::default()).with_search(indexer.search())
    }

    /// Searches through the HTTP API and returns the status and JSON body.
    pub async fn get(&self, state: &AppState, query: &str) -> (u16, serde_json::Value) {
        let app = test::init_service(create_app(state.clone())).await;
        let request = test::TestRequest::get()
            .uri(&format!("/api/v1/search?{query}"))
            .insert_header(("Authorization", format!("Bearer {}", self.agent)))
            .to_request();
        let response = test::call_service(&app, request).await;
        let status = response.status().as_u16();
        let body = test::read_body(response).await;
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    /// Searches and returns the hits, failing on any status but 200.
    pub async fn hits(&self, state: &AppState, query: &str) -> Vec<serde_json::Value> {
        let (status, body) = self.get(state, query).await;
        assert_eq!(status, 200, "{}: {query}: {body}", self.label);
        body["hits"].as_array().unwrap().clone()
    }
}

/// The `kind:id` of each hit, in order.
pub fn keys(hits: &[serde_json::Value]) -> Vec<String> {
    hits.iter()
        .map(|hit| format!("{}:{}", hit["kind"].as_str().unwrap(), hit["id"]))
        .collect()
}
