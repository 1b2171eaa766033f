#include "store/sql_payment_sync.hpp"

#include "store/sql/values.hpp"

namespace hs::store {

using sql::OptInstant;
using sql::OptMs;
using sql::Propagate;
using sql::Row;
using sql::Value;

namespace {

// The sync row's columns; a school without a row reads as the defaults (LEFT JOIN + COALESCE).
constexpr const char* kSyncColumns =
    "COALESCE(s.interval_minutes, 60), s.last_read_started_at, s.last_full_read_at, "
    "s.last_sync_at, COALESCE(s.last_sync_ok, 0), COALESCE(s.last_requests, 0), "
    "COALESCE(s.last_vouchers, 0), COALESCE(s.last_error, ''), s.requested_at, "
    "COALESCE(s.lease_owner, ''), s.lease_until";

app::PaymentSyncState SyncFromRow(std::int64_t school_id, const Row& r, std::size_t o) {
  app::PaymentSyncState s;
  s.school_id = school_id;
  s.interval_minutes = static_cast<int>(r.Int(o));
  s.last_read_started_at = OptInstant(r, o + 1);
  s.last_full_read_at = OptInstant(r, o + 2);
  s.last_sync_at = OptInstant(r, o + 3);
  s.last_sync_ok = r.Int(o + 4) != 0;
  s.last_requests = static_cast<int>(r.Int(o + 5));
  s.last_vouchers = static_cast<int>(r.Int(o + 6));
  s.last_error = r.Text(o + 7);
  s.requested_at = OptInstant(r, o + 8);
  s.lease_owner = r.Text(o + 9);
  s.lease_until = OptInstant(r, o + 10);
  return s;
}

constexpr const char* kStateColumns =
    "vs.receipt_id, vs.voucher_id, vs.status, vs.gross_cents, vs.paid_cents, vs.pay_date, "
    "vs.presence, vs.change_note, vs.sevdesk_updated, vs.synced_at, vs.school_id";

app::VoucherState StateFromRow(const Row& r, std::size_t o) {
  app::VoucherState v;
  v.receipt_id = r.Int(o);
  v.voucher_id = r.Text(o + 1);
  v.status = static_cast<int>(r.Int(o + 2));
  v.gross_cents = r.Int(o + 3);
  v.paid_cents = r.Int(o + 4);
  if (auto d = r.OptText(o + 5)) v.pay_date = ParseIsoDate(*d);
  v.presence = app::ParseVoucherPresence(r.Text(o + 6));
  v.change_note = r.Text(o + 7);
  // sevdesk's `update` is whole seconds (the column's unit).
  v.sevdesk_updated = FromUnixMillis(r.Int(o + 8) * 1000);
  v.synced_at = FromUnixMillis(r.Int(o + 9));
  v.school_id = r.Int(o + 10);
  return v;
}

Status EnsureSyncRow(sql::Connection& c, std::int64_t school_id) {
  return c.ExecWithNext(
      "INSERT INTO sevdesk_payment_syncs (school_id) VALUES ($1) ON CONFLICT (school_id) DO "
      "NOTHING",
      {school_id});
}

}  // namespace

Result<app::PaymentSyncState> GetPaymentSync(sql::Connection& c, std::int64_t school_id) {
  auto row = sql::QueryOne(c,
                           std::string("SELECT ") + kSyncColumns +
                               " FROM schools sc LEFT JOIN sevdesk_payment_syncs s ON "
                               "s.school_id = sc.id WHERE sc.id = $1",
                           {school_id});
  if (!row) return Propagate(row);
  if (!*row) {
    app::PaymentSyncState s;
    s.school_id = school_id;
    return s;
  }
  return SyncFromRow(school_id, **row, 0);
}

Status SetPaymentSyncInterval(sql::Connection& c, std::int64_t school_id, int minutes) {
  HS_CHECK(EnsureSyncRow(c, school_id));
  auto n = c.Exec("UPDATE sevdesk_payment_syncs SET interval_minutes = $2 WHERE school_id = $1",
                  {school_id, std::int64_t{minutes}});
  if (!n) return Propagate(n);
  return {};
}

Status RequestPaymentSync(sql::Connection& c, std::int64_t school_id, Instant at) {
  HS_CHECK(EnsureSyncRow(c, school_id));
  auto n = c.Exec(
      "UPDATE sevdesk_payment_syncs SET requested_at = COALESCE(requested_at, $2) WHERE "
      "school_id = $1",
      {school_id, ToUnixMillis(at)});
  if (!n) return Propagate(n);
  return {};
}

Result<bool> TakePaymentSyncLease(sql::Connection& c, std::int64_t school_id,
                                  const std::string& owner, Instant now, Instant until) {
  HS_CHECK(EnsureSyncRow(c, school_id));
  // Compare-and-set: on PostgreSQL a concurrent taker waits for the row lock and re-reads the
  // condition after the winner committed, so it sees the new lease and takes nothing. A live
  // lease is not taken again even by its own owner: two runs of one process (the scheduler and a
  // direct call) would both hold it, and the first to finish would release the other's.
  auto n = c.Exec(
      "UPDATE sevdesk_payment_syncs SET lease_owner = $2, lease_until = $4 WHERE school_id = $1 "
      "AND (lease_until IS NULL OR lease_until <= $3)",
      {school_id, owner, ToUnixMillis(now), ToUnixMillis(until)});
  if (!n) return Propagate(n);
  return *n == 1;
}

Result<bool> FinishPaymentSync(sql::Connection& c, const app::PaymentSyncState& o,
                               const std::string& owner, Instant started) {
  auto n = c.Exec(
      "UPDATE sevdesk_payment_syncs SET last_read_started_at = $3, last_full_read_at = $4, "
      "last_sync_at = $5, last_sync_ok = $6, last_requests = $7, last_vouchers = $8, "
      "last_error = $9, requested_at = CASE WHEN requested_at <= $10 THEN NULL ELSE "
      "requested_at END, lease_owner = '', lease_until = NULL WHERE school_id = $1 AND "
      "lease_owner = $2",
      {o.school_id, owner, OptMs(o.last_read_started_at), OptMs(o.last_full_read_at),
       OptMs(o.last_sync_at), std::int64_t{o.last_sync_ok ? 1 : 0}, std::int64_t{o.last_requests},
       std::int64_t{o.last_vouchers}, o.last_error, ToUnixMillis(started)});
  if (!n) return Propagate(n);
  return *n == 1;
}

Result<std::vector<app::PaymentSyncState>> PaymentSyncCandidates(sql::Connection& c) {
  auto rows = c.Query(std::string("SELECT c.school_id, ") + kSyncColumns +
                      " FROM sevdesk_connections c LEFT JOIN sevdesk_payment_syncs s ON "
                      "s.school_id = c.school_id WHERE c.enabled = 1 AND c.state = 'ok' AND "
                      "c.token_sealed <> '' ORDER BY c.school_id");
  if (!rows) return Propagate(rows);
  std::vector<app::PaymentSyncState> out;
  for (const auto& r : *rows) out.push_back(SyncFromRow(r.Int(0), r, 1));
  return out;
}

Result<std::vector<app::TransferredVoucher>> TransferredVouchers(sql::Connection& c,
                                                                 std::int64_t school_id) {
  auto rows = c.Query(
      std::string("SELECT r.id, t.voucher_id, r.number, r.amount_gross_cents, ") + kStateColumns +
          " FROM sevdesk_transfers t JOIN receipts r ON r.id = t.receipt_id AND r.school_id = "
          "t.school_id LEFT JOIN sevdesk_voucher_states vs ON vs.school_id = t.school_id AND "
          "vs.receipt_id = t.receipt_id WHERE t.school_id = $1 AND t.state = 'transferred' AND "
          "t.voucher_id <> '' ORDER BY r.id",
      {school_id});
  if (!rows) return Propagate(rows);
  std::vector<app::TransferredVoucher> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    app::TransferredVoucher v;
    v.receipt_id = r.Int(0);
    v.voucher_id = r.Text(1);
    v.invoice_number = r.Text(2);
    v.gross_cents = r.Int(3);
    if (!r.IsNull(4)) v.state = StateFromRow(r, 4);
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::optional<app::VoucherState>> GetVoucherState(sql::Connection& c, std::int64_t school_id,
                                                         std::int64_t receipt_id) {
  auto row = sql::QueryOne(c,
                           std::string("SELECT ") + kStateColumns +
                               " FROM sevdesk_voucher_states vs WHERE vs.school_id = $1 AND "
                               "vs.receipt_id = $2",
                           {school_id, receipt_id});
  if (!row) return Propagate(row);
  if (!*row) return std::optional<app::VoucherState>{};
  return std::optional<app::VoucherState>{StateFromRow(**row, 0)};
}

Result<std::vector<app::VoucherState>> GetVoucherStates(
    sql::Connection& c, std::int64_t school_id, const std::vector<std::int64_t>& receipt_ids) {
  std::vector<app::VoucherState> out;
  if (receipt_ids.empty()) return out;
  std::vector<Value> params{school_id};
  std::string in;
  for (std::int64_t id : receipt_ids) {
    params.emplace_back(id);
    in += (in.empty() ? "$" : ", $") + std::to_string(params.size());
  }
  auto rows = c.Query(std::string("SELECT ") + kStateColumns +
                          " FROM sevdesk_voucher_states vs WHERE vs.school_id = $1 AND "
                          "vs.receipt_id IN (" +
                          in + ")",
                      params);
  if (!rows) return Propagate(rows);
  for (const auto& r : *rows) out.push_back(StateFromRow(r, 0));
  return out;
}

Status SaveVoucherState(sql::Connection& c, const app::VoucherState& v) {
  const Value pay_date = v.pay_date ? Value{FormatIsoDate(*v.pay_date)} : Value{nullptr};
  return c.ExecWithNext(
      "INSERT INTO sevdesk_voucher_states (school_id, receipt_id, voucher_id, status, "
      "gross_cents, paid_cents, pay_date, presence, change_note, sevdesk_updated, synced_at) "
      "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (school_id, receipt_id) DO "
      "UPDATE SET voucher_id = excluded.voucher_id, status = excluded.status, gross_cents = "
      "excluded.gross_cents, paid_cents = excluded.paid_cents, pay_date = excluded.pay_date, "
      "presence = excluded.presence, change_note = excluded.change_note, sevdesk_updated = "
      "excluded.sevdesk_updated, synced_at = excluded.synced_at",
      {v.school_id, v.receipt_id, v.voucher_id, std::int64_t{v.status}, v.gross_cents, v.paid_cents,
       pay_date, std::string(app::ToString(v.presence)), v.change_note,
       ToUnixMillis(v.sevdesk_updated) / 1000, ToUnixMillis(v.synced_at)});
}

Status DeleteVoucherState(sql::Connection& c, std::int64_t school_id, std::int64_t receipt_id) {
  return c.ExecWithNext(
      "DELETE FROM sevdesk_voucher_states WHERE school_id = $1 AND receipt_id = $2",
      {school_id, receipt_id});
}

}  // namespace hs::store
