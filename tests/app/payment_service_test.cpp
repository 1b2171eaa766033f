// "Zahlung erfassen" (issue 16, ADR 0019) against the sandbox over real HTTP: recorded here only,
// booked at once, partial payments, refused when sevdesk shows the invoice paid, the voucher
// deleted, and the uncertain bookings (applied and not) that are looked up, never re-sent blindly.
#include "app/payment_service.hpp"

#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

using sevdesk::sandbox::FaultKind;

class PaymentServiceTest : public SevdeskWorld {
 protected:
  void SetUp() override {
    SevdeskWorld::SetUp();
    if (HasFatalFailure()) return;
    payments_ = std::make_unique<PaymentService>(*db_, *clock_, *box_, *gateway_,
                                                 PaymentSettings{std::chrono::seconds(60)});
    school_ = NewSchool("Hundeschule Pfote");
    customer_ = NewCustomer(school_.school_id, "Mustermann").id;
  }
  void TearDown() override {
    payments_.reset();
    SevdeskWorld::TearDown();
  }
  // Connected, a Kasse chosen, and an invoice of 59,50 € in sevdesk.
  void Ready() {
    Connect(school_, kTokenA);
    auto accounts = payments_->PaymentAccounts(school_);
    ASSERT_TRUE(accounts) << accounts.error().message;
    ASSERT_FALSE(accounts->accounts.empty());
    for (const auto& a : accounts->accounts) EXPECT_NE(a.type, "online");
    auto chosen = payments_->ChoosePaymentAccount(school_, accounts->accounts[0].id);
    ASSERT_TRUE(chosen) << chosen.error().message;
    EXPECT_EQ(chosen->chosen_id, accounts->accounts[0].id);
    Invoice();
    Drain();
    ASSERT_EQ(StatusOf(school_.school_id, receipt_), "transferred");
    voucher_ = TransferOf(school_.school_id, receipt_)->voucher_id;
  }
  void Invoice() {
    invoice_ = Finalize(school_.school_id, customer_, {{"Kurs", 5000, 19}});
    receipt_ = ReceiptOf(school_.school_id, invoice_);
  }
  Result<InvoicePayment> Pay(Cents amount, const std::string& method = "cash") {
    return payments_->Record(school_, invoice_.id,
                             {amount, FormatIsoDate(BerlinDateOf(Now())), method});
  }
  Json Voucher() {
    for (const auto& v : Vouchers(kTokenA)) {
      if (v["voucher"]["id"] == voucher_) return v["voucher"];
    }
    return nullptr;
  }
  Cents SandboxPaid() { return ParseCents(Voucher()["paidAmount"]); }
  long BookCalls() {
    long n = 0;
    for (const auto& [route, count] : Calls(kTokenA)) {
      if (route.find("bookAmount") != std::string::npos) n += count;
    }
    return n;
  }
  PaymentList List() {
    auto l = payments_->List(school_.school_id, invoice_.id);
    EXPECT_TRUE(l) << l.error().message;
    return l.value_or(PaymentList{});
  }
  std::optional<Cents> StoredPaid() {
    auto uow = db_->Begin(TxKind::kRead);
    return *(*uow)->Payments().VoucherPaidCents(school_.school_id, receipt_);
  }
  void BankImport(const std::string& amount) {
    Admin("POST", "/accounts/" + std::string(kTokenA) + "/vouchers/" + voucher_ + "/payment",
          Json{{"amount", amount}, {"date", FormatIsoDate(BerlinDateOf(Now()))}});
  }

  std::unique_ptr<PaymentService> payments_;
  Principal school_;
  std::int64_t customer_ = 0;
  domain::Invoice invoice_;
  std::int64_t receipt_ = 0;
  std::string voucher_;
};

