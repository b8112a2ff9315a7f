//! A real SMTP server for tests: `tests/smtp_sink.py` on aiosmtpd (Debian `python3-aiosmtpd`,
//! run with the system Python), storing accepted messages in a temporary folder, optionally
//! answering 451 to the first messages or requiring a login. Stopped on drop.
#![expect(
    clippy::unwrap_used,
    reason = "a test harness fails loudly on any unexpected error"
)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A relay on this host without login (`plain`, as only this host allows), from the corpus
/// company's service address, retrying at once up to 3 attempts.
pub fn plain_relay(port: u16) -> switchboard_server::mail::SmtpRelay {
    switchboard_server::mail::SmtpRelay {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: switchboard_server::mail::Security::Plain,
        user: None,
        password: None,
        from: "klantenservice@velora.example.nl".into(),
        from_name: Some("Velora Klantenservice".into()),
        max_attempts: 3,
        first_retry_seconds: 0,
        max_retry_seconds: 0,
    }
}

/// A local port nothing listens on.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running SMTP sink.
pub struct SmtpSink {
    folder: tempfile::TempDir,
    child: Child,
    /// The SMTP port on 127.0.0.1.
    pub port: u16,
}

impl SmtpSink {
    /// Starts the sink; it refuses the first `fail_first` messages with 451.
    pub fn start(fail_first: usize) -> Self {
        Self::spawn(fail_first, None)
    }

    /// Starts a sink that takes mail only after AUTH as `user` with `password`.
    pub fn start_with_login(user: &str, password: &str) -> Self {
        Self::spawn(0, Some(format!("{user}:{password}")))
    }

    fn spawn(fail_first: usize, login: Option<String>) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("smtp_sink.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(folder.path())
            .arg(port.to_string())
            .arg(fail_first.to_string())
            .args(login)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start the SMTP sink: {error}"));
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(
            ready.trim(),
            "ready",
            "the SMTP sink did not start (python3-aiosmtpd installed?)"
        );
        Self {
            folder,
            child,
            port,
        }
    }

    /// The messages accepted so far, in order: (envelope JSON, raw message).
    pub fn messages(&self) -> Vec<(serde_json::Value, String)> {
        let mut stems: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .unwrap()
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
            .collect();
        stems.sort();
        stems
            .into_iter()
            .filter_map(|eml| {
                let envelope = std::fs::read_to_string(eml.with_extension("env")).ok()?;
                let raw = std::fs::read_to_string(&eml).ok()?;
                Some((serde_json::from_str(&envelope).ok()?, raw))
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
