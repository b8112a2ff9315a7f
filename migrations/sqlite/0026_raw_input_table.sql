-- An input's raw bytes in a table of their own instead of its inbound row. Intake rewrites the
-- inbound row when it claims the input and again when the item is made; with the bytes inline
-- each rewrite copied the whole e-mail (2–3 KB, most of a page) into the write-ahead log, and
-- the checkpoint copied it again. The bytes are now written once, when the input lands.
CREATE TABLE inbound_raw (
    inbound_id INTEGER PRIMARY KEY REFERENCES inbound (id),
    raw        BLOB NOT NULL
);
INSERT INTO inbound_raw (inbound_id, raw) SELECT id, raw FROM inbound WHERE raw IS NOT NULL;
ALTER TABLE inbound DROP COLUMN raw;
