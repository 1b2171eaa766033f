#include "domain/payment_status.hpp"

#include <gtest/gtest.h>

namespace hs::domain {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

Date D(int y, unsigned m, unsigned d) {
  return Date{year{y}, month{m}, day{d}};
}

struct Case {
  const char* name;
  PaymentFacts facts;
  Date today;
  PaymentState state;
  Cents open_cents;
  std::string label;
};

PaymentFacts Facts(Cents gross, Cents paid, std::optional<Date> paid_on = std::nullopt,
                   InvoiceStatus status = InvoiceStatus::kFinalized,
                   InvoiceKind kind = InvoiceKind::kInvoice) {
  PaymentFacts f;
  f.kind = kind;
  f.status = status;
  f.gross_cents = gross;
  f.due_date = D(2026, 11, 30);
  f.paid_cents = paid;
  f.paid_on = paid_on;
  return f;
}

TEST(PaymentStatus, EveryStateAndItsGermanLabel) {
  const Case cases[] = {
      {"draft", Facts(10000, 0, {}, InvoiceStatus::kDraft), D(2026, 12, 5), PaymentState::kNone, 0,
       "Entwurf"},
      {"open before due", Facts(10000, 0), D(2026, 11, 20), PaymentState::kOpen, 10000,
       "offen (fällig am 30.11.2026)"},
      {"open on the due date itself", Facts(10000, 0), D(2026, 11, 30), PaymentState::kOpen, 10000,
       "offen (fällig am 30.11.2026)"},
      {"overdue the day after", Facts(10000, 0), D(2026, 12, 1), PaymentState::kOverdue, 10000,
       "überfällig seit 01.12.2026"},
      {"partial before due", Facts(10000, 2550, D(2026, 11, 25)), D(2026, 11, 26),
       PaymentState::kPartial, 7450, "teilweise bezahlt (25,50 €)"},
      {"partial and overdue", Facts(10000, 2550, D(2026, 11, 25)), D(2026, 12, 5),
       PaymentState::kOverdue, 7450, "teilweise bezahlt (25,50 €), überfällig seit 01.12.2026"},
      {"paid on a day", Facts(10000, 10000, D(2026, 11, 27)), D(2026, 12, 5), PaymentState::kPaid,
       0, "bezahlt am 27.11.2026"},
      {"paid without a known day", Facts(10000, 10000), D(2026, 12, 5), PaymentState::kPaid, 0,
       "bezahlt"},
      {"overpaid is paid, nothing open", Facts(10000, 10001, D(2026, 11, 27)), D(2026, 12, 5),
       PaymentState::kPaid, 0, "bezahlt am 27.11.2026"},
      {"one cent short is still open", Facts(10000, 9999, D(2026, 11, 27)), D(2026, 12, 5),
       PaymentState::kOverdue, 1, "teilweise bezahlt (99,99 €), überfällig seit 01.12.2026"},
      {"a zero invoice", Facts(0, 0), D(2026, 12, 5), PaymentState::kPaid, 0, "nichts zu zahlen"},
      {"cancelled original", Facts(10000, 0, {}, InvoiceStatus::kCancelled), D(2026, 12, 5),
       PaymentState::kSettled, 0, "storniert – ausgeglichen"},
      {"cancelled original with a payment",
       Facts(10000, 4000, D(2026, 11, 20), InvoiceStatus::kCancelled), D(2026, 12, 5),
       PaymentState::kSettled, 0, "storniert – 40,00 € bezahlt, Erstattung prüfen"},
      {"the cancellation itself",
       Facts(-10000, 0, {}, InvoiceStatus::kFinalized, InvoiceKind::kCancellation), D(2026, 12, 5),
       PaymentState::kSettled, 0, "storniert – ausgeglichen"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const PaymentStatus s = DerivePaymentStatus(c.facts, c.today);
    EXPECT_EQ(s.state, c.state);
    EXPECT_EQ(s.open_cents, c.open_cents);
    EXPECT_EQ(s.label, c.label);
    EXPECT_EQ(s.paid_cents, c.facts.paid_cents);
    const bool can_be_open = c.state != PaymentState::kNone && c.state != PaymentState::kSettled;
    EXPECT_EQ(s.due_date.has_value(), can_be_open);
  }
}

TEST(PaymentStatus, OverdueSinceIsTheDayAfterTheDueDateAcrossMonthAndYear) {
  PaymentFacts f = Facts(5000, 0);
  f.due_date = D(2026, 12, 31);
  const PaymentStatus s = DerivePaymentStatus(f, D(2027, 1, 2));
  ASSERT_TRUE(s.overdue_since);
  EXPECT_EQ(*s.overdue_since, D(2027, 1, 1));
}

TEST(PaymentStatus, DueDateAddsTheTermAndNeverGoesBack) {
  EXPECT_EQ(DueDateOf(D(2026, 11, 20), 14), D(2026, 12, 4));
  EXPECT_EQ(DueDateOf(D(2026, 2, 20), 14), D(2026, 3, 6));
  EXPECT_EQ(DueDateOf(D(2026, 11, 20), 0), D(2026, 11, 20));
  EXPECT_EQ(DueDateOf(D(2026, 11, 20), -1), D(2026, 11, 20));
}

TEST(PaymentStatus, StateNamesRoundTrip) {
  for (auto s : {PaymentState::kNone, PaymentState::kOpen, PaymentState::kPartial,
                 PaymentState::kOverdue, PaymentState::kPaid, PaymentState::kSettled}) {
    EXPECT_EQ(ParsePaymentState(ToString(s)), s);
  }
  EXPECT_FALSE(ParsePaymentState("bezahlt"));
}

}  // namespace
}  // namespace hs::domain
