// The sevdesk integration: the connection, transfers, a receipt's transfer history.
#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

namespace {

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

std::span<const Route> SevdeskRoutes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/api/v1/integrations/sevdesk", Access::kSession, &Handlers::GetConnection,
       "The school's sevdesk connection"},
      {"PUT", "/api/v1/integrations/sevdesk", Access::kSession, &Handlers::UpdateConnection,
       "Change the sevdesk connection (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/test", Access::kSession, &Handlers::TestConnection,
       "\"Verbindung testen\" (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/transfers", Access::kSession,
       &Handlers::CreateTransfers, "\"Zu Sevdesk übertragen\": queue older income receipts"},
      {"GET", "/api/v1/integrations/sevdesk/transfers/{batch}", Access::kSession,
       &Handlers::GetTransferBatch, "Progress of a batch"},
      {"GET", "/api/v1/receipts/{id}/sevdesk", Access::kSession, &Handlers::ReceiptTransfer,
       "The receipt's sevdesk transfer with its history"},
      {"POST", "/api/v1/receipts/{id}/sevdesk/retry", Access::kSession, &Handlers::RetryTransfer,
       "Try a failed transfer again"},
      {"GET", "/api/v1/integrations/sevdesk/matching", Access::kSession, &Handlers::GetMatching,
       "Kundenabgleich: the review list"},
      {"PUT", "/api/v1/integrations/sevdesk/matching/settings", Access::kSession,
       &Handlers::UpdateMatchingSettings, "Kundenabgleich settings (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/matching/run", Access::kSession,
       &Handlers::RunMatching, "\"Kundenabgleich starten\" (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/matching/accept-unambiguous", Access::kSession,
       &Handlers::AcceptUnambiguousMatches, "\"Alle eindeutigen übernehmen\" (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/matching/{customer}/link", Access::kSession,
       &Handlers::LinkMatch, "\"Verknüpfen\" (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/matching/{customer}/create", Access::kSession,
       &Handlers::CreateForMatch, "\"Neu in sevdesk anlegen\" (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/matching/{customer}/later", Access::kSession,
       &Handlers::PostponeMatch, "\"Später\" (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/matching/{customer}/unlink", Access::kSession,
       &Handlers::UnlinkMatch, "\"Verknüpfung lösen\" (owner only)"},
  };
  return kRoutes;
}

Response Handlers::GetConnection(const Request&, const app::Principal& p) {
  app::SevdeskService& sd = *s_.sevdesk;
  auto v = sd.GetConnection(p.school_id);
  if (!v) return ErrorResponse(v.error());
  return Ok(200, ViewJson(*v));
}

Response Handlers::UpdateConnection(const Request& req, const app::Principal& p) {
  app::SevdeskService& sd = *s_.sevdesk;
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto u = ParseConnectionUpdate(*body);
  if (!u) return ErrorResponse(u.error());
  auto v = sd.UpdateConnection(p, *u);
  if (!v) return ErrorResponse(v.error());
  return Ok(200, ViewJson(*v));
}

Response Handlers::TestConnection(const Request&, const app::Principal& p) {
  app::SevdeskService& sd = *s_.sevdesk;
  auto r = sd.Test(p);
  if (!r) return ErrorResponse(r.error());
  return Ok(200, {{"ok", r->ok},
                  {"outcome", r->outcome},
                  {"message", r->message},
                  {"bookkeeping_version",
                   r->bookkeeping_version.empty() ? Json(nullptr) : Json(r->bookkeeping_version)},
                  {"sevdesk_user", r->sevdesk_user.empty() ? Json(nullptr) : Json(r->sevdesk_user)},
                  {"sevdesk_tax_mode",
                   r->sevdesk_tax_mode.empty() ? Json(nullptr) : Json(r->sevdesk_tax_mode)},
                  {"revenue_accounts", AccountsJson(r->revenue_accounts)}});
}

Response Handlers::CreateTransfers(const Request& req, const app::Principal& p) {
  app::SevdeskService& sd = *s_.sevdesk;
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto b = ParseBatchRequest(*body);
  if (!b) return ErrorResponse(b.error());
  auto created = sd.CreateBatch(p, *b);
  if (!created) return ErrorResponse(created.error());
  Json skipped = Json::array();
  for (const auto& s : created->skipped) {
    skipped.push_back({{"receipt_id", s.receipt_id}, {"reason", s.reason}, {"message", s.message}});
  }
  Response res = Ok(202, {{"batch_id", created->batch_id},
                          {"queued", created->queued},
                          {"skipped", skipped},
                          {"skipped_count", skipped.size()}});
  res.AddHeader("Location",
                "/api/v1/integrations/sevdesk/transfers/" + std::to_string(created->batch_id));
  return res;
}

Response Handlers::GetTransferBatch(const Request& req, const app::Principal& p) {
  app::SevdeskService& sd = *s_.sevdesk;
  auto id = ParseId(req.PathParam("batch"));
  if (!id) return NotFoundResponse();
  auto s = sd.GetBatch(p.school_id, *id);
  if (!s) return ErrorResponse(s.error());
  const auto& b = s->progress.batch;
  const std::int64_t skipped = b.skipped_already + b.skipped_expense + b.skipped_other;
  return Ok(200, {{"batch_id", b.id},
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
}

Response Handlers::ReceiptTransfer(const Request& req, const app::Principal& p) {
  app::SevdeskService& sd = *s_.sevdesk;
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto h = sd.History(p.school_id, *id);
  if (!h) return ErrorResponse(h.error());
  return Ok(200, HistoryJson(*h));
}

Response Handlers::RetryTransfer(const Request& req, const app::Principal& p) {
  app::SevdeskService& sd = *s_.sevdesk;
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto h = sd.Retry(p.school_id, *id);
  if (!h) return ErrorResponse(h.error());
  return Ok(200, HistoryJson(*h));
}

}  // namespace hs::http::api
