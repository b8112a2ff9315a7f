//! A real headless Chromium for UI tests: Debian's `chromium` driven through `chromedriver`
//! (WebDriver) on a free local port, and the real app served over HTTP on another.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// Chromium under WebDriver; the driver process ends when this is dropped.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("no free port: {error}"))
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium with its own profile.
    pub async fn start() -> Self {
        // Both rustls back ends are in the build (the WebDriver client's and the mail TLS's);
        // name one. A second call finds it installed, which is fine.
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start chromedriver (Debian package chromium-driver): {error}")
            });
        let webdriver = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if http
                .get(format!("{webdriver}/status"))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not answer on port {port}");
        let profile = tempfile::tempdir().unwrap_or_else(|error| panic!("no profile dir: {error}"));
        let arguments = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": arguments },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::rustls()
            .unwrap_or_else(|error| panic!("no TLS roots: {error}"))
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .unwrap_or_else(|error| panic!("cannot start a Chromium session: {error}"));
        Self {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Writes a PNG screenshot of the page to `$CARGO_TARGET_TMPDIR/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&folder).unwrap_or_else(|error| panic!("{error}"));
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|error| panic!("screenshot failed: {error}"));
        let path = folder.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|error| panic!("{error}"));
        path
    }

    /// Types into the field named `name`.
    pub async fn fill(&self, name: &str, text: &str) {
        self.fill_in("body", name, text).await;
    }

    /// Types into the field named `name` inside the element `scope` selects (a form of several
    /// on the page).
    pub async fn fill_in(&self, scope: &str, name: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("{scope} [name='{name}']")))
            .await
            .unwrap_or_else(|error| panic!("no field {name} in {scope}: {error}"));
        field
            .clear()
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("cannot type into {name}: {error}"));
    }

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("nothing matches {css}: {error}"))
            .click()
            .await
            .unwrap_or_else(|error| panic!("cannot click {css}: {error}"));
    }

    /// Clicks the element `css` selects and waits until the next page has loaded (a form post
    /// that lands on the same URL included).
    pub async fn click_and_wait(&self, css: &str) {
        self.script("window.__previousPage = true; return true")
            .await;
        self.click(css).await;
        for _ in 0..100 {
            let loaded = self
                .script(
                    "return window.__previousPage === undefined && \
                     document.readyState === 'complete'",
                )
                .await;
            if loaded == serde_json::Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("clicking {css} loaded no new page");
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap_or_else(|error| panic!("no body: {error}"))
            .text()
            .await
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// Runs a script in the page and returns its value.
    pub async fn script(&self, source: &str) -> serde_json::Value {
        self.client
            .execute(source, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}"))
    }

    /// The current URL's path.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|url| url.path().to_owned())
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// Ends the browser session.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
