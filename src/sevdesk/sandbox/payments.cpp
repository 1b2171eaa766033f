// Payment state of vouchers (issue 16): check accounts, PUT /Voucher/{id}/bookAmount, and the
// admin calls that do in the sandbox what the school's bank import or a user does in sevdesk
// (pay a voucher, delete it). Changing a voucher's sum lives in vouchers.cpp beside its sums.
#include <algorithm>

#include "sevdesk/sandbox/account.hpp"

namespace hs::sevdesk::sandbox {

namespace {

std::string StrOr(const Json& value, const std::string& fallback = {}) {
  return value.is_string() ? value.get<std::string>() : fallback;
}

Json Field(const Json& object, const char* key) {
  return object.is_object() && object.contains(key) ? object[key] : Json(nullptr);
}

// The two payment accounts every sandbox account has. Their ids derive from the SevClient id, so
// they are stable across restarts and resets and differ between accounts; the first account's
// Kasse has the id of the research notes' example (5012345).
std::int64_t CashAccountId(const Account& a) {
  return 5012345 + (a.client_id - 1303847) * 10;
}
std::int64_t BankAccountId(const Account& a) {
  return CashAccountId(a) + 1;
}

Json CheckAccountWire(const Account& a, std::int64_t id, bool bank) {
  Json w = Json::object();
  w["id"] = std::to_string(id);
  w["objectName"] = "CheckAccount";
  w["additionalInformation"] = nullptr;
  w["create"] = a.created_at.empty() ? Json(nullptr) : Json(a.created_at);
  w["update"] = a.created_at.empty() ? Json(nullptr) : Json(a.created_at);
  w["sevClient"] = a.SevClientRef();
  w["name"] = bank ? "Geschäftskonto" : "Kasse";
  w["iban"] = bank ? Json("DE02120300000000202051") : Json(nullptr);
  // A bank account with a CSV/MT940 import counts as "online" (spec); the Kasse is a register.
  w["type"] = bank ? "online" : "register";
  w["importType"] = bank ? Json("CSV") : Json(nullptr);
  w["currency"] = "EUR";
  w["defaultAccount"] = bank ? "1" : "0";
  w["baseAccount"] = bank ? "1" : "0";
  w["priority"] = bank ? "1" : "2";
  w["status"] = "100";
  w["balance"] = nullptr;
  w["bankServer"] = nullptr;
  w["autoMapTransactions"] = "1";
  w["autoSyncTransactions"] = "0";
  w["lastSync"] = nullptr;
  w["accountingNumber"] = bank ? "1200" : "1000";  // SKR03 Bank / Kasse
  w["bic"] = bank ? Json("BYLADEM1001") : Json(nullptr);
  return w;
}

bool IsBank(const Account& a, std::int64_t id) {
  return id == BankAccountId(a);
}
bool IsCheckAccount(const Account& a, std::int64_t id) {
  return id == CashAccountId(a) || id == BankAccountId(a);
}

// sevdesk sends paidAmount as a JSON number (87.49; 0 when unpaid), unlike the string sums.
Json PaidAmountWire(Cents paid) {
  if (paid % 100 == 0) return Json(paid / 100);
  return Json(static_cast<double>(paid) / 100.0);
}

constexpr const char* kBookingTypes[] = {"FULL_PAYMENT", "N", "CB", "CF", "O", "OF", "MTC"};

// A booking that passed the checks.
struct Booking {
  Cents amount = 0;
  Instant date{};
  bool full = false;  // FULL_PAYMENT: the voucher counts as paid whatever the amount
};

// The checks of bookAmount; nullopt and `booking` filled: go on.
std::optional<http::Response> CheckBooking(const Ctx& ctx, const Json& body, Booking& booking) {
  auto amount = ParseAmount(Field(body, "amount"));
  if (!amount || *amount == 0) return Error(422, "amount is required");
  auto date = ParseSevdeskDate(Field(body, "date"));
  if (!date) return Error(422, "date is required (ISO date-time or Unix timestamp)");
  const std::string type = StrOr(Field(body, "type"));
  if (std::find(std::begin(kBookingTypes), std::end(kBookingTypes), type) ==
      std::end(kBookingTypes)) {
    return Error(422, "type must be one of FULL_PAYMENT, N, CB, CF, O, OF, MTC");
  }
  if (type == "CF") return Error(422, "Currency fluctuation (CF) is no longer supported");
  auto account = RefId(Field(body, "checkAccount"));
  if (!account) return Error(422, "checkAccount is required");
  const auto account_id = ToInt(Json(*account));
  if (!account_id || !IsCheckAccount(ctx.account, *account_id)) {
    return NotFound151("CheckAccount", *account);
  }
  const Json transaction = Field(body, "checkAccountTransaction");
  if (!transaction.is_null()) {
    // The sandbox keeps no transactions: every one named is unknown (recorded 404/151).
    auto id = RefId(transaction);
    return NotFound151("CheckAccountTransaction", id ? *id : transaction.dump());
  }
  if (IsBank(ctx.account, *account_id)) {
    // Spec: "Providing a transaction is required for online checkaccounts" (wording assumed).
    return Error(422, "A checkAccountTransaction is required to book on an online check account");
  }
  booking = Booking{*amount, *date, type == "FULL_PAYMENT"};
  return std::nullopt;
}

// Applies a payment the way sevdesk does: paidAmount grows, 750 while something is open, 1000
// when all is paid (or FULL_PAYMENT); payDate is the booking's date; `update` changes.
Json ApplyPayment(Ctx& ctx, VoucherRec& rec, const Booking& booking) {
  const VoucherRec before = rec;
  Json& w = rec.wire;
  const std::string from = StrOr(w["status"]);
  const Cents gross = ParseAmount(w["sumGross"]).value_or(0);
  const Cents paid = ParseAmount(w["paidAmount"]).value_or(0) + booking.amount;
  const std::string to = booking.full || paid >= gross ? "1000" : "750";
  w["status"] = to;
  w["paidAmount"] = PaidAmountWire(paid);
  w["payDate"] = FormatBerlin(booking.date);
  w["update"] = ctx.NowIso();
  NoteChange(rec, &before, ctx.now, ctx.search_lag);
  Json log = Json::object();
  log["id"] = std::to_string(ctx.ids.Next(ctx.ids.voucher_log));
  log["objectName"] = "VoucherLog";
  log["additionalInformation"] = nullptr;
  log["create"] = ctx.NowIso();
  log["voucher"] = Ref(StrOr(w["id"]), "Voucher");
  log["fromStatus"] = from;
  log["toStatus"] = to;
  log["amountPayed"] = FormatAmount(booking.amount);
  log["bookingDate"] = FormatBerlin(booking.date);
  log["sevClient"] = ctx.account.SevClientRef();
  return log;
}

// Why the voucher cannot take a payment (code 751: already paid); nothing: it can.
std::optional<std::pair<std::string, std::optional<int>>> NotPayable(const VoucherRec& rec) {
  const std::string status = StrOr(rec.wire["status"]);
  if (status == "1000") return std::pair{std::string("Voucher is already paid"), 751};
  if (status != "100" && status != "750") {
    return std::pair{"Only open vouchers can be paid; this voucher has status " + status,
                     std::optional<int>()};
  }
  return std::nullopt;
}

tl::unexpected<hs::Error> BadAdmin(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, "bad_request", std::move(message));
}

VoucherRec* FindVoucher(Ctx& ctx) {
  auto id = ToInt(Json(ctx.params.at("voucherId")));
  auto it = id ? ctx.account.vouchers.find(*id) : ctx.account.vouchers.end();
  return it == ctx.account.vouchers.end() ? nullptr : &it->second;
}

}  // namespace

