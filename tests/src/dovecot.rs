//! A real Dovecot IMAP server for tests: a temporary configuration and maildir, plaintext login
//! on a free loopback port, run in the foreground as a child process and stopped on drop.
//! Also compiled into the server crate's IMAP crash test (by path), so it uses only what both
//! crates have.

#![expect(
    clippy::unwrap_used,
    reason = "a test harness fails loudly on any unexpected error"
)]

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchboard_server::mail::imap;
use switchboard_server::mail::settings::DEFAULT_FETCH_BATCH;
use switchboard_server::mail::{ImapAccount, ProcessedAction, Secret, Security};

/// The test mailbox's login and password.
pub const USER: &str = "service";
const PASSWORD: &str = "imap-test-password";

/// A running Dovecot.
pub struct Dovecot {
    folder: tempfile::TempDir,
    child: Child,
    /// The IMAP port on 127.0.0.1.
    pub port: u16,
}

impl Dovecot {
    /// Starts Dovecot and waits until it accepts connections.
    pub async fn start() -> Self {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path();
        // Dovecot's own processes (running as its users when we are root) must reach the folder.
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mail = root.join("mail");
        for folder in [&mail, &root.join("run"), &root.join("state")] {
            std::fs::create_dir(folder).unwrap();
        }
        let (uid, gid) = mail_owner(root);
        std::os::unix::fs::chown(&mail, Some(uid), Some(gid)).unwrap();
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let port = free_port();
        let config = root.join("dovecot.conf");
        std::fs::File::create(&config)
            .unwrap()
            .write_all(configuration(root, port, uid, gid).as_bytes())
            .unwrap();
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start dovecot (dovecot-imapd): {error}"));
        let dovecot = Self {
            folder,
            child,
            port,
        };
        dovecot.wait_until_listening().await;
        dovecot
    }

    /// The account settings for the test mailbox, checking every `poll_seconds` without IDLE.
    pub fn account(&self, processed: ProcessedAction) -> ImapAccount {
        ImapAccount {
            name: "test".to_owned(),
            host: "127.0.0.1".to_owned(),
            port: Some(self.port),
            security: Security::Plain,
            user: USER.to_owned(),
            password: Secret::new(PASSWORD),
            folder: "INBOX".to_owned(),
            processed,
            poll_seconds: 60,
            fetch_batch: DEFAULT_FETCH_BATCH,
            acknowledge: false,
        }
    }

    /// Appends messages to a folder over IMAP, as a mail server delivering them would.
    pub async fn append(&self, folder: &str, messages: &[Vec<u8>]) {
        let mut session = imap::connect(&self.account(ProcessedAction::default()))
            .await
            .unwrap();
        for message in messages {
            session.append(folder, None, None, message).await.unwrap();
        }
        session.logout().await.unwrap();
    }

    /// Creates a folder.
    pub async fn create_folder(&self, folder: &str) {
        let mut session = imap::connect(&self.account(ProcessedAction::default()))
            .await
            .unwrap();
        session.create(folder).await.unwrap();
        session.logout().await.unwrap();
    }

    /// How many messages of a folder match an IMAP search, e.g. `UNKEYWORD $Switchboard`.
    pub async fn count(&self, folder: &str, query: &str) -> usize {
        let account = self.account(ProcessedAction::default());
        let mut attempts = 0;
        // A busy server may refuse a login now and then; the count is what matters.
        let mut session = loop {
            match imap::connect(&account).await {
                Ok(session) => break session,
                Err(error) if attempts < 10 => {
                    attempts += 1;
                    eprintln!("dovecot count: login failed ({error:#}); retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => panic!("cannot log in to dovecot: {error:#}\n{}", self.log()),
            }
        };
        session.examine(folder).await.unwrap();
        let found = session.uid_search(query).await.unwrap().len();
        session.logout().await.unwrap();
        found
    }

    /// Dovecot's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("dovecot.log")).unwrap_or_default()
    }

    async fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot did not listen: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its login and mail processes too.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// Who owns the mail: Dovecot's own user when we are root (it refuses root), else ourselves.
fn mail_owner(root: &Path) -> (u32, u32) {
    let ours = std::fs::metadata(root).unwrap();
    if ours.uid() != 0 {
        return (ours.uid(), ours.gid());
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"dovecot"))
                .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
                .flatten()
        })
        .unwrap_or_else(|| panic!("the dovecot user is missing: install dovecot-imapd"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn configuration(root: &Path, port: u16, uid: u32, gid: u32) -> String {
    let path = |name: &str| -> PathBuf { root.join(name) };
    let as_root = std::fs::metadata(root)
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    // Without root, every Dovecot process runs as us.
    let users = if as_root {
        String::new()
    } else {
        let login = std::env::var("USER").unwrap_or_default();
        format!("default_internal_user = {login}\ndefault_login_user = {login}\n")
    };
    format!(
        "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {run}\nstate_dir = {state}\n\
         log_path = {log}\nssl = no\nfirst_valid_uid = 1\ndisable_plaintext_auth = no\n\
         auth_mechanisms = plain login\nmail_location = maildir:{mail}/%u\n{users}\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {passwd}\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={mail}/%u\n}}\n\
         protocol imap {{\n  mail_max_userip_connections = 1000\n}}\n\
         service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {port}\n  }}\n\
         \x20 inet_listener imaps {{\n    port = 0\n  }}\n}}\n",
        run = path("run").display(),
        state = path("state").display(),
        log = path("dovecot.log").display(),
        mail = path("mail").display(),
        passwd = path("passwd").display(),
    )
}
