#include "store/sql_unit_of_work.hpp"

#include <algorithm>
#include <unordered_map>

#include "domain/search_text.hpp"
#include "store/sql_payment_repository.hpp"
#include "store/sql_search.hpp"
#include "store/sql_sevdesk_repository.hpp"

namespace hs::store {

using sql::Row;
using sql::Value;

namespace {

std::int64_t Millis(Instant i) {
  return ToUnixMillis(i);
}
Instant FromMillis(std::int64_t ms) {
  return FromUnixMillis(ms);
}

Date DateFromText(const std::string& text) {
  return ParseIsoDate(text).value_or(Date{});
}
std::optional<Date> OptDate(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return ParseIsoDate(*text);
}
Value DateValue(const std::optional<Date>& d) {
  if (!d) return nullptr;
  return FormatIsoDate(*d);
}

template <class T>
tl::unexpected<Error> Propagate(const Result<T>& r) {
  return tl::unexpected(r.error());
}

// ---------------------------------------------------------------- schools
constexpr const char* kSchoolColumns =
    "id, name, street, zip, city, country, email, phone, tax_number, vat_id, iban, bic, "
    "bank_name, tax_mode, invoice_number_format, payment_term_days, price_entry, contact_name";

domain::School SchoolFromRow(const Row& r) {
  domain::School s;
  s.id = r.Int(0);
  s.name = r.Text(1);
  s.address = {r.Text(2), r.Text(3), r.Text(4), r.Text(5)};
  s.email = r.Text(6);
  s.phone = r.Text(7);
  s.tax_number = r.Text(8);
  s.vat_id = r.Text(9);
  s.iban = r.Text(10);
  s.bic = r.Text(11);
  s.bank_name = r.Text(12);
  s.tax_mode = domain::ParseTaxMode(r.Text(13)).value_or(domain::TaxMode::kRegular);
  s.invoice_number_format = r.Text(14);
  s.payment_term_days = static_cast<int>(r.Int(15));
  s.price_entry = domain::ParsePriceEntry(r.Text(16)).value_or(domain::PriceEntry::kNet);
  s.contact_name = r.Text(17);
  return s;
}

class SqlSchools final : public app::SchoolRepository {
 public:
  explicit SqlSchools(sql::Connection& c) : c_(c) {}
  Result<std::int64_t> Create(const domain::School& s) override {
    auto row = sql::QueryOne(
        c_,
        "INSERT INTO schools (name, street, zip, city, country, email, phone, tax_number, vat_id, "
        "iban, bic, bank_name, tax_mode, invoice_number_format, payment_term_days, price_entry, "
        "created_at, contact_name) VALUES "
        "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) RETURNING id",
        {s.name, s.address.street, s.address.zip, s.address.city, s.address.country, s.email,
         s.phone, s.tax_number, s.vat_id, s.iban, s.bic, s.bank_name, domain::ToString(s.tax_mode),
         s.invoice_number_format, std::int64_t{s.payment_term_days},
         domain::ToString(s.price_entry),
         Millis(std::chrono::time_point_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now())),
         s.contact_name});
    if (!row) return Propagate(row);
    return (*row)->Int(0);
  }
  Result<domain::School> Get(std::int64_t id) override {
    auto row = sql::QueryOne(
        c_, std::string("SELECT ") + kSchoolColumns + " FROM schools WHERE id = $1", {id});
    if (!row) return Propagate(row);
    if (!*row) return NotFound("Die Hundeschule wurde nicht gefunden.");
    return SchoolFromRow(**row);
  }
  Status Update(const domain::School& s) override {
    auto n = c_.Exec(
        "UPDATE schools SET name=$2, street=$3, zip=$4, city=$5, country=$6, email=$7, phone=$8, "
        "tax_number=$9, vat_id=$10, iban=$11, bic=$12, bank_name=$13, tax_mode=$14, "
        "invoice_number_format=$15, payment_term_days=$16, price_entry=$17, contact_name=$18 "
        "WHERE id=$1",
        {s.id, s.name, s.address.street, s.address.zip, s.address.city, s.address.country, s.email,
         s.phone, s.tax_number, s.vat_id, s.iban, s.bic, s.bank_name, domain::ToString(s.tax_mode),
         s.invoice_number_format, std::int64_t{s.payment_term_days},
         domain::ToString(s.price_entry), s.contact_name});
    if (!n) return Propagate(n);
    if (*n == 0) return NotFound("Die Hundeschule wurde nicht gefunden.");
    return {};
  }
  Result<std::vector<domain::School>> ListAll() override {
    auto rows = c_.Query(std::string("SELECT ") + kSchoolColumns + " FROM schools ORDER BY id");
    if (!rows) return Propagate(rows);
    std::vector<domain::School> out;
    for (const auto& r : *rows) out.push_back(SchoolFromRow(r));
    return out;
  }

 private:
  sql::Connection& c_;
};

// ---------------------------------------------------------------- users & sessions
app::User UserFromRow(const Row& r) {
  app::User u;
  u.id = r.Int(0);
  u.school_id = r.Int(1);
  u.email = r.Text(2);
  u.password_hash = r.Text(3);
  u.role = app::ParseRole(r.Text(4)).value_or(app::Role::kStaff);
  return u;
}

class SqlUsers final : public app::UserRepository {
 public:
  explicit SqlUsers(sql::Connection& c) : c_(c) {}
  Result<std::int64_t> Create(const app::User& u) override {
    auto row =
        sql::QueryOne(c_,
                      "INSERT INTO users (school_id, email, password_hash, role, created_at) "
                      "VALUES ($1,$2,$3,$4,$5) RETURNING id",
                      {u.school_id, u.email, u.password_hash, app::ToString(u.role),
                       Millis(std::chrono::time_point_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now()))});
    if (!row) {
      if (row.error().code == ErrorCode::kConflict) {
        return Fail(ErrorCode::kConflict, "email_taken",
                    "Diese E-Mail-Adresse ist bereits registriert.",
                    {{"email", "Bereits vergeben."}});
      }
      return Propagate(row);
    }
    return (*row)->Int(0);
  }
  Result<std::optional<app::User>> FindByEmail(const std::string& email) override {
    auto row = sql::QueryOne(
        c_, "SELECT id, school_id, email, password_hash, role FROM users WHERE email = $1",
        {email});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<app::User>{};
    return std::optional<app::User>{UserFromRow(**row)};
  }
  Result<app::User> Get(std::int64_t id) override {
    auto row = sql::QueryOne(
        c_, "SELECT id, school_id, email, password_hash, role FROM users WHERE id = $1", {id});
    if (!row) return Propagate(row);
    if (!*row) return NotFound("Benutzer nicht gefunden.");
    return UserFromRow(**row);
  }

 private:
  sql::Connection& c_;
};

class SqlSessions final : public app::SessionRepository {
 public:
  explicit SqlSessions(sql::Connection& c) : c_(c) {}
  Status Create(const app::Session& s) override {
    auto n = c_.Exec(
        "INSERT INTO sessions (token_hash, user_id, school_id, csrf_token, created_at, expires_at) "
        "VALUES ($1,$2,$3,$4,$5,$6)",
        {s.token_hash, s.user_id, s.school_id, s.csrf_token, Millis(s.created_at),
         Millis(s.expires_at)});
    if (!n) return Propagate(n);
    return {};
  }
  Result<std::optional<app::Session>> Find(const std::string& token_hash) override {
    auto row = sql::QueryOne(c_,
                             "SELECT token_hash, user_id, school_id, csrf_token, created_at, "
                             "expires_at FROM sessions WHERE token_hash = $1",
                             {token_hash});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<app::Session>{};
    const Row& r = **row;
    return std::optional<app::Session>{app::Session{r.Text(0), r.Int(1), r.Int(2), r.Text(3),
                                                    FromMillis(r.Int(4)), FromMillis(r.Int(5))}};
  }
  Status Delete(const std::string& token_hash) override {
    auto n = c_.Exec("DELETE FROM sessions WHERE token_hash = $1", {token_hash});
    if (!n) return Propagate(n);
    return {};
  }
  Status DeleteExpired(Instant now) override {
    auto n = c_.Exec("DELETE FROM sessions WHERE expires_at < $1", {Millis(now)});
    if (!n) return Propagate(n);
    return {};
  }

