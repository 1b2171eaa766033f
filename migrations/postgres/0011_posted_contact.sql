-- PostgreSQL twin of migrations/sqlite/0009_posted_contact.sql.
-- The contact a voucher's save was sent with, written with the durable "posting" mark (ADR 0015):
-- a look-up after an uncertain save searches at that contact, even if the customer's link was
-- undone or changed since (otherwise it would miss the voucher and save a second one).
CREATE TABLE sevdesk_posted_contacts (
  transfer_id BIGINT PRIMARY KEY REFERENCES sevdesk_transfers(id),
  contact_id TEXT NOT NULL
);
