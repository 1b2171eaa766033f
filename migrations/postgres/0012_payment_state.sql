-- PostgreSQL twin of migrations/sqlite/0010_payment_state.sql.
-- Paid status (issue 16, ADR 0018). Three parts, each with one writer:
--  * invoices.due_date: the due date printed on the invoice, fixed at finalization (a later
--    change of the school's payment term does not move it). NULL for invoices finalized before;
--    they are due invoice_date + the school's current term.
--  * sevdesk_voucher_states: what the payment sync last read of a transferred receipt's voucher
--    (sevdesk's status, paid amount and pay date), and whether the voucher was deleted or
--    changed in sevdesk. A booking made here updates it at once with what sevdesk answered.
--  * invoice_payments: payments recorded here ("Zahlung erfassen") and their booking in sevdesk.
--    One counts towards the paid amount here until it is booked; from then on sevdesk's paid
--    amount contains it (so nothing is counted twice).
ALTER TABLE invoices ADD COLUMN due_date TEXT;

CREATE TABLE sevdesk_voucher_states (
  school_id BIGINT NOT NULL REFERENCES schools(id),
  receipt_id BIGINT NOT NULL REFERENCES receipts(id),
  voucher_id TEXT NOT NULL,
  status INTEGER NOT NULL,                -- 100 open, 750 partially paid, 1000 paid, ...
  gross_cents BIGINT NOT NULL,           -- as sevdesk has it
  paid_cents BIGINT NOT NULL DEFAULT 0,
  pay_date TEXT,                          -- civil date (Berlin); NULL while nothing is paid
  presence TEXT NOT NULL DEFAULT 'present' CHECK (presence IN ('present', 'deleted', 'changed')),
  change_note TEXT NOT NULL DEFAULT '',   -- German: what differs, for "in sevdesk geändert"
  sevdesk_updated BIGINT NOT NULL DEFAULT 0,  -- sevdesk's `update` (unix seconds)
  synced_at BIGINT NOT NULL,
  PRIMARY KEY (school_id, receipt_id)
);

CREATE TABLE invoice_payments (
  id BIGSERIAL PRIMARY KEY,
  school_id BIGINT NOT NULL REFERENCES schools(id),
  invoice_id BIGINT NOT NULL REFERENCES invoices(id),
  amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
  pay_date TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'transfer')),
  -- local: recorded here only (no payment account chosen); pending: to be booked; sending: a
  -- booking was sent and its outcome is not known (look before booking again); booked; check:
  -- the look-up could not tell, the school checks in sevdesk; failed: sevdesk refused it.
  booking TEXT NOT NULL CHECK (booking IN ('local', 'pending', 'sending', 'booked', 'check',
                                           'failed')),
  check_account_id TEXT NOT NULL DEFAULT '',
  paid_before_cents BIGINT,   -- sevdesk's paid amount read right before the booking was sent
  sent_at BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',  -- German, for local / check / failed
  created_by BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX invoice_payments_by_invoice ON invoice_payments(school_id, invoice_id);
CREATE INDEX invoice_payments_open_bookings ON invoice_payments(booking)
  WHERE booking IN ('pending', 'sending');

-- The payment sync of a school (one row per school with a connection; written by the sync).
CREATE TABLE sevdesk_payment_syncs (
  school_id BIGINT PRIMARY KEY REFERENCES schools(id),
  interval_minutes INTEGER NOT NULL DEFAULT 60,
  last_read_started_at BIGINT,   -- when the last successful read began (the next one overlaps it)
  last_full_read_at BIGINT,      -- the last read of all vouchers (finds deletions)
  last_sync_at BIGINT,
  last_sync_ok INTEGER NOT NULL DEFAULT 0,
  last_requests INTEGER NOT NULL DEFAULT 0,
  last_vouchers INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',     -- German
  requested_at BIGINT,           -- "Jetzt abgleichen" pressed and not yet run
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_until BIGINT
);

-- The payment account ("Kasse") payments recorded here are booked on; none: recorded here only.
ALTER TABLE sevdesk_connections ADD COLUMN payment_account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sevdesk_connections ADD COLUMN payment_account_name TEXT NOT NULL DEFAULT '';
