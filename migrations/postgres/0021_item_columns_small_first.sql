-- SQLite's 0021 rebuilds `items` with the small columns before the text and HTML, so that reading
-- an item's status does not walk the overflow pages of its text. PostgreSQL stores long values
-- out of line (TOAST) and reads any column without them: nothing to change here. The migration
-- keeps both folders' version numbers the same.
SELECT 1;
