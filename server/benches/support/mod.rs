//! What the benchmarks share: running the floor binary (`../shared/floor`) beside them and
//! reading its table, and the machine's load average printed with each figure. The search
//! crate's index benchmark includes this file too (`#[path]`), so both read the floor alike.

use std::path::Path;

/// Where the floor binary is unless `FLOOR_BIN` says otherwise.
const DEFAULT_FLOOR_BIN: &str = "/work/target-floor/release/floor";

/// Runs `floor <args>` (the part first, then its options) and returns its output, or says how
/// to get the floor binary.
pub fn floor_output(args: &[&str]) -> Option<String> {
    let command = args.join(" ");
    let binary = std::env::var("FLOOR_BIN").unwrap_or_else(|_| DEFAULT_FLOOR_BIN.to_owned());
    if !Path::new(&binary).exists() {
        println!(
            "floor: {binary} not found; build it with `cargo build --release` in ../shared/floor \
             (or set FLOOR_BIN) and run `floor {command}` beside this benchmark"
        );
        return None;
    }
    let output = std::process::Command::new(&binary)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {binary}: {error}"));
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The median column of the floor's table row whose text contains every one of `words`.
pub fn floor_median(output: &str, words: &[&str]) -> Option<f64> {
    let figure = output
        .lines()
        .find(|line| words.iter().all(|word| line.contains(word)))
        .and_then(|line| line.split('|').nth(3))
        .and_then(|median| median.trim().replace(',', "").parse().ok());
    if figure.is_none() {
        println!("floor: no {words:?} figure in its output:\n{output}");
    }
    figure
}

/// The 1, 5 and 15 minute load averages.
pub fn load_line() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|load| {
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}
