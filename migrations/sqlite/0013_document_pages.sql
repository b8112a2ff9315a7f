-- Documents read page by page (faxes, letters): the item exists from the moment its document is
-- opened and gains each page as it is read. A document whose read has no finished_at is resumed
-- after a crash; a page is stored once (its primary key), so resuming never repeats one.
CREATE TABLE document_reads (
    item_id      INTEGER PRIMARY KEY REFERENCES items (id),
    pages        INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX document_reads_unfinished ON document_reads (item_id) WHERE finished_at IS NULL;

CREATE TABLE document_pages (
    item_id          INTEGER NOT NULL REFERENCES items (id),
    page             INTEGER NOT NULL,
    text             TEXT NOT NULL,
    confidence       REAL NOT NULL,
    rotated_degrees  INTEGER NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('text_layer', 'ocr')),
    read_at          TEXT NOT NULL,
    PRIMARY KEY (item_id, page)
);
