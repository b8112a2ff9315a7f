//! The `Store` implementation, written once and expanded for each database by
//! [`impl_store!`]. SQL uses `$N` parameters, which SQLite and PostgreSQL both accept; the few
//! places where the dialects differ live in the per-database modules.

/// Implements [`switchboard_core::store::Store`] for `$store` (a struct with a `pool` field of
/// `sqlx::Pool<$db>` that reads go to, and a `writer()` method giving the pool writes go to).
macro_rules! impl_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::store::Store for $store {
            #[tracing::instrument(skip_all)]
            async fn ping(&self) -> switchboard_core::error::CoreResult<()> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn is_empty(&self) -> switchboard_core::error::CoreResult<bool> {
                let (populated,): (i64,) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM items) \
                     + (SELECT COUNT(*) FROM users)",
                )
                .fetch_one(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(populated == 0)
            }

            #[tracing::instrument(skip_all)]
            async fn setting(&self, name: &str) -> switchboard_core::error::CoreResult<Option<String>> {
                sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn set_setting(&self, name: &str, value: &str) -> switchboard_core::error::CoreResult<()> {
                sqlx::query(
                    "INSERT INTO settings (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(name)
                .bind(value)
                .execute(self.writer())
                .await
                .map(|_| ())
                .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn master_keys(
                &self,
                kind: switchboard_core::master::MasterKind,
            ) -> switchboard_core::error::CoreResult<std::collections::HashSet<String>> {
                let keys: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe($crate::master_sql::select_keys(kind)))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(keys.into_iter().collect())
            }

            #[tracing::instrument(skip_all)]
            async fn upsert_master(
                &self,
                batches: &[switchboard_core::master::MasterBatch],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::master::UpsertCounts>> {
                let now = chrono::Utc::now();
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let mut all_counts = Vec::with_capacity(batches.len());
                for batch in batches {
                    let stored: Vec<(String, i64)> =
                        sqlx::query_as(sqlx::AssertSqlSafe($crate::master_sql::select_fingerprints(batch.kind)))
                            .fetch_all(&mut *tx)
                            .await
                            .map_err($crate::error::db_error)?;
                    let stored: std::collections::HashMap<String, i64> = stored.into_iter().collect();
                    let admin_set: std::collections::HashSet<String> =
                        if batch.kind == switchboard_core::master::MasterKind::AgentSkills {
                            sqlx::query_scalar("SELECT agent_id FROM agent_skills_set_by_admin")
                                .fetch_all(&mut *tx)
                                .await
                                .map_err($crate::error::db_error)?
                                .into_iter()
                                .collect()
                        } else {
                            std::collections::HashSet::new()
                        };
                    let (counts, changed) = $crate::classify::classify(&batch.rows, &stored, |row| {
                        $crate::classify::skill_set_by_admin(row, &admin_set)
                    });
                    let head = $crate::master_sql::upsert_head(batch.kind);
                    let tail = $crate::master_sql::upsert_tail(batch.kind);
                    let columns = batch.kind.columns();
                    for chunk in changed.chunks($crate::master_sql::rows_per_statement(batch.kind)) {
                        let mut builder = sqlx::QueryBuilder::<$db>::new(&head);
                        builder.push_values(chunk, |mut values, row| {
                            for (column, value) in columns.iter().zip(&row.values) {
                                $crate::bind::push_value(&mut values, column, value);
                            }
                            values.push_bind(row.fingerprint).push_bind(now);
                        });
                        builder.push(&tail);
                        builder
                            .build()
                            .execute(&mut *tx)
                            .await
                            .map_err($crate::error::db_error)?;
                    }
                    if batch.kind == switchboard_core::master::MasterKind::Agents {
                        Self::ensure_agent_users(&mut tx, now).await?;
                    }
                    all_counts.push(counts);
                }
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(all_counts)
            }

            #[tracing::instrument(skip_all)]
            async fn count_master(
                &self,
                kind: switchboard_core::master::MasterKind,
            ) -> switchboard_core::error::CoreResult<i64> {
                sqlx::query_scalar(sqlx::AssertSqlSafe($crate::master_sql::count(kind)))
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn customer(
                &self,
                customer_no: &str,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::master::Customer>> {
                let row: Option<$crate::rows::CustomerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE customer_number = $1",
                    $crate::rows::CUSTOMER_SELECT
                )))
                .bind(customer_no)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let Some(row) = row else { return Ok(None) };
                let contacts: Vec<$crate::rows::ContactRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE customer_number = $1 ORDER BY contact_id",
                    $crate::rows::CONTACT_SELECT
                )))
                .bind(customer_no)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(Some(row.into_customer(contacts)))
            }

            #[tracing::instrument(skip_all)]
            async fn order(
                &self,
                order_no: &str,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::master::Order>> {
                let row: Option<$crate::rows::OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE order_number = $1",
                    $crate::rows::ORDER_SELECT
                )))
                .bind(order_no)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let Some(row) = row else { return Ok(None) };
                let lines: Vec<$crate::rows::OrderLineRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE order_number = $1 ORDER BY line",
                    $crate::rows::ORDER_LINE_SELECT
                )))
                .bind(order_no)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(Some(row.into_order(lines)))
            }

            #[tracing::instrument(skip_all)]
            async fn create_user(
                &self,
                user: &switchboard_core::user::NewUser,
            ) -> switchboard_core::error::CoreResult<switchboard_core::UserId> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (login, display_name, role, password_hash, agent_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(user.login.as_str())
                .bind(&user.display_name)
                .bind(user.role.as_str())
                .bind(user.password_hash.as_deref())
                .bind(user.agent_id.as_deref())
                .bind(chrono::Utc::now())
                .fetch_one(self.writer())
                .await
                .map_err($crate::error::db_error)?;
                Ok(switchboard_core::UserId::new(id))
            }

            #[tracing::instrument(skip_all)]
            async fn set_password(
                &self,
                login: &switchboard_core::Login,
                password_hash: &str,
            ) -> switchboard_core::error::CoreResult<()> {
                self.update_user("UPDATE users SET password_hash = $1 WHERE login = $2", password_hash, login)
                    .await
            }

            #[tracing::instrument(skip_all)]
            async fn set_role(
                &self,
                login: &switchboard_core::Login,
                role: switchboard_core::user::Role,
            ) -> switchboard_core::error::CoreResult<()> {
                self.update_user("UPDATE users SET role = $1 WHERE login = $2", role.as_str(), login)
                    .await
            }

            #[tracing::instrument(skip_all)]
            async fn user_credentials(
                &self,
                login: &switchboard_core::Login,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::user::UserCredentials>> {
                let row: Option<$crate::rows::UserRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("{} WHERE login = $1", $crate::rows::USER_SELECT)))
                        .bind(login.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                row.map(|row| {
                    row.into_user().map(|(user, password_hash)| {
                        switchboard_core::user::UserCredentials { user, password_hash }
                    })
                })
                .transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn users(&self) -> switchboard_core::error::CoreResult<Vec<switchboard_core::user::User>> {
                let rows: Vec<$crate::rows::UserRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("{} ORDER BY login", $crate::rows::USER_SELECT)))
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                rows.into_iter().map(|row| row.into_user().map(|(user, _)| user)).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn user_skills(
                &self,
                user: switchboard_core::UserId,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::skill::Skill>> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT agent_skills.skill, agent_skills.proficiency FROM agent_skills \
                     JOIN users ON users.agent_id = agent_skills.agent_id \
                     WHERE users.id = $1 ORDER BY agent_skills.skill",
                )
                .bind(user.get())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                rows.into_iter()
                    .map(|(name, level)| {
                        switchboard_core::skill::validate_level(level)
                            .map(|level| switchboard_core::skill::Skill { name, level })
                    })
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn create_api_token(
                &self,
                token: &switchboard_core::admin::NewApiToken,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::ApiTokenId> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO api_tokens (name, role, token_hash, prefix, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&token.name)
                .bind(token.role.as_str())
                .bind(&token.token_hash)
                .bind(&token.prefix)
                .bind(now)
                .fetch_one(self.writer())
                .await
                .map_err($crate::error::db_error)?;
                Ok(switchboard_core::ApiTokenId::new(id))
            }

            #[tracing::instrument(skip_all)]
            async fn api_token_by_hash(
                &self,
                token_hash: &str,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::user::ApiToken>> {
                type TokenRow = (
                    i64,
                    String,
                    String,
                    chrono::DateTime<chrono::Utc>,
                    Option<chrono::DateTime<chrono::Utc>>,
                );
                let row: Option<TokenRow> = sqlx::query_as(
                    "SELECT id, name, role, created_at, last_used_at FROM api_tokens \
                     WHERE token_hash = $1 AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                row.map(|(id, name, role, created_at, last_used_at)| {
                    let role = switchboard_core::user::Role::parse(&role)
                        .ok_or_else(|| $crate::error::corrupt("role", &role))?;
                    Ok(switchboard_core::user::ApiToken {
                        id: switchboard_core::ApiTokenId::new(id),
                        name,
                        role,
                        created_at,
                        last_used_at,
                    })
                })
                .transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn insert_item(
                &self,
                item: &switchboard_core::item::NewItem,
                placement: &switchboard_core::store::ItemPlacement,
            ) -> switchboard_core::error::CoreResult<switchboard_core::WorkItemId> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let id = Self::insert_item_in(&mut tx, item, placement, None, &self.cases).await?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(id)
            }

            #[tracing::instrument(skip_all)]
            async fn count_items(&self) -> switchboard_core::error::CoreResult<i64> {
                sqlx::query_scalar("SELECT COUNT(*) FROM items")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn export_items(
                &self,
                after: Option<switchboard_core::WorkItemId>,
                limit: u32,
                with_text: bool,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::item::ExportedItem>> {
                let after = after.map_or(0, switchboard_core::WorkItemId::get);
                let rows: Vec<$crate::rows::ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE items.id > $1 ORDER BY items.id LIMIT $2",
                    $crate::rows::ITEM_SELECT
                )))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                    return Ok(Vec::new());
                };
                let links: Vec<$crate::rows::LinkRow> = sqlx::query_as(
                    "SELECT id, item_id, kind, key, confidence, origin, applied, evidence \
                     FROM links WHERE item_id BETWEEN $1 AND $2 ORDER BY item_id, id",
                )
                .bind(first.id)
                .bind(last.id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                $crate::rows::export(rows, links, with_text)
            }

            #[tracing::instrument(skip_all)]
            async fn record_event(
                &self,
                event: &switchboard_core::event::NewEvent,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query(
                    "INSERT INTO events (at, actor, action, item_id, details) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(event.at)
                .bind(sqlx::types::Json(&event.actor))
                .bind(&event.action)
                .bind(event.item_id.map(switchboard_core::WorkItemId::get))
                .bind(sqlx::types::Json(&event.details))
                .execute(self.writer())
                .await
                .map(|_| ())
                .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn master_data(
                &self,
            ) -> switchboard_core::error::CoreResult<switchboard_core::master::MasterData> {
                let customers: Vec<$crate::rows::CustomerRow> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("{} ORDER BY customer_number", $crate::rows::CUSTOMER_SELECT),
                ))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let contacts: Vec<$crate::rows::ContactOfRow> =
                    sqlx::query_as($crate::rows::ALL_CONTACTS_SELECT)
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                let mut contacts = $crate::rows::group_by_key(
                    contacts.into_iter().map(|row| (row.customer_number, row.contact)).collect(),
                );
                let orders: Vec<$crate::rows::OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("{} ORDER BY order_number", $crate::rows::ORDER_SELECT),
                ))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let lines: Vec<$crate::rows::LineOfRow> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("{} ORDER BY order_number, line", $crate::rows::LINE_OF_SELECT),
                ))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                let mut lines = $crate::rows::group_by_key(
                    lines.into_iter().map(|row| (row.order_number, row.line)).collect(),
                );
                let deliveries: Vec<$crate::rows::DeliveryRow> =
                    sqlx::query_as($crate::rows::DELIVERY_SELECT)
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                let invoices: Vec<$crate::rows::InvoiceRow> = sqlx::query_as($crate::rows::INVOICE_SELECT)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                let products: Vec<$crate::rows::ProductRow> = sqlx::query_as($crate::rows::PRODUCT_SELECT)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(switchboard_core::master::MasterData {
                    customers: customers
                        .into_iter()
                        .map(|row| {
                            let own = contacts.remove(&row.customer_number).unwrap_or_default();
                            row.into_customer(own)
                        })
                        .collect(),
                    orders: orders
                        .into_iter()
                        .map(|row| {
                            let own = lines.remove(&row.order_number).unwrap_or_default();
                            row.into_order(own)
                        })
                        .collect(),
                    deliveries: deliveries.into_iter().map($crate::rows::DeliveryRow::into_delivery).collect(),
                    invoices: invoices.into_iter().map($crate::rows::InvoiceRow::into_invoice).collect(),
                    products: products.into_iter().map($crate::rows::ProductRow::into_product).collect(),
                })
            }

            #[tracing::instrument(skip_all)]
            async fn land(
                &self,
                inbound: &switchboard_core::inbound::NewInbound,
            ) -> switchboard_core::error::CoreResult<switchboard_core::inbound::Landing> {
                self.land_batch(std::slice::from_ref(inbound))
                    .await?
                    .pop()
                    .ok_or_else(|| switchboard_core::CoreError::Internal("landing lost".into()))
            }

            #[tracing::instrument(skip_all)]
            async fn land_batch(
                &self,
                inbounds: &[switchboard_core::inbound::NewInbound],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::inbound::Landing>> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let landings = Self::land_all_in(&mut tx, inbounds).await?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(landings)
            }

            #[tracing::instrument(skip_all)]
            async fn inbound_in_state(
                &self,
                state: switchboard_core::inbound::InboundState,
                after: Option<switchboard_core::InboundId>,
                limit: u32,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::inbound::Inbound>> {
                let rows: Vec<$crate::rows::InboundRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3",
                    $crate::rows::INBOUND_SELECT
                )))
                .bind(state.as_str())
                .bind(after.map_or(0, switchboard_core::InboundId::get))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                rows.into_iter().map($crate::rows::InboundRow::into_inbound).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn inbound_raw(
                &self,
                id: switchboard_core::InboundId,
            ) -> switchboard_core::error::CoreResult<Option<Vec<u8>>> {
                let raw: Option<Option<Vec<u8>>> = sqlx::query_scalar(
                    "SELECT inbound_raw.raw FROM inbound LEFT JOIN inbound_raw \
                     ON inbound_raw.inbound_id = inbound.id WHERE inbound.id = $1",
                )
                .bind(id.get())
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                raw.ok_or_else(|| switchboard_core::CoreError::not_found(format!("inbound {id}")))
            }

            #[tracing::instrument(skip_all)]
            async fn set_inbound_state(
                &self,
                id: switchboard_core::InboundId,
                state: switchboard_core::inbound::InboundState,
                error: Option<&str>,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query(
                    "UPDATE inbound SET state = $1, error = $2, attempts = attempts + 1, \
                     updated_at = $3 WHERE id = $4",
                )
                .bind(state.as_str())
                .bind(error)
                .bind(chrono::Utc::now())
                .bind(id.get())
                .execute(self.writer())
                .await
                .map(|_| ())
                .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn complete_inbound(
                &self,
                inbound: switchboard_core::InboundId,
                item: &switchboard_core::item::NewItem,
                placement: &switchboard_core::store::ItemPlacement,
            ) -> switchboard_core::error::CoreResult<switchboard_core::WorkItemId> {
                let completion = switchboard_core::store::InboundCompletion {
                    inbound,
                    item,
                    placement,
                    replies_to: None,
                };
                self.complete_inbounds(std::slice::from_ref(&completion))
                    .await?
                    .pop()
                    .ok_or_else(|| switchboard_core::CoreError::Internal("completion lost".into()))
            }

            #[tracing::instrument(skip_all)]
            async fn complete_inbounds(
                &self,
                completions: &[switchboard_core::store::InboundCompletion<'_>],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::WorkItemId>> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let items = Self::complete_all_in(&mut tx, completions, &self.cases).await?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(items)
            }

            #[tracing::instrument(skip_all)]
            async fn thread_candidates(
                &self,
                message_ids: &[String],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::inbound::ThreadCandidate>> {
                if message_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut builder = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, message_id, thread_id, status, assigned_user_id FROM items \
                     WHERE message_id IN (",
                );
                let mut separated = builder.separated(", ");
                for message_id in message_ids {
                    separated.push_bind(message_id.clone());
                }
                builder.push(") ORDER BY id");
                let rows: Vec<(i64, String, Option<i64>, String, Option<i64>)> = builder
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                rows.into_iter()
                    .map(|(id, message_id, thread_id, status, assigned)| {
                        Ok(switchboard_core::inbound::ThreadCandidate {
                            item_id: switchboard_core::WorkItemId::new(id),
                            message_id,
                            thread_id: thread_id.map(switchboard_core::WorkItemId::new),
                            status: switchboard_core::item::ItemStatus::parse(&status)
                                .ok_or_else(|| $crate::error::corrupt("status", &status))?,
                            assigned_user_id: assigned.map(switchboard_core::UserId::new),
                        })
                    })
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn item(
                &self,
                id: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::item::WorkItem>> {
                Ok(self.item_with_queue(id).await?.map(|(item, _)| item))
            }

            #[tracing::instrument(skip_all)]
            async fn item_with_queue(
                &self,
                id: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<
                Option<(switchboard_core::item::WorkItem, Option<String>)>,
            > {
                let row: Option<$crate::rows::ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE items.id = $1",
                    $crate::rows::ITEM_SELECT
                )))
                .bind(id.get())
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                row.map(|row| row.into_item().map(|(item, queue, _)| (item, queue)))
                    .transpose()
            }

            #[tracing::instrument(skip_all)]
            async fn links_of(
                &self,
                id: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::link::Link>> {
                let rows: Vec<$crate::rows::LinkRow> = sqlx::query_as(
                    "SELECT id, item_id, kind, key, confidence, origin, applied, evidence \
                     FROM links WHERE item_id = $1 ORDER BY id",
                )
                .bind(id.get())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                rows.into_iter().map($crate::rows::LinkRow::into_link).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn links_of_items(
                &self,
                ids: &[switchboard_core::WorkItemId],
            ) -> switchboard_core::error::CoreResult<
                std::collections::HashMap<switchboard_core::WorkItemId, Vec<switchboard_core::link::Link>>,
            > {
                let mut found = std::collections::HashMap::new();
                for chunk in ids.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut items =
                        sqlx::QueryBuilder::<$db>::new("SELECT id FROM items WHERE id IN ");
                    $crate::bind::push_in_list(&mut items, chunk.iter().map(|id| id.get()));
                    let existing: Vec<i64> = items
                        .build_query_scalar()
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                    for id in &existing {
                        found.insert(switchboard_core::WorkItemId::new(*id), Vec::new());
                    }
                    let mut links = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, item_id, kind, key, confidence, origin, applied, evidence \
                         FROM links WHERE item_id IN ",
                    );
                    $crate::bind::push_in_list(&mut links, chunk.iter().map(|id| id.get()));
                    links.push(" ORDER BY id");
                    let rows: Vec<$crate::rows::LinkRow> = links
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                    for row in rows {
                        let link = row.into_link()?;
                        found.entry(link.item_id).or_insert_with(Vec::new).push(link);
                    }
                }
                Ok(found)
            }

            #[tracing::instrument(skip_all)]
            async fn upsert_task(
                &self,
                external_id: &str,
                item: &switchboard_core::item::NewItem,
                placement: &switchboard_core::store::ItemPlacement,
            ) -> switchboard_core::error::CoreResult<(switchboard_core::WorkItemId, bool)> {
                // Two first posts of one id race to insert; the unique index lets one win and
                // the other, tried again, finds the winner's item and updates it.
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match self.upsert_task_once(external_id, item, placement).await {
                        Err(switchboard_core::CoreError::Conflict(_)) if attempt < 3 => continue,
                        outcome => return outcome,
                    }
                }
            }
        }

        impl $store {
            /// Runs `update`, a statement meant to change one row; when it changes none, `what`
            /// (e.g. "user ann") is not found.
            async fn update_one(
                &self,
                update: sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments>,
                what: impl FnOnce() -> String,
            ) -> switchboard_core::error::CoreResult<()> {
                let result = update
                    .execute(self.writer())
                    .await
                    .map_err($crate::error::db_error)?;
                if result.rows_affected() == 0 {
                    return Err(switchboard_core::CoreError::not_found(what()));
                }
                Ok(())
            }

            /// Runs `statement`, an `UPDATE users` of one column with `value` as `$1` and the
            /// login as `$2`; a login no user has is not found.
            async fn update_user<V>(
                &self,
                statement: &'static str,
                value: V,
                login: &switchboard_core::Login,
            ) -> switchboard_core::error::CoreResult<()>
            where
                V: for<'v> sqlx::Encode<'v, $db> + sqlx::Type<$db> + Send,
            {
                debug_assert!(statement.starts_with("UPDATE users SET "));
                let update = sqlx::query(statement).bind(value).bind(login.as_str());
                self.update_one(update, || format!("user {login}")).await
            }

            /// Replaces an item's automatic links with the pipeline's new ones; links agents
            /// made or confirmed stay.
            async fn replace_auto_links_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: i64,
                links: &[switchboard_core::link::NewLink],
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query("DELETE FROM links WHERE item_id = $1 AND origin = 'auto'")
                    .bind(item)
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)?;
                Self::insert_links_in(tx, item, links, now).await
            }

            /// Records an attachment of an item; its bytes are in the blob store already.
            async fn insert_attachment_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: i64,
                attachment: &switchboard_core::item::NewAttachment,
            ) -> switchboard_core::error::CoreResult<()> {
                Self::insert_attachments_in(tx, &[(item, attachment)]).await
            }

            /// Inserts the links the pipeline found for an item.
            async fn insert_links_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: i64,
                links: &[switchboard_core::link::NewLink],
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let received_at: chrono::DateTime<chrono::Utc> =
                    sqlx::query_scalar("SELECT received_at FROM items WHERE id = $1")
                        .bind(item)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                let rows: Vec<$crate::intake_sql::LinkRow<'_>> =
                    links.iter().map(|link| (item, received_at, link)).collect();
                Self::insert_link_rows_in(tx, &rows, now).await
            }

            /// One attempt of [`Store::upsert_task`]; a concurrent insert makes it a conflict.
            async fn upsert_task_once(
                &self,
                external_id: &str,
                item: &switchboard_core::item::NewItem,
                placement: &switchboard_core::store::ItemPlacement,
            ) -> switchboard_core::error::CoreResult<(switchboard_core::WorkItemId, bool)> {
                type Current = (
                    i64,
                    Option<String>,
                    String,
                    i64,
                    sqlx::types::Json<serde_json::Value>,
                    sqlx::types::Json<serde_json::Value>,
                    Option<chrono::DateTime<chrono::Utc>>,
                );
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                // Write first: SQLite takes its write lock (waiting for a concurrent post to
                // commit) and PostgreSQL the row's lock, so the read below sees that post.
                sqlx::query(
                    "UPDATE items SET version = version WHERE channel = 'task' AND source = $1",
                )
                .bind(external_id)
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                let current: Option<Current> = sqlx::query_as(
                    "SELECT id, subject, text, priority, required_skills, details, sla_due_at \
                     FROM items WHERE channel = 'task' AND source = $1 ORDER BY id LIMIT 1",
                )
                .bind(external_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                let Some((id, subject, text, priority, skills, details, due)) = current else {
                    let id = Self::insert_item_in(&mut tx, item, placement, None, &self.cases).await?;
                    tx.commit().await.map_err($crate::error::db_error)?;
                    return Ok((id, true));
                };
                let new_skills: Vec<String> =
                    placement.required_skills.iter().map(ToString::to_string).collect();
                let new_skills_value = serde_json::json!(new_skills);
                let unchanged = subject.as_deref() == item.subject.as_deref()
                    && text == item.text
                    && priority == i64::from(placement.priority)
                    && skills.0 == new_skills_value
                    && details.0 == item.details
                    && due == placement.sla.map(|clock| clock.due_at);
                if unchanged {
                    tx.commit().await.map_err($crate::error::db_error)?;
                    return Ok((switchboard_core::WorkItemId::new(id), false));
                }
                let now = chrono::Utc::now();
                sqlx::query(
                    "UPDATE items SET subject = $1, text = $2, priority = $3, \
                     required_skills = $4, details = $5, updated_at = $6, sla_due_at = $7, \
                     sla_at_risk_at = $8, version = version + 1 WHERE id = $9",
                )
                .bind(item.subject.as_deref())
                .bind(&item.text)
                .bind(i64::from(placement.priority))
                .bind(sqlx::types::Json(&new_skills))
                .bind(sqlx::types::Json(&item.details))
                .bind(now)
                .bind(placement.sla.map(|clock| clock.due_at))
                .bind(placement.sla.map(|clock| clock.at_risk_at))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                Self::replace_auto_links_in(&mut tx, id, &placement.links, now).await?;
                Self::place_in_case(&mut tx, id, &self.cases, now).await?;
                sqlx::query(
                    "INSERT INTO events (at, actor, action, item_id, details) \
                     VALUES ($1, $2, 'item.updated', $3, $4)",
                )
                .bind(now)
                .bind(sqlx::types::Json(&switchboard_core::event::Actor::System))
                .bind(id)
                .bind(sqlx::types::Json(serde_json::json!({
                    "channel": item.channel.as_str(),
                    "source": item.source,
                })))
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                sqlx::query("INSERT INTO item_changes (item_id) VALUES ($1)")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok((switchboard_core::WorkItemId::new(id), false))
            }
            /// Inserts one item with its links, attachments, event and change-feed row, and
            /// places it in its case.
            async fn insert_item_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: &switchboard_core::item::NewItem,
                placement: &switchboard_core::store::ItemPlacement,
                inbound: Option<i64>,
                cases: &switchboard_core::case::CaseRule,
            ) -> switchboard_core::error::CoreResult<switchboard_core::WorkItemId> {
                let input = $crate::intake_sql::ItemRowInput { item, placement, inbound };
                Self::insert_items_in(tx, std::slice::from_ref(&input), cases)
                    .await?
                    .pop()
                    .ok_or_else(|| switchboard_core::CoreError::Internal("item not inserted".into()))
            }

            /// Gives every imported agent a user account (login = agent id, no password yet).
            async fn ensure_agent_users(
                tx: &mut sqlx::Transaction<'_, $db>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query(
                    "INSERT INTO users (login, display_name, role, agent_id, created_at) \
                     SELECT agents.agent_id, agents.name, 'agent', agents.agent_id, $1 FROM agents \
                     WHERE NOT EXISTS (SELECT 1 FROM users WHERE users.login = agents.agent_id)",
                )
                .bind(now)
                .execute(&mut **tx)
                .await
                .map(|_| ())
                .map_err($crate::error::db_error)
            }

            /// Returns a queue's id, creating the queue with default settings when it is new.
            async fn queue_id_for(
                tx: &mut sqlx::Transaction<'_, $db>,
                name: &str,
            ) -> switchboard_core::error::CoreResult<i64> {
                // The queue exists almost always (every batch names its queues): read it
                // first, and write only for a new one.
                let known: Option<i64> = sqlx::query_scalar($crate::sql_store::QUEUE_ID_BY_NAME)
                    .bind(name)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)?;
                if let Some(id) = known {
                    return Ok(id);
                }
                sqlx::query("INSERT INTO queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
                    .bind(name)
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)?;
                sqlx::query_scalar($crate::sql_store::QUEUE_ID_BY_NAME)
                    .bind(name)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)
            }
        }
    };
}

pub(crate) use impl_store;

/// A queue's id by its name ([`impl_store!`]'s `queue_id_for`, before and after creating it).
pub(crate) const QUEUE_ID_BY_NAME: &str = "SELECT id FROM queues WHERE name = $1";
