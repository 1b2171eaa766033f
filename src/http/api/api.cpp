#include "http/api/api.hpp"

#include <charconv>

#include "core/log.hpp"
#include "core/text.hpp"
#include "http/api/downloads.hpp"
#include "http/api/json_mapping.hpp"

namespace hs::http::api {

namespace {

Response Ok(int status, const Json& body) {
  return JsonResponse(status, body.dump());
}

std::optional<std::int64_t> ParseId(const std::string& text) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

Response NotFoundResponse() {
  return ErrorResponse(hs::Error{ErrorCode::kNotFound, "not_found", "Nicht gefunden.", {}, {}});
}

// Parses ?limit= within [1, max]; records a detail on bad input.
std::optional<int> ParseLimit(const Request& req, int fallback, int max,
                              std::vector<FieldError>& errors, const char* name = "limit") {
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

// A request body that must be a JSON object sent as application/json.
Result<Json> JsonBody(const Request& req) {
  auto ct = req.Header("Content-Type");
  if (!ct || ToLowerAscii(*ct).rfind("application/json", 0) != 0) {
    return Fail(ErrorCode::kUnsupportedMedia, "unsupported_media_type",
                "Bitte JSON senden (Content-Type: application/json).");
  }
  return ParseObject(req.body);
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

struct Credentials {
  std::string email;
  std::string password;
};

// E-mail and password of a login body: missing ones are a 400, too long ones a 422 before
// anything else looks at them.
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

// Cursor "YYYY-MM-DD.<id>" (opaque to clients).
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

}  // namespace

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return 400;
    case ErrorCode::kInvalidArgument:
      return 422;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kUnsupportedMedia:
      return 415;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Response JsonResponse(int status, const std::string& json_text) {
  return Response::Json(status, json_text);
}

hs::Error ShownError(const hs::Error& error) {
  hs::Error shown = error;
  // Internal details (SQL, paths, driver text) are for the log, not for the school.
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal) {
    Log(LogLevel::kError, "api", error.reason + ": " + error.message);
  }
  if (error.code == ErrorCode::kUnavailable) {
    shown.message = "Der Dienst ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.";
    shown.details.clear();
  } else if (error.code == ErrorCode::kInternal) {
    shown.message = "Ein interner Fehler ist aufgetreten. Bitte später erneut versuchen.";
    shown.details.clear();
  } else if (error.reason == "constraint") {
    shown.message = std::string(app::kConstraintMessage);
    shown.details.clear();
  }
  return shown;
}

Response ErrorResponse(const hs::Error& error) {
  const hs::Error shown = ShownError(error);
  Response r = Response::Json(StatusFor(error.code), ErrorToJson(shown).dump());
  if (error.retry_after) r.AddHeader("Retry-After", std::to_string(error.retry_after->count()));
  return r;
}

Api::Api(ApiServices services, ApiSettings settings)
    : s_(services), settings_(std::move(settings)) {
  RegisterRoutes();
  if (s_.sevdesk) RegisterSevdeskRoutes();
}

void Api::AddPublic(std::string method, std::string pattern, Handler handler) {
  router_.Add(std::move(method), std::move(pattern), std::move(handler));
}

void Api::AddAuthed(std::string method, std::string pattern, AuthedHandler handler) {
  const bool state_changing = method != "GET";
  router_.Add(std::move(method), std::move(pattern),
              [this, state_changing, handler = std::move(handler)](const Request& req) {
                auto token = req.Cookie(settings_.session_cookie);
                auto principal = s_.auth.Authenticate(token.value_or(""));
                if (!principal) return ErrorResponse(principal.error());
                if (state_changing) {
                  auto csrf = req.Header("X-CSRF-Token");
                  if (!csrf || !ConstantTimeEquals(*csrf, principal->csrf_token)) {
                    return ErrorResponse(
                        hs::Error{ErrorCode::kForbidden,
                                  "csrf_token_invalid",
                                  "Sicherheitsprüfung fehlgeschlagen. Bitte die Seite neu laden.",
                                  {},
                                  {}});
                  }
                }
                return handler(req, *principal);
              });
}

Response Api::Handle(const Request& incoming) {
  const auto started = std::chrono::steady_clock::now();
  Request req = incoming;
  auto match = router_.Find(req);
  Response res;
  std::string route = match.handler ? match.pattern : "unmatched";
  try {
    if (match.handler) {
      const bool has_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
      if (has_body && !req.body.empty() && req.files.empty() &&
          req.body.size() > settings_.max_json_bytes) {
        res = ErrorResponse(hs::Error{
            ErrorCode::kPayloadTooLarge, "payload_too_large", "Die Anfrage ist zu groß.", {}, {}});
      } else {
        res = (*match.handler)(req);
      }
    } else if (match.path_known) {
      res = ErrorResponse(hs::Error{ErrorCode::kBadRequest,
                                    "method_not_allowed",
                                    "Diese Methode ist hier nicht erlaubt.",
                                    {},
                                    {}});
      res.status = 405;
    } else if (fallback_ && req.path.rfind("/api/", 0) != 0) {
      res = fallback_(req);
      route = "static";
    } else {
      res = NotFoundResponse();
    }
  } catch (const std::exception&) {
    res = ErrorResponse(hs::Error{ErrorCode::kInternal, "internal", "", {}, {}});
  }
  res.AddHeader("X-Content-Type-Options", "nosniff");
  res.AddHeader("X-Frame-Options", "DENY");
  res.AddHeader("Referrer-Policy", "no-referrer");
  if (route != "static") {
    res.AddHeader("Cache-Control", "no-store");
    res.AddHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }
  s_.metrics.ObserveRequest(req.method, route, res.status,
                            std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started));
  return res;
}

std::string Api::SessionCookie(const std::string& value, const char* max_age) const {
  std::string cookie = settings_.session_cookie + "=" + value +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + max_age;
  if (settings_.secure_cookies) cookie += "; Secure";
  return cookie;
}

Response Api::Login(const Request& req) {
  auto credentials = ReadCredentials(req);
  if (!credentials) return ErrorResponse(credentials.error());
  auto login = s_.auth.Login(credentials->email, credentials->password,
                             ClientAddress(req, settings_.trusted_proxies));
  if (!login) return ErrorResponse(login.error());
  auto school = s_.schools.Get(login->principal.school_id);
  if (!school) return ErrorResponse(school.error());
  Json out = {{"csrf_token", login->csrf_token},
              {"user",
               {{"id", login->principal.user_id},
                {"email", login->principal.email},
                {"role", app::ToString(login->principal.role)}}},
              {"school", {{"id", school->id}, {"name", school->name}}}};
  Response res = Ok(200, out);
  res.AddHeader("Set-Cookie", SessionCookie(login->session_token, "1209600"));
  return res;
}

Response Api::Logout(const Request& req) {
  auto st = s_.auth.Logout(req.Cookie(settings_.session_cookie).value_or(""));
  if (!st) return ErrorResponse(st.error());
  Response res = Response::Json(204, "");
  res.AddHeader("Set-Cookie", SessionCookie("", "0"));
  return res;
}

void Api::RegisterRoutes() {
  // ---------------------------------------------------------------- health & metrics
  AddPublic("GET", "/healthz",
            [](const Request&) { return Response::Json(200, R"({"status":"ok"})"); });
  AddPublic("GET", "/metrics", [this](const Request&) {
    return Response::Text(200, s_.metrics.RenderPrometheus(), "text/plain; version=0.0.4");
  });

  // ---------------------------------------------------------------- session
  AddPublic("POST", "/api/v1/session", [this](const Request& req) { return Login(req); });
  AddAuthed("DELETE", "/api/v1/session",
            [this](const Request& req, const app::Principal&) { return Logout(req); });
  AddAuthed("GET", "/api/v1/me", [this](const Request&, const app::Principal& p) {
    auto school = s_.schools.Get(p.school_id);
    if (!school) return ErrorResponse(school.error());
    return Ok(200,
              {{"user", {{"id", p.user_id}, {"email", p.email}, {"role", app::ToString(p.role)}}},
               {"school",
                {{"id", school->id},
                 {"name", school->name},
                 {"tax_mode", domain::ToString(school->tax_mode)},
                 {"price_entry", domain::ToString(school->price_entry)}}},
               {"csrf_token", p.csrf_token}});
  });

  // ---------------------------------------------------------------- school settings
  AddAuthed("GET", "/api/v1/settings/school", [this](const Request&, const app::Principal& p) {
    auto school = s_.schools.Get(p.school_id);
    if (!school) return ErrorResponse(school.error());
    return Ok(200, ToJson(*school));
  });
  AddAuthed("PATCH", "/api/v1/settings/school",
            [this](const Request& req, const app::Principal& p) {
              auto body = JsonBody(req);
              if (!body) return ErrorResponse(body.error());
              auto school =
                  s_.schools.Update(p, [&](domain::School& s) { return ApplySchool(*body, s); });
              if (!school) return ErrorResponse(school.error());
              return Ok(200, ToJson(*school));
            });

  // ---------------------------------------------------------------- customers
  AddAuthed("GET", "/api/v1/customers", [this](const Request& req, const app::Principal& p) {
    std::vector<FieldError> errors;
    app::CustomerQuery q;
    q.text = Trim(req.Query("q").value_or(""));
    auto limit = ParseLimit(req, 50, 200, errors);
    auto offset = ParseOffset(req, errors);
    if (!errors.empty()) return ErrorResponse(BadRequest(std::move(errors)).value());
    q.limit = *limit;
    q.offset = *offset;
    auto page = s_.customers.List(p.school_id, q);
    if (!page) return ErrorResponse(page.error());
    Json items = Json::array();
    for (const auto& c : page->items) items.push_back(ToJson(c));
    return Ok(200, {{"items", items}, {"total", page->total}});
  });
  AddAuthed("POST", "/api/v1/customers", [this](const Request& req, const app::Principal& p) {
    auto body = JsonBody(req);
    if (!body) return ErrorResponse(body.error());
    domain::Customer c;
    if (auto st = ApplyCustomer(*body, c, true); !st) return ErrorResponse(st.error());
    auto created = s_.customers.Create(p.school_id, std::move(c));
    if (!created) return ErrorResponse(created.error());
    Response res = Ok(201, ToJson(*created));
    res.AddHeader("Location", "/api/v1/customers/" + std::to_string(created->id));
    return res;
  });
  AddAuthed("GET", "/api/v1/customers/{id}", [this](const Request& req, const app::Principal& p) {
    auto id = ParseId(req.PathParam("id"));
    if (!id) return NotFoundResponse();
    auto c = s_.customers.Get(p.school_id, *id);
    if (!c) return ErrorResponse(c.error());
    return Ok(200, ToJson(*c));
  });
  AddAuthed("PATCH", "/api/v1/customers/{id}", [this](const Request& req, const app::Principal& p) {
    auto id = ParseId(req.PathParam("id"));
    if (!id) return NotFoundResponse();
    auto body = JsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto c = s_.customers.Update(p.school_id, *id, [&](domain::Customer& customer) {
      return ApplyCustomer(*body, customer, false);
    });
    if (!c) return ErrorResponse(c.error());
    return Ok(200, ToJson(*c));
  });
  AddAuthed("DELETE", "/api/v1/customers/{id}",
            [this](const Request& req, const app::Principal& p) {
              auto id = ParseId(req.PathParam("id"));
              if (!id) return NotFoundResponse();
              auto st = s_.customers.Delete(p.school_id, *id);
              if (!st) return ErrorResponse(st.error());
              return Response::Json(204, "");
            });

  // ---------------------------------------------------------------- invoices
  AddAuthed("GET", "/api/v1/invoices", [this](const Request& req, const app::Principal& p) {
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
    auto limit = ParseLimit(req, 50, 200, errors);
    auto offset = ParseOffset(req, errors);
    if (!errors.empty()) return ErrorResponse(BadRequest(std::move(errors)).value());
    q.limit = *limit;
    q.offset = *offset;
    auto page = s_.invoices.List(p.school_id, q);
    if (!page) return ErrorResponse(page.error());
    Json items = Json::array();
    for (const auto& i : page->items) items.push_back(ToJson(i));
    return Ok(200, {{"items", items}, {"total", page->total}});
  });
  AddAuthed("POST", "/api/v1/invoices", [this](const Request& req, const app::Principal& p) {
    auto body = JsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto school = s_.schools.Get(p.school_id);
    if (!school) return ErrorResponse(school.error());
    domain::Invoice inv;
    inv.price_entry = school->price_entry;
    if (auto st = ApplyInvoice(*body, inv, true); !st) return ErrorResponse(st.error());
    auto created = s_.invoices.CreateDraft(p.school_id, std::move(inv));
    if (!created) return ErrorResponse(created.error());
    Response res = Ok(201, ToJson(*created));
    res.AddHeader("Location", "/api/v1/invoices/" + std::to_string(created->id));
    return res;
  });
  AddAuthed("GET", "/api/v1/invoices/{id}", [this](const Request& req, const app::Principal& p) {
    auto id = ParseId(req.PathParam("id"));
    if (!id) return NotFoundResponse();
    auto inv = s_.invoices.Get(p.school_id, *id);
    if (!inv) return ErrorResponse(inv.error());
    return Ok(200, ToJson(*inv));
  });
  AddAuthed("PATCH", "/api/v1/invoices/{id}", [this](const Request& req, const app::Principal& p) {
    auto id = ParseId(req.PathParam("id"));
    if (!id) return NotFoundResponse();
    auto body = JsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto inv = s_.invoices.UpdateDraft(p.school_id, *id, [&](domain::Invoice& invoice) {
      return ApplyInvoice(*body, invoice, false);
    });
    if (!inv) return ErrorResponse(inv.error());
    return Ok(200, ToJson(*inv));
  });
  AddAuthed("DELETE", "/api/v1/invoices/{id}", [this](const Request& req, const app::Principal& p) {
    auto id = ParseId(req.PathParam("id"));
    if (!id) return NotFoundResponse();
    auto st = s_.invoices.DeleteDraft(p.school_id, *id);
    if (!st) return ErrorResponse(st.error());
    return Response::Json(204, "");
  });
  AddAuthed("POST", "/api/v1/invoices/{id}/finalize",
            [this](const Request& req, const app::Principal& p) {
              auto id = ParseId(req.PathParam("id"));
              if (!id) return NotFoundResponse();
              auto inv = s_.invoices.Finalize(p.school_id, *id);
              if (!inv) return ErrorResponse(inv.error());
              return Ok(200, ToJson(*inv));
            });
  AddAuthed("POST", "/api/v1/invoices/{id}/cancel",
            [this](const Request& req, const app::Principal& p) {
              auto id = ParseId(req.PathParam("id"));
              if (!id) return NotFoundResponse();
              auto inv = s_.invoices.Cancel(p.school_id, *id);
              if (!inv) return ErrorResponse(inv.error());
              Response res = Ok(201, ToJson(*inv));
              res.AddHeader("Location", "/api/v1/invoices/" + std::to_string(inv->id));
              return res;
            });
  AddAuthed("GET", "/api/v1/invoices/{id}/pdf",
            [this](const Request& req, const app::Principal& p) {
              auto id = ParseId(req.PathParam("id"));
              if (!id) return NotFoundResponse();
              auto pdf = s_.invoices.GetPdf(p.school_id, *id);
              if (!pdf) return ErrorResponse(pdf.error());
              return FileDownload(std::move(*pdf), "rechnung-" + std::to_string(*id) + ".pdf");
            });

  // ---------------------------------------------------------------- receipts
  AddAuthed("GET", "/api/v1/receipts", [this](const Request& req, const app::Principal& p) {
    std::vector<FieldError> errors;
    app::ReceiptQuery q;
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
    bool paused = false;
    if (s_.sevdesk) {
      auto p_paused = s_.sevdesk->IsPaused(p.school_id);
      if (!p_paused) return ErrorResponse(p_paused.error());
      paused = *p_paused;
      q.sevdesk_paused = paused;
    }
    auto limit = ParseLimit(req, 50, 500, errors);
    if (auto c = req.Query("cursor"); c && !c->empty()) {
      q.after = DecodeCursor(*c);
      if (!q.after) errors.push_back({"cursor", "Ungültiger Cursor."});
    }
    if (auto pg = req.Query("page")) {
      auto n = ParseLimit(req, 1, 1000000, errors, "page");
      if (n && limit) q.offset = (*n - 1) * *limit;
    }
    if (!errors.empty()) return ErrorResponse(BadRequest(std::move(errors)).value());
    q.limit = *limit;
    auto page = s_.receipts.List(p.school_id, q);
    if (!page) return ErrorResponse(page.error());
    Json items = Json::array();
    for (const auto& r : page->items) {
      Json item = ToJson(static_cast<const domain::Receipt&>(r));
      if (s_.sevdesk && r.type == domain::ReceiptType::kIncome) {
        item["sevdesk"] = ToJson(s_.sevdesk->StatusOf(r.transfer, paused));
      } else {
        item["sevdesk"] = nullptr;
      }
      items.push_back(std::move(item));
    }
    Json next = nullptr;
    if (page->has_more && !page->items.empty()) {
      next = EncodeCursor(page->items.back().date, page->items.back().id);
    }
    return Ok(200, {{"items", items}, {"total", page->total}, {"next_cursor", next}});
  });
  AddAuthed("POST", "/api/v1/receipts", [this](const Request& req, const app::Principal& p) {
    auto ct = ToLowerAscii(req.Header("Content-Type").value_or(""));
    if (ct.rfind("multipart/form-data", 0) != 0) {
      return ErrorResponse(hs::Error{ErrorCode::kUnsupportedMedia,
                                     "unsupported_media_type",
                                     "Belege werden als multipart/form-data mit Datei hochgeladen.",
                                     {},
                                     {}});
    }
    std::vector<FieldError> errors;
    auto field = [&](const char* name) -> std::string {
      const UploadedFile* f = req.File(name);
      return f ? Trim(f->content) : std::string{};
    };
    static const std::set<std::string> kKnown = {
        "file", "date", "amount_gross_cents", "vat_rate", "description", "supplier", "number"};
    for (const auto& f : req.files) {
      if (!kKnown.count(f.name)) errors.push_back({f.name, "Unbekanntes Feld."});
      if (f.name != "file" && !IsValidUtf8(f.content)) {
        errors.push_back({f.name, "Kein gültiger Text (UTF-8)."});
      }
    }
    domain::NewExpense e;
    if (auto d = ParseIsoDate(field("date"))) {
      e.date = *d;
    } else {
      errors.push_back({"date", "Datum im Format JJJJ-MM-TT erwartet."});
    }
    auto parse_int = [&](const char* name, std::int64_t& out) {
      const std::string v = field(name);
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
      if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
        errors.push_back({name, "Ganze Zahl erwartet."});
      }
    };
    std::int64_t vat = 19;
    parse_int("amount_gross_cents", e.amount_gross_cents);
    parse_int("vat_rate", vat);
    e.vat_rate = static_cast<int>(std::clamp<std::int64_t>(vat, -1, 1000));
    e.description = field("description");
    e.supplier = field("supplier");
    e.number = field("number");
    const UploadedFile* file = req.File("file");
    if (!file || file->filename.empty()) errors.push_back({"file", "Bitte eine Datei hochladen."});
    if (!errors.empty()) return ErrorResponse(BadRequest(std::move(errors)).value());
    auto created = s_.receipts.CreateExpense(p.school_id, e, file->filename, file->content);
    if (!created) return ErrorResponse(created.error());
    Response res = Ok(201, ToJson(*created));
    res.AddHeader("Location", "/api/v1/receipts/" + std::to_string(created->id));
    return res;
  });
  AddAuthed("GET", "/api/v1/receipts/{id}", [this](const Request& req, const app::Principal& p) {
    auto id = ParseId(req.PathParam("id"));
    if (!id) return NotFoundResponse();
    auto r = s_.receipts.Get(p.school_id, *id);
    if (!r) return ErrorResponse(r.error());
    return Ok(200, ToJson(*r));
  });
  AddAuthed("GET", "/api/v1/receipts/{id}/file",
            [this](const Request& req, const app::Principal& p) {
              auto id = ParseId(req.PathParam("id"));
              if (!id) return NotFoundResponse();
              auto f = s_.receipts.GetFile(p.school_id, *id);
              if (!f) return ErrorResponse(f.error());
              return FileDownload(std::move(f->content), f->name);
            });
}

}  // namespace hs::http::api
