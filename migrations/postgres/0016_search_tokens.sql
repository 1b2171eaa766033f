-- PostgreSQL twin of migrations/sqlite/0014_search_tokens.sql.
-- The search index (issue 18, ADR 0021): the folded words of customers, invoices and receipts,
-- written by the repositories in the transaction of the row (src/store/sql_search.cpp). A
-- word-start search is a range on the key: school, kind, token >= 'mue' AND token < 'muf'. The
-- token compares in byte order ("C"), as in SQLite, whatever the database's collation.
-- A process of the previous version may still be writing rows: block that until the queue of
-- the backfill below is committed, so no row written before it is missed. (A row an older
-- process writes after it is found once the application writes the row again.)
LOCK TABLE customers, invoices, receipts IN SHARE MODE;

CREATE TABLE search_tokens (
  school_id BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('customer', 'invoice', 'receipt')),
  entity_id BIGINT NOT NULL,
  token TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (school_id, kind, token, entity_id)
);
-- A row's own tokens: to replace them, and to check a query's further words (and, walking a
-- list, its first word) on a row without reading the table. Not (kind, entity_id): SQLite would
-- walk all tokens of a kind in that order to count DISTINCT ids.
CREATE INDEX search_tokens_entity ON search_tokens (entity_id, kind, token, school_id);

-- A deleted row's tokens go with it, whoever deletes it (a customer or draft deleted here, a row
-- an operator removes by hand): a search alone takes its total from this table.
CREATE FUNCTION search_tokens_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM search_tokens WHERE kind = TG_ARGV[0] AND entity_id = OLD.id;
  RETURN NULL;
END;
$$;
CREATE TRIGGER customers_search_tokens AFTER DELETE ON customers
  FOR EACH ROW EXECUTE FUNCTION search_tokens_forget('customer');
CREATE TRIGGER invoices_search_tokens AFTER DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION search_tokens_forget('invoice');
CREATE TRIGGER receipts_search_tokens AFTER DELETE ON receipts
  FOR EACH ROW EXECUTE FUNCTION search_tokens_forget('receipt');

-- The rows written before this migration, indexed once by the C++ backfill that runs after the
-- migrations (BackfillSearchTokens); each is removed here when its tokens are written.
CREATE TABLE search_backfill (
  kind TEXT NOT NULL,
  entity_id BIGINT NOT NULL,
  PRIMARY KEY (kind, entity_id)
);
INSERT INTO search_backfill (kind, entity_id) SELECT 'customer', id FROM customers;
INSERT INTO search_backfill (kind, entity_id) SELECT 'invoice', id FROM invoices;
INSERT INTO search_backfill (kind, entity_id) SELECT 'receipt', id FROM receipts;
