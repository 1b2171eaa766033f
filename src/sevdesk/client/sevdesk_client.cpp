#include "sevdesk/client/sevdesk_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/log.hpp"
#include "core/text.hpp"
#include "sevdesk/client/slim_list.hpp"

namespace hs::sevdesk {

using Json = nlohmann::json;

void InitHttpClient() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

namespace {

struct HttpAnswer {
  long status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
  std::size_t max_body = 0;
  bool too_long = false;
};

struct MultipartFile {
  std::string name;
  std::string bytes;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* answer = static_cast<HttpAnswer*>(user);
  if (answer->body.size() + size * n > answer->max_body) {
    answer->too_long = true;
    return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
  }
  answer->body.append(data, size * n);
  return size * n;
}

// The announced length, to grow the body once instead of a copy per doubling of a 2 MB page.
void ReserveAnnounced(const std::string& lower_line, HttpAnswer& answer) {
  std::size_t length = 0;
  const std::string value = Trim(lower_line.substr(15));
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
  if (ec == std::errc() && end == value.data() + value.size()) {
    answer.body.reserve(std::min(length, answer.max_body));
  }
}

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto* answer = static_cast<HttpAnswer*>(user);
  const std::string lower = ToLowerAscii(line);
  if (lower.rfind("content-length:", 0) == 0) ReserveAnnounced(lower, *answer);
  if (lower.rfind("retry-after:", 0) == 0) {
    const std::string value = Trim(line.substr(12));
    try {
      answer->retry_after = std::chrono::seconds(std::max(0, std::stoi(value)));
    } catch (const std::exception&) {
      // An HTTP-date: honour it conservatively as one minute.
      answer->retry_after = std::chrono::seconds(60);
    }
  }
  return size * n;
}

Error Classified(ErrorCode code, std::string_view reason, std::string message) {
  return Error{code, std::string(reason), std::move(message), {}, std::nullopt};
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Parses a sevdesk scalar that may come as string, number or bool.
std::string Str(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", v.get<double>());
    return buf;
  }
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  return {};
}

std::optional<Cents> Amount(const Json& v) {
  const std::string s = Str(v);
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '-') negative = true, i = 1;
  std::int64_t whole = 0, frac = 0;
  int frac_digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) whole = whole * 10 + (s[i] - '0');
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (frac_digits < 2) frac = frac * 10 + (s[i] - '0');
      ++frac_digits;
    }
  }
  if (i != s.size()) return std::nullopt;
  if (frac_digits == 1) frac *= 10;
  const Cents c = whole * 100 + frac;
  return negative ? -c : c;
}

std::string SevdeskDate(Date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02u.%02u.%04d", static_cast<unsigned>(d.day()),
                static_cast<unsigned>(d.month()), static_cast<int>(d.year()));
  return buf;
}

std::string Decimal(Cents c) {
  return FormatDecimal(c);
}

Json Ref(const std::string& id, const char* object_name) {
  return Json{{"id", id}, {"objectName", object_name}};
}

constexpr std::pair<const char*, int> kCountryIds[] = {
    {"DE", 1},  {"CH", 2},  {"AT", 3},  {"BE", 6},  {"FR", 11},
    {"IT", 14}, {"LU", 17}, {"NL", 21}, {"PL", 24}, {"ES", 29}};

int CountryId(const std::string& iso) {
  for (const auto& [code, id] : kCountryIds) {
    if (iso == code) return id;
  }
  return 1;
}

std::string CountryIso(const std::string& id) {
  for (const auto& [code, country_id] : kCountryIds) {
    if (id == std::to_string(country_id)) return code;
  }
  return {};
}

// ---- The contact directory (Kundenabgleich, ADR 0013)

// The id of the contact a ContactAddress or CommunicationWay belongs to ("" when not given).
std::string ContactIdOf(const Json& row) {
  const Json contact = row.value("contact", Json());
  return contact.is_object() ? Str(contact.value("id", Json())) : std::string();
}

// A Contact as the matching sees it: an organisation has `name`; a person surename/familyname.
domain::SevdeskContact ContactOf(const Json& c) {
  domain::SevdeskContact k;
  k.id = Str(c.value("id", Json()));
  k.customer_number = Str(c.value("customerNumber", Json()));
  k.name = Str(c.value("name", Json()));
  k.organisation = !k.name.empty();
  k.first_name = Str(c.value("surename", Json()));
  k.last_name = Str(c.value("familyname", Json()));
  return k;
}

// Joins addresses and e-mails to their contacts; rows of unknown contacts and communication ways
// of another type (sevdesk may ignore the type filter) are left out.
std::vector<domain::SevdeskContact> JoinDirectory(const std::vector<Json>& contacts,
                                                  const std::vector<Json>& addresses,
                                                  const std::vector<Json>& ways) {
  std::vector<domain::SevdeskContact> out;
  std::unordered_map<std::string, std::size_t> index;
  for (const Json& c : contacts) {
    domain::SevdeskContact k = ContactOf(c);
    if (k.id.empty() || !index.emplace(k.id, out.size()).second) continue;
    out.push_back(std::move(k));
  }
  for (const Json& a : addresses) {
    const auto it = index.find(ContactIdOf(a));
    if (it == index.end()) continue;
    domain::Address address{Str(a.value("street", Json())), Str(a.value("zip", Json())),
                            Str(a.value("city", Json())), ""};
    const Json country = a.value("country", Json());
    if (country.is_object()) address.country = CountryIso(Str(country.value("id", Json())));
    out[it->second].addresses.push_back(std::move(address));
  }
  for (const Json& w : ways) {
    const auto it = index.find(ContactIdOf(w));
    if (it == index.end() || Str(w.value("type", Json())) != "EMAIL") continue;
    out[it->second].emails.push_back(Str(w.value("value", Json())));
  }
  return out;
}

