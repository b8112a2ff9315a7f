-- An input's raw bytes in a table of their own instead of its inbound row. Intake rewrites the
-- inbound row when it claims the input and again when the item is made; each rewrite is a new
-- row version carrying the whole e-mail (2–3 KB). The bytes are now written once, when the
-- input lands.
CREATE TABLE inbound_raw (
    inbound_id BIGINT PRIMARY KEY REFERENCES inbound (id),
    raw        BYTEA NOT NULL
);
INSERT INTO inbound_raw (inbound_id, raw) SELECT id, raw FROM inbound WHERE raw IS NOT NULL;
ALTER TABLE inbound DROP COLUMN raw;