 private:
  sql::Connection& c_;
};

// ---------------------------------------------------------------- customers
// Re-indexes the search tokens of an invoice (defined with the invoices below): a draft is found
// by its customer's current name.
Status ReindexInvoice(sql::Connection& c, std::int64_t school_id, std::int64_t id);

constexpr const char* kCustomerColumns =
    "id, school_id, customer_number, kind, salutation, first_name, last_name, company_name, "
    "contact_person, street, zip, city, country, email, phone, notes, version, created_at, "
    "updated_at, e_invoice, public_authority, buyer_reference, vat_id";

domain::Customer CustomerFromRow(const Row& r) {
  domain::Customer c;
  c.id = r.Int(0);
  c.school_id = r.Int(1);
  c.customer_number = r.Int(2);
  c.kind = domain::ParseCustomerKind(r.Text(3)).value_or(domain::CustomerKind::kPerson);
  c.salutation = r.Text(4);
  c.first_name = r.Text(5);
  c.last_name = r.Text(6);
  c.company_name = r.Text(7);
  c.contact_person = r.Text(8);
  c.address = {r.Text(9), r.Text(10), r.Text(11), r.Text(12)};
  c.email = r.Text(13);
  c.phone = r.Text(14);
  c.notes = r.Text(15);
  c.version = r.Int(16);
  c.created_at = FromMillis(r.Int(17));
  c.updated_at = FromMillis(r.Int(18));
  c.e_invoice = domain::ParseEInvoiceKind(r.Text(19)).value_or(domain::EInvoiceKind::kNone);
  c.public_authority = r.Int(20) != 0;
  c.buyer_reference = r.Text(21);
  c.vat_id = r.Text(22);
  return c;
}

class SqlCustomers final : public app::CustomerRepository {
 public:
  explicit SqlCustomers(sql::Connection& c) : c_(c) {}

  Result<domain::Customer> Create(const domain::Customer& in) override {
    auto number =
        sql::QueryOne(c_,
                      "UPDATE schools SET next_customer_number = next_customer_number + 1 "
                      "WHERE id = $1 RETURNING next_customer_number - 1",
                      {in.school_id});
    if (!number) return Propagate(number);
    if (!*number) return NotFound("Die Hundeschule wurde nicht gefunden.");
    domain::Customer c = in;
    c.customer_number = (*number)->Int(0);
    c.version = 1;
    auto row = sql::QueryOne(
        c_,
        "INSERT INTO customers (school_id, customer_number, kind, salutation, first_name, "
        "last_name, company_name, contact_person, street, zip, city, country, email, phone, notes, "
        "version, created_at, updated_at, e_invoice, public_authority, buyer_reference, vat_id) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22) "
        "RETURNING id",
        {c.school_id,
         c.customer_number,
         domain::ToString(c.kind),
         c.salutation,
         c.first_name,
         c.last_name,
         c.company_name,
         c.contact_person,
         c.address.street,
         c.address.zip,
         c.address.city,
         c.address.country,
         c.email,
         c.phone,
         c.notes,
         c.version,
         Millis(c.created_at),
         Millis(c.updated_at),
         domain::ToString(c.e_invoice),
         std::int64_t{c.public_authority ? 1 : 0},
         c.buyer_reference,
         c.vat_id});
    if (!row) return Propagate(row);
    c.id = (*row)->Int(0);
    if (auto st = WriteDogs(c); !st) return tl::unexpected(st.error());
    if (auto st = WriteTokens(c); !st) return tl::unexpected(st.error());
    return c;
  }

  Result<domain::Customer> Get(std::int64_t school_id, std::int64_t id) override {
    auto row = sql::QueryOne(c_,
                             std::string("SELECT ") + kCustomerColumns +
                                 " FROM customers WHERE school_id = $1 AND id = $2",
                             {school_id, id});
    if (!row) return Propagate(row);
    if (!*row) return NotFound("Der Kunde wurde nicht gefunden.");
    domain::Customer c = CustomerFromRow(**row);
    if (auto st = ReadDogs(c); !st) return tl::unexpected(st.error());
    return c;
  }

  Result<app::CustomerPage> List(std::int64_t school_id, const app::CustomerQuery& q) override {
    app::CustomerPage page;
    // A search counts its matches in the index and looks them up by id: the list is sorted by
    // name anyway, no index walk can stop early.
    const bool search = !q.text.empty();
    std::string where = " FROM customers WHERE " + SchoolCondition("school_id", search);
    std::vector<Value> params{school_id};
    where += SearchFilterSql("id", kSearchCustomer, "$1", q.text, params, &c_.dialect());
    if (search) {
      auto matches = CountSearchMatches(c_, school_id, kSearchCustomer, q.text);
      if (!matches) return Propagate(matches);
      if (*matches == 0) return page;
      page.total = *matches;
    } else {
      auto count = sql::QueryOne(c_, "SELECT COUNT(*)" + where, params);
      if (!count) return Propagate(count);
      page.total = (*count)->Int(0);
    }
    params.emplace_back(std::int64_t{q.limit});
    params.emplace_back(std::int64_t{q.offset});
    const std::string n = std::to_string(params.size());
    const std::string n1 = std::to_string(params.size() - 1);
    auto rows = c_.Query(std::string("SELECT ") + kCustomerColumns + where +
                             " ORDER BY last_name, company_name, first_name, id LIMIT $" + n1 +
                             " OFFSET $" + n,
                         params);
    if (!rows) return Propagate(rows);
    for (const auto& r : *rows) page.items.push_back(CustomerFromRow(r));
    if (auto st = ReadDogs(page.items); !st) return tl::unexpected(st.error());
    return page;
  }

  Result<domain::Customer> Update(const domain::Customer& c) override {
    auto row = sql::QueryOne(
        c_,
        "UPDATE customers SET kind=$3, salutation=$4, first_name=$5, last_name=$6, "
        "company_name=$7, contact_person=$8, street=$9, zip=$10, city=$11, country=$12, "
        "email=$13, phone=$14, notes=$15, version = version + 1, updated_at=$16, e_invoice=$17, "
        "public_authority=$18, buyer_reference=$19, vat_id=$20 "
        "WHERE school_id = $1 AND id = $2 RETURNING version",
        {c.school_id,
         c.id,
         domain::ToString(c.kind),
         c.salutation,
         c.first_name,
         c.last_name,
         c.company_name,
         c.contact_person,
         c.address.street,
         c.address.zip,
         c.address.city,
         c.address.country,
         c.email,
         c.phone,
         c.notes,
         Millis(c.updated_at),
         domain::ToString(c.e_invoice),
         std::int64_t{c.public_authority ? 1 : 0},
         c.buyer_reference,
         c.vat_id});
    if (!row) return Propagate(row);
    if (!*row) return NotFound("Der Kunde wurde nicht gefunden.");
    domain::Customer out = c;
    out.version = (*row)->Int(0);
    if (auto st = WriteDogs(out); !st) return tl::unexpected(st.error());
    if (auto st = WriteTokens(out); !st) return tl::unexpected(st.error());
    if (auto st = ReindexDrafts(out); !st) return tl::unexpected(st.error());
    return out;
  }

  Status Delete(std::int64_t school_id, std::int64_t id) override {
    auto n = c_.Exec("DELETE FROM customers WHERE school_id = $1 AND id = $2", {school_id, id});
    if (!n) return Propagate(n);
    if (*n == 0) return NotFound("Der Kunde wurde nicht gefunden.");
    return {};  // its search tokens: trigger of migration search_tokens
  }

