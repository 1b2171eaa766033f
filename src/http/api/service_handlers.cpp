// Health and metrics of the service.
#include "http/api/handlers.hpp"

namespace hs::http::api {

std::span<const Route> ServiceRoutes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/healthz", Access::kPublic, &Handlers::Health, "Liveness probe"},
      {"GET", "/metrics", Access::kPublic, &Handlers::GetMetrics, "Prometheus metrics"},
  };
  return kRoutes;
}

Response Handlers::Health(const Request&, const app::Principal&) {
  return Response::Json(200, R"({"status":"ok"})");
}

Response Handlers::GetMetrics(const Request&, const app::Principal&) {
  return Response::Text(200, s_.metrics.RenderPrometheus(), "text/plain; version=0.0.4");
}

}  // namespace hs::http::api
