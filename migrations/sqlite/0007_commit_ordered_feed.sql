-- The change feed in commit order: nothing to change on SQLite. One writer at a time means a
-- change's sequence number, taken at insert, is already in commit order. (The PostgreSQL
-- migration of the same number numbers changes at commit.)
SELECT 1;
