#include "app/payment_service.hpp"

#include <algorithm>

#include "app/transaction.hpp"
#include "core/log.hpp"

namespace hs::app {

namespace {

std::string Owner(std::int64_t school_id) {
  return "school:" + std::to_string(school_id);
}

bool TakesCash(const PaymentAccount& a) {
  // An "online" account is a bank account with an import: a booking on it needs a bank
  // transaction, which cash has not.
  return a.type == "register" || a.type == "offline";
}

constexpr char kOtherSendingMessage[] =
    "Eine andere Zahlung dieser Rechnung wird gerade in sevdesk gebucht – diese folgt gleich "
    "danach.";
constexpr char kResendMessage[] =
    "sevdesk hat die Zahlung nicht gebucht (nachgesehen) – sie wird noch einmal gesendet.";

std::string BackgroundRefusal(const std::string& refusal) {
  return refusal.substr(0, refusal.find(". Die Zahlung wurde nicht erfasst")) +
         ". Die Zahlung ist hier erfasst, aber nicht in sevdesk gebucht, damit nichts doppelt "
         "gebucht wird – bitte in sevdesk prüfen.";
}

}  // namespace

// The invoice and what the recording decides on.
struct PaymentService::Context {
  domain::Invoice invoice;
  InvoiceFacts facts;
  std::vector<InvoicePayment> payments;
};

// Where a booking goes in sevdesk (the invoice transferred, a payment account chosen).
struct PaymentService::Target {
  std::int64_t school_id = 0;
  std::int64_t invoice_id = 0;
  std::int64_t receipt_id = 0;
  std::string check_account_id;
  bool transferred = false;
  std::string voucher_id;
  std::string token;  // opened; empty when it cannot be opened
};

PaymentService::PaymentService(Database& db, const Clock& clock, const SecretSealer& sealer,
                               SevdeskGateway& gateway, PaymentSettings settings)
    : db_(db), clock_(clock), sealer_(sealer), gateway_(gateway), settings_(settings) {}

PaymentService::~PaymentService() {
  Stop();
}

Result<PaymentService::Context> PaymentService::Load(UnitOfWork& uow, std::int64_t school_id,
                                                     std::int64_t invoice_id) {
  Context ctx;
  HS_TRY(invoice, uow.Invoices().Get(school_id, invoice_id));
  ctx.invoice = std::move(*invoice);
  HS_TRY(payments, uow.Payments().ListByInvoice(school_id, invoice_id));
  ctx.payments = std::move(*payments);
  std::optional<Cents> voucher_paid;
  HS_TRY(receipt, uow.Payments().ReceiptOfInvoice(school_id, invoice_id));
  if (*receipt) {
    HS_TRY(paid, uow.Payments().VoucherPaidCents(school_id, **receipt));
    voucher_paid = *paid;
  }
  ctx.facts = {ctx.invoice.status, ctx.invoice.kind, ctx.invoice.invoice_date,
               ctx.invoice.totals.gross_cents, PaidCents(voucher_paid, ctx.payments)};
  return ctx;
}

Result<PaymentList> PaymentService::List(std::int64_t school_id, std::int64_t invoice_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(ctx, Load(**uow, school_id, invoice_id));
  HS_TRY(conn, (*uow)->Sevdesk().GetConnection(school_id));
  PaymentList out;
  out.payments = std::move(ctx->payments);
  out.gross_cents = ctx->facts.gross_cents;
  out.paid_cents = ctx->facts.paid_cents;
  out.open_cents = OpenCents(ctx->facts);
  out.takes_payments = ctx->facts.status == domain::InvoiceStatus::kFinalized &&
                       ctx->facts.kind == domain::InvoiceKind::kInvoice;
  if (*conn && !(*conn)->token_sealed.empty()) {
    out.payment_account_name = (*conn)->payment_account_name;
  }
  return out;
}

Result<std::optional<PaymentService::Target>> PaymentService::TargetOf(std::int64_t school_id,
                                                                       std::int64_t invoice_id,
                                                                       bool need_account) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(conn, (*uow)->Sevdesk().GetConnection(school_id));
  if (!*conn || (*conn)->token_sealed.empty() ||
      (need_account && (*conn)->payment_account_id.empty())) {
    return std::optional<Target>{};
  }
  Target t;
  t.school_id = school_id;
  t.invoice_id = invoice_id;
  t.check_account_id = (*conn)->payment_account_id;
  HS_TRY(receipt, (*uow)->Payments().ReceiptOfInvoice(school_id, invoice_id));
  if (*receipt) {
    t.receipt_id = **receipt;
    HS_TRY(transfer, (*uow)->Sevdesk().GetTransferByReceipt(school_id, t.receipt_id));
    t.transferred = *transfer && (*transfer)->state == TransferState::kTransferred &&
                    !(*transfer)->voucher_id.empty();
    if (t.transferred) t.voucher_id = (*transfer)->voucher_id;
  }
  if (auto token = sealer_.Open((*conn)->token_sealed, Owner(school_id))) t.token = *token;
  return std::optional<Target>{std::move(t)};
}

