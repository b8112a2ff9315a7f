//! The `switchboard` binary's command-line contract, run as a real process.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use switchboard_core::master::MasterKind;

fn master_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev/master")
}

fn switchboard(data_dir: &Path, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .current_dir(data_dir);
    command
}

fn csv_rows(kind: MasterKind) -> usize {
    let content = std::fs::read_to_string(master_dir().join(kind.file_name())).unwrap();
    content
        .lines()
        .filter(|line| !line.trim().is_empty())
        .count()
        - 1
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn import_prints_contract_lines_and_is_idempotent_on_every_database() {
    let folder = tempfile::tempdir().unwrap();
    for url in switchboard_store::testing::database_urls(folder.path()).await {
        for round in ["first", "second"] {
            let output = switchboard(folder.path(), &url)
                .arg("import")
                .arg(master_dir())
                .output()
                .unwrap();
            assert!(output.status.success(), "{round}: {output:?}");
            let expected: Vec<String> = MasterKind::IMPORT_ORDER
                .iter()
                .map(|kind| {
                    let rows = csv_rows(*kind);
                    if round == "first" {
                        format!("{kind}: {rows} rows ({rows} new, 0 updated, 0 unchanged)")
                    } else {
                        format!("{kind}: {rows} rows (0 new, 0 updated, {rows} unchanged)")
                    }
                })
                .collect();
            assert_eq!(stdout_lines(&output), expected, "{round} import on {url}");
        }
    }
}

#[tokio::test]
async fn a_malformed_row_is_reported_with_its_line_and_nothing_is_imported() {
    let folder = tempfile::tempdir().unwrap();
    let input = folder.path().join("input");
    std::fs::create_dir(&input).unwrap();
    let customers = std::fs::read_to_string(master_dir().join("customers.csv")).unwrap();
    let mut lines: Vec<&str> = customers.split("\r\n").collect();
    lines[3] = "0000999999;Broken row without the other fields";
    std::fs::write(input.join("customers.csv"), lines.join("\r\n")).unwrap();
    let products = std::fs::read_to_string(master_dir().join("products.csv")).unwrap();
    let products = products.replacen(";active", ";retired", 1);
    std::fs::write(input.join("products.csv"), products).unwrap();

    let url = switchboard_store::testing::sqlite_url(folder.path());
    let output = switchboard(folder.path(), &url)
        .arg("import")
        .arg(&input)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let printed = stdout_lines(&output);
    let customers_file = input.join("customers.csv");
    let products_file = input.join("products.csv");
    assert_eq!(
        printed,
        vec![
            format!(
                "{}:4: expected 20 fields, found 2",
                customers_file.display()
            ),
            format!(
                "{}:2: status \"retired\" is not one of active, discontinued",
                products_file.display()
            ),
        ]
    );
    let store = switchboard_store::open(&url).await.unwrap();
    assert_eq!(store.count_master(MasterKind::Customers).await.unwrap(), 0);
    assert_eq!(store.count_master(MasterKind::Products).await.unwrap(), 0);
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_demo(data_dir: &Path, url: &str, port: u16) -> Server {
    let child = switchboard(data_dir, url)
        .env("SWITCHBOARD_LISTEN", format!("127.0.0.1:{port}"))
        .args(["serve", "--demo"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await;
        if ready.is_ok_and(|response| response.status() == 200) {
            return server;
        }
        assert!(Instant::now() < deadline, "server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_demo_seeds_an_empty_database_serves_and_restarts() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let port = free_port();
    let mut server = start_demo(folder.path(), &url, port).await;
    let page = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Switchboard"));
    server.0.kill().unwrap();
    let output = server.0.wait_with_output_ref();
    assert!(
        output.contains("sign in as admin, lead or agent"),
        "{output}"
    );

    let export = switchboard(folder.path(), &url)
        .args(["export", "items"])
        .output()
        .unwrap();
    let items: Vec<serde_json::Value> = stdout_lines(&export)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(items.len() >= 5, "demo items: {}", items.len());
    let channels: std::collections::BTreeSet<&str> = items
        .iter()
        .map(|item| item["channel"].as_str().unwrap())
        .collect();
    assert_eq!(
        channels.len(),
        5,
        "every channel has a sample: {channels:?}"
    );
    assert!(items.iter().all(|item| item["customer_no"].is_string()));

    let port = free_port();
    let _again = start_demo(folder.path(), &url, port).await;
    let export_again = switchboard(folder.path(), &url)
        .args(["export", "items"])
        .output()
        .unwrap();
    assert_eq!(
        stdout_lines(&export_again).len(),
        items.len(),
        "no second seeding"
    );
}

#[tokio::test]
async fn serve_demo_refuses_a_database_holding_other_data() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let mut add = switchboard(folder.path(), &url)
        .args([
            "users",
            "add",
            "--login",
            "ops",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    assert!(add.wait_with_output().unwrap().status.success());

    let output = switchboard(folder.path(), &url)
        .env("SWITCHBOARD_LISTEN", format!("127.0.0.1:{}", free_port()))
        .args(["serve", "--demo"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--demo refuses to seed this database"),
        "{stderr}"
    );
}

trait WaitWithOutputRef {
    fn wait_with_output_ref(&mut self) -> String;
}

impl WaitWithOutputRef for Child {
    fn wait_with_output_ref(&mut self) -> String {
        let _ = self.wait();
        let mut text = String::new();
        if let Some(mut stderr) = self.stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
        }
        text
    }
}

#[tokio::test]
async fn ingest_prints_a_summary_recognises_duplicates_and_keeps_unreadable_input() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let input = folder.path().join("input");
    std::fs::create_dir(&input).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev/email");
    for name in ["e0001.eml", "e0002.eml", "e0003.eml"] {
        std::fs::copy(corpus.join(name), input.join(name)).unwrap();
    }
    std::fs::write(input.join("empty.eml"), b"").unwrap();

    let first = switchboard(folder.path(), &url)
        .args(["ingest", "--channel", "email"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(first.status.success(), "{first:?}");
    let printed = stdout_lines(&first);
    assert_eq!(
        printed[0],
        "ingested: 3, duplicates: 0, noise: 1, awaiting OCR: 0, failed: 1, not landed: 0",
        "{printed:?}"
    );
    assert!(printed[1].starts_with("failed: empty.eml: "), "{printed:?}");
    assert!(
        printed.iter().any(|line| line.starts_with("routed: ")),
        "{printed:?}"
    );

    let again = switchboard(folder.path(), &url)
        .args(["ingest", "--channel", "email"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(
        stdout_lines(&again)[0],
        "ingested: 0, duplicates: 4, noise: 0, awaiting OCR: 0, failed: 0, not landed: 0"
    );

    let mut piped = switchboard(folder.path(), &url)
        .args(["ingest", "--channel", "email", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    piped
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(corpus.join("e0004.eml")).unwrap())
        .unwrap();
    assert_eq!(piped.wait().unwrap().code(), Some(0), "delivered");

    let missing = switchboard(folder.path(), &url)
        .args(["ingest", "--channel", "email"])
        .arg(input.join("does-not-exist.eml"))
        .output()
        .unwrap();
    assert!(
        !missing.status.success(),
        "an input that cannot be landed fails the run"
    );

    let export = switchboard(folder.path(), &url)
        .args(["export", "items"])
        .output()
        .unwrap();
    let items = stdout_lines(&export);
    assert_eq!(items.len(), 5, "3 + the failed intake + stdin: {items:?}");
    let failed: serde_json::Value = serde_json::from_str(
        items
            .iter()
            .find(|line| line.contains("empty.eml"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(failed["status"], "failed");
}

#[tokio::test]
async fn the_mta_pipe_queues_one_acknowledgement_for_a_mailbox_that_wants_them() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let config = folder.path().join("switchboard.toml");
    std::fs::write(
        &config,
        "[organisation]\nreference_secret = \"pipe-test-secret\"\n\
         own_addresses = [\"orders@velora.example.nl\"]\n\
         [mail.smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"plain\"\n\
         from = \"orders@velora.example.nl\"\n\
         [mail.acknowledgement]\nmailboxes = [\"orders@velora.example.nl\"]\n",
    )
    .unwrap();
    let message = |id: &str, to: &str| {
        format!(
            "From: Anna <anna@salon.example.nl>\r\nTo: {to}\r\nSubject: Levering\r\n\
             Message-ID: <{id}@salon.example.nl>\r\nDate: Mon, 3 Mar 2025 09:00:00 +0100\r\n\r\n\
             Waar blijft mijn bestelling van vorige week?\r\n"
        )
    };
    for (id, to) in [
        ("p1", "orders@velora.example.nl"),
        ("p1", "orders@velora.example.nl"),
        ("p2", "inkoop@velora.example.nl"),
    ] {
        let mut piped = switchboard(folder.path(), &url)
            .arg("--config")
            .arg(&config)
            .args(["ingest", "--channel", "email", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        piped
            .stdin
            .take()
            .unwrap()
            .write_all(message(id, to).as_bytes())
            .unwrap();
        let output = piped.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
    }
    let store = switchboard_store::open(&url).await.unwrap();
    let items = store.export_items(None, 10, false).await.unwrap();
    assert_eq!(items.len(), 2, "the same message piped twice is one item");
    let mut queued = Vec::new();
    for item in &items {
        for outbound in store
            .outbound_of(switchboard_core::WorkItemId::new(item.id))
            .await
            .unwrap()
        {
            queued.push((item.source.clone(), outbound.recipients.clone()));
        }
    }
    assert_eq!(
        queued,
        [("stdin".to_owned(), vec!["anna@salon.example.nl".to_owned()])],
        "one acknowledgement, for the message to the mailbox that wants them"
    );
}
