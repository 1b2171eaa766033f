#pragma once
// The decisions of "Zahlung erfassen" (issue 16, ADR 0019): whether a payment may be recorded,
// and the booking in sevdesk as a small state machine (local, pending, sending, booked, check,
// failed). Pure: no clock, no database, no sevdesk; table-tested in
// tests/app/payment_policy_test.cpp.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/payment_ports.hpp"
#include "app/sevdesk_ports.hpp"
#include "core/result.hpp"
#include "domain/invoice.hpp"

namespace hs::app {

// ---- Recording

// The invoice as the recording needs it.
struct InvoiceFacts {
  domain::InvoiceStatus status = domain::InvoiceStatus::kDraft;
  domain::InvoiceKind kind = domain::InvoiceKind::kInvoice;
  Date invoice_date{};
  Cents gross_cents = 0;
  Cents paid_cents = 0;  // PaidCents
};

// As the API received it (types checked at the edge, meaning checked here).
struct PaymentInput {
  Cents amount_cents = 0;
  std::string date;    // ISO date
  std::string method;  // cash | card | transfer
};

struct ValidPayment {
  Cents amount_cents = 0;
  Date date{};
  PaymentMethod method = PaymentMethod::kCash;
};

// The schema's rule: sevdesk's stored paid amount (0 without a row) plus the payments recorded
// here that are not booked (a booked one is in sevdesk's amount already).
Cents PaidCents(std::optional<Cents> voucher_paid, const std::vector<InvoicePayment>& payments);
Cents OpenCents(const InvoiceFacts& invoice);

// 409 for an invoice that takes no payment (draft, cancelled, a cancellation), 422 with field
// errors for the amount, date and method. `today`: the civil date in Berlin.
Result<ValidPayment> ValidatePayment(const InvoiceFacts& invoice, const PaymentInput& input,
                                     Date today);

// ---- Booking

inline constexpr char kLocalMessage[] = "Nur hier erfasst – kein Zahlungskonto in sevdesk gewählt.";
inline constexpr char kAwaitTransferMessage[] =
    "Wird in sevdesk gebucht, sobald die Rechnung dort angekommen ist.";
inline constexpr char kBookedMessage[] = "In sevdesk gebucht.";
inline constexpr char kSendingMessage[] =
    "An sevdesk gesendet, die Antwort blieb aus – es wird nachgesehen, ob die Zahlung gebucht "
    "wurde, bevor sie noch einmal gesendet wird.";

// Where a new payment goes: recorded here only (no connection or no payment account), waiting
// for the invoice's transfer, or booked now.
enum class BookingRoute { kLocal, kAwaitTransfer, kBook };
BookingRoute RouteOf(bool has_payment_account, bool invoice_transferred);

// Before a booking is sent, the voucher is read.
enum class BeforeSend {
  kSend,    // open enough in sevdesk
  kRefuse,  // sevdesk shows it paid, or less open than the payment: a booking would pay twice
  kGone,    // the voucher is no longer in sevdesk
  kWait,    // the read failed (unreachable, token, ...): try later
};
struct BeforeSendDecision {
  BeforeSend verdict = BeforeSend::kWait;
  std::string message;  // German; for kRefuse as the school reads it when recording
};
BeforeSendDecision DecideBeforeSend(const Result<std::optional<VoucherPayment>>& read,
                                    Cents amount);

// The booking's next state and message after BookAmount answered.
struct BookingStep {
  Booking booking = Booking::kPending;
  std::string message;
};
BookingStep AfterBook(const Result<BookedAmount>& answer);

// The look-up of a booking left in kSending (an uncertain answer or a crash): never sent again
// blindly (ADR 0010's settle time).
enum class LookUp {
  kBooked,  // paid >= paid_before + amount: it was applied
  kResend,  // paid unchanged and the settle time has passed: it certainly was not applied
  kWait,    // paid unchanged but it may still be applied, or the read failed: look again later
  kCheck,   // paid changed by another amount (e.g. the bank import): the school checks
  kGone,    // the voucher is no longer in sevdesk
};
LookUp DecideLookUp(const Result<std::optional<VoucherPayment>>& read, Cents paid_before,
                    Cents amount, Instant sent_at, Instant now, std::chrono::milliseconds settle);
std::string CheckMessage(Cents paid_before, Cents paid_now);
std::string GoneMessage();

// When the background step takes a pending or sending booking up again: a pending one at once
// (then backing off after failed sends), a sending one's look-up every kLookUpEvery.
inline constexpr std::chrono::seconds kLookUpEvery{5};
Instant BookingDueAt(const InvoicePayment& p);

}  // namespace hs::app