Result<InvoicePayment> PaymentService::Insert(const Principal& who, std::int64_t invoice_id,
                                              const ValidPayment& v, Booking booking,
                                              std::string message, const std::string& account,
                                              std::optional<Cents> paid_before) {
  InvoicePayment p;
  p.school_id = who.school_id;
  p.invoice_id = invoice_id;
  p.amount_cents = v.amount_cents;
  p.pay_date = v.date;
  p.method = v.method;
  p.booking = booking;
  p.check_account_id = account;
  p.message = std::move(message);
  p.created_by = who.user_id;
  p.created_at = p.updated_at = clock_.Now();
  // With `paid_before`, the payment goes to "sending" in the same durable transaction (the mark
  // before the send), unless another booking of the invoice is sending: then it stays pending.
  const TxKind kind = paid_before ? TxKind::kDurableWrite : TxKind::kWrite;
  return RunTransaction(db_, kind, [&](UnitOfWork& uow) -> Result<InvoicePayment> {
    // Validated again in the writing transaction: another payment may have come in meanwhile.
    HS_TRY(ctx, Load(uow, who.school_id, invoice_id));
    PaymentInput again{v.amount_cents, FormatIsoDate(v.date), std::string(ToString(v.method))};
    HS_TRY(valid, ValidatePayment(ctx->facts, again, BerlinDateOf(clock_.Now())));
    InvoicePayment stored = p;
    HS_TRY(id, uow.Payments().Insert(stored));
    stored.id = *id;
    if (!paid_before) return stored;
    InvoicePayment sending = stored;
    sending.booking = Booking::kSending;
    sending.message = kSendingMessage;
    sending.paid_before_cents = *paid_before;
    sending.sent_at = clock_.Now();
    sending.attempts = 1;
    HS_TRY(moved, uow.Payments().UpdateBooking(sending, Booking::kPending));
    if (*moved) return sending;
    stored.message = kOtherSendingMessage;
    HS_TRY(noted, uow.Payments().UpdateBooking(stored, Booking::kPending));
    return stored;
  });
}

