-- SLA breaches for reporting: one row per item and due time, recorded by the router when the due
-- time passes while the item is neither done nor waiting on the customer (or found done after
-- it). The unique key makes recording idempotent across restarts and nodes.
CREATE TABLE sla_breaches (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES items (id),
    queue_id    INTEGER REFERENCES queues (id),
    channel     TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (item_id, due_at)
);
CREATE INDEX sla_breaches_due ON sla_breaches (due_at);

-- When an item was first done: the answer time of SLA reports.
ALTER TABLE items ADD COLUMN answered_at TEXT;

-- The router's breach check and the reports look items up by due time.
CREATE INDEX items_sla_due ON items (sla_due_at) WHERE sla_due_at IS NOT NULL;
