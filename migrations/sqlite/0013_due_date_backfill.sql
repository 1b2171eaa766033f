-- Invoices finalized before 0010 get the due date their PDF printed: the invoice date plus the
-- school's payment term (which is what the PDF used at finalization, unless the term changed
-- since; the best there is for them).
UPDATE invoices
SET due_date = date(invoice_date, '+' || MAX(0, (SELECT payment_term_days FROM schools s
                                                 WHERE s.id = invoices.school_id)) || ' days')
WHERE due_date IS NULL AND kind = 'invoice' AND status <> 'draft';
