//! Landing inputs and writing the items made of them, a batch at a time: every step is one
//! multi-row statement per batch, so a batch of a few hundred e-mails costs a handful of round
//! trips instead of a dozen per item. Written once and expanded for each database by
//! [`impl_intake_writes!`].

/// A link row to insert: the item, the item's `received_at` (which links carry, see migration
/// 0023) and the link.
pub(crate) type LinkRow<'l> = (
    i64,
    chrono::DateTime<chrono::Utc>,
    &'l switchboard_core::link::NewLink,
);

/// Rows per multi-row statement: far below both databases' bound-parameter limits (SQLite
/// 32,766; PostgreSQL 65,535) for the widest row written here (an item, 26 values).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// What landing returns of an input's row ([`LandedRow`]).
pub(crate) const LANDED_COLUMNS: &str =
    "id, channel, source, blob, received_at, state, item_id, attempts, idem_key, fingerprint";

/// An input's row as landing reads it back, with the key it is found by.
#[derive(sqlx::FromRow)]
pub(crate) struct LandedRow {
    #[sqlx(flatten)]
    pub(crate) inbound: crate::rows::InboundRow,
    pub(crate) idem_key: String,
    pub(crate) fingerprint: String,
}

impl LandedRow {
    /// The row's channel, idempotency key and fingerprint.
    pub(crate) fn key(&self) -> (&str, &str, &str) {
        (&self.inbound.channel, &self.idem_key, &self.fingerprint)
    }
}

/// An input's channel, idempotency key and fingerprint, as [`LandedRow::key`] gives them.
pub(crate) fn key_of(inbound: &switchboard_core::inbound::NewInbound) -> (&str, &str, &str) {
    (
        inbound.channel.as_str(),
        &inbound.idem_key,
        &inbound.fingerprint,
    )
}

/// The input an item is made of, as the batch writes it.
pub(crate) struct ItemRowInput<'a> {
    pub(crate) item: &'a switchboard_core::item::NewItem,
    pub(crate) placement: &'a switchboard_core::store::ItemPlacement,
    pub(crate) inbound: Option<i64>,
}

