-- Search hits, the queue page and the item lists show each item's customer: the first applied
-- customer link of the item. Found through the (item_id, kind, key) unique index, each needed
-- the link's table row for `applied` and its id, and a sort. This index answers from itself.
CREATE INDEX links_item_customer ON links (item_id, id, key, kind, applied)
    WHERE kind = 'customer' AND applied = TRUE;
