// Vouchers (Belege): temp-file upload, saveVoucher with sevdesk's validation, reads, bookAmount.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include "core/text.hpp"
#include "sevdesk/sandbox/account.hpp"
#include "sevdesk/sandbox/static_data.hpp"

namespace hs::sevdesk::sandbox {

namespace {

std::string StrOr(const Json& value, const std::string& fallback = {}) {
  return value.is_string() ? value.get<std::string>() : fallback;
}

Json Field(const Json& object, const char* key) {
  return object.contains(key) ? object[key] : Json(nullptr);
}

http::Response Invalid(std::string_view message, std::optional<int> code = std::nullopt) {
  return Error(422, message, code);
}

struct Sniffed {
  std::string mime;
  std::string ext;
};

std::optional<Sniffed> SniffFile(const http::UploadedFile& file) {
  const std::string& b = file.content;
  if (b.rfind("%PDF-", 0) == 0) return Sniffed{"application/pdf", "pdf"};
  if (b.rfind("\x89PNG", 0) == 0) return Sniffed{"image/png", "png"};
  if (b.rfind("\xFF\xD8\xFF", 0) == 0) return Sniffed{"image/jpeg", "jpg"};
  const std::string head = Trim(b.substr(0, 64));
  if (head.rfind("<?xml", 0) == 0 || head.rfind("<", 0) == 0) {
    return Sniffed{"application/xml", "xml"};
  }
  const std::string name = ToLowerAscii(file.filename);
  auto ends = [&](std::string_view ext) {
    return name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends(".xlsx")) {
    return Sniffed{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"};
  }
  if (ends(".xls")) return Sniffed{"application/vnd.ms-excel", "xls"};
  if (ends(".docx")) {
    return Sniffed{"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   "docx"};
  }
  if (ends(".doc")) return Sniffed{"application/msword", "doc"};
  return std::nullopt;
}

int CountPdfPages(std::string_view pdf) {
  int pages = 0;
  for (std::string_view marker : {"/Type /Page", "/Type/Page"}) {
    for (std::size_t pos = pdf.find(marker); pos != std::string_view::npos;
         pos = pdf.find(marker, pos + 1)) {
      const std::size_t after = pos + marker.size();
      if (after < pdf.size() && pdf[after] == 's') continue;  // "/Pages"
      ++pages;
    }
  }
  return std::max(pages, 1);
}

bool IsDraft(const VoucherRec& v) {
  return StrOr(v.wire["status"]) == "50";
}

struct PosInput {
  std::optional<std::int64_t> id;
  std::string account_ref;  // accountDatev (2.0) or accountingType (1.0) id
  std::int64_t rate = 0;
  bool net = false;
  Cents sum_net = 0;
  Cents sum_tax = 0;
  Cents sum_gross = 0;
  Json comment;
  bool is_asset = false;
};

// sumNet, sumTax, sumGross and their *Accounting twins (the same in EUR), in sevdesk's order.
void PutSums(Json& w, Cents net, Cents tax, Cents gross) {
  w["sumNet"] = FormatAmount(net);
  w["sumTax"] = FormatAmount(tax);
  w["sumGross"] = FormatAmount(gross);
  w["sumNetAccounting"] = FormatAmount(net);
  w["sumTaxAccounting"] = FormatAmount(tax);
  w["sumGrossAccounting"] = FormatAmount(gross);
}

Json PositionWire(const Ctx& ctx, std::int64_t id, const std::string& create,
                  std::int64_t voucher_id, const PosInput& p, bool v2) {
  Json w = Json::object();
  w["id"] = std::to_string(id);
  w["objectName"] = "VoucherPos";
  w["additionalInformation"] = nullptr;
  w["create"] = create;
  w["update"] = ctx.NowIso();
  w["voucher"] = Ref(std::to_string(voucher_id), "Voucher");
  if (v2) {
    w["accountDatev"] = Ref(p.account_ref, "AccountDatev");
  } else {
    w["accountingType"] = Ref(p.account_ref, "AccountingType");
  }
  w["taxRate"] = FormatRate(p.rate);
  w["net"] = p.net ? "1" : "0";
  w["isAsset"] = p.is_asset ? "1" : "0";
  PutSums(w, p.sum_net, p.sum_tax, p.sum_gross);
  w["comment"] = p.comment;
  w["sevClient"] = ctx.account.SevClientRef();
  return w;
}

std::optional<std::string> FormatDateField(const Json& voucher, const char* key) {
  const Json value = Field(voucher, key);
  if (value.is_null()) return std::nullopt;
  return FormatBerlin(*ParseSevdeskDate(value));  // validated before
}

struct Sums {
  Cents net = 0;
  Cents tax = 0;
  Cents gross = 0;
};

// The sums a client sent for a position (any of them may be missing).
struct Sent {
  std::optional<Cents> net;
  std::optional<Cents> tax;
  std::optional<Cents> gross;
};

bool Agree(const Sent& sent, const Sums& sums) {
  auto near = [](const std::optional<Cents>& a, Cents b) { return !a || std::llabs(*a - b) <= 1; };
  return near(sent.net, sums.net) && near(sent.tax, sums.tax) && near(sent.gross, sums.gross);
}

// Exact decimal arithmetic, half up (rounding=decimal, like sevdesk). `rate` in 1/100 %.
Sums DecimalSums(bool net_position, Cents amount, std::int64_t rate) {
  if (net_position) {
    const Cents tax = RoundDiv(amount * rate, 10000);
    return {amount, tax, amount + tax};
  }
  const Cents net = RoundDiv(amount * 10000, 10000 + rate);
  return {net, amount - net, amount};
}

// The exact value of a double, rounded half up to cents: floor(x * 100 + 0.5) with x * 100
// computed exactly (in long double). In double, 19.094999999999998863 * 100 rounds to 1909.5
// first and gives 19.10; printf("%.2f"), JavaScript's toFixed(2) and C on x87 give 19.09.
Cents RoundDoubleToCents(double euros) {
  static_assert(std::numeric_limits<long double>::digits >= 60,
                "a double times 100 must be exact in long double");
  return static_cast<Cents>(std::floor(static_cast<long double>(euros) * 100 + 0.5L));
}

// What naive code computing in IEEE double gets (rounding=binary): 100.50 net at 19 % gives
// 100.5 * 19 / 100 = 19.094999999999998863 -> tax 19.09, gross 119.59 (exact: 19.10, 119.60).
Sums BinarySums(bool net_position, Cents amount, std::int64_t rate) {
  const double euros = static_cast<double>(amount) / 100;
  const double percent = static_cast<double>(rate) / 100;
  if (net_position) {
    const Cents tax = RoundDoubleToCents(euros * percent / 100);
    return {amount, tax, amount + tax};
  }
  const Cents net = RoundDoubleToCents(euros / (1 + percent / 100));
  return {net, amount - net, amount};
}

// A position's sums from its net (net position) or gross amount (gross position).
Sums PositionSums(Rounding rounding, bool net_position, Cents amount, std::int64_t rate) {
  return rounding == Rounding::kBinary ? BinarySums(net_position, amount, rate)
                                       : DecimalSums(net_position, amount, rate);
}

const std::set<std::int64_t>& V1DefaultRates() {
  static const std::set<std::int64_t> rates = {0, 500, 700, 1600, 1900};
  return rates;
}

}  // namespace

http::Response UploadTempFile(Ctx& ctx) {
  const http::UploadedFile* file = ctx.request.File("file");
  if (file == nullptr || file->content.empty()) {
    return Error(400, "No file uploaded. Send it as multipart/form-data part 'file'.");
  }
  auto sniffed = SniffFile(*file);
  if (!sniffed) return Error(400, "File type not supported");
  Account& a = ctx.account;
  ++a.upload_counter;
  StoredFile stored;
  stored.sha256 = Sha256Hex(file->content);
  // A hash of the upload like sevdesk's names; the counter keeps re-uploads distinct.
  stored.filename = Sha256Hex(stored.sha256 + "/" + std::to_string(a.client_id) + "/" +
                              std::to_string(a.upload_counter))
                        .substr(0, 32) +
                    "." + sniffed->ext;
  stored.mime = sniffed->mime;
  stored.bytes = file->content;
  stored.uploaded_at = ctx.NowIso();
  Json answer = Json::object();
  answer["pages"] = sniffed->ext == "pdf" ? CountPdfPages(file->content) : 1;
  answer["mimeType"] = "image/jpg";  // sevdesk answers with its thumbnail type
  answer["originMimeType"] = stored.mime;
  answer["filename"] = stored.filename;
  answer["contentHash"] = stored.sha256;
  answer["content"] = Json::array();
  answer["isEInvoice"] = false;
  a.temp_files.emplace(stored.filename, std::move(stored));
  return Objects(201, answer);
}

namespace {

// The answer that refuses a request, or nothing: go on.
using Refusal = std::optional<http::Response>;

// A saveVoucher request, filled in by the checks below in the order sevdesk checks it.
struct SaveRequest {
  const Json* body = nullptr;      // the whole request body
  const Json* v = nullptr;         // body["voucher"]
  bool v2 = true;                  // sevdesk-Update 2.0 bookkeeping
  bool klein = false;              // Kleinunternehmer (§ 19 UStG)
  VoucherRec* existing = nullptr;  // the draft to update; null: a new voucher
  std::int64_t voucher_id = 0;
  std::int64_t status = 0;
  std::string credit_debit;
  bool revenue = false;
  std::string voucher_type;
  std::optional<std::int64_t> supplier_id;
  std::string supplier_name;
  std::optional<Instant> voucher_date;
  std::optional<Instant> delivery;
  std::string currency;
  const TaxRuleInfo* rule = nullptr;  // 2.0
  std::string tax_type;               // 1.0
  std::vector<PosInput> inputs;
  std::optional<bool> net_mode;
  std::set<std::string> delete_ids;
  std::string file;  // a temp file to attach
};

using SaveStep = Refusal (*)(Ctx&, SaveRequest&);

Refusal ReadEnvelope(Ctx& ctx, SaveRequest& r) {
  const Json& body = *r.body;
  if (!body.contains("voucher") || !body["voucher"].is_object()) {
    return Error(400, "voucher expected array with 'objectName' and 'mapAll'. " +
                          std::string(Field(body, "voucher").type_name()) + " given");
  }
  r.v = &body["voucher"];
  if (StrOr(Field(*r.v, "objectName")) != "Voucher" || !IsTruthy(Field(*r.v, "mapAll"))) {
    return Error(400, "voucher expected 'objectName' = 'Voucher' and 'mapAll' = true");
  }
  r.v2 = ctx.account.settings.bookkeeping_version != "1.0";
  r.klein = ctx.account.settings.tax_mode == TaxMode::kKleinunternehmer;
  return std::nullopt;
}

// An id means: update this draft.
Refusal FindDraft(Ctx& ctx, SaveRequest& r) {
  const Json& v = *r.v;
  if (Field(v, "id").is_null()) return std::nullopt;
  auto id = ToInt(v["id"]);
  auto it = id ? ctx.account.vouchers.find(*id) : ctx.account.vouchers.end();
  if (it == ctx.account.vouchers.end()) {
    return NotFound151("Voucher",
                       v["id"].is_string() ? v["id"].get<std::string>() : v["id"].dump());
  }
  r.existing = &it->second;
  r.voucher_id = *id;
  if (!IsDraft(*r.existing)) {
    return Error(400, "Voucher can only be updated in status draft (50)", 90400);
  }
  return std::nullopt;
}

Refusal CheckKind(Ctx&, SaveRequest& r) {
  const Json& v = *r.v;
  const auto status = ToInt(Field(v, "status"));
  if (!status) return Invalid("voucher.status is required");
  if (*status != 50 && *status != 100) {
    return Invalid("Vouchers can only be saved with status 50 (draft) or 100 (open), not " +
                   std::to_string(*status) + ". Use bookAmount to pay a voucher.");
  }
  r.status = *status;
  r.credit_debit = StrOr(Field(v, "creditDebit"));
  if (r.credit_debit != "C" && r.credit_debit != "D") {
    return Invalid("voucher.creditDebit must be 'C' (expense) or 'D' (revenue)");
  }
  r.revenue = r.credit_debit == "D";
  r.voucher_type = StrOr(Field(v, "voucherType"));
  if (r.voucher_type != "VOU" && r.voucher_type != "RV") {
    return Invalid("voucher.voucherType must be 'VOU' or 'RV'");
  }
  return std::nullopt;
}

Refusal CheckSupplier(Ctx& ctx, SaveRequest& r) {
  const Json& v = *r.v;
  const Account& a = ctx.account;
  if (!Field(v, "supplier").is_null()) {
    auto id = RefId(v["supplier"]);
    if (!id) return Invalid("supplier expected array with 'id' and 'objectName'");
    r.supplier_id = std::stoll(*id);
    if (!a.contacts.contains(*r.supplier_id)) {
      return Invalid("No Model_Contact with the id " + *id + " was found", 151);
    }
  }
  r.supplier_name = Trim(StrOr(Field(v, "supplierName")));
  if (!r.supplier_id && r.supplier_name.empty()) {
    return Invalid("Either voucher.supplier or voucher.supplierName must be given");
  }
  if (r.supplier_name.empty()) r.supplier_name = ContactDisplayName(a.contacts.at(*r.supplier_id));
  return std::nullopt;
}

Refusal CheckDates(Ctx&, SaveRequest& r) {
  const Json& v = *r.v;
  for (const char* key : {"voucherDate", "deliveryDate", "deliveryDateUntil", "paymentDeadline",
                          "payDate", "propertyForeignCurrencyDeadline"}) {
    const Json value = Field(v, key);
    if (!value.is_null() && !ParseSevdeskDate(value)) {
      return Invalid("Invalid date format for " + std::string(key) + ": " + value.dump() +
                     ". Use dd.mm.yyyy or a Unix timestamp.");
    }
  }
  r.voucher_date =
      Field(v, "voucherDate").is_null() ? std::nullopt : ParseSevdeskDate(v["voucherDate"]);
  if (r.status == 100 && !r.voucher_date) {
    return Invalid("voucher.voucherDate is required for vouchers in status 100");
  }
  r.delivery =
      Field(v, "deliveryDate").is_null() ? r.voucher_date : ParseSevdeskDate(v["deliveryDate"]);
  if (!Field(v, "deliveryDateUntil").is_null()) {
    if (!r.delivery || *ParseSevdeskDate(v["deliveryDateUntil"]) < *r.delivery) {
      return Invalid("voucher.deliveryDateUntil must not be before voucher.deliveryDate");
    }
  }
  return std::nullopt;
}

Refusal CheckCurrency(Ctx&, SaveRequest& r) {
  const Json& v = *r.v;
  r.currency = StrOr(Field(v, "currency"), "EUR");
  const std::string& currency = r.currency;
  if (currency.size() != 3 ||
      !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return Invalid("voucher.currency must be an ISO 4217 code like EUR");
  }
  if (currency != "EUR" && Field(v, "propertyExchangeRate").is_null() &&
      Field(v, "propertyForeignCurrencyDeadline").is_null()) {
    return Invalid(
        "For a foreign currency either propertyExchangeRate or "
        "propertyForeignCurrencyDeadline is required");
  }
  return std::nullopt;
}

// The tax rule id of a 2.0 voucher: taxRule, or the transition mapping of a 1.0 taxType.
Refusal TaxRuleId(const SaveRequest& r, int& rule_id) {
  const Json& v = *r.v;
  if (!Field(v, "taxRule").is_null()) {
    auto id = RefId(v["taxRule"]);
    if (!id) return Invalid("taxRule expected array with 'id' and 'objectName'");
    rule_id = std::stoi(*id);
    return std::nullopt;
  }
  if (!Field(v, "taxType").is_string()) return Invalid("voucher.taxRule is required");
  // Transition mapping of sevdesk-Update 2.0; "custom"/taxSet is gone.
  const std::string t = v["taxType"];
  if (t == "default") rule_id = r.revenue ? 1 : 9;
  if (t == "eu") rule_id = r.revenue ? 3 : 8;
  if (t == "ss") rule_id = r.revenue ? 11 : 10;
  if (t == "noteu") rule_id = 17;
  if (rule_id == 0) {
    return Invalid("taxType '" + t +
                   "' is not supported in sevdesk-Update 2.0, use taxRule instead");
  }
  return std::nullopt;
}

// Tax regime (2.0): the taxRule, checked against the voucher's kind and the account's tax mode.
Refusal CheckTaxRule(SaveRequest& r) {
  int rule_id = 0;
  if (auto refused = TaxRuleId(r, rule_id)) return refused;
  const TaxRuleInfo* rule = r.rule = FindTaxRule(rule_id);
  if (rule == nullptr) return Invalid("Unknown tax rule " + std::to_string(rule_id));
  const std::string name = "Tax rule " + std::to_string(rule_id) + " (" + rule->code + ")";
  if (rule->revenue != r.revenue) {
    return Invalid(name + " cannot be used for " + (r.revenue ? "revenue" : "expense") +
                   " vouchers");
  }
  if (r.klein && !rule->kleinunternehmer) {
    return Invalid(name +
                   " is not available for small business owners (Kleinunternehmer, § 19 "
                   "UStG); use tax rule 11");
  }
  if (!r.klein && !rule->regular) {
    return Invalid(name + " is only available for small business owners (§ 19 UStG)");
  }
  return std::nullopt;
}

// Tax regime (1.0): the taxType, checked against the account's tax mode.
Refusal CheckTaxType(SaveRequest& r) {
  const Json& v = *r.v;
  r.tax_type = StrOr(Field(v, "taxType"));
  const std::string& tax_type = r.tax_type;
  static const std::set<std::string> kTypes = {"default", "eu", "noteu", "custom", "ss"};
  if (!kTypes.contains(tax_type)) {
    return Invalid("voucher.taxType must be one of default, eu, noteu, custom, ss");
  }
  if (r.klein && tax_type != "ss") {
    return Invalid("Small business owners (§ 19 UStG) must use taxType 'ss'");
  }
  if (!r.klein && tax_type == "ss") {
    return Invalid("taxType 'ss' is only available for small business owners (§ 19 UStG)");
  }
  if (tax_type == "custom" && Field(v, "taxSet").is_null()) {
    return Invalid("taxType 'custom' requires a taxSet");
  }
  return std::nullopt;
}

Refusal CheckTaxRegime(Ctx&, SaveRequest& r) {
  return r.v2 ? CheckTaxRule(r) : CheckTaxType(r);
}

// One entry of voucherPosSave while it is read.
struct PosCheck {
  const Json& p;
  std::string where;                    // "voucherPosSave[i]"
  const GuideAccount* guide = nullptr;  // 2.0
  const GuideRule* guide_rule = nullptr;
};

Refusal CheckPositionId(const SaveRequest& r, const PosCheck& pc, PosInput& in) {
  const Json& p = pc.p;
  if (Field(p, "id").is_null()) return std::nullopt;
  in.id = ToInt(p["id"]);
  const VoucherRec* existing = r.existing;
  const bool known = existing != nullptr && in.id &&
                     std::any_of(existing->positions.begin(), existing->positions.end(),
                                 [&](const Json& w) { return w["id"] == std::to_string(*in.id); });
  if (!known) {
    return Invalid("No Model_VoucherPos with the id " + p["id"].dump() + " was found", 151);
  }
  return std::nullopt;
}

// The booking account: accountDatev with the voucher's tax rule (2.0) or accountingType (1.0).
Refusal PositionAccount(const SaveRequest& r, PosCheck& pc, PosInput& in) {
  const Json& p = pc.p;
  if (!r.v2) {
    auto type = RefId(Field(p, "accountingType"));
    if (!type) return Invalid(pc.where + ".accountingType is required");
    in.account_ref = *type;
    return std::nullopt;
  }
  auto datev = RefId(Field(p, "accountDatev"));
  if (!datev) return Invalid(pc.where + ".accountDatev is required in sevdesk-Update 2.0");
  const GuideAccount* guide = pc.guide = FindGuideAccount(std::stoll(*datev));
  if (guide == nullptr) {
    return Invalid("No Model_AccountDatev with the id " + *datev + " was found", 151);
  }
  if (guide->revenue != r.revenue) {
    return Invalid("Account " + std::string(guide->number) + " (" + guide->name +
                   ") cannot be used for " + (r.revenue ? "revenue" : "expense") + " vouchers");
  }
  for (const auto& gr : guide->rules) {
    if (gr.rule_id == r.rule->id) pc.guide_rule = &gr;
  }
  if (pc.guide_rule == nullptr) {
    return Invalid("Tax rule " + std::to_string(r.rule->id) + " (" + r.rule->code +
                   ") is not allowed for account " + guide->number + " (" + guide->name +
                   "), see ReceiptGuidance");
  }
  in.account_ref = *datev;
  return std::nullopt;
}

bool RateAllowed(const SaveRequest& r, const PosCheck& pc, std::int64_t rate) {
  if (r.v2) {
    const auto& rule_rates = r.rule->rates;
    const auto& guide_rates = pc.guide_rule->rates;
    return std::find(rule_rates.begin(), rule_rates.end(), rate) != rule_rates.end() &&
           std::find(guide_rates.begin(), guide_rates.end(), rate) != guide_rates.end();
  }
  if (r.tax_type == "default") return V1DefaultRates().contains(rate);
  return r.tax_type == "custom" || rate == 0;
}

Refusal PositionRate(const SaveRequest& r, const PosCheck& pc, PosInput& in) {
  const Json& p = pc.p;
  if (Field(p, "taxRate").is_null()) return Invalid(pc.where + ".taxRate is required");
  auto rate = ParseRate(p["taxRate"]);
  if (!rate || *rate < 0 || *rate > 10000) return Invalid(pc.where + ".taxRate is not a number");
  in.rate = *rate;
  if (!RateAllowed(r, pc, in.rate)) {
    return Invalid("Tax rate " + FormatRate(in.rate) + "% is not allowed for " +
                   (r.v2 ? "tax rule " + std::to_string(r.rule->id) + " (" + r.rule->code +
                               ") on account " + pc.guide->number
                         : "taxType " + r.tax_type) +
                   " in " + pc.where);
  }
  return std::nullopt;
}

Refusal PositionNet(SaveRequest& r, const PosCheck& pc, PosInput& in) {
  const Json& p = pc.p;
  if (Field(p, "net").is_null()) return Invalid(pc.where + ".net is required");
  in.net = IsTruthy(p["net"]);
  if (r.net_mode && *r.net_mode != in.net) {
    return Invalid("All positions must be either net or gross, a mixture is not possible");
  }
  r.net_mode = in.net;
  return std::nullopt;
}

// The position's sums from its net or gross amount; sums sent as well must agree.
Refusal PositionSumsOf(const Ctx& ctx, const PosCheck& pc, PosInput& in) {
  const Json& p = pc.p;
  std::optional<Cents> net, gross, tax;
  for (auto [key, slot] :
       {std::pair{"sumNet", &net}, std::pair{"sumGross", &gross}, std::pair{"sumTax", &tax}}) {
    if (Field(p, key).is_null()) continue;
    *slot = ParseAmount(p[key]);
    if (!*slot) return Invalid(pc.where + "." + key + " is not a valid amount: " + p[key].dump());
  }
  if (in.net && !net) return Invalid(pc.where + ".sumNet is required for net positions");
  if (!in.net && !gross) return Invalid(pc.where + ".sumGross is required for gross positions");
  const Cents amount = in.net ? *net : *gross;
  const Sums sums = PositionSums(ctx.rounding, in.net, amount, in.rate);
  // Both sums (or the tax) sent: they must agree with the rate to the cent, rounded exactly
  // or the way this account rounds.
  const Sent sent{net, tax, gross};
  if (!Agree(sent, sums) &&
      !Agree(sent, PositionSums(Rounding::kDecimal, in.net, amount, in.rate))) {
    return Invalid("Inconsistent sums in " + pc.where + ": sumNet " + FormatAmount(sums.net) +
                   " + sumTax " + FormatAmount(sums.tax) + " at " + FormatRate(in.rate) +
                   "% gives sumGross " + FormatAmount(sums.gross));
  }
  in.sum_net = sums.net;
  in.sum_tax = sums.tax;
  in.sum_gross = sums.gross;
  return std::nullopt;
}

Refusal ReadPosition(const Ctx& ctx, SaveRequest& r, const Json& p, std::size_t i) {
  PosCheck pc{p, "voucherPosSave[" + std::to_string(i) + "]"};
  if (!p.is_object()) return Invalid(pc.where + " must be an object");
  if (StrOr(Field(p, "objectName")) != "VoucherPos" || !IsTruthy(Field(p, "mapAll"))) {
    return Error(400, pc.where + " expected 'objectName' = 'VoucherPos' and 'mapAll' = true");
  }
  PosInput in;
  if (auto refused = CheckPositionId(r, pc, in)) return refused;
  if (auto refused = PositionAccount(r, pc, in)) return refused;
  if (auto refused = PositionRate(r, pc, in)) return refused;
  if (auto refused = PositionNet(r, pc, in)) return refused;
  if (auto refused = PositionSumsOf(ctx, pc, in)) return refused;
  in.comment = Field(p, "comment").is_null() ? Json(nullptr) : ToWireString(p["comment"]);
  in.is_asset = IsTruthy(Field(p, "isAsset"));
  r.inputs.push_back(std::move(in));
  return std::nullopt;
}

Refusal ReadPositions(Ctx& ctx, SaveRequest& r) {
  const Json pos_save = Field(*r.body, "voucherPosSave");
  if (!pos_save.is_null() && !pos_save.is_array()) {
    return Invalid("voucherPosSave must be an array of VoucherPos");
  }
  if (r.existing == nullptr && (pos_save.is_null() || pos_save.empty())) {
    return Invalid("The given document must have at least one position");
  }
  for (std::size_t i = 0; pos_save.is_array() && i < pos_save.size(); ++i) {
    if (auto refused = ReadPosition(ctx, r, pos_save[i], i)) return refused;
  }
  return std::nullopt;
}

Refusal ReadDeletions(Ctx&, SaveRequest& r) {
  const Json pos_delete = Field(*r.body, "voucherPosDelete");
  if (pos_delete.is_null()) return std::nullopt;
  const Json list = pos_delete.is_array() ? pos_delete : Json::array({pos_delete});
  for (const auto& d : list) {
    auto id = RefId(d);
    const bool known = r.existing != nullptr && id &&
                       std::any_of(r.existing->positions.begin(), r.existing->positions.end(),
                                   [&](const Json& w) { return w["id"] == *id; });
    if (!known) return Invalid("No Model_VoucherPos with the id " + d.dump() + " was found", 151);
    r.delete_ids.insert(*id);
  }
  return std::nullopt;
}

Refusal CheckFile(Ctx& ctx, SaveRequest& r) {
  const Json filename = Field(*r.body, "filename");
  if (!filename.is_null() && !filename.is_string()) return Invalid("filename must be a string");
  r.file = StrOr(filename);
  if (!r.file.empty() && !ctx.account.temp_files.contains(r.file)) {
    return Invalid("The file " + r.file +
                   " was not found. Upload it with Voucher/Factory/uploadTempFile first.");
  }
  return std::nullopt;
}

// The checks of saveVoucher in sevdesk's order: the first refusal is the answer.
constexpr SaveStep kSaveChecks[] = {ReadEnvelope,  FindDraft,     CheckKind,      CheckSupplier,
                                    CheckDates,    CheckCurrency, CheckTaxRegime, ReadPositions,
                                    ReadDeletions, CheckFile};

// The uploaded temp file becomes the voucher's document.
void StoreDocument(Ctx& ctx, const std::string& file, VoucherRec& rec) {
  if (file.empty()) return;
  Account& a = ctx.account;
  const std::int64_t doc_id = ctx.ids.Next(ctx.ids.document);
  a.documents[doc_id] = DocumentRec{doc_id, std::move(a.temp_files.at(file))};
  a.temp_files.erase(file);
  rec.document_id = doc_id;
}

// Positions: update by id, add new ones, delete listed ones, keep the rest. Returns the totals.
Sums StorePositions(Ctx& ctx, const SaveRequest& r, VoucherRec& rec, const std::string& now) {
  std::erase_if(rec.positions,
                [&](const Json& w) { return r.delete_ids.contains(StrOr(w["id"])); });
  Sums totals;
  for (const auto& in : r.inputs) {
    // Quirk (measured): sevdesk totals only the positions sent in this call.
    totals.net += in.sum_net;
    totals.tax += in.sum_tax;
    totals.gross += in.sum_gross;
    if (in.id) {
      for (auto& w : rec.positions) {
        if (w["id"] == std::to_string(*in.id)) {
          w = PositionWire(ctx, *in.id, StrOr(w["create"], now), r.voucher_id, in, r.v2);
        }
      }
    } else {
      const std::int64_t pos_id = ctx.ids.Next(ctx.ids.voucher_pos);
      rec.positions.push_back(PositionWire(ctx, pos_id, now, r.voucher_id, in, r.v2));
    }
  }
  return totals;
}

Json DateOrNull(const Json& voucher, const char* key) {
  auto s = FormatDateField(voucher, key);
  return s ? Json(*s) : Json(nullptr);
}

// The voucher as sevdesk stores it (the key order is sevdesk's), in three parts.
void VoucherWireHead(const Ctx& ctx, const SaveRequest& r, const VoucherRec& rec,
                     const std::string& create, Json& w) {
  const Account& a = ctx.account;
  const Json& v = *r.v;
  w["id"] = std::to_string(r.voucher_id);
  w["objectName"] = "Voucher";
  w["additionalInformation"] = nullptr;
  w["create"] = create;
  w["update"] = ctx.NowIso();
  w["sevClient"] = a.SevClientRef();
  w["createUser"] = Ref(std::to_string(a.user_id), "SevUser");
  w["voucherDate"] = r.voucher_date ? Json(FormatBerlin(*r.voucher_date)) : Json(nullptr);
  if (r.supplier_id) w["supplier"] = Ref(std::to_string(*r.supplier_id), "Contact");
  w["supplierName"] = r.supplier_name;
  w["description"] =
      Field(v, "description").is_null() ? Json(nullptr) : ToWireString(v["description"]);
  w["document"] =
      rec.document_id ? Ref(std::to_string(*rec.document_id), "Document") : Json(nullptr);
  w["resultDisdar"] = nullptr;
  w["payDate"] = nullptr;
}

void VoucherWireSums(const SaveRequest& r, const Sums& totals, Json& w) {
  w["status"] = std::to_string(r.status);
  w["currency"] = r.currency;
  PutSums(w, totals.net, totals.tax, totals.gross);
  w["showNet"] = r.net_mode.value_or(true) ? "1" : "0";
  w["paidAmount"] = 0;
  w["taxType"] = r.v2 ? Json(nullptr) : Json(r.tax_type);
  w["creditDebit"] = r.credit_debit;
  w["hidden"] = "0";
  w["voucherType"] = r.voucher_type;
}

void VoucherWireTail(const SaveRequest& r, Json& w) {
  const Json& v = *r.v;
  for (const char* key : {"recurringIntervall", "recurringInterval", "recurringStartDate",
                          "recurringNextVoucher", "recurringLastVoucher", "recurringEndDate",
                          "enshrined", "sendType", "inSource", "iban", "accountingSpecialCase"}) {
    w[key] = nullptr;
  }
  w["paymentDeadline"] = DateOrNull(v, "paymentDeadline");
  w["tip"] = "0";
  w["mileageRate"] = "0";
  w["selectedForPaymentFile"] = "0";
  w["supplierNameAtSave"] = r.supplier_name;
  w["taxmaroStockAccount"] = nullptr;
  w["vatNumber"] = nullptr;
  w["deliveryDate"] = r.delivery ? Json(FormatBerlin(*r.delivery)) : Json(nullptr);
  w["deliveryDateUntil"] = DateOrNull(v, "deliveryDateUntil");
  for (const char* key : {"sumDiscountNet", "sumDiscountGross", "sumNetForeignCurrency",
                          "sumTaxForeignCurrency", "sumGrossForeignCurrency",
                          "sumDiscountNetForeignCurrency", "sumDiscountGrossForeignCurrency"}) {
    w[key] = "0";
  }
  if (r.v2) w["taxRule"] = Ref(std::to_string(r.rule->id), "TaxRule");
}

// All checks passed: apply the request to the account and answer with the stored voucher.
http::Response StoreVoucher(Ctx& ctx, SaveRequest& r) {
  const std::string now = ctx.NowIso();
  std::optional<VoucherRec> before;
  if (r.existing == nullptr) {
    r.voucher_id = ctx.ids.Next(ctx.ids.voucher);
    r.existing = &ctx.account.vouchers[r.voucher_id];
  } else {
    before = *r.existing;
  }
  VoucherRec& rec = *r.existing;
  const std::string create = rec.wire.is_object() ? StrOr(rec.wire["create"], now) : now;
  StoreDocument(ctx, r.file, rec);
  const Sums totals = StorePositions(ctx, r, rec, now);
  rec.supplier_id = r.supplier_id;
  rec.voucher_date_unix = r.voucher_date
                              ? std::optional<std::int64_t>(ToUnixMillis(*r.voucher_date) / 1000)
                              : std::nullopt;
  Json w = Json::object();
  VoucherWireHead(ctx, r, rec, create, w);
  VoucherWireSums(r, totals, w);
  VoucherWireTail(r, w);
  rec.wire = std::move(w);
  NoteChange(rec, before ? &*before : nullptr, ctx.now, ctx.search_lag);

  Json answer = Json::object();
  answer["voucher"] = rec.wire;
  answer["voucherPos"] = rec.positions;
  answer["filename"] = r.file.empty() ? Json(nullptr) : Json(r.file);
  return Objects(201, answer);
}

}  // namespace

http::Response SaveVoucher(Ctx& ctx) {
  auto body = ParseJsonBody(ctx.request);
  if (!body) return Error(400, "Request body must be a JSON object");
  SaveRequest request;
  request.body = &*body;
  for (SaveStep check : kSaveChecks) {
    if (auto refused = check(ctx, request)) return std::move(*refused);
  }
  return StoreVoucher(ctx, request);
}

namespace {

// The filters of GET /Voucher the sandbox honours (spec, "How to filter for certain vouchers");
// every other parameter is ignored like sevdesk ignores unknown ones. Time filters are Unix
// seconds compared with the second-precision `create`/`update`/`payDate` on the wire.
struct VoucherFilter {
  std::optional<std::string> description;  // descriptionLike: contains, case-insensitive
  std::optional<std::string> credit_debit;
  std::optional<std::string> status;
  std::optional<std::string> contact;
  std::optional<std::int64_t> start, end;                   // voucherDate, inclusive
  std::optional<std::int64_t> update_after, update_before;  // `update`, exclusive
  std::optional<std::int64_t> start_pay, end_pay;           // payDate, inclusive

  explicit VoucherFilter(const http::Request& req) {
    auto unix = [&](const char* key) -> std::optional<std::int64_t> {
      const auto value = req.Query(key);
      return value ? ToInt(Json(*value)) : std::nullopt;
    };
    description = req.Query("descriptionLike");
    credit_debit = req.Query("creditDebit");
    status = req.Query("status");
    contact = req.Query("contact[id]");
    start = unix("startDate");
    end = unix("endDate");
    update_after = unix("updateAfter");
    update_before = unix("updateBefore");
    start_pay = unix("startPayDate");
    end_pay = unix("endPayDate");
  }

  static std::optional<std::int64_t> Seconds(const Json& iso) {
    auto instant = iso.is_string() ? ParseSevdeskDate(iso) : std::nullopt;
    return instant ? std::optional<std::int64_t>(ToUnixMillis(*instant) / 1000) : std::nullopt;
  }

  bool Matches(const VoucherRec& v) const {
    const Json& w = v.wire;
    if (description && ToLowerAscii(StrOr(w["description"])).find(ToLowerAscii(*description)) ==
                           std::string::npos) {
      return false;
    }
    if (credit_debit && StrOr(w["creditDebit"]) != *credit_debit) return false;
    if (status && StrOr(w["status"]) != *status) return false;
    if (contact && (!v.supplier_id || std::to_string(*v.supplier_id) != *contact)) return false;
    if (start && (!v.voucher_date_unix || *v.voucher_date_unix < *start)) return false;
    if (end && (!v.voucher_date_unix || *v.voucher_date_unix > *end)) return false;
    if (update_after || update_before) {
      const auto updated = Seconds(w["update"]);
      if (update_after && (!updated || *updated <= *update_after)) return false;
      if (update_before && (!updated || *updated >= *update_before)) return false;
    }
    if (start_pay || end_pay) {
      const auto paid = Seconds(w["payDate"]);
      if (start_pay && (!paid || *paid < *start_pay)) return false;
      if (end_pay && (!paid || *paid > *end_pay)) return false;
    }
    return true;
  }
};

}  // namespace

http::Response ListVouchers(Ctx& ctx) {
  const VoucherFilter filter(ctx.request);
  std::vector<const Json*> matches;
  // Newest first, like the recorded invoice list.
  for (auto it = ctx.account.vouchers.rbegin(); it != ctx.account.vouchers.rend(); ++it) {
    const VoucherRec* listed = ListedVersion(it->second, ctx.now);
    if (listed != nullptr && filter.Matches(*listed)) matches.push_back(&listed->wire);
  }
  return PageOf(ctx.request, matches);
}

http::Response GetVoucher(Ctx& ctx) {
  const std::string raw = ctx.params.at("voucherId");
  auto id = ToInt(Json(raw));
  auto it = id ? ctx.account.vouchers.find(*id) : ctx.account.vouchers.end();
  if (it == ctx.account.vouchers.end()) return NotFound151("Voucher", raw);
  return Objects(200, Json::array({it->second.wire}));
}

http::Response ListVoucherPositions(Ctx& ctx) {
  const auto voucher = ctx.request.Query("voucher[id]");
  std::vector<Json> items;
  for (const auto& [id, current] : ctx.account.vouchers) {
    if (voucher && std::to_string(id) != *voucher) continue;
    const VoucherRec* listed = ListedVersion(current, ctx.now);
    if (listed == nullptr) continue;
    for (const auto& p : listed->positions) items.push_back(p);
  }
  return Page(ctx.request, std::move(items));
}

namespace {

// A new gross total as a user types it into sevdesk: the first position takes the difference,
// its net and tax follow from its rate; the voucher's sums are those of all its positions.
Sums ChangeGross(Ctx& ctx, VoucherRec& rec, Cents gross) {
  Cents others = 0;
  for (std::size_t i = 1; i < rec.positions.size(); ++i) {
    others += ParseAmount(rec.positions[i]["sumGross"]).value_or(0);
  }
  Sums totals;
  for (std::size_t i = 0; i < rec.positions.size(); ++i) {
    Json& p = rec.positions[i];
    if (i == 0) {
      const Sums sums = DecimalSums(false, gross - others, ParseRate(p["taxRate"]).value_or(0));
      PutSums(p, sums.net, sums.tax, sums.gross);
      p["update"] = ctx.NowIso();
    }
    totals.net += ParseAmount(p["sumNet"]).value_or(0);
    totals.tax += ParseAmount(p["sumTax"]).value_or(0);
    totals.gross += ParseAmount(p["sumGross"]).value_or(0);
  }
  return totals;
}

// After a change of the sum, the payment status follows what is paid of the new sum.
void RestatePayment(Json& w) {
  const Cents paid = ParseAmount(w["paidAmount"]).value_or(0);
  if (paid <= 0) return;
  w["status"] = paid >= ParseAmount(w["sumGross"]).value_or(0) ? "1000" : "750";
}

}  // namespace

Result<Json> ChangeVoucherAsUser(Ctx& ctx) {
  auto id = ToInt(Json(ctx.params.at("voucherId")));
  auto it = id ? ctx.account.vouchers.find(*id) : ctx.account.vouchers.end();
  if (it == ctx.account.vouchers.end()) {
    return NotFound("Unknown voucher " + ctx.params.at("voucherId"));
  }
  auto body = ParseJsonBody(ctx.request);
  auto bad = [](std::string m) { return Fail(ErrorCode::kInvalidArgument, "bad_request", m); };
  if (!body) return bad(R"(Expected {"description": "...", "sumGross": "12.34"})");
  VoucherRec& rec = it->second;
  const VoucherRec before = rec;
  if (body->contains("description")) rec.wire["description"] = ToWireString((*body)["description"]);
  if (body->contains("sumGross")) {
    auto gross = ParseAmount((*body)["sumGross"]);
    if (!gross || rec.positions.empty()) return bad("sumGross must be an amount");
    const Sums totals = ChangeGross(ctx, rec, *gross);
    PutSums(rec.wire, totals.net, totals.tax, totals.gross);
    RestatePayment(rec.wire);
  }
  rec.wire["update"] = ctx.NowIso();
  NoteChange(rec, &before, ctx.now, ctx.search_lag);
  return rec.wire;
}

}  // namespace hs::sevdesk::sandbox
