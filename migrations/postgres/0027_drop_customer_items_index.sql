-- `links_customer_items` (key, item_id) served the item page's timeline until migration 0023
-- gave links their item's arrival time: since then the timeline, a customer's items and case
-- placement all read `links_customer_received` (key, received_at, item_id), and no statement
-- uses this one. It still cost every applied customer link an entry at a random place in the
-- index: a page of the write-ahead log per link at intake.
DROP INDEX links_customer_items;
