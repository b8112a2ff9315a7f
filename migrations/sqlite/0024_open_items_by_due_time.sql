-- Open items by due time, for the SLA breach check and the next due time: each status of an
-- open item is one range of this index. Without it both statements read every open item
-- through items_status_queue (5 ms at 8,000 queued items, holding the write lock) on each
-- routing round that follows a change.
CREATE INDEX items_status_sla_due ON items (status, sla_due_at) WHERE sla_due_at IS NOT NULL;
