-- Exactly once against a lagging search (issue 12, ADR 0010): when the create that a transfer or
-- a contact link marked as "may be done" was sent. A look-up after an uncertain create may only
-- conclude "absent" once sevdesk's search has had the settle time to show it.
ALTER TABLE sevdesk_transfers ADD COLUMN create_sent_at INTEGER;
ALTER TABLE sevdesk_contact_links ADD COLUMN create_sent_at INTEGER;
-- Receipts whose sums in sevdesk differ from the invoice (a warning that /metrics counts).
CREATE INDEX sevdesk_transfers_sum_mismatch ON sevdesk_transfers(school_id)
  WHERE last_error_code = 'sum_mismatch';
