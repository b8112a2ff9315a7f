//! The change feed is in commit order on PostgreSQL: two transactions that commit in the
//! opposite order of their inserts are read in commit order, so a reader that has already
//! passed the early commit still reads the late one, and no gap is left to wait at.

use chrono::Utc;
use sqlx::PgPool;
use switchboard_core::WorkItemId;
use switchboard_core::feed::FeedEntry;
use switchboard_core::item::{Channel, NewItem};
use switchboard_core::store::ItemPlacement;
use switchboard_store::testing::fresh_postgres_url;

const RECORD_CHANGE: &str = "INSERT INTO item_changes (item_id) VALUES ($1)";

fn items_of(entries: &[FeedEntry]) -> Vec<WorkItemId> {
    entries.iter().map(|entry| entry.item_id).collect()
}

#[tokio::test]
async fn a_change_committed_late_is_read_after_one_committed_early() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let store = switchboard_store::open(&url).await.unwrap();
    let item = |source: &str| NewItem::new(Channel::Email, source, Utc::now(), "feed order");
    let inserted_first = store
        .insert_item(&item("first.eml"), &ItemPlacement::default())
        .await
        .unwrap();
    let inserted_second = store
        .insert_item(&item("second.eml"), &ItemPlacement::default())
        .await
        .unwrap();
    let start = store.max_change_seq().await.unwrap();
    assert_eq!(store.changes_after(start, 10).await.unwrap(), Vec::new());

    // Two transactions record changes; the one that inserted first commits last.
    let pool = PgPool::connect(&url).await.unwrap();
    let mut early_insert = pool.begin().await.unwrap();
    sqlx::query(RECORD_CHANGE)
        .bind(inserted_first.get())
        .execute(&mut *early_insert)
        .await
        .unwrap();
    let mut late_insert = pool.begin().await.unwrap();
    sqlx::query(RECORD_CHANGE)
        .bind(inserted_second.get())
        .execute(&mut *late_insert)
        .await
        .unwrap();
    late_insert.commit().await.unwrap();

    let read = store.changes_after(start, 10).await.unwrap();
    assert_eq!(items_of(&read), vec![inserted_second]);
    assert_eq!(read[0].seq, start + 1, "numbered at commit, no gap");
    let position = read[0].seq;

    early_insert.commit().await.unwrap();
    let read = store.changes_after(position, 10).await.unwrap();
    assert_eq!(
        items_of(&read),
        vec![inserted_first],
        "the change committed last comes after the reader's position"
    );
    assert_eq!(read[0].seq, position + 1);
    assert_eq!(store.max_change_seq().await.unwrap(), position + 1);

    // A rolled-back change takes no number.
    let mut rolled_back = pool.begin().await.unwrap();
    sqlx::query(RECORD_CHANGE)
        .bind(inserted_first.get())
        .execute(&mut *rolled_back)
        .await
        .unwrap();
    rolled_back.rollback().await.unwrap();
    assert_eq!(store.max_change_seq().await.unwrap(), position + 1);
    pool.close().await;
}
