// The contract of the payments recorded here (issue 16, ADR 0019) on every engine: the rows of
// invoice_payments, the compare-and-set of their booking state, the due bookings, and the writes
// a booking makes to sevdesk_voucher_states.
#include <gtest/gtest.h>

#include "store_fixture.hpp"

namespace hs::store {
namespace {

using app::Booking;
using app::InvoicePayment;

class PaymentContract : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    school_a_ = CreateSchool("A");
    school_b_ = CreateSchool("B");
    invoice_ = NewInvoice(school_a_, &receipt_);
    other_invoice_ = NewInvoice(school_a_, nullptr);
  }
  // A finalized invoice (and its income receipt when `receipt` is given).
  std::int64_t NewInvoice(std::int64_t school, std::int64_t* receipt) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    domain::Customer c;
    c.school_id = school;
    c.last_name = "Pfote";
    auto customer = (*uow)->Customers().Create(c);
    EXPECT_TRUE(customer) << customer.error().message;
    customer_ = customer->id;
    domain::Invoice inv;
    inv.school_id = school;
    inv.customer_id = customer->id;
    inv.invoice_date = *ParseIsoDate("2026-11-02");
    inv.lines = {{"Kurs", 1000, "Kurs", 5000, 19}};
    auto id = (*uow)->Invoices().CreateDraft(inv);
    EXPECT_TRUE(id) << id.error().message;
    if (receipt) {
      domain::Receipt r;
      r.school_id = school;
      r.type = domain::ReceiptType::kIncome;
      r.date = inv.invoice_date;
      r.amount_gross_cents = 5950;
      r.invoice_id = *id;
      auto rid = (*uow)->Receipts().Create(r, "");
      EXPECT_TRUE(rid) << rid.error().message;
      *receipt = *rid;
    }
    EXPECT_TRUE((*uow)->Commit());
    return *id;
  }
  InvoicePayment Payment(std::int64_t invoice, Cents amount, Booking booking) {
    InvoicePayment p;
    p.school_id = school_a_;
    p.invoice_id = invoice;
    p.amount_cents = amount;
    p.pay_date = *ParseIsoDate("2026-11-20");
    p.method = app::PaymentMethod::kCard;
    p.booking = booking;
    p.check_account_id = "5001";
    p.message = "Wird in sevdesk gebucht – äöü";
    p.created_by = 7;
    p.created_at = p.updated_at = FromUnixMillis(1'790'000'000'000);
    return p;
  }
  std::int64_t Insert(InvoicePayment& p) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto id = (*uow)->Payments().Insert(p);
    EXPECT_TRUE(id) << id.error().message;
    EXPECT_TRUE((*uow)->Commit());
    p.id = *id;
    return *id;
  }
  bool Update(const InvoicePayment& p, Booking expected) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto applied = (*uow)->Payments().UpdateBooking(p, expected);
    EXPECT_TRUE(applied) << applied.error().message;
    EXPECT_TRUE((*uow)->Commit());
    return *applied;
  }
  InvoicePayment Get(std::int64_t id) {
    auto uow = db_->Begin(app::TxKind::kRead);
    auto p = (*uow)->Payments().Get(school_a_, id);
    EXPECT_TRUE(p && *p);
    return **p;
  }
  // Voucher 900 of the invoice's receipt: partly paid, 10.00 € of 59.50 €.
  app::VoucherStateWrite StateWrite() const {
    return {school_a_,
            receipt_,
            "900",
            750,
            5950,
            1000,
            ParseIsoDate("2026-11-20"),
            0,
            FromUnixMillis(1'790'000'000'000)};
  }
  std::int64_t school_a_ = 0, school_b_ = 0, invoice_ = 0, other_invoice_ = 0, receipt_ = 0;
  std::int64_t customer_ = 0;
};

