//! The writes of the routing port, as inherent helpers the trait implementation calls.

/// Implements the routing writes on `$store` for database `$db`.
macro_rules! impl_routing_writes {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Records an audit event inside a routing transaction.
            async fn routing_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                at: chrono::DateTime<chrono::Utc>,
                actor: &switchboard_core::event::Actor,
                action: &str,
                item: Option<switchboard_core::WorkItemId>,
                details: serde_json::Value,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query(
                    "INSERT INTO events (at, actor, action, item_id, details) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(at)
                .bind(sqlx::types::Json(actor))
                .bind(action)
                .bind(item.map(switchboard_core::WorkItemId::get))
                .bind(sqlx::types::Json(&details))
                .execute(&mut **tx)
                .await
                .map_err($crate::error::db_error)?;
                if let Some(item) = item {
                    sqlx::query("INSERT INTO item_changes (item_id) VALUES ($1)")
                        .bind(item.get())
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                }
                Ok(())
            }

            /// Ends the item's open assignment or offer, returning its agent.
            async fn end_open_assignment(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: switchboard_core::WorkItemId,
                outcome: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Option<i64>> {
                sqlx::query_scalar(
                    "UPDATE assignments SET ended_at = $1, outcome = $2 \
                     WHERE item_id = $3 AND ended_at IS NULL RETURNING user_id",
                )
                .bind(at)
                .bind(outcome)
                .bind(item.get())
                .fetch_optional(&mut **tx)
                .await
                .map_err($crate::error::db_error)
            }

            /// Gives a waiting item to an agent (assigned or offered), fenced by its version;
            /// returns false when the item moved on since `expected_version`.
            #[allow(clippy::too_many_arguments)]
            async fn take_item_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: switchboard_core::WorkItemId,
                expected_version: i64,
                agent: switchboard_core::UserId,
                kind: switchboard_core::routing::AssignmentKind,
                origin: &str,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
                explanation: &serde_json::Value,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<bool> {
                let status = match kind {
                    switchboard_core::routing::AssignmentKind::Assign => "assigned",
                    switchboard_core::routing::AssignmentKind::Offer => "offered",
                };
                let taken = sqlx::query(
                    "UPDATE items SET status = $1, assigned_user_id = $2, version = version + 1, \
                     updated_at = $3, cooldown_until = NULL, \
                     declined_by = CASE WHEN $1 = 'assigned' THEN '[]' ELSE declined_by END \
                     WHERE id = $4 AND version = $5 AND status = 'queued'",
                )
                .bind(status)
                .bind(agent.get())
                .bind(at)
                .bind(item.get())
                .bind(expected_version)
                .execute(&mut **tx)
                .await
                .map_err($crate::error::db_error)?;
                if taken.rows_affected() == 0 {
                    return Ok(false);
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO assignments (item_id, user_id, kind, origin, explanation, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(item.get())
                .bind(agent.get())
                .bind(kind.as_str())
                .bind(origin)
                .bind(sqlx::types::Json(explanation))
                .bind(at)
                .bind(expires_at)
                .fetch_one(&mut **tx)
                .await
                .map_err($crate::error::db_error)?;
                // The agent's idle time restarts here: the snapshot reads the latest assignment
                // (no write to the agent's row, which every pull of that agent would contend on).
                let action = match kind {
                    switchboard_core::routing::AssignmentKind::Assign => "item.assigned",
                    switchboard_core::routing::AssignmentKind::Offer => "item.offered",
                };
                let details = serde_json::json!({ "agent": agent, "assignment": id, "origin": origin });
                let actor = switchboard_core::event::Actor::System;
                Self::routing_event(tx, at, &actor, action, Some(item), details).await?;
                Ok(true)
            }

            /// Puts an offered item back in its queue with `agent` among those who declined it.
            async fn decline_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: switchboard_core::WorkItemId,
                expected_version: Option<i64>,
                agent: switchboard_core::UserId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<bool> {
                let released = sqlx::query(
                    "UPDATE items SET status = 'queued', assigned_user_id = NULL, \
                     version = version + 1, updated_at = $1 WHERE id = $2 \
                     AND version = COALESCE($3, version) AND status = 'offered' \
                     AND assigned_user_id = $4",
                )
                .bind(at)
                .bind(item.get())
                .bind(expected_version)
                .bind(agent.get())
                .execute(&mut **tx)
                .await
                .map_err($crate::error::db_error)?;
                if released.rows_affected() == 0 {
                    return Ok(false);
                }
                let declined: sqlx::types::Json<Vec<i64>> =
                    sqlx::query_scalar("SELECT declined_by FROM items WHERE id = $1")
                        .bind(item.get())
                        .fetch_one(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                let mut declined = declined.0;
                if !declined.contains(&agent.get()) {
                    declined.push(agent.get());
                }
                sqlx::query("UPDATE items SET declined_by = $1 WHERE id = $2")
                    .bind(sqlx::types::Json(&declined))
                    .bind(item.get())
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(true)
            }

            /// Applies one router decision; false when it is stale.
            async fn apply_decision_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                decision: &switchboard_core::routing::FencedDecision,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<bool> {
                use switchboard_core::routing::{AssignmentKind, RoutingAction};
                let item = decision.item;
                let version = decision.expected_version;
                let system = switchboard_core::event::Actor::System;
                match &decision.action {
                    RoutingAction::Assign { agent, explanation } => {
                        Self::take_item_in(tx, item, version, *agent, AssignmentKind::Assign, "router", None, explanation, at).await
                    }
                    RoutingAction::Offer { agent, expires_at, explanation } => {
                        Self::take_item_in(tx, item, version, *agent, AssignmentKind::Offer, "router", Some(*expires_at), explanation, at).await
                    }
                    RoutingAction::OfferExpired { agent } => {
                        if !Self::decline_in(tx, item, Some(version), *agent, at).await? {
                            return Ok(false);
                        }
                        Self::end_open_assignment(tx, item, "timed_out", at).await?;
                        sqlx::query("UPDATE users SET missed_offers = missed_offers + 1 WHERE id = $1")
                            .bind(agent.get())
                            .execute(&mut **tx)
                            .await
                            .map_err($crate::error::db_error)?;
                        let details = serde_json::json!({ "agent": agent });
                        Self::routing_event(tx, at, &system, "offer.timed_out", Some(item), details).await?;
                        Ok(true)
                    }
                    RoutingAction::CoolDown { until, explanation } => {
                        let rested = sqlx::query(
                            "UPDATE items SET cooldown_until = $1, declined_by = '[]', \
                             version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4 \
                             AND status = 'queued'",
                        )
                        .bind(*until)
                        .bind(at)
                        .bind(item.get())
                        .bind(version)
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                        if rested.rows_affected() == 0 {
                            return Ok(false);
                        }
                        let details = serde_json::json!({ "until": until, "explanation": explanation });
                        Self::routing_event(tx, at, &system, "item.cooled_down", Some(item), details).await?;
                        Ok(true)
                    }
                }
            }

            /// Accepts or rejects an open offer made to `agent`.
            async fn answer_offer_in(
                pool: &sqlx::Pool<$db>,
                offer: switchboard_core::routing::AssignmentId,
                agent: switchboard_core::UserId,
                accept: bool,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::WorkItemId> {
                let mut tx = pool.begin().await.map_err($crate::error::db_error)?;
                let outcome = if accept { "accepted" } else { "rejected" };
                let ended: Option<(i64, Option<chrono::DateTime<chrono::Utc>>, sqlx::types::Json<serde_json::Value>)> =
                    sqlx::query_as(
                        "UPDATE assignments SET ended_at = $1, outcome = $2 WHERE id = $3 \
                         AND user_id = $4 AND kind = 'offer' AND ended_at IS NULL \
                         RETURNING item_id, expires_at, explanation",
                    )
                    .bind(at)
                    .bind(outcome)
                    .bind(offer.get())
                    .bind(agent.get())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                let Some((item, expires_at, explanation)) = ended else {
                    return Err(switchboard_core::CoreError::Conflict(format!(
                        "offer {offer} is not open for this agent"
                    )));
                };
                if accept && expires_at.is_some_and(|expires_at| expires_at <= at) {
                    return Err(switchboard_core::CoreError::Conflict(format!("offer {offer} expired")));
                }
                let item = switchboard_core::WorkItemId::new(item);
                if accept {
                    let owned = sqlx::query(
                        "UPDATE items SET status = 'assigned', version = version + 1, \
                         declined_by = '[]', updated_at = $1 WHERE id = $2 AND status = 'offered' \
                         AND assigned_user_id = $3",
                    )
                    .bind(at)
                    .bind(item.get())
                    .bind(agent.get())
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                    if owned.rows_affected() == 0 {
                        return Err(switchboard_core::CoreError::Conflict(format!(
                            "item {item} is no longer offered to this agent"
                        )));
                    }
                    sqlx::query(
                        "INSERT INTO assignments (item_id, user_id, kind, origin, explanation, created_at) \
                         VALUES ($1, $2, 'assign', 'offer', $3, $4)",
                    )
                    .bind(item.get())
                    .bind(agent.get())
                    .bind(&explanation)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                } else if !Self::decline_in(&mut tx, item, None, agent, at).await? {
                    return Err(switchboard_core::CoreError::Conflict(format!(
                        "item {item} is no longer offered to this agent"
                    )));
                }
                sqlx::query("UPDATE users SET missed_offers = 0 WHERE id = $1")
                    .bind(agent.get())
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                let actor = switchboard_core::event::Actor::User { id: agent };
                let action = if accept { "offer.accepted" } else { "offer.rejected" };
                let details = serde_json::json!({ "offer": offer, "agent": agent });
                Self::routing_event(&mut tx, at, &actor, action, Some(item), details).await?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(item)
            }

            /// Hands a lead's item over to `target` (an agent, or a queue for routing): `set`
            /// with `$1` bound to `first`, fenced by the version in `state`; a pause ends there
            /// and its SLA clock moves on by `sla`.
            #[allow(clippy::too_many_arguments)]
            async fn hand_over_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: switchboard_core::WorkItemId,
                state: &$crate::work_sql::WorkStateRow,
                (target, set): (switchboard_core::item::ItemStatus, &str),
                first: i64,
                at: chrono::DateTime<chrono::Utc>,
                sla: &dyn switchboard_core::sla::SlaResume,
            ) -> Result<<$db as sqlx::Database>::QueryResult, sqlx::Error> {
                let (due, at_risk) = state.sla_after(target, sla, at);
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE items SET {set}, version = version + 1, updated_at = $2, \
                     cooldown_until = NULL, declined_by = '[]', waiting_since = NULL, \
                     sla_due_at = $3, sla_at_risk_at = $4 WHERE id = $5 AND version = $6"
                )))
                .bind(first)
                .bind(at)
                .bind(due)
                .bind(at_risk)
                .bind(item.get())
                .bind(state.version)
                .execute(&mut **tx)
                .await
            }

            /// A lead's reassign, move or priority change, recorded as an override, decided on
            /// `state` (read before): a reassign or move ends a pause and moves the SLA clock
            /// on by `sla`. Returns false when the item changed since `state` was read.
            async fn lead_action_in(
                pool: &sqlx::Pool<$db>,
                item: switchboard_core::WorkItemId,
                state: &$crate::work_sql::WorkStateRow,
                action: &switchboard_core::routing::LeadAction,
                by: &switchboard_core::routing::LeadOverride,
                sla: &dyn switchboard_core::sla::SlaResume,
            ) -> switchboard_core::error::CoreResult<bool> {
                use switchboard_core::item::ItemStatus;
                use switchboard_core::routing::LeadAction;
                let mut tx = pool.begin().await.map_err($crate::error::db_error)?;
                let (changed, event) = match action {
                    LeadAction::Reassign { agent } => (
                        Self::hand_over_in(
                            &mut tx,
                            item,
                            state,
                            (ItemStatus::Assigned, "status = 'assigned', assigned_user_id = $1"),
                            agent.get(),
                            by.at,
                            sla,
                        )
                        .await,
                        "item.reassigned",
                    ),
                    LeadAction::Move { queue } => {
                        let queue_id = Self::queue_id_for(&mut tx, queue).await?;
                        let set = "status = 'queued', queue_id = $1, assigned_user_id = NULL, \
                                   route = NULL, route_locked = TRUE";
                        (
                            Self::hand_over_in(&mut tx, item, state, (ItemStatus::Queued, set), queue_id, by.at, sla)
                                .await,
                            "item.moved",
                        )
                    }
                    LeadAction::Priority { priority } => (
                        sqlx::query(
                            "UPDATE items SET priority = $1, route_locked = TRUE, \
                             version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
                        )
                        .bind(i64::from(*priority))
                        .bind(by.at)
                        .bind(item.get())
                        .bind(state.version)
                        .execute(&mut *tx)
                        .await,
                        "item.priority_changed",
                    ),
                };
                if changed.map_err($crate::error::db_error)?.rows_affected() == 0 {
                    return Ok(false);
                }
                let previous = match action {
                    LeadAction::Reassign { .. } => Self::end_open_assignment(&mut tx, item, "reassigned", by.at).await?,
                    LeadAction::Move { .. } => Self::end_open_assignment(&mut tx, item, "moved", by.at).await?,
                    LeadAction::Priority { .. } => None,
                };
                let details = serde_json::json!({
                    "override": true,
                    "action": action,
                    "by": by.actor,
                    "reason": by.reason,
                    "previous_agent": previous,
                });
                if let LeadAction::Reassign { agent } = action {
                    sqlx::query(
                        "INSERT INTO assignments (item_id, user_id, kind, origin, explanation, created_at) \
                         VALUES ($1, $2, 'assign', 'lead', $3, $4)",
                    )
                    .bind(item.get())
                    .bind(agent.get())
                    .bind(sqlx::types::Json(&details))
                    .bind(by.at)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                }
                Self::routing_event(&mut tx, by.at, &by.actor, event, Some(item), details).await?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(true)
            }

            /// Returns the work of agents away since before `cutoff` to routing.
            async fn return_absent_work_in(
                pool: &sqlx::Pool<$db>,
                cutoff: chrono::DateTime<chrono::Utc>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::WorkItemId>> {
                let held: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT assignments.item_id, assignments.user_id FROM assignments \
                     JOIN users ON users.id = assignments.user_id \
                     JOIN items ON items.id = assignments.item_id \
                     WHERE assignments.ended_at IS NULL AND users.status <> 'available' \
                     AND users.status_since IS NOT NULL AND users.status_since <= $1 \
                     AND items.status IN ('assigned', 'offered') ORDER BY assignments.item_id",
                )
                .bind(cutoff)
                .fetch_all(pool)
                .await
                .map_err($crate::error::db_error)?;
                let mut returned = Vec::new();
                for (item, user) in held {
                    let item = switchboard_core::WorkItemId::new(item);
                    let mut tx = pool.begin().await.map_err($crate::error::db_error)?;
                    let released = sqlx::query(
                        "UPDATE items SET status = 'queued', assigned_user_id = NULL, \
                         version = version + 1, updated_at = $1 WHERE id = $2 \
                         AND assigned_user_id = $3 AND status IN ('assigned', 'offered')",
                    )
                    .bind(at)
                    .bind(item.get())
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                    if released.rows_affected() == 0 {
                        continue;
                    }
                    Self::end_open_assignment(&mut tx, item, "returned", at).await?;
                    let details = serde_json::json!({ "agent": user, "reason": "agent away" });
                    let actor = switchboard_core::event::Actor::System;
                    Self::routing_event(&mut tx, at, &actor, "item.returned", Some(item), details).await?;
                    tx.commit().await.map_err($crate::error::db_error)?;
                    returned.push(item);
                }
                Ok(returned)
            }
        }

        $crate::routing_sql::writes::impl_routing_settings!($store, $db);
    };
}

