#pragma once
// Expected failures travel as values (Envoy's policy); exceptions stay inside adapters.
#include <chrono>
#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace hs {

enum class ErrorCode {
  kBadRequest,        // 400: malformed request (JSON syntax, wrong types, unknown fields)
  kInvalidArgument,   // 422: well-formed but not acceptable (validation)
  kUnauthenticated,   // 401
  kForbidden,         // 403
  kNotFound,          // 404
  kConflict,          // 409: state does not allow the change (e.g. finalized invoice)
  kPayloadTooLarge,   // 413
  kUnsupportedMedia,  // 415
  kRateLimited,       // 429 / throttled
  kUnavailable,       // transient infrastructure failure, retryable
  kInternal,          // a bug or an unexpected environment failure
};

// One field-level problem, e.g. {"lines[2].vat_rate", "Unbekannter Steuersatz"}.
struct FieldError {
  std::string field;
  std::string message;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string reason;   // stable machine-readable code, e.g. "invoice_finalized"
  std::string message;  // German, for the school owner
  std::vector<FieldError> details;
  std::optional<std::chrono::seconds> retry_after;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string reason, std::string message,
                                  std::vector<FieldError> details = {}) {
  return tl::unexpected<Error>(
      Error{code, std::move(reason), std::move(message), std::move(details), std::nullopt});
}

inline tl::unexpected<Error> NotFound(std::string message = "Nicht gefunden.") {
  return Fail(ErrorCode::kNotFound, "not_found", std::move(message));
}

inline tl::unexpected<Error> Internal(std::string message) {
  return Fail(ErrorCode::kInternal, "internal", std::move(message));
}

inline tl::unexpected<Error> Invalid(std::vector<FieldError> details,
                                     std::string message = "Die Eingaben sind ungültig.") {
  return Fail(ErrorCode::kInvalidArgument, "validation_failed", std::move(message),
              std::move(details));
}

}  // namespace hs

// Early return of a failed Result (Rust's `?`): HS_TRY binds the Result of `expr` to `var` and
// returns its error; HS_CHECK returns the error of a failed Status or Result. Macros because a
// function cannot return from its caller.
#define HS_TRY(var, expr) \
  auto var = (expr);      \
  if (!var) return tl::unexpected(var.error())
#define HS_CHECK(expr)                                  \
  do {                                                  \
    if (auto hs_st_ = (expr); !hs_st_) {                \
      return tl::unexpected(std::move(hs_st_.error())); \
    }                                                   \
  } while (false)
