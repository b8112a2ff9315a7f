-- A task's external id (its source) names one item: two concurrent first posts of the same id
-- cannot both insert.
CREATE UNIQUE INDEX items_task_external_id ON items (source) WHERE channel = 'task';
