-- Search hits, the queue page and the item lists show each item's customer: the first applied
-- customer link of the item. This index finds it without the link's row or a sort.
CREATE INDEX links_item_customer ON links (item_id, id, key)
    WHERE kind = 'customer' AND applied = TRUE;