http::Response ListCheckAccounts(Ctx& ctx) {
  std::vector<Json> items = {CheckAccountWire(ctx.account, CashAccountId(ctx.account), false),
                             CheckAccountWire(ctx.account, BankAccountId(ctx.account), true)};
  return Page(ctx.request, std::move(items));
}

http::Response BookVoucherAmount(Ctx& ctx) {
  VoucherRec* rec = FindVoucher(ctx);
  if (rec == nullptr) return NotFound151("Voucher", ctx.params.at("voucherId"));
  auto body = ParseJsonBody(ctx.request);
  if (!body) return Error(400, "Request body must be a JSON object");
  Booking booking;
  if (auto refused = CheckBooking(ctx, *body, booking)) return std::move(*refused);
  if (auto refused = NotPayable(*rec)) return Error(422, refused->first, refused->second);
  return Objects(200, ApplyPayment(ctx, *rec, booking));
}

Result<Json> PayVoucherAsBank(Ctx& ctx) {
  VoucherRec* rec = FindVoucher(ctx);
  if (rec == nullptr) return NotFound("Unknown voucher " + ctx.params.at("voucherId"));
  auto body = ParseJsonBody(ctx.request);
  if (!body) return BadAdmin("Expected {\"amount\": \"12.34\", \"date\": \"2026-11-27\"}");
  auto amount = ParseAmount(Field(*body, "amount"));
  if (!amount || *amount <= 0) return BadAdmin("amount must be a positive amount");
  const Json date_field = Field(*body, "date");
  auto date = date_field.is_null() ? std::optional<Instant>(ctx.now) : ParseSevdeskDate(date_field);
  if (!date) return BadAdmin("date must be yyyy-mm-dd, dd.mm.yyyy or an ISO date-time");
  if (auto refused = NotPayable(*rec))
    return Fail(ErrorCode::kConflict, "not_payable", refused->first);
  // A bank import books on the bank account at noon of the value date, like the recordings.
  const Instant noon = BerlinMidnight(BerlinDateOf(*date)) + std::chrono::hours(12);
  return ApplyPayment(ctx, *rec, Booking{*amount, noon, false});
}

