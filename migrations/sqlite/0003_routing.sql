-- Routing: versioned rule sets, assignments and offers with their explanations, the routing
-- state of agents, items and queues, and which queues each agent works.

CREATE TABLE rule_sets (
    version      INTEGER PRIMARY KEY,
    document     TEXT NOT NULL,
    valid        INTEGER NOT NULL,
    active       INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    activated_at TEXT
);
CREATE UNIQUE INDEX rule_sets_one_active ON rule_sets (active) WHERE active = 1;

-- One row per assignment or offer; an open row (ended_at NULL) is the item's current owner.
CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES items (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL CHECK (kind IN ('assign', 'offer')),
    origin      TEXT NOT NULL,
    explanation TEXT NOT NULL DEFAULT 'null',
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    ended_at    TEXT,
    outcome     TEXT
);
CREATE INDEX assignments_item ON assignments (item_id);
CREATE INDEX assignments_user_open ON assignments (user_id) WHERE ended_at IS NULL;
CREATE INDEX assignments_user_time ON assignments (user_id, created_at);
CREATE UNIQUE INDEX assignments_one_open ON assignments (item_id) WHERE ended_at IS NULL;

-- Which queues an agent works; an agent without rows works every queue as primary.
CREATE TABLE agent_queues (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    queue_id INTEGER NOT NULL REFERENCES queues (id),
    kind     TEXT NOT NULL CHECK (kind IN ('primary', 'secondary')),
    PRIMARY KEY (user_id, queue_id)
);

ALTER TABLE users ADD COLUMN status_since TEXT;
ALTER TABLE users ADD COLUMN idle_since TEXT;
ALTER TABLE users ADD COLUMN missed_offers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN fairness_max INTEGER;
ALTER TABLE users ADD COLUMN fairness_window_minutes INTEGER NOT NULL DEFAULT 60;

ALTER TABLE queues ADD COLUMN secondary_delay_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN preferred_agent_seconds INTEGER NOT NULL DEFAULT 300;
ALTER TABLE queues ADD COLUMN cooldown_seconds INTEGER NOT NULL DEFAULT 600;

-- The route the active rule set gave an item (every relaxation step), and its offer history.
ALTER TABLE items ADD COLUMN route TEXT;
ALTER TABLE items ADD COLUMN rule_set_version INTEGER;
ALTER TABLE items ADD COLUMN route_locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN declined_by TEXT NOT NULL DEFAULT '[]';
ALTER TABLE items ADD COLUMN cooldown_until TEXT;
