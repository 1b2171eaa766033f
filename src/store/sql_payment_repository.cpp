#include "store/sql_payment_repository.hpp"

#include "store/sql/values.hpp"

namespace hs::store {

using sql::OptDate;
using sql::OptMs;
using sql::Propagate;
using sql::Row;
using sql::Value;

namespace {

constexpr const char* kPaymentColumns =
    "id, school_id, invoice_id, amount_cents, pay_date, method, booking, check_account_id, "
    "paid_before_cents, sent_at, attempts, message, created_by, created_at, updated_at";

app::InvoicePayment PaymentFromRow(const Row& r) {
  app::InvoicePayment p;
  p.id = r.Int(0);
  p.school_id = r.Int(1);
  p.invoice_id = r.Int(2);
  p.amount_cents = r.Int(3);
  p.pay_date = ParseIsoDate(r.Text(4)).value_or(Date{});
  p.method = app::ParsePaymentMethod(r.Text(5)).value_or(app::PaymentMethod::kCash);
  // An unknown text cannot pass the CHECK constraint; 'check' keeps a human in the loop.
  p.booking = app::ParseBooking(r.Text(6)).value_or(app::Booking::kCheck);
  p.check_account_id = r.Text(7);
  p.paid_before_cents = r.OptInt(8);
  if (auto v = r.OptInt(9)) p.sent_at = FromUnixMillis(*v);
  p.attempts = static_cast<int>(r.Int(10));
  p.message = r.Text(11);
  p.created_by = r.OptInt(12);
  p.created_at = FromUnixMillis(r.Int(13));
  p.updated_at = FromUnixMillis(r.Int(14));
  return p;
}

class SqlPaymentRepository final : public app::PaymentRepository {
 public:
  explicit SqlPaymentRepository(sql::Connection& c) : c_(c) {}

  Result<std::int64_t> Insert(const app::InvoicePayment& p) override {
    auto row = sql::QueryOne(
        c_,
        "INSERT INTO invoice_payments (school_id, invoice_id, amount_cents, pay_date, method, "
        "booking, check_account_id, paid_before_cents, sent_at, attempts, message, created_by, "
        "created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) "
        "RETURNING id",
        {p.school_id, p.invoice_id, p.amount_cents, FormatIsoDate(p.pay_date),
         std::string(app::ToString(p.method)), std::string(app::ToString(p.booking)),
         p.check_account_id, sql::Nullable(p.paid_before_cents), OptMs(p.sent_at),
         std::int64_t{p.attempts}, p.message, sql::Nullable(p.created_by),
         ToUnixMillis(p.created_at), ToUnixMillis(p.updated_at)});
    if (!row) return Propagate(row);
    return (*row)->Int(0);
  }

  Result<std::optional<app::InvoicePayment>> Get(std::int64_t school_id,
                                                 std::int64_t payment_id) override {
    auto row = sql::QueryOne(c_,
                             std::string("SELECT ") + kPaymentColumns +
                                 " FROM invoice_payments WHERE school_id = $1 AND id = $2",
                             {school_id, payment_id});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<app::InvoicePayment>{};
    return std::optional<app::InvoicePayment>{PaymentFromRow(**row)};
  }

  Result<std::vector<app::InvoicePayment>> ListByInvoice(std::int64_t school_id,
                                                         std::int64_t invoice_id) override {
    return Many(std::string("SELECT ") + kPaymentColumns +
                    " FROM invoice_payments WHERE school_id = $1 AND invoice_id = $2 "
                    "ORDER BY pay_date, id",
                {school_id, invoice_id});
  }

  Result<bool> UpdateBooking(const app::InvoicePayment& p, app::Booking expected) override {
    const bool to_sending = p.booking == app::Booking::kSending;
    if (to_sending && c_.dialect().concurrent_writers) {
      // Serializes the "no other booking of the invoice is sending" check below between
      // processes (READ COMMITTED would let two of them pass it at once).
      auto lock = c_.Query("SELECT id FROM invoices WHERE id = $1 FOR UPDATE", {p.invoice_id});
      if (!lock) return Propagate(lock);
    }
    std::string sql =
        "UPDATE invoice_payments SET booking = $1, check_account_id = $2, paid_before_cents = "
        "$3, sent_at = $4, attempts = $5, message = $6, updated_at = $7 WHERE id = $8 AND "
        "school_id = $9 AND booking = $10";
    if (to_sending) {
      sql +=
          " AND NOT EXISTS (SELECT 1 FROM invoice_payments o WHERE o.school_id = $9 AND "
          "o.invoice_id = $11 AND o.booking = 'sending' AND o.id <> $8)";
    }
    std::vector<Value> params{std::string(app::ToString(p.booking)),
                              p.check_account_id,
                              sql::Nullable(p.paid_before_cents),
                              OptMs(p.sent_at),
                              std::int64_t{p.attempts},
                              p.message,
                              ToUnixMillis(p.updated_at),
                              p.id,
                              p.school_id,
                              std::string(app::ToString(expected))};
    if (to_sending) params.emplace_back(p.invoice_id);
    auto n = c_.Exec(sql, params);
    if (!n) return Propagate(n);
    return *n == 1;
  }