  Result<bool> HasInvoices(std::int64_t school_id, std::int64_t id) override {
    auto row = sql::QueryOne(
        c_, "SELECT 1 FROM invoices WHERE school_id = $1 AND customer_id = $2 LIMIT 1",
        {school_id, id});
    if (!row) return Propagate(row);
    return row->has_value();
  }

  // Writes the search tokens of `c` (issue 18).
  Status WriteTokens(const domain::Customer& c) {
    return WriteSearchTokens(c_, c.school_id, kSearchCustomer, c.id,
                             domain::CustomerSearchTokens(c));
  }

 private:
  // The drafts of a renamed customer are found by the new name (finalized invoices keep the name
  // they were issued to).
  Status ReindexDrafts(const domain::Customer& c) {
    auto drafts = c_.Query(
        "SELECT id FROM invoices WHERE school_id = $1 AND customer_id = $2 AND status = 'draft'",
        {c.school_id, c.id});
    if (!drafts) return Propagate(drafts);
    for (const auto& r : *drafts) {
      if (auto st = ReindexInvoice(c_, c.school_id, r.Int(0)); !st) return st;
    }
    return {};
  }
  Status WriteDogs(const domain::Customer& c) {
    auto del = c_.Exec("DELETE FROM customer_dogs WHERE customer_id = $1", {c.id});
    if (!del) return Propagate(del);
    for (std::size_t i = 0; i < c.dogs.size(); ++i) {
      auto ins = c_.Exec(
          "INSERT INTO customer_dogs (customer_id, position, name, breed) VALUES ($1,$2,$3,$4)",
          {c.id, static_cast<std::int64_t>(i), c.dogs[i].name, c.dogs[i].breed});
      if (!ins) return Propagate(ins);
    }
    return {};
  }
  // The dogs of a page of customers, in one statement (a statement per customer was most of a
  // list request's time on PostgreSQL).
  Status ReadDogs(std::vector<domain::Customer>& customers) {
    if (customers.empty()) return {};
    std::vector<Value> params;
    std::string in;
    std::unordered_map<std::int64_t, domain::Customer*> by_id;
    for (auto& c : customers) {
      c.dogs.clear();
      by_id.emplace(c.id, &c);
      params.emplace_back(c.id);
      in += (in.empty() ? "$" : ", $") + std::to_string(params.size());
    }
    auto rows =
        c_.Query("SELECT customer_id, name, breed FROM customer_dogs WHERE customer_id IN (" + in +
                     ") ORDER BY customer_id, position",
                 params);
    if (!rows) return Propagate(rows);
    for (const auto& r : *rows) {
      if (auto it = by_id.find(r.Int(0)); it != by_id.end()) {
        it->second->dogs.push_back({r.Text(1), r.Text(2)});
      }
    }
    return {};
  }
  Status ReadDogs(domain::Customer& c) {
    auto rows = c_.Query(
        "SELECT name, breed FROM customer_dogs WHERE customer_id = $1 ORDER BY position", {c.id});
    if (!rows) return Propagate(rows);
    c.dogs.clear();
    for (const auto& r : *rows) c.dogs.push_back({r.Text(0), r.Text(1)});
    return {};
  }

  sql::Connection& c_;
};

// ---------------------------------------------------------------- invoices
constexpr const char* kInvoiceColumns =
    "id, school_id, customer_id, kind, status, number, number_year, number_sequence, "
    "invoice_date, service_date, service_period_end, price_entry, notes, cancels_invoice_id, "
    "cancels_invoice_number, cancelled_by_invoice_id, customer_name, customer_contact_person, "
    "customer_street, customer_zip, customer_city, customer_country, customer_email, "
    "customer_number, customer_version_at_finalize, pdf_sha256, created_at, updated_at, "
    "finalized_at, customer_e_invoice, customer_buyer_reference, customer_vat_id, due_date";

// The paid amount of an invoice by the rule of migration 0010, as SQL correlated on `i`:
// sevdesk's paid amount (the payment sync's last read, or a booking made here) plus the
// payments recorded here and not booked there (a booked one is in sevdesk's amount).
const std::string kSevdeskPaidSql =
    "COALESCE((SELECT v.paid_cents FROM receipts r JOIN sevdesk_voucher_states v ON v.school_id "
    "= r.school_id AND v.receipt_id = r.id WHERE r.invoice_id = i.id), 0)";
// A booking still `sending` counts here until sevdesk's amount shows it (at least what sevdesk
// showed before it was sent, plus its amount): a sync can read sevdesk after the booking applied
// and before its answer was stored, and the amount must not count twice meanwhile (ADR 0020).
const std::string kLocalPaidSql =
    "COALESCE((SELECT CAST(SUM(CASE WHEN p.booking = 'sending' AND p.paid_before_cents IS NOT "
    "NULL AND " +
    kSevdeskPaidSql +
    " >= p.paid_before_cents + p.amount_cents THEN 0 ELSE p.amount_cents END) AS BIGINT) FROM "
    "invoice_payments p WHERE p.school_id = i.school_id AND p.invoice_id = i.id AND p.booking <> "
    "'booked'), 0)";
// The columns InvoicePaidFromRow reads: sevdesk's paid amount and pay date, the amount recorded
// here, the day of the last payment recorded here, the due date.
const std::string kInvoicePaidColumns =
    kSevdeskPaidSql +
    ", (SELECT v.pay_date FROM receipts r JOIN sevdesk_voucher_states v ON v.school_id = "
    "r.school_id AND v.receipt_id = r.id WHERE r.invoice_id = i.id), " +
    kLocalPaidSql +
    ", (SELECT MAX(p.pay_date) FROM invoice_payments p WHERE p.school_id = i.school_id AND "
    "p.invoice_id = i.id), i.due_date";

app::InvoicePaid InvoicePaidFromRow(const Row& r, std::size_t first) {
  app::InvoicePaid paid;
  paid.paid_cents = r.Int(first) + r.Int(first + 2);
  const std::optional<Date> in_sevdesk = OptDate(r.OptText(first + 1));
  const std::optional<Date> here = OptDate(r.OptText(first + 3));
  paid.paid_on = in_sevdesk && here ? std::max(*in_sevdesk, *here) : in_sevdesk ? in_sevdesk : here;
  paid.due_date = OptDate(r.OptText(first + 4));
  return paid;
}

// The SQL condition of a payment filter (finalized invoices only: a cancelled original and its
// cancellation are settled together and belong to no payment filter).
std::string PaymentFilterSql(app::PaymentFilter filter, const std::string& today_param) {
  const std::string paid = std::string("(") + kSevdeskPaidSql + " + " + kLocalPaidSql + ")";
  const std::string base = " AND i.kind = 'invoice' AND i.status = 'finalized' AND ";
  switch (filter) {
    case app::PaymentFilter::kPaid:
      return base + paid + " >= i.gross_cents";
    case app::PaymentFilter::kOpen:
      return base + paid + " < i.gross_cents";
    case app::PaymentFilter::kOverdue:
      return base + paid + " < i.gross_cents AND i.due_date < " + today_param;
  }
  return base + "1 = 0";
}

// The list's columns of an invoice (SummaryFromRow reads them); FROM and WHERE follow.
const std::string kSummarySelect =
    "SELECT i.id, i.kind, i.status, i.number, i.invoice_date, i.customer_id, "
    "CASE WHEN i.status = 'draft' THEN (SELECT CASE WHEN c.kind = 'company' THEN "
    "c.company_name ELSE TRIM(c.first_name || ' ' || c.last_name) END FROM customers c "
    "WHERE c.id = i.customer_id) ELSE i.customer_name END, i.net_cents, i.tax_cents, "
    "i.gross_cents, " +
    kInvoicePaidColumns;

