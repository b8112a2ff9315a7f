//! The document port ([`switchboard_core::document::DocumentStore`]): items of faxes and letters
//! read page by page. Written once and expanded for each database by [`impl_document_store!`].
//! Each step is one transaction; a page's primary key keeps a resumed read from storing it twice.

use switchboard_core::CoreError;
use switchboard_core::document::{PageText, TextSource};

use crate::error::corrupt;
use crate::rows::parse_enum;

/// A stored page: number, text, confidence, turn and source.
pub(crate) type PageRow = (i64, String, f64, i64, String);

/// The SELECT reading a document's pages in page order.
pub(crate) const PAGE_SELECT: &str = "SELECT page, text, confidence, rotated_degrees, source \
     FROM document_pages WHERE item_id = $1 ORDER BY page";

/// Turns a stored page into its domain value.
pub(crate) fn into_page(row: PageRow) -> Result<PageText, CoreError> {
    let (page, text, confidence, rotated_degrees, source) = row;
    Ok(PageText {
        page: u32::try_from(page).map_err(|_| corrupt("page", &page.to_string()))?,
        text,
        confidence: confidence as f32,
        rotated_degrees: u16::try_from(rotated_degrees)
            .map_err(|_| corrupt("rotated_degrees", &rotated_degrees.to_string()))?,
        source: parse_enum("source", &source, TextSource::parse)?,
    })
}