Result<Json> DeleteVoucherAsUser(Ctx& ctx) {
  VoucherRec* rec = FindVoucher(ctx);
  if (rec == nullptr) return NotFound("Unknown voucher " + ctx.params.at("voucherId"));
  // Deleted at once everywhere, lists included: a deletion is not delayed by search_lag.
  const std::int64_t id = std::stoll(StrOr(rec->wire["id"]));
  if (rec->document_id) ctx.account.documents.erase(*rec->document_id);
  ctx.account.vouchers.erase(id);
  return Json{{"ok", true}, {"deleted", std::to_string(id)}};
}

Result<Json> SeedVouchers(Ctx& ctx) {
  auto body = ParseJsonBody(ctx.request);
  if (!body || !Field(*body, "vouchers").is_array()) {
    return BadAdmin("Expected {\"vouchers\": [<saveVoucher body>, ...]}");
  }
  Json ids = Json::array();
  for (std::size_t i = 0; i < (*body)["vouchers"].size(); ++i) {
    // Each one exactly as POST /Voucher/Factory/saveVoucher (same checks, same stored voucher).
    http::Request one;
    one.method = "POST";
    one.body = (*body)["vouchers"][i].dump();
    Ctx inner{ctx.account, one, ctx.params, ctx.ids, ctx.now, ctx.search_lag, ctx.rounding};
    http::Response saved = SaveVoucher(inner);
    if (saved.status != 201) return BadAdmin("vouchers[" + std::to_string(i) + "]: " + saved.body);
    // Ids only grow: the new voucher is the account's newest.
    ids.push_back(ctx.account.vouchers.rbegin()->second.wire["id"]);
  }
  return Json{{"ids", ids}};
}

}  // namespace hs::sevdesk::sandbox
