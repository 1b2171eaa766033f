// Crash test of the sevdesk integration on PostgreSQL with several processes (issue 6), against
// the real binary: the same sandbox process and fault mix as crash_transfer_test.cpp, but two
// `serve` and one `worker` on one fresh PostgreSQL database, all three transferring. During the
// backfill, random ones of the three are killed with SIGKILL (at least 10 kills, spread over all
// three) and restarted; a killed process's transfers are taken over by the others once its lease
// (2 s here) has ended, and a process whose lease ran out while it was slow must not overwrite
// the new owner's state (fencing; two SIGSTOP pauses longer than the lease provoke it). The
// faults stay on until half of the receipts are in sevdesk. Afterwards the same exact-once
// checks: every receipt transferred exactly once, one contact per customer, equal sums,
// byte-identical PDFs.
//
// Needs $HS_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway server); skipped without it.
// Environment: HS_CRASH_SEED, HS_CRASH_PG_RECEIPTS (default 1000), HS_CRASH_PG_KILLS (default 12).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "crash/crash_harness.hpp"
#include "store/postgres/pg_connection.hpp"
#include "support/pg_test_database.hpp"

namespace hs::testing {
namespace {

using std::chrono::steady_clock;

class CrashPostgresTest : public CrashHarness {
 protected:
  void SetUp() override {
    if (PgTestDatabase::AdminUrl().empty()) GTEST_SKIP() << "HS_TEST_POSTGRES_URL is not set";
    database_ = std::make_unique<PgTestDatabase>("hs_crash");  // its own database
    url_ = database_->url();
    const std::string dir =
        (std::filesystem::temp_directory_path() / ("hs-crash-pg-" + std::to_string(::getpid())))
            .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    Init(dir, EnvInt("HS_CRASH_PG_RECEIPTS", 1000), EnvInt("HS_CRASH_PG_KILLS", 12));
  }

