-- Office core: schools (tenants), users, sessions, customers, invoices, receipts.
-- Instants are unix milliseconds (UTC); civil dates are 'YYYY-MM-DD' text.
CREATE TABLE schools (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  street TEXT NOT NULL DEFAULT '',
  zip TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT 'DE',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  tax_number TEXT NOT NULL DEFAULT '',
  vat_id TEXT NOT NULL DEFAULT '',
  iban TEXT NOT NULL DEFAULT '',
  bic TEXT NOT NULL DEFAULT '',
  bank_name TEXT NOT NULL DEFAULT '',
  tax_mode TEXT NOT NULL CHECK (tax_mode IN ('regular', 'kleinunternehmer')),
  invoice_number_format TEXT NOT NULL,
  payment_term_days INTEGER NOT NULL,
  price_entry TEXT NOT NULL CHECK (price_entry IN ('net', 'gross')),
  next_customer_number INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  school_id INTEGER NOT NULL REFERENCES schools(id),
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
  created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  school_id INTEGER NOT NULL REFERENCES schools(id),
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  school_id INTEGER NOT NULL REFERENCES schools(id),
  customer_number INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('person', 'company')),
  salutation TEXT NOT NULL DEFAULT '',
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  company_name TEXT NOT NULL DEFAULT '',
  contact_person TEXT NOT NULL DEFAULT '',
  street TEXT NOT NULL DEFAULT '',
  zip TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT 'DE',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (school_id, customer_number)
);
CREATE INDEX customers_school ON customers(school_id, id);

CREATE TABLE customer_dogs (
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  breed TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (customer_id, position)
);

CREATE TABLE invoices (
  id INTEGER PRIMARY KEY,
  school_id INTEGER NOT NULL REFERENCES schools(id),
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  kind TEXT NOT NULL CHECK (kind IN ('invoice', 'cancellation')),
  status TEXT NOT NULL CHECK (status IN ('draft', 'finalized', 'cancelled')),
  number TEXT,
  number_year INTEGER,
  number_sequence INTEGER,
  invoice_date TEXT NOT NULL,
  service_date TEXT,
  service_period_end TEXT,
  price_entry TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  net_cents INTEGER NOT NULL DEFAULT 0,
  tax_cents INTEGER NOT NULL DEFAULT 0,
  gross_cents INTEGER NOT NULL DEFAULT 0,
  cancels_invoice_id INTEGER REFERENCES invoices(id),
  cancels_invoice_number TEXT,
  cancelled_by_invoice_id INTEGER REFERENCES invoices(id),
  customer_name TEXT NOT NULL DEFAULT '',
  customer_contact_person TEXT NOT NULL DEFAULT '',
  customer_street TEXT NOT NULL DEFAULT '',
  customer_zip TEXT NOT NULL DEFAULT '',
  customer_city TEXT NOT NULL DEFAULT '',
  customer_country TEXT NOT NULL DEFAULT 'DE',
  customer_email TEXT NOT NULL DEFAULT '',
  customer_number INTEGER NOT NULL DEFAULT 0,
  customer_version_at_finalize INTEGER NOT NULL DEFAULT 0,
  pdf_sha256 TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finalized_at INTEGER,
  UNIQUE (school_id, number),
  UNIQUE (school_id, number_year, number_sequence)
);
CREATE INDEX invoices_school ON invoices(school_id, id DESC);
CREATE INDEX invoices_customer ON invoices(customer_id);

CREATE TABLE invoice_lines (
  invoice_id INTEGER NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  text TEXT NOT NULL,
  quantity_milli INTEGER NOT NULL,
  unit TEXT NOT NULL DEFAULT '',
  unit_price_cents INTEGER NOT NULL,
  vat_rate INTEGER NOT NULL,
  PRIMARY KEY (invoice_id, position)
);

CREATE TABLE invoice_documents (
  invoice_id INTEGER PRIMARY KEY REFERENCES invoices(id),
  pdf BLOB NOT NULL
);

-- The last assigned sequence per school and year; incremented inside the finalizing
-- transaction, so numbers are gapless.
CREATE TABLE invoice_sequences (
  school_id INTEGER NOT NULL REFERENCES schools(id),
  year INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL,
  PRIMARY KEY (school_id, year)
);

CREATE TABLE receipts (
  id INTEGER PRIMARY KEY,
  school_id INTEGER NOT NULL REFERENCES schools(id),
  type TEXT NOT NULL CHECK (type IN ('income', 'expense')),
  date TEXT NOT NULL,
  number TEXT NOT NULL DEFAULT '',
  counterparty TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  amount_gross_cents INTEGER NOT NULL,
  amount_net_cents INTEGER NOT NULL,
  amount_tax_cents INTEGER NOT NULL,
  vat_rate INTEGER,
  invoice_id INTEGER UNIQUE REFERENCES invoices(id),
  customer_id INTEGER REFERENCES customers(id),
  file_name TEXT NOT NULL DEFAULT '',
  file_content_type TEXT NOT NULL DEFAULT '',
  file_sha256 TEXT NOT NULL DEFAULT '',
  file_size INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX receipts_by_date ON receipts(school_id, date, id);
CREATE INDEX receipts_by_type_date ON receipts(school_id, type, date, id);

CREATE TABLE receipt_files (
  receipt_id INTEGER PRIMARY KEY REFERENCES receipts(id),
  content BLOB NOT NULL
);
