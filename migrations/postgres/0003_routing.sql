-- Routing: versioned rule sets, assignments and offers with their explanations, the routing
-- state of agents, items and queues, and which queues each agent works.

CREATE TABLE rule_sets (
    version      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document     JSONB NOT NULL,
    valid        BOOLEAN NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT FALSE,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    activated_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX rule_sets_one_active ON rule_sets (active) WHERE active;

-- One row per assignment or offer; an open row (ended_at NULL) is the item's current owner.
CREATE TABLE assignments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id     BIGINT NOT NULL REFERENCES items (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL CHECK (kind IN ('assign', 'offer')),
    origin      TEXT NOT NULL,
    explanation JSONB NOT NULL DEFAULT 'null',
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ,
    ended_at    TIMESTAMPTZ,
    outcome     TEXT
);
CREATE INDEX assignments_item ON assignments (item_id);
CREATE INDEX assignments_user_open ON assignments (user_id) WHERE ended_at IS NULL;
CREATE INDEX assignments_user_time ON assignments (user_id, created_at);
CREATE UNIQUE INDEX assignments_one_open ON assignments (item_id) WHERE ended_at IS NULL;

-- Which queues an agent works; an agent without rows works every queue as primary.
CREATE TABLE agent_queues (
    user_id  BIGINT NOT NULL REFERENCES users (id),
    queue_id BIGINT NOT NULL REFERENCES queues (id),
    kind     TEXT NOT NULL CHECK (kind IN ('primary', 'secondary')),
    PRIMARY KEY (user_id, queue_id)
);

ALTER TABLE users ADD COLUMN status_since TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN idle_since TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN missed_offers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN fairness_max BIGINT;
ALTER TABLE users ADD COLUMN fairness_window_minutes BIGINT NOT NULL DEFAULT 60;

ALTER TABLE queues ADD COLUMN secondary_delay_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN preferred_agent_seconds BIGINT NOT NULL DEFAULT 300;
ALTER TABLE queues ADD COLUMN cooldown_seconds BIGINT NOT NULL DEFAULT 600;

-- The route the active rule set gave an item (every relaxation step), and its offer history.
ALTER TABLE items ADD COLUMN route JSONB;
ALTER TABLE items ADD COLUMN rule_set_version BIGINT;
ALTER TABLE items ADD COLUMN route_locked BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE items ADD COLUMN declined_by JSONB NOT NULL DEFAULT '[]';
ALTER TABLE items ADD COLUMN cooldown_until TIMESTAMPTZ;

-- Wakes the router on every node: items queued or changing status, queue or priority, agents
-- changing status or capacity, rule sets and queue settings are announced on the
-- `switchboard_routing` channel when their transaction commits.
CREATE FUNCTION switchboard_routing_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('switchboard_routing', TG_TABLE_NAME);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER items_routing_insert_notify AFTER INSERT ON items
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION switchboard_routing_notify();
CREATE TRIGGER items_routing_update_notify AFTER UPDATE OF status, queue_id, priority ON items
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.queue_id IS DISTINCT FROM NEW.queue_id
                       OR OLD.priority IS DISTINCT FROM NEW.priority)
    EXECUTE FUNCTION switchboard_routing_notify();
CREATE TRIGGER users_routing_notify AFTER UPDATE OF status, capacity, active ON users
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.capacity IS DISTINCT FROM NEW.capacity
                       OR OLD.active IS DISTINCT FROM NEW.active)
    EXECUTE FUNCTION switchboard_routing_notify();
CREATE TRIGGER rule_sets_routing_notify AFTER INSERT OR UPDATE ON rule_sets
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_routing_notify();
CREATE TRIGGER agent_queues_routing_notify AFTER INSERT OR UPDATE OR DELETE ON agent_queues
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_routing_notify();
CREATE TRIGGER queues_routing_notify AFTER UPDATE ON queues
    FOR EACH STATEMENT EXECUTE FUNCTION switchboard_routing_notify();