Result<InvoicePayment> PaymentService::Record(const Principal& who, std::int64_t invoice_id,
                                              const PaymentInput& input) {
  Context ctx;
  {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    HS_TRY(loaded, Load(**uow, who.school_id, invoice_id));
    ctx = std::move(*loaded);
  }
  HS_TRY(valid, ValidatePayment(ctx.facts, input, BerlinDateOf(clock_.Now())));
  HS_TRY(target, TargetOf(who.school_id, invoice_id, true));
  const bool has_account = target->has_value();
  const auto route = RouteOf(has_account, has_account && (*target)->transferred);
  if (route == BookingRoute::kLocal) {
    return Insert(who, invoice_id, *valid, Booking::kLocal, kLocalMessage, {});
  }
  const Target& t = **target;
  if (route == BookingRoute::kAwaitTransfer) {
    return Insert(who, invoice_id, *valid, Booking::kPending, kAwaitTransferMessage,
                  t.check_account_id);
  }
  const auto read = gateway_.GetVoucherPayment(t.token, t.voucher_id);
  const auto decision = DecideBeforeSend(read, valid->amount_cents);
  switch (decision.verdict) {
    case BeforeSend::kRefuse:
      if (auto st = StoreRead(t, **read); !st) {
        Log(LogLevel::kWarn, "payments", "storing a voucher read failed: " + st.error().message);
      }
      return Fail(ErrorCode::kConflict, "sevdesk_already_paid", decision.message);
    case BeforeSend::kGone:
      return Insert(who, invoice_id, *valid, Booking::kFailed, decision.message,
                    t.check_account_id);
    case BeforeSend::kWait: {
      HS_TRY(p, Insert(who, invoice_id, *valid, Booking::kPending, decision.message,
                       t.check_account_id));
      // Counted as an attempt, so that the background step backs off.
      InvoicePayment next = *p;
      next.attempts = 1;
      return Move(next, Booking::kPending, {Booking::kPending, decision.message});
    }
    case BeforeSend::kSend:
      break;
  }
  return SendNow(who, invoice_id, *valid, t, **read);
}

Result<InvoicePayment> PaymentService::SendNow(const Principal& who, std::int64_t invoice_id,
                                               const ValidPayment& valid, const Target& target,
                                               const VoucherPayment& read) {
  // The mark "sending" with what was just read is committed before the booking is sent: after a
  // crash or an uncertain answer, the look-up compares sevdesk's paid amount with it.
  HS_TRY(p, Insert(who, invoice_id, valid, Booking::kPending, kAwaitTransferMessage,
                   target.check_account_id, read.paid_cents));
  if (p->booking != Booking::kSending) return p;
  return Send(*p, target, read.gross_cents);
}

Result<InvoicePayment> PaymentService::Send(InvoicePayment p, const Target& target, Cents gross) {
  const auto answer = gateway_.BookAmount(
      target.token, {target.voucher_id, p.amount_cents, p.pay_date, p.check_account_id});
  const BookingStep step = AfterBook(answer);
  if (step.booking == Booking::kBooked) {
    VoucherStateWrite w{p.school_id, target.receipt_id, target.voucher_id, answer->to_status,
                        gross,       p.amount_cents,    p.pay_date,        0,
                        clock_.Now()};
    return Move(p, Booking::kSending, step, &w);
  }
  if (step.booking == Booking::kSending) {
    // An uncertain answer: look at once (a write applied before the connection broke shows
    // now); the look-up sends again only after the settle time.
    HS_TRY(stored, Move(p, Booking::kSending, step));
    if (stored->booking != Booking::kSending) return stored;
    return LookUpSending(*stored, target);
  }
  return Move(p, Booking::kSending, step);
}

Result<InvoicePayment> PaymentService::LookUpSending(InvoicePayment p, const Target& target) {
  const auto read = gateway_.GetVoucherPayment(target.token, target.voucher_id);
  const Cents before = p.paid_before_cents.value_or(0);
  const auto verdict = DecideLookUp(read, before, p.amount_cents, p.sent_at.value_or(p.updated_at),
                                    clock_.Now(), settings_.settle);
  switch (verdict) {
    case LookUp::kBooked: {
      const VoucherPayment& v = **read;
      VoucherStateWrite w{p.school_id,   target.receipt_id, target.voucher_id, v.status,
                          v.gross_cents, p.amount_cents,    p.pay_date,        0,
                          clock_.Now()};
      return Move(p, Booking::kSending, {Booking::kBooked, kBookedMessage}, &w);
    }
    case LookUp::kResend: {
      HS_TRY(pending, Move(p, Booking::kSending, {Booking::kPending, kResendMessage}));
      if (pending->booking != Booking::kPending) return pending;
      return AdvancePending(*pending, target);
    }
    case LookUp::kWait:
      return Move(p, Booking::kSending, {Booking::kSending, p.message});
    case LookUp::kCheck:
      return Move(p, Booking::kSending,
                  {Booking::kCheck, CheckMessage(before, (*read)->paid_cents)});
    case LookUp::kGone:
      return Move(p, Booking::kSending, {Booking::kFailed, GoneMessage()});
  }
  return p;
}

