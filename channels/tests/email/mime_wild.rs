//! Every message of the third-party MIME corpus parses to an item or a clear error, quickly.

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mail_parser::mailbox::mbox::MessageIterator;
use switchboard_channels::email::{EmailError, parse_email};

use crate::support::{config, fallback_time, shared};

/// Slowest acceptable parse of one corpus message (debug build, on a shared machine).
const MAX_PARSE_TIME: Duration = Duration::from_secs(5);

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut pending = vec![root.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Licence notices and the corpus description are not messages.
fn is_notice(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
    name.ends_with(".md") || name.contains("license") || name == "copying"
}

fn is_mbox(path: &Path) -> bool {
    path.to_string_lossy().ends_with(".mbox.txt")
}

#[derive(Default)]
struct Tally {
    items: usize,
    noise: usize,
    errors: Vec<(String, EmailError)>,
    panics: usize,
    slowest: (Duration, String),
}

impl Tally {
    fn record(&mut self, name: &str, raw: &[u8]) {
        let started = Instant::now();
        let outcome = parse_email(raw, name, fallback_time(), &config());
        let elapsed = started.elapsed();
        if elapsed > self.slowest.0 {
            self.slowest = (elapsed, name.to_owned());
        }
        match outcome {
            Ok(parsed) => {
                self.items += 1;
                self.noise += usize::from(parsed.item.noise.is_some());
            }
            Err(EmailError::ParserPanic(message)) => {
                println!("contained panic in {name}: {message}");
                self.panics += 1;
            }
            Err(error) => self.errors.push((name.to_owned(), error)),
        }
    }
}

#[test]
fn mime_wild_corpus_parses_without_escaping_panics() {
    let root = shared("corpus/mime-wild");
    let mut tally = Tally::default();
    let (mut files, mut mbox_messages) = (0usize, 0usize);
    for path in files_under(&root) {
        if is_notice(&path) {
            continue;
        }
        let name = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let raw = fs::read(&path).unwrap();
        files += 1;
        if is_mbox(&path) {
            for (index, message) in MessageIterator::new(Cursor::new(raw)).enumerate() {
                let message = message.unwrap();
                mbox_messages += 1;
                tally.record(&format!("{name}#{index}"), message.contents());
            }
        } else {
            tally.record(&name, &raw);
        }
    }
    for (name, error) in &tally.errors {
        println!("clear error {name}: {error}");
    }
    println!(
        "mime-wild: {files} files ({mbox_messages} messages from mbox files); {} items ({} noise), \
         {} clear errors, {} contained panics; slowest {:?} ({})",
        tally.items,
        tally.noise,
        tally.errors.len(),
        tally.panics,
        tally.slowest.0,
        tally.slowest.1
    );
    assert!(files > 900, "corpus incomplete: {files} files");
    assert!(
        tally.slowest.0 < MAX_PARSE_TIME,
        "{} took {:?}",
        tally.slowest.1,
        tally.slowest.0
    );
}
