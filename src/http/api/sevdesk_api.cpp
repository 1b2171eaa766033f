// The sevdesk integration's routes (part of the one route table of Api).
#include <charconv>

#include "http/api/api.hpp"
#include "http/api/json_mapping.hpp"

namespace hs::http::api {

namespace {

std::optional<std::int64_t> PathId(const Request& req, const char* name) {
  const std::string text = req.PathParam(name);
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

Response Json200(int status, const Json& j) {
  return JsonResponse(status, j.dump());
}

Response NotFoundJson() {
  return ErrorResponse(hs::Error{ErrorCode::kNotFound, "not_found", "Nicht gefunden.", {}, {}});
}

Result<Json> JsonBodyOf(const Request& req) {
  auto ct = req.Header("Content-Type");
  std::string lower = ct.value_or("");
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("application/json", 0) != 0) {
    return Fail(ErrorCode::kUnsupportedMedia, "unsupported_media_type",
                "Bitte JSON senden (Content-Type: application/json).");
  }
  return ParseObject(req.body);
}

Json AccountsJson(const std::vector<app::RevenueAccount>& accounts) {
  Json out = Json::array();
  for (const auto& a : accounts) {
    Json rules = Json::array();
    for (const auto& r : a.rules) rules.push_back({{"tax_rule", r.tax_rule}, {"rates", r.rates}});
    out.push_back({{"id", a.id}, {"number", a.number}, {"name", a.name}, {"tax_rules", rules}});
  }
  return out;
}

Json ViewJson(const app::ConnectionView& v) {
  return {
      {"has_token", v.has_token},
      {"api_token", v.has_token ? Json(v.token_masked) : Json(nullptr)},
      {"enabled", v.enabled},
      {"state", v.state},
      {"paused_reason", v.paused_reason.empty() ? Json(nullptr) : Json(v.paused_reason)},
      {"revenue_account_id", v.revenue_account_id ? Json(*v.revenue_account_id) : Json(nullptr)},
      {"transfer_start_date",
       v.transfer_start_date ? Json(FormatIsoDate(*v.transfer_start_date)) : Json(nullptr)},
      {"last_test", v.last_test_at ? Json{{"at", FormatIsoInstant(*v.last_test_at)},
                                          {"ok", v.last_test_ok},
                                          {"outcome", v.last_test_outcome},
                                          {"message", v.last_test_message}}
                                   : Json(nullptr)},
      {"bookkeeping_version",
       v.bookkeeping_version.empty() ? Json(nullptr) : Json(v.bookkeeping_version)},
      {"sevdesk_user", v.sevdesk_user.empty() ? Json(nullptr) : Json(v.sevdesk_user)},
      {"sevdesk_tax_mode", v.sevdesk_tax_mode.empty() ? Json(nullptr) : Json(v.sevdesk_tax_mode)},
      {"revenue_accounts", AccountsJson(v.revenue_accounts)}};
}

Json HistoryJson(const app::TransferHistory& h) {
  Json events = Json::array();
  for (const auto& e : h.events) {
    events.push_back({{"at", FormatIsoInstant(e.at)}, {"kind", e.kind}, {"message", e.message}});
  }
  return {{"sevdesk", ToJson(h.status)}, {"events", events}};
}

}  // namespace

void Api::RegisterSevdeskRoutes() {
  app::SevdeskService& sd = *s_.sevdesk;

  AddAuthed("GET", "/api/v1/integrations/sevdesk", [&sd](const Request&, const app::Principal& p) {
    auto v = sd.GetConnection(p.school_id);
    if (!v) return ErrorResponse(v.error());
    return Json200(200, ViewJson(*v));
  });

  AddAuthed(
      "PUT", "/api/v1/integrations/sevdesk", [&sd](const Request& req, const app::Principal& p) {
        auto body = JsonBodyOf(req);
        if (!body) return ErrorResponse(body.error());
        std::vector<FieldError> errors;
        ObjectReader r(*body, "", errors,
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
          if ((*body)["revenue_account_id"].is_null()) {
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
        if (!errors.empty()) return ErrorResponse(BadRequest(std::move(errors)).value());
        auto v = sd.UpdateConnection(p, u);
        if (!v) return ErrorResponse(v.error());
        return Json200(200, ViewJson(*v));
      });

  AddAuthed(
      "POST", "/api/v1/integrations/sevdesk/test", [&sd](const Request&, const app::Principal& p) {
        auto r = sd.Test(p);
        if (!r) return ErrorResponse(r.error());
        return Json200(
            200, {{"ok", r->ok},
                  {"outcome", r->outcome},
                  {"message", r->message},
                  {"bookkeeping_version",
                   r->bookkeeping_version.empty() ? Json(nullptr) : Json(r->bookkeeping_version)},
                  {"sevdesk_user", r->sevdesk_user.empty() ? Json(nullptr) : Json(r->sevdesk_user)},
                  {"sevdesk_tax_mode",
                   r->sevdesk_tax_mode.empty() ? Json(nullptr) : Json(r->sevdesk_tax_mode)},
                  {"revenue_accounts", AccountsJson(r->revenue_accounts)}});
      });

  AddAuthed(
      "POST", "/api/v1/integrations/sevdesk/transfers",
      [&sd](const Request& req, const app::Principal& p) {
        auto body = JsonBodyOf(req);
        if (!body) return ErrorResponse(body.error());
        std::vector<FieldError> errors;
        ObjectReader r(*body, "", errors);
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
        if (const Json* f = r.Object("filter")) {
          b.use_filter = true;
          ObjectReader fr(*f, "filter.", errors);
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
        r.Finish();
        if (!b.use_filter && b.receipt_ids.empty() && errors.empty()) {
          errors.push_back({"receipt_ids", "Bitte Belege auswählen oder einen Filter angeben."});
        }
        if (b.use_filter && !b.receipt_ids.empty()) {
          errors.push_back({"filter", "Entweder receipt_ids oder filter, nicht beides."});
        }
        if (!errors.empty()) return ErrorResponse(BadRequest(std::move(errors)).value());
        auto created = sd.CreateBatch(p, b);
        if (!created) return ErrorResponse(created.error());
        Json skipped = Json::array();
        for (const auto& s : created->skipped) {
          skipped.push_back(
              {{"receipt_id", s.receipt_id}, {"reason", s.reason}, {"message", s.message}});
        }
        Response res = Json200(202, {{"batch_id", created->batch_id},
                                     {"queued", created->queued},
                                     {"skipped", skipped},
                                     {"skipped_count", skipped.size()}});
        res.AddHeader("Location", "/api/v1/integrations/sevdesk/transfers/" +
                                      std::to_string(created->batch_id));
        return res;
      });

  AddAuthed("GET", "/api/v1/integrations/sevdesk/transfers/{batch}",
            [&sd](const Request& req, const app::Principal& p) {
              auto id = PathId(req, "batch");
              if (!id) return NotFoundJson();
              auto s = sd.GetBatch(p.school_id, *id);
              if (!s) return ErrorResponse(s.error());
              const auto& b = s->progress.batch;
              const std::int64_t skipped = b.skipped_already + b.skipped_expense + b.skipped_other;
              return Json200(
                  200, {{"batch_id", b.id},
                        {"created_at", FormatIsoInstant(b.created_at)},
                        {"total", s->total},
                        {"done", s->done},
                        {"failed", s->progress.failed},
                        {"skipped", skipped},
                        {"remaining", s->remaining},
                        {"queued", s->progress.queued + s->progress.retry_wait},
                        {"in_progress", s->progress.running},
                        {"finished", s->remaining == 0},
                        {"eta_seconds", s->eta_seconds ? Json(*s->eta_seconds) : Json(nullptr)}});
            });

  AddAuthed("GET", "/api/v1/receipts/{id}/sevdesk",
            [&sd](const Request& req, const app::Principal& p) {
              auto id = PathId(req, "id");
              if (!id) return NotFoundJson();
              auto h = sd.History(p.school_id, *id);
              if (!h) return ErrorResponse(h.error());
              return Json200(200, HistoryJson(*h));
            });

  AddAuthed("POST", "/api/v1/receipts/{id}/sevdesk/retry",
            [&sd](const Request& req, const app::Principal& p) {
              auto id = PathId(req, "id");
              if (!id) return NotFoundJson();
              auto h = sd.Retry(p.school_id, *id);
              if (!h) return ErrorResponse(h.error());
              return Json200(200, HistoryJson(*h));
            });
}

}  // namespace hs::http::api
