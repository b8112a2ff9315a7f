//! The [`LinkEditStore`](switchboard_core::link::LinkEditStore) implementation, written once
//! and expanded for each database by [`impl_link_edit_store!`], like `sql_store.rs`.

use switchboard_core::link::{LinkEdit, LinkKind};

/// The audit action of an edit.
pub(crate) fn action(edit: &LinkEdit) -> &'static str {
    match edit {
        LinkEdit::Confirm(_) => "item.link_confirmed",
        LinkEdit::Remove(_) => "item.link_removed",
        LinkEdit::Add { .. } => "item.link_added",
    }
}

/// Finds a customer's or order's number as stored, leading zeros aside (an exact match wins).
pub(crate) fn key_lookup(kind: LinkKind) -> Option<&'static str> {
    match kind {
        LinkKind::Customer => Some(
            "SELECT customer_number FROM customers \
             WHERE customer_number = $1 OR ltrim(customer_number, '0') = ltrim($1, '0') \
             ORDER BY CASE WHEN customer_number = $1 THEN 0 ELSE 1 END LIMIT 1",
        ),
        LinkKind::Order => Some(
            "SELECT order_number FROM orders \
             WHERE order_number = $1 OR ltrim(order_number, '0') = ltrim($1, '0') \
             ORDER BY CASE WHEN order_number = $1 THEN 0 ELSE 1 END LIMIT 1",
        ),
        LinkKind::Delivery => None,
    }
}

/// Implements the link edits on `$store` for database `$db`; uses the routing writes' audit
/// helper and the item-work fenced change, expanded on the same store.
macro_rules! impl_link_edit_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::link::LinkEditStore for $store {
            #[tracing::instrument(skip_all)]
            async fn edit_link(
                &self,
                item: switchboard_core::WorkItemId,
                edit: &switchboard_core::link::LinkEdit,
                remember_contact: bool,
                by: &switchboard_core::work::Worker,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::link::LinksEdited> {
                use switchboard_core::link::{LinkEdit, LinkKind};
                use switchboard_core::store::Store as _;

                let mut tx = self.begin_fenced_item_change(item, by, at).await?;
                let (kind, key) = match edit {
                    LinkEdit::Confirm(link) | LinkEdit::Remove(link) => {
                        let found: Option<(String, String)> = sqlx::query_as(
                            "SELECT kind, key FROM links WHERE id = $1 AND item_id = $2",
                        )
                        .bind(link.get())
                        .bind(item.get())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err($crate::error::db_error)?;
                        let (kind, key) = found.ok_or_else(|| {
                            switchboard_core::CoreError::not_found(format!(
                                "link {link} of item {item}"
                            ))
                        })?;
                        let kind = LinkKind::parse(&kind).ok_or_else(|| {
                            switchboard_core::CoreError::Internal(format!("stored link kind {kind}"))
                        })?;
                        (kind, key)
                    }
                    LinkEdit::Add { kind, key } => {
                        let lookup = $crate::link_sql::key_lookup(*kind).ok_or_else(|| {
                            switchboard_core::CoreError::BadInput(
                                "links are added by customer or order number".into(),
                            )
                        })?;
                        let stored: Option<String> = sqlx::query_scalar(lookup)
                            .bind(key.trim())
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err($crate::error::db_error)?;
                        let stored = stored.ok_or_else(|| {
                            switchboard_core::CoreError::not_found(format!("{kind} {}", key.trim()))
                        })?;
                        (*kind, stored)
                    }
                };
                let applies = !matches!(edit, LinkEdit::Remove(_));
                if applies && kind == LinkKind::Customer {
                    // An item has one customer: the one applied before becomes a suggestion.
                    sqlx::query(
                        "UPDATE links SET applied = $1 WHERE item_id = $2 AND kind = $3 AND key <> $4",
                    )
                    .bind(false)
                    .bind(item.get())
                    .bind(kind.as_str())
                    .bind(&key)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                }
                match edit {
                    LinkEdit::Remove(link) => {
                        sqlx::query("DELETE FROM links WHERE id = $1")
                            .bind(link.get())
                            .execute(&mut *tx)
                            .await
                            .map_err($crate::error::db_error)?;
                    }
                    LinkEdit::Confirm(_) | LinkEdit::Add { .. } => {
                        let verb = if matches!(edit, LinkEdit::Add { .. }) {
                            "linked"
                        } else {
                            "confirmed"
                        };
                        let evidence = format!("{kind} {key} {verb} by {}", by.name);
                        sqlx::query(
                            "INSERT INTO links (item_id, kind, key, confidence, origin, applied, evidence, created_at, \
                             received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                             (SELECT received_at FROM items WHERE id = $1)) \
                             ON CONFLICT (item_id, kind, key) DO UPDATE SET confidence = excluded.confidence, \
                             origin = excluded.origin, applied = excluded.applied, evidence = excluded.evidence",
                        )
                        .bind(item.get())
                        .bind(kind.as_str())
                        .bind(&key)
                        .bind(1.0_f64)
                        .bind(switchboard_core::link::LinkOrigin::Agent.as_str())
                        .bind(true)
                        .bind(&evidence)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    }
                }
                let details = serde_json::json!({ "kind": kind, "key": key, "by": by.name });
                let action = $crate::link_sql::action(edit);
                Self::routing_event(&mut tx, at, &by.actor, action, Some(item), details).await?;
                Self::place_in_case(&mut tx, item.get(), &self.cases, at).await?;
                tx.commit().await.map_err($crate::error::db_error)?;

                let mut unknown_sender = None;
                let mut remembered_contact = false;
                if applies && kind == LinkKind::Customer {
                    let sender = self.item(item).await?.map(|item| item.sender);
                    let customer = self.customer(&key).await?;
                    if let (Some(sender), Some(customer)) = (sender, customer) {
                        unknown_sender = switchboard_core::link::unknown_sender(&sender, &customer);
                    }
                    if let (true, Some(address)) = (remember_contact, unknown_sender.as_deref()) {
                        self.remember_contact(&key, address, by, at).await?;
                        remembered_contact = true;
                        unknown_sender = None;
                    }
                }
                Ok(switchboard_core::link::LinksEdited {
                    links: self.links_of(item).await?,
                    unknown_sender,
                    remembered_contact,
                })
            }
        }

        impl $store {
            /// Stores an e-mail address or number as a contact of a customer (contact id
            /// `remembered:<address>`), with an audit event; the master-data fingerprint moves,
            /// so linkers and the index read it again.
            async fn remember_contact(
                &self,
                customer_no: &str,
                address: &str,
                by: &switchboard_core::work::Worker,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let is_email = address.contains('@');
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                sqlx::query(
                    "INSERT INTO contacts (customer_number, contact_id, role, email, mobile, row_fingerprint, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (contact_id) DO NOTHING",
                )
                .bind(customer_no)
                .bind(format!("remembered:{address}"))
                .bind("remembered")
                .bind(is_email.then_some(address))
                .bind((!is_email).then_some(address))
                .bind(0_i64)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                let details = serde_json::json!({
                    "customer": customer_no, "contact": address, "by": by.name
                });
                Self::routing_event(&mut tx, at, &by.actor, "customer.contact_remembered", None, details)
                    .await?;
                tx.commit().await.map_err($crate::error::db_error)
            }
        }
    };
}

pub(crate) use impl_link_edit_store;
