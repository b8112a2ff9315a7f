//! Statements that return a page's data as one JSON document, built with the database's JSON
//! functions: on SQLite every statement is a round trip to the connection's worker thread, so
//! a page read in one statement costs one hand-off instead of one per table. Each statement is
//! written once ([`crate::item_view_sql`], [`crate::work_sql`]) and spelled for each database
//! by [`JsonSql`].

use std::sync::OnceLock;

/// The JSON statements, spelled for one database.
pub(crate) struct Statements {
    /// The item page ([`crate::item_view_sql::item_view_statement`]).
    pub(crate) item_view: String,
    /// An agent's work list ([`crate::work_sql::my_work_statement`]).
    pub(crate) my_work: String,
    /// Search hits' item records ([`crate::feed_sql::item_hits_statement`]).
    pub(crate) item_hits: String,
}

/// The parameter `$1` of a JSON statement.
#[derive(Debug, Clone)]
pub(crate) enum Parameter {
    /// A row id.
    Id(i64),
    /// Text: a list of ids as a JSON array ([`Parameter::ids`]), read by [`JsonSql::ids_in`].
    Text(String),
}

impl Parameter {
    /// A list of ids, for a statement that reads them with [`JsonSql::ids_in`].
    pub(crate) fn ids(ids: &[i64]) -> Self {
        Self::Text(serde_json::Value::from(ids).to_string())
    }
}

impl Statements {
    fn of<D: JsonSql>() -> Self {
        Self {
            item_view: D::parameters(crate::item_view_sql::item_view_statement::<D>()),
            my_work: D::parameters(crate::work_sql::my_work_statement::<D>()),
            item_hits: D::parameters(crate::feed_sql::item_hits_statement::<D>()),
        }
    }
}

/// How a database spells the JSON the read model builds.
pub(crate) trait JsonSql {
    /// An object of `(key, value expression)` pairs.
    fn object(pairs: &[(String, String)]) -> String;
    /// An array of the value expressions, in order.
    fn tuple(values: &[&str]) -> String;
    /// A JSON array of `element` over the rows of `from` (tables, joins and `WHERE`), in no
    /// particular order; `[]` when there are none. The reader sorts each array after decoding,
    /// by keys its elements carry: an `ORDER BY` inside SQLite's `json_group_array` builds a
    /// temporary B-tree for every array of every row (opened, filled, sorted, freed), a fifth
    /// of the item page's cost with its dozen short arrays. Both databases then give the same
    /// order, `NULL`s first.
    fn array(element: &str, from: &str) -> String;
    /// A JSON array of `element` over the rows of the statement's own `FROM` that pass
    /// `filter` (an aggregate: the statement groups its rows), `[]` when none does. Unlike
    /// [`JsonSql::array`] this is no subquery, so SQLite embeds the elements as built instead
    /// of parsing their text again.
    fn aggregate(element: &str, filter: &str) -> String;
    /// A column holding JSON, embedded as JSON (not as a string).
    fn json_column(expression: &str) -> String;
    /// A boolean column, as a JSON boolean.
    fn boolean(expression: &str) -> String;
    /// A floating-point column, as a JSON number that reads back to the same value.
    fn real(expression: &str) -> String;
    /// A scalar subquery yielding one JSON value (or no row: `null`), embedded as JSON.
    fn nested(subquery: &str) -> String;
    /// The whole document as text.
    fn text(expression: &str) -> String;
    /// A subquery of the ids in the JSON array `$1` ([`Parameter::ids`]), for `IN`.
    fn ids_in() -> &'static str;
    /// `statement` with its parameter `$1` read the way this database plans best.
    fn parameters(statement: String) -> String;
    /// The JSON statements in this spelling, built once.
    fn statements() -> &'static Statements;
}

impl JsonSql for sqlx::Sqlite {
    fn object(pairs: &[(String, String)]) -> String {
        format!("json_object({})", joined_pairs(pairs))
    }

    fn tuple(values: &[&str]) -> String {
        format!("json_array({})", values.join(", "))
    }

    fn array(element: &str, from: &str) -> String {
        format!("json((SELECT json_group_array({element}) FROM {from}))")
    }

    fn aggregate(element: &str, filter: &str) -> String {
        format!("json_group_array({element}) FILTER (WHERE {filter})")
    }

    fn json_column(expression: &str) -> String {
        format!("json({expression})")
    }

    fn boolean(expression: &str) -> String {
        format!("json(CASE WHEN {expression} THEN 'true' ELSE 'false' END)")
    }

    fn real(expression: &str) -> String {
        // SQLite's JSON writes 15 significant digits; 17 always read back exactly.
        format!("json(printf('%!.17g', {expression}))")
    }

    fn nested(subquery: &str) -> String {
        format!("json(({subquery}))")
    }

