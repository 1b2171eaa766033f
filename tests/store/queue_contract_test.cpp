// The transfer queue's contract on every engine: claiming, limits, lease expiry and takeover,
// no double claim and per-school limits under concurrent claimers, gapless invoice numbers
// under concurrent writers from several processes (PostgreSQL) or threads (SQLite, which
// refuses a second process), the cross-process wake-up (PostgreSQL NOTIFY), fencing of late
// writes after a lease takeover, and the re-run of a unit after a transaction conflict.
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

#include "app/transaction.hpp"
#include "store/postgres/pg_database.hpp"
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
                       Instant due = {},
                       app::TransferPriority priority = app::TransferPriority::kLive) {
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
    t.priority = priority;
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

  // ClaimSeveral in a write transaction of its own, committed; answers the claimed ids in order.
  std::vector<std::int64_t> ClaimSeveral(int limit, int backfill_limit, int max_in_flight = 2,
                                         bool* contended = nullptr) {
    std::vector<std::int64_t> ids;
    auto uow = db_->Begin(app::TxKind::kWrite);
    EXPECT_TRUE(uow) << uow.error().message;
    if (!uow) return ids;
    app::ClaimOptions o{"w", now_, now_ + 30s, max_in_flight};
    o.contended = contended;
    o.started_message = "Übertragung gestartet (Versuch {attempt}).";
    auto c = (*uow)->Sevdesk().ClaimSeveral(o, limit, backfill_limit);
    EXPECT_TRUE(c) << c.error().message;
    if (!c) return ids;
    for (const auto& t : *c) {
      EXPECT_EQ(t.state, app::TransferState::kRunning);
      EXPECT_EQ(t.lease_owner, "w");
      EXPECT_EQ(t.attempts, 1);
      EXPECT_EQ(t.lease_claim, 1);
      ids.push_back(t.id);
    }
    auto st = (*uow)->Commit();
    EXPECT_TRUE(st) << st.error().message;
    return ids;
  }

  std::int64_t CustomerOf(std::int64_t transfer_id) {
    auto uow = db_->Begin(app::TxKind::kRead);
    return (*(*uow)->Sevdesk().GetTransfer(transfer_id))->customer_id;
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

// What exists on PostgreSQL only (cross-process wake-ups, deadlocks, SQLSTATE classification;
// SQLite has one process and one writer): this suite is instantiated for PostgreSQL alone, so
// no SQLite variant skips itself.
class PostgresQueueContract : public QueueContract {};

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

// The claimer's batch (ADR 0009): one transfer per school and round, least recently served
// school first, with every limit of the single claim, and the "started" events.
TEST_P(QueueContract, ClaimSeveralServesSchoolsInTurnAndKeepsTheLimits) {
  const auto a = CreateConnectedSchool("A");
  const auto b = CreateConnectedSchool("B");
  const auto c = CreateConnectedSchool("C");
  const auto a1 = Enqueue(a);
  const auto a2 = Enqueue(a, CustomerOf(a1));  // waits: its customer's transfer runs
  const auto a3 = Enqueue(a);
  const auto a4 = Enqueue(a);
  const auto b1 = Enqueue(b);
  const auto b2 = Enqueue(b);
  const auto c1 = Enqueue(c);
  Enqueue(c, std::nullopt, now_ + 1h);  // not due

  // Round 1: A, B, C; round 2: A's next customer, B; the limit of 5 ends it.
  EXPECT_EQ(ClaimSeveral(5, 5), (std::vector<std::int64_t>{a1, b1, c1, a3, b2}));
  {
    auto uow = db_->Begin(app::TxKind::kRead);
    auto events = (*uow)->Sevdesk().Events(a3);
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 1u);
    EXPECT_EQ((*events)[0].kind, "started");
    EXPECT_EQ((*events)[0].message, "Übertragung gestartet (Versuch 1).");
  }
  // A and B are at their limit of 2, C has nothing due: nothing, and nothing held by others.
  bool contended = false;
  EXPECT_TRUE(ClaimSeveral(5, 5, 2, &contended).empty());
  EXPECT_FALSE(contended);
  // With room for more per school: A's fourth (a2's customer still runs a1).
  EXPECT_EQ(ClaimSeveral(5, 5, 3), (std::vector<std::int64_t>{a4}));
  EXPECT_EQ(CountRunning(), 6);
  (void)a2;
}

TEST_P(QueueContract, ClaimSeveralTakesLiveFirstAndAtMostTheBackfillLimit) {
  const auto school = CreateConnectedSchool("A");
  const auto f1 = Enqueue(school, std::nullopt, {}, app::TransferPriority::kBackfill);
  Enqueue(school, std::nullopt, {}, app::TransferPriority::kBackfill);
  Enqueue(school, std::nullopt, {}, app::TransferPriority::kBackfill);
  const auto live = Enqueue(school);
  EXPECT_EQ(ClaimSeveral(4, 1, 10), (std::vector<std::int64_t>{live, f1}));
  // The backfill share is used up: live transfers only, and there are none.
  EXPECT_TRUE(ClaimSeveral(4, 0, 10).empty());
  EXPECT_EQ(ClaimSeveral(1, 4, 10).size(), 1u);
  EXPECT_TRUE(ClaimSeveral(0, 4, 10).empty());
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

// Fencing: the engine writes a running transfer only under the claim it holds. A process whose
// lease expired and was taken over (paused, slow) must not overwrite the new owner's state.
TEST_P(QueueContract, LateWriteAfterTakeoverIsRefusedAndTheNewOwnersResultStands) {
  const auto school = CreateConnectedSchool("A");
  const auto id = Enqueue(school);
  auto a = Claim(*db_, "A", now_);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->lease_claim, 1);
  auto write = [&](app::Transfer t, const std::string& owner) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto applied = (*uow)->Sevdesk().UpdateClaimedTransfer(t, owner);
    EXPECT_TRUE(applied) << applied.error().message;
    EXPECT_TRUE((*uow)->Commit());
    return applied && *applied;
  };
  // While A holds the lease its writes go through (a step of the running attempt).
  app::Transfer step = *a;
  step.uploaded_filename = "a-upload.pdf";
  EXPECT_TRUE(write(step, "A"));
  // A's lease expires (A is paused); B releases it and claims the transfer.
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    ASSERT_EQ(*(*uow)->Sevdesk().RecoverRunning("B", now_ + 31s, false), 1);
    ASSERT_TRUE((*uow)->Commit());
  }
  auto b = Claim(*db_, "B", now_ + 31s);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->id, id);
  EXPECT_EQ(b->lease_claim, 2);
  // A wakes up and writes its late result: refused, nothing changes.
  app::Transfer late = step;
  late.state = app::TransferState::kRetryWait;
  late.lease_owner.clear();
  late.lease_until.reset();
  late.last_error_code = "unavailable";
  late.last_error_message = "A's late failure";
  EXPECT_FALSE(write(late, "A"));
  {
    auto uow = db_->Begin(app::TxKind::kRead);
    auto now = (*uow)->Sevdesk().GetTransfer(id);
    ASSERT_TRUE(now && *now);
    EXPECT_EQ((*now)->state, app::TransferState::kRunning);
    EXPECT_EQ((*now)->lease_owner, "B");
    EXPECT_EQ((*now)->last_error_message, "");
  }
  // B finishes; A's late "transferred" after that is refused too, and B's result stands.
  app::Transfer done = *b;
  done.state = app::TransferState::kTransferred;
  done.voucher_id = "voucher-of-B";
  done.uploaded_filename = "b-upload.pdf";
  done.lease_owner.clear();
  done.lease_until.reset();
  done.transferred_at = now_ + 32s;
  EXPECT_TRUE(write(done, "B"));
  app::Transfer late_done = step;
  late_done.state = app::TransferState::kTransferred;
  late_done.voucher_id = "voucher-of-A";
  late_done.lease_owner.clear();
  EXPECT_FALSE(write(late_done, "A"));
  EXPECT_FALSE(write(late, "A"));
  auto uow = db_->Begin(app::TxKind::kRead);
  auto final_state = (*uow)->Sevdesk().GetTransfer(id);
  ASSERT_TRUE(final_state && *final_state);
  EXPECT_EQ((*final_state)->state, app::TransferState::kTransferred);
  EXPECT_EQ((*final_state)->voucher_id, "voucher-of-B");
  EXPECT_EQ((*final_state)->uploaded_filename, "b-upload.pdf");
}

