// The school's settings.
#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

std::span<const Route> SettingsRoutes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/api/v1/settings/school", Access::kSession, &Handlers::GetSchool,
       "The school's settings"},
      {"PATCH", "/api/v1/settings/school", Access::kSession, &Handlers::UpdateSchool,
       "Change the school's settings (owner only)"},
  };
  return kRoutes;
}

Response Handlers::GetSchool(const Request&, const app::Principal& p) {
  auto school = s_.schools.Get(p.school_id);
  if (!school) return ErrorResponse(school.error());
  return Ok(200, ToJson(*school));
}

Response Handlers::UpdateSchool(const Request& req, const app::Principal& p) {
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto school = s_.schools.Update(p, [&](domain::School& s) { return ApplySchool(*body, s); });
  if (!school) return ErrorResponse(school.error());
  return Ok(200, ToJson(*school));
}

}  // namespace hs::http::api
