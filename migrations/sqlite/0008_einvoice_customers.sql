-- E-Rechnung per customer (issue 17): which e-invoice the customer receives, the buyer reference
-- (an authority's Leitweg-ID) and VAT id, frozen into the invoice at finalization like the rest of
-- the customer snapshot; the school's contact person (XRechnung BR-DE-5); the XRechnung XML kept
-- beside the readable PDF.
ALTER TABLE customers ADD COLUMN e_invoice TEXT NOT NULL DEFAULT 'none'
  CHECK (e_invoice IN ('none', 'zugferd', 'xrechnung'));
ALTER TABLE customers ADD COLUMN public_authority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN buyer_reference TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN vat_id TEXT NOT NULL DEFAULT '';

ALTER TABLE invoices ADD COLUMN customer_e_invoice TEXT NOT NULL DEFAULT 'none';
ALTER TABLE invoices ADD COLUMN customer_buyer_reference TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN customer_vat_id TEXT NOT NULL DEFAULT '';

ALTER TABLE schools ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';

ALTER TABLE invoice_documents ADD COLUMN xrechnung_xml BLOB;
