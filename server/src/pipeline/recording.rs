//! A voicemail webhook's recording: uploaded with it (a `multipart/form-data` input, split
//! here), or fetched from the URL it names.
//!
//! The fetch never lets a forged or
//! careless callback point the server at itself or the internal network: https only (http when
//! configured), hosts on the allow-list only, the name resolved here and every address checked
//! *after* resolution (loopback, private, link-local, metadata, ... refused), the connection
//! pinned to the checked addresses (no second lookup to rebind), no redirects, no proxy, a size
//! limit and a timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use switchboard_channels::voicemail::{
    RecordingUrlPolicy, WebhookPayload, check_recording_url_with, is_forbidden_address,
    leading_boundary, read_upload,
};
use switchboard_core::item::Channel;
use url::{Host, Url};

/// Settings of the recording fetch.
#[derive(Debug, Clone)]
pub struct RecordingFetchSettings {
    /// Which URLs may be fetched (empty allow-list: none).
    pub policy: RecordingUrlPolicy,
    /// Largest recording, in bytes.
    pub max_bytes: usize,
    /// Longest the whole fetch may take.
    pub timeout: Duration,
}

impl Default for RecordingFetchSettings {
    fn default() -> Self {
        Self {
            policy: RecordingUrlPolicy::default(),
            max_bytes: 20 * 1024 * 1024,
            timeout: Duration::from_secs(30),
        }
    }
}

/// A fetched or uploaded recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedRecording {
    /// The bytes.
    pub content: Vec<u8>,
    /// The last path segment of the URL (or the uploaded file's name), as a file name hint.
    pub file_name: Option<String>,
}

/// Resolves a host name to the addresses a fetch may connect to. Implementations return only
/// addresses that are safe to connect to; [`PublicDns`] is the one the server uses.
#[async_trait]
pub trait RecordingResolver: Send + Sync {
    /// The addresses of `host` at `port`, or why none may be used.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String>;
}

/// The system resolver, refusing a name when any of its addresses is one the server must never
/// fetch from (so a name cannot be made to point inside by adding one public address).
pub struct PublicDns;

#[async_trait]
impl RecordingResolver for PublicDns {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|error| format!("cannot resolve {host}: {error}"))?
            .collect();
        if let Some(forbidden) = addresses
            .iter()
            .find(|address| is_forbidden_address(address.ip()))
        {
            return Err(format!(
                "{host} resolves to the forbidden address {}",
                forbidden.ip()
            ));
        }
        if addresses.is_empty() {
            return Err(format!("{host} has no address"));
        }
        Ok(addresses)
    }
}

/// Fetches recordings under the settings' policy.
#[derive(Clone)]
pub struct RecordingFetcher {
    settings: RecordingFetchSettings,
    resolver: Arc<dyn RecordingResolver>,
}

impl RecordingFetcher {
    /// A fetcher resolving names with the system resolver.
    pub fn new(settings: RecordingFetchSettings) -> Self {
        Self {
            settings,
            resolver: Arc::new(PublicDns),
        }
    }

    /// The same fetcher resolving names with `resolver` (tests map a name to a local server).
    pub fn with_resolver(mut self, resolver: Arc<dyn RecordingResolver>) -> Self {
        self.resolver = resolver;
        self
    }

    /// The input the parser reads and the recording that goes with it: for an upload, its JSON
    /// payload and its uploaded recording (fetching the payload's URL when it has none); for
    /// any other input, the input itself and the fetch of the URL it names. An upload that
    /// cannot be split is an error saying why.
    pub async fn recording_for(
        &self,
        channel: Channel,
        raw: Arc<Vec<u8>>,
    ) -> Result<(Arc<Vec<u8>>, Option<Result<FetchedRecording, String>>), String> {
        let boundary = (channel == Channel::Voicemail)
            .then(|| leading_boundary(&raw))
            .flatten()
            .map(str::to_owned);
        let Some(boundary) = boundary else {
            let recording = self.fetch_for(channel, &raw).await;
            return Ok((raw, recording));
        };
        let upload = read_upload(raw.to_vec(), &boundary)
            .await
            .map_err(|error| error.to_string())?;
        let payload = upload.payload;
        let recording = match upload.recording {
            Some(uploaded) => Some(Ok(FetchedRecording {
                content: uploaded.content,
                file_name: uploaded.file_name,
            })),
            None => self.fetch_for(channel, &payload).await,
        };
        Ok((Arc::new(payload), recording))
    }

    /// Fetches the recording a voicemail input's webhook payload names, when fetching is
    /// configured (a non-empty allow-list) and the input is one that names a URL.
    pub async fn fetch_for(
        &self,
        channel: Channel,
        raw: &[u8],
    ) -> Option<Result<FetchedRecording, String>> {
        if channel != Channel::Voicemail || self.settings.policy.allowed_hosts.is_empty() {
            return None;
        }
        let url = Self::recording_url_of(raw)?;
        Some(self.fetch(&url).await)
    }

    /// The recording URL of a webhook payload (JSON), if the input is one and names one.
    pub fn recording_url_of(raw: &[u8]) -> Option<String> {
        let first = raw.iter().find(|byte| !byte.is_ascii_whitespace())?;
        if *first != b'{' {
            return None;
        }
        let payload: WebhookPayload = serde_json::from_slice(raw).ok()?;
        payload.recording_url.filter(|url| !url.trim().is_empty())
    }

    /// Fetches one recording, or says why not.
    pub async fn fetch(&self, url: &str) -> Result<FetchedRecording, String> {
        let url = check_recording_url_with(url, &self.settings.policy)
            .map_err(|rejected| rejected.to_string())?;
        let client = self.client_for(&url).await?;
        tokio::time::timeout(self.settings.timeout, self.download(&client, &url))
            .await
            .map_err(|_| format!("no complete answer within {:?}", self.settings.timeout))?
    }

    /// A client that connects only to the checked addresses of the URL's host.
    async fn client_for(&self, url: &Url) -> Result<reqwest::Client, String> {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(self.settings.timeout)
            .timeout(self.settings.timeout);
        let builder = match url.host() {
            Some(Host::Domain(domain)) => {
                let port = url
                    .port_or_known_default()
                    .ok_or_else(|| "recording url has no port".to_owned())?;
                let addresses = self.resolver.resolve(domain, port).await?;
                builder.resolve_to_addrs(domain, &addresses)
            }
            // Address literals were checked with the URL.
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => builder,
            None => return Err("recording url has no host".to_owned()),
        };
        builder
            .build()
            .map_err(|error| format!("cannot build the http client: {error}"))
    }

    async fn download(
        &self,
        client: &reqwest::Client,
        url: &Url,
    ) -> Result<FetchedRecording, String> {
        let mut response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|error| format!("fetch failed: {}", error.without_url()))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(format!(
                "the recording host answered {status}; redirects are not followed"
            ));
        }
        if !status.is_success() {
            return Err(format!("the recording host answered {status}"));
        }
        let limit = self.settings.max_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(format!("the recording is over the limit of {limit} bytes"));
        }
        let mut content = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| format!("fetch failed: {}", error.without_url()))?
        {
            if content.len() + chunk.len() > limit {
                return Err(format!("the recording is over the limit of {limit} bytes"));
            }
            content.extend_from_slice(&chunk);
        }
        let file_name = url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        Ok(FetchedRecording { content, file_name })
    }
}