/// Implements the document port for `$store` (a struct with a `pool` field of
/// `sqlx::Pool<$db>`, on which `impl_store!` is expanded too).
macro_rules! impl_document_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::document::DocumentStore for $store {
            #[tracing::instrument(skip_all)]
            async fn open_document_item(
                &self,
                inbound: switchboard_core::InboundId,
                item: &switchboard_core::item::NewItem,
                placement: &switchboard_core::store::ItemPlacement,
                pages: u32,
            ) -> switchboard_core::error::CoreResult<switchboard_core::WorkItemId> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let completion = switchboard_core::store::InboundCompletion {
                    inbound,
                    item,
                    placement,
                    replies_to: None,
                };
                let id = Self::complete_all_in(&mut tx, std::slice::from_ref(&completion), &self.cases)
                    .await?
                    .pop()
                    .ok_or_else(|| switchboard_core::CoreError::Internal("completion lost".into()))?;
                // Another worker that made the item first recorded its read already.
                sqlx::query(
                    "INSERT INTO document_reads (item_id, pages, started_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (item_id) DO NOTHING",
                )
                .bind(id.get())
                .bind(i64::from(pages))
                .bind(chrono::Utc::now())
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(id)
            }

            #[tracing::instrument(skip_all)]
            async fn add_document_page(
                &self,
                item: switchboard_core::WorkItemId,
                page: &switchboard_core::document::PageText,
                image: Option<&switchboard_core::item::NewAttachment>,
                content: &switchboard_core::item::NewItem,
            ) -> switchboard_core::error::CoreResult<u32> {
                let now = chrono::Utc::now();
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let stored = sqlx::query(
                    "INSERT INTO document_pages (item_id, page, text, confidence, rotated_degrees, \
                     source, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (item_id, page) DO NOTHING",
                )
                .bind(item.get())
                .bind(i64::from(page.page))
                .bind(&page.text)
                .bind(f64::from(page.confidence))
                .bind(i64::from(page.rotated_degrees))
                .bind(page.source.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                if stored.rows_affected() > 0 {
                    if let Some(image) = image {
                        Self::insert_attachment_in(&mut tx, item.get(), image).await?;
                    }
                    Self::rewrite_document_content_in(&mut tx, item.get(), content, now).await?;
                }
                let count: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM document_pages WHERE item_id = $1")
                        .bind(item.get())
                        .fetch_one(&mut *tx)
                        .await
                        .map_err($crate::error::db_error)?;
                tx.commit().await.map_err($crate::error::db_error)?;
                u32::try_from(count).map_err(|_| $crate::error::corrupt("page count", &count.to_string()))
            }

            #[tracing::instrument(skip_all)]
            async fn document_pages(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::document::PageText>> {
                let rows: Vec<$crate::document_sql::PageRow> =
                    sqlx::query_as($crate::document_sql::PAGE_SELECT)
                        .bind(item.get())
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                rows.into_iter().map($crate::document_sql::into_page).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn unfinished_documents(
                &self,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::document::UnfinishedDocument>> {
                let reads: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT document_reads.item_id, document_reads.pages, items.inbound_id \
                     FROM document_reads JOIN items ON items.id = document_reads.item_id \
                     WHERE document_reads.finished_at IS NULL AND items.inbound_id IS NOT NULL \
                     ORDER BY document_reads.item_id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let mut unfinished = Vec::with_capacity(reads.len());
                for (item, pages, inbound) in reads {
                    let row: $crate::rows::InboundRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{} WHERE id = $1",
                        $crate::rows::INBOUND_SELECT
                    )))
                    .bind(inbound)
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                    unfinished.push(switchboard_core::document::UnfinishedDocument {
                        inbound: row.into_inbound()?,
                        item: switchboard_core::WorkItemId::new(item),
                        pages: u32::try_from(pages)
                            .map_err(|_| $crate::error::corrupt("pages", &pages.to_string()))?,
                    });
                }
                Ok(unfinished)
            }

            #[tracing::instrument(skip_all)]
            async fn finish_document_item(
                &self,
                item: switchboard_core::WorkItemId,
                content: &switchboard_core::item::NewItem,
                placement: &switchboard_core::store::ItemPlacement,
            ) -> switchboard_core::error::CoreResult<bool> {
                let now = chrono::Utc::now();
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let finished = sqlx::query(
                    "UPDATE document_reads SET finished_at = $1 \
                     WHERE item_id = $2 AND finished_at IS NULL",
                )
                .bind(now)
                .bind(item.get())
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                if finished.rows_affected() == 0 {
                    return Ok(false);
                }
                Self::rewrite_document_content_in(&mut tx, item.get(), content, now).await?;
                let queue_id: Option<i64> = match &placement.queue {
                    Some(name) => Some(Self::queue_id_for(&mut tx, name).await?),
                    None => None,
                };
                let skills: Vec<String> =
                    placement.required_skills.iter().map(ToString::to_string).collect();
                // Placed only while nobody acted on it: a lead who moved or assigned the item
                // while its pages were read keeps their decision.
                sqlx::query(
                    "UPDATE items SET status = $1, queue_id = $2, priority = $3, \
                     required_skills = $4, intent = $5, product_lines = $6, sla_due_at = $7, \
                     sla_at_risk_at = $8 WHERE id = $9 AND status = 'new'",
                )
                .bind(placement.status.as_str())
                .bind(queue_id)
                .bind(i64::from(placement.priority))
                .bind(sqlx::types::Json(&skills))
                .bind(placement.intent.map(|intent| intent.as_str()))
                .bind(sqlx::types::Json(&placement.product_lines))
                .bind(placement.sla.map(|clock| clock.due_at))
                .bind(placement.sla.map(|clock| clock.at_risk_at))
                .bind(item.get())
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                Self::replace_auto_links_in(&mut tx, item.get(), &placement.links, now).await?;
                Self::place_in_case(&mut tx, item.get(), &self.cases, now).await?;
                sqlx::query(
                    "INSERT INTO events (at, actor, action, item_id, details) \
                     VALUES ($1, $2, 'document.read', $3, $4)",
                )
                .bind(now)
                .bind(sqlx::types::Json(&switchboard_core::event::Actor::System))
                .bind(item.get())
                .bind(sqlx::types::Json(serde_json::json!({
                    "status": placement.status.as_str(),
                    "queue": placement.queue,
                })))
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(true)
            }
        }

        impl $store {
            /// Rewrites what a document item says (subject, sender, language, text, warnings,
            /// details) from the pages read so far, bumps its version and feeds the change.
            async fn rewrite_document_content_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: i64,
                content: &switchboard_core::item::NewItem,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query(
                    "UPDATE items SET subject = $1, sender_email = $2, sender_phone = $3, \
                     sender_name = $4, language = $5, text = $6, warnings = $7, details = $8, \
                     updated_at = $9, version = version + 1 WHERE id = $10",
                )
                .bind(content.subject.as_deref())
                .bind(content.sender.email.as_deref())
                .bind(content.sender.phone.as_deref())
                .bind(content.sender.name.as_deref())
                .bind(content.language.map(|language| language.as_str()))
                .bind(&content.text)
                .bind(sqlx::types::Json(&content.warnings))
                .bind(sqlx::types::Json(&content.details))
                .bind(now)
                .bind(item)
                .execute(&mut **tx)
                .await
                .map_err($crate::error::db_error)?;
                sqlx::query("INSERT INTO item_changes (item_id) VALUES ($1)")
                    .bind(item)
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
                    .map_err($crate::error::db_error)
            }
        }
    };
}

pub(crate) use impl_document_store;
