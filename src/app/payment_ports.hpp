#pragma once
// Payments recorded here ("Zahlung erfassen", issue 16, ADR 0019) and their booking in sevdesk:
// the rows of invoice_payments and the writes a booking makes to sevdesk_voucher_states.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "core/money.hpp"
#include "core/result.hpp"

namespace hs::app {

enum class PaymentMethod { kCash, kCard, kTransfer };
std::string_view ToString(PaymentMethod method);  // cash | card | transfer
std::optional<PaymentMethod> ParsePaymentMethod(std::string_view text);
std::string_view GermanName(PaymentMethod method);  // bar | EC-Karte | Überweisung

// The booking of a payment in sevdesk (the schema comment of invoice_payments):
//  kLocal: recorded here only; kPending: to be booked; kSending: sent, outcome unknown (look
//  before sending again); kBooked; kCheck: the school checks in sevdesk; kFailed: refused.
enum class Booking { kLocal, kPending, kSending, kBooked, kCheck, kFailed };
std::string_view ToString(Booking booking);
std::optional<Booking> ParseBooking(std::string_view text);

struct InvoicePayment {
  std::int64_t id = 0;
  std::int64_t school_id = 0;
  std::int64_t invoice_id = 0;
  Cents amount_cents = 0;
  Date pay_date{};
  PaymentMethod method = PaymentMethod::kCash;
  Booking booking = Booking::kLocal;
  std::string check_account_id;            // the payment account it is (to be) booked on
  std::optional<Cents> paid_before_cents;  // sevdesk's paid amount read right before sending
  std::optional<Instant> sent_at;
  int attempts = 0;
  std::string message;  // German
  std::optional<std::int64_t> created_by;
  Instant created_at{};
  Instant updated_at{};
};

// What a read of a voucher (GetVoucherPayment) or a booking tells about the receipt's voucher.
struct VoucherStateWrite {
  std::int64_t school_id = 0;
  std::int64_t receipt_id = 0;
  std::string voucher_id;
  int status = 0;
  Cents gross_cents = 0;
  Cents paid_cents = 0;  // SaveVoucherRead: the paid amount; AddBooked: the amount booked
  std::optional<Date> pay_date;
  std::int64_t sevdesk_updated = 0;  // unix seconds
  Instant at{};
};

class PaymentRepository {
 public:
  virtual ~PaymentRepository() = default;
  virtual Result<std::int64_t> Insert(const InvoicePayment& p) = 0;
  virtual Result<std::optional<InvoicePayment>> Get(std::int64_t school_id,
                                                    std::int64_t payment_id) = 0;
  virtual Result<std::vector<InvoicePayment>> ListByInvoice(std::int64_t school_id,
                                                            std::int64_t invoice_id) = 0;
  // Writes the booking fields of `p` (booking, check account, paid_before, sent_at, attempts,
  // message, updated_at) only while the row's booking is still `expected` (compare-and-set, so
  // two processes cannot both send one booking). Moving to kSending additionally requires that
  // no other payment of the invoice is kSending: bookings of one invoice go one at a time, so
  // that each one's look-up can tell its own amount from the others'. False: nothing written.
  virtual Result<bool> UpdateBooking(const InvoicePayment& p, Booking expected) = 0;
  // Bookings to finish, of all schools, oldest change first: sending ones (their outcome is
  // looked up), and pending ones whose invoice's receipt is transferred to sevdesk.
  virtual Result<std::vector<InvoicePayment>> DueBookings(int limit) = 0;
  // The receipt finalizing the invoice made (nothing for a draft).
  virtual Result<std::optional<std::int64_t>> ReceiptOfInvoice(std::int64_t school_id,
                                                               std::int64_t invoice_id) = 0;
  // sevdesk's paid amount as last stored for the receipt (nothing without a row).
  virtual Result<std::optional<Cents>> VoucherPaidCents(std::int64_t school_id,
                                                        std::int64_t receipt_id) = 0;
  // Stores what a read of the voucher showed (presence 'present'), over what was stored.
  virtual Status SaveVoucherRead(const VoucherStateWrite& w) = 0;
  // A booking succeeded, so sevdesk's paid amount is now at least `paid_before + w.paid_cents`:
  // the stored amount is raised to that (with the booking's status and pay date) unless it is
  // higher already, e.g. because the payment sync read the booking meanwhile; without a row, one
  // is created with it. Never added to the stored amount: that would count a booking the sync
  // has seen twice. A bank import between the read and the booking may be missing until the next
  // sync (counted too little for a while, never twice).
  virtual Status AddBooked(const VoucherStateWrite& w, Cents paid_before) = 0;
};

}  // namespace hs::app
