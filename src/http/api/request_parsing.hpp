#pragma once
// Requests -> C++ types, at the edge: path ids, query strings, JSON and multipart bodies. Bad input
// is a 400 (415 for a wrong media type) with a detail per field, before any service sees it.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/ports.hpp"
#include "app/sevdesk_service.hpp"
#include "core/result.hpp"
#include "http/api/json_mapping.hpp"
#include "http/http_types.hpp"

namespace hs::http::api {

// A positive id ("17"); nothing for anything else.
std::optional<std::int64_t> ParseId(const std::string& text);

// Parses ?limit= within [1, max]; records a detail on bad input.
std::optional<int> ParseLimit(const Request& req, int fallback, int max,
                              std::vector<FieldError>& errors, const char* name = "limit");
std::optional<int> ParseOffset(const Request& req, std::vector<FieldError>& errors);

// A request body that must be a JSON object sent as application/json.
Result<Json> JsonBody(const Request& req);

struct Credentials {
  std::string email;
  std::string password;
};

// E-mail and password of a login body: missing ones are a 400, too long ones a 422 before
// anything else looks at them.
Result<Credentials> ReadCredentials(const Request& req);

// Cursor "YYYY-MM-DD.<id>" (opaque to clients).
std::string EncodeCursor(Date date, std::int64_t id);
std::optional<std::pair<Date, std::int64_t>> DecodeCursor(const std::string& text);

// The query strings of the lists.
Result<app::CustomerQuery> ParseCustomerQuery(const Request& req);
Result<app::InvoiceQuery> ParseInvoiceQuery(const Request& req);
// `sevdesk_paused`: the school's transfers are paused (filter "waiting").
Result<app::ReceiptQuery> ParseReceiptQuery(const Request& req, bool sevdesk_paused);

// An expense receipt uploaded as multipart/form-data.
struct ExpenseUpload {
  domain::NewExpense expense;
  const UploadedFile* file = nullptr;  // points into the request
};
Result<ExpenseUpload> ParseExpenseUpload(const Request& req);

// The bodies of the sevdesk integration.
Result<app::ConnectionUpdate> ParseConnectionUpdate(const Json& body);
Result<app::BatchRequest> ParseBatchRequest(const Json& body);

}  // namespace hs::http::api
