// Log in and out, and who is logged in.
#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

std::span<const Route> SessionRoutes() {
  static constexpr Route kRoutes[] = {
      {"POST", "/api/v1/session", Access::kPublic, &Handlers::Login, "Log in"},
      {"DELETE", "/api/v1/session", Access::kSession, &Handlers::Logout, "Log out"},
      {"GET", "/api/v1/me", Access::kSession, &Handlers::Me,
       "The logged-in user, the school and the CSRF token"},
  };
  return kRoutes;
}

std::string Handlers::SessionCookie(const std::string& value, const char* max_age) const {
  std::string cookie = settings_.session_cookie + "=" + value +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + max_age;
  if (settings_.secure_cookies) cookie += "; Secure";
  return cookie;
}

Response Handlers::Login(const Request& req, const app::Principal&) {
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

Response Handlers::Logout(const Request& req, const app::Principal&) {
  auto st = s_.auth.Logout(req.Cookie(settings_.session_cookie).value_or(""));
  if (!st) return ErrorResponse(st.error());
  Response res = Response::Json(204, "");
  res.AddHeader("Set-Cookie", SessionCookie("", "0"));
  return res;
}

Response Handlers::Me(const Request&, const app::Principal& p) {
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
}

}  // namespace hs::http::api
