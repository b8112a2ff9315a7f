-- The item page's timeline lists a customer's other items. Found through the (kind, key) index,
-- every applied customer link needed its table row for `applied` and `item_id`: one lookup per
-- item of that customer. This index answers from itself.
CREATE INDEX links_customer_items ON links (key, item_id) WHERE kind = 'customer' AND applied = TRUE;