Result<InvoicePayment> PaymentService::AdvancePending(InvoicePayment p, const Target& target) {
  if (!target.transferred) return p;  // booked once the transfer is done
  if (target.check_account_id.empty()) {
    // The school unchose its payment account after this booking was sent and found not booked.
    return Move(p, Booking::kPending, {Booking::kLocal, kLocalMessage});
  }
  p.check_account_id = target.check_account_id;  // the account chosen now
  const auto read = gateway_.GetVoucherPayment(target.token, target.voucher_id);
  const auto decision = DecideBeforeSend(read, p.amount_cents);
  switch (decision.verdict) {
    case BeforeSend::kRefuse:
      if (auto st = StoreRead(target, **read); !st) return tl::unexpected(st.error());
      return Move(p, Booking::kPending, {Booking::kCheck, BackgroundRefusal(decision.message)});
    case BeforeSend::kGone:
      return Move(p, Booking::kPending, {Booking::kFailed, decision.message});
    case BeforeSend::kWait:
      ++p.attempts;
      return Move(p, Booking::kPending, {Booking::kPending, decision.message});
    case BeforeSend::kSend:
      break;
  }
  InvoicePayment sending = p;
  sending.paid_before_cents = (*read)->paid_cents;
  sending.sent_at = clock_.Now();
  ++sending.attempts;
  HS_TRY(moved, Move(sending, Booking::kPending, {Booking::kSending, kSendingMessage}));
  if (moved->booking != Booking::kSending || moved->sent_at != sending.sent_at) return moved;
  return Send(*moved, target, (*read)->gross_cents);
}

Result<InvoicePayment> PaymentService::Move(InvoicePayment p, Booking expected, BookingStep step,
                                            const VoucherStateWrite* booked) {
  p.booking = step.booking;
  p.message = std::move(step.message);
  p.updated_at = clock_.Now();
  // The mark before a send must survive a crash of the database server (ADR 0007).
  const TxKind kind = p.booking == Booking::kSending && expected == Booking::kPending
                          ? TxKind::kDurableWrite
                          : TxKind::kWrite;
  return RunTransaction(db_, kind, [&](UnitOfWork& uow) -> Result<InvoicePayment> {
    HS_TRY(applied, uow.Payments().UpdateBooking(p, expected));
    if (*applied) {
      if (booked) HS_CHECK(uow.Payments().AddBooked(*booked, p.paid_before_cents.value_or(0)));
      return p;
    }
    HS_TRY(now, uow.Payments().Get(p.school_id, p.id));
    if (!*now) return NotFound("Die Zahlung gibt es nicht mehr.");
    return **now;
  });
}

Status PaymentService::StoreRead(const Target& target, const VoucherPayment& read) {
  VoucherStateWrite w{
      target.school_id, target.receipt_id, target.voucher_id, read.status,
      read.gross_cents, read.paid_cents,   read.pay_date,     ToUnixMillis(read.updated) / 1000,
      clock_.Now()};
  return RunTransaction(db_, TxKind::kWrite, [&](UnitOfWork& uow) -> Status {
    return uow.Payments().SaveVoucherRead(w);
  });
}

Result<InvoicePayment> PaymentService::Advance(const InvoicePayment& p) {
  // A booking sent on an account the school has unchosen since is still looked up.
  HS_TRY(target, TargetOf(p.school_id, p.invoice_id, p.booking == Booking::kPending));
  if (!*target) {
    if (p.booking == Booking::kPending) {
      // The school chose no payment account (any more) before the booking was sent.
      return Move(p, Booking::kPending, {Booking::kLocal, kLocalMessage});
    }
    return p;  // a sending one waits for its connection: it must be looked up, not forgotten
  }
  if (p.booking == Booking::kSending) return LookUpSending(p, **target);
  return AdvancePending(p, **target);
}

