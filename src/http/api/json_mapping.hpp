#pragma once
// JSON <-> domain types, at the edge. Only http/api includes nlohmann.
//
// Unknown-field rule (the same for every request body): a field the endpoint does not know is
// rejected with 400 and a detail naming it; fields the API only returns (id, version, totals,
// ...) are accepted and ignored so a client may send back what it read.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "app/ports.hpp"
#include "app/services.hpp"
#include "app/sevdesk_service.hpp"
#include "core/result.hpp"

namespace hs::http::api {

using Json = nlohmann::json;

// Reads one JSON object field by field, collecting type errors and unknown fields.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string prefix, std::vector<FieldError>& errors,
               std::set<std::string> ignored = {});
  bool Has(const std::string& key) const;
  // Present and a string (null reads as ""); a wrong type is recorded as an error.
  std::optional<std::string> String(const std::string& key);
  // Like String, without trimming (passwords).
  std::optional<std::string> RawString(const std::string& key);
  std::optional<std::int64_t> Int(const std::string& key);
  std::optional<bool> Bool(const std::string& key);
  // Decimal given as string ("1.5") or number (1.5).
  std::optional<std::string> Decimal(const std::string& key);
  // {present, value}: null clears.
  std::pair<bool, std::optional<Date>> OptionalDate(const std::string& key);
  const Json* Object(const std::string& key);
  const Json* Array(const std::string& key);
  void Error(const std::string& key, const std::string& message);
  std::string Path(const std::string& key) const { return prefix_ + key; }
  std::vector<FieldError>& errors() { return errors_; }
  // Records every key that was neither read nor ignored.
  void Finish();

 private:
  const Json* Field(const std::string& key);
  const Json& object_;
  std::string prefix_;
  std::vector<FieldError>& errors_;
  std::set<std::string> ignored_;
  std::set<std::string> seen_;
};

// Parses a request body that must be a JSON object; 400 otherwise.
Result<Json> ParseObject(const std::string& body);
tl::unexpected<hs::Error> BadRequest(std::vector<FieldError> details,
                                     std::string message = "Die Anfrage ist fehlerhaft.");

Json ToJson(const domain::School& school);
Json ToJson(const domain::Customer& customer);
Json ToJson(const domain::Invoice& invoice);
Json ToJson(const app::InvoiceSummary& summary);
Json ToJson(const domain::PaymentStatus& payment);
Json ToJson(const app::PaymentTotals& totals);
Json ToJson(const domain::Receipt& receipt);
// The `e_invoice` object of a receipt (docs/openapi.yaml, ReceivedEInvoice).
Json ToJson(const einvoice::ReceivedEInvoice& invoice);
Json ErrorToJson(const hs::Error& error);
Json ToJson(const app::ReceiptSevdeskStatus& status);

// Applies the fields present in `body` onto the target (create and PATCH share this).
Status ApplyCustomer(const Json& body, domain::Customer& customer, bool creating);
Status ApplyInvoice(const Json& body, domain::Invoice& invoice, bool creating);
Status ApplySchool(const Json& body, domain::School& school);

}  // namespace hs::http::api
