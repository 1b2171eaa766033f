// "Zahlung erfassen" (issue 16, ADR 0019): an invoice's payments, recording one, and the payment
// account payments are booked on in sevdesk.
#include "app/payment_service.hpp"
#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

namespace {

Json PaymentJson(const app::InvoicePayment& p) {
  return {{"id", p.id},
          {"invoice_id", p.invoice_id},
          {"amount_cents", p.amount_cents},
          {"date", FormatIsoDate(p.pay_date)},
          {"method", std::string(app::ToString(p.method))},
          {"method_label", std::string(app::GermanName(p.method))},
          {"booking", std::string(app::ToString(p.booking))},
          {"message", p.message},
          {"created_at", FormatIsoInstant(p.created_at)}};
}

Json ListJson(const app::PaymentList& l) {
  Json payments = Json::array();
  for (const auto& p : l.payments) payments.push_back(PaymentJson(p));
  return {{"payments", payments},
          {"gross_cents", l.gross_cents},
          {"paid_cents", l.paid_cents},
          {"open_cents", l.open_cents},
          {"takes_payments", l.takes_payments},
          {"payment_account_name",
           l.payment_account_name.empty() ? Json(nullptr) : Json(l.payment_account_name)}};
}

Json AccountsViewJson(const app::PaymentAccountsView& v) {
  Json accounts = Json::array();
  for (const auto& a : v.accounts) {
    accounts.push_back({{"id", a.id}, {"name", a.name}, {"type", a.type}});
  }
  return {{"payment_account_id", v.chosen_id.empty() ? Json(nullptr) : Json(v.chosen_id)},
          {"payment_account_name", v.chosen_name.empty() ? Json(nullptr) : Json(v.chosen_name)},
          {"accounts", accounts},
          {"message", v.message.empty() ? Json(nullptr) : Json(v.message)}};
}

Result<app::PaymentInput> ParsePaymentInput(const Json& body) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors);
  app::PaymentInput in;
  if (auto a = r.Int("amount_cents")) {
    in.amount_cents = *a;
  } else if (!r.Has("amount_cents")) {
    r.Error("amount_cents", "Bitte den Betrag angeben.");
  }
  if (auto d = r.String("date")) in.date = *d;
  if (auto m = r.String("method")) in.method = *m;
  r.Finish();
  if (!errors.empty()) return BadRequest(std::move(errors));
  return in;
}

Result<std::string> ParseAccountChoice(const Json& body) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors, {"payment_account_name", "accounts", "message"});
  std::string id;
  if (!r.Has("payment_account_id")) {
    r.Error("payment_account_id", "Bitte ein Zahlungskonto wählen (oder null für keines).");
  } else if (!body["payment_account_id"].is_null()) {
    if (auto s = r.String("payment_account_id")) id = *s;
  } else {
    const std::size_t before = errors.size();
    r.String("payment_account_id");  // marks the key as read; null is allowed
    errors.resize(before);
  }
  r.Finish();
  if (!errors.empty()) return BadRequest(std::move(errors));
  return id;
}

}  // namespace

std::span<const Route> PaymentRoutes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/api/v1/invoices/{id}/payments", Access::kSession, &Handlers::ListPayments,
       "The invoice's payments with their booking in sevdesk, and what is open"},
      {"POST", "/api/v1/invoices/{id}/payments", Access::kSession, &Handlers::RecordPayment,
       "\"Zahlung erfassen\": record a payment, booked in sevdesk when an account is chosen"},
      {"GET", "/api/v1/integrations/sevdesk/payment-account", Access::kSession,
       &Handlers::GetPaymentAccount, "The payment account for cash and the ones to choose from"},
      {"PUT", "/api/v1/integrations/sevdesk/payment-account", Access::kSession,
       &Handlers::ChoosePaymentAccount, "Choose the payment account (owner only)"},
  };
  return kRoutes;
}

Response Handlers::ListPayments(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto l = s_.payments->List(p.school_id, *id);
  if (!l) return ErrorResponse(l.error());
  return Ok(200, ListJson(*l));
}

Response Handlers::RecordPayment(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  // An unknown invoice is 404 before the body is read.
  if (auto l = s_.payments->List(p.school_id, *id); !l) return ErrorResponse(l.error());
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto in = ParsePaymentInput(*body);
  if (!in) return ErrorResponse(in.error());
  auto recorded = s_.payments->Record(p, *id, *in);
  if (!recorded) return ErrorResponse(recorded.error());
  auto l = s_.payments->List(p.school_id, *id);
  if (!l) return ErrorResponse(l.error());
  Json out = ListJson(*l);
  out["payment"] = PaymentJson(*recorded);
  return Created(out, "/api/v1/invoices/" + std::to_string(*id) + "/payments");
}

Response Handlers::GetPaymentAccount(const Request&, const app::Principal& p) {
  auto v = s_.payments->PaymentAccounts(p);
  if (!v) return ErrorResponse(v.error());
  return Ok(200, AccountsViewJson(*v));
}

Response Handlers::ChoosePaymentAccount(const Request& req, const app::Principal& p) {
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto id = ParseAccountChoice(*body);
  if (!id) return ErrorResponse(id.error());
  auto v = s_.payments->ChoosePaymentAccount(p, *id);
  if (!v) return ErrorResponse(v.error());
  return Ok(200, AccountsViewJson(*v));
}

}  // namespace hs::http::api
