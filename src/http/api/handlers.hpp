#pragma once
// The handlers of the JSON API, one method per route, defined by resource (service_handlers.cpp,
// session_handlers.cpp, settings_handlers.cpp, customer_handlers.cpp, invoice_handlers.cpp,
// receipt_handlers.cpp, sevdesk_handlers.cpp), each file with its part of the route table. Request
// parsing lives in request_parsing.cpp, JSON mapping in json_mapping.cpp.
#include <string>

#include "http/api/api.hpp"
#include "http/api/json_mapping.hpp"
#include "http/api/routes.hpp"

namespace hs::http::api {

// The answers every handler gives.
Response Ok(int status, const Json& body);
// 201 with the Location of what was created.
Response Created(const Json& body, const std::string& location);
Response NotFoundResponse();

class Handlers {
 public:
  Handlers(ApiServices& services, const ApiSettings& settings)
      : s_(services), settings_(settings) {}

  // service_handlers.cpp
  Response Health(const Request& req, const app::Principal& p);
  Response GetMetrics(const Request& req, const app::Principal& p);
  // session_handlers.cpp
  Response Login(const Request& req, const app::Principal& p);
  Response Logout(const Request& req, const app::Principal& p);
  Response Me(const Request& req, const app::Principal& p);
  // settings_handlers.cpp
  Response GetSchool(const Request& req, const app::Principal& p);
  Response UpdateSchool(const Request& req, const app::Principal& p);
  // customer_handlers.cpp
  Response ListCustomers(const Request& req, const app::Principal& p);
  Response CreateCustomer(const Request& req, const app::Principal& p);
  Response GetCustomer(const Request& req, const app::Principal& p);
  Response UpdateCustomer(const Request& req, const app::Principal& p);
  Response DeleteCustomer(const Request& req, const app::Principal& p);
  // invoice_handlers.cpp
  Response ListInvoices(const Request& req, const app::Principal& p);
  Response CreateInvoice(const Request& req, const app::Principal& p);
  Response GetInvoice(const Request& req, const app::Principal& p);
  Response UpdateInvoice(const Request& req, const app::Principal& p);
  Response DeleteInvoice(const Request& req, const app::Principal& p);
  Response FinalizeInvoice(const Request& req, const app::Principal& p);
  Response CancelInvoice(const Request& req, const app::Principal& p);
  Response InvoicePdf(const Request& req, const app::Principal& p);
  Response InvoiceXRechnung(const Request& req, const app::Principal& p);
  // receipt_handlers.cpp
  Response ListReceipts(const Request& req, const app::Principal& p);
  Response UploadExpense(const Request& req, const app::Principal& p);
  Response GetReceipt(const Request& req, const app::Principal& p);
  Response ReceiptFile(const Request& req, const app::Principal& p);
  // sevdesk_handlers.cpp
  Response GetConnection(const Request& req, const app::Principal& p);
  Response UpdateConnection(const Request& req, const app::Principal& p);
  Response TestConnection(const Request& req, const app::Principal& p);
  Response CreateTransfers(const Request& req, const app::Principal& p);
  Response GetTransferBatch(const Request& req, const app::Principal& p);
  Response ReceiptTransfer(const Request& req, const app::Principal& p);
  Response RetryTransfer(const Request& req, const app::Principal& p);
  // matching_handlers.cpp
  Response GetMatching(const Request& req, const app::Principal& p);
  Response UpdateMatchingSettings(const Request& req, const app::Principal& p);
  Response RunMatching(const Request& req, const app::Principal& p);
  Response AcceptUnambiguousMatches(const Request& req, const app::Principal& p);
  Response LinkMatch(const Request& req, const app::Principal& p);
  Response CreateForMatch(const Request& req, const app::Principal& p);
  Response PostponeMatch(const Request& req, const app::Principal& p);
  Response UnlinkMatch(const Request& req, const app::Principal& p);
  // payment_sync_handlers.cpp (issue 16)
  Response GetPaymentSync(const Request& req, const app::Principal& p);
  Response UpdatePaymentSync(const Request& req, const app::Principal& p);
  Response RunPaymentSync(const Request& req, const app::Principal& p);
  // payment_handlers.cpp (issue 16)
  Response ListPayments(const Request& req, const app::Principal& p);
  Response RecordPayment(const Request& req, const app::Principal& p);
  Response GetPaymentAccount(const Request& req, const app::Principal& p);
  Response ChoosePaymentAccount(const Request& req, const app::Principal& p);

 private:
  Response InvoiceWithPayment(const domain::Invoice& invoice, int status);
  Result<Json> ReceiptDetail(std::int64_t school_id, const domain::Receipt& receipt);
  Response Decide(const Request& req, const app::Principal& p, app::MatchAction action);
  std::string SessionCookie(const std::string& value, const char* max_age) const;
  ApiServices& s_;
  const ApiSettings& settings_;
};

}  // namespace hs::http::api
