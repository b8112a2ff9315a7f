-- Documents read page by page (faxes, letters): the item exists from the moment its document is
-- opened and gains each page as it is read. A document whose read has no finished_at is resumed
-- after a crash; a page is stored once (its primary key), so resuming never repeats one.
CREATE TABLE document_reads (
    item_id      BIGINT PRIMARY KEY REFERENCES items (id),
    pages        BIGINT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX document_reads_unfinished ON document_reads (item_id) WHERE finished_at IS NULL;

CREATE TABLE document_pages (
    item_id          BIGINT NOT NULL REFERENCES items (id),
    page             BIGINT NOT NULL,
    text             TEXT NOT NULL,
    confidence       DOUBLE PRECISION NOT NULL,
    rotated_degrees  BIGINT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('text_layer', 'ocr')),
    read_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item_id, page)
);
