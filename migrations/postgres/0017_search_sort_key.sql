-- PostgreSQL twin of migrations/sqlite/0015_search_sort_key.sql.
-- A search's page ranked in the index itself (ADR 0021, amendment): each token carries its row's
-- place in the list's order, so the first page of a word with thousands of matches is a top-N
-- over the key's range, and only the page's rows are read. Receipts are listed by date: their
-- key is the date as YYYYMMDD (their id breaks ties). Invoices are listed by id: 0.
ALTER TABLE search_tokens ADD COLUMN sort_key BIGINT NOT NULL DEFAULT 0;
UPDATE search_tokens s SET sort_key = CAST(REPLACE(r.date, '-', '') AS BIGINT)
  FROM receipts r WHERE s.kind = 'receipt' AND r.id = s.entity_id;
-- The key covers sort_key, so the ranking reads the index alone.
ALTER TABLE search_tokens DROP CONSTRAINT search_tokens_pkey,
  ADD PRIMARY KEY (school_id, kind, token, entity_id) INCLUDE (sort_key);
