-- Outbound e-mail: agents' replies wait here until the SMTP worker has sent them. A failed
-- attempt is retried with backoff; after the last one the message is marked failed and stays
-- visible on its item. Nothing is deleted.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id         BIGINT NOT NULL REFERENCES items (id),
    kind            TEXT NOT NULL CHECK (kind IN ('reply', 'acknowledgement')),
    author_name     TEXT,
    message_id      TEXT NOT NULL UNIQUE,
    mail_from       TEXT NOT NULL,
    recipients      JSONB NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    raw             BYTEA NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_item ON outbox (item_id);
