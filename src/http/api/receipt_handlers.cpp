// Receipts: the list with its sevdesk states, expense uploads, documents.
#include "http/api/downloads.hpp"
#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

std::span<const Route> ReceiptRoutes() {
  static constexpr Route kRoutes[] = {
      {"GET", "/api/v1/receipts", Access::kSession, &Handlers::ListReceipts,
       "List receipts (income and expenses)"},
      {"POST", "/api/v1/receipts", Access::kSession, &Handlers::UploadExpense,
       "Upload an expense receipt"},
      {"GET", "/api/v1/receipts/{id}", Access::kSession, &Handlers::GetReceipt, "One receipt"},
      {"GET", "/api/v1/receipts/{id}/file", Access::kSession, &Handlers::ReceiptFile,
       "The receipt's document"},
  };
  return kRoutes;
}

Response Handlers::ListReceipts(const Request& req, const app::Principal& p) {
  bool paused = false;
  if (s_.sevdesk) {
    auto p_paused = s_.sevdesk->IsPaused(p.school_id);
    if (!p_paused) return ErrorResponse(p_paused.error());
    paused = *p_paused;
  }
  auto q = ParseReceiptQuery(req, paused);
  if (!q) return ErrorResponse(q.error());
  auto page = s_.receipts.List(p.school_id, *q);
  if (!page) return ErrorResponse(page.error());
  Json items = Json::array();
  for (const auto& r : page->items) {
    Json item = ToJson(static_cast<const domain::Receipt&>(r));
    if (s_.sevdesk && r.type == domain::ReceiptType::kIncome) {
      item["sevdesk"] = ToJson(s_.sevdesk->StatusOf(r.transfer, paused, r.voucher_state));
    } else {
      item["sevdesk"] = nullptr;
    }
    item["payment"] = r.payment ? ToJson(*r.payment) : Json(nullptr);
    items.push_back(std::move(item));
  }
  Json next = nullptr;
  if (page->has_more && !page->items.empty()) {
    next = EncodeCursor(page->items.back().date, page->items.back().id);
  }
  return Ok(200, {{"items", items}, {"total", page->total}, {"next_cursor", next}});
}

Response Handlers::UploadExpense(const Request& req, const app::Principal& p) {
  auto upload = ParseExpenseUpload(req);
  if (!upload) return ErrorResponse(upload.error());
  const UploadedFile* file = upload->file;
  auto created =
      s_.receipts.CreateExpense(p.school_id, upload->expense, file->filename, file->content);
  if (!created) return ErrorResponse(created.error());
  auto json = ReceiptDetail(p.school_id, *created);
  if (!json) return ErrorResponse(json.error());
  return Created(std::move(*json), "/api/v1/receipts/" + std::to_string(created->id));
}

// The receipt with, for an expense that is an e-invoice, its data as `e_invoice`, and for an
// income receipt its invoice's paid status as `payment` (issue 16; null for an expense).
Result<Json> Handlers::ReceiptDetail(std::int64_t school_id, const domain::Receipt& receipt) {
  Json json = ToJson(receipt);
  HS_TRY(einvoice, s_.receipts.EInvoice(receipt));
  if (einvoice->has_value()) json["e_invoice"] = ToJson(**einvoice);
  json["payment"] = nullptr;
  if (receipt.invoice_id) {
    HS_TRY(invoice, s_.invoices.Get(school_id, *receipt.invoice_id));
    HS_TRY(payment, s_.invoices.PaymentStatusOf(*invoice));
    json["payment"] = ToJson(*payment);
  }
  return json;
}

Response Handlers::GetReceipt(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto r = s_.receipts.Get(p.school_id, *id);
  if (!r) return ErrorResponse(r.error());
  auto json = ReceiptDetail(p.school_id, *r);
  if (!json) return ErrorResponse(json.error());
  return Ok(200, std::move(*json));
}

Response Handlers::ReceiptFile(const Request& req, const app::Principal& p) {
  auto id = ParseId(req.PathParam("id"));
  if (!id) return NotFoundResponse();
  auto f = s_.receipts.GetFile(p.school_id, *id);
  if (!f) return ErrorResponse(f.error());
  return FileDownload(std::move(f->content), f->name);
}

}  // namespace hs::http::api
