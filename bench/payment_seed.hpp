#pragma once
// Seeding for the payment benchmarks (issue 16): transferred vouchers in a sevdesk sandbox (its
// bulk admin call) and the receipts and transfers that the engine would have left for them in
// our database, instead of transferring thousands of invoices for real.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/ports.hpp"
#include "core/clock.hpp"
#include "core/money.hpp"
#include "http/client.hpp"

namespace hs::bench {

// The saveVoucher body of voucher "RE-<n>" over 10.00 € + n cents.
inline nlohmann::json SeedVoucherBody(int n) {
  using Json = nlohmann::json;
  Json voucher = {{"objectName", "Voucher"},
                  {"mapAll", true},
                  {"voucherDate", "01.05.2026"},
                  {"description", "RE-" + std::to_string(n)},
                  {"status", 100},
                  {"creditDebit", "D"},
                  {"voucherType", "VOU"},
                  {"taxRule", {{"id", "1"}, {"objectName", "TaxRule"}}},
                  {"currency", "EUR"},
                  {"supplierName", "Laufkundschaft"}};
  return {{"voucher", voucher},
          {"voucherPosSave",
           Json::array({{{"objectName", "VoucherPos"},
                         {"mapAll", true},
                         {"accountDatev", {{"id", 4400101}, {"objectName", "AccountDatev"}}},
                         {"taxRate", 19},
                         {"net", false},
                         {"sumGross", FormatDecimal(1000 + n)}}})},
          {"voucherPosDelete", nullptr}};
}

// Seeds `count` vouchers "RE-<n>" into the sandbox account of `token`; answers their ids in order.
// Exits on failure (a benchmark without its data measures nothing).
inline std::vector<std::string> SeedVouchers(http::Client& admin, const std::string& token,
                                             int count) {
  using Json = nlohmann::json;
  std::vector<std::string> ids;
  for (int first = 0; first < count; first += 500) {
    Json list = Json::array();
    for (int n = first; n < std::min(count, first + 500); ++n) list.push_back(SeedVoucherBody(n));
    auto r = admin.Send("POST", "/__sandbox/accounts/" + token + "/vouchers", {},
                        Json{{"vouchers", list}}.dump());
    if (!r || r->status != 200) {
      std::fprintf(stderr, "seeding vouchers failed\n");
      std::exit(1);
    }
    const Json answer = Json::parse(r->body);
    for (const auto& id : answer["ids"]) {
      ids.push_back(id.is_string() ? id.get<std::string>() : std::to_string(id.get<long long>()));
    }
  }
  return ids;
}

// One income receipt "RE-<n>" per voucher with its transfer in state transferred, as the engine
// leaves them, in the school `school_id`; appends the receipt ids to `receipts`.
inline void SeedTransferredReceipts(app::UnitOfWork& uow, std::int64_t school_id,
                                    const std::vector<std::string>& ids,
                                    std::vector<std::int64_t>& receipts) {
  auto must = [](bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "seeding %s failed\n", what);
    std::exit(1);
  };
  const Instant now = SystemClock{}.Now();
  for (std::size_t n = 0; n < ids.size(); ++n) {
    domain::Receipt r;
    r.school_id = school_id;
    r.type = domain::ReceiptType::kIncome;
    r.date = *ParseIsoDate("2026-05-01");
    r.number = "RE-" + std::to_string(n);
    r.amount_gross_cents = 1000 + static_cast<Cents>(n);
    r.created_at = now;
    auto receipt = uow.Receipts().Create(r, "");
    must(receipt.has_value(), "receipt");
    app::Transfer t;
    t.school_id = school_id;
    t.receipt_id = *receipt;
    receipts.push_back(t.receipt_id);
    t.next_attempt_at = now;
    t.created_at = now;
    auto id = uow.Sevdesk().InsertTransfer(t);
    must(id.has_value() && id->has_value(), "transfer");
    t.id = **id;
    t.state = app::TransferState::kTransferred;
    t.voucher_id = ids[n];
    t.transferred_at = now;
    t.updated_at = now;
    must(uow.Sevdesk().UpdateTransfer(t).has_value(), "transferred");
  }
}

}  // namespace hs::bench