TEST_P(PaymentContract, InsertGetAndListRoundTripPerSchool) {
  auto a = Payment(invoice_, 2500, Booking::kLocal);
  auto b = Payment(invoice_, 1000, Booking::kPending);
  b.pay_date = *ParseIsoDate("2026-11-03");
  b.paid_before_cents = 0;
  b.sent_at = FromUnixMillis(1'790'000'000'123);
  Insert(a);
  Insert(b);
  auto c = Payment(other_invoice_, 99, Booking::kLocal);
  Insert(c);
  const auto got = Get(b.id);
  EXPECT_EQ(got.invoice_id, invoice_);
  EXPECT_EQ(got.amount_cents, 1000);
  EXPECT_EQ(got.pay_date, *ParseIsoDate("2026-11-03"));
  EXPECT_EQ(got.method, app::PaymentMethod::kCard);
  EXPECT_EQ(got.booking, Booking::kPending);
  EXPECT_EQ(got.check_account_id, "5001");
  EXPECT_EQ(got.paid_before_cents, 0);
  EXPECT_EQ(got.sent_at, FromUnixMillis(1'790'000'000'123));
  EXPECT_EQ(got.message, "Wird in sevdesk gebucht – äöü");
  EXPECT_EQ(got.created_by, 7);
  EXPECT_FALSE(Get(a.id).paid_before_cents);
  auto uow = db_->Begin(app::TxKind::kRead);
  auto list = (*uow)->Payments().ListByInvoice(school_a_, invoice_);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, b.id);  // by date
  EXPECT_EQ((*list)[1].id, a.id);
  // Another school sees none of them.
  EXPECT_TRUE((*uow)->Payments().ListByInvoice(school_b_, invoice_)->empty());
  EXPECT_FALSE(*(*uow)->Payments().Get(school_b_, a.id));
  EXPECT_EQ(*(*uow)->Payments().ReceiptOfInvoice(school_a_, invoice_), receipt_);
  EXPECT_FALSE(*(*uow)->Payments().ReceiptOfInvoice(school_a_, other_invoice_));
  EXPECT_FALSE(*(*uow)->Payments().ReceiptOfInvoice(school_b_, invoice_));
}

TEST_P(PaymentContract, AmountsMustBePositiveAndStatesKnown) {
  auto zero = Payment(invoice_, 0, Booking::kLocal);
  auto uow = db_->Begin(app::TxKind::kWrite);
  auto id = (*uow)->Payments().Insert(zero);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::kConflict);
  EXPECT_EQ(id.error().message.find("invoice_payments"), std::string::npos);  // no SQL text
}

TEST_P(PaymentContract, BookingMovesOnlyFromTheExpectedState) {
  auto p = Payment(invoice_, 1000, Booking::kPending);
  Insert(p);
  auto sending = p;
  sending.booking = Booking::kSending;
  sending.paid_before_cents = 250;
  sending.sent_at = FromUnixMillis(1'790'000'001'000);
  sending.attempts = 1;
  EXPECT_TRUE(Update(sending, Booking::kPending));
  // A second process that read "pending" too cannot send it again.
  EXPECT_FALSE(Update(sending, Booking::kPending));
  auto booked = sending;
  booked.booking = Booking::kBooked;
  booked.message = "In sevdesk gebucht.";
  EXPECT_FALSE(Update(booked, Booking::kPending));
  EXPECT_TRUE(Update(booked, Booking::kSending));
  const auto got = Get(p.id);
  EXPECT_EQ(got.booking, Booking::kBooked);
  EXPECT_EQ(got.paid_before_cents, 250);
  EXPECT_EQ(got.attempts, 1);
  EXPECT_EQ(got.message, "In sevdesk gebucht.");
}

TEST_P(PaymentContract, OneBookingOfAnInvoiceIsSendingAtATime) {
  auto a = Payment(invoice_, 1000, Booking::kPending);
  auto b = Payment(invoice_, 500, Booking::kPending);
  auto other = Payment(other_invoice_, 500, Booking::kPending);
  Insert(a);
  Insert(b);
  Insert(other);
  a.booking = b.booking = other.booking = Booking::kSending;
  EXPECT_TRUE(Update(a, Booking::kPending));
  EXPECT_FALSE(Update(b, Booking::kPending));     // waits for a
  EXPECT_TRUE(Update(other, Booking::kPending));  // another invoice does not
  a.booking = Booking::kBooked;
  EXPECT_TRUE(Update(a, Booking::kSending));
  EXPECT_TRUE(Update(b, Booking::kPending));
}