app::InvoiceSummary SummaryFromRow(const Row& r) {
  app::InvoiceSummary s;
  s.id = r.Int(0);
  s.kind = r.Text(1) == "cancellation" ? domain::InvoiceKind::kCancellation
                                       : domain::InvoiceKind::kInvoice;
  s.status = domain::ParseInvoiceStatus(r.Text(2)).value_or(domain::InvoiceStatus::kDraft);
  s.number = r.OptText(3);
  s.invoice_date = DateFromText(r.Text(4));
  s.customer_id = r.Int(5);
  s.customer_name = r.Text(6);
  s.net_cents = r.Int(7);
  s.tax_cents = r.Int(8);
  s.gross_cents = r.Int(9);
  s.paid = InvoicePaidFromRow(r, 10);
  return s;
}

domain::Invoice InvoiceFromRow(const Row& r) {
  domain::Invoice inv;
  inv.id = r.Int(0);
  inv.school_id = r.Int(1);
  inv.customer_id = r.Int(2);
  inv.kind = r.Text(3) == "cancellation" ? domain::InvoiceKind::kCancellation
                                         : domain::InvoiceKind::kInvoice;
  inv.status = domain::ParseInvoiceStatus(r.Text(4)).value_or(domain::InvoiceStatus::kDraft);
  inv.number = r.OptText(5);
  inv.number_year = r.OptInt(6);
  inv.number_sequence = r.OptInt(7);
  inv.invoice_date = DateFromText(r.Text(8));
  inv.service_date = OptDate(r.OptText(9));
  inv.service_period_end = OptDate(r.OptText(10));
  inv.price_entry = domain::ParsePriceEntry(r.Text(11)).value_or(domain::PriceEntry::kNet);
  inv.notes = r.Text(12);
  inv.cancels_invoice_id = r.OptInt(13);
  inv.cancels_invoice_number = r.OptText(14);
  inv.cancelled_by_invoice_id = r.OptInt(15);
  inv.customer_snapshot.name = r.Text(16);
  inv.customer_snapshot.contact_person = r.Text(17);
  inv.customer_snapshot.address = {r.Text(18), r.Text(19), r.Text(20), r.Text(21)};
  inv.customer_snapshot.email = r.Text(22);
  inv.customer_snapshot.customer_number = r.Int(23);
  inv.customer_version_at_finalize = r.Int(24);
  inv.pdf_sha256 = r.Text(25);
  inv.created_at = FromMillis(r.Int(26));
  inv.updated_at = FromMillis(r.Int(27));
  if (auto f = r.OptInt(28)) inv.finalized_at = FromMillis(*f);
  inv.customer_snapshot.e_invoice =
      domain::ParseEInvoiceKind(r.Text(29)).value_or(domain::EInvoiceKind::kNone);
  inv.customer_snapshot.buyer_reference = r.Text(30);
  inv.customer_snapshot.vat_id = r.Text(31);
  inv.due_date = OptDate(r.OptText(32));
  return inv;
}

class SqlInvoices final : public app::InvoiceRepository {
 public:
  explicit SqlInvoices(sql::Connection& c) : c_(c) {}

  Result<std::int64_t> CreateDraft(const domain::Invoice& inv) override {
    auto id = InsertRow(inv);
    if (!id) return id;
    domain::Invoice created = inv;
    created.id = *id;
    if (auto st = Index(created); !st) return tl::unexpected(st.error());
    return id;
  }

  // Writes the search tokens of `inv` (issue 18): its number, the customer's name (a draft's
  // from the customer, else the name it was issued to), its line texts.
  Status Index(const domain::Invoice& inv) {
    std::vector<std::string> names{inv.customer_snapshot.name};
    if (inv.status == domain::InvoiceStatus::kDraft) {
      auto row = sql::QueryOne(c_,
                               "SELECT kind, first_name, last_name, company_name FROM customers "
                               "WHERE school_id = $1 AND id = $2",
                               {inv.school_id, inv.customer_id});
      if (!row) return Propagate(row);
      names.clear();
      if (*row) {
        domain::Customer c;
        c.kind = domain::ParseCustomerKind((*row)->Text(0)).value_or(domain::CustomerKind::kPerson);
        c.first_name = (*row)->Text(1);
        c.last_name = (*row)->Text(2);
        c.company_name = (*row)->Text(3);
        names.push_back(c.DisplayName());
      }
    }
    return WriteSearchTokens(c_, inv.school_id, kSearchInvoice, inv.id,
                             domain::InvoiceSearchTokens(inv, names));
  }

  Result<std::int64_t> InsertRow(const domain::Invoice& inv) {
    auto row = sql::QueryOne(
        c_,
        "INSERT INTO invoices (school_id, customer_id, kind, status, invoice_date, service_date, "
        "service_period_end, price_entry, notes, net_cents, tax_cents, gross_cents, created_at, "
        "updated_at) VALUES ($1,$2,$3,'draft',$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
        {inv.school_id, inv.customer_id, domain::ToString(inv.kind),
         FormatIsoDate(inv.invoice_date), DateValue(inv.service_date),
         DateValue(inv.service_period_end), domain::ToString(inv.price_entry), inv.notes,
         inv.totals.net_cents, inv.totals.tax_cents, inv.totals.gross_cents, Millis(inv.created_at),
         Millis(inv.updated_at)});
    if (!row) return Propagate(row);
    const std::int64_t id = (*row)->Int(0);
    if (auto st = WriteLines(id, inv.lines); !st) return tl::unexpected(st.error());
    return id;
  }

  Result<domain::Invoice> Get(std::int64_t school_id, std::int64_t id) override {
    auto row = sql::QueryOne(c_,
                             std::string("SELECT ") + kInvoiceColumns +
                                 " FROM invoices WHERE school_id = $1 AND id = $2",
                             {school_id, id});
    if (!row) return Propagate(row);
    if (!*row) return NotFound("Die Rechnung wurde nicht gefunden.");
    domain::Invoice inv = InvoiceFromRow(**row);
    auto lines = c_.Query(
        "SELECT text, quantity_milli, unit, unit_price_cents, vat_rate FROM invoice_lines "
        "WHERE invoice_id = $1 ORDER BY position",
        {id});
    if (!lines) return Propagate(lines);
    for (const auto& r : *lines) {
      inv.lines.push_back({r.Text(0), r.Int(1), r.Text(2), r.Int(3), static_cast<int>(r.Int(4))});
    }
    inv.totals = domain::ComputeTotals(inv.lines, inv.price_entry);
    return inv;
  }

  Result<app::InvoicePage> List(std::int64_t school_id, const app::InvoiceQuery& q) override {
    app::InvoicePage page;
    std::string where;  // the conditions after the school's
    std::vector<Value> params{school_id};
    if (q.status) {
      params.emplace_back(domain::ToString(*q.status));
      where += " AND i.status = $" + std::to_string(params.size());
    }
    if (q.customer_id) {
      params.emplace_back(*q.customer_id);
      where += " AND i.customer_id = $" + std::to_string(params.size());
    }
    if (q.payment) {
      // Only the overdue filter reads today (PostgreSQL refuses an unused parameter).
      if (*q.payment == app::PaymentFilter::kOverdue) params.emplace_back(FormatIsoDate(q.today));
      where += PaymentFilterSql(*q.payment, "$" + std::to_string(params.size()));
    }
    const bool filtered = q.status || q.customer_id || q.payment;
    where += SearchFilterSql("i.id", kSearchInvoice, "$1", q.text, params);
    // A search: its matches counted in the index; few of them are looked up by id (see
    // kSearchByIdLimit), and so is the count of a search with other filters.
    const bool search = !q.text.empty();
    std::int64_t matches = 0;
    if (search) {
      auto m = CountSearchMatches(c_, school_id, kSearchInvoice, q.text);
      if (!m) return Propagate(m);
      if (*m == 0) return page;
      matches = *m;
    }
    if (search && !filtered) {
      page.total = matches;
    } else {
      auto count = sql::QueryOne(
          c_,
          "SELECT COUNT(*) FROM invoices i WHERE " + SchoolCondition("i.school_id", search) + where,
          params);
      if (!count) return Propagate(count);
      page.total = (*count)->Int(0);
    }
    Result<std::vector<Row>> rows = std::vector<Row>{};
    if (search && !filtered && matches <= kSearchRankLimit) {
      rows = RankedSearchPage(school_id, q);
    } else {
      const bool by_id = search && matches <= kSearchByIdLimit;
      where = " FROM invoices i WHERE " + SchoolCondition("i.school_id", by_id) + where;
      params.emplace_back(std::int64_t{q.limit});
      params.emplace_back(std::int64_t{q.offset});
      rows = c_.Query(kSummarySelect + where + " ORDER BY i.id DESC LIMIT $" +
                          std::to_string(params.size() - 1) + " OFFSET $" +
                          std::to_string(params.size()),
                      params);
    }
    if (!rows) return Propagate(rows);
    for (const auto& r : *rows) page.items.push_back(SummaryFromRow(r));
    return page;
  }

