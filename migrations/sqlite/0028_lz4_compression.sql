-- Intake's large values compressed with lz4: nothing to change on SQLite, which does not
-- compress values. (The PostgreSQL migration of the same number sets the columns' method.)
SELECT 1;
