//! SQL for master data, written once from the column specs in core and valid on both dialects.

use switchboard_core::master::{Column, MasterKind};

/// Returns the table of a kind (the kind's wire name).
pub(crate) fn table(kind: MasterKind) -> &'static str {
    kind.as_str()
}

/// `SELECT <key>, row_fingerprint FROM <table>` where the key is the key columns joined by `/`.
pub(crate) fn select_fingerprints(kind: MasterKind) -> String {
    format!(
        "SELECT {} AS record_key, row_fingerprint FROM {}",
        key_expression(kind),
        table(kind)
    )
}

/// `SELECT <key> FROM <table>`.
pub(crate) fn select_keys(kind: MasterKind) -> String {
    format!(
        "SELECT {} AS record_key FROM {}",
        key_expression(kind),
        table(kind)
    )
}

/// `SELECT COUNT(*) FROM <table>`.
pub(crate) fn count(kind: MasterKind) -> String {
    format!("SELECT COUNT(*) FROM {}", table(kind))
}

/// The head of a multi-row upsert: `INSERT INTO t (cols..., row_fingerprint, updated_at) `.
pub(crate) fn upsert_head(kind: MasterKind) -> String {
    let columns: Vec<String> = kind.columns().iter().map(Column::db_name).collect();
    format!(
        "INSERT INTO {} ({}, row_fingerprint, updated_at) ",
        table(kind),
        columns.join(", ")
    )
}

/// The tail of a multi-row upsert: on a key conflict every column is overwritten.
pub(crate) fn upsert_tail(kind: MasterKind) -> String {
    let keys: Vec<String> = kind.key_columns().map(Column::db_name).collect();
    let updates: Vec<String> = kind
        .columns()
        .iter()
        .filter(|column| !column.key)
        .map(Column::db_name)
        .chain(["row_fingerprint".to_owned(), "updated_at".to_owned()])
        .map(|column| format!("{column} = excluded.{column}"))
        .collect();
    format!(
        " ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        updates.join(", ")
    )
}

/// Rows per statement, kept well below both dialects' limit on bound parameters.
pub(crate) fn rows_per_statement(kind: MasterKind) -> usize {
    const MAX_PARAMETERS: usize = 30_000;
    MAX_PARAMETERS / (kind.columns().len() + 2)
}

fn key_expression(kind: MasterKind) -> String {
    let parts: Vec<String> = kind
        .key_columns()
        .map(|column| format!("CAST({} AS TEXT)", column.db_name()))
        .collect();
    parts.join(" || '/' || ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_key_expression_joins_with_slash() {
        assert_eq!(
            select_keys(MasterKind::OrderLines),
            "SELECT CAST(order_number AS TEXT) || '/' || CAST(line AS TEXT) AS record_key FROM order_lines"
        );
    }

    #[test]
    fn upsert_never_overwrites_key_columns() {
        let tail = upsert_tail(MasterKind::PriceList);
        assert!(tail.starts_with(" ON CONFLICT (sku, segment, min_qty, valid_from)"));
        assert!(tail.contains("price_cents = excluded.price_cents"));
        assert!(!tail.contains("sku = excluded"));
    }
}
