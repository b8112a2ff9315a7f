-- Cases: the items one customer sends about one matter (the same order, or unambiguously the
-- same customer) within a window, across channels and threads, so one agent handles them in
-- one contact. An item is in at most one case; every member is linked to the case's customer.

CREATE TABLE cases (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_number TEXT NOT NULL,
    opened_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_customer ON cases (customer_number);

CREATE TABLE case_items (
    item_id   BIGINT PRIMARY KEY REFERENCES items (id),
    case_id   BIGINT NOT NULL REFERENCES cases (id),
    evidence  TEXT NOT NULL,
    joined_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_items_case ON case_items (case_id);
