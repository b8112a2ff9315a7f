-- no-transaction
-- Rebuilds `items` with the small columns first and the text, HTML and details last.
--
-- SQLite keeps a row's first bytes on its table page and the rest in a chain of overflow pages;
-- a column is read by walking that chain up to where the column starts. The text and HTML of an
-- e-mail or a fax often pass a page, and they stood before the columns every list reads
-- (status, queue, priority, holder, noise, the router's and the SLA's columns, most added by
-- later migrations): reading an item's status meant reading its whole text first. Now those
-- columns come first, roughly in the order lists, searches and the router read them, and sit
-- on the table page (SQLite keeps at least the first 489 bytes of a row there). PostgreSQL
-- keeps long values out of line already.
--
-- The table is rebuilt as SQLite's documentation describes for changes ALTER TABLE cannot make:
-- with foreign keys off (other tables refer to items; this cannot be switched inside a
-- transaction, hence no-transaction), in one transaction of its own. Run again after a crash
-- between its commit and the migration's bookkeeping, it rebuilds the same table once more.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE items_rebuilt (
    id               INTEGER PRIMARY KEY,
    channel          TEXT NOT NULL,
    received_at      TEXT NOT NULL,
    status           TEXT NOT NULL,
    queue_id         INTEGER REFERENCES queues (id),
    priority         INTEGER NOT NULL DEFAULT 0,
    assigned_user_id INTEGER REFERENCES users (id),
    noise            TEXT,
    thread_id        INTEGER REFERENCES items (id),
    parent_id        INTEGER REFERENCES items (id),
    inbound_id       INTEGER REFERENCES inbound (id),
    version          INTEGER NOT NULL DEFAULT 1,
    sla_due_at       TEXT,
    sla_at_risk_at   TEXT,
    answered_at      TEXT,
    waiting_since    TEXT,
    cooldown_until   TEXT,
    rule_set_version INTEGER,
    route_locked     INTEGER NOT NULL DEFAULT 0,
    language         TEXT,
    intent           TEXT,
    subject          TEXT,
    sender_name      TEXT,
    sender_email     TEXT,
    sender_phone     TEXT,
    declined_by      TEXT NOT NULL DEFAULT '[]',
    required_skills  TEXT NOT NULL DEFAULT '[]',
    product_lines    TEXT NOT NULL DEFAULT '[]',
    route            TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    message_id       TEXT,
    source           TEXT NOT NULL,
    warnings         TEXT NOT NULL DEFAULT '[]',
    details          TEXT NOT NULL DEFAULT 'null',
    text             TEXT NOT NULL,
    html             TEXT
);

INSERT INTO items_rebuilt (id, channel, received_at, status, queue_id, priority,
    assigned_user_id, noise, thread_id, parent_id, inbound_id, version, sla_due_at,
    sla_at_risk_at, answered_at, waiting_since, cooldown_until, rule_set_version, route_locked,
    language, intent, subject, sender_name, sender_email, sender_phone, declined_by,
    required_skills, product_lines, route, created_at, updated_at, message_id, source, warnings,
    details, text, html)
SELECT id, channel, received_at, status, queue_id, priority,
    assigned_user_id, noise, thread_id, parent_id, inbound_id, version, sla_due_at,
    sla_at_risk_at, answered_at, waiting_since, cooldown_until, rule_set_version, route_locked,
    language, intent, subject, sender_name, sender_email, sender_phone, declined_by,
    required_skills, product_lines, route, created_at, updated_at, message_id, source, warnings,
    details, text, html
FROM items;

DROP TABLE items;
ALTER TABLE items_rebuilt RENAME TO items;

CREATE INDEX items_status_queue ON items (status, queue_id);
CREATE INDEX items_message_id ON items (message_id);
CREATE INDEX items_thread ON items (thread_id);
CREATE UNIQUE INDEX items_inbound ON items (inbound_id);
CREATE INDEX items_assigned_user ON items (assigned_user_id) WHERE assigned_user_id IS NOT NULL;
CREATE INDEX items_parent ON items (parent_id) WHERE parent_id IS NOT NULL;
CREATE UNIQUE INDEX items_task_external_id ON items (source) WHERE channel = 'task';
CREATE INDEX items_sla_due ON items (sla_due_at) WHERE sla_due_at IS NOT NULL;

COMMIT;
PRAGMA foreign_keys = ON;
