-- PostgreSQL twin of migrations/sqlite/0013_due_date_backfill.sql.
-- Invoices finalized before 0012 get the due date their PDF printed: the invoice date plus the
-- school's payment term (which is what the PDF used at finalization, unless the term changed
-- since; the best there is for them).
UPDATE invoices i
SET due_date = to_char(i.invoice_date::date + GREATEST(0, s.payment_term_days)::int, 'YYYY-MM-DD')
FROM schools s
WHERE s.id = i.school_id AND i.due_date IS NULL AND i.kind = 'invoice' AND i.status <> 'draft';