  Result<std::vector<app::InvoicePayment>> DueBookings(int limit) override {
    // A pending booking whose invoice is not in sevdesk yet is left out: it cannot move, and
    // taking it up every round would crowd out the ones that can.
    return Many(std::string("SELECT ") + kPaymentColumns +
                    " FROM invoice_payments p WHERE p.booking = 'sending' OR (p.booking = "
                    "'pending' AND EXISTS (SELECT 1 FROM receipts r JOIN sevdesk_transfers t ON "
                    "t.school_id = r.school_id AND t.receipt_id = r.id WHERE r.school_id = "
                    "p.school_id AND r.invoice_id = p.invoice_id AND t.state = 'transferred')) "
                    "ORDER BY p.updated_at, p.id LIMIT $1",
                {std::int64_t{limit}});
  }

  Result<std::optional<std::int64_t>> ReceiptOfInvoice(std::int64_t school_id,
                                                       std::int64_t invoice_id) override {
    auto row = sql::QueryOne(c_, "SELECT id FROM receipts WHERE school_id = $1 AND invoice_id = $2",
                             {school_id, invoice_id});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{(*row)->Int(0)};
  }

  Result<std::optional<Cents>> VoucherPaidCents(std::int64_t school_id,
                                                std::int64_t receipt_id) override {
    auto row = sql::QueryOne(
        c_,
        "SELECT paid_cents FROM sevdesk_voucher_states WHERE school_id = $1 AND receipt_id = $2",
        {school_id, receipt_id});
    if (!row) return Propagate(row);
    if (!*row) return std::optional<Cents>{};
    return std::optional<Cents>{(*row)->Int(0)};
  }

  Status SaveVoucherRead(const app::VoucherStateWrite& w) override {
    auto n = c_.Exec(
        "INSERT INTO sevdesk_voucher_states (school_id, receipt_id, voucher_id, status, "
        "gross_cents, paid_cents, pay_date, presence, change_note, sevdesk_updated, synced_at) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,'present','',$8,$9) ON CONFLICT (school_id, receipt_id) DO "
        "UPDATE SET voucher_id = $3, status = $4, gross_cents = $5, paid_cents = $6, pay_date = "
        "$7, sevdesk_updated = $8, synced_at = $9",
        {w.school_id, w.receipt_id, w.voucher_id, std::int64_t{w.status}, w.gross_cents,
         w.paid_cents, OptDate(w.pay_date), w.sevdesk_updated, ToUnixMillis(w.at)});
    if (!n) return Propagate(n);
    return {};
  }

  Status AddBooked(const app::VoucherStateWrite& w, Cents paid_before) override {
    // synced_at stays: the row was not read from sevdesk now, and the sync must not take this
    // write for one of its reads. The stored amount is raised to paid_before + amount, never
    // added to: the payment sync may have read the booking already (ADR 0020), and adding would
    // count it twice.
    auto n = c_.Exec(
        "INSERT INTO sevdesk_voucher_states (school_id, receipt_id, voucher_id, status, "
        "gross_cents, paid_cents, pay_date, presence, change_note, sevdesk_updated, synced_at) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,'present','',$8,$9) ON CONFLICT (school_id, receipt_id) DO "
        "UPDATE SET status = CASE WHEN sevdesk_voucher_states.paid_cents > $6 THEN "
        "sevdesk_voucher_states.status ELSE $4 END, pay_date = CASE WHEN "
        "sevdesk_voucher_states.paid_cents > $6 THEN sevdesk_voucher_states.pay_date ELSE $7 END, "
        "paid_cents = CASE WHEN sevdesk_voucher_states.paid_cents > $6 THEN "
        "sevdesk_voucher_states.paid_cents ELSE $6 END",
        {w.school_id, w.receipt_id, w.voucher_id, std::int64_t{w.status}, w.gross_cents,
         paid_before + w.paid_cents, OptDate(w.pay_date), w.sevdesk_updated, ToUnixMillis(w.at)});
    if (!n) return Propagate(n);
    return {};
  }

 private:
  Result<std::vector<app::InvoicePayment>> Many(const std::string& sql,
                                                const std::vector<Value>& params) {
    auto rows = c_.Query(sql, params);
    if (!rows) return Propagate(rows);
    std::vector<app::InvoicePayment> out;
    out.reserve(rows->size());
    for (const auto& r : *rows) out.push_back(PaymentFromRow(r));
    return out;
  }

  sql::Connection& c_;
};

}  // namespace

std::unique_ptr<app::PaymentRepository> MakeSqlPaymentRepository(sql::Connection& connection) {
  return std::make_unique<SqlPaymentRepository>(connection);
}

}  // namespace hs::store
