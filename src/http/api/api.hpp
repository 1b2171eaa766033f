#pragma once
// The JSON API (/api/v1): the route table (routes.hpp) registered with authentication and CSRF,
// error mapping, metrics.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/payment_service.hpp"
#include "app/services.hpp"
#include "app/sevdesk_service.hpp"
#include "core/clock.hpp"
#include "http/api/routes.hpp"
#include "http/http_types.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace hs::http::api {

struct ApiSettings {
  bool secure_cookies = false;  // set behind TLS so the session cookie is marked Secure
  std::size_t max_json_bytes = 1024 * 1024;
  std::string session_cookie = "hs_session";
  // Reverse proxies whose X-Forwarded-For names the client (for the login throttling).
  std::vector<std::string> trusted_proxies;
};

struct ApiServices {
  app::AuthService& auth;
  app::SchoolService& schools;
  app::CustomerService& customers;
  app::InvoiceService& invoices;
  app::ReceiptService& receipts;
  Metrics& metrics;
  app::SevdeskService* sevdesk = nullptr;   // null when the integration is not wired
  app::PaymentService* payments = nullptr;  // issue 16: "Zahlung erfassen"; null: not wired
};

using AuthedHandler = std::function<Response(const Request&, const app::Principal&)>;

class Api {
 public:
  Api(ApiServices services, ApiSettings settings);
  ~Api();

  // The handler for http::Server.
  Response Handle(const Request& request);

  // Extension points for other modules (sevdesk integration, UI).
  void AddPublic(std::string method, std::string pattern, Handler handler);
  void AddAuthed(std::string method, std::string pattern, AuthedHandler handler);
  // Serves paths no route matched (the static UI); API paths still answer JSON 404.
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }

 private:
  void Register(std::span<const Route> routes);
  // Runs `handler` for the session's principal; 401 without a session, 403 when a state-changing
  // request lacks the session's CSRF token.
  Response Authenticated(const Request& req, bool state_changing,
                         const AuthedHandler& handler) const;
  ApiServices s_;
  ApiSettings settings_;
  std::unique_ptr<Handlers> handlers_;
  Router router_;
  Handler fallback_;
};

// Helpers shared by API modules.
// The error as the school sees it: internal and storage details are replaced by German text
// (they belong in the log, where the storage adapters put them).
hs::Error ShownError(const hs::Error& error);
Response ErrorResponse(const hs::Error& error);
Response JsonResponse(int status, const std::string& json_text);
int StatusFor(ErrorCode code);

}  // namespace hs::http::api
