//! Voicemail recordings fetched from the URL a webhook names: stored as the item's attachment
//! when the host is allowed; redirects, loopback and private addresses (after resolution),
//! hosts off the allow-list and oversize recordings are refused, the voicemail kept with the
//! reason. A PBX cannot run here, so the allowed name reaches a local server through a
//! test resolver; the refusals go through the real resolver and policy.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use switchboard_channels::voicemail::RecordingUrlPolicy;
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::Channel;
use switchboard_server::pipeline::Pipeline;
use switchboard_server::pipeline::recording::{
    RecordingFetchSettings, RecordingFetcher, RecordingResolver,
};
use switchboard_store::BlobStore;
use switchboard_tests::attachment_bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ALLOWED_HOST: &str = "recordings.test";

/// One second of 8 kHz mono 16-bit silence as a WAV file.
fn wav() -> Vec<u8> {
    switchboard_tests::pcm_wav(8_000, |_| 0)
}

/// A local HTTP server: `/r/ok.wav` answers the recording, `/r/moved.wav` redirects to it.
struct RecordingServer {
    port: u16,
    requests: Arc<AtomicUsize>,
}

async fn recording_server() -> RecordingServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut request = vec![0_u8; 4096];
            let read = socket.read(&mut request).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&request[..read]).into_owned();
            let response = if head.starts_with("GET /r/ok.wav ") {
                let body = wav();
                let mut response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                response.extend_from_slice(&body);
                response
            } else {
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: http://{ALLOWED_HOST}:{port}/r/ok.wav\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .into_bytes()
            };
            let _ = socket.write_all(&response).await;
            let _ = socket.shutdown().await;
        }
    });
    RecordingServer { port, requests }
}

/// The test seam: the allowed name is the local server.
struct LocalServer(u16);

#[async_trait]
impl RecordingResolver for LocalServer {
    async fn resolve(&self, host: &str, _port: u16) -> Result<Vec<SocketAddr>, String> {
        if host == ALLOWED_HOST {
            Ok(vec![SocketAddr::from(([127, 0, 0, 1], self.0))])
        } else {
            Err(format!("{host} is unknown here"))
        }
    }
}

fn settings(hosts: &[&str], port: u16) -> RecordingFetchSettings {
    RecordingFetchSettings {
        policy: RecordingUrlPolicy {
            allowed_hosts: hosts.iter().map(|host| (*host).to_owned()).collect(),
            allow_http: true,
            allowed_ports: vec![port],
        },
        max_bytes: 1024 * 1024,
        timeout: Duration::from_secs(5),
    }
}

fn webhook(call_id: &str, recording_url: &str) -> Vec<u8> {
    serde_json::json!({
        "event": "recording.completed",
        "call_id": call_id,
        "from": "+31201234567",
        "to": "+31235550100",
        "started_at": "2025-03-03T09:00:00Z",
        "recording_url": recording_url,
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn an_allowed_recording_becomes_the_items_attachment_and_redirects_are_not_followed() {
    let server = recording_server().await;
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let blobs = BlobStore::new(folder.path().join("blobs"));
    let mut pipeline_settings = switchboard_server::Config::default().pipeline_settings();
    pipeline_settings.recordings = settings(&[ALLOWED_HOST], server.port);
    let pipeline = Pipeline::new(store.clone(), blobs.clone(), pipeline_settings)
        .await
        .unwrap()
        .with_recording_resolver(Arc::new(LocalServer(server.port)));

    let good = webhook(
        "call-1",
        &format!("http://{ALLOWED_HOST}:{}/r/ok.wav", server.port),
    );
    let outcome = pipeline
        .ingest_raw(Channel::Voicemail, "webhook.json", good)
        .await
        .unwrap();
    let IngestOutcome::Ingested { item, .. } = outcome else {
        panic!("{outcome:?}");
    };
    let attachments = store.attachments_of(item).await.unwrap();
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    assert_eq!(attachments[0].sniffed_type.as_deref(), Some("audio/wav"));
    assert_eq!(attachments[0].file_name, "ok.wav");
    assert_eq!(
        attachment_bytes(&store, &blobs, item, &attachments[0]).await,
        wav()
    );
    let stored = store.item(item).await.unwrap().unwrap();
    assert!(stored.warnings.is_empty(), "{:?}", stored.warnings);
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);

    let moved = webhook(
        "call-2",
        &format!("http://{ALLOWED_HOST}:{}/r/moved.wav", server.port),
    );
    let outcome = pipeline
        .ingest_raw(Channel::Voicemail, "webhook.json", moved)
        .await
        .unwrap();
    let IngestOutcome::Ingested { item, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(store.attachments_of(item).await.unwrap().is_empty());
    let stored = store.item(item).await.unwrap().unwrap();
    assert!(
        stored
            .warnings
            .iter()
            .any(|warning| warning.contains("redirects are not followed")),
        "the voicemail is kept with the reason: {:?}",
        stored.warnings
    );
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        2,
        "the redirect's target was not requested"
    );
}

#[tokio::test]
async fn loopback_private_and_unlisted_hosts_are_refused_before_connecting() {
    let server = recording_server().await;
    let port = server.port;
    // The real resolver and policy: "localhost" is allowed by name but resolves to loopback.
    let fetcher = RecordingFetcher::new(settings(&["localhost", "127.0.0.1", "10.0.0.8"], port));
    for url in [
        format!("http://localhost:{port}/r/ok.wav"),
        format!("http://127.0.0.1:{port}/r/ok.wav"),
        format!("http://10.0.0.8:{port}/r/ok.wav"),
        format!("http://169.254.169.254:{port}/latest/meta-data"),
        format!("http://[::1]:{port}/r/ok.wav"),
    ] {
        let refused = fetcher.fetch(&url).await.unwrap_err();
        assert!(refused.contains("forbidden address"), "{url}: {refused}");
    }
    let unlisted = fetcher
        .fetch(&format!("http://{ALLOWED_HOST}:{port}/r/ok.wav"))
        .await
        .unwrap_err();
    assert!(unlisted.contains("allow-list"), "{unlisted}");
    let https_only = RecordingFetcher::new(RecordingFetchSettings {
        policy: RecordingUrlPolicy {
            allowed_hosts: vec![ALLOWED_HOST.into()],
            ..RecordingUrlPolicy::default()
        },
        ..RecordingFetchSettings::default()
    });
    let plain = https_only
        .fetch(&format!("http://{ALLOWED_HOST}/r/ok.wav"))
        .await
        .unwrap_err();
    assert!(plain.contains("scheme"), "{plain}");
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        0,
        "nothing refused ever reached the server"
    );

    // Through the seam the same server answers, but a recording over the limit is refused.
    let mut small = settings(&[ALLOWED_HOST], port);
    small.max_bytes = 1_000;
    let limited = RecordingFetcher::new(small).with_resolver(Arc::new(LocalServer(port)));
    let oversize = limited
        .fetch(&format!("http://{ALLOWED_HOST}:{port}/r/ok.wav"))
        .await
        .unwrap_err();
    assert!(oversize.contains("over the limit"), "{oversize}");
}
