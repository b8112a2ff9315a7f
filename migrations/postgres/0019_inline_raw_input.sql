-- Raw inputs up to 256 KiB (nearly every e-mail) are kept in their inbound row instead of a
-- blob file each: landing a batch is then one transaction instead of a file, a flush and a
-- rename per input. `blob` still names the content (its SHA-256); the file exists only for
-- larger inputs, whose `raw` is NULL.
ALTER TABLE inbound ADD COLUMN raw BYTEA;
