-- PostgreSQL twin of migrations/sqlite/0014_search_tokens.sql.
-- The search index (issue 18, ADR 0021): the folded words of customers, invoices and receipts,
-- written by the repositories in the transaction of the row (src/store/sql_search.cpp). A
-- word-start search is a range on the key: school, kind, token >= 'mue' AND token < 'muf'. The
-- token compares in byte order ("C"), as in SQLite, whatever the database's collation.
CREATE TABLE search_tokens (
  school_id BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('customer', 'invoice', 'receipt')),
  entity_id BIGINT NOT NULL,
  token TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (school_id, kind, token, entity_id)
);
-- Replacing a row's tokens finds them by the row.
CREATE INDEX search_tokens_entity ON search_tokens (kind, entity_id);

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
