//! Seeding the store with generated items: the index benchmark's text (`corpus.rs`, the floor's
//! generator) written as item rows with their customer links and change-feed entries, in
//! multi-row inserts and large transactions straight into SQLite (the store's own insert path
//! writes one item per transaction, far too slow for a million items).

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use switchboard_core::link::{LinkKind, LinkOrigin};
use switchboard_search::index::ItemDoc;

use crate::corpus::{Rng, Vocab, gen_item};

/// Items per `INSERT` (12 bound values each, well below SQLite's 32,766).
const ROWS_PER_STATEMENT: usize = 1_000;
/// Items per transaction.
const ROWS_PER_TRANSACTION: usize = 50_000;
/// The generator's seed: the index benchmark feeds the same items.
pub const ITEM_SEED: u64 = 1234;

/// The queue of each of the generator's four queue numbers.
pub fn queue_name(doc: &ItemDoc) -> String {
    format!("bench-{}", doc.queue_id.map_or(0, |queue| queue.get()))
}

/// Writes items `1..=items` as `gen_item` generates them, each with its customer link (three in
/// four have one) and a change-feed entry, as the store's insert path would leave them.
pub async fn seed_items(url: &str, vocab: &Vocab, items: usize) {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    // Seeding is set-up, not what is measured: no fsync per transaction.
    sqlx::query("PRAGMA synchronous = OFF")
        .execute(&pool)
        .await
        .unwrap();
    let queue_ids = create_queues(&pool).await;
    let mut rng = Rng::new(ITEM_SEED);
    let now = Utc::now();
    let mut id = 0_i64;
    while (id as usize) < items {
        let mut tx = pool.begin().await.unwrap();
        let in_transaction = ROWS_PER_TRANSACTION.min(items - id as usize);
        let mut written = 0;
        while written < in_transaction {
            let rows = ROWS_PER_STATEMENT.min(in_transaction - written);
            let docs: Vec<ItemDoc> = (1..=rows as i64)
                .map(|offset| gen_item(vocab, &mut rng, id + offset))
                .collect();
            insert_items(&mut tx, &docs, &queue_ids, now).await;
            insert_customer_links(&mut tx, &docs, now).await;
            id += rows as i64;
            written += rows;
        }
        tx.commit().await.unwrap();
    }
    sqlx::query("INSERT INTO item_changes (item_id) SELECT id FROM items ORDER BY id")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    pool.close().await;
}

/// Creates the generator's four queues; returns their ids by queue number.
async fn create_queues(pool: &SqlitePool) -> Vec<i64> {
    let mut ids = Vec::new();
    for number in 0..4 {
        let id: i64 = sqlx::query_scalar("INSERT INTO queues (name) VALUES ($1) RETURNING id")
            .bind(format!("bench-{number}"))
            .fetch_one(pool)
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

async fn insert_items(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    docs: &[ItemDoc],
    queue_ids: &[i64],
    now: DateTime<Utc>,
) {
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO items (id, channel, source, received_at, language, subject, sender_email, \
         text, status, queue_id, created_at, updated_at) ",
    );
    insert.push_values(docs, |mut row, doc| {
        let queue = doc.queue_id.map(|queue| queue_ids[queue.get() as usize]);
        row.push_bind(doc.id.get())
            .push_bind(doc.channel.as_str())
            .push_bind(format!("bench:{}", doc.id.get()))
            .push_bind(doc.received_at)
            .push_bind(doc.language.map(|language| language.as_str()))
            .push_bind(doc.subject.clone())
            .push_bind(doc.sender.email.clone())
            .push_bind(doc.text.clone())
            .push_bind(doc.status.as_str())
            .push_bind(queue)
            .push_bind(now)
            .push_bind(now);
    });
    insert.build().execute(&mut **tx).await.unwrap();
}

async fn insert_customer_links(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    docs: &[ItemDoc],
    now: DateTime<Utc>,
) {
    let linked: Vec<&ItemDoc> = docs
        .iter()
        .filter(|doc| doc.customer_no.is_some())
        .collect();
    if linked.is_empty() {
        return;
    }
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO links (item_id, kind, key, confidence, origin, applied, evidence, \
         created_at, received_at) ",
    );
    insert.push_values(linked, |mut row, doc| {
        let number = doc
            .customer_no
            .as_ref()
            .map(|number| number.as_str().to_owned());
        row.push_bind(doc.id.get())
            .push_bind(LinkKind::Customer.as_str())
            .push_bind(number.clone())
            .push_bind(1.0_f64)
            .push_bind(LinkOrigin::Auto.as_str())
            .push_bind(true)
            .push_bind(format!(
                "customer number {} in the text",
                number.unwrap_or_default()
            ))
            .push_bind(now)
            .push_bind(doc.received_at);
    });
    insert.build().execute(&mut **tx).await.unwrap();
}