  // A search without other filters and with at most kSearchRankLimit matches: its page ranked
  // in the index (invoices are listed by id; their sort key is 0), only the page's rows read.
  Result<std::vector<Row>> RankedSearchPage(std::int64_t school_id, const app::InvoiceQuery& q) {
    std::vector<Value> params{school_id};
    RankedPage rank;
    rank.limit = q.limit;
    rank.offset = q.offset;
    const std::string ranked = RankedMatchesSql(kSearchInvoice, "$1", q.text, rank, params);
    return c_.Query(kSummarySelect + " FROM invoices i WHERE " +
                        SchoolCondition("i.school_id", true) + " AND i.id IN (" + ranked +
                        ") ORDER BY i.id DESC",
                    params);
  }

  Result<std::vector<app::InvoiceSummary>> GetSummaries(
      std::int64_t school_id, const std::vector<std::int64_t>& ids) override {
    std::vector<app::InvoiceSummary> out;
    if (ids.empty()) return out;
    std::vector<Value> params{school_id};
    std::string in;
    for (std::int64_t id : ids) {
      params.emplace_back(id);
      in += (in.empty() ? "$" : ", $") + std::to_string(params.size());
    }
    auto rows = c_.Query(
        kSummarySelect + " FROM invoices i WHERE i.school_id = $1 AND i.id IN (" + in + ")",
        params);
    if (!rows) return Propagate(rows);
    for (const auto& r : *rows) out.push_back(SummaryFromRow(r));
    return out;
  }

  Status UpdateDraft(const domain::Invoice& inv) override {
    auto n = c_.Exec(
        "UPDATE invoices SET customer_id=$3, invoice_date=$4, service_date=$5, "
        "service_period_end=$6, price_entry=$7, notes=$8, net_cents=$9, tax_cents=$10, "
        "gross_cents=$11, updated_at=$12 WHERE school_id=$1 AND id=$2 AND status='draft'",
        {inv.school_id, inv.id, inv.customer_id, FormatIsoDate(inv.invoice_date),
         DateValue(inv.service_date), DateValue(inv.service_period_end),
         domain::ToString(inv.price_entry), inv.notes, inv.totals.net_cents, inv.totals.tax_cents,
         inv.totals.gross_cents, Millis(inv.updated_at)});
    if (!n) return Propagate(n);
    if (*n == 0) {
      return Fail(ErrorCode::kConflict, "invoice_not_draft",
                  "Die Rechnung ist festgeschrieben und kann nicht mehr geändert werden.");
    }
    if (auto st = WriteLines(inv.id, inv.lines); !st) return st;
    domain::Invoice draft = inv;
    draft.status = domain::InvoiceStatus::kDraft;
    return Index(draft);
  }

  Status DeleteDraft(std::int64_t school_id, std::int64_t id) override {
    auto lines = c_.Exec(
        "DELETE FROM invoice_lines WHERE invoice_id = (SELECT id FROM invoices WHERE "
        "school_id = $1 AND id = $2 AND status = 'draft')",
        {school_id, id});
    if (!lines) return Propagate(lines);
    auto n = c_.Exec("DELETE FROM invoices WHERE school_id = $1 AND id = $2 AND status = 'draft'",
                     {school_id, id});
    if (!n) return Propagate(n);
    if (*n == 0) {
      return Fail(ErrorCode::kConflict, "invoice_not_draft",
                  "Nur Entwürfe können gelöscht werden.");
    }
    return {};  // its search tokens: trigger of migration search_tokens
  }

  Result<std::int64_t> NextSequence(std::int64_t school_id, int year) override {
    auto row = sql::QueryOne(
        c_,
        "INSERT INTO invoice_sequences (school_id, year, last_sequence) VALUES ($1, $2, 1) "
        "ON CONFLICT (school_id, year) DO UPDATE SET last_sequence = "
        "invoice_sequences.last_sequence + 1 RETURNING last_sequence",
        {school_id, std::int64_t{year}});
    if (!row) return Propagate(row);
    return (*row)->Int(0);
  }

  Result<std::int64_t> PeekNextSequence(std::int64_t school_id, int year) override {
    auto row = sql::QueryOne(
        c_, "SELECT last_sequence FROM invoice_sequences WHERE school_id=$1 AND year=$2",
        {school_id, std::int64_t{year}});
    if (!row) return Propagate(row);
    return *row ? (*row)->Int(0) + 1 : std::int64_t{1};
  }

  Status SaveFinalized(const domain::Invoice& inv, const std::string& pdf) override {
    auto n = c_.Exec(
        "UPDATE invoices SET status='finalized', number=$3, number_year=$4, number_sequence=$5, "
        "net_cents=$6, tax_cents=$7, gross_cents=$8, customer_name=$9, "
        "customer_contact_person=$10, customer_street=$11, customer_zip=$12, customer_city=$13, "
        "customer_country=$14, customer_email=$15, customer_number=$16, "
        "customer_version_at_finalize=$17, pdf_sha256=$18, updated_at=$19, finalized_at=$20, "
        "customer_e_invoice=$21, customer_buyer_reference=$22, customer_vat_id=$23, due_date=$24 "
        "WHERE school_id=$1 AND id=$2 AND status='draft'",
        FinalizedParams(inv));
    if (!n) return Propagate(n);
    if (*n == 0) {
      return Fail(ErrorCode::kConflict, "invoice_not_draft",
                  "Die Rechnung ist bereits festgeschrieben.");
    }
    if (auto st = WriteDocument(inv.id, pdf); !st) return st;
    domain::Invoice finalized = inv;
    finalized.status = domain::InvoiceStatus::kFinalized;
    return Index(finalized);
  }

  Result<std::int64_t> InsertFinalized(const domain::Invoice& inv,
                                       const std::string& pdf) override {
    // Indexed once, by SaveFinalized.
    auto id = InsertRow(inv);
    if (!id) return id;
    domain::Invoice copy = inv;
    copy.id = *id;
    auto n = c_.Exec(
        "UPDATE invoices SET cancels_invoice_id=$3, cancels_invoice_number=$4 WHERE school_id=$1 "
        "AND id=$2",
        {copy.school_id, copy.id, sql::Nullable(copy.cancels_invoice_id),
         sql::Nullable(copy.cancels_invoice_number)});
    if (!n) return Propagate(n);
    if (auto st = SaveFinalized(copy, pdf); !st) return tl::unexpected(st.error());
    return *id;
  }

  Status MarkCancelled(std::int64_t school_id, std::int64_t id,
                       std::int64_t cancellation_id) override {
    auto n = c_.Exec(
        "UPDATE invoices SET status='cancelled', cancelled_by_invoice_id=$3 WHERE school_id=$1 "
        "AND id=$2 AND status='finalized'",
        {school_id, id, cancellation_id});
    if (!n) return Propagate(n);
    if (*n == 0) {
      return Fail(ErrorCode::kConflict, "invoice_not_finalized",
                  "Nur festgeschriebene Rechnungen können storniert werden.");
    }
    return {};
  }

  Result<std::optional<std::string>> GetPdf(std::int64_t school_id, std::int64_t id) override {
    auto row = sql::QueryOne(c_,
                             "SELECT d.pdf FROM invoice_documents d JOIN invoices i ON i.id = "
                             "d.invoice_id WHERE i.school_id = $1 AND i.id = $2",
                             {school_id, id});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>{(*row)->Text(0)};
  }

