#include "http/api/api.hpp"

#include "core/log.hpp"
#include "http/api/handlers.hpp"
#include "http/api/json_mapping.hpp"

namespace hs::http::api {

namespace {

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return 400;
    case ErrorCode::kInvalidArgument:
      return 422;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kUnsupportedMedia:
      return 415;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Response JsonResponse(int status, const std::string& json_text) {
  return Response::Json(status, json_text);
}

Response Ok(int status, const Json& body) {
  return JsonResponse(status, body.dump());
}

Response Created(const Json& body, const std::string& location) {
  Response res = Ok(201, body);
  res.AddHeader("Location", location);
  return res;
}

Response NotFoundResponse() {
  return ErrorResponse(hs::Error{ErrorCode::kNotFound, "not_found", "Nicht gefunden.", {}, {}});
}

hs::Error ShownError(const hs::Error& error) {
  hs::Error shown = error;
  // Internal details (SQL, paths, driver text) are for the log, not for the school.
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal) {
    Log(LogLevel::kError, "api", error.reason + ": " + error.message);
  }
  // The Kundenabgleich's read of sevdesk failed: its message is our own German advice.
  const bool sevdesk_advice =
      error.reason == "sevdesk_unavailable" || error.reason == "sevdesk_rate_limited";
  if (error.code == ErrorCode::kUnavailable && !sevdesk_advice) {
    shown.message = "Der Dienst ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.";
    shown.details.clear();
  } else if (error.code == ErrorCode::kInternal) {
    shown.message = "Ein interner Fehler ist aufgetreten. Bitte später erneut versuchen.";
    shown.details.clear();
  } else if (error.reason == "constraint") {
    shown.message = std::string(app::kConstraintMessage);
    shown.details.clear();
  }
  return shown;
}

Response ErrorResponse(const hs::Error& error) {
  const hs::Error shown = ShownError(error);
  Response r = Response::Json(StatusFor(error.code), ErrorToJson(shown).dump());
  if (error.retry_after) r.AddHeader("Retry-After", std::to_string(error.retry_after->count()));
  return r;
}

Api::Api(ApiServices services, ApiSettings settings)
    : s_(services),
      settings_(std::move(settings)),
      handlers_(std::make_unique<Handlers>(s_, settings_)) {
  Register(CoreRoutes());
  if (s_.sevdesk) {
    Register(SevdeskRoutes());
    Register(PaymentSyncRoutes());  // issue 16
  }
  if (s_.payments) Register(PaymentRoutes());
}

Api::~Api() = default;

void Api::Register(std::span<const Route> routes) {
  for (const Route& route : routes) {
    const RouteHandler handler = route.handler;
    Handlers* handlers = handlers_.get();
    std::string method(route.method);
    std::string pattern(route.pattern);
    if (route.access == Access::kPublic) {
      AddPublic(std::move(method), std::move(pattern), [handlers, handler](const Request& req) {
        static const app::Principal kNobody{};
        return (handlers->*handler)(req, kNobody);
      });
    } else {
      AddAuthed(std::move(method), std::move(pattern),
                [handlers, handler](const Request& req, const app::Principal& p) {
                  return (handlers->*handler)(req, p);
                });
    }
  }
}

void Api::AddPublic(std::string method, std::string pattern, Handler handler) {
  router_.Add(std::move(method), std::move(pattern), std::move(handler));
}

void Api::AddAuthed(std::string method, std::string pattern, AuthedHandler handler) {
  const bool state_changing = method != "GET";
  router_.Add(std::move(method), std::move(pattern),
              [this, state_changing, handler = std::move(handler)](const Request& req) {
                return Authenticated(req, state_changing, handler);
              });
}

Response Api::Authenticated(const Request& req, bool state_changing,
                            const AuthedHandler& handler) const {
  auto token = req.Cookie(settings_.session_cookie);
  auto principal = s_.auth.Authenticate(token.value_or(""));
  if (!principal) return ErrorResponse(principal.error());
  if (state_changing) {
    auto csrf = req.Header("X-CSRF-Token");
    if (!csrf || !ConstantTimeEquals(*csrf, principal->csrf_token)) {
      return ErrorResponse(
          hs::Error{ErrorCode::kForbidden,
                    "csrf_token_invalid",
                    "Sicherheitsprüfung fehlgeschlagen. Bitte die Seite neu laden.",
                    {},
                    {}});
    }
  }
  return handler(req, *principal);
}

Response Api::Handle(const Request& incoming) {
  const auto started = std::chrono::steady_clock::now();
  Request req = incoming;
  auto match = router_.Find(req);
  Response res;
  std::string route = match.handler ? match.pattern : "unmatched";
  try {
    if (match.handler) {
      const bool has_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
      if (has_body && !req.body.empty() && req.files.empty() &&
          req.body.size() > settings_.max_json_bytes) {
        res = ErrorResponse(hs::Error{
            ErrorCode::kPayloadTooLarge, "payload_too_large", "Die Anfrage ist zu groß.", {}, {}});
      } else {
        res = (*match.handler)(req);
      }
    } else if (match.path_known) {
      res = ErrorResponse(hs::Error{ErrorCode::kBadRequest,
                                    "method_not_allowed",
                                    "Diese Methode ist hier nicht erlaubt.",
                                    {},
                                    {}});
      res.status = 405;
    } else if (fallback_ && req.path.rfind("/api/", 0) != 0) {
      res = fallback_(req);
      route = "static";
    } else {
      res = NotFoundResponse();
    }
  } catch (const std::exception&) {
    res = ErrorResponse(hs::Error{ErrorCode::kInternal, "internal", "", {}, {}});
  }
  res.AddHeader("X-Content-Type-Options", "nosniff");
  res.AddHeader("X-Frame-Options", "DENY");
  res.AddHeader("Referrer-Policy", "no-referrer");
  if (route != "static") {
    res.AddHeader("Cache-Control", "no-store");
    res.AddHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }
  s_.metrics.ObserveRequest(req.method, route, res.status,
                            std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started));
  return res;
}

}  // namespace hs::http::api
