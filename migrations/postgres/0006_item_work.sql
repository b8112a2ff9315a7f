-- Item work: agents' internal notes on items, and since when an item waits on the customer
-- (its SLA clock pauses from then until it is reopened or done).

CREATE TABLE notes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id     BIGINT NOT NULL REFERENCES items (id),
    author      JSONB NOT NULL,
    author_name TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    text        TEXT NOT NULL
);
CREATE INDEX notes_item ON notes (item_id);

ALTER TABLE items ADD COLUMN waiting_since TIMESTAMPTZ;

-- An agent's work list and an item's replies are read by these.
CREATE INDEX items_assigned_user ON items (assigned_user_id) WHERE assigned_user_id IS NOT NULL;
CREATE INDEX items_parent ON items (parent_id) WHERE parent_id IS NOT NULL;
