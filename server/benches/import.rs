//! Master-data import throughput: the development master data (22,205 rows in 10 files) read,
//! checked and written into a fresh database (all rows new), then imported again (all rows
//! unchanged). SQLite always; PostgreSQL when `SWITCHBOARD_TEST_DATABASE_URL` is set.
//!
//! `cargo bench -p switchboard-server --bench import` prints rows/s per database and phase
//! (median of the rounds).

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark aborts on any unexpected error"
)]

use std::path::Path;
use std::time::Instant;

use switchboard_core::import::import;
use switchboard_core::master::MasterKind;

const ROUNDS: usize = 5;

fn read_inputs(folder: &Path) -> Vec<(MasterKind, switchboard_core::import::RawRecords)> {
    MasterKind::ALL
        .iter()
        .map(|kind| {
            let content = std::fs::read(folder.join(kind.file_name())).unwrap();
            (
                *kind,
                switchboard_server::master_csv::read(*kind, &content).0,
            )
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let master = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev/master");
    let scratch = tempfile::tempdir().unwrap();
    let rows: usize = read_inputs(&master)
        .iter()
        .map(|(_, raw)| raw.records.len())
        .sum();
    println!("import benchmark: {rows} rows of the dev master data, {ROUNDS} rounds, median");
    let mut databases = vec![("sqlite", None)];
    if std::env::var(switchboard_store::testing::POSTGRES_ENV).is_ok() {
        databases.push(("postgres", Some(())));
    }
    for (label, postgres) in databases {
        let (mut fresh, mut again) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let url = match postgres {
                Some(()) => switchboard_store::testing::fresh_postgres_url()
                    .await
                    .unwrap(),
                None => switchboard_store::testing::sqlite_url(scratch.path()),
            };
            let store = switchboard_store::open(&url).await.unwrap();
            for phase in [&mut fresh, &mut again] {
                let started = Instant::now();
                let inputs = read_inputs(&master);
                import(store.as_ref(), inputs).await.unwrap().unwrap();
                phase.push(rows as f64 / started.elapsed().as_secs_f64());
            }
        }
        println!(
            "{label:>8}: new rows {:>9.0} rows/s   unchanged rows {:>9.0} rows/s",
            median(fresh),
            median(again)
        );
    }
}
