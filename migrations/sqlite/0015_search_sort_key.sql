-- A search's page ranked in the index itself (ADR 0021, amendment): each token carries its row's
-- place in the list's order, so the first page of a word with thousands of matches is a top-N
-- over the key's range, and only the page's rows are read. Receipts are listed by date: their
-- key is the date as YYYYMMDD (their id breaks ties). Invoices are listed by id: 0.
-- (A WITHOUT ROWID table keeps its columns in the key's b-tree: the key covers sort_key.)
ALTER TABLE search_tokens ADD COLUMN sort_key INTEGER NOT NULL DEFAULT 0;
UPDATE search_tokens SET sort_key = (
  SELECT CAST(REPLACE(r.date, '-', '') AS INTEGER) FROM receipts r WHERE r.id = search_tokens.entity_id)
  WHERE kind = 'receipt' AND EXISTS (SELECT 1 FROM receipts r WHERE r.id = search_tokens.entity_id);
