// Zahlungsabgleich (issue 16, ADR 0018): the school's payment sync from sevdesk, its interval and
// "Jetzt abgleichen". A voucher deleted in sevdesk is transferred again with the receipt's retry
// route (POST /api/v1/receipts/{id}/sevdesk/retry).
#include <algorithm>

#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

namespace {

Json OptInstant(const std::optional<Instant>& at) {
  return at ? Json(FormatIsoInstant(*at)) : Json(nullptr);
}

Json SyncJson(const app::PaymentSyncView& v) {
  Json last = nullptr;
  if (v.last_sync_at) {
    last = {{"at", FormatIsoInstant(*v.last_sync_at)},
            {"ok", v.last_sync_ok},
            {"requests", v.last_requests},
            {"vouchers", v.last_vouchers},
            {"error", v.last_error.empty() ? Json(nullptr) : Json(v.last_error)}};
  }
  return {{"available", v.available},
          {"interval_minutes", v.interval_minutes},
          {"min_interval_minutes", app::kPaymentSyncMinInterval},
          {"max_interval_minutes", app::kPaymentSyncMaxInterval},
          {"last_sync", last},
          {"next_due_at", OptInstant(v.next_due_at)},
          {"running", v.running},
          {"requested", v.requested}};
}

Result<int> ParseSyncSettings(const Json& body) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors);
  auto minutes = r.Int("interval_minutes");
  r.Finish();
  if (errors.empty() && !minutes) {
    errors.push_back({"interval_minutes", "Bitte den Abstand in Minuten angeben."});
  }
  if (!errors.empty()) return BadRequest(std::move(errors));
  // Out of range (also beyond int) is the service's German answer.
  return static_cast<int>(std::clamp<std::int64_t>(*minutes, -1, 100000));
}

}  // namespace

std::span<const Route> PaymentSyncRoutes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/api/v1/integrations/sevdesk/payment-sync", Access::kSession,
       &Handlers::GetPaymentSync, "Zahlungsabgleich: the school's payment sync"},
      {"PUT", "/api/v1/integrations/sevdesk/payment-sync", Access::kSession,
       &Handlers::UpdatePaymentSync, "Change the payment sync's interval (owner only)"},
      {"POST", "/api/v1/integrations/sevdesk/payment-sync/run", Access::kSession,
       &Handlers::RunPaymentSync, "\"Jetzt abgleichen\""},
  };
  return kRoutes;
}

Response Handlers::GetPaymentSync(const Request&, const app::Principal& p) {
  auto v = s_.sevdesk->PaymentSync().State(p.school_id);
  if (!v) return ErrorResponse(v.error());
  return Ok(200, SyncJson(*v));
}

Response Handlers::UpdatePaymentSync(const Request& req, const app::Principal& p) {
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto minutes = ParseSyncSettings(*body);
  if (!minutes) return ErrorResponse(minutes.error());
  auto v = s_.sevdesk->PaymentSync().UpdateSettings(p, *minutes);
  if (!v) return ErrorResponse(v.error());
  return Ok(200, SyncJson(*v));
}

Response Handlers::RunPaymentSync(const Request&, const app::Principal& p) {
  auto v = s_.sevdesk->PaymentSync().RequestSync(p);
  if (!v) return ErrorResponse(v.error());
  return Ok(202, SyncJson(*v));
}

}  // namespace hs::http::api
