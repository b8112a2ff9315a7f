//! The routing port ([`switchboard_core::routing::RoutingStore`]), written once and expanded for
//! each database by [`impl_routing_store!`]. Every write that changes an item's owner is fenced by
//! `items.version`, and every transaction starts with a write so SQLite takes its write lock
//! before reading (a deferred read-then-write transaction could fail under concurrency).

pub(crate) mod rows;
pub(crate) mod writes;

/// Implements [`switchboard_core::routing::RoutingStore`] for `$store` (a struct with a `pool`
/// field of `sqlx::Pool<$db>`).
macro_rules! impl_routing_store {
    ($store:ty, $db:ty) => {
        $crate::routing_sql::writes::impl_routing_writes!($store, $db);

        #[async_trait::async_trait]
        impl switchboard_core::routing::RoutingStore for $store {
            #[tracing::instrument(skip_all)]
            async fn save_rule_set(
                &self,
                document: &serde_json::Value,
                valid: bool,
                created_by: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<i64> {
                sqlx::query_scalar(
                    "INSERT INTO rule_sets (document, valid, active, created_by, created_at) \
                     VALUES ($1, $2, FALSE, $3, $4) RETURNING version",
                )
                .bind(sqlx::types::Json(document))
                .bind(valid)
                .bind(created_by)
                .bind(at)
                .fetch_one(self.writer())
                .await
                .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn rule_sets(
                &self,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::routing::RuleSetVersion>> {
                let rows: Vec<$crate::routing_sql::rows::RuleSetRow> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("{} ORDER BY version DESC", $crate::routing_sql::rows::RULE_SET_SELECT),
                ))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(rows.into_iter().map($crate::routing_sql::rows::RuleSetRow::into_version).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn activate_rule_set(
                &self,
                version: i64,
                actor: &switchboard_core::event::Actor,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                Self::activate_rule_set_in(self.writer(), version, actor, at).await
            }

            #[tracing::instrument(skip_all)]
            async fn active_rule_set(
                &self,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::routing::RuleSetVersion>> {
                let row: Option<$crate::routing_sql::rows::RuleSetRow> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("{} WHERE active = TRUE", $crate::routing_sql::rows::RULE_SET_SELECT),
                ))
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(row.map($crate::routing_sql::rows::RuleSetRow::into_version))
            }

            #[tracing::instrument(skip_all)]
            async fn queue_settings(
                &self,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::routing::QueueSettings>> {
                let rows: Vec<$crate::routing_sql::rows::QueueRow> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("{} ORDER BY id", $crate::routing_sql::rows::QUEUE_SELECT),
                ))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                rows.into_iter().map($crate::routing_sql::rows::QueueRow::into_settings).collect()
            }

            #[tracing::instrument(skip_all)]
            async fn update_queue_settings(
                &self,
                settings: &switchboard_core::routing::QueueSettings,
            ) -> switchboard_core::error::CoreResult<()> {
                let result = sqlx::query(
                    "UPDATE queues SET strategy = $1, offer_mode = $2, aging_per_minute = $3, \
                     offer_timeout_seconds = $4, secondary_delay_seconds = $5, \
                     preferred_agent_seconds = $6, cooldown_seconds = $7 WHERE id = $8",
                )
                .bind(settings.strategy.as_str())
                .bind(settings.offer_mode.as_str())
                .bind(settings.aging_per_minute)
                .bind(i64::from(settings.offer_timeout_seconds))
                .bind(i64::from(settings.secondary_delay_seconds))
                .bind(i64::from(settings.preferred_agent_seconds))
                .bind(i64::from(settings.cooldown_seconds))
                .bind(settings.id.get())
                .execute(self.writer())
                .await
                .map_err($crate::error::db_error)?;
                if result.rows_affected() == 0 {
                    return Err(switchboard_core::CoreError::not_found(format!("queue {}", settings.id)));
                }
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn update_agent_routing(
                &self,
                agent: switchboard_core::UserId,
                update: &switchboard_core::routing::AgentRoutingUpdate,
            ) -> switchboard_core::error::CoreResult<()> {
                Self::update_agent_routing_in(self.writer(), agent, update).await
            }

            #[tracing::instrument(skip_all)]
            async fn set_agent_skills(
                &self,
                agent: switchboard_core::UserId,
                skills: &[switchboard_core::skill::Skill],
            ) -> switchboard_core::error::CoreResult<()> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let record: Option<Option<String>> =
                    sqlx::query_scalar("SELECT agent_id FROM users WHERE id = $1")
                        .bind(agent.get())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err($crate::error::db_error)?;
                let record = record
                    .ok_or_else(|| switchboard_core::CoreError::not_found(format!("agent {agent}")))?
                    .ok_or_else(|| {
                        switchboard_core::CoreError::Conflict(
                            "the user is linked to no agent record (agent_id); skills belong to one".into(),
                        )
                    })?;
                sqlx::query("DELETE FROM agent_skills WHERE agent_id = $1")
                    .bind(&record)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                let now = chrono::Utc::now();
                // The list is the admin's from now on: imports leave this agent's skills alone.
                sqlx::query(
                    "INSERT INTO agent_skills_set_by_admin (agent_id, set_at) VALUES ($1, $2) \
                     ON CONFLICT (agent_id) DO UPDATE SET set_at = excluded.set_at",
                )
                .bind(&record)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                for skill in skills {
                    sqlx::query(
                        "INSERT INTO agent_skills (agent_id, skill, proficiency, row_fingerprint, updated_at) \
                         VALUES ($1, $2, $3, 0, $4)",
                    )
                    .bind(&record)
                    .bind(&skill.name)
                    .bind(i64::from(skill.level))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::error::db_error)?;
                }
                tx.commit().await.map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn set_agent_status(
                &self,
                agent: switchboard_core::UserId,
                status: switchboard_core::user::AgentStatus,
                actor: &switchboard_core::event::Actor,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let result = sqlx::query(
                    "UPDATE users SET \
                     status_since = CASE WHEN status = $1 THEN status_since ELSE $2 END, \
                     idle_since = CASE WHEN $1 = 'available' AND status <> 'available' THEN $2 \
                     ELSE idle_since END, \
                     missed_offers = CASE WHEN $1 = 'available' THEN 0 ELSE missed_offers END, \
                     status = $1 WHERE id = $3",
                )
                .bind(status.as_str())
                .bind(at)
                .bind(agent.get())
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                if result.rows_affected() == 0 {
                    return Err(switchboard_core::CoreError::not_found(format!("agent {agent}")));
                }
                let details = serde_json::json!({ "agent": agent, "status": status });
                Self::routing_event(&mut tx, at, actor, "agent.status", None, details).await?;
                tx.commit().await.map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn routing_snapshot(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::routing::RoutingSnapshot> {
                use $crate::routing_sql::rows as rows;
                let queues = self.queue_settings().await?;
                let mut agents = self.routing_agents(now).await?;
                let work: Vec<rows::OpenWorkRow> = sqlx::query_as(rows::OPEN_WORK_SELECT)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                switchboard_core::routing::attach_open_work(&mut agents, rows::open_work(work)?);
                let offers: Vec<rows::OfferRow> = sqlx::query_as(rows::OPEN_OFFER_SELECT)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                let offers = rows::offers_by_item(offers);
                let waiting: Vec<rows::WaitingRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE {} ORDER BY items.id",
                    rows::ROUTING_ITEM_SELECT,
                    rows::WAITING
                )))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let items = waiting
                    .into_iter()
                    .map(|row| row.into_waiting(&offers))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(switchboard_core::routing::RoutingSnapshot { queues, agents, items })
            }

            #[tracing::instrument(skip_all)]
            async fn routing_agents(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::routing::AgentRouting>> {
                use $crate::routing_sql::rows as rows;
                let agent_rows: Vec<rows::AgentRow> = sqlx::query_as(rows::AGENT_SELECT)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                let mut agents = agent_rows
                    .into_iter()
                    .map(rows::AgentRow::into_agent)
                    .collect::<Result<Vec<_>, _>>()?;
                let skills: Vec<(i64, String, i64)> = sqlx::query_as(
                    "SELECT users.id, agent_skills.skill, agent_skills.proficiency FROM agent_skills \
                     JOIN users ON users.agent_id = agent_skills.agent_id \
                     WHERE users.active = TRUE ORDER BY users.id, agent_skills.skill",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let memberships: Vec<(i64, i64, String)> =
                    sqlx::query_as("SELECT user_id, queue_id, kind FROM agent_queues ORDER BY user_id, queue_id")
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                rows::attach_to_agents(&mut agents, skills, memberships)?;
                for agent in agents.iter_mut().filter(|agent| agent.fairness_max.is_some()) {
                    let since = now - chrono::Duration::minutes(i64::from(agent.fairness_window_minutes));
                    let count: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM assignments WHERE user_id = $1 AND kind = 'assign' \
                         AND created_at >= $2",
                    )
                    .bind(agent.user.get())
                    .bind(since)
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                    agent.assignments_in_window = i32::try_from(count).unwrap_or(i32::MAX);
                }
                Ok(agents)
            }

            #[tracing::instrument(skip_all)]
            async fn routing_changes(
                &self,
                items: &[switchboard_core::WorkItemId],
            ) -> switchboard_core::error::CoreResult<switchboard_core::routing::RoutingChanges> {
                use $crate::routing_sql::rows as rows;
                let mut changes = switchboard_core::routing::RoutingChanges::default();
                for chunk in items.chunks($crate::feed_sql::IDS_PER_STATEMENT) {
                    let ids: Vec<i64> = chunk.iter().map(|id| id.get()).collect();
                    let work: Vec<rows::OpenWorkRow> = Self::rows_with_ids(
                        &format!("{} AND assignments.item_id IN (", rows::OPEN_WORK_SELECT),
                        &ids,
                        ")",
                        &self.pool,
                    )
                    .await?;
                    changes.open_work.extend(rows::open_work(work)?);
                    let offers: Vec<rows::OfferRow> = Self::rows_with_ids(
                        &format!("{} AND item_id IN (", rows::OPEN_OFFER_SELECT),
                        &ids,
                        ")",
                        &self.pool,
                    )
                    .await?;
                    let offers = rows::offers_by_item(offers);
                    let items: Vec<rows::WaitingRow> = Self::rows_with_ids(
                        &format!("{} WHERE items.id IN (", rows::ROUTING_ITEM_SELECT),
                        &ids,
                        ") ORDER BY items.id",
                        &self.pool,
                    )
                    .await?;
                    for row in items.into_iter().filter(rows::WaitingRow::is_waiting) {
                        changes.waiting.push(row.into_waiting(&offers)?);
                    }
                }
                changes.waiting.sort_by_key(|item| item.item);
                Ok(changes)
            }

            #[tracing::instrument(skip_all)]
            async fn routing_facts(
                &self,
                items: &[switchboard_core::WorkItemId],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::routing::ItemRoutingFacts>> {
                let mut facts = Vec::with_capacity(items.len());
                for chunk in items.chunks(500) {
                    let mut builder = sqlx::QueryBuilder::<$db>::new(format!(
                        "{} WHERE items.id IN (",
                        $crate::routing_sql::rows::FACTS_SELECT
                    ));
                    let mut separated = builder.separated(", ");
                    for item in chunk {
                        separated.push_bind(item.get());
                    }
                    builder.push(") ORDER BY items.id");
                    let rows: Vec<$crate::routing_sql::rows::FactsRow> = builder
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                    facts.extend(self.complete_facts(rows).await?);
                }
                Ok(facts)
            }

            #[tracing::instrument(skip_all)]
            async fn routing_facts_since(
                &self,
                since: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::routing::ItemRoutingFacts>> {
                let rows: Vec<$crate::routing_sql::rows::FactsRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE items.received_at >= $1 AND items.noise IS NULL \
                     AND items.status NOT IN ('failed', 'discarded') \
                     ORDER BY items.received_at, items.id LIMIT $2",
                    $crate::routing_sql::rows::FACTS_SELECT
                )))
                .bind(since)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let mut facts = Vec::with_capacity(rows.len());
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<_> = rows.by_ref().take(500).collect();
                    facts.extend(self.complete_facts(chunk).await?);
                }
                Ok(facts)
            }

            #[tracing::instrument(skip_all)]
            async fn save_routes(
                &self,
                routes: &[switchboard_core::routing::RoutePlacement],
            ) -> switchboard_core::error::CoreResult<Vec<bool>> {
                Self::save_routes_in(self.writer(), routes).await
            }

            #[tracing::instrument(skip_all)]
            async fn apply_decisions(
                &self,
                decisions: &[switchboard_core::routing::FencedDecision],
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Vec<bool>> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let mut applied = Vec::with_capacity(decisions.len());
                for decision in decisions {
                    applied.push(Self::apply_decision_in(&mut tx, decision, at).await?);
                }
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(applied)
            }

            #[tracing::instrument(skip_all)]
            async fn mark_not_responding(
                &self,
                agent: switchboard_core::UserId,
                missed_offers: u32,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                sqlx::query(
                    "UPDATE users SET status = 'not_responding', status_since = $1, \
                     missed_offers = $2 WHERE id = $3 AND status = 'available'",
                )
                .bind(at)
                .bind(i64::from(missed_offers))
                .bind(agent.get())
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                let details = serde_json::json!({ "agent": agent, "missed_offers": missed_offers });
                let actor = switchboard_core::event::Actor::System;
                Self::routing_event(&mut tx, at, &actor, "agent.not_responding", None, details).await?;
                tx.commit().await.map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn accept_offer(
                &self,
                offer: switchboard_core::routing::AssignmentId,
                agent: switchboard_core::UserId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::WorkItemId> {
                Self::answer_offer_in(self.writer(), offer, agent, true, at).await
            }

            #[tracing::instrument(skip_all)]
            async fn reject_offer(
                &self,
                offer: switchboard_core::routing::AssignmentId,
                agent: switchboard_core::UserId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::WorkItemId> {
                Self::answer_offer_in(self.writer(), offer, agent, false, at).await
            }

            #[tracing::instrument(skip_all)]
            async fn claim_next_item(
                &self,
                agent: switchboard_core::UserId,
                candidates: &[switchboard_core::routing::ClaimCandidate],
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::WorkItemId>> {
                if candidates.is_empty() {
                    return Ok(None);
                }
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                for candidate in candidates {
                    let won = Self::take_item_in(
                        &mut tx,
                        candidate.item,
                        candidate.expected_version,
                        agent,
                        switchboard_core::routing::AssignmentKind::Assign,
                        "pull",
                        None,
                        &candidate.explanation,
                        at,
                    )
                    .await?;
                    if won {
                        tx.commit().await.map_err($crate::error::db_error)?;
                        return Ok(Some(candidate.item));
                    }
                }
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(None)
            }

            #[tracing::instrument(skip_all)]
            async fn lead_action(
                &self,
                item: switchboard_core::WorkItemId,
                action: &switchboard_core::routing::LeadAction,
                by: &switchboard_core::routing::LeadOverride,
                sla: &dyn switchboard_core::sla::SlaResume,
            ) -> switchboard_core::error::CoreResult<()> {
                // The router may write the item between the read and the fenced write: retry.
                for _attempt in 0..5 {
                    let state = self.work_state(item).await?;
                    if !state.status()?.is_open() {
                        break;
                    }
                    if Self::lead_action_in(self.writer(), item, &state, action, by, sla).await? {
                        return Ok(());
                    }
                }
                Err(switchboard_core::CoreError::not_found(format!("open item {item}")))
            }

            #[tracing::instrument(skip_all)]
            async fn return_absent_work(
                &self,
                cutoff: chrono::DateTime<chrono::Utc>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::WorkItemId>> {
                Self::return_absent_work_in(self.writer(), cutoff, at).await
            }

            #[tracing::instrument(skip_all)]
            async fn assignments_of(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::routing::AssignmentRecord>> {
                let rows: Vec<$crate::routing_sql::rows::AssignmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!(
                        "{} WHERE assignments.item_id = $1 ORDER BY assignments.id",
                        $crate::routing_sql::rows::ASSIGNMENT_SELECT
                    ),
                ))
                .bind(item.get())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                rows.into_iter().map($crate::routing_sql::rows::AssignmentRow::into_record).collect()
            }
        }
    };
}

pub(crate) use impl_routing_store;
