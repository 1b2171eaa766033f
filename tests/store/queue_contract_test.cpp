// The transfer queue's contract on every engine: claiming, limits, lease expiry and takeover,
// no double claim and per-school limits under concurrent claimers, gapless invoice numbers
// under concurrent writers from several processes (PostgreSQL) or threads (SQLite, which
// refuses a second process), and the cross-process wake-up (PostgreSQL NOTIFY).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store_fixture.hpp"

namespace hs::store {
namespace {

using namespace std::chrono_literals;

class QueueContract : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    now_ = FromUnixMillis(1'780'000'000'000);
  }

  std::int64_t CreateConnectedSchool(const std::string& name) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    domain::School s;
    s.name = name;
    auto id = (*uow)->Schools().Create(s);
    EXPECT_TRUE(id) << id.error().message;
    app::SevdeskConnection c;
    c.school_id = *id;
    c.token_sealed = "sealed";
    c.enabled = true;
    c.updated_at = now_;
    auto saved = (*uow)->Sevdesk().SaveConnection(c);
    EXPECT_TRUE(saved) << saved.error().message;
    EXPECT_TRUE((*uow)->Commit());
    return *id;
  }

  // A customer, an income receipt and its queued transfer; returns the transfer id.
  std::int64_t Enqueue(std::int64_t school, std::optional<std::int64_t> customer = std::nullopt,
                       Instant due = {}) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    if (!customer) {
      domain::Customer c;
      c.school_id = school;
      c.last_name = "Kunde";
      auto created = (*uow)->Customers().Create(c);
      EXPECT_TRUE(created) << created.error().message;
      customer = created->id;
    }
    domain::Receipt r;
    r.school_id = school;
    r.type = domain::ReceiptType::kIncome;
    r.date = *ParseIsoDate("2026-05-01");
    r.customer_id = customer;
    r.amount_gross_cents = 1190;
    auto receipt = (*uow)->Receipts().Create(r, "");
    EXPECT_TRUE(receipt) << receipt.error().message;
    app::Transfer t;
    t.school_id = school;
    t.receipt_id = *receipt;
    t.customer_id = *customer;
    t.next_attempt_at = due == Instant{} ? now_ : due;
    t.created_at = now_;
    auto id = (*uow)->Sevdesk().InsertTransfer(t);
    EXPECT_TRUE(id && *id) << (id ? "duplicate" : id.error().message);
    EXPECT_TRUE((*uow)->Commit());
    return id && *id ? **id : 0;
  }

  std::optional<app::Transfer> Claim(app::Database& db, const std::string& owner, Instant at,
                                     int max_in_flight = 2) {
    auto uow = db.Begin(app::TxKind::kWrite);
    EXPECT_TRUE(uow) << uow.error().message;
    if (!uow) return std::nullopt;
    auto c = (*uow)->Sevdesk().ClaimNext({owner, at, at + 30s, max_in_flight});
    EXPECT_TRUE(c) << c.error().message;
    if (!c || !*c) return std::nullopt;
    auto st = (*uow)->Commit();
    EXPECT_TRUE(st) << st.error().message;
    return **c;
  }

  std::int64_t CountRunning() {
    auto uow = db_->Begin(app::TxKind::kRead);
    std::int64_t n = 0;
    for (std::int64_t id = 1; id <= 500; ++id) {
      auto t = (*uow)->Sevdesk().GetTransfer(id);
      if (t && *t && (*t)->state == app::TransferState::kRunning) ++n;
    }
    return n;
  }

  Instant now_{};
};

TEST_P(QueueContract, ClaimsDueWorkWithLeaseOnePerCustomerAndSchoolLimit) {
  const auto school = CreateConnectedSchool("A");
  const auto first = Enqueue(school);
  auto customer = [&] {
    auto uow = db_->Begin(app::TxKind::kRead);
    return (*(*uow)->Sevdesk().GetTransfer(first))->customer_id;
  }();
  const auto same_customer = Enqueue(school, customer);
  const auto other = Enqueue(school);
  const auto third = Enqueue(school);
  const auto later = Enqueue(school, std::nullopt, now_ + 1h);

  auto a = Claim(*db_, "w1", now_);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, first);
  EXPECT_EQ(a->state, app::TransferState::kRunning);
  EXPECT_EQ(a->lease_owner, "w1");
  ASSERT_TRUE(a->lease_until);
  EXPECT_EQ(ToUnixMillis(*a->lease_until), ToUnixMillis(now_ + 30s));
  EXPECT_EQ(a->attempts, 1);
  // The same customer's next transfer waits; another customer's goes.
  auto b = Claim(*db_, "w2", now_);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, other);
  // Two in flight for this school: nothing more.
  EXPECT_FALSE(Claim(*db_, "w3", now_));
  EXPECT_NE(third, 0);
  EXPECT_NE(same_customer, 0);
  // Not due yet: never claimed, even with room.
  auto c = Claim(*db_, "w3", now_, 100);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, third);
  EXPECT_FALSE(Claim(*db_, "w3", now_, 100));
  EXPECT_NE(later, 0);
}