/// Implements the batched intake writes on `$store` (a struct with a `pool: sqlx::Pool<$db>`
/// field); [`impl_store!`](crate::sql_store) calls them.
macro_rules! impl_intake_writes {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Lands inputs in `tx`: inserts those not landed before and returns every input's
            /// row, in order. The same input twice in one batch lands once.
            pub(crate) async fn land_all_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                inbounds: &[switchboard_core::inbound::NewInbound],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::inbound::Landing>> {
                let now = chrono::Utc::now();
                let mut inserted = std::collections::HashSet::new();
                let mut rows = std::collections::HashMap::new();
                for chunk in inbounds.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO inbound (channel, source, idem_key, fingerprint, blob, \
                         size, received_at, state, created_at, updated_at) ",
                    );
                    insert.push_values(chunk, |mut row, inbound| {
                        row.push_bind(inbound.channel.as_str())
                            .push_bind(inbound.source.clone())
                            .push_bind(inbound.idem_key.clone())
                            .push_bind(inbound.fingerprint.clone())
                            .push_bind(inbound.blob.clone())
                            .push_bind(inbound.size)
                            .push_bind(inbound.received_at)
                            .push_bind("landed")
                            .push_bind(now)
                            .push_bind(now);
                    });
                    insert.push(format!(
                        " ON CONFLICT (channel, idem_key, fingerprint) DO NOTHING RETURNING {}",
                        $crate::intake_sql::LANDED_COLUMNS
                    ));
                    // The rows inserted now come back whole; only inputs landed before (a
                    // re-delivery) are looked up by their key.
                    let mut landed: Vec<$crate::intake_sql::LandedRow> = insert
                        .build_query_as()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    let new_ids: std::collections::HashSet<i64> =
                        landed.iter().map(|row| row.inbound.id).collect();
                    let earlier: Vec<&switchboard_core::inbound::NewInbound> = {
                        let returned: std::collections::HashSet<(&str, &str, &str)> =
                            landed.iter().map($crate::intake_sql::LandedRow::key).collect();
                        chunk
                            .iter()
                            .filter(|inbound| {
                                !returned.contains(&$crate::intake_sql::key_of(inbound))
                            })
                            .collect()
                    };
                    if !earlier.is_empty() {
                        let mut keys = sqlx::QueryBuilder::<$db>::new(format!(
                            "SELECT {} FROM inbound WHERE (channel, idem_key, fingerprint) IN (",
                            $crate::intake_sql::LANDED_COLUMNS
                        ));
                        keys.push_values(earlier, |mut row, inbound| {
                            row.push_bind(inbound.channel.as_str())
                                .push_bind(inbound.idem_key.clone())
                                .push_bind(inbound.fingerprint.clone());
                        });
                        keys.push(")");
                        let found: Vec<$crate::intake_sql::LandedRow> = keys
                            .build_query_as()
                            .fetch_all(&mut **tx)
                            .await
                            .map_err($crate::error::db_error)?;
                        landed.extend(found);
                    }
                    // The raw bytes of the inputs this chunk inserted, once each.
                    let raw_of: std::collections::HashMap<(&str, &str, &str), &Vec<u8>> = chunk
                        .iter()
                        .filter_map(|inbound| {
                            Some(($crate::intake_sql::key_of(inbound), inbound.raw.as_ref()?))
                        })
                        .collect();
                    let raws: Vec<(i64, &Vec<u8>)> = landed
                        .iter()
                        .filter(|row| new_ids.contains(&row.inbound.id))
                        .filter_map(|row| Some((row.inbound.id, *raw_of.get(&row.key())?)))
                        .collect();
                    if !raws.is_empty() {
                        let mut insert = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO inbound_raw (inbound_id, raw) ",
                        );
                        insert.push_values(&raws, |mut row, (id, raw)| {
                            row.push_bind(*id).push_bind(raw.as_slice());
                        });
                        insert
                            .build()
                            .execute(&mut **tx)
                            .await
                            .map_err($crate::error::db_error)?;
                    }
                    for row in landed {
                        let key = (
                            row.inbound.channel.clone(),
                            row.idem_key,
                            row.fingerprint,
                        );
                        rows.insert(key, row.inbound.into_inbound()?);
                    }
                    inserted.extend(new_ids);
                }
                inbounds
                    .iter()
                    .map(|inbound| {
                        let key = (
                            inbound.channel.as_str().to_owned(),
                            inbound.idem_key.clone(),
                            inbound.fingerprint.clone(),
                        );
                        let row = rows.get(&key).cloned().ok_or_else(|| {
                            switchboard_core::CoreError::Internal(format!(
                                "input {} not found after landing",
                                inbound.source
                            ))
                        })?;
                        Ok(switchboard_core::inbound::Landing {
                            is_new: inserted.contains(&row.id.get()),
                            inbound: row,
                        })
                    })
                    .collect()
            }

            /// Writes the items of landed inputs in `tx` and marks each input processed (or
            /// failed); an input that has its item already (another worker finished it) gets
            /// that item back. Returns the items in order.
            pub(crate) async fn complete_all_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                completions: &[switchboard_core::store::InboundCompletion<'_>],
                cases: &switchboard_core::case::CaseRule,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::WorkItemId>> {
                // Claim the inputs first: of two workers finishing the same input, one updates
                // its row and the other finds the item already made.
                let now = chrono::Utc::now();
                let mut claimed = std::collections::HashSet::new();
                for (state, failed) in [("processed", false), ("failed", true)] {
                    let ids: Vec<i64> = completions
                        .iter()
                        .filter(|completion| {
                            (completion.placement.status == switchboard_core::item::ItemStatus::Failed)
                                == failed
                        })
                        .map(|completion| completion.inbound.get())
                        .collect();
                    for chunk in ids.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                        let mut claim = sqlx::QueryBuilder::<$db>::new("UPDATE inbound SET state = ");
                        claim
                            .push_bind(state)
                            .push(", attempts = attempts + 1, updated_at = ")
                            .push_bind(now)
                            .push(" WHERE item_id IS NULL AND id IN (");
                        let mut separated = claim.separated(", ");
                        for id in chunk {
                            separated.push_bind(*id);
                        }
                        claim.push(") RETURNING id");
                        let ids: Vec<i64> = claim
                            .build_query_scalar()
                            .fetch_all(&mut **tx)
                            .await
                            .map_err($crate::error::db_error)?;
                        claimed.extend(ids);
                    }
                }
                type Completion<'c> = &'c switchboard_core::store::InboundCompletion<'c>;
                let (fresh, taken): (Vec<Completion<'_>>, Vec<Completion<'_>>) = completions
                    .iter()
                    .partition(|completion| claimed.contains(&completion.inbound.get()));
                let mut made = std::collections::HashMap::new();
                if !taken.is_empty() {
                    let mut existing = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, item_id FROM inbound WHERE id IN (",
                    );
                    let mut separated = existing.separated(", ");
                    for completion in &taken {
                        separated.push_bind(completion.inbound.get());
                    }
                    existing.push(")");
                    let rows: Vec<(i64, Option<i64>)> = existing
                        .build_query_as()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    made.extend(rows.into_iter().filter_map(|(inbound, item)| {
                        item.map(|item| (inbound, switchboard_core::WorkItemId::new(item)))
                    }));
                }
                let inputs: Vec<$crate::intake_sql::ItemRowInput<'_>> = fresh
                    .iter()
                    .map(|completion| $crate::intake_sql::ItemRowInput {
                        item: completion.item,
                        placement: completion.placement,
                        inbound: Some(completion.inbound.get()),
                    })
                    .collect();
                let ids = Self::insert_items_in(tx, &inputs, cases).await?;
                for (completion, id) in fresh.iter().zip(&ids) {
                    made.insert(completion.inbound.get(), *id);
                }
                let fresh_inbounds: std::collections::HashSet<i64> =
                    fresh.iter().map(|completion| completion.inbound.get()).collect();
                Self::join_batch_parents_in(tx, completions, &made, &fresh_inbounds).await?;
                for chunk in fresh.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut link = sqlx::QueryBuilder::<$db>::new(
                        "UPDATE inbound SET item_id = (SELECT items.id FROM items \
                         WHERE items.inbound_id = inbound.id) WHERE id IN (",
                    );
                    let mut separated = link.separated(", ");
                    for completion in chunk {
                        separated.push_bind(completion.inbound.get());
                    }
                    link.push(")");
                    link.build()
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                }
                completions
                    .iter()
                    .map(|completion| {
                        made.get(&completion.inbound.get()).copied().ok_or_else(|| {
                            switchboard_core::CoreError::not_found(format!(
                                "inbound {}",
                                completion.inbound
                            ))
                        })
                    })
                    .collect()
            }

            /// Joins each new item that replies to an earlier completion of the same batch
            /// (`replies_to`) to that item's thread, now that both are written: one read of the
            /// parents' threads and one update for all of them.
            async fn join_batch_parents_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                completions: &[switchboard_core::store::InboundCompletion<'_>],
                made: &std::collections::HashMap<i64, switchboard_core::WorkItemId>,
                fresh: &std::collections::HashSet<i64>,
            ) -> switchboard_core::error::CoreResult<()> {
                let item_of = |position: usize| {
                    completions
                        .get(position)
                        .and_then(|completion| made.get(&completion.inbound.get()))
                        .map(|item| item.get())
                };
                let mut joins: Vec<(i64, i64)> = Vec::new();
                for (position, completion) in completions.iter().enumerate() {
                    let Some(parent) = completion.replies_to else { continue };
                    if !fresh.contains(&completion.inbound.get()) {
                        continue;
                    }
                    match (parent < position, item_of(parent), item_of(position)) {
                        (true, Some(parent), Some(item)) => joins.push((item, parent)),
                        _ => {
                            return Err(switchboard_core::CoreError::Internal(format!(
                                "inbound {} replies to completion {parent}, which is not an earlier one of its batch",
                                completion.inbound
                            )));
                        }
                    }
                }
                if joins.is_empty() {
                    return Ok(());
                }
                let parents: Vec<i64> = joins.iter().map(|(_, parent)| *parent).collect();
                let mut threads = Self::threads_of_items_in(tx, parents).await?;
                // In batch order: a parent that replies to another item of the batch has its
                // thread set before its own replies take it.
                let planned: Vec<(i64, i64, i64)> = joins
                    .into_iter()
                    .map(|(item, parent)| {
                        let thread = threads.get(&parent).copied().unwrap_or(parent);
                        threads.insert(item, thread);
                        (item, parent, thread)
                    })
                    .collect();
                for chunk in planned.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut update =
                        sqlx::QueryBuilder::<$db>::new("WITH joined (id, parent_id, thread_id) AS (");
                    update.push_values(chunk, |mut row, (item, parent, thread)| {
                        row.push_bind(*item).push_bind(*parent).push_bind(*thread);
                    });
                    update.push(
                        ") UPDATE items SET parent_id = joined.parent_id, thread_id = joined.thread_id \
                         FROM joined WHERE items.id = joined.id",
                    );
                    update
                        .build()
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                }
                Ok(())
            }

            /// Inserts items with their links, attachments, events and change-feed rows, and
            /// places each in its case; returns their ids in order. Items of several inputs
            /// must each name their input (it tells the rows apart).
            pub(crate) async fn insert_items_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                inputs: &[$crate::intake_sql::ItemRowInput<'_>],
                cases: &switchboard_core::case::CaseRule,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::WorkItemId>> {
                if inputs.is_empty() {
                    return Ok(Vec::new());
                }
                let now = chrono::Utc::now();
                let mut queues: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
                for input in inputs {
                    if let Some(name) = input.placement.queue.as_deref()
                        && !queues.contains_key(name)
                    {
                        queues.insert(name, Self::queue_id_for(tx, name).await?);
                    }
                }
                let threads = Self::parent_threads_in(tx, inputs).await?;
                let mut ids = Vec::with_capacity(inputs.len());
                for chunk in inputs.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO items (channel, source, received_at, language, subject, \
                         sender_email, sender_phone, sender_name, message_id, text, html, \
                         thread_id, parent_id, noise, status, queue_id, priority, required_skills, \
                         warnings, details, created_at, updated_at, inbound_id, intent, \
                         product_lines, sla_due_at, sla_at_risk_at, route, rule_set_version) ",
                    );
                    insert.push_values(chunk, |mut row, input| {
                        let (item, placement) = (input.item, input.placement);
                        let skills: Vec<String> =
                            placement.required_skills.iter().map(ToString::to_string).collect();
                        row.push_bind(item.channel.as_str())
                            .push_bind(item.source.clone())
                            .push_bind(item.received_at)
                            .push_bind(item.language.map(|language| language.as_str()))
                            .push_bind(item.subject.clone())
                            .push_bind(item.sender.email.clone())
                            .push_bind(item.sender.phone.clone())
                            .push_bind(item.sender.name.clone())
                            .push_bind(item.message_id.clone())
                            .push_bind(item.text.clone())
                            .push_bind(item.html.clone())
                            .push_bind(placement.parent_id.and_then(|parent| threads.get(&parent.get()).copied()))
                            .push_bind(placement.parent_id.map(switchboard_core::WorkItemId::get))
                            .push_bind(item.noise.map(|noise| noise.as_str()))
                            .push_bind(placement.status.as_str())
                            .push_bind(placement.queue.as_deref().and_then(|name| queues.get(name).copied()))
                            .push_bind(i64::from(placement.priority))
                            .push_bind(sqlx::types::Json(skills))
                            .push_bind(sqlx::types::Json(item.warnings.clone()))
                            .push_bind(sqlx::types::Json(item.details.clone()))
                            .push_bind(now)
                            .push_bind(now)
                            .push_bind(input.inbound)
                            .push_bind(placement.intent.map(|intent| intent.as_str()))
                            .push_bind(sqlx::types::Json(placement.product_lines.clone()))
                            .push_bind(placement.sla.map(|clock| clock.due_at))
                            .push_bind(placement.sla.map(|clock| clock.at_risk_at))
                            .push_bind(placement.route.as_ref().map(|route| sqlx::types::Json(&route.plan)))
                            .push_bind(placement.route.as_ref().map(|route| route.rule_set_version));
                    });
                    insert.push(" RETURNING id, inbound_id");
                    let rows: Vec<(i64, Option<i64>)> = insert
                        .build_query_as()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    // RETURNING gives rows in no promised order: the input tells them apart.
                    let by_inbound: std::collections::HashMap<Option<i64>, i64> =
                        rows.iter().map(|(id, inbound)| (*inbound, *id)).collect();
                    for input in chunk {
                        let id = match (chunk.len(), rows.first()) {
                            (1, Some((id, _))) => Some(*id),
                            _ => input.inbound.and_then(|inbound| by_inbound.get(&Some(inbound)).copied()),
                        };
                        ids.push(id.ok_or_else(|| {
                            switchboard_core::CoreError::Internal(
                                "items of several inputs must each name their input".into(),
                            )
                        })?);
                    }
                }
                Self::insert_item_rows_in(tx, inputs, &ids, now).await?;
                // A new item that is noise or has no applied customer is in no case: nothing to decide.
                let placed: Vec<i64> = inputs
                    .iter()
                    .zip(&ids)
                    .filter(|(input, _)| {
                        input.item.noise.is_none()
                            && input.placement.links.iter().any(|link| {
                                link.applied && link.kind == switchboard_core::link::LinkKind::Customer
                            })
                    })
                    .map(|(_, id)| *id)
                    .collect();
                Self::place_in_cases(tx, &placed, cases, now).await?;
                Ok(ids.into_iter().map(switchboard_core::WorkItemId::new).collect())
            }

            /// The thread each parent named by `inputs` is in (its own id when it starts one).
            async fn parent_threads_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                inputs: &[$crate::intake_sql::ItemRowInput<'_>],
            ) -> switchboard_core::error::CoreResult<std::collections::HashMap<i64, i64>> {
                let parents: Vec<i64> = inputs
                    .iter()
                    .filter_map(|input| input.placement.parent_id.map(switchboard_core::WorkItemId::get))
                    .collect();
                Self::threads_of_items_in(tx, parents).await
            }

            /// The thread each of `items` is in (its own id when it starts one); an item that
            /// does not exist is an error.
            async fn threads_of_items_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                mut items: Vec<i64>,
            ) -> switchboard_core::error::CoreResult<std::collections::HashMap<i64, i64>> {
                items.sort_unstable();
                items.dedup();
                let mut threads = std::collections::HashMap::new();
                for chunk in items.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut select =
                        sqlx::QueryBuilder::<$db>::new("SELECT id, thread_id FROM items WHERE id IN (");
                    let mut separated = select.separated(", ");
                    for item in chunk {
                        separated.push_bind(*item);
                    }
                    select.push(")");
                    let rows: Vec<(i64, Option<i64>)> = select
                        .build_query_as()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    threads.extend(rows.into_iter().map(|(id, thread)| (id, thread.unwrap_or(id))));
                }
                if let Some(missing) = items.iter().find(|item| !threads.contains_key(item)) {
                    return Err(switchboard_core::CoreError::not_found(format!(
                        "parent item {}",
                        switchboard_core::WorkItemId::new(*missing)
                    )));
                }
                Ok(threads)
            }

            /// The rows that belong to new items: links, `item.created` events, change-feed
            /// entries and attachments.
            async fn insert_item_rows_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                inputs: &[$crate::intake_sql::ItemRowInput<'_>],
                ids: &[i64],
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let links: Vec<$crate::intake_sql::LinkRow<'_>> = inputs
                    .iter()
                    .zip(ids)
                    .flat_map(|(input, id)| {
                        input
                            .placement
                            .links
                            .iter()
                            .map(move |link| (*id, input.item.received_at, link))
                    })
                    .collect();
                Self::insert_link_rows_in(tx, &links, now).await?;
                let created: Vec<(i64, &switchboard_core::item::NewItem)> =
                    ids.iter().copied().zip(inputs.iter().map(|input| input.item)).collect();
                for chunk in created.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut events = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO events (at, actor, action, item_id, details) ",
                    );
                    events.push_values(chunk, |mut row, (id, item)| {
                        row.push_bind(now)
                            .push_bind(sqlx::types::Json(switchboard_core::event::Actor::System))
                            .push_bind("item.created")
                            .push_bind(*id)
                            .push_bind(sqlx::types::Json(serde_json::json!({
                                "channel": item.channel.as_str(),
                                "source": item.source,
                            })));
                    });
                    events
                        .build()
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    let mut changes =
                        sqlx::QueryBuilder::<$db>::new("INSERT INTO item_changes (item_id) ");
                    changes.push_values(chunk, |mut row, (id, _)| {
                        row.push_bind(*id);
                    });
                    changes
                        .build()
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                }
                let attachments: Vec<(i64, &switchboard_core::item::NewAttachment)> = created
                    .iter()
                    .flat_map(|(id, item)| item.attachments.iter().map(move |attachment| (*id, attachment)))
                    .collect();
                for chunk in attachments.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    Self::insert_attachments_in(tx, chunk).await?;
                }
                Ok(())
            }

            /// Inserts link rows.
            pub(crate) async fn insert_link_rows_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                links: &[$crate::intake_sql::LinkRow<'_>],
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                for chunk in links.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO links (item_id, kind, key, confidence, origin, applied, \
                         evidence, created_at, received_at) ",
                    );
                    insert.push_values(chunk, |mut row, (id, received_at, link)| {
                        row.push_bind(*id)
                            .push_bind(link.kind.as_str())
                            .push_bind(link.key.clone())
                            .push_bind(link.confidence)
                            .push_bind(link.origin.as_str())
                            .push_bind(link.applied)
                            .push_bind(link.evidence.clone())
                            .push_bind(now)
                            .push_bind(*received_at);
                    });
                    insert
                        .build()
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                }
                Ok(())
            }

            /// Inserts attachment rows (`(item, attachment)` pairs) in one statement.
            pub(crate) async fn insert_attachments_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                attachments: &[(i64, &switchboard_core::item::NewAttachment)],
            ) -> switchboard_core::error::CoreResult<()> {
                if attachments.is_empty() {
                    return Ok(());
                }
                let mut insert = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO attachments (item_id, file_name, declared_type, sniffed_type, \
                     size, blob, content) ",
                );
                insert.push_values(attachments, |mut row, (id, attachment)| {
                    row.push_bind(*id)
                        .push_bind(attachment.file_name.clone())
                        .push_bind(attachment.declared_type.clone())
                        .push_bind(attachment.sniffed_type.clone())
                        .push_bind(i64::try_from(attachment.content.len()).unwrap_or(i64::MAX))
                        .push_bind($crate::blob::BlobStore::address_of(&attachment.content))
                        .push_bind(attachment.is_inline().then(|| attachment.content.clone()));
                });
                insert
                    .build()
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
                    .map_err($crate::error::db_error)
            }
        }
    };
}

pub(crate) use impl_intake_writes;
