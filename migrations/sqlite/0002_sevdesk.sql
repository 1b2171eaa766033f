-- sevdesk integration: connection per school, contact links, the transfer queue (outbox),
-- its audit trail, and bulk batches.
CREATE TABLE sevdesk_connections (
  school_id INTEGER PRIMARY KEY REFERENCES schools(id),
  token_sealed TEXT NOT NULL DEFAULT '',
  token_last4 TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 0,
  revenue_account_id INTEGER,
  transfer_start_date TEXT,
  state TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'paused_auth')),
  paused_reason TEXT NOT NULL DEFAULT '',
  last_test_at INTEGER,
  last_test_ok INTEGER NOT NULL DEFAULT 0,
  last_test_outcome TEXT NOT NULL DEFAULT '',
  last_test_message TEXT NOT NULL DEFAULT '',
  token_fingerprint_tested TEXT NOT NULL DEFAULT '',
  bookkeeping_version TEXT NOT NULL DEFAULT '',
  sevdesk_user TEXT NOT NULL DEFAULT '',
  sevdesk_tax_mode TEXT NOT NULL DEFAULT '',
  revenue_accounts TEXT NOT NULL DEFAULT '',
  throttled_until INTEGER,
  consecutive_rejections INTEGER NOT NULL DEFAULT 0,
  breaker_until INTEGER,
  last_claim_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);

CREATE TABLE sevdesk_contact_links (
  school_id INTEGER NOT NULL REFERENCES schools(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  customer_number TEXT NOT NULL,
  contact_id TEXT NOT NULL DEFAULT '',
  address_id TEXT NOT NULL DEFAULT '',
  email_id TEXT NOT NULL DEFAULT '',
  synced_email TEXT NOT NULL DEFAULT '',
  synced_address TEXT NOT NULL DEFAULT '',
  synced_version INTEGER NOT NULL DEFAULT 0,
  creating INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (school_id, customer_id)
);

CREATE TABLE sevdesk_batches (
  id INTEGER PRIMARY KEY,
  school_id INTEGER NOT NULL REFERENCES schools(id),
  created_at INTEGER NOT NULL,
  requested INTEGER NOT NULL,
  skipped_already INTEGER NOT NULL,
  skipped_expense INTEGER NOT NULL,
  skipped_other INTEGER NOT NULL
);

CREATE TABLE sevdesk_transfers (
  id INTEGER PRIMARY KEY,
  school_id INTEGER NOT NULL REFERENCES schools(id),
  receipt_id INTEGER NOT NULL REFERENCES receipts(id),
  customer_id INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'retry_wait', 'failed', 'transferred')),
  phase TEXT NOT NULL DEFAULT 'none' CHECK (phase IN ('none', 'posting')),
  priority INTEGER NOT NULL,
  batch_id INTEGER REFERENCES sevdesk_batches(id),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until INTEGER,
  uploaded_filename TEXT NOT NULL DEFAULT '',
  voucher_id TEXT NOT NULL DEFAULT '',
  last_error_code TEXT NOT NULL DEFAULT '',
  last_error_message TEXT NOT NULL DEFAULT '',
  last_error_hint TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  transferred_at INTEGER,
  UNIQUE (school_id, receipt_id)
);
CREATE INDEX sevdesk_transfers_due ON sevdesk_transfers(school_id, priority, next_attempt_at)
  WHERE state IN ('queued', 'retry_wait');
CREATE INDEX sevdesk_transfers_running ON sevdesk_transfers(school_id, state, customer_id);
CREATE INDEX sevdesk_transfers_batch ON sevdesk_transfers(batch_id, state);

CREATE TABLE sevdesk_transfer_events (
  id INTEGER PRIMARY KEY,
  transfer_id INTEGER NOT NULL REFERENCES sevdesk_transfers(id),
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX sevdesk_transfer_events_transfer ON sevdesk_transfer_events(transfer_id, id);