TEST_F(PaymentServiceTest, WithoutConnectionOrAccountAPaymentIsRecordedHereOnly) {
  Invoice();
  auto p = Pay(2000);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->booking, Booking::kLocal);
  EXPECT_EQ(p->message, "Nur hier erfasst – kein Zahlungskonto in sevdesk gewählt.");
  // Connected, but no account chosen: still here only, and nothing is sent.
  Connect(school_, kTokenA);
  Drain();
  auto view = payments_->PaymentAccounts(school_);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->message,
            "Ohne Zahlungskonto werden Zahlungen nur hier erfasst, nicht in sevdesk gebucht.");
  auto q = Pay(1000, "card");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->booking, Booking::kLocal);
  EXPECT_EQ(*payments_->FinishDueBookings(), 0);
  EXPECT_EQ(BookCalls(), 0);
  const auto list = List();
  EXPECT_EQ(list.payments.size(), 2u);
  EXPECT_EQ(list.paid_cents, 3000);
  EXPECT_EQ(list.open_cents, 2950);
  EXPECT_TRUE(list.payment_account_name.empty());
  // More than is open is refused.
  auto over = Pay(2951);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PaymentServiceTest, OnlyTheOwnerChoosesAnAccountAndABankAccountIsNotOffered) {
  Connect(school_, kTokenA);
  auto view = payments_->PaymentAccounts(school_);
  ASSERT_TRUE(view);
  Principal staff = school_;
  staff.role = Role::kStaff;
  auto denied = payments_->ChoosePaymentAccount(staff, view->accounts[0].id);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kForbidden);
  auto unknown = payments_->ChoosePaymentAccount(school_, "424242");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(payments_->ChoosePaymentAccount(school_, view->accounts[0].id));
  EXPECT_EQ(ConnectionOf(school_.school_id).payment_account_id, view->accounts[0].id);
  ASSERT_TRUE(payments_->ChoosePaymentAccount(school_, ""));  // none again
  EXPECT_EQ(ConnectionOf(school_.school_id).payment_account_id, "");
}

TEST_F(PaymentServiceTest, PartialPaymentsAreBookedAtOnceAndAddUp) {
  Ready();
  auto first = Pay(2000);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->booking, Booking::kBooked);
  EXPECT_EQ(first->message, "In sevdesk gebucht.");
  EXPECT_EQ(first->paid_before_cents, 0);
  EXPECT_EQ(Voucher()["status"], "750");
  EXPECT_EQ(SandboxPaid(), 2000);
  EXPECT_EQ(StoredPaid(), 2000);  // the voucher state row, created from the booking
  EXPECT_EQ(List().open_cents, 3950);
  auto second = Pay(3950, "transfer");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->booking, Booking::kBooked);
  EXPECT_EQ(second->paid_before_cents, 2000);
  EXPECT_EQ(Voucher()["status"], "1000");
  EXPECT_EQ(SandboxPaid(), 5950);
  EXPECT_EQ(StoredPaid(), 5950);
  const auto list = List();
  EXPECT_EQ(list.paid_cents, 5950);  // counted once: booked ones are in sevdesk's amount
  EXPECT_EQ(list.open_cents, 0);
  EXPECT_EQ(BookCalls(), 2);
  auto third = Pay(1);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kConflict);
}

TEST_F(PaymentServiceTest, APaymentBeforeTheTransferIsBookedOnceTheVoucherIsThere) {
  Connect(school_, kTokenA);
  auto view = payments_->PaymentAccounts(school_);
  ASSERT_TRUE(payments_->ChoosePaymentAccount(school_, view->accounts[0].id));
  Invoice();
  auto p = Pay(5950, "card");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->booking, Booking::kPending);
  EXPECT_EQ(*payments_->FinishDueBookings(), 0);  // not due: the invoice is not in sevdesk
  EXPECT_EQ(BookCalls(), 0);
  Drain();
  voucher_ = TransferOf(school_.school_id, receipt_)->voucher_id;
  EXPECT_EQ(*payments_->FinishDueBookings(), 1);
  EXPECT_EQ(List().payments.at(0).booking, Booking::kBooked);
  EXPECT_EQ(SandboxPaid(), 5950);
  EXPECT_EQ(*payments_->FinishDueBookings(), 0);
}

