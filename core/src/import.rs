//! Master-data import as an application service: check records, check their references, upsert.
//! Shared by `switchboard import` (CSV files) and the REST API (JSON and NDJSON bodies).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::{CoreError, CoreResult};
use crate::master::{MasterBatch, MasterKind, MasterRow, UpsertCounts, Value, value_text};
use crate::store::Store;

/// One rejected record: where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The kind of record.
    pub kind: MasterKind,
    /// Where the record was read: the 1-based line of its file or body.
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
}

/// Records of one kind as read, each with its line number.
#[derive(Debug, Clone, Default)]
pub struct RawRecords {
    /// `(line, column name -> raw text)`.
    pub records: Vec<(u64, BTreeMap<String, String>)>,
}

/// Checks raw records of one kind; every problem is reported, none is fatal on its own.
pub fn check_records(
    kind: MasterKind,
    raw: &RawRecords,
) -> (MasterBatch, Vec<RejectedRow>, Vec<u64>) {
    let mut rows = Vec::with_capacity(raw.records.len());
    let mut lines = Vec::with_capacity(raw.records.len());
    let mut rejected = Vec::new();
    let mut first_line_of_key: HashMap<String, u64> = HashMap::new();
    for (line, fields) in &raw.records {
        match MasterRow::parse(kind, fields) {
            Ok(row) => {
                if let Some(first) = first_line_of_key.get(&row.key) {
                    rejected.push(RejectedRow {
                        kind,
                        line: *line,
                        reason: format!("duplicate key {} (first on line {first})", row.key),
                    });
                    continue;
                }
                first_line_of_key.insert(row.key.clone(), *line);
                rows.push(row);
                lines.push(*line);
            }
            Err(error) => rejected.push(RejectedRow {
                kind,
                line: *line,
                reason: error.reason,
            }),
        }
    }
    (MasterBatch { kind, rows }, rejected, lines)
}

/// Returns the keys each record of single-key kinds claims, whether or not the record is valid,
/// so a reference to a record rejected for another reason is not reported a second time.
pub fn claimed_keys(inputs: &[(MasterKind, RawRecords)]) -> HashMap<MasterKind, HashSet<String>> {
    let mut claimed: HashMap<MasterKind, HashSet<String>> = HashMap::new();
    for (kind, raw) in inputs {
        let mut key_columns = kind.key_columns();
        let (Some(key_column), None) = (key_columns.next(), key_columns.next()) else {
            continue;
        };
        let keys = claimed.entry(*kind).or_default();
        keys.extend(
            raw.records
                .iter()
                .filter_map(|(_, fields)| fields.get(key_column.name))
                .map(|key| key.trim().to_owned()),
        );
    }
    claimed
}

/// Checks that every reference names a record stored already or claimed by this import.
pub async fn check_references(
    store: &dyn Store,
    batches: &[(MasterBatch, Vec<u64>)],
    claimed: &HashMap<MasterKind, HashSet<String>>,
) -> CoreResult<Vec<RejectedRow>> {
    let mut known: HashMap<MasterKind, HashSet<String>> = HashMap::new();
    for (batch, _) in batches {
        for column in batch.kind.columns() {
            let Some(target) = column.references else {
                continue;
            };
            if known.contains_key(&target) {
                continue;
            }
            let mut keys = store.master_keys(target).await?;
            if let Some(incoming) = claimed.get(&target) {
                keys.extend(incoming.iter().cloned());
            }
            known.insert(target, keys);
        }
    }
    let mut rejected = Vec::new();
    for (batch, lines) in batches {
        for (row, line) in batch.rows.iter().zip(lines) {
            for (column, value) in batch.kind.columns().iter().zip(&row.values) {
                let Some(target) = column.references else {
                    continue;
                };
                if matches!(value, Value::Null) {
                    continue;
                }
                let key = value_text(value);
                if !known.get(&target).is_some_and(|keys| keys.contains(&key)) {
                    rejected.push(RejectedRow {
                        kind: batch.kind,
                        line: *line,
                        reason: format!("{} {key} does not exist in {target}", column.name),
                    });
                }
            }
        }
    }
    Ok(rejected)
}

/// Checks and stores raw records of several kinds in one transaction. Any rejected record
/// rejects the whole import, and the database is left as it was.
pub async fn import(
    store: &dyn Store,
    inputs: Vec<(MasterKind, RawRecords)>,
) -> CoreResult<Result<Vec<(MasterKind, UpsertCounts)>, Vec<RejectedRow>>> {
    match check(store, inputs).await? {
        Ok(batches) => write(store, batches).await.map(Ok),
        Err(rejected) => Ok(Err(rejected)),
    }
}

/// Checks raw records of several kinds (fields, duplicate keys, references) without writing;
/// returns the checked batches in import order, or every rejected record.
pub async fn check(
    store: &dyn Store,
    inputs: Vec<(MasterKind, RawRecords)>,
) -> CoreResult<Result<Vec<MasterBatch>, Vec<RejectedRow>>> {
    let mut ordered = inputs;
    ordered.sort_by_key(|(kind, _)| {
        MasterKind::IMPORT_ORDER
            .iter()
            .position(|candidate| candidate == kind)
    });
    let mut rejected = Vec::new();
    let mut checked = Vec::with_capacity(ordered.len());
    for (kind, raw) in &ordered {
        let (batch, problems, lines) = check_records(*kind, raw);
        rejected.extend(problems);
        checked.push((batch, lines));
    }
    let claimed = claimed_keys(&ordered);
    rejected.extend(check_references(store, &checked, &claimed).await?);
    if !rejected.is_empty() {
        rejected.sort_by_key(|row| (row.kind.as_str(), row.line));
        return Ok(Err(rejected));
    }
    Ok(Ok(checked.into_iter().map(|(batch, _)| batch).collect()))
}

/// Stores checked batches in one transaction and returns the counts per kind.
pub async fn write(
    store: &dyn Store,
    batches: Vec<MasterBatch>,
) -> CoreResult<Vec<(MasterKind, UpsertCounts)>> {
    let counts = store.upsert_master(&batches).await?;
    if counts.len() != batches.len() {
        return Err(CoreError::Internal(
            "store returned counts for other batches".into(),
        ));
    }
    Ok(batches.iter().map(|batch| batch.kind).zip(counts).collect())
}
