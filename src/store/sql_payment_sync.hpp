#pragma once
// The payment sync's tables (issue 16, ADR 0018) for SqlSevdeskRepository: the voucher states the
// sync reads from sevdesk and the per-school sync state with its lease. One SQL text for SQLite
// and PostgreSQL, as the rest of the repository.
#include "app/sevdesk_ports.hpp"
#include "store/sql/connection.hpp"

namespace hs::store {

Result<app::PaymentSyncState> GetPaymentSync(sql::Connection& c, std::int64_t school_id);
Status SetPaymentSyncInterval(sql::Connection& c, std::int64_t school_id, int minutes);
Status RequestPaymentSync(sql::Connection& c, std::int64_t school_id, Instant at);
Result<bool> TakePaymentSyncLease(sql::Connection& c, std::int64_t school_id,
                                  const std::string& owner, Instant now, Instant until);
Result<bool> FinishPaymentSync(sql::Connection& c, const app::PaymentSyncState& outcome,
                               const std::string& owner, Instant started);
Result<std::vector<app::PaymentSyncState>> PaymentSyncCandidates(sql::Connection& c);
Result<std::vector<app::TransferredVoucher>> TransferredVouchers(sql::Connection& c,
                                                                 std::int64_t school_id);
Result<std::optional<app::VoucherState>> GetVoucherState(sql::Connection& c, std::int64_t school_id,
                                                         std::int64_t receipt_id);
Status SaveVoucherState(sql::Connection& c, const app::VoucherState& state);
Result<std::vector<app::VoucherState>> GetVoucherStates(
    sql::Connection& c, std::int64_t school_id, const std::vector<std::int64_t>& receipt_ids);
Status DeleteVoucherState(sql::Connection& c, std::int64_t school_id, std::int64_t receipt_id);

}  // namespace hs::store
