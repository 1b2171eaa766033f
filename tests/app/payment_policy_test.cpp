// The decisions of "Zahlung erfassen" (src/app/payment_policy.hpp) as tables: whether a payment
// may be recorded, where it goes, and every step of the booking's state machine.
#include "app/payment_policy.hpp"

#include <gtest/gtest.h>

namespace hs::app {
namespace {

using std::chrono::seconds;
using IS = domain::InvoiceStatus;
using IK = domain::InvoiceKind;

Date D(const char* iso) {
  return *ParseIsoDate(iso);
}

InvoiceFacts Invoice(IS status = IS::kFinalized, IK kind = IK::kInvoice, Cents paid = 0) {
  return {status, kind, D("2026-11-02"), 10'000, paid};
}

TEST(PaymentPolicy, PaidCountsSevdesksAmountAndWhatIsNotBookedYet) {
  auto P = [](Cents amount, Booking b) {
    InvoicePayment p;
    p.amount_cents = amount;
    p.booking = b;
    return p;
  };
  EXPECT_EQ(PaidCents(std::nullopt, {}), 0);
  EXPECT_EQ(PaidCents(2500, {}), 2500);
  // A booked one is contained in sevdesk's amount; all others count here.
  EXPECT_EQ(PaidCents(2500, {P(2500, Booking::kBooked), P(100, Booking::kLocal),
                             P(200, Booking::kPending), P(300, Booking::kSending),
                             P(400, Booking::kCheck), P(500, Booking::kFailed)}),
            4000);
  EXPECT_EQ(OpenCents(Invoice(IS::kFinalized, IK::kInvoice, 2500)), 7500);
  EXPECT_EQ(OpenCents(Invoice(IS::kFinalized, IK::kInvoice, 12'000)), 0);
}

TEST(PaymentPolicy, OnlyAFinalizedInvoiceWithSomethingOpenTakesAPayment) {
  const PaymentInput ok{5000, "2026-11-20", "cash"};
  const Date today = D("2026-11-27");
  struct Case {
    InvoiceFacts invoice;
    const char* reason;  // "" = accepted
  } cases[] = {
      {Invoice(), ""},
      {Invoice(IS::kDraft), "payment_on_draft"},
      {Invoice(IS::kCancelled), "payment_on_cancelled"},
      {Invoice(IS::kFinalized, IK::kCancellation), "payment_on_cancellation"},
      {Invoice(IS::kFinalized, IK::kInvoice, 10'000), "payment_nothing_open"},
  };
  for (const auto& c : cases) {
    auto r = ValidatePayment(c.invoice, ok, today);
    if (std::string(c.reason).empty()) {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->amount_cents, 5000);
      EXPECT_EQ(r->date, D("2026-11-20"));
      EXPECT_EQ(r->method, PaymentMethod::kCash);
    } else {
      ASSERT_FALSE(r) << c.reason;
      EXPECT_EQ(r.error().code, ErrorCode::kConflict);
      EXPECT_EQ(r.error().reason, c.reason);
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST(PaymentPolicy, AmountDateAndMethodAreChecked) {
  const Date today = D("2026-11-27");
  const auto invoice = Invoice(IS::kFinalized, IK::kInvoice, 2500);  // 75,00 € open
  struct Case {
    PaymentInput input;
    const char* field;  // "" = accepted
  } cases[] = {
      {{7500, "2026-11-27", "card"}, ""},   // all that is open, today
      {{1, "2026-11-02", "transfer"}, ""},  // one cent on the invoice date
      {{0, "2026-11-20", "cash"}, "amount_cents"},
      {{-100, "2026-11-20", "cash"}, "amount_cents"},
      {{7501, "2026-11-20", "cash"}, "amount_cents"},  // more than open
      {{100, "2026-11-28", "cash"}, "date"},           // tomorrow
      {{100, "2026-11-01", "cash"}, "date"},           // before the invoice
      {{100, "27.11.2026", "cash"}, "date"},
      {{100, "2026-02-30", "cash"}, "date"},
      {{100, "2026-11-20", "bar"}, "method"},
      {{100, "2026-11-20", ""}, "method"},
  };
  for (const auto& c : cases) {
    auto r = ValidatePayment(invoice, c.input, today);
    if (std::string(c.field).empty()) {
      EXPECT_TRUE(r) << c.input.amount_cents << " " << c.input.date;
      continue;
    }
    ASSERT_FALSE(r) << c.field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    ASSERT_EQ(r.error().details.size(), 1u) << c.field;
    EXPECT_EQ(r.error().details[0].field, c.field);
  }
  auto over = ValidatePayment(invoice, {7501, "2026-11-20", "cash"}, today);
  EXPECT_NE(over.error().details[0].message.find("75,00"), std::string::npos);
}

TEST(PaymentPolicy, MethodsHaveGermanNamesAndRoundTrip) {
  for (auto m : {PaymentMethod::kCash, PaymentMethod::kCard, PaymentMethod::kTransfer}) {
    EXPECT_EQ(ParsePaymentMethod(ToString(m)), m);
  }
  EXPECT_EQ(GermanName(PaymentMethod::kCash), "bar");
  EXPECT_EQ(GermanName(PaymentMethod::kCard), "EC-Karte");
  EXPECT_EQ(GermanName(PaymentMethod::kTransfer), "Überweisung");
  for (auto b : {Booking::kLocal, Booking::kPending, Booking::kSending, Booking::kBooked,
                 Booking::kCheck, Booking::kFailed}) {
    EXPECT_EQ(ParseBooking(ToString(b)), b);
  }
  EXPECT_FALSE(ParseBooking("paid"));
}

TEST(PaymentPolicy, RouteFollowsTheAccountAndTheTransfer) {
  EXPECT_EQ(RouteOf(false, false), BookingRoute::kLocal);
  EXPECT_EQ(RouteOf(false, true), BookingRoute::kLocal);
  EXPECT_EQ(RouteOf(true, false), BookingRoute::kAwaitTransfer);
  EXPECT_EQ(RouteOf(true, true), BookingRoute::kBook);
}

VoucherPayment Voucher(int status, Cents paid, std::optional<Date> pay_date = std::nullopt) {
  VoucherPayment v;
  v.id = "900";
  v.status = status;
  v.gross_cents = 10'000;
  v.paid_cents = paid;
  v.pay_date = pay_date;
  return v;
}

Error Err(ErrorCode code, std::string_view reason) {
  Error e;
  e.code = code;
  e.reason = std::string(reason);
  e.message = "sevdesk sagt nein.";
  return e;
}

TEST(PaymentPolicy, BeforeSendingTheVoucherIsRead) {
  using R = Result<std::optional<VoucherPayment>>;
  struct Case {
    R read;
    Cents amount;
    BeforeSend verdict;
    const char* says;
  } cases[] = {
      {R{Voucher(kVoucherOpen, 0)}, 10'000, BeforeSend::kSend, ""},
      {R{Voucher(kVoucherPartiallyPaid, 7500)}, 2500, BeforeSend::kSend, ""},
      {R{Voucher(kVoucherPaid, 10'000, D("2026-11-27"))}, 100, BeforeSend::kRefuse,
       "bereits als bezahlt (Zahlung am 27.11.2026)"},
      {R{Voucher(kVoucherPartiallyPaid, 7500)}, 2501, BeforeSend::kRefuse, "nur noch 25,00"},
      {R{std::optional<VoucherPayment>{}}, 100, BeforeSend::kGone, "nicht mehr vorhanden"},
      {R{tl::unexpected(Err(ErrorCode::kUnavailable, sevdesk_reason::kUnreachable))}, 100,
       BeforeSend::kWait, "nicht erreichbar"},
      {R{tl::unexpected(Err(ErrorCode::kUnauthenticated, sevdesk_reason::kAuth))}, 100,
       BeforeSend::kWait, "API-Token"},
      {R{tl::unexpected(Err(ErrorCode::kForbidden, sevdesk_reason::kForbidden))}, 100,
       BeforeSend::kWait, "Tarif"},
  };
  for (const auto& c : cases) {
    const auto d = DecideBeforeSend(c.read, c.amount);
    EXPECT_EQ(d.verdict, c.verdict) << c.says;
    EXPECT_NE(d.message.find(c.says), std::string::npos) << d.message;
  }
  const auto refused = DecideBeforeSend(R{Voucher(kVoucherPaid, 10'000)}, 100);
  EXPECT_NE(refused.message.find("nicht erfasst, damit nichts doppelt gebucht wird"),
            std::string::npos);
}

TEST(PaymentPolicy, TheAnswerToABookingDecidesTheNextState) {
  using R = Result<BookedAmount>;
  struct Case {
    R answer;
    Booking next;
    const char* says;
  } cases[] = {
      {R{BookedAmount{100, 750, 2500}}, Booking::kBooked, "In sevdesk gebucht"},
      {R{tl::unexpected(Err(ErrorCode::kUnavailable, sevdesk_reason::kUncertain))},
       Booking::kSending, "nachgesehen"},
      {R{tl::unexpected(Err(ErrorCode::kUnavailable, sevdesk_reason::kTimeout))}, Booking::kSending,
       "nachgesehen"},
      {R{tl::unexpected(Err(ErrorCode::kInternal, "internal"))}, Booking::kSending, "nachgesehen"},
      {R{tl::unexpected(Err(ErrorCode::kUnavailable, sevdesk_reason::kUnreachable))},
       Booking::kPending, "nicht erreichbar"},
      {R{tl::unexpected(Err(ErrorCode::kUnauthenticated, sevdesk_reason::kAuth))},
       Booking::kPending, "API-Token"},
      {R{tl::unexpected(Err(ErrorCode::kForbidden, sevdesk_reason::kForbidden))}, Booking::kPending,
       "Tarif"},
      {R{tl::unexpected(Err(ErrorCode::kRateLimited, sevdesk_reason::kRateLimited))},
       Booking::kPending, "Pause"},
      {R{tl::unexpected(Err(ErrorCode::kInvalidArgument, sevdesk_reason::kVoucherGone))},
       Booking::kFailed, "nicht mehr vorhanden"},
      {R{tl::unexpected(Err(ErrorCode::kInvalidArgument, sevdesk_reason::kRejected))},
       Booking::kFailed, "abgelehnt: sevdesk sagt nein."},
  };
  for (const auto& c : cases) {
    const auto step = AfterBook(c.answer);
    EXPECT_EQ(step.booking, c.next) << c.says;
    EXPECT_NE(step.message.find(c.says), std::string::npos) << step.message;
  }
}

TEST(PaymentPolicy, ALookUpNeverSendsAgainBlindly) {
  using R = Result<std::optional<VoucherPayment>>;
  const Instant sent = FromUnixMillis(1'790'000'000'000);
  const auto settle = std::chrono::milliseconds(60'000);
  struct Case {
    R read;
    Instant now;
    LookUp verdict;
  } cases[] = {
      {R{Voucher(kVoucherPartiallyPaid, 3500)}, sent + seconds(1), LookUp::kBooked},  // 1000+2500
      {R{Voucher(kVoucherPaid, 10'000)}, sent + seconds(1), LookUp::kBooked},
      {R{Voucher(kVoucherPartiallyPaid, 1000)}, sent + seconds(1), LookUp::kWait},  // unchanged
      {R{Voucher(kVoucherPartiallyPaid, 1000)}, sent + seconds(59), LookUp::kWait},
      {R{Voucher(kVoucherPartiallyPaid, 1000)}, sent + seconds(60), LookUp::kResend},
      {R{Voucher(kVoucherPartiallyPaid, 2000)}, sent + seconds(1), LookUp::kCheck},  // the bank
      {R{Voucher(kVoucherPartiallyPaid, 2000)}, sent + seconds(90), LookUp::kCheck},
      {R{Voucher(kVoucherOpen, 0)}, sent + seconds(90), LookUp::kCheck},  // paid went down
      {R{std::optional<VoucherPayment>{}}, sent + seconds(1), LookUp::kGone},
      {R{tl::unexpected(Err(ErrorCode::kUnavailable, sevdesk_reason::kUnreachable))},
       sent + seconds(90), LookUp::kWait},
  };
  int i = 0;
  for (const auto& c : cases) {
    EXPECT_EQ(DecideLookUp(c.read, 1000, 2500, sent, c.now, settle), c.verdict) << "case " << i;
    ++i;
  }
  EXPECT_NE(CheckMessage(1000, 2000).find("vorher 10,00 €, jetzt 20,00 €"), std::string::npos);
}

TEST(PaymentPolicy, DueTimesBackOffAfterFailedSends) {
  InvoicePayment p;
  p.updated_at = FromUnixMillis(1'790'000'000'000);
  p.booking = Booking::kPending;
  EXPECT_EQ(BookingDueAt(p), p.updated_at);  // never sent: at once
  p.attempts = 1;
  EXPECT_EQ(BookingDueAt(p), p.updated_at + seconds(5));
  p.attempts = 3;
  EXPECT_EQ(BookingDueAt(p), p.updated_at + seconds(20));
  p.attempts = 40;
  EXPECT_EQ(BookingDueAt(p), p.updated_at + std::chrono::minutes(10));
  p.booking = Booking::kSending;
  EXPECT_EQ(BookingDueAt(p), p.updated_at + kLookUpEvery);
}

}  // namespace
}  // namespace hs::app
