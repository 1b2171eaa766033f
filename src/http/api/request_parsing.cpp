#include "http/api/request_parsing.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "app/services.hpp"
#include "core/text.hpp"

namespace hs::http::api {

std::optional<std::int64_t> ParseId(const std::string& text) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::optional<int> ParseLimit(const Request& req, int fallback, int max,
                              std::vector<FieldError>& errors, const char* name) {
  auto v = req.Query(name);
  if (!v) return fallback;
  int n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size() || n < 1 || n > max) {
    errors.push_back({name, "Ganze Zahl zwischen 1 und " + std::to_string(max) + " erwartet."});
    return std::nullopt;
  }
  return n;
}

std::optional<int> ParseOffset(const Request& req, std::vector<FieldError>& errors) {
  auto v = req.Query("offset");
  if (!v) return 0;
  int n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size() || n < 0) {
    errors.push_back({"offset", "Ganze Zahl ab 0 erwartet."});
    return std::nullopt;
  }
  return n;
}

Result<Json> JsonBody(const Request& req) {
  auto ct = req.Header("Content-Type");
  if (!ct || ToLowerAscii(*ct).rfind("application/json", 0) != 0) {
    return Fail(ErrorCode::kUnsupportedMedia, "unsupported_media_type",
                "Bitte JSON senden (Content-Type: application/json).");
  }
  return ParseObject(req.body);
}

Result<Credentials> ReadCredentials(const Request& req) {
  auto body = JsonBody(req);
  if (!body) return tl::unexpected(body.error());
  std::vector<FieldError> errors;
  ObjectReader r(*body, "", errors);
  auto email = r.String("email");
  auto password = r.RawString("password");
  r.Finish();
  if (!email || email->empty()) errors.push_back({"email", "Bitte die E-Mail-Adresse angeben."});
  if (!password || password->empty()) errors.push_back({"password", "Bitte das Passwort angeben."});
  if (!errors.empty()) return BadRequest(std::move(errors));
  if (auto st = app::CheckLoginInput(*email, *password); !st) return tl::unexpected(st.error());
  return Credentials{*email, *password};
}

std::string EncodeCursor(Date date, std::int64_t id) {
  return FormatIsoDate(date) + "." + std::to_string(id);
}
std::optional<std::pair<Date, std::int64_t>> DecodeCursor(const std::string& text) {
  if (text.size() < 12 || text[10] != '.') return std::nullopt;
  auto date = ParseIsoDate(text.substr(0, 10));
  auto id = ParseId(text.substr(11));
  if (!date || !id) return std::nullopt;
  return std::make_pair(*date, *id);
}

namespace {

// ?limit= (1 to 200, default 50) and ?offset= of a list, after the errors of its filters.
template <typename Query>
Result<Query> Paged(const Request& req, Query q, std::vector<FieldError> errors) {
  auto limit = ParseLimit(req, 50, 200, errors);
  auto offset = ParseOffset(req, errors);
  if (!errors.empty()) return BadRequest(std::move(errors));
  q.limit = *limit;
  q.offset = *offset;
  return q;
}

}  // namespace

Result<app::CustomerQuery> ParseCustomerQuery(const Request& req) {
  app::CustomerQuery q;
  q.text = Trim(req.Query("q").value_or(""));
  return Paged(req, std::move(q), {});
}

Result<app::InvoiceQuery> ParseInvoiceQuery(const Request& req) {
  std::vector<FieldError> errors;
  app::InvoiceQuery q;
  q.text = Trim(req.Query("q").value_or(""));
  if (auto st = req.Query("status")) {
    q.status = domain::ParseInvoiceStatus(*st);
    if (!q.status) errors.push_back({"status", "Erlaubt: draft, finalized, cancelled."});
  }
  if (auto c = req.Query("customer_id")) {
    q.customer_id = ParseId(*c);
    if (!q.customer_id) errors.push_back({"customer_id", "Kunden-ID erwartet."});
  }
  if (auto pay = req.Query("payment"); pay && !pay->empty() && *pay != "all") {
    if (*pay == "open")
      q.payment = app::PaymentFilter::kOpen;
    else if (*pay == "overdue")
      q.payment = app::PaymentFilter::kOverdue;
    else if (*pay == "paid")
      q.payment = app::PaymentFilter::kPaid;
    else
      errors.push_back({"payment", "Erlaubt: open, overdue, paid oder all."});
  }
  return Paged(req, std::move(q), std::move(errors));
}

