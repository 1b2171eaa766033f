// Crash test of the PostgreSQL server itself (ADR 0007, durability by role), against the real
// binary: the test starts its own durable cluster (fsync and synchronous_commit on, so that an
// asynchronous commit can really be lost), one `serve` and one `worker` on it, the sevdesk
// sandbox with a lighter fault mix, and a backfill. While the backfill runs, the server is
// crashed several times at random moments with an immediate shutdown (`scripts/postgres.sh
// crash`: the postmaster ends its backends without a checkpoint and without flushing the WAL
// buffers, then it starts again on the same port and replays the WAL). The engine's bookkeeping
// commits with `synchronous_commit = off` and may be lost (as a suffix); the marks before sevdesk
// creates commit synchronously. So a lost claim or result only re-runs, and afterwards the same
// exact-once checks as the other crash tests must hold: every receipt transferred, one voucher
// per receipt and one contact per customer in the sandbox, equal sums, byte-identical PDFs.
//
// The app's processes are not restarted by the test: they must ride out every server restart by
// themselves (their pooled connections reconnect on the next use, the LISTEN connection
// reconnects); one that exits fails the test. A pooled connection the server dropped is replaced
// at the first statement that finds it dead, so once the server is back no request fails
// (DrainDroppedConnections: 0 failures); polls while the server is down may answer 503.
//
// Needs PostgreSQL 15's binaries (/usr/lib/postgresql/15/bin); skipped without them. Never uses
// the shared cluster of $HS_TEST_POSTGRES_URL.
// Environment: HS_CRASH_SEED, HS_CRASH_PG_SERVER_RECEIPTS (default 400),
// HS_CRASH_PG_SERVER_CRASHES (default 5).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "crash/crash_harness.hpp"
#include "store/postgres/pg_connection.hpp"

namespace hs::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kPgCtl[] = "/usr/lib/postgresql/15/bin/pg_ctl";

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// "0/191FCD8" -> its byte position.
std::uint64_t ParseLsn(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return 0;
  return (std::stoull(text.substr(0, slash), nullptr, 16) << 32) |
         std::stoull(text.substr(slash + 1), nullptr, 16);
}

