// Customers.
#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

std::span<const Route> CustomerRoutes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/api/v1/customers", Access::kSession, &Handlers::ListCustomers, "List customers"},
      {"POST", "/api/v1/customers", Access::kSession, &Handlers::CreateCustomer,
       "Create a customer"},
      {"GET", "/api/v1/customers/{id}", Access::kSession, &Handlers::GetCustomer, "One customer"},
      {"PATCH", "/api/v1/customers/{id}", Access::kSession, &Handlers::UpdateCustomer,
       "Change a customer"},
      {"DELETE", "/api/v1/customers/{id}", Access::kSession, &Handlers::DeleteCustomer,
       "Delete a customer without invoices"},
  };
  return kRoutes;
}

Response Handlers::ListCustomers(const Request& req, const app::Principal& p) {
  auto q = ParseCustomerQuery(req);
  if (!q) return ErrorResponse(q.error());
  auto page = s_.customers.List(p.school_id, *q);
  if (!page) return ErrorResponse(page.error());
  Json items = Json::array();
  for (const auto& c : page->items) items.push_back(ToJson(c));
  return Ok(200, {{"items", items}, {"total", page->total}});
}

Response Handlers::CreateCustomer(const Request& req, const app::Principal& p) {
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  domain::Customer c;
  if (auto st = ApplyCustomer(*body, c, true); !st) return ErrorResponse(st.error());
  auto created = s_.customers.Create(p.school_id, std::move(c));
  if (!created) return ErrorResponse(created.error());
  return Created(ToJson(*created), "/api/v1/customers/" + std::to_string(created->id));
}

Response Handlers::GetCustomer(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto c = s_.customers.Get(p.school_id, *id);
  if (!c) return ErrorResponse(c.error());
  return Ok(200, ToJson(*c));
}

Response Handlers::UpdateCustomer(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto c = s_.customers.Update(p.school_id, *id, [&](domain::Customer& customer) {
    return ApplyCustomer(*body, customer, false);
  });
  if (!c) return ErrorResponse(c.error());
  return Ok(200, ToJson(*c));
}

Response Handlers::DeleteCustomer(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto st = s_.customers.Delete(p.school_id, *id);
  if (!st) return ErrorResponse(st.error());
  return Response::Json(204, "");
}

}  // namespace hs::http::api