  Status SaveXRechnung(std::int64_t id, const std::string& xml) override {
    auto n = c_.Exec("UPDATE invoice_documents SET xrechnung_xml = $2 WHERE invoice_id = $1",
                     {id, sql::Blob{xml}});
    if (!n) return Propagate(n);
    if (*n == 0) return Internal("invoice without document");
    return {};
  }

  Result<app::InvoicePaid> GetPaid(std::int64_t school_id, std::int64_t id) override {
    auto row = sql::QueryOne(
        c_,
        "SELECT " + kInvoicePaidColumns + " FROM invoices i WHERE i.school_id = $1 AND i.id = $2",
        {school_id, id});
    if (!row) return Propagate(row);
    if (!*row) return NotFound("Die Rechnung wurde nicht gefunden.");
    return InvoicePaidFromRow(**row, 0);
  }

  Result<app::PaymentTotals> GetPaymentTotals(std::int64_t school_id, Date today) override {
    const std::string open =
        std::string("i.gross_cents - (") + kSevdeskPaidSql + " + " + kLocalPaidSql + ")";
    auto row = sql::QueryOne(
        c_,
        "SELECT COUNT(*), CAST(COALESCE(SUM(o.open_cents), 0) AS BIGINT), "
        "CAST(COALESCE(SUM(CASE WHEN o.due_date < $2 THEN 1 ELSE 0 END), 0) AS BIGINT), "
        "CAST(COALESCE(SUM(CASE WHEN o.due_date < $2 THEN o.open_cents ELSE 0 END), 0) AS BIGINT) "
        "FROM (SELECT " +
            open +
            " AS open_cents, i.due_date FROM invoices i WHERE i.school_id = $1 "
            "AND i.kind = 'invoice' AND i.status = 'finalized') o WHERE o.open_cents > 0",
        {school_id, FormatIsoDate(today)});
    if (!row) return Propagate(row);
    app::PaymentTotals t;
    if (*row) {
      t.open_count = (*row)->Int(0);
      t.open_cents = (*row)->Int(1);
      t.overdue_count = (*row)->Int(2);
      t.overdue_cents = (*row)->Int(3);
    }
    return t;
  }

  Result<std::optional<std::string>> GetXRechnung(std::int64_t school_id,
                                                  std::int64_t id) override {
    auto row = sql::QueryOne(c_,
                             "SELECT d.xrechnung_xml FROM invoice_documents d JOIN invoices i ON "
                             "i.id = d.invoice_id WHERE i.school_id = $1 AND i.id = $2",
                             {school_id, id});
    if (!row) return Propagate(row);
    if (!*row || (*row)->IsNull(0)) return std::optional<std::string>{};
    return std::optional<std::string>{(*row)->Text(0)};
  }

 private:
  std::vector<Value> FinalizedParams(const domain::Invoice& inv) {
    const auto& s = inv.customer_snapshot;
    return {inv.school_id,
            inv.id,
            sql::Nullable(inv.number),
            sql::Nullable(inv.number_year),
            sql::Nullable(inv.number_sequence),
            inv.totals.net_cents,
            inv.totals.tax_cents,
            inv.totals.gross_cents,
            s.name,
            s.contact_person,
            s.address.street,
            s.address.zip,
            s.address.city,
            s.address.country,
            s.email,
            s.customer_number,
            inv.customer_version_at_finalize,
            inv.pdf_sha256,
            Millis(inv.updated_at),
            inv.finalized_at ? Value{Millis(*inv.finalized_at)} : Value{nullptr},
            domain::ToString(s.e_invoice),
            s.buyer_reference,
            s.vat_id,
            DateValue(inv.due_date)};
  }
  Status WriteLines(std::int64_t id, const std::vector<domain::InvoiceLine>& lines) {
    auto del = c_.Exec("DELETE FROM invoice_lines WHERE invoice_id = $1", {id});
    if (!del) return Propagate(del);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& l = lines[i];
      auto ins = c_.Exec(
          "INSERT INTO invoice_lines (invoice_id, position, text, quantity_milli, unit, "
          "unit_price_cents, vat_rate) VALUES ($1,$2,$3,$4,$5,$6,$7)",
          {id, static_cast<std::int64_t>(i), l.text, l.quantity, l.unit, l.unit_price_cents,
           std::int64_t{l.vat_rate}});
      if (!ins) return Propagate(ins);
    }
    return {};
  }
  Status WriteDocument(std::int64_t id, const std::string& pdf) {
    auto n = c_.Exec("INSERT INTO invoice_documents (invoice_id, pdf) VALUES ($1, $2)",
                     {id, sql::Blob{pdf}});
    if (!n) return Propagate(n);
    return {};
  }

  sql::Connection& c_;
};

Status ReindexInvoice(sql::Connection& c, std::int64_t school_id, std::int64_t id) {
  SqlInvoices invoices(c);
  auto invoice = invoices.Get(school_id, id);
  if (!invoice) return Propagate(invoice);
  return invoices.Index(*invoice);
}

// ---------------------------------------------------------------- receipts
constexpr const char* kReceiptColumns =
    "id, school_id, type, date, number, counterparty, description, amount_gross_cents, "
    "amount_net_cents, amount_tax_cents, vat_rate, invoice_id, customer_id, file_name, "
    "file_content_type, file_sha256, file_size, created_at";

// The same columns qualified for the list join, and the transfer columns after them.
constexpr const char* kReceiptColumnsR =
    "r.id, r.school_id, r.type, r.date, r.number, r.counterparty, r.description, "
    "r.amount_gross_cents, r.amount_net_cents, r.amount_tax_cents, r.vat_rate, r.invoice_id, "
    "r.customer_id, r.file_name, r.file_content_type, r.file_sha256, r.file_size, r.created_at";
constexpr std::size_t kReceiptColumnCount = 18;
constexpr const char* kTransferColumnsT =
    "t.id, t.school_id, t.receipt_id, t.customer_id, t.state, t.phase, t.priority, t.batch_id, "
    "t.attempts, t.next_attempt_at, t.lease_owner, t.lease_until, t.uploaded_filename, "
    "t.voucher_id, t.last_error_code, t.last_error_message, t.last_error_hint, t.created_at, "
    "t.updated_at, t.transferred_at, t.create_sent_at";

domain::Receipt ReceiptFromRow(const Row& r) {
  domain::Receipt x;
  x.id = r.Int(0);
  x.school_id = r.Int(1);
  x.type = domain::ParseReceiptType(r.Text(2)).value_or(domain::ReceiptType::kIncome);
  x.date = DateFromText(r.Text(3));
  x.number = r.Text(4);
  x.counterparty = r.Text(5);
  x.description = r.Text(6);
  x.amount_gross_cents = r.Int(7);
  x.amount_net_cents = r.Int(8);
  x.amount_tax_cents = r.Int(9);
  if (auto v = r.OptInt(10)) x.vat_rate = static_cast<int>(*v);
  x.invoice_id = r.OptInt(11);
  x.customer_id = r.OptInt(12);
  x.file_name = r.Text(13);
  x.file_content_type = r.Text(14);
  x.file_sha256 = r.Text(15);
  x.file_size = r.Int(16);
  x.created_at = FromMillis(r.Int(17));
  return x;
}

class SqlReceipts final : public app::ReceiptRepository {
 public:
  explicit SqlReceipts(sql::Connection& c) : c_(c) {}