// ---- Payment state (issue 16)

// "2026-09-29T15:44:57+02:00" (sevdesk's dates, always with an offset) -> the UTC instant.
std::optional<Instant> ParseOffsetInstant(const std::string& text) {
  if (text.size() != 25 || (text[19] != '+' && text[19] != '-') || text[22] != ':') {
    return std::nullopt;
  }
  int oh = 0, om = 0;
  if (!ParseDigits(text, 20, 2, oh) || !ParseDigits(text, 23, 2, om)) return std::nullopt;
  auto local = ParseIsoInstant(text.substr(0, 19) + "Z");
  if (!local) return std::nullopt;
  const std::chrono::minutes offset{(oh * 60 + om) * (text[19] == '-' ? -1 : 1)};
  return *local - offset;
}

// The civil date sevdesk means: the date part of its Berlin-offset date-time.
std::optional<Date> CivilDateOf(const std::string& text) {
  return text.size() >= 10 ? ParseIsoDate(std::string_view(text).substr(0, 10)) : std::nullopt;
}

// Noon in Berlin of `d` as sevdesk writes it (the recorded bookings carry 12:00 local time).
// Summer time runs from the last Sunday of March to the last Sunday of October; at noon both
// switches (01:00 UTC) are past.
std::string BerlinNoon(Date d) {
  using namespace std::chrono;
  auto last_sunday = [&](month m) { return year_month_day{sys_days{d.year() / m / Sunday[last]}}; };
  const bool summer = d >= last_sunday(March) && d < last_sunday(October);
  return FormatIsoDate(d) + (summer ? "T12:00:00+02:00" : "T12:00:00+01:00");
}