TEST_F(PaymentServiceTest, RefusedWhenSevdeskAlreadyShowsTheInvoicePaid) {
  Ready();
  BankImport("59.50");
  auto p = Pay(5950);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kConflict);
  EXPECT_NE(p.error().message.find("sevdesk zeigt diese Rechnung bereits als bezahlt"),
            std::string::npos);
  EXPECT_NE(p.error().message.find("nicht erfasst, damit nichts doppelt gebucht wird"),
            std::string::npos);
  EXPECT_TRUE(List().payments.empty());  // nothing recorded
  EXPECT_EQ(StoredPaid(), 5950);         // what was read is kept
  EXPECT_EQ(List().open_cents, 0);
  EXPECT_EQ(BookCalls(), 0);
}

TEST_F(PaymentServiceTest, RefusedWhenLessIsOpenInSevdeskThanThePayment) {
  Ready();
  BankImport("50.00");
  auto p = Pay(2000);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kConflict);
  EXPECT_NE(p.error().message.find("nur noch 9,50 € offen"), std::string::npos);
  EXPECT_EQ(SandboxPaid(), 5000);
}

TEST_F(PaymentServiceTest, AVoucherDeletedInSevdeskIsRecordedHereAndFails) {
  Ready();
  Admin("DELETE", "/accounts/" + std::string(kTokenA) + "/vouchers/" + voucher_);
  auto p = Pay(1000);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->booking, Booking::kFailed);
  EXPECT_NE(p->message.find("in sevdesk nicht mehr vorhanden"), std::string::npos);
  EXPECT_EQ(BookCalls(), 0);
  EXPECT_EQ(List().paid_cents, 1000);  // recorded here
}

TEST_F(PaymentServiceTest, AnAnswerLostAfterTheWriteIsLookedUpAndBookedOnce) {
  Ready();
  Inject(FaultKind::kError500AfterWrite, 1, "bookAmount");
  auto p = Pay(2500);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->booking, Booking::kBooked);  // the look-up right after found it applied
  EXPECT_EQ(SandboxPaid(), 2500);
  EXPECT_EQ(BookCalls(), 1);
  AdvanceClock(std::chrono::minutes(5));
  EXPECT_EQ(*payments_->FinishDueBookings(), 0);
  EXPECT_EQ(SandboxPaid(), 2500);
  EXPECT_EQ(BookCalls(), 1);
  EXPECT_EQ(StoredPaid(), 2500);
}

TEST_F(PaymentServiceTest, AClosedConnectionAfterTheWriteIsLookedUpAndBookedOnce) {
  Ready();
  Inject(FaultKind::kCloseAfterWrite, 1, "bookAmount");
  auto p = Pay(2500);
  ASSERT_TRUE(p) << p.error().message;
  AdvanceClock(std::chrono::minutes(5));
  (void)payments_->FinishDueBookings();
  EXPECT_EQ(List().payments.at(0).booking, Booking::kBooked);
  EXPECT_EQ(SandboxPaid(), 2500);
}

TEST_F(PaymentServiceTest, AFailureBeforeTheWriteIsSentAgainOnlyAfterTheSettleTime) {
  Ready();
  Inject(FaultKind::kError500, 1, "bookAmount");
  auto p = Pay(2500);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->booking, Booking::kSending);
  EXPECT_EQ(SandboxPaid(), 0);
  AdvanceClock(std::chrono::seconds(10));
  EXPECT_EQ(*payments_->FinishDueBookings(), 1);  // looked up: nothing yet, not conclusive
  EXPECT_EQ(List().payments.at(0).booking, Booking::kSending);
  EXPECT_EQ(BookCalls(), 1);
  AdvanceClock(std::chrono::seconds(55));
  EXPECT_EQ(*payments_->FinishDueBookings(), 1);  // now it is: sent again
  const auto after = List().payments.at(0);
  EXPECT_EQ(after.booking, Booking::kBooked);
  EXPECT_EQ(after.attempts, 2);
  EXPECT_EQ(SandboxPaid(), 2500);
  EXPECT_EQ(BookCalls(), 2);
}