pub(crate) use impl_routing_writes;

/// Implements rule-set activation, agent settings, routes and facts on `$store`.
macro_rules! impl_routing_settings {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn activate_rule_set_in(
                pool: &sqlx::Pool<$db>,
                version: i64,
                actor: &switchboard_core::event::Actor,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let mut tx = pool.begin().await.map_err($crate::error::db_error)?;
                sqlx::query("UPDATE rule_sets SET active = FALSE WHERE active = TRUE")
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                let valid: Option<bool> = sqlx::query_scalar("SELECT valid FROM rule_sets WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                match valid {
                    None => return Err(switchboard_core::CoreError::not_found(format!("rule set version {version}"))),
                    Some(false) => {
                        return Err(switchboard_core::CoreError::BadInput(format!(
                            "rule set version {version} did not pass validation and cannot be activated"
                        )));
                    }
                    Some(true) => {}
                }
                sqlx::query("UPDATE rule_sets SET active = TRUE, activated_at = $1 WHERE version = $2")
                    .bind(at)
                    .bind(version)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                let details = serde_json::json!({ "version": version });
                Self::routing_event(&mut tx, at, actor, "rules.activated", None, details).await?;
                tx.commit().await.map_err($crate::error::db_error)
            }

            async fn update_agent_routing_in(
                pool: &sqlx::Pool<$db>,
                agent: switchboard_core::UserId,
                update: &switchboard_core::routing::AgentRoutingUpdate,
            ) -> switchboard_core::error::CoreResult<()> {
                let mut tx = pool.begin().await.map_err($crate::error::db_error)?;
                let (fairness_set, fairness_max, window) = match update.fairness {
                    Some((max, window)) => (true, max.map(i64::from), i64::from(window)),
                    None => (false, None, 60),
                };
                let found = sqlx::query(
                    "UPDATE users SET capacity = COALESCE($1, capacity), \
                     fairness_max = CASE WHEN $2 THEN $3 ELSE fairness_max END, \
                     fairness_window_minutes = CASE WHEN $2 THEN $4 ELSE fairness_window_minutes END \
                     WHERE id = $5",
                )
                .bind(update.capacity.map(i64::from))
                .bind(fairness_set)
                .bind(fairness_max)
                .bind(window)
                .bind(agent.get())
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                if found.rows_affected() == 0 {
                    return Err(switchboard_core::CoreError::not_found(format!("agent {agent}")));
                }
                if let Some(queues) = &update.queues {
                    sqlx::query("DELETE FROM agent_queues WHERE user_id = $1")
                        .bind(agent.get())
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    for (queue, membership) in queues {
                        sqlx::query("INSERT INTO agent_queues (user_id, queue_id, kind) VALUES ($1, $2, $3)")
                            .bind(agent.get())
                            .bind(queue.get())
                            .bind(membership.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err($crate::error::db_error)?;
                    }
                }
                tx.commit().await.map_err($crate::error::db_error)
            }

            /// Saves planned routes, a statement per chunk; an item changed since it was
            /// planned (another version) or locked to its route keeps its own.
            async fn save_routes_in(
                pool: &sqlx::Pool<$db>,
                routes: &[switchboard_core::routing::RoutePlacement],
            ) -> switchboard_core::error::CoreResult<Vec<bool>> {
                let mut tx = pool.begin().await.map_err($crate::error::db_error)?;
                let mut queue_ids: std::collections::HashMap<&str, i64> = Default::default();
                for route in routes {
                    if !queue_ids.contains_key(route.queue.as_str()) {
                        let id = Self::queue_id_for(&mut tx, &route.queue).await?;
                        queue_ids.insert(route.queue.as_str(), id);
                    }
                }
                let mut updated = std::collections::HashSet::new();
                for chunk in routes.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut update = sqlx::QueryBuilder::<$db>::new(
                        "WITH planned (id, expected_version, queue_id, priority, required_skills, \
                         route, rule_set_version) AS (",
                    );
                    update.push_values(chunk, |mut row, route| {
                        let skills: Vec<String> =
                            route.required_skills.iter().map(ToString::to_string).collect();
                        row.push_bind(route.item.get())
                            .push_bind(route.expected_version)
                            .push_bind(queue_ids.get(route.queue.as_str()).copied())
                            .push_bind(i64::from(route.priority))
                            .push_bind(sqlx::types::Json(skills))
                            .push_bind(sqlx::types::Json(&route.route))
                            .push_bind(route.rule_set_version);
                    });
                    update.push(
                        ") UPDATE items SET queue_id = planned.queue_id, \
                         priority = planned.priority, required_skills = planned.required_skills, \
                         route = planned.route, rule_set_version = planned.rule_set_version, \
                         version = items.version + 1 FROM planned \
                         WHERE items.id = planned.id AND items.version = planned.expected_version \
                         AND items.route_locked = FALSE RETURNING items.id",
                    );
                    let ids: Vec<i64> = update
                        .build_query_scalar()
                        .fetch_all(&mut *tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    updated.extend(ids);
                }
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(routes
                    .iter()
                    .map(|route| updated.contains(&route.item.get()))
                    .collect())
            }

            /// Adds the linked customer and orders to facts rows.
            async fn complete_facts(
                &self,
                rows: Vec<$crate::routing_sql::rows::FactsRow>,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::routing::ItemRoutingFacts>> {
                let mut context = $crate::routing_sql::rows::FactsContext::default();
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let mut builder = sqlx::QueryBuilder::<$db>::new(
                    "SELECT item_id, kind, key FROM links WHERE applied = TRUE AND item_id IN (",
                );
                let mut separated = builder.separated(", ");
                for row in &rows {
                    separated.push_bind(row.id());
                }
                builder.push(") ORDER BY id");
                context.links = builder
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                for (kind, select) in [
                    ("customer", "SELECT customer_number, segment, language, country, account_manager FROM customers WHERE customer_number IN ("),
                    ("order", "SELECT order_number, status, NULL, NULL, NULL FROM orders WHERE order_number IN ("),
                ] {
                    let keys: std::collections::BTreeSet<&str> = context
                        .links
                        .iter()
                        .filter(|(_, link_kind, _)| link_kind == kind)
                        .map(|(_, _, key)| key.as_str())
                        .collect();
                    if keys.is_empty() {
                        continue;
                    }
                    let mut builder = sqlx::QueryBuilder::<$db>::new(select);
                    let mut separated = builder.separated(", ");
                    for key in &keys {
                        separated.push_bind(key.to_string());
                    }
                    builder.push(")");
                    let found: Vec<(String, Option<String>, Option<String>, Option<String>, Option<String>)> = builder
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                    for (number, first, language, country, account_manager) in found {
                        if kind == "customer" {
                            let facts = switchboard_core::routing::CustomerRoutingFacts {
                                number: number.clone(),
                                segment: first,
                                language,
                                country,
                                account_manager,
                            };
                            context.customers.insert(number, facts);
                        } else if let Some(status) = first {
                            context.orders.insert(number, status);
                        }
                    }
                }
                rows.into_iter().map(|row| row.into_facts(&context)).collect()
            }
        }
    };
}

pub(crate) use impl_routing_settings;
