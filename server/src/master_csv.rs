//! Reads SAP-style master-data CSV exports (`;`-separated, header row, RFC 4180 quoting) into
//! raw records, reporting every unreadable row with its line.

use std::collections::BTreeMap;

use switchboard_core::import::RawRecords;
use switchboard_core::master::MasterKind;

/// A problem found while reading a file, before any record is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadProblem {
    /// 1-based line.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Reads the bytes of one file of a kind.
pub fn read(kind: MasterKind, content: &[u8]) -> (RawRecords, Vec<ReadProblem>) {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(true)
        .flexible(false)
        .from_reader(content);
    let mut problems = Vec::new();
    let headers: Vec<String> = match reader.byte_headers() {
        Ok(headers) => headers
            .iter()
            .map(|name| String::from_utf8_lossy(name).trim().to_owned())
            .collect(),
        Err(error) => {
            problems.push(ReadProblem {
                line: 1,
                reason: format!("unreadable header: {error}"),
            });
            return (RawRecords::default(), problems);
        }
    };
    problems.extend(check_header(kind, &headers));
    if !problems.is_empty() {
        return (RawRecords::default(), problems);
    }
    let mut raw = RawRecords::default();
    for result in reader.byte_records() {
        match result {
            Ok(record) => {
                let line = record_line(record.position());
                let fields: Result<BTreeMap<String, String>, String> = headers
                    .iter()
                    .zip(record.iter())
                    .map(|(name, value)| {
                        std::str::from_utf8(value)
                            .map(|text| (name.clone(), text.to_owned()))
                            .map_err(|_| format!("{name} is not valid UTF-8"))
                    })
                    .collect();
                match fields {
                    Ok(fields) => raw.records.push((line, fields)),
                    Err(reason) => problems.push(ReadProblem { line, reason }),
                }
            }
            Err(error) => {
                let line = record_line(error.position());
                let reason = match error.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("expected {expected_len} fields, found {len}"),
                    _ => format!("unreadable row: {error}"),
                };
                problems.push(ReadProblem { line, reason });
            }
        }
    }
    (raw, problems)
}

/// The csv reader reports a record at the line where the previous one ended (its line
/// terminator is read with the next record), so a record starts one line later.
fn record_line(position: Option<&csv::Position>) -> u64 {
    position.map_or(0, |position| position.line() + 1)
}

fn check_header(kind: MasterKind, headers: &[String]) -> Vec<ReadProblem> {
    let mut problems = Vec::new();
    let missing: Vec<&str> = kind
        .columns()
        .iter()
        .filter(|column| column.required && !headers.iter().any(|name| name == column.name))
        .map(|column| column.name)
        .collect();
    if !missing.is_empty() {
        problems.push(ReadProblem {
            line: 1,
            reason: format!("missing column(s) {}", missing.join(", ")),
        });
    }
    let unknown: Vec<&str> = headers
        .iter()
        .map(String::as_str)
        .filter(|name| !kind.columns().iter().any(|column| column.name == *name))
        .collect();
    if !unknown.is_empty() {
        problems.push(ReadProblem {
            line: 1,
            reason: format!("unknown column(s) {}", unknown.join(", ")),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_fields_and_reports_short_rows() {
        let content = "sku;name;brand;product_line;pack_size;ean;status\r\n\
                       10000001;\"Cream; rich\";B;skincare;30 ml;1;active\r\n\
                       10000002;Short\r\n";
        let (raw, problems) = read(MasterKind::Products, content.as_bytes());
        assert_eq!(raw.records.len(), 1);
        assert_eq!(raw.records[0].0, 2);
        assert_eq!(raw.records[0].1["name"], "Cream; rich");
        assert_eq!(
            problems,
            vec![ReadProblem {
                line: 3,
                reason: "expected 7 fields, found 2".into()
            }]
        );
    }

    #[test]
    fn reports_missing_and_unknown_columns_once() {
        let (raw, problems) = read(MasterKind::Products, b"sku;colour\r\n1;red\r\n");
        assert!(raw.records.is_empty());
        assert_eq!(problems.len(), 2);
        assert!(problems[0].reason.contains("missing column(s) name"));
        assert!(problems[1].reason.contains("unknown column(s) colour"));
    }
}