TEST_P(QueueContract, ExpiredLeaseIsTakenOverAndOnlyThen) {
  const auto school = CreateConnectedSchool("A");
  const auto id = Enqueue(school);
  auto claimed = Claim(*db_, "dead-process", now_);
  ASSERT_TRUE(claimed);
  auto recover = [&](Instant at) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto n = (*uow)->Sevdesk().RecoverRunning("survivor", at, false);
    EXPECT_TRUE(n) << n.error().message;
    EXPECT_TRUE((*uow)->Commit());
    return n ? *n : -1;
  };
  EXPECT_EQ(recover(now_ + 29s), 0);  // the lease still holds
  EXPECT_FALSE(Claim(*db_, "survivor", now_ + 29s));
  EXPECT_EQ(recover(now_ + 31s), 1);  // expired: given back, without spending an attempt
  auto taken = Claim(*db_, "survivor", now_ + 31s);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->id, id);
  EXPECT_EQ(taken->lease_owner, "survivor");
  EXPECT_EQ(taken->attempts, 1);
}

TEST_P(QueueContract, HeartbeatRenewsOnlyTheOwnersLeases) {
  const auto school = CreateConnectedSchool("A");
  Enqueue(school);
  Enqueue(school);
  auto mine = Claim(*db_, "alive", now_);
  auto theirs = Claim(*db_, "dead", now_);
  ASSERT_TRUE(mine && theirs);
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto n = (*uow)->Sevdesk().RenewLeases("alive", now_ + 50s);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 1);
    ASSERT_TRUE((*uow)->Commit());
  }
  auto uow = db_->Begin(app::TxKind::kWrite);
  auto n = (*uow)->Sevdesk().RecoverRunning("other", now_ + 31s, false);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);  // only the dead owner's transfer
  auto kept = (*uow)->Sevdesk().GetTransfer(mine->id);
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->state, app::TransferState::kRunning);
  EXPECT_EQ(ToUnixMillis(*(*kept)->lease_until), ToUnixMillis(now_ + 50s));
}

TEST_P(QueueContract, ConcurrentClaimersNeverShareATransfer) {
  constexpr int kSchools = 4;
  constexpr int kPerSchool = 10;
  for (int s = 0; s < kSchools; ++s) {
    const auto school = CreateConnectedSchool("S" + std::to_string(s));
    for (int i = 0; i < kPerSchool; ++i) Enqueue(school);
  }
  std::mutex mutex;
  std::vector<std::int64_t> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 6; ++w) {
    threads.emplace_back([&, w] {
      for (int idle = 0; idle < 3;) {
        auto uow = db_->Begin(app::TxKind::kWrite);
        if (!uow) {
          ++errors;
          return;
        }
        auto c = (*uow)->Sevdesk().ClaimNext({"w" + std::to_string(w), now_, now_ + 30s, 1000});
        if (!c) {
          ++errors;
          continue;
        }
        if (!*c) {
          ++idle;
          continue;
        }
        if (!(*uow)->Commit()) {
          ++errors;
          continue;
        }
        std::lock_guard lock(mutex);
        claimed.push_back((*c)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors, 0);
  const std::set<std::int64_t> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(unique.size(), claimed.size()) << "a transfer was claimed twice";
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kSchools * kPerSchool));
}

TEST_P(QueueContract, ConcurrentClaimersKeepThePerSchoolLimit) {
  const auto school = CreateConnectedSchool("A");
  for (int i = 0; i < 20; ++i) Enqueue(school);
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 6; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 5; ++i) {
        auto uow = db_->Begin(app::TxKind::kWrite);
        if (!uow) return;
        auto c = (*uow)->Sevdesk().ClaimNext({"w" + std::to_string(w), now_, now_ + 30s, 2});
        if (c && *c && (*uow)->Commit()) ++claimed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed, 2);
  EXPECT_EQ(CountRunning(), 2);
}

