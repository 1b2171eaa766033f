-- Kundenabgleich (issue 15, ADR 0015): the school's settings, the matching's decisions with the
-- candidates the review list shows, its last run, and links that are written only over the
-- revision they were read with (the engine and a user's decision never overwrite each other).
ALTER TABLE sevdesk_connections ADD COLUMN match_auto_link INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sevdesk_connections ADD COLUMN create_without_asking INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sevdesk_connections ADD COLUMN update_linked_contacts INTEGER NOT NULL DEFAULT 0;

ALTER TABLE sevdesk_contact_links ADD COLUMN origin TEXT NOT NULL DEFAULT 'created'
  CHECK (origin IN ('created', 'matched'));
ALTER TABLE sevdesk_contact_links ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;

CREATE TABLE sevdesk_contact_matches (
  school_id INTEGER NOT NULL REFERENCES schools(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('review', 'later', 'create_new', 'linked')),
  by_user INTEGER NOT NULL DEFAULT 0,
  contact_id TEXT NOT NULL DEFAULT '',
  unambiguous INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (school_id, customer_id)
);

CREATE TABLE sevdesk_match_candidates (
  school_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  contact_id TEXT NOT NULL,
  score INTEGER NOT NULL,
  strong INTEGER NOT NULL,
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
  school_id INTEGER PRIMARY KEY REFERENCES schools(id),
  at INTEGER NOT NULL,
  contacts INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  customers INTEGER NOT NULL,
  auto_linked INTEGER NOT NULL,
  review INTEGER NOT NULL,
  create_new INTEGER NOT NULL
);