  void TearDown() override {
    for (auto& [_, c] : processes_) c.reset();
    sandbox_.reset();
    if (HasFailure()) {
      for (const auto& name : {"serve-a", "serve-b", "worker"}) {
        std::cerr << "[crash-pg] " << name << " log (tail):\n"
                  << Tail(ReadAll(dir_ + "/" + name + ".log"), 5000) << "\n";
      }
      std::cerr << "[crash-pg] sandbox log:\n"
                << Tail(ReadAll(dir_ + "/sandbox.log"), 3000) << std::endl;
    }
    database_.reset();
    if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // (Re)starts `name` ("serve-a", "serve-b" or "worker"); a serve is waited for until healthy
  // and becomes the app the test talks to.
  void Start(const std::string& name) { processes_[name] = StartPostgresProcess(name, url_); }

  // "owner:claim ..." of the running transfers (for the log of a pause).
  std::string Running() {
    auto c = store::PgConnection::Open(url_);
    if (!c) return c.error().message;
    auto rows = (*c)->Query(
        "SELECT id, lease_owner, lease_claim FROM sevdesk_transfers WHERE state = 'running' "
        "ORDER BY id",
        {});
    if (!rows) return rows.error().message;
    std::string out;
    for (const auto& r : *rows) {
      out += (out.empty() ? "" : " ") + std::to_string(r.Int(0)) + "=" + r.Text(1) + ":" +
             std::to_string(r.Int(2));
    }
    return "[" + out + "]";
  }

  // The process whose engine owns the first running transfer of `running` (as Running()
  // prints it), from the engines' start lines in the logs; empty when none.
  std::string ProcessOfOwner(const std::string& running) {
    const auto eq = running.find('=');
    if (eq == std::string::npos) return "";
    const std::string owner = running.substr(eq + 1, running.find(':', eq) - eq - 1);
    for (const auto& [name, _] : processes_) {
      if (ReadAll(dir_ + "/" + name + ".log").find("transfer engine " + owner + " started") !=
          std::string::npos) {
        return name;
      }
    }
    return "";
  }

  bool AllAlive() {
    for (auto& [name, c] : processes_) {
      if (c->Exited()) {
        std::cerr << "[crash-pg] " << name << " exited with " << c->code() << std::endl;
        return false;
      }
    }
    return true;
  }

  void CreateSchool() {
    const std::string key = dir_ + "/secret.key";
    auto school = RunBinary({"tenant", "create", "--name", "Hundeschule Absturz", "--database",
                             url_, "--key-file", key});
    ASSERT_EQ(school.exit_code, 0) << school.err;
    account_.school_id = std::stoll(school.out);
    account_.email = "inhaberin@schule.example";
    account_.password = "ein-sehr-geheimes-passwort";
    auto user = RunBinary(
        {"user", "add", "--tenant", std::to_string(account_.school_id), "--email", account_.email,
         "--password-stdin", "--password-cost", "minimum", "--database", url_, "--key-file", key},
        account_.password + "\n");
    ASSERT_EQ(user.exit_code, 0) << user.err;
  }

  std::unique_ptr<PgTestDatabase> database_;
  std::string url_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;
};

TEST_F(CrashPostgresTest, ThreeProcessesSurviveRandomSigkillsExactlyOnce) {
  const auto t0 = steady_clock::now();
  CreateSchool();
  StartSandbox();
  // HS_CRASH_PG_PROCESSES=1 runs one serve alone (the soak's "PostgreSQL x 1"), else three.
  const std::vector<std::string> names =
      EnvInt("HS_CRASH_PG_PROCESSES", 3) == 1
          ? std::vector<std::string>{"serve-a"}
          : std::vector<std::string>{"serve-a", "serve-b", "worker"};
  for (const auto& name : names) Start(name);
  Seed();
  std::cout << "[crash-pg] seeded " << customers_ << " customers, " << receipts_ << " invoices in "
            << Seconds(t0) << " s" << std::endl;
  ASSERT_EQ(LoadReceipts(false).size(), static_cast<std::size_t>(receipts_));
  ConnectSevdesk();
  FaultsOn();
  const std::int64_t batch_id = StartBackfill();
  const auto backfill_start = steady_clock::now();

  // Every process is killed about as often, in a random order. Twice in between, a random
  // process is paused (SIGSTOP) for longer than its lease and resumed: the others take its
  // transfers over, and its late writes must be refused (fencing), not overwrite theirs.
  std::vector<std::string> victims;
  for (int i = 0; i < kills_; ++i)
    victims.push_back(names[static_cast<std::size_t>(i) % names.size()]);
  std::shuffle(victims.begin(), victims.end(), rng_);
  const std::size_t pauses[] = {victims.size() / 3, 2 * victims.size() / 3};
  std::map<std::string, int> killed;
  int kill_number = 0;
  for (std::size_t i = 0; i < victims.size(); ++i) {
    const std::string& victim = victims[i];
    const bool reached = WaitForKillPoint(static_cast<int>(i), 1500, [&] { return AllAlive(); });
    ASSERT_TRUE(AllAlive());
    ASSERT_TRUE(reached) << "the backfill stalled";
    if (i == pauses[0] || i == pauses[1]) {
      // Pause the process that holds a running transfer (any, if none is running now).
      std::string paused =
          names[static_cast<std::size_t>(NextPause(0, static_cast<int>(names.size()) - 1).count())];
      std::string before = "[]";
      for (int tries = 0; tries < 100; ++tries) {
        before = Running();
        if (const auto owner = ProcessOfOwner(before); !owner.empty()) {
          paused = owner;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
      }
      processes_[paused]->Signal(SIGSTOP);
      std::this_thread::sleep_for(std::chrono::milliseconds(5000));  // lease 2 s
      const std::string after = Running();
      processes_[paused]->Signal(SIGCONT);
      std::cout << "[crash-pg] paused " << paused << " for 5 s at " << Seconds(backfill_start)
                << " s; running transfers (id=owner:claim) before " << before << ", after " << after
                << std::endl;
    }
    EXPECT_EQ(processes_[victim]->Kill(SIGKILL), 128 + SIGKILL);
    ++killed[victim];
    std::cout << "[crash-pg] kill " << ++kill_number << " (" << victim << ") at "
              << Seconds(backfill_start) << " s, vouchers in sandbox: " << SandboxVoucherCount()
              << std::endl;
    Start(victim);
  }
  const std::int64_t at_last_kill = SandboxVoucherCount();
  EXPECT_LT(at_last_kill, receipts_) << "the backfill ended before the last kill: size it up";

  // The faults stay on until half of the receipts are in sevdesk (the kills slow the backfill
  // down a lot: a killed process's transfers wait for their lease), then the rest runs clean.
  {
    const auto deadline = steady_clock::now() + std::chrono::seconds(180);
    while (SandboxVoucherCount() < receipts_ / 2 && steady_clock::now() < deadline) {
      ASSERT_TRUE(AllAlive());
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  FaultsOff();
  std::cout << "[crash-pg] faults off at " << Seconds(backfill_start) << " s" << std::endl;
  const Json progress = WaitForBatch(batch_id, [&] { return AllAlive(); });
  int kills = 0;
  for (const auto& [name, n] : killed) {
    kills += n;
    EXPECT_GE(n, 2) << name << " was not killed often enough";
  }
  std::cout << "[crash-pg] backfill finished " << Seconds(backfill_start) << " s after the start, "
            << kills << " kills; progress " << progress.dump() << std::endl;
  EXPECT_GE(kills, 10);
  EXPECT_EQ(killed.size(), names.size());
  EXPECT_EQ(progress["total"].get<int>(), receipts_);
  EXPECT_EQ(progress["done"].get<int>(), receipts_);
  EXPECT_EQ(progress["failed"].get<int>(), 0);

  const auto verify_start = steady_clock::now();
  VerifyExactlyOnce();

  // Graceful stops (and ASan's leak checks) end cleanly.
  for (const auto& name : names) {
    EXPECT_EQ(processes_[name]->Kill(SIGTERM), 0)
        << name << ":\n"
        << Tail(ReadAll(dir_ + "/" + name + ".log"), 3000);
  }
  EXPECT_EQ(sandbox_->Kill(SIGTERM), 0);
  // How often fencing refused a late write (informative: it depends on the timing).
  int fenced = 0;
  for (const auto& name : names) {
    const std::string log = ReadAll(dir_ + "/" + name + ".log");
    for (auto at = log.find("lease lost"); at != std::string::npos;
         at = log.find("lease lost", at + 1)) {
      ++fenced;
    }
  }
  std::cout << "[crash-pg] late writes refused by fencing: " << fenced << std::endl;
  std::cout << "[crash-pg] verified in " << Seconds(verify_start) << " s; total " << Seconds(t0)
            << " s" << std::endl;
}

}  // namespace
}  // namespace hs::testing