// The fencing token is the claim, not only the owner: a process that claims the same transfer
// again after its old claim was taken over does not let the old claim's late writes through.
TEST_P(QueueContract, OldClaimOfTheSameOwnerIsFencedToo) {
  const auto school = CreateConnectedSchool("A");
  const auto id = Enqueue(school);
  auto first = Claim(*db_, "A", now_);
  ASSERT_TRUE(first);
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    ASSERT_EQ(*(*uow)->Sevdesk().RecoverRunning("B", now_ + 31s, false), 1);
    ASSERT_TRUE((*uow)->Commit());
  }
  auto second = Claim(*db_, "A", now_ + 31s);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->id, id);
  EXPECT_GT(second->lease_claim, first->lease_claim);
  auto uow = db_->Begin(app::TxKind::kWrite);
  app::Transfer late = *first;
  late.state = app::TransferState::kFailed;
  auto refused = (*uow)->Sevdesk().UpdateClaimedTransfer(late, "A");
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_FALSE(*refused);
  app::Transfer current = *second;
  current.uploaded_filename = "x.pdf";
  auto applied = (*uow)->Sevdesk().UpdateClaimedTransfer(current, "A");
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_TRUE(*applied);
  ASSERT_TRUE((*uow)->Commit());
}

// The heartbeat renews the leases of the transfers the owner's workers run, no others: one the
// owner still holds in the table but no longer runs (its completion lost in a crash of the
// database server) expires and is released like a dead owner's, by any claimer's recovery.
TEST_P(QueueContract, HeartbeatRenewsOnlyTheTransfersTheOwnerRuns) {
  const auto school = CreateConnectedSchool("A");
  Enqueue(school);
  Enqueue(school);
  Enqueue(school);
  auto mine = Claim(*db_, "alive", now_, 3);
  auto orphan = Claim(*db_, "alive", now_, 3);
  auto theirs = Claim(*db_, "dead", now_, 3);
  ASSERT_TRUE(mine && orphan && theirs);
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto n = (*uow)->Sevdesk().RenewLeases("alive", now_ + 50s, {mine->id});
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 1);
    ASSERT_TRUE((*uow)->Commit());
  }
  auto uow = db_->Begin(app::TxKind::kWrite);
  auto n = (*uow)->Sevdesk().RecoverRunning("", now_ + 31s, false);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);  // the dead owner's and the orphan
  auto kept = (*uow)->Sevdesk().GetTransfer(mine->id);
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->state, app::TransferState::kRunning);
  EXPECT_EQ(ToUnixMillis(*(*kept)->lease_until), ToUnixMillis(now_ + 50s));
  for (const auto& released : {orphan, theirs}) {
    auto t = (*uow)->Sevdesk().GetTransfer(released->id);
    ASSERT_TRUE(t && *t);
    EXPECT_EQ((*t)->state, app::TransferState::kQueued);
  }
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