  Result<std::int64_t> Create(const domain::Receipt& x, const std::string& file) override {
    auto row = sql::QueryOne(
        c_,
        "INSERT INTO receipts (school_id, type, date, number, counterparty, description, "
        "amount_gross_cents, amount_net_cents, amount_tax_cents, vat_rate, invoice_id, "
        "customer_id, file_name, file_content_type, file_sha256, file_size, created_at) VALUES "
        "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING id",
        {x.school_id, domain::ToString(x.type), FormatIsoDate(x.date), x.number, x.counterparty,
         x.description, x.amount_gross_cents, x.amount_net_cents, x.amount_tax_cents,
         x.vat_rate ? Value{std::int64_t{*x.vat_rate}} : Value{nullptr},
         sql::Nullable(x.invoice_id), sql::Nullable(x.customer_id), x.file_name,
         x.file_content_type, x.file_sha256, x.file_size, Millis(x.created_at)});
    if (!row) return Propagate(row);
    const std::int64_t id = (*row)->Int(0);
    if (!file.empty()) {
      auto n = c_.Exec("INSERT INTO receipt_files (receipt_id, content) VALUES ($1, $2)",
                       {id, sql::Blob{file}});
      if (!n) return Propagate(n);
    }
    if (auto st = Index(x, id); !st) return tl::unexpected(st.error());
    return id;
  }

  Status Index(const domain::Receipt& x, std::int64_t id) {
    return WriteSearchTokens(c_, x.school_id, kSearchReceipt, id, domain::ReceiptSearchTokens(x),
                             ReceiptSortKey(x.date));
  }

  Result<domain::Receipt> Get(std::int64_t school_id, std::int64_t id) override {
    auto row = sql::QueryOne(c_,
                             std::string("SELECT ") + kReceiptColumns +
                                 " FROM receipts WHERE school_id = $1 AND id = $2",
                             {school_id, id});
    if (!row) return Propagate(row);
    if (!*row) return NotFound("Der Beleg wurde nicht gefunden.");
    return ReceiptFromRow(**row);
  }

  Result<app::ReceiptPage> List(std::int64_t school_id, const app::ReceiptQuery& q) override {
    // Without a text or sevdesk-status filter the total sums receipt_day_counts (migration
    // 0003, kept by triggers): counting a school's 100,000 receipts per request took most of the
    // request's time. A search alone takes the number of its matches from the index and, up to
    // kSearchRankLimit of them, its page too (ADR 0021). Otherwise it counts the receipts,
    // joining the transfers only when it filters by them: a join per row would turn an index
    // scan into 100,000 lookups.
    const bool search = !q.text.empty();
    const bool filtered = q.type || q.from || q.to || q.sevdesk_status;
    std::int64_t matches = 0;
    if (search) {
      auto m = CountSearchMatches(c_, school_id, kSearchReceipt, q.text);
      if (!m) return Propagate(m);
      if (*m == 0) return app::ReceiptPage{};
      matches = *m;
    }
    if (search && !filtered && matches <= kSearchRankLimit) {
      return ListRankedSearch(school_id, q, matches);
    }
    std::vector<Value> params{school_id};
    const std::string where = FilterConditions(q, params);
    Result<std::optional<Row>> count = std::optional<Row>{Row({Value{matches}})};
    if (!search && !q.sevdesk_status) {
      count = CountFromDayCounts(school_id, q);
    } else if (!search || filtered) {
      // A search's matches looked up by id (see kSearchByIdLimit).
      count = sql::QueryOne(c_,
                            std::string("SELECT COUNT(*)") +
                                (q.sevdesk_status ? kFromJoined : kFromReceipts) + " WHERE " +
                                SchoolCondition("r.school_id", search) + where,
                            params);
    }
    if (!count) return Propagate(count);
    const bool by_id = search && matches <= kSearchByIdLimit;
    std::string page_where = " WHERE " + SchoolCondition("r.school_id", by_id) + where;
    if (q.after) {
      const std::string d = AddParam(FormatIsoDate(q.after->first), params);
      const std::string i = AddParam(q.after->second, params);
      const char* cmp = q.order == app::SortOrder::kDateDesc ? " < " : " > ";
      page_where += " AND (r.date" + std::string(cmp) + d + " OR (r.date = " + d + " AND r.id" +
                    cmp + i + "))";
    }
    std::string limit = " LIMIT " + AddParam(std::int64_t{q.limit + 1}, params);
    if (q.offset && !q.after) limit += " OFFSET " + AddParam(std::int64_t{*q.offset}, params);
    auto rows = c_.Query(std::string("SELECT ") + kReceiptColumnsR + ", " + kTransferColumnsT +
                             kFromJoined + page_where + OrderBy(q) + limit,
                         params);
    if (!rows) return Propagate(rows);
    return PageOf(*rows, q.limit, (*count)->Int(0));
  }

 private:
  static constexpr const char* kFromReceipts = " FROM receipts r";
  static constexpr const char* kFromJoined =
      " FROM receipts r LEFT JOIN sevdesk_transfers t ON t.school_id = r.school_id AND "
      "t.receipt_id = r.id";

  static std::string AddParam(Value v, std::vector<Value>& params) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  }
  static const char* OrderBy(const app::ReceiptQuery& q) {
    return q.order == app::SortOrder::kDateDesc ? " ORDER BY r.date DESC, r.id DESC"
                                                : " ORDER BY r.date, r.id";
  }

  // The conditions of `q`'s filters after the school's (" AND ..."), their parameters appended.
  static std::string FilterConditions(const app::ReceiptQuery& q, std::vector<Value>& params) {
    std::string where;
    if (q.type) where += " AND r.type = " + AddParam(domain::ToString(*q.type), params);
    if (q.from) where += " AND r.date >= " + AddParam(FormatIsoDate(*q.from), params);
    if (q.to) where += " AND r.date <= " + AddParam(FormatIsoDate(*q.to), params);
    where += SearchFilterSql("r.id", kSearchReceipt, "$1", q.text, params);
    if (q.sevdesk_status) where += SevdeskStatusCondition(*q.sevdesk_status, q.sevdesk_paused);
    return where;
  }

  static std::string SevdeskStatusCondition(const std::string& st, bool paused) {
    const std::string pending = "t.state IN ('queued', 'retry_wait', 'running')";
    if (st == "not_transferred") return " AND t.id IS NULL";
    if (st == "transferred") return " AND t.state = 'transferred'";
    if (st == "waiting") return paused ? " AND " + pending : " AND 1 = 0";
    // While paused, pending transfers show as "waiting" instead.
    if (paused) return st == "failed" ? " AND t.state = 'failed'" : " AND 1 = 0";
    if (st == "queued") return " AND t.state = 'queued'";
    if (st == "in_progress") return " AND t.state = 'running'";
    if (st == "failed") return " AND t.state IN ('failed', 'retry_wait')";
    return "";
  }

  // A search without other filters and with at most kSearchRankLimit matches: its page is
  // ranked in the index by (date, id) and only the page's receipts are read.
  Result<app::ReceiptPage> ListRankedSearch(std::int64_t school_id, const app::ReceiptQuery& q,
                                            std::int64_t matches) {
    std::vector<Value> params{school_id};
    RankedPage rank;
    rank.descending = q.order == app::SortOrder::kDateDesc;
    if (q.after) rank.after = {{ReceiptSortKey(q.after->first), q.after->second}};
    rank.limit = q.limit + 1;
    if (q.offset && !q.after) rank.offset = *q.offset;
    const std::string ranked = RankedMatchesSql(kSearchReceipt, "$1", q.text, rank, params);
    auto rows = c_.Query(std::string("SELECT ") + kReceiptColumnsR + ", " + kTransferColumnsT +
                             kFromJoined + " WHERE " + SchoolCondition("r.school_id", true) +
                             " AND r.id IN (" + ranked + ")" + OrderBy(q),
                         params);
    if (!rows) return Propagate(rows);
    return PageOf(*rows, q.limit, matches);
  }

  // Up to `limit` rows of `rows` (one more means there is a next page).
  static app::ReceiptPage PageOf(const std::vector<Row>& rows, int limit, std::int64_t total) {
    app::ReceiptPage page;
    page.total = total;
    for (const auto& r : rows) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.has_more = true;
        break;
      }
      app::ReceiptListItem item;
      static_cast<domain::Receipt&>(item) = ReceiptFromRow(r);
      if (!r.IsNull(kReceiptColumnCount)) {
        item.transfer = TransferFromRow(r, kReceiptColumnCount);
      }
      page.items.push_back(std::move(item));
    }
    return page;
  }

 public:
  // The number of receipts matching the type and date filters of `q`.
  Result<std::optional<Row>> CountFromDayCounts(std::int64_t school_id,
                                                const app::ReceiptQuery& q) {
    std::vector<Value> params{school_id};
    // Both types spelled out without a type filter, so the key (school_id, type, date) serves a
    // date range too. SUM of a PostgreSQL BIGINT is NUMERIC: cast it back.
    std::string where = " WHERE school_id = $1 AND type ";
    if (q.type) {
      params.emplace_back(domain::ToString(*q.type));
      where += "= $2";
    } else {
      where += "IN ('income', 'expense')";
    }
    if (q.from) {
      params.emplace_back(FormatIsoDate(*q.from));
      where += " AND date >= $" + std::to_string(params.size());
    }
    if (q.to) {
      params.emplace_back(FormatIsoDate(*q.to));
      where += " AND date <= $" + std::to_string(params.size());
    }
    return sql::QueryOne(
        c_,
        "SELECT CAST(COALESCE(SUM(receipt_count), 0) AS BIGINT) FROM receipt_day_counts" + where,
        params);
  }

  Result<app::StoredFile> GetFile(std::int64_t school_id, std::int64_t id) override {
    auto row = sql::QueryOne(
        c_,
        "SELECT r.file_name, r.file_content_type, COALESCE(f.content, d.pdf) FROM receipts r "
        "LEFT JOIN receipt_files f ON f.receipt_id = r.id LEFT JOIN invoice_documents d ON "
        "d.invoice_id = r.invoice_id WHERE r.school_id = $1 AND r.id = $2",
        {school_id, id});
    if (!row) return Propagate(row);
    if (!*row || (*row)->IsNull(2)) return NotFound("Der Beleg hat kein Dokument.");
    return app::StoredFile{(*row)->Text(0), (*row)->Text(1), (*row)->Text(2)};
  }

 private:
  sql::Connection& c_;
};

}  // namespace

