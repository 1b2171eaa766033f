#include "domain/payment_status.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace hs::domain {

namespace {

constexpr std::array<std::pair<PaymentState, std::string_view>, 6> kNames{{
    {PaymentState::kNone, "none"},
    {PaymentState::kOpen, "open"},
    {PaymentState::kPartial, "partial"},
    {PaymentState::kOverdue, "overdue"},
    {PaymentState::kPaid, "paid"},
    {PaymentState::kSettled, "settled"},
}};

std::string SettledLabel(const PaymentFacts& f) {
  // A payment on a cancelled invoice is money the school may owe back; the pair itself is
  // settled, but the school should look at it.
  if (f.kind == InvoiceKind::kInvoice && f.paid_cents > 0) {
    return "storniert – " + FormatEuroDe(f.paid_cents) + " bezahlt, Erstattung prüfen";
  }
  return "storniert – ausgeglichen";
}

std::string PaidLabel(const PaymentFacts& f) {
  if (f.gross_cents <= 0) return "nichts zu zahlen";
  return f.paid_on ? "bezahlt am " + FormatDateDe(*f.paid_on) : std::string("bezahlt");
}

}  // namespace

std::string_view ToString(PaymentState state) {
  for (const auto& [s, name] : kNames)
    if (s == state) return name;
  return "none";
}

std::optional<PaymentState> ParsePaymentState(std::string_view text) {
  for (const auto& [s, name] : kNames)
    if (name == text) return s;
  return std::nullopt;
}

Date DueDateOf(Date invoice_date, int term_days) {
  return AddDays(invoice_date, std::max(0, term_days));
}

PaymentStatus DerivePaymentStatus(const PaymentFacts& f, Date today) {
  PaymentStatus s;
  s.paid_cents = f.paid_cents;
  s.paid_on = f.paid_on;
  if (f.status == InvoiceStatus::kDraft) {
    s.label = "Entwurf";
    return s;
  }
  if (f.status == InvoiceStatus::kCancelled || f.kind == InvoiceKind::kCancellation) {
    s.state = PaymentState::kSettled;
    s.label = SettledLabel(f);
    return s;
  }
  s.due_date = f.due_date;
  s.open_cents = std::max<Cents>(0, f.gross_cents - f.paid_cents);
  if (s.open_cents == 0) {
    s.state = PaymentState::kPaid;
    s.label = PaidLabel(f);
    return s;
  }
  const std::string partial =
      f.paid_cents > 0 ? "teilweise bezahlt (" + FormatEuroDe(f.paid_cents) + ")" : "";
  if (today > f.due_date) {
    s.state = PaymentState::kOverdue;
    s.overdue_since = AddDays(f.due_date, 1);
    s.label = "überfällig seit " + FormatDateDe(*s.overdue_since);
    if (!partial.empty()) s.label = partial + ", " + s.label;
    return s;
  }
  s.state = f.paid_cents > 0 ? PaymentState::kPartial : PaymentState::kOpen;
  s.label = !partial.empty() ? partial : "offen (fällig am " + FormatDateDe(f.due_date) + ")";
  return s;
}

}  // namespace hs::domain