std::optional<std::int64_t> Count(const Json& v) {
  try {
    return std::stoll(Str(v));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int StatusCode(const Json& v) {
  try {
    return std::stoi(Str(v));
  } catch (const std::exception&) {
    return 0;
  }
}

// The fields PaymentOf reads, and creditDebit for the list's own filter.
const std::vector<std::string_view> kPaymentFields = {
    "id", "update", "description", "status", "sumGross", "paidAmount", "payDate", "creditDebit"};

// A voucher of a list or GET /Voucher/{id}; nothing when it lacks an id or a readable `update`.
std::optional<app::VoucherPayment> PaymentOf(const Json& v) {
  if (!v.is_object()) return std::nullopt;  // sevdesk answers are not trusted
  app::VoucherPayment p;
  p.id = Str(v.value("id", Json()));
  auto updated = ParseOffsetInstant(Str(v.value("update", Json())));
  if (p.id.empty() || !updated) return std::nullopt;
  p.updated = *updated;
  p.description = Str(v.value("description", Json()));
  p.status = StatusCode(v.value("status", Json()));
  p.gross_cents = Amount(v.value("sumGross", Json())).value_or(0);
  // paidAmount is a JSON number on the wire (87.49); Str() prints it with two decimals, which
  // gives back the exact cents of any amount below 2^53 / 100, and Amount() parses that text.
  p.paid_cents = Amount(v.value("paidAmount", Json())).value_or(0);
  if (const Json pay = v.value("payDate", Json()); pay.is_string()) {
    p.pay_date = CivilDateOf(pay.get<std::string>());
  }
  return p;
}

class SevdeskClient final : public app::SevdeskGateway {
 public:
  explicit SevdeskClient(ClientSettings settings) : settings_(std::move(settings)) {
    while (!settings_.base_url.empty() && settings_.base_url.back() == '/') {
      settings_.base_url.pop_back();
    }
  }
  ~SevdeskClient() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  Result<std::string> BookkeepingVersion(const std::string& token) override {
    auto j = Call(token, "GET", "/Tools/bookkeepingSystemVersion");
    if (!j) return tl::unexpected(j.error());
    const Json& o = (*j)["objects"];
    if (o.is_object()) return Str(o.value("version", Json()));
    return Str(o);
  }

  Result<app::SevdeskAccountInfo> Inspect(const std::string& token) override {
    app::SevdeskAccountInfo info;
    auto version = BookkeepingVersion(token);
    if (!version) return tl::unexpected(version.error());
    info.bookkeeping_version = *version;
    auto users = Call(token, "GET", "/SevUser");
    if (!users) return tl::unexpected(users.error());
    const Json& list = (*users)["objects"];
    if (list.is_array() && !list.empty()) {
      const Json& u = list.front();
      info.user_id = Str(u.value("id", Json()));
      info.user_name = Str(u.value("fullname", Json()));
      if (info.user_name.empty()) {
        info.user_name =
            Trim(Str(u.value("firstName", Json())) + " " + Str(u.value("lastName", Json())));
      }
      if (info.user_name.empty()) info.user_name = Str(u.value("username", Json()));
    }
    auto guide = Call(token, "GET", "/ReceiptGuidance/forRevenue");
    if (!guide) return tl::unexpected(guide.error());
    bool rule1 = false, rule11 = false;
    for (const Json& a : (*guide)["objects"]) {
      if (!a.is_object()) continue;  // sevdesk answers are not trusted
      app::RevenueAccount acc;
      try {
        acc.id = std::stoll(Str(a.value("accountDatevId", Json())));
      } catch (const std::exception&) {
        continue;
      }
      acc.number = Str(a.value("accountNumber", Json()));
      acc.name = Str(a.value("accountName", Json()));
      for (const Json& r : a.value("allowedTaxRules", Json::array())) {
        app::RevenueAccount::Rule rule;
        try {
          rule.tax_rule = std::stoi(Str(r.value("id", Json())));
        } catch (const std::exception&) {
          continue;
        }
        for (const Json& rate : r.value("taxRates", Json::array())) {
          const std::string name = Str(rate);
          if (name == "ZERO") rule.rates.push_back(0);
          if (name == "SEVEN") rule.rates.push_back(7);
          if (name == "NINETEEN") rule.rates.push_back(19);
        }
        rule1 = rule1 || rule.tax_rule == 1;
        rule11 = rule11 || rule.tax_rule == 11;
        acc.rules.push_back(std::move(rule));
      }
      info.revenue_accounts.push_back(std::move(acc));
    }
    if (rule1) {
      info.tax_mode = domain::TaxMode::kRegular;
    } else if (rule11) {
      info.tax_mode = domain::TaxMode::kKleinunternehmer;
    }
    return info;
  }

  Result<std::optional<app::ContactRef>> FindContact(const std::string& token,
                                                     const std::string& number) override {
    auto j =
        Call(token, "GET", "/Contact?depth=1&customerNumber=" + UrlEncode(number) + "&limit=100");
    if (!j) return tl::unexpected(j.error());
    // Unknown filters are silently ignored by sevdesk: verify the match ourselves.
    for (const Json& c : (*j)["objects"]) {
      if (!c.is_object()) continue;  // sevdesk answers are not trusted
      if (Str(c.value("customerNumber", Json())) == number) {
        return std::optional<app::ContactRef>{app::ContactRef{Str(c.value("id", Json())), number}};
      }
    }
    return std::optional<app::ContactRef>{};
  }

  Result<std::string> CreateContact(const std::string& token, const app::ContactData& c) override {
    auto j = Call(token, "POST", "/Contact", ContactBody(c).dump());
    if (!j) return tl::unexpected(j.error());
    return IdOf(*j);
  }

  Status UpdateContact(const std::string& token, const std::string& id,
                       const app::ContactData& c) override {
    auto j = Call(token, "PUT", "/Contact/" + id, ContactBody(c).dump());
    if (!j) return tl::unexpected(j.error());
    return {};
  }

  Result<std::vector<app::FoundAddress>> FindAddresses(const std::string& token,
                                                       const std::string& contact_id) override {
    auto rows = ListOfContact(
        token, "/ContactAddress?contact[id]=" + contact_id + "&contact[objectName]=Contact",
        contact_id);
    if (!rows) return tl::unexpected(rows.error());
    std::vector<app::FoundAddress> out;
    for (const Json& x : *rows) {
      app::FoundAddress a;
      a.id = Str(x.value("id", Json()));
      a.address.street = Str(x.value("street", Json()));
      a.address.zip = Str(x.value("zip", Json()));
      a.address.city = Str(x.value("city", Json()));
      const Json country = x.value("country", Json());
      if (country.is_object()) a.address.country = CountryIso(Str(country.value("id", Json())));
      out.push_back(std::move(a));
    }
    return out;
  }

  Result<std::string> CreateAddress(const std::string& token, const std::string& contact_id,
                                    const app::ContactData& c) override {
    Json body = {
        {"contact", Ref(contact_id, "Contact")},
        {"street", c.address.street},
        {"zip", c.address.zip},
        {"city", c.address.city},
        {"country", Json{{"id", CountryId(c.address.country)}, {"objectName", "StaticCountry"}}},
        {"category", Json{{"id", 47}, {"objectName", "Category"}}}};
    auto j = Call(token, "POST", "/ContactAddress", body.dump());
    if (!j) return tl::unexpected(j.error());
    return IdOf(*j);
  }

  // PUT is partial in sevdesk: only the fields sent change, so the contact and the category of
  // the address stay as they are (the school may have changed the category there).
  Status UpdateAddress(const std::string& token, const std::string& address_id,
                       const app::ContactData& c) override {
    Json body = {
        {"street", c.address.street},
        {"zip", c.address.zip},
        {"city", c.address.city},
        {"country", Json{{"id", CountryId(c.address.country)}, {"objectName", "StaticCountry"}}}};
    // Call() treats every PUT as a write: at most one send, an unanswered one is uncertain.
    auto j = Call(token, "PUT", "/ContactAddress/" + UrlEncode(address_id), body.dump());
    if (!j) return tl::unexpected(j.error());
    return {};
  }

  Result<std::vector<app::FoundEmail>> FindEmails(const std::string& token,
                                                  const std::string& contact_id) override {
    auto rows = ListOfContact(
        token,
        "/CommunicationWay?contact[id]=" + contact_id + "&contact[objectName]=Contact&type=EMAIL",
        contact_id);
    if (!rows) return tl::unexpected(rows.error());
    std::vector<app::FoundEmail> out;
    for (const Json& x : *rows) {
      if (const std::string type = Str(x.value("type", Json())); !type.empty() && type != "EMAIL") {
        continue;  // the type filter may be ignored too
      }
      out.push_back({Str(x.value("id", Json())), Str(x.value("value", Json()))});
    }
    return out;
  }

  Result<std::string> CreateEmail(const std::string& token, const std::string& contact_id,
                                  const std::string& email) override {
    Json body = {{"contact", Ref(contact_id, "Contact")},
                 {"type", "EMAIL"},
                 {"value", email},
                 {"key", Json{{"id", 8}, {"objectName", "CommunicationWayKey"}}},
                 {"main", true}};
    auto j = Call(token, "POST", "/CommunicationWay", body.dump());
    if (!j) return tl::unexpected(j.error());
    return IdOf(*j);
  }

  // Only the value: type, key and "main" stay as sevdesk (or the school) has them.
  Status UpdateEmail(const std::string& token, const std::string& email_id,
                     const std::string& email) override {
    const Json body = {{"value", email}};
    auto j = Call(token, "PUT", "/CommunicationWay/" + UrlEncode(email_id), body.dump());
    if (!j) return tl::unexpected(j.error());
    return {};
  }

  Result<app::ContactDirectory> ListContacts(const std::string& token, int page_size) override {
    page_size = std::clamp(page_size, 1, app::kContactPageSize);
    app::ContactDirectory directory;
    auto contacts = ReadAll(token, "/Contact?depth=1", page_size, directory.requests);
    if (!contacts) return tl::unexpected(contacts.error());
    auto addresses = ReadAll(token, "/ContactAddress?", page_size, directory.requests);
    if (!addresses) return tl::unexpected(addresses.error());
    auto ways = ReadAll(token, "/CommunicationWay?type=EMAIL", page_size, directory.requests);
    if (!ways) return tl::unexpected(ways.error());
    directory.contacts = JoinDirectory(*contacts, *addresses, *ways);
    return directory;
  }

  Result<std::string> UploadDocument(const std::string& token, const std::string& file_name,
                                     const std::string& bytes) override {
    auto j =
        Call(token, "POST", "/Voucher/Factory/uploadTempFile", {}, MultipartFile{file_name, bytes});
    if (!j) return tl::unexpected(j.error());
    const Json& o = (*j)["objects"];
    const std::string name = o.is_object() ? Str(o.value("filename", Json())) : std::string{};
    if (name.empty()) {
      return tl::unexpected(
          Classified(ErrorCode::kUnavailable, app::sevdesk_reason::kUncertain,
                     "sevdesk hat keinen Dateinamen für das Dokument geliefert."));
    }
    return name;
  }

  Result<app::SavedVoucher> SaveVoucher(const std::string& token,
                                        const app::VoucherData& v) override {
    Json voucher = {{"objectName", "Voucher"},
                    {"mapAll", true},
                    {"voucherDate", SevdeskDate(v.voucher_date)},
                    {"supplier", Ref(v.contact_id, "Contact")},
                    {"description", v.description},
                    {"status", 100},
                    {"creditDebit", "D"},
                    {"voucherType", "VOU"},
                    {"taxRule", Ref(std::to_string(v.tax_rule), "TaxRule")},
                    {"currency", "EUR"}};
    if (v.delivery_date) voucher["deliveryDate"] = SevdeskDate(*v.delivery_date);
    if (v.delivery_date_until) voucher["deliveryDateUntil"] = SevdeskDate(*v.delivery_date_until);
    Json positions = Json::array();
    for (const auto& p : v.positions) {
      // Gross only: sevdesk computes net and tax from it (ADR 0010).
      positions.push_back({{"objectName", "VoucherPos"},
                           {"mapAll", true},
                           {"accountDatev", Ref(std::to_string(p.account_id), "AccountDatev")},
                           {"taxRate", p.rate},
                           {"net", false},
                           {"sumGross", Decimal(p.gross_cents)},
                           {"comment", p.comment}});
    }
    Json body = {{"voucher", voucher},
                 {"voucherPosSave", positions},
                 {"voucherPosDelete", nullptr},
                 {"filename", v.filename}};
    auto j = Call(token, "POST", "/Voucher/Factory/saveVoucher", body.dump());
    if (!j) return tl::unexpected(j.error());
    const Json& o = (*j)["objects"];
    app::SavedVoucher saved;
    if (o.is_object() && o.contains("voucher") && o["voucher"].is_object()) {
      const Json& stored = o["voucher"];
      saved.id = Str(stored.value("id", Json()));
      saved.net_cents = Amount(stored.value("sumNet", Json()));
      saved.tax_cents = Amount(stored.value("sumTax", Json()));
      saved.gross_cents = Amount(stored.value("sumGross", Json()));
    }
    if (saved.id.empty()) {
      return tl::unexpected(Classified(ErrorCode::kUnavailable, app::sevdesk_reason::kUncertain,
                                       "sevdesk hat keine Beleg-ID geliefert."));
    }
    return saved;
  }

  Result<std::vector<app::FoundVoucher>> FindVouchers(const std::string& token,
                                                      const std::string& description) override {
    auto j =
        Call(token, "GET",
             "/Voucher?creditDebit=D&descriptionLike=" + UrlEncode(description) + "&limit=1000");
    if (!j) return tl::unexpected(j.error());
    std::vector<app::FoundVoucher> out;
    for (const Json& v : (*j)["objects"]) {
      if (!v.is_object()) continue;  // sevdesk answers are not trusted
      app::FoundVoucher f;
      f.id = Str(v.value("id", Json()));
      f.description = Str(v.value("description", Json()));
      f.gross_cents = Amount(v.value("sumGross", Json())).value_or(0);
      f.credit_debit = Str(v.value("creditDebit", Json()));
      const Json supplier = v.value("supplier", Json());
      if (supplier.is_object()) f.contact_id = Str(supplier.value("id", Json()));
      out.push_back(std::move(f));
    }
    return out;
  }

  // One request per page of 1000: countAll's total ends the reading without an empty last page.
  // updateAfter is sent a second early (sevdesk compares whole seconds, and "after" may be
  // strict); the client drops what is older itself, since an ignored filter returns everything.
  Result<app::VoucherPayments> ListVoucherPayments(
      const std::string& token, std::optional<Instant> changed_since, int page_size,
      const app::BeforeRequest& before_request) override {
    page_size = std::clamp(page_size, 1, app::kVoucherPageSize);
    std::string path = "/Voucher?creditDebit=D&countAll=true";
    // A plain time and a flag rather than an optional: g++ 12 at -O3 warns (maybe-uninitialized,
    // an error here) about the optional's value.
    const bool filtered = changed_since.has_value();
    const Instant since{filtered ? std::chrono::floor<std::chrono::seconds>(*changed_since)
                                 : Instant{}};
    if (filtered) {
      path += "&updateAfter=" +
              std::to_string(
                  std::chrono::floor<std::chrono::seconds>(since).time_since_epoch().count() - 1);
    }
    app::VoucherPayments out;
    auto rows = ReadAll(token, path, page_size, out.requests, kPaymentFields, before_request);
    if (!rows) return tl::unexpected(rows.error());
    for (const Json& v : *rows) {
      if (Str(v.value("creditDebit", Json())) != "D") continue;  // filters are not trusted
      auto p = PaymentOf(v);
      if (!p || (filtered && p->updated < since)) continue;
      out.vouchers.push_back(std::move(*p));
    }
    return out;
  }

  Result<std::optional<app::VoucherPayment>> GetVoucherPayment(const std::string& token,
                                                               const std::string& id) override {
    auto j = Call(token, "GET", "/Voucher/" + UrlEncode(id));
    if (!j && j.error().reason == app::sevdesk_reason::kVoucherGone) {
      return std::optional<app::VoucherPayment>{};
    }
    if (!j) return tl::unexpected(j.error());
    const Json& o = (*j)["objects"];
    // Not recorded for a deleted voucher: an empty list means it is gone, like the 404/151.
    if (o.is_null() || (o.is_array() && o.empty())) return std::optional<app::VoucherPayment>{};
    const Json v = o.is_array() ? o.front() : o;
    auto p = PaymentOf(v);
    if (!p || p->id != id) {
      return tl::unexpected(Classified(ErrorCode::kUnavailable, app::sevdesk_reason::kError,
                                       "sevdesk hat den Beleg nicht lesbar geliefert."));
    }
    return std::optional<app::VoucherPayment>{std::move(*p)};
  }

  Result<std::vector<app::PaymentAccount>> ListPaymentAccounts(const std::string& token) override {
    int requests = 0;
    auto rows = ReadAll(token, "/CheckAccount?", 1000, requests);
    if (!rows) return tl::unexpected(rows.error());
    std::vector<app::PaymentAccount> out;
    for (const Json& a : *rows) {
      out.push_back(
          {Str(a.value("id", Json())), Str(a.value("name", Json())), Str(a.value("type", Json()))});
    }
    return out;
  }

  // Type "N" (a partial booking) for every amount: sevdesk marks the voucher paid once the paid
  // amount reaches its sum, and a smaller amount never closes it by mistake (FULL_PAYMENT would).
  Result<app::BookedAmount> BookAmount(const std::string& token,
                                       const app::VoucherBooking& b) override {
    const Json body = {{"amount", Decimal(b.amount_cents)},
                       {"date", BerlinNoon(b.date)},
                       {"type", "N"},
                       {"checkAccount", Ref(b.check_account_id, "CheckAccount")},
                       {"createFeed", false}};
    // Call() treats every PUT as a write: at most one send, an unanswered one is uncertain.
    auto j = Call(token, "PUT", "/Voucher/" + UrlEncode(b.voucher_id) + "/bookAmount", body.dump());
    if (!j) return tl::unexpected(j.error());
    const Json& o = (*j)["objects"];
    app::BookedAmount booked;
    if (o.is_object()) {
      booked.from_status = StatusCode(o.value("fromStatus", Json()));
      booked.to_status = StatusCode(o.value("toStatus", Json()));
      booked.amount_cents = Amount(o.value("amountPayed", Json())).value_or(0);
    }
    if (booked.to_status == 0) {
      // Answered without a log entry: whether it was booked is unknown.
      return tl::unexpected(Classified(ErrorCode::kUnavailable, app::sevdesk_reason::kUncertain,
                                       "sevdesk hat die Buchung nicht bestätigt."));
    }
    return booked;
  }

 private:
  static std::string UrlEncode(const std::string& s) {
    std::string out;
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  }

  static Json ContactBody(const app::ContactData& c) {
    Json body = {{"category", Json{{"id", 3}, {"objectName", "Category"}}}, {"status", 1000}};
    // A contact the Kundenabgleich linked may have no number of its own: none is invented.
    if (!c.customer_number.empty()) body["customerNumber"] = c.customer_number;
    if (c.kind == domain::CustomerKind::kCompany) {
      body["name"] = c.name;
    } else {
      body["surename"] = c.first_name;
      body["familyname"] = c.last_name;
    }
    return body;
  }

  static Result<std::string> IdOf(const Json& j) {
    const Json& o = j["objects"];
    std::string id;
    if (o.is_object()) id = Str(o.value("id", Json()));
    if (o.is_array() && !o.empty() && o.front().is_object())
      id = Str(o.front().value("id", Json()));
    if (id.empty()) {
      return tl::unexpected(Classified(ErrorCode::kUnavailable, app::sevdesk_reason::kUncertain,
                                       "sevdesk hat keine ID geliefert."));
    }
    return id;
  }

  // The objects of a list answer that belong to `contact_id`.
  // Every object of a list, page by page (limit/offset), counting the requests. A page shorter
  // than asked for is the last; a page of nothing but objects already seen (a server that ignores
  // the offset) ends the reading too, rather than looping.
  // `fields`: read only these fields of each object (all when empty); they must include "id".
  Result<std::vector<Json>> ReadAll(const std::string& token, const std::string& path,
                                    int page_size, int& requests,
                                    const std::vector<std::string_view>& fields = {},
                                    const app::BeforeRequest& before_request = {}) {
    std::vector<Json> out;
    std::unordered_set<std::string> seen;
    const char* join = path.back() == '?' ? "" : "&";
    for (int offset = 0;; offset += page_size) {
      if (before_request) {
        if (auto go = before_request(); !go) return tl::unexpected(go.error());
      }
      ++requests;
      auto page = GetPage(
          token,
          path + join + "limit=" + std::to_string(page_size) + "&offset=" + std::to_string(offset),
          fields);
      if (!page) return tl::unexpected(page.error());
      if (!page->objects_is_array) break;
      bool new_object = false;
      // GetPage left out what is not a JSON object (sevdesk answers are not trusted); the page's
      // length still counts it, so that such a row never ends the reading early.
      for (Json& x : page->objects) {
        if (!seen.insert(Str(x.value("id", Json()))).second) continue;
        new_object = true;
        out.push_back(std::move(x));
      }
      if (!new_object || page->listed < static_cast<std::size_t>(page_size)) break;
      // With countAll=true in the path, the total (a string or a number) saves the empty page.
      const auto total = Count(page->total);
      if (total && offset + page_size >= *total) break;
    }
    return out;
  }

  Result<std::vector<Json>> ListOfContact(const std::string& token, const std::string& path,
                                          const std::string& contact_id) {
    auto j = Call(token, "GET", path);
    if (!j) return tl::unexpected(j.error());
    std::vector<Json> out;
    const Json& objects = (*j)["objects"];
    if (!objects.is_array()) return out;
    for (const Json& x : objects) {
      if (!x.is_object()) continue;
      const Json contact = x.value("contact", Json());
      // Filters may be ignored: keep only rows of this contact.
      if (contact.is_object() && Str(contact.value("id", Json())) != contact_id) continue;
      out.push_back(x);
    }
    return out;
  }

  CURL* Handle() {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      CURL* h = idle_.back();
      idle_.pop_back();
      return h;
    }
    return curl_easy_init();
  }
  void Return(CURL* h) {
    std::lock_guard lock(mutex_);
    idle_.push_back(h);
  }

  // Counts how often libcurl is about to send the request of one call. libcurl re-sends a
  // request on a new connection when a reused one dies before the answer's first byte, whatever
  // the method; for a write the second send is refused here, so sevdesk gets it at most once.
  struct SendGuard {
    int sends = 0;
    bool write = false;
  };
  static int BeforeSend(void* user, char*, char*, int, int) {
    auto* guard = static_cast<SendGuard*>(user);
    ++guard->sends;
    return guard->write && guard->sends > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
  }

  // The options every request gets; the ones of a write make it impossible to send it twice.
  void SetRequestOptions(CURL* h, const std::string& url, bool write, HttpAnswer& answer,
                         SendGuard& guard) const {
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(settings_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_USERAGENT, settings_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
    answer.max_body = settings_.max_answer_bytes;
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ReadHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &answer);
    // A redirect would send the request again elsewhere; sevdesk's API never redirects.
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    // Never the environment's proxy (see ClientSettings::proxy).
    curl_easy_setopt(h, CURLOPT_PROXY, settings_.proxy.c_str());
    guard.write = write;
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, BeforeSend);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, &guard);
    if (!write) return;
    if (settings_.write_connection == WriteConnection::kFresh) {
      curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    } else {
      curl_easy_setopt(
          h, CURLOPT_MAXAGE_CONN,
          static_cast<long>(std::max<std::int64_t>(1, settings_.write_reuse_max_idle.count())));
    }
  }

  // Headers and body; the mime part, if any, is returned for the caller to free.
  static curl_mime* SetBody(CURL* h, const std::string& method, const std::string& body,
                            const std::optional<MultipartFile>& file, curl_slist*& headers) {
    // "Expect: 100-continue" (sent by libcurl for large bodies) waits for the server and, on a
    // 417, sends the request again without it: never wanted.
    headers = curl_slist_append(headers, "Expect:");
    if (file) {
      curl_mime* mime = curl_mime_init(h);
      curl_mimepart* part = curl_mime_addpart(mime);
      curl_mime_name(part, "file");
      curl_mime_filename(part, file->name.c_str());
      curl_mime_type(part, "application/pdf");
      curl_mime_data(part, file->bytes.data(), file->bytes.size());
      curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
      return mime;
    }
    if (method == "POST" || method == "PUT") {
      headers = curl_slist_append(headers, "Content-Type: application/json");
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    if (method != "GET" && method != "POST") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    return nullptr;
  }

  // A request that got no complete answer. A write may have been applied unless the
  // connection was never made.
  static Error TransportError(CURLcode rc, bool write, const SendGuard& guard) {
    const bool never_sent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                            rc == CURLE_COULDNT_RESOLVE_PROXY ||
                            (rc == CURLE_SSL_CONNECT_ERROR && guard.sends == 0);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return Classified(ErrorCode::kUnavailable,
                        write ? app::sevdesk_reason::kUncertain : app::sevdesk_reason::kTimeout,
                        "sevdesk hat nicht rechtzeitig geantwortet.");
    }
    if (write && rc == CURLE_ABORTED_BY_CALLBACK && guard.sends > 1) {
      Log(LogLevel::kWarn, "sevdesk",
          "a write's connection closed before any answer; its re-send was refused");
      return Classified(ErrorCode::kUnavailable, app::sevdesk_reason::kUncertain,
                        "Die Verbindung zu sevdesk brach ab, bevor eine Antwort kam.");
    }
    return Classified(
        ErrorCode::kUnavailable,
        never_sent || !write ? app::sevdesk_reason::kUnreachable : app::sevdesk_reason::kUncertain,
        std::string("sevdesk ist nicht erreichbar (") + curl_easy_strerror(rc) + ").");
  }

  // One request; answers the parsed JSON on 2xx without an error object.
  Result<Json> Call(const std::string& token, const std::string& method, const std::string& path,
                    const std::string& body = {},
                    std::optional<MultipartFile> file = std::nullopt) {
    auto answer = Perform(token, method, path, body, std::move(file));
    if (!answer) return tl::unexpected(answer.error());
    return Classify(*answer, path, method != "GET");
  }

  // One GET of a list page. With `fields`, a 2xx answer is read keeping only those fields of
  // each object (slim_list.hpp); anything the slim reading does not accept is read in full.
  Result<SlimList> GetPage(const std::string& token, const std::string& path,
                           const std::vector<std::string_view>& fields) {
    // A page's bytes (2 MB for 1,000 vouchers) go into a buffer kept per thread: a fresh one per
    // page is mapped and unmapped each time, and unmapping takes the process's memory-map lock,
    // which page faults of every other thread (the transfers) then wait for.
    thread_local std::string page_buffer;
    auto answer = Perform(token, "GET", path, {}, std::nullopt, &page_buffer);
    if (!answer) return tl::unexpected(answer.error());
    if (!fields.empty() && answer->status >= 200 && answer->status < 300) {
      auto slim = ParseSlimList(answer->body, fields);
      if (slim && !slim->error) {
        KeepPageBuffer(page_buffer, answer->body);
        return std::move(*slim);
      }
    }
    auto j = Classify(*answer, path, false);
    if (!j) return tl::unexpected(j.error());
    SlimList page;
    page.total = j->value("total", Json());
    Json& objects = (*j)["objects"];
    page.objects_is_array = objects.is_array();
    if (page.objects_is_array) {
      page.listed = objects.size();
      for (Json& x : objects) {
        if (x.is_object()) page.objects.push_back(std::move(x));
      }
    }
    return page;
  }

  // Keeps the buffer of an answer for the next page, unless it grew beyond a usual page.
  static void KeepPageBuffer(std::string& buffer, std::string& used) {
    constexpr std::size_t kKeepAtMost = 8 << 20;
    if (used.capacity() <= kKeepAtMost) buffer = std::move(used);
  }

  // Sends one request and reads the whole answer; errors are those of the transport only.
  Result<HttpAnswer> Perform(const std::string& token, const std::string& method,
                             const std::string& path, const std::string& body,
                             std::optional<MultipartFile> file,
                             std::string* body_buffer = nullptr) {
    const bool write = method != "GET";
    CURL* h = Handle();
    if (h == nullptr) return Internal("curl_easy_init failed");
    curl_easy_reset(h);
    HttpAnswer answer;
    if (body_buffer != nullptr) {
      answer.body = std::move(*body_buffer);
      answer.body.clear();
    }
    SendGuard guard;
    SetRequestOptions(h, settings_.base_url + path, write, answer, guard);
    struct curl_slist* headers = nullptr;
    // The token is a header value only; it never appears in a URL or a log line.
    const std::string auth = "Authorization: " + token;
    headers = curl_slist_append(headers, auth.c_str());
    headers = curl_slist_append(headers, "Accept: application/json");
    curl_mime* mime = SetBody(h, method, body, file, headers);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    const auto started = std::chrono::steady_clock::now();
    const CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &answer.status);
    if (settings_.metrics) {
      settings_.metrics->Observe(
          method, path, rc == CURLE_OK ? answer.status : 0,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    curl_slist_free_all(headers);
    if (mime) curl_mime_free(mime);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    Return(h);
    if (answer.too_long) {
      // Whatever it was, it was answered: a write may have been applied.
      return tl::unexpected(
          Classified(ErrorCode::kUnavailable,
                     write ? app::sevdesk_reason::kUncertain : app::sevdesk_reason::kError,
                     "sevdesk hat eine unerwartet lange Antwort geschickt; sie wurde verworfen."));
    }
    if (rc != CURLE_OK) return tl::unexpected(TransportError(rc, write, guard));
    return answer;
  }

  // Turns a complete HTTP answer into JSON or a classified error.
  static Result<Json> Classify(const HttpAnswer& answer, const std::string& path, bool write) {
    Json j = Json::parse(answer.body, nullptr, false);
    std::string message;
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      message = Str(j["error"].value("message", Json()));
    }
    const long s = answer.status;
    if (s == 401) {
      return tl::unexpected(Classified(ErrorCode::kUnauthenticated, app::sevdesk_reason::kAuth,
                                       message.empty() ? "Authentication required" : message));
    }
    if (s == 403) {
      return tl::unexpected(
          Classified(ErrorCode::kForbidden, app::sevdesk_reason::kForbidden, message));
    }
    if (s == 429) {
      Error e = Classified(ErrorCode::kRateLimited, app::sevdesk_reason::kRateLimited,
                           "sevdesk bremst zu viele Anfragen (429).");
      e.retry_after = answer.retry_after;
      return tl::unexpected(e);
    }
    // sevdesk answered, but with an error: "sevdesk_error" for reads (nothing can have been
    // changed), "sevdesk_uncertain" for writes (the change may have been applied).
    const std::string_view answered_error =
        write ? app::sevdesk_reason::kUncertain : app::sevdesk_reason::kError;
    if (s >= 500 || s == 0 || (s >= 300 && s < 400)) {
      return tl::unexpected(
          Classified(ErrorCode::kUnavailable, answered_error,
                     "sevdesk meldet einen Serverfehler (" + std::to_string(s) + ")."));
    }
    if (s >= 400) {
      return tl::unexpected(Classified(ErrorCode::kInvalidArgument, RejectionReason(path, message),
                                       message.empty() ? "HTTP " + std::to_string(s) : message));
    }
    if (j.is_discarded() || !j.is_object()) {
      return tl::unexpected(Classified(ErrorCode::kUnavailable, answered_error,
                                       "sevdesk hat eine unlesbare Antwort geschickt."));
    }
    if (!message.empty() || (j.contains("error") && !j["error"].is_null())) {
      // "200 with an error body": whether a write happened is unknown.
      return tl::unexpected(Classified(ErrorCode::kUnavailable, answered_error,
                                       "sevdesk meldet einen Fehler: " + message));
    }
    return j;
  }

  ClientSettings settings_;
  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

}  // namespace

