-- Attachments up to 256 KiB (nearly every one an e-mail carries: attached and bounced messages,
-- signatures, one-page scans) are kept in their row instead of a blob file each: a file, a
-- flush and a rename per attachment cost more than the row, and the bytes can be downloaded
-- from any node. `blob` still names the content (its SHA-256); the file exists only for
-- larger attachments, whose `content` is NULL.
ALTER TABLE attachments ADD COLUMN content BLOB;
