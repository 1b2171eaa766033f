#pragma once
// Receipts (Belege): each finalized invoice and cancellation is an income receipt; expenses are
// uploaded documents.
#include <cstdint>
#include <optional>
#include <string>

#include "core/date.hpp"
#include "core/money.hpp"
#include "core/result.hpp"

namespace hs::domain {

enum class ReceiptType { kIncome, kExpense };
std::string ToString(ReceiptType type);  // "income" | "expense"
std::optional<ReceiptType> ParseReceiptType(std::string_view text);

inline constexpr std::size_t kMaxReceiptFileBytes = 10 * 1024 * 1024;

struct Receipt {
  std::int64_t id = 0;
  std::int64_t school_id = 0;
  ReceiptType type = ReceiptType::kIncome;
  Date date{};
  std::string number;        // invoice number, or the supplier's document number
  std::string counterparty;  // customer or supplier name
  std::string description;
  Cents amount_gross_cents = 0;
  Cents amount_net_cents = 0;
  Cents amount_tax_cents = 0;
  std::optional<int> vat_rate;  // expenses: the single rate; income: null when mixed
  std::optional<std::int64_t> invoice_id;
  std::optional<std::int64_t> customer_id;
  std::string file_name;
  std::string file_content_type;
  std::string file_sha256;
  std::int64_t file_size = 0;
  Instant created_at{};
};

// The verified content type of an uploaded document, never the client's: a PDF needs its
// header and a %%EOF trailer near the end, a JPEG its SOI and EOI markers, a PNG its signature,
// IHDR first and IEND last; a file with HTML/script/SVG markup in it is none of them (a
// "%PDF-" + HTML polyglot). nullopt for anything else.
std::optional<std::string> DetectDocumentType(std::string_view bytes);

// An XML e-invoice by its outline, for serving a stored one (application/xml, as attachment):
// after an optional UTF-8 byte order mark, an XML declaration, comments and processing
// instructions, the root element is CrossIndustryInvoice (CII) or Invoice / CreditNote (UBL),
// with any prefix; no DOCTYPE and none of
// the HTML/script/SVG markup above anywhere. Whether it really is an e-invoice decides the
// reader (einvoice::ReadEInvoiceXml) at upload; this check never parses.
bool IsXmlEInvoiceOutline(std::string_view bytes);

// An uploaded file's name: one line of valid UTF-8 without control characters (a NUL used to
// cut the Content-Disposition header), German 422 with the detail "file" otherwise.
Status ValidateUploadFileName(std::string_view name);

struct NewExpense {
  Date date{};
  Cents amount_gross_cents = 0;
  int vat_rate = 19;
  std::string description;
  std::string supplier;
  std::string number;
};
Status ValidateExpense(const NewExpense& expense);
// Splits a gross amount with the invoice rounding rule.
void SplitGross(Cents gross, int vat_rate, Cents& net, Cents& tax);

}  // namespace hs::domain