namespace {

// type, from, to, q, sort and sevdesk of the receipt list.
void ParseReceiptFilters(const Request& req, app::ReceiptQuery& q,
                         std::vector<FieldError>& errors) {
  if (auto t = req.Query("type"); t && !t->empty() && *t != "all") {
    q.type = domain::ParseReceiptType(*t);
    if (!q.type) errors.push_back({"type", "Erlaubt: income, expense oder all."});
  }
  if (auto f = req.Query("from"); f && !f->empty()) {
    q.from = ParseIsoDate(*f);
    if (!q.from) errors.push_back({"from", "Datum im Format JJJJ-MM-TT erwartet."});
  }
  if (auto t = req.Query("to"); t && !t->empty()) {
    q.to = ParseIsoDate(*t);
    if (!q.to) errors.push_back({"to", "Datum im Format JJJJ-MM-TT erwartet."});
  }
  q.text = Trim(req.Query("q").value_or(""));
  if (auto s = req.Query("sort")) {
    if (*s == "date") {
      q.order = app::SortOrder::kDateAsc;
    } else if (*s != "-date") {
      errors.push_back({"sort", "Erlaubt: date oder -date."});
    }
  }
  if (auto sd = req.Query("sevdesk"); sd && !sd->empty()) {
    static const std::set<std::string> kStates = {"not_transferred", "queued", "in_progress",
                                                  "transferred",     "failed", "waiting"};
    if (kStates.count(*sd)) {
      q.sevdesk_status = *sd;
    } else {
      errors.push_back({"sevdesk",
                        "Erlaubt: not_transferred, queued, in_progress, transferred, failed, "
                        "waiting."});
    }
  }
}

}  // namespace

Result<app::ReceiptQuery> ParseReceiptQuery(const Request& req, bool sevdesk_paused) {
  std::vector<FieldError> errors;
  app::ReceiptQuery q;
  ParseReceiptFilters(req, q, errors);
  q.sevdesk_paused = sevdesk_paused;
  auto limit = ParseLimit(req, 50, 500, errors);
  if (auto c = req.Query("cursor"); c && !c->empty()) {
    q.after = DecodeCursor(*c);
    if (!q.after) errors.push_back({"cursor", "Ungültiger Cursor."});
  }
  if (auto pg = req.Query("page")) {
    auto n = ParseLimit(req, 1, 1000000, errors, "page");
    if (n && limit) q.offset = (*n - 1) * *limit;
  }
  if (!errors.empty()) return BadRequest(std::move(errors));
  q.limit = *limit;
  return q;
}

namespace {

// A text field of a multipart form, trimmed; "" when missing.
std::string FormField(const Request& req, const char* name) {
  const UploadedFile* f = req.File(name);
  return f ? Trim(f->content) : std::string{};
}

void ParseFormInt(const Request& req, const char* name, std::int64_t& out,
                  std::vector<FieldError>& errors) {
  const std::string v = FormField(req, name);
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
    errors.push_back({name, "Ganze Zahl erwartet."});
  }
}

}  // namespace

Result<ExpenseUpload> ParseExpenseUpload(const Request& req) {
  auto ct = ToLowerAscii(req.Header("Content-Type").value_or(""));
  if (ct.rfind("multipart/form-data", 0) != 0) {
    return Fail(ErrorCode::kUnsupportedMedia, "unsupported_media_type",
                "Belege werden als multipart/form-data mit Datei hochgeladen.");
  }
  std::vector<FieldError> errors;
  static const std::set<std::string> kKnown = {
      "file", "date", "amount_gross_cents", "vat_rate", "description", "supplier", "number"};
  for (const auto& f : req.files) {
    if (!kKnown.count(f.name)) errors.push_back({f.name, "Unbekanntes Feld."});
    if (f.name != "file" && !IsValidUtf8(f.content)) {
      errors.push_back({f.name, "Kein gültiger Text (UTF-8)."});
    }
  }
  domain::NewExpense e;
  if (auto d = ParseIsoDate(FormField(req, "date"))) {
    e.date = *d;
  } else {
    errors.push_back({"date", "Datum im Format JJJJ-MM-TT erwartet."});
  }
  std::int64_t vat = 19;
  ParseFormInt(req, "amount_gross_cents", e.amount_gross_cents, errors);
  ParseFormInt(req, "vat_rate", vat, errors);
  e.vat_rate = static_cast<int>(std::clamp<std::int64_t>(vat, -1, 1000));
  e.description = FormField(req, "description");
  e.supplier = FormField(req, "supplier");
  e.number = FormField(req, "number");
  const UploadedFile* file = req.File("file");
  if (!file || file->filename.empty()) errors.push_back({"file", "Bitte eine Datei hochladen."});
  if (!errors.empty()) return BadRequest(std::move(errors));
  return ExpenseUpload{std::move(e), file};
}