Result<int> PaymentService::FinishDueBookings() {
  std::vector<InvoicePayment> due;
  {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    HS_TRY(rows, (*uow)->Payments().DueBookings(settings_.batch));
    due = std::move(*rows);
  }
  const Instant now = clock_.Now();
  int taken = 0;
  for (const auto& p : due) {
    if (BookingDueAt(p) > now) continue;
    ++taken;
    // One school's failure (its token, its database rows) never stops the others'.
    if (auto r = Advance(p); !r) {
      Log(LogLevel::kWarn, "payments",
          "payment " + std::to_string(p.id) + " of school " + std::to_string(p.school_id) + ": " +
              r.error().message);
    }
  }
  return taken;
}

void PaymentService::Start() {
  std::lock_guard guard(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      if (auto r = FinishDueBookings(); !r) {
        Log(LogLevel::kWarn, "payments", "booking round failed: " + r.error().message);
      }
      lock.lock();
      wake_.wait_for(lock, settings_.poll_interval, [this] { return stopping_; });
    }
  });
}

void PaymentService::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<PaymentAccountsView> PaymentService::PaymentAccounts(const Principal& who) {
  PaymentAccountsView view;
  std::string sealed;
  {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    HS_TRY(conn, (*uow)->Sevdesk().GetConnection(who.school_id));
    if (*conn) {
      view.chosen_id = (*conn)->payment_account_id;
      view.chosen_name = (*conn)->payment_account_name;
      sealed = (*conn)->token_sealed;
    }
  }
  if (sealed.empty()) {
    view.message = "Ohne sevdesk-Verbindung werden Zahlungen nur hier erfasst.";
    return view;
  }
  auto token = sealer_.Open(sealed, Owner(who.school_id));
  if (!token) {
    view.message = "Der gespeicherte API-Token lässt sich nicht lesen. Bitte neu eingeben.";
    return view;
  }
  auto accounts = gateway_.ListPaymentAccounts(*token);
  if (!accounts) {
    view.message =
        "Die Zahlungskonten konnten nicht aus sevdesk gelesen werden: " + accounts.error().message;
    return view;
  }
  for (auto& a : *accounts) {
    if (TakesCash(a)) view.accounts.push_back(std::move(a));
  }
  if (view.chosen_id.empty()) {
    view.message =
        "Ohne Zahlungskonto werden Zahlungen nur hier erfasst, nicht in sevdesk gebucht.";
  }
  return view;
}

Result<PaymentAccountsView> PaymentService::ChoosePaymentAccount(const Principal& who,
                                                                 const std::string& account_id) {
  if (who.role != Role::kOwner) {
    return Fail(ErrorCode::kForbidden, "owner_only",
                "Nur die Inhaberin oder der Inhaber darf das Zahlungskonto ändern.");
  }
  std::string name;
  if (!account_id.empty()) {
    HS_TRY(view, PaymentAccounts(who));
    const auto it = std::find_if(view->accounts.begin(), view->accounts.end(),
                                 [&](const PaymentAccount& a) { return a.id == account_id; });
    if (it == view->accounts.end()) {
      return Invalid({{"payment_account_id",
                       "Dieses Zahlungskonto gibt es in sevdesk nicht, oder es ist ein "
                       "Bankkonto mit Kontoabruf (dort bucht der Bankabgleich). Bitte eine Kasse "
                       "oder ein Offline-Konto wählen."}});
    }
    name = it->name;
  }
  HS_CHECK(RunTransaction(db_, TxKind::kWrite, [&](UnitOfWork& uow) -> Status {
    HS_TRY(conn, uow.Sevdesk().GetConnection(who.school_id));
    if (!*conn) {
      return Fail(ErrorCode::kConflict, "no_connection",
                  "Bitte zuerst die sevdesk-Verbindung einrichten.");
    }
    SevdeskConnection c = **conn;
    c.payment_account_id = account_id;
    c.payment_account_name = name;
    c.updated_at = clock_.Now();
    return uow.Sevdesk().SaveConnection(c);
  }));
  return PaymentAccounts(who);
}

}  // namespace hs::app
