#include "http/api/routes.hpp"

namespace hs::http::api {

namespace {

std::vector<Route> Concat(std::initializer_list<std::span<const Route>> tables) {
  std::vector<Route> routes;
  for (const auto& table : tables) routes.insert(routes.end(), table.begin(), table.end());
  return routes;
}

}  // namespace

const std::vector<Route>& CoreRoutes() {
  static const std::vector<Route> routes =
      Concat({ServiceRoutes(), SessionRoutes(), SettingsRoutes(), CustomerRoutes(), InvoiceRoutes(),
              ReceiptRoutes()});
  return routes;
}

const std::vector<Route>& ApiRoutes() {
  static const std::vector<Route> routes =
      Concat({CoreRoutes(), SevdeskRoutes(), PaymentSyncRoutes(), PaymentRoutes()});
  return routes;
}

}  // namespace hs::http::api
