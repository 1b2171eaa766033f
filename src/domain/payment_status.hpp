#pragma once
// The paid status of an invoice as the school sees it (issue 16, ADR 0018): "offen",
// "teilweise bezahlt (x €)", "bezahlt am TT.MM.JJJJ", "überfällig seit TT.MM.JJJJ", and an
// invoice and its cancellation settled together. Pure: the facts come from the payment sync
// (sevdesk's paid amount) and the payments recorded here; "today" is the school's civil date.
#include <optional>
#include <string>
#include <string_view>

#include "core/date.hpp"
#include "core/money.hpp"
#include "domain/invoice.hpp"

namespace hs::domain {

enum class PaymentState {
  kNone,     // a draft: nothing to pay yet
  kOpen,     // not (fully) paid, not due yet
  kPartial,  // partly paid, not due yet
  kOverdue,  // not fully paid after the due date
  kPaid,     // paid in full (or nothing to pay)
  kSettled,  // cancelled, or a cancellation: the pair is settled together
};
std::string_view ToString(PaymentState state);  // none | open | partial | overdue | paid | settled
std::optional<PaymentState> ParsePaymentState(std::string_view text);

struct PaymentFacts {
  InvoiceKind kind = InvoiceKind::kInvoice;
  InvoiceStatus status = InvoiceStatus::kDraft;
  Cents gross_cents = 0;
  Date due_date{};
  // Paid so far: sevdesk's paid amount plus the payments recorded here and not booked there.
  Cents paid_cents = 0;
  std::optional<Date> paid_on;  // the day of the last payment, when known
};

struct PaymentStatus {
  PaymentState state = PaymentState::kNone;
  Cents paid_cents = 0;
  Cents open_cents = 0;  // never negative
  std::optional<Date> paid_on;
  std::optional<Date> due_date;       // for invoices that can be open (not drafts, not settled)
  std::optional<Date> overdue_since;  // the first day after the due date
  std::string label;                  // German, for lists and the detail view
};

PaymentStatus DerivePaymentStatus(const PaymentFacts& facts, Date today);

// The due date of an invoice dated `invoice_date` under a payment term of `term_days` (a
// negative or zero term: due at once).
Date DueDateOf(Date invoice_date, int term_days);

}  // namespace hs::domain
