-- Several processes: a fencing token per transfer claim, and the check value of the key that
-- seals the sevdesk tokens (issue 6).
-- lease_claim counts the claims of a transfer; the engine's writes of a running transfer carry
-- the claim they belong to, so a process whose lease was taken over writes nothing.
ALTER TABLE sevdesk_transfers ADD COLUMN lease_claim INTEGER NOT NULL DEFAULT 0;

-- One row: a keyed MAC of a constant under the token key, stored by the first process. Every
-- later serve/worker compares its own and refuses to start with another key.
CREATE TABLE secret_key_check (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  check_value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