TEST_P(PostgresQueueContract, CommittedTransferWakesListenersOfOtherProcesses) {
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

// A claimer that finds a school's turn held by another claimer passes it over and says so, so
// that its worker tries again soon rather than sleeping until the poll; once the turn is free
// the same transfer is claimed.
TEST_P(PostgresQueueContract, ClaimPassesOverAHeldTurnAndReportsContention) {
  const auto school = CreateConnectedSchool("A");
  const auto id = Enqueue(school);
  // Another claimer in the middle of its claim holds the school's turn row.
  auto raw = PgConnection::Open(config_.postgres.url);
  ASSERT_TRUE(raw);
  ASSERT_TRUE((*raw)->ExecScript("BEGIN"));
  ASSERT_TRUE(
      (*raw)->Query("SELECT 1 FROM sevdesk_connections WHERE school_id = $1 FOR UPDATE", {school}));
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    ASSERT_TRUE(uow);
    bool contended = false;
    app::ClaimOptions o{"w", now_, now_ + 30s, 2};
    o.contended = &contended;
    auto c = (*uow)->Sevdesk().ClaimNext(o);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_FALSE(*c) << "claimed through a held turn";
    EXPECT_TRUE(contended);
  }
  {
    bool contended = false;
    EXPECT_TRUE(ClaimSeveral(4, 4, 2, &contended).empty()) << "claimed through a held turn";
    EXPECT_TRUE(contended);
  }
  ASSERT_TRUE((*raw)->ExecScript("COMMIT"));
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    bool contended = false;
    app::ClaimOptions o{"w", now_, now_ + 30s, 2};
    o.contended = &contended;
    auto c = (*uow)->Sevdesk().ClaimNext(o);
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((*c)->id, id);
    EXPECT_FALSE(contended);
    ASSERT_TRUE((*uow)->Commit());
  }
}