TEST_F(PaymentServiceTest, ABookingSentBeforeTheAccountWasUnchosenIsLookedUpNotResent) {
  Ready();
  Inject(FaultKind::kError500, 1, "bookAmount");
  auto p = Pay(2500);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->booking, Booking::kSending);
  ASSERT_TRUE(payments_->ChoosePaymentAccount(school_, ""));
  AdvanceClock(std::chrono::seconds(10));
  EXPECT_EQ(*payments_->FinishDueBookings(), 1);  // still looked up
  EXPECT_EQ(List().payments.at(0).booking, Booking::kSending);
  AdvanceClock(std::chrono::seconds(60));
  EXPECT_EQ(*payments_->FinishDueBookings(), 1);  // certainly not booked: recorded here only
  const auto after = List().payments.at(0);
  EXPECT_EQ(after.booking, Booking::kLocal);
  EXPECT_EQ(after.message, "Nur hier erfasst – kein Zahlungskonto in sevdesk gewählt.");
  EXPECT_EQ(BookCalls(), 1);
  EXPECT_EQ(SandboxPaid(), 0);
}

TEST_F(PaymentServiceTest, TheBankImportBetweenSendAndLookUpLeavesItToTheSchool) {
  Ready();
  Inject(FaultKind::kError500, 1, "bookAmount");
  auto p = Pay(2500);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->booking, Booking::kSending);
  BankImport("10.00");
  AdvanceClock(std::chrono::minutes(2));
  EXPECT_EQ(*payments_->FinishDueBookings(), 1);
  const auto after = List().payments.at(0);
  EXPECT_EQ(after.booking, Booking::kCheck);
  EXPECT_NE(after.message.find("bitte in sevdesk prüfen"), std::string::npos);
  AdvanceClock(std::chrono::minutes(10));
  EXPECT_EQ(*payments_->FinishDueBookings(), 0);  // never sent again
  EXPECT_EQ(BookCalls(), 1);
  EXPECT_EQ(SandboxPaid(), 1000);
}

TEST_F(PaymentServiceTest, AResetBeforeTheWriteIsLookedUpAndSentAgainOnlyThen) {
  Ready();
  Inject(FaultKind::kReset, 1, "bookAmount");  // closed mid-answer, nothing applied
  auto p = Pay(2500);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->booking, Booking::kSending);  // it may have been applied: looked up first
  EXPECT_EQ(BookCalls(), 1);
  AdvanceClock(std::chrono::minutes(2));
  (void)payments_->FinishDueBookings();
  EXPECT_EQ(List().payments.at(0).booking, Booking::kBooked);
  EXPECT_EQ(SandboxPaid(), 2500);
  EXPECT_EQ(BookCalls(), 2);
}

TEST_F(PaymentServiceTest, ARefusedTokenLeavesTheBookingPendingAndShowsWhy) {
  Ready();
  Admin("POST", "/accounts/" + std::string(kTokenA) + "/revoke");
  auto p = Pay(2500);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->booking, Booking::kPending);
  EXPECT_NE(p->message.find("API-Token"), std::string::npos) << p->message;
  EXPECT_EQ(BookCalls(), 0);
  EXPECT_EQ(*payments_->FinishDueBookings(), 0);  // backing off
  Admin("POST", "/accounts/" + std::string(kTokenA) + "/reinstate");
  AdvanceClock(std::chrono::seconds(6));
  EXPECT_EQ(*payments_->FinishDueBookings(), 1);
  EXPECT_EQ(List().payments.at(0).booking, Booking::kBooked);
  EXPECT_EQ(SandboxPaid(), 2500);
}

TEST_F(PaymentServiceTest, CancelledInvoicesAndCancellationsTakeNoPayment) {
  Invoice();
  auto cancellation = invoices_->Cancel(school_.school_id, invoice_.id);
  ASSERT_TRUE(cancellation) << cancellation.error().message;
  auto p = Pay(100);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kConflict);
  EXPECT_EQ(p.error().reason, "payment_on_cancelled");
  auto q = payments_->Record(school_, cancellation->id,
                             {100, FormatIsoDate(BerlinDateOf(Now())), "cash"});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().reason, "payment_on_cancellation");
  EXPECT_FALSE(List().takes_payments);
}

TEST_F(PaymentServiceTest, AnotherSchoolsInvoiceIsNotFound) {
  Invoice();
  auto other = NewSchool("Andere Schule");
  auto p = payments_->Record(other, invoice_.id, {100, FormatIsoDate(BerlinDateOf(Now())), "cash"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hs::app::testing
