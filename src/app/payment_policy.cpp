#include "app/payment_policy.hpp"

#include <algorithm>

#include "app/transfer_policy.hpp"

namespace hs::app {

// ---------------------------------------------------------------- names

std::string_view ToString(PaymentMethod method) {
  switch (method) {
    case PaymentMethod::kCash:
      return "cash";
    case PaymentMethod::kCard:
      return "card";
    case PaymentMethod::kTransfer:
      return "transfer";
  }
  return "cash";
}

std::optional<PaymentMethod> ParsePaymentMethod(std::string_view text) {
  if (text == "cash") return PaymentMethod::kCash;
  if (text == "card") return PaymentMethod::kCard;
  if (text == "transfer") return PaymentMethod::kTransfer;
  return std::nullopt;
}

std::string_view GermanName(PaymentMethod method) {
  switch (method) {
    case PaymentMethod::kCash:
      return "bar";
    case PaymentMethod::kCard:
      return "EC-Karte";
    case PaymentMethod::kTransfer:
      return "Überweisung";
  }
  return "bar";
}

namespace {
constexpr std::pair<Booking, std::string_view> kBookingNames[] = {
    {Booking::kLocal, "local"},   {Booking::kPending, "pending"}, {Booking::kSending, "sending"},
    {Booking::kBooked, "booked"}, {Booking::kCheck, "check"},     {Booking::kFailed, "failed"}};
}  // namespace

std::string_view ToString(Booking booking) {
  for (const auto& [b, name] : kBookingNames) {
    if (b == booking) return name;
  }
  return "check";
}

std::optional<Booking> ParseBooking(std::string_view text) {
  for (const auto& [b, name] : kBookingNames) {
    if (name == text) return b;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- recording

Cents PaidCents(std::optional<Cents> voucher_paid, const std::vector<InvoicePayment>& payments) {
  Cents paid = voucher_paid.value_or(0);
  for (const auto& p : payments) {
    if (p.booking != Booking::kBooked) paid += p.amount_cents;
  }
  return paid;
}

Cents OpenCents(const InvoiceFacts& invoice) {
  return std::max<Cents>(0, invoice.gross_cents - invoice.paid_cents);
}

namespace {

Status TakesPayments(const InvoiceFacts& invoice) {
  if (invoice.kind == domain::InvoiceKind::kCancellation) {
    return Fail(ErrorCode::kConflict, "payment_on_cancellation",
                "Eine Stornorechnung nimmt keine Zahlung an. Bitte die Zahlung bei einer "
                "gültigen Rechnung erfassen.");
  }
  if (invoice.status == domain::InvoiceStatus::kDraft) {
    return Fail(ErrorCode::kConflict, "payment_on_draft",
                "Ein Entwurf nimmt keine Zahlung an. Bitte die Rechnung zuerst abschließen.");
  }
  if (invoice.status == domain::InvoiceStatus::kCancelled) {
    return Fail(ErrorCode::kConflict, "payment_on_cancelled",
                "Diese Rechnung ist storniert und nimmt keine Zahlung mehr an.");
  }
  if (OpenCents(invoice) <= 0) {
    return Fail(ErrorCode::kConflict, "payment_nothing_open",
                "Diese Rechnung ist bereits vollständig bezahlt.");
  }
  return {};
}

}  // namespace

Result<ValidPayment> ValidatePayment(const InvoiceFacts& invoice, const PaymentInput& input,
                                     Date today) {
  if (auto st = TakesPayments(invoice); !st) return tl::unexpected(st.error());
  std::vector<FieldError> errors;
  ValidPayment out;
  const Cents open = OpenCents(invoice);
  if (input.amount_cents <= 0) {
    errors.push_back({"amount_cents", "Bitte einen Betrag größer als 0 € angeben."});
  } else if (input.amount_cents > open) {
    errors.push_back({"amount_cents",
                      "Der Betrag ist höher als der offene Betrag (" + FormatEuroDe(open) + ")."});
  }
  out.amount_cents = input.amount_cents;
  if (auto d = ParseIsoDate(input.date); !d) {
    errors.push_back({"date", "Bitte ein gültiges Datum angeben (TT.MM.JJJJ)."});
  } else if (*d > today) {
    errors.push_back({"date", "Das Zahlungsdatum darf nicht in der Zukunft liegen."});
  } else if (*d < invoice.invoice_date) {
    errors.push_back({"date", "Das Zahlungsdatum liegt vor dem Rechnungsdatum (" +
                                  FormatDateDe(invoice.invoice_date) + ")."});
  } else {
    out.date = *d;
  }
  if (auto m = ParsePaymentMethod(input.method)) {
    out.method = *m;
  } else {
    errors.push_back({"method", "Bitte die Zahlungsart wählen: bar, EC-Karte oder Überweisung."});
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return out;
}

// ---------------------------------------------------------------- booking

BookingRoute RouteOf(bool has_payment_account, bool invoice_transferred) {
  if (!has_payment_account) return BookingRoute::kLocal;
  return invoice_transferred ? BookingRoute::kBook : BookingRoute::kAwaitTransfer;
}

namespace {

// Why a request certainly did not get through, and that the booking waits.
std::string WaitMessage(const Error& e) {
  if (e.reason == sevdesk_reason::kAuth || e.code == ErrorCode::kUnauthenticated) {
    return "sevdesk hat den API-Token abgelehnt – die Buchung wartet. Bitte unter Einstellungen › "
           "sevdesk den Token prüfen und „Verbindung testen“.";
  }
  if (e.reason == sevdesk_reason::kForbidden || e.code == ErrorCode::kForbidden) {
    return "Der sevdesk-Tarif erlaubt keinen API-Zugriff – die Buchung wartet, bis er es wieder "
           "tut.";
  }
  if (e.code == ErrorCode::kRateLimited) {
    return "sevdesk bittet um eine kurze Pause – die Buchung wird gleich wiederholt.";
  }
  return "sevdesk ist gerade nicht erreichbar – die Buchung wird später wiederholt.";
}

std::string RefuseMessage(const VoucherPayment& v, Cents amount) {
  if (v.status == kVoucherPaid || v.paid_cents >= v.gross_cents) {
    std::string when = v.pay_date ? " (Zahlung am " + FormatDateDe(*v.pay_date) + ")" : "";
    return "sevdesk zeigt diese Rechnung bereits als bezahlt" + when +
           ". Die Zahlung wurde nicht erfasst, damit nichts doppelt gebucht wird.";
  }
  return "In sevdesk sind von dieser Rechnung nur noch " +
         FormatEuroDe(v.gross_cents - v.paid_cents) + " offen, weniger als die Zahlung über " +
         FormatEuroDe(amount) +
         ". Die Zahlung wurde nicht erfasst, damit nichts doppelt gebucht wird. Bitte in sevdesk "
         "nachsehen, welche Zahlung dort schon gebucht ist.";
}

}  // namespace

std::string GoneMessage() {
  return "Der Beleg ist in sevdesk nicht mehr vorhanden (dort gelöscht). Die Zahlung ist hier "
         "erfasst, aber nicht in sevdesk gebucht: bitte den Beleg erneut an sevdesk übertragen "
         "und die Zahlung dort selbst buchen.";
}

std::string CheckMessage(Cents paid_before, Cents paid_now) {
  return "In sevdesk hat sich der bezahlte Betrag inzwischen anders geändert (vorher " +
         FormatEuroDe(paid_before) + ", jetzt " + FormatEuroDe(paid_now) +
         "), z. B. durch den Bankabgleich. Ob diese Zahlung dort gebucht ist, ist nicht sicher – "
         "bitte in sevdesk prüfen. Sie wird nicht noch einmal gesendet.";
}

BeforeSendDecision DecideBeforeSend(const Result<std::optional<VoucherPayment>>& read,
                                    Cents amount) {
  if (!read) return {BeforeSend::kWait, WaitMessage(read.error())};
  if (!*read) return {BeforeSend::kGone, GoneMessage()};
  const VoucherPayment& v = **read;
  if (v.status == kVoucherPaid || v.gross_cents - v.paid_cents < amount) {
    return {BeforeSend::kRefuse, RefuseMessage(v, amount)};
  }
  return {BeforeSend::kSend, {}};
}

BookingStep AfterBook(const Result<BookedAmount>& answer) {
  if (answer) return {Booking::kBooked, kBookedMessage};
  const Error& e = answer.error();
  if (IsRejection(e, sevdesk_reason::kVoucherGone)) return {Booking::kFailed, GoneMessage()};
  if (IsUncertain(e)) return {Booking::kSending, kSendingMessage};
  if (CertainlyNotApplied(e) && e.code != ErrorCode::kInvalidArgument) {
    return {Booking::kPending, WaitMessage(e)};
  }
  if (e.code == ErrorCode::kInvalidArgument) {
    return {Booking::kFailed, "sevdesk hat die Buchung abgelehnt: " + e.message +
                                  " Die Zahlung ist hier erfasst; bitte in sevdesk prüfen und "
                                  "dort selbst buchen."};
  }
  // Anything else may have reached sevdesk: look before sending again.
  return {Booking::kSending, kSendingMessage};
}

LookUp DecideLookUp(const Result<std::optional<VoucherPayment>>& read, Cents paid_before,
                    Cents amount, Instant sent_at, Instant now, std::chrono::milliseconds settle) {
  if (!read) return LookUp::kWait;
  if (!*read) return LookUp::kGone;
  const Cents paid = (*read)->paid_cents;
  if (paid >= paid_before + amount) return LookUp::kBooked;
  if (paid == paid_before) return now >= sent_at + settle ? LookUp::kResend : LookUp::kWait;
  return LookUp::kCheck;
}

Instant BookingDueAt(const InvoicePayment& p) {
  if (p.booking == Booking::kSending) return p.updated_at + kLookUpEvery;
  if (p.booking != Booking::kPending || p.attempts == 0) return p.updated_at;
  // After failed sends: 5 s, 10 s, 20 s, ... up to 10 minutes.
  std::chrono::milliseconds delay{5'000};
  for (int i = 1; i < p.attempts && delay < std::chrono::minutes(10); ++i) delay *= 2;
  return p.updated_at + std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(10));
}

}  // namespace hs::app
