-- Foundation: settings, master data, users and tokens, queues, items, links, events, change feed.
-- Money is stored as integer cents; every master table keeps a fingerprint of its row so a
-- re-import can tell unchanged rows from updated ones.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE customers (
    customer_number TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    type            TEXT,
    segment         TEXT,
    language        TEXT,
    country         TEXT,
    street          TEXT,
    house_number    TEXT,
    postcode        TEXT,
    city            TEXT,
    phone           TEXT,
    fax             TEXT,
    email_general   TEXT,
    email_invoice   TEXT,
    website         TEXT,
    vat             TEXT,
    account_manager TEXT,
    payment_terms   TEXT,
    product_lines   TEXT,
    created         DATE,
    row_fingerprint BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE contacts (
    customer_number TEXT NOT NULL REFERENCES customers (customer_number),
    contact_id      TEXT PRIMARY KEY,
    first_name      TEXT,
    last_name       TEXT,
    role            TEXT,
    email           TEXT,
    mobile          TEXT,
    language        TEXT,
    row_fingerprint BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_number);

CREATE TABLE products (
    sku             TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    brand           TEXT,
    product_line    TEXT,
    pack_size       TEXT,
    ean             TEXT,
    status          TEXT,
    row_fingerprint BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE price_list (
    sku             TEXT NOT NULL REFERENCES products (sku),
    segment         TEXT NOT NULL,
    min_qty         BIGINT NOT NULL,
    price_cents     BIGINT NOT NULL,
    currency        TEXT,
    valid_from      DATE NOT NULL,
    valid_to        DATE,
    row_fingerprint BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sku, segment, min_qty, valid_from)
);

CREATE TABLE agents (
    agent_id        TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    email           TEXT,
    team            TEXT,
    extension       TEXT,
    active          BOOLEAN,
    row_fingerprint BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE agent_skills (
    agent_id        TEXT NOT NULL REFERENCES agents (agent_id),
    skill           TEXT NOT NULL,
    proficiency     BIGINT NOT NULL,
    row_fingerprint BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agent_id, skill)
);

CREATE TABLE orders (
    order_number       TEXT PRIMARY KEY,
    customer_number    TEXT NOT NULL REFERENCES customers (customer_number),
    order_date         DATE,
    requested_delivery DATE,
    status             TEXT NOT NULL,
    customer_po        TEXT,
    order_channel      TEXT,
    currency           TEXT,
    net_value_cents    BIGINT,
    row_fingerprint    BIGINT NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_number);
CREATE INDEX orders_customer_po ON orders (customer_po);

CREATE TABLE order_lines (
    order_number     TEXT NOT NULL REFERENCES orders (order_number),
    line             BIGINT NOT NULL,
    sku              TEXT NOT NULL REFERENCES products (sku),
    description      TEXT,
    quantity         BIGINT,
    unit             TEXT,
    unit_price_cents BIGINT,
    line_value_cents BIGINT,
    row_fingerprint  BIGINT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_number, line)
);

CREATE TABLE deliveries (
    delivery_number TEXT PRIMARY KEY,
    order_number    TEXT NOT NULL REFERENCES orders (order_number),
    carrier         TEXT,
    tracking_number TEXT,
    status          TEXT,
    ship_date       DATE,
    expected_date   DATE,
    delivered_date  DATE,
    row_fingerprint BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX deliveries_order ON deliveries (order_number);
CREATE INDEX deliveries_tracking ON deliveries (tracking_number);

CREATE TABLE invoices (
    invoice_number     TEXT PRIMARY KEY,
    order_number       TEXT NOT NULL REFERENCES orders (order_number),
    customer_number    TEXT NOT NULL REFERENCES customers (customer_number),
    invoice_date       DATE,
    due_date           DATE,
    net_amount_cents   BIGINT,
    vat_amount_cents   BIGINT,
    gross_amount_cents BIGINT,
    status             TEXT,
    row_fingerprint    BIGINT NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX invoices_order ON invoices (order_number);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'lead', 'admin')),
    password_hash TEXT,
    agent_id      TEXT REFERENCES agents (agent_id),
    status        TEXT NOT NULL DEFAULT 'offline',
    capacity      BIGINT NOT NULL DEFAULT 100,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('agent', 'lead', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE queues (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    strategy              TEXT NOT NULL DEFAULT 'longest_idle',
    aging_per_minute      DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    offer_mode            TEXT NOT NULL DEFAULT 'auto_assign',
    offer_timeout_seconds BIGINT NOT NULL DEFAULT 120
);

CREATE TABLE items (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel          TEXT NOT NULL,
    source           TEXT NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL,
    language         TEXT,
    subject          TEXT,
    sender_email     TEXT,
    sender_phone     TEXT,
    sender_name      TEXT,
    message_id       TEXT,
    text             TEXT NOT NULL,
    html             TEXT,
    thread_id        BIGINT REFERENCES items (id),
    parent_id        BIGINT REFERENCES items (id),
    noise            TEXT,
    intent           TEXT,
    product_lines    JSONB NOT NULL DEFAULT '[]',
    status           TEXT NOT NULL,
    queue_id         BIGINT REFERENCES queues (id),
    priority         BIGINT NOT NULL DEFAULT 0,
    required_skills  JSONB NOT NULL DEFAULT '[]',
    sla_due_at       TIMESTAMPTZ,
    assigned_user_id BIGINT REFERENCES users (id),
    warnings         JSONB NOT NULL DEFAULT '[]',
    details          JSONB NOT NULL DEFAULT 'null',
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX items_status_queue ON items (status, queue_id);
CREATE INDEX items_message_id ON items (message_id);
CREATE INDEX items_thread ON items (thread_id);

CREATE TABLE attachments (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id       BIGINT NOT NULL REFERENCES items (id),
    file_name     TEXT NOT NULL,
    declared_type TEXT,
    sniffed_type  TEXT,
    size          BIGINT NOT NULL,
    blob          TEXT NOT NULL
);
CREATE INDEX attachments_item ON attachments (item_id);

CREATE TABLE links (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id    BIGINT NOT NULL REFERENCES items (id),
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    origin     TEXT NOT NULL,
    applied    BOOLEAN NOT NULL,
    evidence   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (item_id, kind, key)
);
CREATE INDEX links_key ON links (kind, key);

CREATE TABLE events (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    actor   JSONB NOT NULL,
    action  TEXT NOT NULL,
    item_id BIGINT REFERENCES items (id),
    details JSONB NOT NULL DEFAULT 'null'
);
CREATE INDEX events_item ON events (item_id);

-- The change feed the search index follows: one row per item change, in commit order.
CREATE TABLE item_changes (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES items (id)
);
