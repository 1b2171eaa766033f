// Invoices: drafts, finalizing, cancelling, the PDF.
#include "http/api/downloads.hpp"
#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

std::span<const Route> InvoiceRoutes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/api/v1/invoices", Access::kSession, &Handlers::ListInvoices,
       "List invoices (summaries)"},
      {"POST", "/api/v1/invoices", Access::kSession, &Handlers::CreateInvoice,
       "Create a draft invoice"},
      {"GET", "/api/v1/invoices/{id}", Access::kSession, &Handlers::GetInvoice,
       "One invoice with lines and totals"},
      {"PATCH", "/api/v1/invoices/{id}", Access::kSession, &Handlers::UpdateInvoice,
       "Change a draft"},
      {"DELETE", "/api/v1/invoices/{id}", Access::kSession, &Handlers::DeleteInvoice,
       "Delete a draft"},
      {"POST", "/api/v1/invoices/{id}/finalize", Access::kSession, &Handlers::FinalizeInvoice,
       "Finalize a draft"},
      {"POST", "/api/v1/invoices/{id}/cancel", Access::kSession, &Handlers::CancelInvoice,
       "Cancel a finalized invoice"},
      {"GET", "/api/v1/invoices/{id}/pdf", Access::kSession, &Handlers::InvoicePdf,
       "The PDF of a finalized or cancelled invoice"},
      {"GET", "/api/v1/invoices/{id}/xrechnung", Access::kSession, &Handlers::InvoiceXRechnung,
       "The XRechnung XML of an invoice issued as XRechnung"},
  };
  return kRoutes;
}

Response Handlers::ListInvoices(const Request& req, const app::Principal& p) {
  auto q = ParseInvoiceQuery(req);
  if (!q) return ErrorResponse(q.error());
  auto page = s_.invoices.List(p.school_id, *q);
  if (!page) return ErrorResponse(page.error());
  Json items = Json::array();
  for (const auto& i : page->items) items.push_back(ToJson(i));
  // The start page's "n Rechnungen überfällig": the school's totals, whatever the filter.
  auto totals = s_.invoices.GetPaymentTotals(p.school_id);
  if (!totals) return ErrorResponse(totals.error());
  return Ok(200, {{"items", items}, {"total", page->total}, {"payment_totals", ToJson(*totals)}});
}

// An invoice with its paid status (issue 16).
Response Handlers::InvoiceWithPayment(const domain::Invoice& invoice, int status) {
  auto payment = s_.invoices.PaymentStatusOf(invoice);
  if (!payment) return ErrorResponse(payment.error());
  Json json = ToJson(invoice);
  json["payment"] = ToJson(*payment);
  return Ok(status, json);
}

Response Handlers::CreateInvoice(const Request& req, const app::Principal& p) {
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto school = s_.schools.Get(p.school_id);
  if (!school) return ErrorResponse(school.error());
  domain::Invoice inv;
  inv.price_entry = school->price_entry;
  if (auto st = ApplyInvoice(*body, inv, true); !st) return ErrorResponse(st.error());
  auto created = s_.invoices.CreateDraft(p.school_id, std::move(inv));
  if (!created) return ErrorResponse(created.error());
  Response res = InvoiceWithPayment(*created, 201);
  res.AddHeader("Location", "/api/v1/invoices/" + std::to_string(created->id));
  return res;
}

Response Handlers::GetInvoice(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto inv = s_.invoices.Get(p.school_id, *id);
  if (!inv) return ErrorResponse(inv.error());
  return InvoiceWithPayment(*inv, 200);
}

Response Handlers::UpdateInvoice(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto inv = s_.invoices.UpdateDraft(p.school_id, *id, [&](domain::Invoice& invoice) {
    return ApplyInvoice(*body, invoice, false);
  });
  if (!inv) return ErrorResponse(inv.error());
  return InvoiceWithPayment(*inv, 200);
}

Response Handlers::DeleteInvoice(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto st = s_.invoices.DeleteDraft(p.school_id, *id);
  if (!st) return ErrorResponse(st.error());
  return Response::Json(204, "");
}

Response Handlers::FinalizeInvoice(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto inv = s_.invoices.Finalize(p.school_id, *id);
  if (!inv) return ErrorResponse(inv.error());
  return InvoiceWithPayment(*inv, 200);
}

Response Handlers::CancelInvoice(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto inv = s_.invoices.Cancel(p.school_id, *id);
  if (!inv) return ErrorResponse(inv.error());
  Response res = InvoiceWithPayment(*inv, 201);
  res.AddHeader("Location", "/api/v1/invoices/" + std::to_string(inv->id));
  return res;
}

Response Handlers::InvoicePdf(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto pdf = s_.invoices.GetPdf(p.school_id, *id);
  if (!pdf) return ErrorResponse(pdf.error());
  return FileDownload(std::move(*pdf), "rechnung-" + std::to_string(*id) + ".pdf");
}

}  // namespace hs::http::api

namespace hs::http::api {

Response Handlers::InvoiceXRechnung(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto inv = s_.invoices.Get(p.school_id, *id);
  if (!inv) return ErrorResponse(inv.error());
  auto xml = s_.invoices.GetXRechnung(p.school_id, *id);
  if (!xml) return ErrorResponse(xml.error());
  // Always an attachment: XML shown inline could be styled or scripted by the browser.
  Response res = Response::Text(200, std::move(*xml), "application/xml");
  res.AddHeader("Content-Disposition",
                ContentDisposition(true, inv->number.value_or("rechnung") + "-xrechnung.xml"));
  res.AddHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox");
  return res;
}

}  // namespace hs::http::api
