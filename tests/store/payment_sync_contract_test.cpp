// The payment sync's storage (issue 16, ADR 0018) on SQLite and PostgreSQL: voucher states, the
// per-school sync state, its lease (one run per school across processes) and the schedule.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store_fixture.hpp"

namespace hs::store {
namespace {

using std::chrono::minutes;

const Instant kT0 = FromUnixMillis(1790000000000);

class PaymentSyncContract : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    a_ = CreateSchool("A");
    b_ = CreateSchool("B");
  }

  std::unique_ptr<app::UnitOfWork> Begin(app::TxKind kind = app::TxKind::kWrite) {
    auto uow = db_->Begin(kind);
    EXPECT_TRUE(uow) << uow.error().message;
    return std::move(*uow);
  }

  void Connect(std::int64_t school, bool enabled, app::ConnectionState state) {
    auto uow = Begin();
    app::SevdeskConnection c;
    c.school_id = school;
    c.token_sealed = "sealed";
    c.enabled = enabled;
    c.state = state;
    ASSERT_TRUE(uow->Sevdesk().SaveConnection(c));
    ASSERT_TRUE(uow->Commit());
  }

  // An income receipt "RE-<n>" of `gross`, with a transfer in `state` to voucher `voucher`.
  std::int64_t Receipt(std::int64_t school, int n, Cents gross, app::TransferState state,
                       const std::string& voucher) {
    auto uow = Begin();
    domain::Receipt r;
    r.school_id = school;
    r.type = domain::ReceiptType::kIncome;
    r.date = *ParseIsoDate("2026-05-01");
    r.number = "RE-" + std::to_string(n);
    r.amount_gross_cents = gross;
    auto id = uow->Receipts().Create(r, "");
    EXPECT_TRUE(id) << id.error().message;
    app::Transfer t;
    t.school_id = school;
    t.receipt_id = *id;
    t.next_attempt_at = kT0;
    t.created_at = kT0;
    auto tid = uow->Sevdesk().InsertTransfer(t);
    EXPECT_TRUE(tid && *tid);
    t.id = **tid;
    t.state = state;
    t.voucher_id = voucher;
    t.updated_at = kT0;
    EXPECT_TRUE(uow->Sevdesk().UpdateTransfer(t));
    EXPECT_TRUE(uow->Commit());
    return *id;
  }

  app::VoucherState State(std::int64_t school, std::int64_t receipt, const std::string& voucher) {
    app::VoucherState s;
    s.school_id = school;
    s.receipt_id = receipt;
    s.voucher_id = voucher;
    s.status = app::kVoucherPartiallyPaid;
    s.gross_cents = 5500;
    s.paid_cents = 2050;
    s.pay_date = *ParseIsoDate("2026-05-04");
    s.presence = app::VoucherPresence::kChanged;
    s.change_note = "Betrag in sevdesk 65,45 € statt 55,00 €";
    s.sevdesk_updated = FromUnixMillis(1790000001000);
    s.synced_at = kT0 + minutes(1);
    return s;
  }

  std::int64_t a_ = 0;
  std::int64_t b_ = 0;
};

TEST_P(PaymentSyncContract, VoucherStatesRoundTripAndJoinTheTransferredReceiptsPerSchool) {
  const auto r1 = Receipt(a_, 1, 5500, app::TransferState::kTransferred, "v1");
  const auto r2 = Receipt(a_, 2, 7000, app::TransferState::kTransferred, "v2");
  Receipt(a_, 3, 100, app::TransferState::kQueued, "");
  Receipt(b_, 4, 100, app::TransferState::kTransferred, "v4");
  const auto s1 = State(a_, r1, "v1");
  {
    auto uow = Begin();
    ASSERT_TRUE(uow->Sevdesk().SaveVoucherState(s1));
    ASSERT_TRUE(uow->Commit());
  }
  {
    auto uow = Begin(app::TxKind::kRead);
    auto got = uow->Sevdesk().GetVoucherState(a_, r1);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ(**got, s1);
    EXPECT_FALSE(*uow->Sevdesk().GetVoucherState(b_, r1));  // another school's id
    // A list page's states: only those that have one, only the school's own.
    auto page = uow->Sevdesk().GetVoucherStates(a_, {r1, r2});
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->size(), 1u);
    EXPECT_EQ(page->at(0), s1);
    EXPECT_TRUE(uow->Sevdesk().GetVoucherStates(b_, {r1, r2})->empty());
    EXPECT_TRUE(uow->Sevdesk().GetVoucherStates(a_, {})->empty());
    auto ours = uow->Sevdesk().TransferredVouchers(a_);
    ASSERT_TRUE(ours) << ours.error().message;
    ASSERT_EQ(ours->size(), 2u);
    EXPECT_EQ((*ours)[0].receipt_id, r1);
    EXPECT_EQ((*ours)[0].voucher_id, "v1");
    EXPECT_EQ((*ours)[0].invoice_number, "RE-1");
    EXPECT_EQ((*ours)[0].gross_cents, 5500);
    ASSERT_TRUE((*ours)[0].state);
    EXPECT_EQ(*(*ours)[0].state, s1);
    EXPECT_EQ((*ours)[1].receipt_id, r2);
    EXPECT_FALSE((*ours)[1].state);
  }
  // Overwritten (the next sync), then deleted (a re-transfer).
  auto s2 = s1;
  s2.status = app::kVoucherPaid;
  s2.paid_cents = 6545;
  s2.pay_date.reset();
  s2.presence = app::VoucherPresence::kDeleted;
  s2.change_note.clear();
  {
    auto uow = Begin();
    ASSERT_TRUE(uow->Sevdesk().SaveVoucherState(s2));
    ASSERT_TRUE(uow->Commit());
  }
  {
    auto uow = Begin();
    EXPECT_EQ(**uow->Sevdesk().GetVoucherState(a_, r1), s2);
    ASSERT_TRUE(uow->Sevdesk().DeleteVoucherState(a_, r1));
    ASSERT_TRUE(uow->Commit());
  }
  auto uow = Begin(app::TxKind::kRead);
  EXPECT_FALSE(*uow->Sevdesk().GetVoucherState(a_, r1));
}