// Each writer takes numbers in its own transactions; every fifth transaction rolls back.
// Returns the committed numbers.
std::vector<std::int64_t> TakeNumbers(app::Database& db, std::int64_t school, int count) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < count; ++i) {
    auto uow = db.Begin(app::TxKind::kDurableWrite);
    if (!uow) continue;
    auto n = (*uow)->Invoices().NextSequence(school, 2026);
    if (!n) continue;
    if (i % 5 == 4) continue;  // rolled back: the number must be given back
    if ((*uow)->Commit()) out.push_back(*n);
  }
  return out;
}

TEST_P(QueueContract, InvoiceNumbersStayGaplessUnderConcurrentWriters) {
  const auto school = CreateConnectedSchool("A");
  constexpr int kWriters = 3;
  constexpr int kEach = 40;
  std::vector<std::int64_t> all;
  if (IsPostgres()) {
    // Three processes, each with its own pool, as three machines would run.
    std::vector<std::pair<pid_t, int>> children;
    for (int p = 0; p < kWriters; ++p) {
      int fds[2];
      ASSERT_EQ(::pipe(fds), 0);
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(fds[0]);
        auto db = OpenAgain();
        if (!db) ::_exit(2);
        const auto numbers = TakeNumbers(**db, school, kEach);
        for (auto n : numbers) {
          if (::write(fds[1], &n, sizeof n) != sizeof n) ::_exit(3);
        }
        ::close(fds[1]);
        db->reset();
        ::_exit(0);
      }
      ::close(fds[1]);
      children.emplace_back(pid, fds[0]);
    }
    for (auto [pid, fd] : children) {
      std::int64_t n = 0;
      while (::read(fd, &n, sizeof n) == sizeof n) all.push_back(n);
      ::close(fd);
      int status = 0;
      ::waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid;
    }
  } else {
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < kWriters; ++t) {
      threads.emplace_back([&] {
        auto numbers = TakeNumbers(*db_, school, kEach);
        std::lock_guard lock(mutex);
        all.insert(all.end(), numbers.begin(), numbers.end());
      });
    }
    for (auto& t : threads) t.join();
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kWriters * kEach * 4 / 5));
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i], static_cast<std::int64_t>(i + 1)) << "gap or duplicate at " << i;
  }
}

TEST_P(QueueContract, CommittedTransferWakesListenersOfOtherProcesses) {
  if (!IsPostgres()) GTEST_SKIP() << "SQLite has one process; the engine signals in-process";
  const auto school = CreateConnectedSchool("A");
  std::atomic<int> wakes{0};
  PgListener listener(config_.postgres.url, kTransferChannel, [&] { ++wakes; });
  listener.Start();
  // The listener calls once after (re)connecting; wait for that, then enqueue.
  for (int i = 0; i < 100 && wakes == 0; ++i) std::this_thread::sleep_for(20ms);
  ASSERT_GT(wakes, 0) << "listener did not connect";
  const int before = wakes;
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    domain::Customer c;
    c.school_id = school;
    c.last_name = "X";
    auto customer = (*uow)->Customers().Create(c);
    ASSERT_TRUE(customer);
    domain::Receipt r;
    r.school_id = school;
    r.type = domain::ReceiptType::kIncome;
    r.date = *ParseIsoDate("2026-05-01");
    r.customer_id = customer->id;
    auto receipt = (*uow)->Receipts().Create(r, "");
    app::Transfer t;
    t.school_id = school;
    t.receipt_id = *receipt;
    t.customer_id = customer->id;
    t.next_attempt_at = now_;
    t.created_at = now_;
    ASSERT_TRUE((*uow)->Sevdesk().InsertTransfer(t));
    // Not before the commit.
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(wakes, before);
    ASSERT_TRUE((*uow)->Commit());
  }
  for (int i = 0; i < 100 && wakes == before; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_GT(wakes, before);
  listener.Stop();
}

INSTANTIATE_TEST_SUITE_P(Engines, QueueContract,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

}  // namespace
}  // namespace hs::store