TEST_P(PaymentContract, DueBookingsArePendingAndSendingOnesOfAllSchools) {
  std::vector<std::int64_t> due;
  for (Booking b : {Booking::kLocal, Booking::kPending, Booking::kSending, Booking::kBooked,
                    Booking::kCheck, Booking::kFailed}) {
    auto p = Payment(b == Booking::kSending ? other_invoice_ : invoice_, 100, b);
    Insert(p);
    if (b == Booking::kPending || b == Booking::kSending) due.push_back(p.id);
  }
  auto due_ids = [&] {
    auto uow = db_->Begin(app::TxKind::kRead);
    auto rows = (*uow)->Payments().DueBookings(10);
    EXPECT_TRUE(rows);
    std::vector<std::int64_t> ids;
    for (const auto& p : *rows) ids.push_back(p.id);
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  // The pending one waits for its invoice's transfer: not due before.
  EXPECT_EQ(due_ids(), std::vector<std::int64_t>{due[1]});
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    app::Transfer t;
    t.school_id = school_a_;
    t.receipt_id = receipt_;
    t.customer_id = customer_;
    t.state = app::TransferState::kQueued;
    t.created_at = t.updated_at = t.next_attempt_at = FromUnixMillis(1'790'000'000'000);
    auto id = (*uow)->Sevdesk().InsertTransfer(t);
    ASSERT_TRUE(id && *id) << (id ? "exists" : id.error().message);
    ASSERT_TRUE((*uow)->Commit());
    EXPECT_EQ(due_ids(), std::vector<std::int64_t>{due[1]});  // queued is not enough
    auto w = db_->Begin(app::TxKind::kWrite);
    t.id = **id;
    t.state = app::TransferState::kTransferred;
    t.voucher_id = "900";
    ASSERT_TRUE((*w)->Sevdesk().UpdateTransfer(t));
    ASSERT_TRUE((*w)->Commit());
  }
  EXPECT_EQ(due_ids(), due);
  auto uow = db_->Begin(app::TxKind::kRead);
  EXPECT_EQ((*uow)->Payments().DueBookings(1)->size(), 1u);
}

TEST_P(PaymentContract, ABookingRaisesTheVoucherStateAndNeverCountsTwice) {
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    EXPECT_FALSE(*(*uow)->Payments().VoucherPaidCents(school_a_, receipt_));
    // No row yet: a booking creates it from what was read before plus the booking.
    app::VoucherStateWrite w = StateWrite();
    ASSERT_TRUE((*uow)->Payments().AddBooked(w, 500));
    EXPECT_EQ(*(*uow)->Payments().VoucherPaidCents(school_a_, receipt_), 1500);
    // The next booking (read before it: 1500) raises the row to 1500 + 4450.
    w.paid_cents = 4450;
    w.status = 1000;
    ASSERT_TRUE((*uow)->Payments().AddBooked(w, 1500));
    EXPECT_EQ(*(*uow)->Payments().VoucherPaidCents(school_a_, receipt_), 5950);
    // A read overwrites it with sevdesk's truth.
    w.paid_cents = 3000;
    w.status = 750;
    ASSERT_TRUE((*uow)->Payments().SaveVoucherRead(w));
    EXPECT_EQ(*(*uow)->Payments().VoucherPaidCents(school_a_, receipt_), 3000);
    // The payment sync read sevdesk after a booking applied (3000 = 1000 before + 2000 booked),
    // before the booking was marked booked here: confirming it must not add the 2000 again.
    w.paid_cents = 2000;
    ASSERT_TRUE((*uow)->Payments().AddBooked(w, 1000));
    EXPECT_EQ(*(*uow)->Payments().VoucherPaidCents(school_a_, receipt_), 3000);
    EXPECT_FALSE(*(*uow)->Payments().VoucherPaidCents(school_b_, receipt_));
    ASSERT_TRUE((*uow)->Commit());
  }
}

// A sync may read sevdesk after a booking applied and before its answer is stored: while the
// booking is still `sending`, the invoice's paid amount must not count it twice (ADR 0020).
TEST_P(PaymentContract, ASendingBookingThatSevdeskAlreadyShowsCountsOnce) {
  auto sending = Payment(invoice_, 2000, Booking::kSending);
  sending.paid_before_cents = 1000;
  Insert(sending);
  auto cash = Payment(invoice_, 500, Booking::kLocal);
  Insert(cash);
  app::VoucherStateWrite read = StateWrite();
  auto paid = [&] {
    auto uow = db_->Begin(app::TxKind::kRead);
    auto p = (*uow)->Invoices().GetPaid(school_a_, invoice_);
    EXPECT_TRUE(p) << p.error().message;
    return p->paid_cents;
  };
  auto sync_reads = [&](Cents in_sevdesk) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    read.paid_cents = in_sevdesk;
    ASSERT_TRUE((*uow)->Payments().SaveVoucherRead(read));
    ASSERT_TRUE((*uow)->Commit());
  };
  sync_reads(1000);  // not yet applied: 1000 in sevdesk + 2000 sending + 500 here only
  EXPECT_EQ(paid(), 3500);
  sync_reads(2999);  // something else, a cent short of the booking: still counted here
  EXPECT_EQ(paid(), 5499);
  sync_reads(3000);  // applied: sevdesk's amount holds it
  EXPECT_EQ(paid(), 3500);
  sending.booking = Booking::kBooked;
  EXPECT_TRUE(Update(sending, Booking::kSending));
  EXPECT_EQ(paid(), 3500);
}

INSTANTIATE_TEST_SUITE_P(Engines, PaymentContract,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

}  // namespace
}  // namespace hs::store