// A durable PostgreSQL 15 cluster of its own (scripts/postgres.sh with HS_PG_DURABLE=1),
// stopped and removed by the destructor.
class OwnCluster {
 public:
  explicit OwnCluster(const std::string& dir)
      : script_(std::string(HS_SOURCE_DIR) + "/scripts/postgres.sh"),
        env_file_(dir + "/pg.env"),
        log_(dir + "/postgres-sh.log") {
    // A first port of its own: while this cluster is down for a crash, its port is free, and a
    // cluster that another test run starts meanwhile must not take it (the app would reconnect
    // to the wrong server).
    const std::string first_port = std::to_string(56000 + ::getpid() % 4000);
    if (Run("HS_PG_DURABLE=1 HS_PG_PORT=" + first_port + " bash " + Quote(script_) + " start " +
            Quote(env_file_)) != 0) {
      throw std::runtime_error("postgres.sh start failed:\n" + Tail(ReadAll(log_), 4000));
    }
    std::istringstream env(ReadAll(env_file_));
    for (std::string line; std::getline(env, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) vars_[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (url().empty() || data_dir().empty()) {
      throw std::runtime_error("no URL in " + env_file_ + ": " + ReadAll(env_file_));
    }
  }
  ~OwnCluster() { (void)Run("bash " + Quote(script_) + " stop " + Quote(env_file_)); }
  OwnCluster(const OwnCluster&) = delete;
  OwnCluster& operator=(const OwnCluster&) = delete;

  // Immediate shutdown and start on the same port and data directory; throws on failure.
  void Crash() {
    if (Run("bash " + Quote(script_) + " crash " + Quote(env_file_)) != 0) {
      throw std::runtime_error("postgres.sh crash failed:\n" + Tail(ReadAll(log_), 4000));
    }
  }

  const std::string& url() { return vars_["HS_TEST_POSTGRES_URL"]; }
  std::string data_dir() { return vars_["HS_PG_DIR"]; }
  std::string server_log() { return ReadAll(data_dir() + "/server.log"); }

 private:
  int Run(const std::string& command) {
    const int status = std::system((command + " >>" + Quote(log_) + " 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }

  std::string script_, env_file_, log_;
  std::map<std::string, std::string> vars_;
};

class CrashPgServerTest : public CrashHarness {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPgCtl)) {
      GTEST_SKIP() << "PostgreSQL 15 is not installed (" << kPgCtl << " is missing)";
    }
    const std::string dir = (std::filesystem::temp_directory_path() /
                             ("hs-crash-pg-server-" + std::to_string(::getpid())))
                                .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    Init(dir, EnvInt("HS_CRASH_PG_SERVER_RECEIPTS", 400), EnvInt("HS_CRASH_PG_SERVER_CRASHES", 5));
    cluster_ = std::make_unique<OwnCluster>(dir);
    url_ = cluster_->url();
    std::cout << "[crash-pg-server] own durable cluster " << url_ << std::endl;
  }

  void TearDown() override {
    for (auto& [_, c] : processes_) c.reset();
    sandbox_.reset();
    if (HasFailure() && !dir_.empty()) {
      for (const auto& name : {"serve", "worker"}) {
        std::cerr << "[crash-pg-server] " << name << " log (tail):\n"
                  << Tail(ReadAll(dir_ + "/" + name + ".log"), 5000) << "\n";
      }
      std::cerr << "[crash-pg-server] sandbox log:\n"
                << Tail(ReadAll(dir_ + "/sandbox.log"), 2000) << "\n";
      if (cluster_) {
        std::cerr << "[crash-pg-server] server log:\n"
                  << Tail(cluster_->server_log(), 5000) << std::endl;
      }
    }
    cluster_.reset();
    if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts `name` ("serve" or "worker"); the serve is waited for until healthy.
  void Start(const std::string& name) { processes_[name] = StartPostgresProcess(name, url_); }

  bool AllAlive() {
    for (auto& [name, c] : processes_) {
      if (c->Exited()) {
        std::cerr << "[crash-pg-server] " << name << " exited with " << c->code() << std::endl;
        return false;
      }
    }
    return true;
  }

  void CreateSchool() {
    const std::string key = dir_ + "/secret.key";
    auto school = RunBinary({"tenant", "create", "--name", "Hundeschule Serverabsturz",
                             "--database", url_, "--key-file", key});
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

  // Half the standard fault mix (crash_harness's FaultsOn) with its search lag and rounding: the
  // server crashes are the point.
  void LightFaultsOn() {
    Must(sandbox_client_->Send("PUT", "/__sandbox/faults",
                               Json{{"error_500", 0.025},
                                    {"error_500_after_write", 0.025},
                                    {"timeout", 0.0125},
                                    {"timeout_after_write", 0.0125},
                                    {"rate_limited", 0.01},
                                    {"close_after_write", 0.025},
                                    {"truncated_after_write", 0.01},
                                    {"retry_after_seconds", 1},
                                    {"timeout_ms", 2000},
                                    {"search_lag_ms", search_lag_ms_},
                                    {"rounding", "binary"}}
                                   .dump()),
         200, "set faults");
  }

  // The engine's bookkeeping as the server holds it: transferred rows, the sum of the claim
  // numbers (every claim increments one) and the WAL insert position. Empty when unreachable.
  struct Bookkeeping {
    std::int64_t transferred = -1;
    std::int64_t claims = -1;
    std::uint64_t wal_insert = 0;
  };
  Bookkeeping ReadBookkeeping() {
    Bookkeeping b;
    auto c = store::PgConnection::Open(url_);
    if (!c) return b;
    auto rows = (*c)->Query(
        "SELECT count(*) FILTER (WHERE state = 'transferred'), coalesce(sum(lease_claim), 0), "
        "pg_current_wal_insert_lsn()::text FROM sevdesk_transfers",
        {});
    if (!rows || rows->empty()) return b;
    b.transferred = (*rows)[0].Int(0);
    b.claims = (*rows)[0].Int(1);
    b.wal_insert = ParseLsn((*rows)[0].Text(2));
    return b;
  }

  // Where the WAL ended that the last crash recovery replayed: the position of the first
  // invalid record, on the line before "redo done at" ("invalid record length at 0/191FD20").
  std::uint64_t LastWalEnd() {
    const std::string log = cluster_->server_log();
    const auto done = log.rfind("redo done at ");
    if (done == std::string::npos) return 0;
    const auto line_start = log.rfind('\n', log.rfind('\n', done) - 1);
    const std::string line = log.substr(line_start + 1, done - line_start);
    const auto at = line.find(" at ");
    if (at == std::string::npos) return 0;
    const auto lsn = line.substr(at + 4, line.find_first_of(":, ", at + 4) - at - 4);
    return ParseLsn(lsn);
  }

  // The stacks of the app's processes (when a transfer is stuck), if gdb is installed.
  void PrintStacks() {
    (void)std::system(("command -v gdb >/dev/null && for p in $(pgrep -P " +
                       std::to_string(::getpid()) +
                       " -f 'hundeschule (serve|worker)'); do echo \"== $p\"; timeout 60 gdb -p "
                       "$p -batch -ex 'thread apply all bt 14' 2>/dev/null | grep -E "
                       "'^Thread|^#[0-9]+ .* (hs::|PQ|poll)'; done >&2")
                          .c_str());
  }

  // Polls the batch until finished (bounded); unlike WaitForBatch, an answer other than 200
  // (a request on a connection the crash broke) is counted and polled again.
  // A backfill whose done count stays the same for 60 s (faults are off by then) is stuck: the
  // app's stacks are printed and the wait fails.
  Json WaitForBatchTolerant(std::int64_t batch_id, int& non_200) {
    const auto deadline = steady_clock::now() + std::chrono::seconds(180);
    int last_done = -1;
    auto last_change = steady_clock::now();
    for (;;) {
      auto c = Client();
      const Reply r = c->Get("/api/v1/integrations/sevdesk/transfers/" + std::to_string(batch_id));
      if (r.status == 200 && r.json["finished"].get<bool>()) return r.json;
      if (r.status == 200 && r.json["done"].get<int>() != last_done) {
        last_done = r.json["done"].get<int>();
        last_change = steady_clock::now();
      }
      if (Seconds(last_change) > 60) {
        std::cerr << "[crash-pg-server] stuck at " << r.Describe() << "; stacks:" << std::endl;
        PrintStacks();
        throw std::runtime_error("the backfill is stuck (no transfer done for 60 s): " +
                                 r.Describe());
      }
      if (r.status != 200) {
        ++non_200;
        std::cout << "[crash-pg-server] batch progress: " << r.Describe() << std::endl;
      }
      if (steady_clock::now() > deadline) {
        throw std::runtime_error("backfill did not finish: " + r.Describe());
      }
      if (!AllAlive()) throw std::runtime_error("a process died by itself");
      std::this_thread::sleep_for(milliseconds(250));
    }
  }

  // A pooled connection the crashed server dropped is noticed only when it is used; its first
  // statement then runs again on a new connection (PgConnection::Run). Rounds of 8 parallel
  // requests exercise every pooled connection of the serve; answers the number of failures,
  // which must be 0 (before that retry, each dropped connection failed one request with 503).
  int DrainDroppedConnections() {
    int failed = 0;
    for (int round = 0; round < 20; ++round) {
      std::atomic<int> bad{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
          auto c = Client();
          for (int k = 0; k < 3; ++k) {
            const Reply r = c->Get("/api/v1/receipts?type=income&limit=1");
            if (r.status != 200) {
              ++bad;
              std::cerr << "[crash-pg-server] drain: " << r.Describe() << std::endl;
            }
          }
        });
      }
      for (auto& t : threads) t.join();
      failed += bad;
      if (bad == 0) break;
    }
    return failed;
  }

  std::unique_ptr<OwnCluster> cluster_;
  std::string url_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;
};

TEST_F(CrashPgServerTest, ServerCrashesDuringBackfillExactlyOnce) {
  const auto t0 = steady_clock::now();
  CreateSchool();
  StartSandbox();
  Start("serve");
  Start("worker");
  Seed();
  std::cout << "[crash-pg-server] seeded " << customers_ << " customers, " << receipts_
            << " invoices in " << Seconds(t0) << " s" << std::endl;
  ASSERT_EQ(LoadReceipts(false).size(), static_cast<std::size_t>(receipts_));
  ConnectSevdesk();
  LightFaultsOn();
  const std::int64_t batch_id = StartBackfill();
  const auto backfill_start = steady_clock::now();

  // The server crashes at random moments; the processes keep running.
  int crashes = 0;
  int lost_bookkeeping = 0;  // crashes after which the server had less than just before
  int lost_wal_crashes = 0;  // crashes that lost WAL inserted before them
  for (int i = 0; i < kills_; ++i) {
    const bool reached = WaitForKillPoint(i, 1500, [&] { return AllAlive(); });
    ASSERT_TRUE(AllAlive());
    ASSERT_TRUE(reached) << "the backfill stalled";
    const Bookkeeping before = ReadBookkeeping();
    const std::int64_t vouchers = SandboxVoucherCount();
    const auto crash_start = steady_clock::now();
    cluster_->Crash();
    const double down = Seconds(crash_start);
    ++crashes;
    const Bookkeeping after = ReadBookkeeping();
    const std::uint64_t wal_end = LastWalEnd();
    // Proof that the crash lost something: fewer transferred rows or claims than just before
    // (relaxed commits lost), or WAL inserted before the crash that recovery did not find.
    const bool lost_commits =
        after.transferred < before.transferred || after.claims < before.claims;
    const bool lost_wal = wal_end != 0 && wal_end < before.wal_insert;
    if (lost_commits) ++lost_bookkeeping;
    if (lost_wal) ++lost_wal_crashes;
    std::cout << "[crash-pg-server] crash " << crashes << " at " << Seconds(backfill_start)
              << " s (down and recovered in " << down << " s), vouchers in sandbox: " << vouchers
              << "; transferred " << before.transferred << " -> " << after.transferred
              << ", claims " << before.claims << " -> " << after.claims << ", WAL inserted to "
              << before.wal_insert << ", recovered to " << wal_end
              << (lost_commits ? " (relaxed commits lost)" : "") << (lost_wal ? " (WAL lost)" : "")
              << std::endl;
  }
  const std::int64_t at_last_crash = SandboxVoucherCount();
  EXPECT_LT(at_last_crash, receipts_) << "the backfill ended before the last crash: size it up";

  // The faults stay on until half of the receipts are in sevdesk, then the rest runs clean.
  {
    const auto deadline = steady_clock::now() + std::chrono::seconds(120);
    while (SandboxVoucherCount() < receipts_ / 2 && steady_clock::now() < deadline) {
      ASSERT_TRUE(AllAlive());
      std::this_thread::sleep_for(milliseconds(250));
    }
  }
  FaultsOff();
  std::cout << "[crash-pg-server] faults off at " << Seconds(backfill_start) << " s" << std::endl;
  int non_200 = 0;
  const Json progress = WaitForBatchTolerant(batch_id, non_200);
  std::cout << "[crash-pg-server] backfill finished " << Seconds(backfill_start)
            << " s after the start, " << crashes << " server crashes (" << lost_bookkeeping
            << " lost relaxed commits visibly, " << lost_wal_crashes << " lost WAL), " << non_200
            << " progress requests not answered with 200; progress " << progress.dump()
            << std::endl;
  const int dropped = DrainDroppedConnections();
  std::cout << "[crash-pg-server] requests answered 503 on connections the crashes dropped: "
            << non_200 << " progress polls, " << dropped << " of the drain rounds" << std::endl;
  EXPECT_GE(crashes, 3);
  EXPECT_EQ(dropped, 0) << "a request failed on a connection the server's restart had dropped";
  EXPECT_TRUE(AllAlive()) << "the processes must survive the server's restarts by themselves";
  EXPECT_EQ(progress["total"].get<int>(), receipts_);
  EXPECT_EQ(progress["done"].get<int>(), receipts_);
  EXPECT_EQ(progress["failed"].get<int>(), 0);

  const auto verify_start = steady_clock::now();
  VerifyExactlyOnce();

  // Graceful stops (and ASan's leak checks) end cleanly.
  for (const auto& name : {"serve", "worker"}) {
    EXPECT_EQ(processes_[name]->Kill(SIGTERM), 0)
        << name << ":\n"
        << Tail(ReadAll(dir_ + "/" + name + ".log"), 3000);
  }
  EXPECT_EQ(sandbox_->Kill(SIGTERM), 0);
  std::cout << "[crash-pg-server] verified in " << Seconds(verify_start) << " s; total "
            << Seconds(t0) << " s" << std::endl;
}

}  // namespace
}  // namespace hs::testing