// A unit that keeps failing with a transaction conflict is run a bounded number of times; other
// errors are answered at once.
TEST_P(QueueContract, RunTransactionRetriesConflictsOnlyAndBounded) {
  int runs = 0;
  Status st = app::RunTransaction(*db_, app::TxKind::kWrite, [&](app::UnitOfWork&) -> Status {
    ++runs;
    return Fail(ErrorCode::kUnavailable, app::kTransactionConflict, "conflict");
  });
  ASSERT_FALSE(st);
  EXPECT_TRUE(app::IsTransactionConflict(st.error()));
  EXPECT_EQ(runs, app::TxRetryPolicy{}.max_attempts);
  runs = 0;
  st = app::RunTransaction(*db_, app::TxKind::kWrite, [&](app::UnitOfWork&) -> Status {
    ++runs;
    return Fail(ErrorCode::kUnavailable, "database_unavailable", "gone");
  });
  EXPECT_FALSE(st);
  EXPECT_EQ(runs, 1);
  // A value comes back from the committed unit.
  auto value = app::RunTransaction(*db_, app::TxKind::kRead,
                                   [&](app::UnitOfWork&) -> Result<int> { return 42; });
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 42);
}

// A real deadlock on PostgreSQL: two units take two schools' invoice-number counters in opposite
// order. The server aborts one (40P01); RunTransaction re-runs it after the other committed, and
// both units' changes are there.
TEST_P(PostgresQueueContract, DeadlockedUnitIsRunAgainWhole) {
  const auto x = CreateConnectedSchool("X");
  const auto y = CreateConnectedSchool("Y");
  {
    // Detect the deadlock quickly (default 1 s).
    auto admin = PgConnection::Open(config_.postgres.url);
    ASSERT_TRUE(admin);
    ASSERT_TRUE((*admin)->ExecScript("ALTER DATABASE " + db_name_ +
                                     " SET deadlock_timeout = "
                                     "'100ms'"));
  }
  auto db = OpenAgain();  // new connections pick the setting up
  ASSERT_TRUE(db) << db.error().message;
  std::atomic<int> first_done{0};
  std::atomic<int> runs{0};
  // An atomic increment (no read-modify-write in the test, which READ COMMITTED would race).
  auto bump = [&](app::UnitOfWork& uow, std::int64_t school) -> Status {
    auto n = uow.Invoices().NextSequence(school, 2026);
    if (!n) return tl::unexpected(n.error());
    return {};
  };
  auto unit = [&](std::int64_t one, std::int64_t two) {
    int attempt = 0;
    return app::RunTransaction(**db, app::TxKind::kWrite, [&](app::UnitOfWork& uow) -> Status {
      ++runs;
      if (auto st = bump(uow, one); !st) return st;
      if (++attempt == 1) {
        // Both first attempts hold their first row before either takes its second.
        ++first_done;
        for (int i = 0; i < 500 && first_done < 2; ++i) std::this_thread::sleep_for(10ms);
      }
      return bump(uow, two);
    });
  };
  Status a, b;
  std::thread ta([&] { a = unit(x, y); });
  std::thread tb([&] { b = unit(y, x); });
  ta.join();
  tb.join();
  EXPECT_TRUE(a) << a.error().message;
  EXPECT_TRUE(b) << b.error().message;
  EXPECT_EQ(runs, 3) << "one of the two units should have been run again";
  // Both units' increments are there, each once (the next number is the third).
  auto uow = (*db)->Begin(app::TxKind::kWrite);
  EXPECT_EQ(*(*uow)->Invoices().NextSequence(x, 2026), 3);
  EXPECT_EQ(*(*uow)->Invoices().NextSequence(y, 2026), 3);
}