std::string_view RejectionReason(std::string_view path, std::string_view message) {
  // saveVoucher names an uploaded temporary file that sevdesk no longer has (it expires): "The
  // file <name> was not found. Upload it with Voucher/Factory/uploadTempFile first." The real
  // wording is not recorded, so any mention of the file name or the upload counts.
  if (path == "/Voucher/Factory/saveVoucher" &&
      (Contains(message, "ilename") || Contains(message, "uploadTempFile") ||
       (Contains(message, "file") && Contains(message, "not found")))) {
    return app::sevdesk_reason::kFileGone;
  }
  // A booking (or a read) names a voucher sevdesk no longer has: "No Model_Voucher with the id".
  if (Contains(message, "Model_Voucher with the id")) return app::sevdesk_reason::kVoucherGone;
  // sevdesk's "not found" (code 151) names the model: "No Model_Contact with the id 7 was found".
  if (Contains(message, "Model_Contact with the id")) return app::sevdesk_reason::kContactGone;
  // The same for an address or an e-mail an update names ("No Model_ContactAddress with the id
  // 5 was found"); "Model_CommunicationWayKey" (a create's bad key) is not one of them.
  if (Contains(message, "Model_ContactAddress with the id") ||
      Contains(message, "Model_CommunicationWay with the id")) {
    return app::sevdesk_reason::kDetailGone;
  }
  return app::sevdesk_reason::kRejected;
}

std::unique_ptr<app::SevdeskGateway> MakeSevdeskClient(ClientSettings settings) {
  return std::make_unique<SevdeskClient>(std::move(settings));
}

}  // namespace hs::sevdesk