Result<app::ConnectionUpdate> ParseConnectionUpdate(const Json& body) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors,
                 {"has_token", "state", "paused_reason", "last_test", "bookkeeping_version",
                  "sevdesk_user", "sevdesk_tax_mode", "revenue_accounts"});
  app::ConnectionUpdate u;
  if (r.Has("api_token")) {
    // A masked value sent back unchanged means "keep the stored token".
    auto token = r.RawString("api_token");
    if (token && token->find("••") == std::string::npos) u.token = *token;
  }
  if (auto e = r.Bool("enabled")) u.enabled = *e;
  if (r.Has("revenue_account_id")) {
    if (body["revenue_account_id"].is_null()) {
      // null clears the choice. Reading it marks the key as known; only the type error
      // that read records for the null is dropped, never the other fields' errors.
      const std::size_t before = errors.size();
      r.Int("revenue_account_id");
      errors.erase(errors.begin() + static_cast<std::ptrdiff_t>(before), errors.end());
      u.revenue_account_id = std::optional<std::int64_t>{};
    } else if (auto id = r.Int("revenue_account_id")) {
      u.revenue_account_id = std::optional<std::int64_t>{*id};
    }
  }
  if (auto [has, d] = r.OptionalDate("transfer_start_date"); has) {
    u.transfer_start_date = d;
  }
  r.Finish();
  if (!errors.empty()) return BadRequest(std::move(errors));
  return u;
}

namespace {

// The "filter" object of a batch: income receipts not transferred yet, in a date range.
void ParseBatchFilter(const Json& f, app::BatchRequest& b, std::vector<FieldError>& errors) {
  b.use_filter = true;
  ObjectReader fr(f, "filter.", errors);
  if (auto t = fr.String("type"); t && *t != "income") {
    fr.Error("type", "Nur Einnahmen (income) werden an sevdesk übertragen.");
  }
  if (auto [has, d] = fr.OptionalDate("from"); has) b.from = d;
  if (auto [has, d] = fr.OptionalDate("to"); has) b.to = d;
  if (auto o = fr.Bool("only_not_transferred"); o && !*o) {
    fr.Error("only_not_transferred",
             "Bereits übertragene Belege werden nie ein zweites Mal gesendet.");
  }
  fr.Finish();
}

}  // namespace

Result<app::BatchRequest> ParseBatchRequest(const Json& body) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors);
  app::BatchRequest b;
  if (const Json* ids = r.Array("receipt_ids")) {
    for (std::size_t i = 0; i < ids->size(); ++i) {
      if (!(*ids)[i].is_number_integer()) {
        errors.push_back({"receipt_ids[" + std::to_string(i) + "]", "Beleg-ID erwartet."});
      } else {
        b.receipt_ids.push_back((*ids)[i].get<std::int64_t>());
      }
    }
  }
  if (const Json* f = r.Object("filter")) ParseBatchFilter(*f, b, errors);
  r.Finish();
  if (!b.use_filter && b.receipt_ids.empty() && errors.empty()) {
    errors.push_back({"receipt_ids", "Bitte Belege auswählen oder einen Filter angeben."});
  }
  if (b.use_filter && !b.receipt_ids.empty()) {
    errors.push_back({"filter", "Entweder receipt_ids oder filter, nicht beides."});
  }
  if (!errors.empty()) return BadRequest(std::move(errors));
  return b;
}

}  // namespace hs::http::api
