-- Each link carries its item's arrival time (`items.received_at`, which never changes), so a
-- customer's items are read newest first, or within a time span, from an index: the item
-- page's timeline and case placement's candidates read only the items they return.
ALTER TABLE links ADD COLUMN received_at TIMESTAMPTZ;
UPDATE links SET received_at = items.received_at FROM items WHERE items.id = links.item_id;
CREATE INDEX links_customer_received ON links (key, received_at, item_id)
    WHERE kind = 'customer' AND applied = TRUE;
