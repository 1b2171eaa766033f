#include "domain/invoice.hpp"

#include <algorithm>
#include <map>

#include "core/text.hpp"

namespace hs::domain {

std::string ToString(InvoiceStatus status) {
  switch (status) {
    case InvoiceStatus::kDraft:
      return "draft";
    case InvoiceStatus::kFinalized:
      return "finalized";
    case InvoiceStatus::kCancelled:
      return "cancelled";
  }
  return "draft";
}

std::optional<InvoiceStatus> ParseInvoiceStatus(std::string_view text) {
  if (text == "draft") return InvoiceStatus::kDraft;
  if (text == "finalized") return InvoiceStatus::kFinalized;
  if (text == "cancelled") return InvoiceStatus::kCancelled;
  return std::nullopt;
}

std::string ToString(InvoiceKind kind) {
  return kind == InvoiceKind::kCancellation ? "cancellation" : "invoice";
}

Cents LineAmount(const InvoiceLine& line) {
  // |quantity| <= 1e9 milli and |price| <= 1e8 cents: the product fits in int64.
  return RoundDiv(line.quantity * line.unit_price_cents, 1000);
}

Totals ComputeTotals(const std::vector<InvoiceLine>& lines, PriceEntry price_entry) {
  std::map<int, Cents> sums;
  for (const auto& line : lines) sums[line.vat_rate] += LineAmount(line);
  Totals totals;
  for (const auto& [rate, sum] : sums) {
    VatGroup g;
    g.rate = rate;
    if (price_entry == PriceEntry::kNet) {
      g.net_cents = sum;
      g.tax_cents = RoundDiv(sum * rate, 100);
      g.gross_cents = g.net_cents + g.tax_cents;
    } else {
      g.gross_cents = sum;
      g.net_cents = RoundDiv(sum * 100, 100 + rate);
      g.tax_cents = g.gross_cents - g.net_cents;
    }
    totals.net_cents += g.net_cents;
    totals.tax_cents += g.tax_cents;
    totals.gross_cents += g.gross_cents;
    totals.groups.push_back(g);
  }
  return totals;
}

Status ValidateDraft(const Invoice& invoice, const School& school) {
  std::vector<FieldError> errors;
  if (invoice.customer_id <= 0) errors.push_back({"customer_id", "Bitte einen Kunden wählen."});
  if (!invoice.invoice_date.ok()) {
    errors.push_back({"invoice_date", "Bitte ein gültiges Rechnungsdatum angeben."});
  }
  if (invoice.service_period_end && !invoice.service_date) {
    errors.push_back({"service_date", "Der Leistungszeitraum braucht ein Anfangsdatum."});
  }
  if (invoice.service_date && invoice.service_period_end &&
      std::chrono::sys_days{*invoice.service_period_end} <
          std::chrono::sys_days{*invoice.service_date}) {
    errors.push_back(
        {"service_period_end", "Das Ende des Leistungszeitraums liegt vor dem Anfang."});
  }
  if (invoice.lines.size() > kMaxLines) {
    errors.push_back({"lines", "Höchstens " + std::to_string(kMaxLines) + " Positionen."});
  }
  if (invoice.notes.size() > 2000) errors.push_back({"notes", "Höchstens 2000 Zeichen."});
  CheckTextInput(invoice.notes, TextShape::kMultiLine, "notes", errors);
  for (std::size_t i = 0; i < invoice.lines.size(); ++i) {
    const auto& line = invoice.lines[i];
    const std::string p = "lines[" + std::to_string(i) + "].";
    if (Trim(line.text).empty()) errors.push_back({p + "text", "Bitte eine Beschreibung angeben."});
    if (line.text.size() > 1000) errors.push_back({p + "text", "Höchstens 1000 Zeichen."});
    if (line.unit.size() > 30) errors.push_back({p + "unit", "Höchstens 30 Zeichen."});
    CheckTextInput(line.text, TextShape::kMultiLine, p + "text", errors);
    CheckTextInput(line.unit, TextShape::kSingleLine, p + "unit", errors);
    if (line.quantity <= 0 || line.quantity > kMaxQuantity) {
      errors.push_back(
          {p + "quantity", "Die Menge muss größer als 0 und höchstens 1.000.000 sein."});
    }
    if (line.unit_price_cents < 0 || line.unit_price_cents > kMaxUnitPrice) {
      errors.push_back(
          {p + "unit_price_cents", "Der Einzelpreis muss zwischen 0 und 1.000.000 € liegen."});
    }
    const bool known = std::find(std::begin(kAllowedVatRates), std::end(kAllowedVatRates),
                                 line.vat_rate) != std::end(kAllowedVatRates);
    if (!known) {
      errors.push_back({p + "vat_rate", "Erlaubte Steuersätze: 0, 7 oder 19 %."});
    } else if (school.tax_mode == TaxMode::kKleinunternehmer && line.vat_rate != 0) {
      errors.push_back({p + "vat_rate",
                        "Als Kleinunternehmer (§ 19 UStG) wird keine Umsatzsteuer berechnet: "
                        "Steuersatz 0 %."});
    }
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return {};
}

namespace {

bool Before(Date a, Date b) {
  return std::chrono::sys_days{a} < std::chrono::sys_days{b};
}

void CheckDates(const Invoice& invoice, Date today, std::vector<FieldError>& errors) {
  const Date earliest = std::chrono::year{static_cast<int>(today.year()) - kMaxInvoiceYearsBack} /
                        std::chrono::January / 1;
  const Date latest = AddDays(today, kMaxInvoiceDaysAhead);
  const std::string too_early =
      "Das Datum darf nicht vor dem " + FormatDateDe(earliest) + " liegen.";
  if (Before(invoice.invoice_date, earliest)) errors.push_back({"invoice_date", too_early});
  if (Before(latest, invoice.invoice_date)) {
    errors.push_back({"invoice_date",
                      "Das Rechnungsdatum darf höchstens " + std::to_string(kMaxInvoiceDaysAhead) +
                          " Tage in der Zukunft liegen (bis " + FormatDateDe(latest) + ")."});
  }
  const Date service_latest = AddDays(invoice.invoice_date, kMaxServiceDaysAfterInvoice);
  for (const auto& [date, field] : {std::pair{invoice.service_date, "service_date"},
                                    std::pair{invoice.service_period_end, "service_period_end"}}) {
    if (!date) continue;
    if (Before(*date, earliest)) errors.push_back({field, too_early});
    if (Before(service_latest, *date)) {
      errors.push_back({field,
                        "Die Leistung darf höchstens zwei Jahre nach dem Rechnungsdatum "
                        "liegen (bis " +
                            FormatDateDe(service_latest) + ")."});
    }
  }
}

bool TooLarge(Cents amount) {
  return amount > kMaxDocumentAmount || amount < -kMaxDocumentAmount;
}

void CheckAmounts(const Invoice& invoice, std::vector<FieldError>& errors) {
  const std::string message =
      "Der Betrag ist zu groß: höchstens 999.999.999.999,99 € (Grenze von sevdesk).";
  for (std::size_t i = 0; i < invoice.lines.size(); ++i) {
    if (TooLarge(LineAmount(invoice.lines[i]))) {
      errors.push_back({"lines[" + std::to_string(i) + "].amount_cents", message});
    }
  }
  const Totals totals = ComputeTotals(invoice.lines, invoice.price_entry);
  bool too_large =
      TooLarge(totals.net_cents) || TooLarge(totals.tax_cents) || TooLarge(totals.gross_cents);
  for (const auto& group : totals.groups) {
    too_large = too_large || TooLarge(group.net_cents) || TooLarge(group.gross_cents);
  }
  if (too_large) errors.push_back({"total_gross_cents", message});
}

}  // namespace

Status CheckPlausibility(const Invoice& invoice, Date today) {
  std::vector<FieldError> errors;
  CheckDates(invoice, today, errors);
  CheckAmounts(invoice, errors);
  if (!errors.empty()) {
    return Invalid(std::move(errors),
                   "Die Rechnung kann so nicht festgeschrieben werden: Datum oder Betrag sind "
                   "nicht plausibel.");
  }
  return {};
}

Status CanEdit(const Invoice& invoice) {
  if (invoice.status != InvoiceStatus::kDraft) {
    return Fail(ErrorCode::kConflict, "invoice_not_draft",
                "Die Rechnung ist festgeschrieben und kann nicht mehr geändert werden.");
  }
  return {};
}

Status CanFinalize(const Invoice& invoice) {
  if (invoice.status != InvoiceStatus::kDraft) {
    return Fail(ErrorCode::kConflict, "invoice_not_draft",
                "Die Rechnung ist bereits festgeschrieben.");
  }
  if (invoice.lines.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "invoice_without_lines",
                "Eine Rechnung ohne Positionen kann nicht festgeschrieben werden.",
                {{"lines", "Bitte mindestens eine Position erfassen."}});
  }
  return {};
}

Status CanCancel(const Invoice& invoice) {
  if (invoice.kind == InvoiceKind::kCancellation) {
    return Fail(ErrorCode::kConflict, "cancellation_not_cancellable",
                "Eine Stornorechnung kann nicht storniert werden.");
  }
  if (invoice.status == InvoiceStatus::kDraft) {
    return Fail(ErrorCode::kConflict, "invoice_draft",
                "Ein Entwurf wird gelöscht, nicht storniert.");
  }
  if (invoice.status == InvoiceStatus::kCancelled) {
    return Fail(ErrorCode::kConflict, "invoice_already_cancelled",
                "Die Rechnung ist bereits storniert.");
  }
  return {};
}

Invoice MakeCancellation(const Invoice& original, Date cancellation_date) {
  Invoice c;
  c.school_id = original.school_id;
  c.customer_id = original.customer_id;
  c.kind = InvoiceKind::kCancellation;
  c.status = InvoiceStatus::kDraft;
  c.invoice_date = cancellation_date;
  c.service_date = original.service_date;
  c.service_period_end = original.service_period_end;
  c.price_entry = original.price_entry;
  c.lines = original.lines;
  for (auto& line : c.lines) line.quantity = -line.quantity;
  c.totals = ComputeTotals(c.lines, c.price_entry);
  c.cancels_invoice_id = original.id;
  c.cancels_invoice_number = original.number;
  c.customer_snapshot = original.customer_snapshot;
  c.notes = "Storno zur Rechnung " + original.number.value_or("");
  return c;
}

}  // namespace hs::domain
