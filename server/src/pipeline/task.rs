//! Tasks from the task API: linked and placed like any item, then created or updated by their
//! external id. The sender's customer and order numbers become applied links, and its priority
//! and required skills override what routing would choose.

use chrono::Utc;
use switchboard_channels::task::ValidTask;
use switchboard_core::WorkItemId;
use switchboard_core::error::CoreResult;
use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};
use switchboard_core::store::ItemPlacement;
use switchboard_web::api::TaskSink;

use super::Pipeline;
use super::enrich::ThreadContext;

/// Why a link given by the task exists.
const GIVEN_EVIDENCE: &str = "given by the task's source system";

impl Pipeline {
    /// Creates or updates the item of one task; returns it and whether it was created.
    pub async fn submit_task(&self, task: &ValidTask) -> CoreResult<(WorkItemId, bool)> {
        let item = task.to_new_item(Utc::now());
        let placement = self.task_placement(task, &item);
        let (id, created) = self
            .store
            .upsert_task(&task.external_id, &item, &placement)
            .await?;
        // A new task, or a changed one (its skills or priority), may route differently now.
        self.wake_followers();
        Ok((id, created))
    }

    fn task_placement(
        &self,
        task: &ValidTask,
        item: &switchboard_core::item::NewItem,
    ) -> ItemPlacement {
        let mut placement =
            self.enricher
                .placement(item, &ThreadContext::default(), item.received_at);
        if let Some(priority) = task.priority {
            placement.priority = priority;
        }
        if !task.required_skills.is_empty() {
            placement.required_skills = task.required_skills.clone();
        }
        if let Some(due_at) = task.due_at {
            placement.sla = Some(self.enricher.sla().clock_until(item.received_at, due_at));
        }
        let given = task
            .customer_number
            .iter()
            .map(|customer| (LinkKind::Customer, customer.as_str().to_owned()))
            .chain(
                task.order_numbers
                    .iter()
                    .map(|order| (LinkKind::Order, order.as_str().to_owned())),
            );
        for (kind, key) in given {
            placement
                .links
                .retain(|link| !(link.kind == kind && link.key == key));
            placement.links.push(NewLink {
                kind,
                key,
                confidence: 1.0,
                origin: LinkOrigin::Auto,
                applied: true,
                evidence: GIVEN_EVIDENCE.to_owned(),
            });
        }
        placement
    }
}

impl TaskSink for Pipeline {
    fn submit_task<'a>(
        &'a self,
        task: &'a ValidTask,
    ) -> std::pin::Pin<Box<dyn Future<Output = CoreResult<(WorkItemId, bool)>> + Send + 'a>> {
        Box::pin(Pipeline::submit_task(self, task))
    }
}
