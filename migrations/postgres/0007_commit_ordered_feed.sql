-- The change feed in commit order. A change used to take its sequence number at insert, so a
-- transaction that inserted first but committed last showed up behind numbers a reader had
-- already passed. Now a change is written without a number; a deferred trigger numbers it when
-- its transaction commits, holding a transaction-level advisory lock ("SWBFEED\0") that is
-- released only after the commit is visible. The next number is therefore taken only after
-- every smaller number is visible (or rolled back for good), and a reader that sees a number
-- has seen every smaller one that will ever exist: it never waits at a gap nor misses a change.

ALTER TABLE item_changes DROP CONSTRAINT item_changes_pkey;
ALTER TABLE item_changes ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE item_changes ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE item_changes ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
CREATE UNIQUE INDEX item_changes_seq ON item_changes (seq);

CREATE SEQUENCE item_changes_commit_seq;
SELECT setval('item_changes_commit_seq', COALESCE((SELECT MAX(seq) FROM item_changes), 0) + 1, false);

CREATE FUNCTION item_changes_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(6005341497699156992);
    UPDATE item_changes SET seq = nextval('item_changes_commit_seq') WHERE id = NEW.id;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER item_changes_number AFTER INSERT ON item_changes
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION item_changes_number();