struct SqlUnitOfWork::Repos {
  explicit Repos(sql::Connection& c)
      : schools(c),
        users(c),
        sessions(c),
        customers(c),
        invoices(c),
        receipts(c),
        sevdesk(MakeSqlSevdeskRepository(c)),
        payments(MakeSqlPaymentRepository(c)) {}
  SqlSchools schools;
  SqlUsers users;
  SqlSessions sessions;
  SqlCustomers customers;
  SqlInvoices invoices;
  SqlReceipts receipts;
  std::unique_ptr<app::SevdeskRepository> sevdesk;
  std::unique_ptr<app::PaymentRepository> payments;
};

SqlUnitOfWork::SqlUnitOfWork(sql::Connection& connection, std::function<Status(bool)> finish)
    : repos_(std::make_unique<Repos>(connection)), finish_(std::move(finish)) {}

SqlUnitOfWork::~SqlUnitOfWork() {
  if (!finished_) (void)finish_(false);
}

app::SchoolRepository& SqlUnitOfWork::Schools() {
  return repos_->schools;
}
app::UserRepository& SqlUnitOfWork::Users() {
  return repos_->users;
}
app::SessionRepository& SqlUnitOfWork::Sessions() {
  return repos_->sessions;
}
app::CustomerRepository& SqlUnitOfWork::Customers() {
  return repos_->customers;
}
app::InvoiceRepository& SqlUnitOfWork::Invoices() {
  return repos_->invoices;
}
app::ReceiptRepository& SqlUnitOfWork::Receipts() {
  return repos_->receipts;
}
app::SevdeskRepository& SqlUnitOfWork::Sevdesk() {
  return *repos_->sevdesk;
}
app::PaymentRepository& SqlUnitOfWork::Payments() {
  return *repos_->payments;
}

Status SqlUnitOfWork::Commit() {
  finished_ = true;
  return finish_(true);
}

Result<int> ApplyMigrations(sql::Connection& c, const std::vector<Migration>& migrations) {
  if (auto st =
          c.ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                       "name TEXT NOT NULL, applied_at TEXT NOT NULL)");
      !st) {
    return tl::unexpected(st.error());
  }
  auto row = sql::QueryOne(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!row) return Propagate(row);
  const std::int64_t current = (*row)->Int(0);
  int applied = 0;
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    if (auto st = c.ExecScript("BEGIN"); !st) return tl::unexpected(st.error());
    auto st = c.ExecScript(m.sql);
    if (st) {
      auto ins = c.Exec(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, "
          "CURRENT_TIMESTAMP)",
          {std::int64_t{m.version}, m.name});
      if (!ins) st = tl::unexpected(ins.error());
    }
    if (!st) {
      (void)c.ExecScript("ROLLBACK");
      Error e = st.error();
      e.message = "Migration " + m.name + " failed: " + e.message;
      return tl::unexpected(e);
    }
    if (auto commit = c.ExecScript("COMMIT"); !commit) return tl::unexpected(commit.error());
    ++applied;
  }
  return applied;
}

namespace {

// Indexes one row of the backfill queue and takes it off; a row deleted since (no school) is
// only taken off.
Status BackfillRow(sql::Connection& c, const std::string& kind, std::int64_t id,
                   std::optional<std::int64_t> school_id) {
  if (school_id && kind == kSearchCustomer) {
    SqlCustomers customers(c);
    auto customer = customers.Get(*school_id, id);
    if (!customer) return Propagate(customer);
    if (auto st = customers.WriteTokens(*customer); !st) return st;
  } else if (school_id && kind == kSearchInvoice) {
    if (auto st = ReindexInvoice(c, *school_id, id); !st) return st;
  } else if (school_id && kind == kSearchReceipt) {
    SqlReceipts receipts(c);
    auto receipt = receipts.Get(*school_id, id);
    if (!receipt) return Propagate(receipt);
    if (auto st = receipts.Index(*receipt, id); !st) return st;
  }
  auto n = c.Exec("DELETE FROM search_backfill WHERE kind = $1 AND entity_id = $2", {kind, id});
  if (!n) return Propagate(n);
  return {};
}

// One transaction: up to `batch` rows of the queue. Returns how many it took off.
Result<int> BackfillBatch(sql::Connection& c, int batch) {
  auto rows = c.Query(
      "SELECT b.kind, b.entity_id, COALESCE(cu.school_id, i.school_id, r.school_id) "
      "FROM search_backfill b "
      "LEFT JOIN customers cu ON b.kind = 'customer' AND cu.id = b.entity_id "
      "LEFT JOIN invoices i ON b.kind = 'invoice' AND i.id = b.entity_id "
      "LEFT JOIN receipts r ON b.kind = 'receipt' AND r.id = b.entity_id "
      "ORDER BY b.kind, b.entity_id LIMIT $1",
      {std::int64_t{batch}});
  if (!rows) return Propagate(rows);
  for (const auto& r : *rows) {
    if (auto st = BackfillRow(c, r.Text(0), r.Int(1), r.OptInt(2)); !st) {
      return tl::unexpected(st.error());
    }
  }
  return static_cast<int>(rows->size());
}

}  // namespace

Result<std::int64_t> BackfillSearchTokens(sql::Connection& c) {
  constexpr int kBatch = 500;
  std::int64_t done = 0;
  for (;;) {
    if (auto st = c.ExecScript("BEGIN"); !st) return tl::unexpected(st.error());
    auto n = BackfillBatch(c, kBatch);
    if (!n) {
      (void)c.ExecScript("ROLLBACK");
      Error e = n.error();
      e.message = "Search index backfill failed: " + e.message;
      return tl::unexpected(e);
    }
    if (auto st = c.ExecScript("COMMIT"); !st) return tl::unexpected(st.error());
    done += *n;
    if (*n < kBatch) return done;
  }
}

}  // namespace hs::store