// A serialization failure (40001) is classified as a transaction conflict, too.
TEST_P(PostgresQueueContract, SerializationFailureIsATransactionConflict) {
  const auto school = CreateConnectedSchool("A");
  auto one = PgConnection::Open(config_.postgres.url);
  auto two = PgConnection::Open(config_.postgres.url);
  ASSERT_TRUE(one && two);
  ASSERT_TRUE((*one)->ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ"));
  ASSERT_TRUE((*two)->ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ"));
  const std::string read = "SELECT enabled FROM sevdesk_connections WHERE school_id = $1";
  ASSERT_TRUE((*one)->Query(read, {school}));
  ASSERT_TRUE((*two)->Query(read, {school}));
  const std::string write =
      "UPDATE sevdesk_connections SET consecutive_rejections = consecutive_rejections + 1 WHERE "
      "school_id = $1";
  ASSERT_TRUE((*one)->Exec(write, {school}));
  ASSERT_TRUE((*one)->ExecScript("COMMIT"));
  auto conflict = (*two)->Exec(write, {school});
  ASSERT_FALSE(conflict);
  EXPECT_TRUE(app::IsTransactionConflict(conflict.error())) << conflict.error().message;
  // The SQLSTATE (40001) and the statement are in the log, not in the message.
  EXPECT_EQ(conflict.error().reason, "transaction_conflict");
  EXPECT_EQ(conflict.error().message, std::string(app::kBusyMessage));
  ASSERT_TRUE((*two)->ExecScript("ROLLBACK"));
}

// A restart of the server drops every pooled connection; the next transaction on each finds its
// connection dead at its first statement, which then runs once more on a new connection: no
// request fails because of a connection the pool held from before.
TEST_P(PostgresQueueContract, AFirstStatementOnADroppedConnectionRunsOnANewOne) {
  const auto school = CreateConnectedSchool("A");
  auto admin = PgConnection::Open(config_.postgres.url);
  ASSERT_TRUE(admin);
  auto terminated = sql::QueryOne(**admin,
                                  "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                                  {});
  ASSERT_TRUE(terminated && *terminated) << (terminated ? "" : terminated.error().message);
  ASSERT_GT((*terminated)->Int(0), 0) << "the pool held no connection";
  std::this_thread::sleep_for(100ms);  // the backends are gone
  // More transactions than the pool has connections, of every kind.
  for (int i = 0; i < 2 * config_.postgres.pool_size + 2; ++i) {
    for (auto kind : {app::TxKind::kRead, app::TxKind::kWrite, app::TxKind::kRelaxedWrite}) {
      auto uow = db_->Begin(kind);
      ASSERT_TRUE(uow) << uow.error().message;
      auto c = (*uow)->Sevdesk().GetConnection(school);
      ASSERT_TRUE(c) << "transaction " << i << ": " << c.error().message;
      ASSERT_TRUE(*c);
      ASSERT_TRUE((*uow)->Commit());
    }
  }
}

// Durability by role (ADR 0007): the pool begins each kind with its own synchronous_commit, set
// for that transaction only, so a relaxed transaction leaves the connection as it found it.
TEST_P(PostgresQueueContract, SynchronousCommitFollowsTheTransactionKind) {
  auto c = PgConnection::Open(config_.postgres.url);
  ASSERT_TRUE(c);
  // The throwaway test server may run with synchronous_commit off; the product's default is on.
  ASSERT_TRUE((*c)->ExecScript("SET synchronous_commit = on"));
  auto show = [&]() {
    auto row = sql::QueryOne(**c, "SHOW synchronous_commit", {});
    return row && *row ? (*row)->Text(0) : std::string("?");
  };
  const std::pair<app::TxKind, std::string> cases[] = {
      {app::TxKind::kRelaxedWrite, "off"}, {app::TxKind::kDurableWrite, "on"},
      {app::TxKind::kWrite, "on"},         {app::TxKind::kRead, "on"},
      {app::TxKind::kRelaxedWrite, "off"},
  };
  for (const auto& [kind, expected] : cases) {
    ASSERT_TRUE((*c)->ExecScript(PgBeginScript(kind)));
    EXPECT_EQ(show(), expected) << "kind " << static_cast<int>(kind);
    ASSERT_TRUE((*c)->ExecScript("COMMIT"));
    EXPECT_EQ(show(), "on") << "after kind " << static_cast<int>(kind);
  }
  // A durable transaction on a server whose default is off is still synchronous.
  ASSERT_TRUE((*c)->ExecScript("SET synchronous_commit = off"));
  ASSERT_TRUE((*c)->ExecScript(PgBeginScript(app::TxKind::kDurableWrite)));
  EXPECT_EQ(show(), "on");
  ASSERT_TRUE((*c)->ExecScript("ROLLBACK"));
  EXPECT_EQ(show(), "off");
}

// /metrics reads the unfinished transfers per state and school class, the oldest unfinished
// one, and the connections that wait, without a school id.
TEST_P(QueueContract, TransferGaugesCountUnfinishedPerClassAndWaitingConnections) {
  const auto regular = CreateConnectedSchool("A");
  const auto klein = CreateConnectedSchool("B");
  const auto paused = CreateConnectedSchool("C");
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto b = (*uow)->Schools().Get(klein);
    ASSERT_TRUE(b);
    b->tax_mode = domain::TaxMode::kKleinunternehmer;
    ASSERT_TRUE((*uow)->Schools().Update(*b));
    ASSERT_TRUE((*uow)->Commit());
  }
  Enqueue(regular);
  Enqueue(regular);
  Enqueue(klein);
  ASSERT_TRUE(Claim(*db_, "w", now_));  // one of A's runs
  auto change = [&](std::int64_t school, auto&& edit) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto c = (*uow)->Sevdesk().GetConnection(school);
    ASSERT_TRUE(c && *c);
    app::SevdeskConnection conn = **c;
    edit(conn);
    ASSERT_TRUE((*uow)->Sevdesk().SaveConnection(conn));
    ASSERT_TRUE((*uow)->Commit());
  };
  change(regular, [&](app::SevdeskConnection& c) { c.throttled_until = now_ + 1min; });
  change(klein, [&](app::SevdeskConnection& c) { c.breaker_until = now_ + 1h; });
  change(paused, [&](app::SevdeskConnection& c) { c.state = app::ConnectionState::kPausedAuth; });

  auto uow = db_->Begin(app::TxKind::kRead);
  auto g = (*uow)->Sevdesk().ReadTransferGauges(now_ + 10s);
  ASSERT_TRUE(g) << g.error().message;
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  for (const auto& c : g->unfinished) counts[{c.state, c.school_class}] = c.count;
  const std::map<std::pair<std::string, std::string>, std::int64_t> expected = {
      {{"queued", "regular"}, 1}, {{"running", "regular"}, 1}, {{"queued", "kleinunternehmer"}, 1}};
  EXPECT_EQ(counts, expected);
  ASSERT_TRUE(g->oldest_unfinished);
  EXPECT_EQ(*g->oldest_unfinished, now_);
  EXPECT_EQ(g->paused_auth, 1);
  EXPECT_EQ(g->breaker_open, 1);
  EXPECT_EQ(g->throttled, 1);
  EXPECT_EQ(g->sum_mismatches, 0);
  // An hour later the throttle and the breaker are over.
  auto later = (*uow)->Sevdesk().ReadTransferGauges(now_ + 2h);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->breaker_open, 0);
  EXPECT_EQ(later->throttled, 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, QueueContract,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, PostgresQueueContract, ::testing::Values(Engine::kPostgres),
                         testing::EngineName);

}  // namespace
}  // namespace hs::store
