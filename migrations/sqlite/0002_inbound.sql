-- Landing: every raw input is recorded (and its bytes stored as a blob) before the source is
-- acknowledged. The same input delivered again finds its row by (channel, key, fingerprint).
CREATE TABLE inbound (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    source       TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    blob         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    received_at  TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('landed', 'processed', 'failed', 'awaiting_ocr')),
    error        TEXT,
    item_id      INTEGER REFERENCES items (id),
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (channel, idem_key, fingerprint)
);
CREATE INDEX inbound_state ON inbound (state);

ALTER TABLE items ADD COLUMN inbound_id INTEGER REFERENCES inbound (id);
CREATE UNIQUE INDEX items_inbound ON items (inbound_id);
