#pragma once
// "Zahlung erfassen" (issue 16, ADR 0019): records a payment of a finalized invoice here and
// books it in sevdesk on the payment account the school chose, exactly once. The booking's
// decisions are pure (payment_policy.hpp); this class does the reads, writes and sevdesk calls
// around them, and a small background step finishes bookings that could not finish at once
// (the invoice not yet in sevdesk, sevdesk unreachable, an uncertain answer, a crash).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/payment_policy.hpp"
#include "app/ports.hpp"
#include "app/services.hpp"
#include "core/clock.hpp"

namespace hs::app {

// The payments of an invoice as its detail view shows them.
struct PaymentList {
  std::vector<InvoicePayment> payments;  // by date
  Cents gross_cents = 0;
  Cents paid_cents = 0;  // PaidCents
  Cents open_cents = 0;
  bool takes_payments = false;       // finalized, not cancelled, not a cancellation
  std::string payment_account_name;  // empty: payments are recorded here only
};

// The payment accounts of the school's sevdesk account that take cash, and the chosen one.
struct PaymentAccountsView {
  std::string chosen_id;
  std::string chosen_name;
  std::vector<PaymentAccount> accounts;  // register and offline accounts only
  std::string message;                   // German: why none can be listed, or what none means
};

struct PaymentSettings {
  // After an uncertain booking, a look-up that finds the paid amount unchanged is conclusive only
  // this long after the booking was sent (as SevdeskSettings::settle, ADR 0010).
  std::chrono::milliseconds settle{60'000};
  std::chrono::milliseconds poll_interval{1'000};  // the background step
  int batch = 100;                                 // bookings looked at per round
};

class PaymentService {
 public:
  PaymentService(Database& db, const Clock& clock, const SecretSealer& sealer,
                 SevdeskGateway& gateway, PaymentSettings settings = {});
  ~PaymentService();
  PaymentService(const PaymentService&) = delete;
  PaymentService& operator=(const PaymentService&) = delete;

  Result<PaymentList> List(std::int64_t school_id, std::int64_t invoice_id);
  // Records the payment and, when it can, books it in sevdesk before answering.
  Result<InvoicePayment> Record(const Principal& who, std::int64_t invoice_id,
                                const PaymentInput& input);

  Result<PaymentAccountsView> PaymentAccounts(const Principal& who);
  // Owner only; an empty id chooses none (payments are then recorded here only).
  Result<PaymentAccountsView> ChoosePaymentAccount(const Principal& who,
                                                   const std::string& account_id);

  // One round of the background step: finishes the due pending and sending bookings of all
  // schools; answers how many it took up.
  Result<int> FinishDueBookings();
  void Start();  // the background step every poll_interval, until Stop
  void Stop();

 private:
  struct Context;
  struct Target;
  Result<Context> Load(UnitOfWork& uow, std::int64_t school_id, std::int64_t invoice_id);
  Result<InvoicePayment> Insert(const Principal& who, std::int64_t invoice_id,
                                const ValidPayment& v, Booking booking, std::string message,
                                const std::string& account,
                                std::optional<Cents> paid_before = std::nullopt);
  Result<InvoicePayment> SendNow(const Principal& who, std::int64_t invoice_id,
                                 const ValidPayment& valid, const Target& target,
                                 const VoucherPayment& read);
  Result<InvoicePayment> Send(InvoicePayment p, const Target& target, Cents gross);
  Result<InvoicePayment> Advance(const InvoicePayment& p);
  Result<InvoicePayment> AdvancePending(InvoicePayment p, const Target& target);
  Result<InvoicePayment> LookUpSending(InvoicePayment p, const Target& target);
  // Writes the payment's next state over `expected` (and the booked amount into the voucher
  // state); answers the stored payment (another process's, when it moved first).
  Result<InvoicePayment> Move(InvoicePayment p, Booking expected, BookingStep step,
                              const VoucherStateWrite* booked = nullptr);
  Status StoreRead(const Target& target, const VoucherPayment& read);
  // Nothing without a token, or (`need_account`) without a chosen payment account.
  Result<std::optional<Target>> TargetOf(std::int64_t school_id, std::int64_t invoice_id,
                                         bool need_account);

  Database& db_;
  const Clock& clock_;
  const SecretSealer& sealer_;
  SevdeskGateway& gateway_;
  PaymentSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hs::app
