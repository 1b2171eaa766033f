-- The search index (issue 18, ADR 0021): the folded words of customers, invoices and receipts,
-- written by the repositories in the transaction of the row (src/store/sql_search.cpp). A
-- word-start search is a range on the key: school, kind, token >= 'mue' AND token < 'muf'.
-- BINARY collation (SQLite's default) is byte order, as PostgreSQL's "C".
CREATE TABLE search_tokens (
  school_id INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('customer', 'invoice', 'receipt')),
  entity_id INTEGER NOT NULL,
  token TEXT NOT NULL,
  PRIMARY KEY (school_id, kind, token, entity_id)
) WITHOUT ROWID;
-- A row's own tokens: to replace them, and to check a query's further words (and, walking a
-- list, its first word) on a row without reading the table. Not (kind, entity_id): SQLite would
-- walk all tokens of a kind in that order to count DISTINCT ids.
CREATE INDEX search_tokens_entity ON search_tokens (entity_id, kind, token, school_id);

-- A deleted row's tokens go with it, whoever deletes it (a customer or draft deleted here, a row
-- an operator removes by hand): a search alone takes its total from this table.
CREATE TRIGGER customers_search_tokens AFTER DELETE ON customers BEGIN
  DELETE FROM search_tokens WHERE kind = 'customer' AND entity_id = OLD.id;
END;
CREATE TRIGGER invoices_search_tokens AFTER DELETE ON invoices BEGIN
  DELETE FROM search_tokens WHERE kind = 'invoice' AND entity_id = OLD.id;
END;
CREATE TRIGGER receipts_search_tokens AFTER DELETE ON receipts BEGIN
  DELETE FROM search_tokens WHERE kind = 'receipt' AND entity_id = OLD.id;
END;

-- The rows written before this migration, indexed once by the C++ backfill that runs after the
-- migrations (BackfillSearchTokens); each is removed here when its tokens are written.
CREATE TABLE search_backfill (
  kind TEXT NOT NULL,
  entity_id INTEGER NOT NULL,
  PRIMARY KEY (kind, entity_id)
) WITHOUT ROWID;
INSERT INTO search_backfill (kind, entity_id) SELECT 'customer', id FROM customers;
INSERT INTO search_backfill (kind, entity_id) SELECT 'invoice', id FROM invoices;
INSERT INTO search_backfill (kind, entity_id) SELECT 'receipt', id FROM receipts;
