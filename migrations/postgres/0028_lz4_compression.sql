-- Intake's large values compressed with lz4 instead of pglz. PostgreSQL compresses every value
-- it moves out of line (TOAST); with pglz that was 8.5 % of the server's CPU while e-mails were
-- ingested (perf). lz4 compresses several times faster: the server's CPU per e-mail on the
-- intake bench (20,000 e-mails, alternating) went 351 / 396 / 339 -> 310 / 351 / 348
-- microseconds with these columns, and 414 -> 372 on average with lz4 as the server's
-- default. Only values written from now on change; older ones stay pglz and read as before.
-- A server built without lz4 keeps pglz (the migration says so and succeeds).
DO $$
BEGIN
    ALTER TABLE inbound_raw ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE items ALTER COLUMN text SET COMPRESSION lz4;
    ALTER TABLE items ALTER COLUMN html SET COMPRESSION lz4;
    ALTER TABLE items ALTER COLUMN details SET COMPRESSION lz4;
    ALTER TABLE attachments ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: intake values stay pglz-compressed';
END
$$;
