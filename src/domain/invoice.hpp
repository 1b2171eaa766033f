#pragma once
// Invoices: lines, totals and the state machine draft -> finalized -> cancelled.
//
// Rounding rule (the only one in the product, used for the API, the PDF and sevdesk):
//  1. each line amount = round(quantity * unit price), half away from zero, in cents;
//  2. lines are grouped by VAT rate; per group:
//     - net prices:   net = sum of line amounts, tax = round(net * rate / 100), gross = net + tax
//     - gross prices: gross = sum of line amounts, net = round(gross * 100 / (100 + rate)),
//                     tax = gross - net
//  3. invoice totals are the sums of the group values.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "core/money.hpp"
#include "core/result.hpp"
#include "domain/customer.hpp"
#include "domain/school.hpp"

namespace hs::domain {

enum class InvoiceStatus { kDraft, kFinalized, kCancelled };
enum class InvoiceKind { kInvoice, kCancellation };
std::string ToString(InvoiceStatus status);  // "draft" | "finalized" | "cancelled"
std::optional<InvoiceStatus> ParseInvoiceStatus(std::string_view text);
std::string ToString(InvoiceKind kind);  // "invoice" | "cancellation"

inline constexpr int kAllowedVatRates[] = {0, 7, 19};
inline constexpr Milli kMaxQuantity = 1'000'000 * 1000LL;  // 1 million units
inline constexpr Cents kMaxUnitPrice = 100'000'000;        // 1 million euros
inline constexpr std::size_t kMaxLines = 500;

struct InvoiceLine {
  std::string text;
  Milli quantity = 1000;
  std::string unit;            // "Stunde", "Stk", "Kurs", ...
  Cents unit_price_cents = 0;  // net or gross, as the invoice's price_entry says
  int vat_rate = 19;

  bool operator==(const InvoiceLine&) const = default;
};

struct VatGroup {
  int rate = 0;
  Cents net_cents = 0;
  Cents tax_cents = 0;
  Cents gross_cents = 0;

  bool operator==(const VatGroup&) const = default;
};

struct Totals {
  std::vector<VatGroup> groups;  // ascending by rate
  Cents net_cents = 0;
  Cents tax_cents = 0;
  Cents gross_cents = 0;

  bool operator==(const Totals&) const = default;
};

Cents LineAmount(const InvoiceLine& line);
Totals ComputeTotals(const std::vector<InvoiceLine>& lines, PriceEntry price_entry);

// A snapshot of the parties, frozen at finalization so the document never changes.
struct PartySnapshot {
  std::string name;
  std::string contact_person;
  Address address;
  std::string email;
  std::int64_t customer_number = 0;
  EInvoiceKind e_invoice = EInvoiceKind::kNone;  // the e-invoice issued with the document
  std::string buyer_reference{};
  std::string vat_id{};

  bool operator==(const PartySnapshot&) const = default;
};

struct Invoice {
  std::int64_t id = 0;
  std::int64_t school_id = 0;
  std::int64_t customer_id = 0;
  InvoiceKind kind = InvoiceKind::kInvoice;
  InvoiceStatus status = InvoiceStatus::kDraft;
  std::optional<std::string> number;  // assigned at finalization
  std::optional<std::int64_t> number_year;
  std::optional<std::int64_t> number_sequence;
  Date invoice_date{};
  std::optional<Date> service_date;
  std::optional<Date> service_period_end;  // service_date..service_period_end is a period
  PriceEntry price_entry = PriceEntry::kNet;
  std::vector<InvoiceLine> lines;
  Totals totals;
  std::string notes;                                    // free text printed on the invoice
  std::optional<std::int64_t> cancels_invoice_id;       // for a cancellation
  std::optional<std::string> cancels_invoice_number;    // for a cancellation
  std::optional<std::int64_t> cancelled_by_invoice_id;  // for a cancelled original
  PartySnapshot customer_snapshot;                      // frozen at finalization
  std::string pdf_sha256;                               // hex, set at finalization
  Instant created_at{};
  Instant updated_at{};
  std::optional<Instant> finalized_at;
  std::int64_t customer_version_at_finalize = 0;
  // The due date printed on the invoice, fixed at finalization (a later change of the school's
  // payment term does not move it); none for drafts and cancellations.
  std::optional<Date> due_date;

  bool operator==(const Invoice&) const = default;
};

// Validation of a draft's editable content against the school's tax mode.
Status ValidateDraft(const Invoice& invoice, const School& school);

// What sevdesk accepts for a sum: at most 12 integer digits and 2 decimals, i.e.
// 999.999.999.999,99 € (the sandbox's ParseScaled in src/sevdesk/sandbox/wire.cpp reproduces
// this). The documented input maxima (1 million units at 1 million euros, 500 lines) go far
// beyond it, so the sums are checked before finalizing.
inline constexpr Cents kMaxDocumentAmount = 99'999'999'999'999;
// The invoice date may lie at most this many days after today (an invoice written ahead for a
// course that starts soon) ...
inline constexpr int kMaxInvoiceDaysAhead = 30;
// ... and not before 1 January of the year this many years back: invoices must be kept for ten
// years (§ 147 AO, § 14b UStG), an older one belongs to a bookkeeping year that is closed, and a
// date like 0226-01-05 is a typing slip, not an invoice.
inline constexpr int kMaxInvoiceYearsBack = 10;
// Service dates may lie up to this many days after the invoice date (courses paid ahead).
inline constexpr int kMaxServiceDaysAfterInvoice = 730;

// The plausibility check before an invoice is finalized: dates (against `today`, the school's
// civil date) and every sum sevdesk receives (line amounts, VAT groups, totals) within the
// limits above. kInvalidArgument with German details naming the fields.
Status CheckPlausibility(const Invoice& invoice, Date today);

// State machine guards: each answers kConflict with a German message when not allowed.
Status CanEdit(const Invoice& invoice);
Status CanFinalize(const Invoice& invoice);
Status CanCancel(const Invoice& invoice);

// The cancellation invoice (Stornorechnung) of a finalized invoice: same lines with negated
// quantities, so every group and total is the exact negation of the original.
Invoice MakeCancellation(const Invoice& original, Date cancellation_date);

}  // namespace hs::domain
