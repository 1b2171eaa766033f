#pragma once
// The route table of the JSON API: method, pattern, access and handler of every route, as data.
// Api registers it; the OpenAPI conformance test reads it (docs/openapi.yaml documents exactly
// these routes, with these summaries).
#include <span>
#include <string_view>
#include <vector>

#include "app/services.hpp"
#include "http/http_types.hpp"

namespace hs::http::api {

class Handlers;

enum class Access {
  kPublic,   // anyone
  kSession,  // a valid session cookie; every method but GET also the X-CSRF-Token header
};

// Public routes are called with an empty principal (no user, no school) and must not read it.
using RouteHandler = Response (Handlers::*)(const Request&, const app::Principal&);

struct Route {
  std::string_view method;
  std::string_view pattern;  // "/api/v1/invoices/{id}/pdf"
  Access access;
  RouteHandler handler;
  std::string_view summary;  // the operation's summary in docs/openapi.yaml
};

// The tables by resource, each next to its handlers (service_handlers.cpp, ...).
std::span<const Route> ServiceRoutes();  // health and metrics
std::span<const Route> SessionRoutes();
std::span<const Route> SettingsRoutes();
std::span<const Route> CustomerRoutes();
std::span<const Route> InvoiceRoutes();
std::span<const Route> ReceiptRoutes();
std::span<const Route> SevdeskRoutes();      // served only when the integration is wired
std::span<const Route> PaymentSyncRoutes();  // issue 16; with the sevdesk routes
std::span<const Route> PaymentRoutes();      // issue 16; served only when payments are wired

// Every route but the sevdesk integration's.
const std::vector<Route>& CoreRoutes();
// Every route: what the server serves with the sevdesk integration wired.
const std::vector<Route>& ApiRoutes();

}  // namespace hs::http::api