    fn text(expression: &str) -> String {
        expression.to_owned()
    }

    fn ids_in() -> &'static str {
        "(SELECT value FROM json_each($1))"
    }

    fn parameters(statement: String) -> String {
        // With STAT4 statistics (the bundled SQLite has them, `ANALYZE` fills them), a bound
        // parameter compared with an indexed column makes SQLite prepare the statement again
        // whenever its value changes — for these long statements, on every call. Read through
        // a subquery, the value is no input to the plan and the prepared statement is reused.
        statement.replace("$1", "(SELECT $1)")
    }

    fn statements() -> &'static Statements {
        static STATEMENTS: OnceLock<Statements> = OnceLock::new();
        STATEMENTS.get_or_init(Statements::of::<Self>)
    }
}

impl JsonSql for sqlx::Postgres {
    fn object(pairs: &[(String, String)]) -> String {
        format!("json_build_object({})", joined_pairs(pairs))
    }

    fn tuple(values: &[&str]) -> String {
        format!("json_build_array({})", values.join(", "))
    }

    fn array(element: &str, from: &str) -> String {
        format!("(SELECT COALESCE(json_agg({element}), '[]'::json) FROM {from})")
    }

    fn aggregate(element: &str, filter: &str) -> String {
        format!("COALESCE(json_agg({element}) FILTER (WHERE {filter}), '[]'::json)")
    }

    fn json_column(expression: &str) -> String {
        expression.to_owned()
    }

    fn boolean(expression: &str) -> String {
        expression.to_owned()
    }

    fn real(expression: &str) -> String {
        expression.to_owned()
    }

    fn nested(subquery: &str) -> String {
        format!("({subquery})")
    }

    fn text(expression: &str) -> String {
        format!("({expression})::text")
    }

    fn ids_in() -> &'static str {
        "(SELECT value::bigint FROM json_array_elements_text($1::json))"
    }

    fn parameters(statement: String) -> String {
        statement
    }

    fn statements() -> &'static Statements {
        static STATEMENTS: OnceLock<Statements> = OnceLock::new();
        STATEMENTS.get_or_init(Statements::of::<Self>)
    }
}

fn joined_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("'{key}', {value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns `fields` lists, comma-separated, each `key`, `key=expression` (the expression
/// defaults to `table.key`; it holds no comma) and optionally `:json`, `:bool` or `:real`, as
/// `(key, value)` pairs of an object.
pub(crate) fn fields<D: JsonSql>(table: &str, fields: &str) -> Vec<(String, String)> {
    fields
        .split(',')
        .map(str::trim)
        .map(|field| {
            let (field, kind) = field.split_once(':').unwrap_or((field, ""));
            let (key, expression) = match field.split_once('=') {
                Some((key, expression)) => (key.to_owned(), expression.to_owned()),
                None => (field.to_owned(), format!("{table}.{field}")),
            };
            let value = match kind {
                "json" => D::json_column(&expression),
                "bool" => D::boolean(&expression),
                "real" => D::real(&expression),
                _ => expression,
            };
            (key, value)
        })
        .collect()
}

/// An object of the columns `spec` lists (see [`fields`]).
pub(crate) fn record<D: JsonSql>(table: &str, spec: &str) -> String {
    D::object(&fields::<D>(table, spec))
}

/// An array of the columns `spec` lists, in its order (see [`fields`]), for a row struct whose
/// fields are declared in the same order: serde reads a struct from an array by position. For
/// rows a document holds many of, where the keys of every object cost more than the values.
pub(crate) fn positional<D: JsonSql>(table: &str, spec: &str) -> String {
    let fields = fields::<D>(table, spec);
    let values: Vec<&str> = fields.iter().map(|(_, value)| value.as_str()).collect();
    D::tuple(&values)
}

/// A `(key, value expression)` pair of an object.
pub(crate) fn pair(key: &str, value: String) -> (String, String) {
    (key.to_owned(), value)
}

/// A row struct read from `sample` (an object of every field `spec` lists, none `null`) by
/// name and by position, for tests that guard a positional field list against its struct.
#[cfg(test)]
pub(crate) fn read_by_name_and_position<T: serde::de::DeserializeOwned>(
    sample: serde_json::Value,
    spec: &str,
) -> (T, T) {
    let positional: Vec<serde_json::Value> = fields::<sqlx::Sqlite>("items", spec)
        .into_iter()
        .map(|(key, _)| sample[key.as_str()].clone())
        .collect();
    assert!(
        positional.iter().all(|value| !value.is_null()),
        "{positional:?}"
    );
    let by_name = serde_json::from_value(sample).expect("read by name");
    let by_position =
        serde_json::from_value(serde_json::Value::Array(positional)).expect("read by position");
    (by_name, by_position)
}