TEST_P(PaymentSyncContract, SyncStateDefaultsIntervalRequestsAndCandidates) {
  Connect(a_, true, app::ConnectionState::kOk);
  Connect(b_, true, app::ConnectionState::kPausedAuth);
  {
    auto uow = Begin();
    auto s = uow->Sevdesk().GetPaymentSync(a_);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->school_id, a_);
    EXPECT_EQ(s->interval_minutes, 60);
    EXPECT_FALSE(s->last_sync_at);
    ASSERT_TRUE(uow->Sevdesk().SetPaymentSyncInterval(a_, 15));
    ASSERT_TRUE(uow->Sevdesk().RequestPaymentSync(a_, kT0));
    ASSERT_TRUE(uow->Sevdesk().RequestPaymentSync(a_, kT0 + minutes(1)));  // the first stays
    ASSERT_TRUE(uow->Commit());
  }
  auto uow = Begin(app::TxKind::kRead);
  auto s = uow->Sevdesk().GetPaymentSync(a_);
  EXPECT_EQ(s->interval_minutes, 15);
  EXPECT_EQ(s->requested_at, kT0);
  auto candidates = uow->Sevdesk().PaymentSyncCandidates();
  ASSERT_TRUE(candidates) << candidates.error().message;
  ASSERT_EQ(candidates->size(), 1u);  // b is paused
  EXPECT_EQ((*candidates)[0].school_id, a_);
  EXPECT_EQ((*candidates)[0].interval_minutes, 15);
  EXPECT_EQ((*candidates)[0].requested_at, kT0);
}

TEST_P(PaymentSyncContract, TheLeaseIsTakenOnceAndTheFinishIsFencedByIt) {
  auto take = [&](const std::string& owner, Instant now) {
    auto uow = Begin();
    auto taken = uow->Sevdesk().TakePaymentSyncLease(a_, owner, now, now + minutes(10));
    EXPECT_TRUE(taken) << taken.error().message;
    EXPECT_TRUE(uow->Commit());
    return taken && *taken;
  };
  EXPECT_TRUE(take("p1", kT0));
  EXPECT_FALSE(take("p2", kT0 + minutes(1)));
  EXPECT_FALSE(take("p1", kT0 + minutes(1)));  // nor by a second run of the same process
  {
    auto uow = Begin();
    ASSERT_TRUE(uow->Sevdesk().RequestPaymentSync(a_, kT0 + minutes(2)));  // during the run
    ASSERT_TRUE(uow->Commit());
  }
  EXPECT_TRUE(take("p2", kT0 + minutes(10)));  // expired: taken over
  app::PaymentSyncState outcome;
  outcome.school_id = a_;
  outcome.interval_minutes = 60;
  outcome.last_sync_at = kT0 + minutes(11);
  outcome.last_read_started_at = kT0 + minutes(10);
  outcome.last_full_read_at = kT0 + minutes(10);
  outcome.last_sync_ok = true;
  outcome.last_requests = 10;
  outcome.last_vouchers = 10000;
  {
    auto uow = Begin();
    EXPECT_FALSE(*uow->Sevdesk().FinishPaymentSync(outcome, "p1", kT0));  // lost
    EXPECT_TRUE(*uow->Sevdesk().FinishPaymentSync(outcome, "p2", kT0 + minutes(1)));
    ASSERT_TRUE(uow->Commit());
  }
  auto uow = Begin(app::TxKind::kRead);
  auto s = *uow->Sevdesk().GetPaymentSync(a_);
  EXPECT_EQ(s.last_sync_at, kT0 + minutes(11));
  EXPECT_EQ(s.last_full_read_at, kT0 + minutes(10));
  EXPECT_TRUE(s.last_sync_ok);
  EXPECT_EQ(s.last_requests, 10);
  EXPECT_EQ(s.last_vouchers, 10000);
  EXPECT_EQ(s.lease_owner, "");
  EXPECT_FALSE(s.lease_until);
  EXPECT_EQ(s.requested_at, kT0 + minutes(2));  // made after the run started: still asked for
}

TEST_P(PaymentSyncContract, OfManyConcurrentTakersExactlyOneGetsTheLease) {
  std::atomic<int> won{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> takers;
  for (int i = 0; i < 6; ++i) {
    takers.emplace_back([&, i] {
      for (int attempt = 0; attempt < 50; ++attempt) {
        auto uow = db_->Begin(app::TxKind::kWrite);
        if (!uow) continue;  // busy: try again
        auto taken = (*uow)->Sevdesk().TakePaymentSyncLease(a_, "p" + std::to_string(i), kT0,
                                                            kT0 + minutes(10));
        if (!taken) continue;
        if (!(*uow)->Commit()) continue;
        if (*taken) ++won;
        return;
      }
      ++failed;
    });
  }
  for (auto& t : takers) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(won.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Engines, PaymentSyncContract,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

}  // namespace
}  // namespace hs::store
