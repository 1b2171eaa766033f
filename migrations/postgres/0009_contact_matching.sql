-- PostgreSQL twin of migrations/sqlite/0007_contact_matching.sql.
-- Kundenabgleich (issue 15, ADR 0015): the school's settings, the matching's decisions with the
-- candidates the review list shows, its last run, and links that are written only over the
-- revision they were read with (the engine and a user's decision never overwrite each other).
ALTER TABLE sevdesk_connections ADD COLUMN match_auto_link BIGINT NOT NULL DEFAULT 1;
ALTER TABLE sevdesk_connections ADD COLUMN create_without_asking BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sevdesk_connections ADD COLUMN update_linked_contacts BIGINT NOT NULL DEFAULT 0;

ALTER TABLE sevdesk_contact_links ADD COLUMN origin TEXT NOT NULL DEFAULT 'created'
  CHECK (origin IN ('created', 'matched'));
ALTER TABLE sevdesk_contact_links ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;

CREATE TABLE sevdesk_contact_matches (
  school_id BIGINT NOT NULL REFERENCES schools(id),
  customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('review', 'later', 'create_new', 'linked')),
  by_user BIGINT NOT NULL DEFAULT 0,
  contact_id TEXT NOT NULL DEFAULT '',
  unambiguous BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (school_id, customer_id)
);

CREATE TABLE sevdesk_match_candidates (
  school_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  rank BIGINT NOT NULL,
  contact_id TEXT NOT NULL,
  score BIGINT NOT NULL,
  strong BIGINT NOT NULL,
  evidence TEXT NOT NULL,
  name TEXT NOT NULL,
  customer_number TEXT NOT NULL,
  address TEXT NOT NULL,
  emails TEXT NOT NULL,
  PRIMARY KEY (school_id, customer_id, rank),
  FOREIGN KEY (school_id, customer_id) REFERENCES sevdesk_contact_matches (school_id, customer_id)
    ON DELETE CASCADE
);

CREATE TABLE sevdesk_match_runs (
  school_id BIGINT PRIMARY KEY REFERENCES schools(id),
  at BIGINT NOT NULL,
  contacts BIGINT NOT NULL,
  requests BIGINT NOT NULL,
  customers BIGINT NOT NULL,
  auto_linked BIGINT NOT NULL,
  review BIGINT NOT NULL,
  create_new BIGINT NOT NULL
);
