-- PostgreSQL twin of migrations/sqlite/0004_fencing_and_key_check.sql.
-- lease_claim counts the claims of a transfer; the engine's writes of a running transfer carry
-- the claim they belong to, so a process whose lease was taken over writes nothing.
ALTER TABLE sevdesk_transfers ADD COLUMN lease_claim BIGINT NOT NULL DEFAULT 0;

-- One row: a keyed MAC of a constant under the token key, stored by the first process. Every
-- later serve/worker compares its own and refuses to start with another key.
CREATE TABLE secret_key_check (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  check_value TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
