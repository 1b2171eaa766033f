// Several processes on one PostgreSQL (issue 6), against the real binary: two `serve` and one
// `worker` on a fresh database and an in-process sevdesk sandbox.
//
//   * a login on serve A is valid on serve B (sessions live in the database);
//   * 40 invoices are finalized concurrently through both servers: the numbers are unique and
//     gapless (1..40);
//   * at first only the worker transfers, against a slow sandbox; it is killed with SIGKILL
//     while it holds leases (not restarted), and serve B is killed and restarted with workers:
//     B takes the dead worker's transfers over once the lease (3 s here) has ended, and the
//     sandbox ends with exactly one voucher per invoice (uncertain outcomes reconciled);
//   * a serve or worker with another key than the one the database knows refuses to start (the
//     key check; on SQLite too).
//
// Needs $HS_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway server); skipped without it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/clock.hpp"
#include "sevdesk/sandbox/sandbox.hpp"
#include "store/postgres/pg_connection.hpp"
#include "support/binary_fixture.hpp"
#include "support/child_process.hpp"
#include "support/pg_test_database.hpp"

namespace hs::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kToken[] = "feedbeeffeedbeeffeedbeeffeedbeef";

constexpr std::size_t kLogTail = 3000;

Json Must(const Reply& r, int status, const std::string& what) {
  if (r.status != status) throw std::runtime_error(what + ": " + r.Describe());
  return r.json;
}

class PostgresProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgTestDatabase::AdminUrl().empty()) GTEST_SKIP() << "HS_TEST_POSTGRES_URL is not set";
    database_ = std::make_unique<PgTestDatabase>("hs_mp");
    url_ = database_->url();
    dir_ =
        (std::filesystem::temp_directory_path() / ("hs-mp-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    key_ = dir_ + "/secret.key";

    sevdesk::sandbox::SandboxSettings s;
    sevdesk::sandbox::AccountSettings account;
    account.token = kToken;
    s.accounts.push_back(account);
    sandbox_ = std::make_unique<sevdesk::sandbox::Sandbox>(s);
    auto port = sandbox_->Start();
    ASSERT_TRUE(port) << port.error().message;
  }

  void TearDown() override {
    for (auto& [_, c] : children_) c.reset();
    if (sandbox_) sandbox_->Stop();
    database_.reset();
    if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> Common() const {
    return {"--database",
            url_,
            "--key-file",
            key_,
            "--sevdesk-base-url",
            sandbox_->BaseUrl() + "/api/v1",
            "--sevdesk-lease-ms",
            "3000",
            "--sevdesk-rate",
            "200",
            "--sevdesk-burst",
            "200",
            "--sevdesk-backoff-base-ms",
            "100",
            "--workers",
            "2",
            "--db-pool-size",
            "6"};
  }

  // Starts `serve` named `name` and returns its base URL once /healthz answers.
  std::string StartServe(const std::string& name, bool workers = true) {
    const std::string port_file = dir_ + "/" + name + ".port";
    std::filesystem::remove(port_file);
    auto args = std::vector<std::string>{
        "serve", "--listen", "127.0.0.1:0", "--port-file", port_file, "--threads", "8"};
    if (!workers) args.push_back("--no-workers");
    for (auto& a : Common()) args.push_back(a);
    children_[name] = std::make_unique<ChildProcess>(args, dir_ + "/" + name + ".log");
    const auto deadline = steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      const std::string port = ReadAll(port_file);
      if (!port.empty() && port.back() == '\n') {
        const std::string base = "http://127.0.0.1:" + port.substr(0, port.size() - 1);
        ApiClient c(base);
        if (c.Get("/healthz", {.with_cookie = false, .with_csrf = false}).status == 200) {
          return base;
        }
      }
      if (steady_clock::now() > deadline || children_[name]->Exited()) {
        throw std::runtime_error(name + " did not start:\n" +
                                 Tail(ReadAll(dir_ + "/" + name + ".log"), kLogTail));
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  void StartWorker(const std::string& name) {
    auto args = std::vector<std::string>{"worker"};
    for (auto& a : Common()) {
      args.push_back(a);
    }
    children_[name] = std::make_unique<ChildProcess>(args, dir_ + "/" + name + ".log");
  }

  std::int64_t Scalar(const std::string& sql) {
    auto c = store::PgConnection::Open(url_);
    if (!c) throw std::runtime_error(c.error().message);
    auto row = store::sql::QueryOne(**c, sql);
    if (!row || !*row) throw std::runtime_error("no row: " + sql);
    return (*row)->Int(0);
  }

  std::unique_ptr<PgTestDatabase> database_;
  std::string url_, dir_, key_;
  std::unique_ptr<sevdesk::sandbox::Sandbox> sandbox_;
  std::map<std::string, std::unique_ptr<ChildProcess>> children_;
};

TEST_F(PostgresProcesses, TwoServesAndAWorkerShareNumbersAndTransfersAndSurviveSigkill) {
  constexpr int kInvoices = 40;
  // School and owner with the CLI (PostgreSQL needs an explicit key file).
  auto school = RunBinary(
      {"tenant", "create", "--name", "Pfotenglück", "--database", url_, "--key-file", key_});
  ASSERT_EQ(school.exit_code, 0) << school.err;
  const std::string password = "ein-sehr-geheimes-passwort";
  auto user =
      RunBinary({"user", "add", "--tenant", "1", "--email", "owner@example.org", "--password-stdin",
                 "--password-cost", "minimum", "--database", url_, "--key-file", key_},
                password + "\n");
  ASSERT_EQ(user.exit_code, 0) << user.err;

  // At first only the worker transfers (the servers serve HTTP only), and sevdesk answers slowly,
  // so that the worker certainly holds leases when it is killed.
  const std::string a_url = StartServe("serve-a", false);
  std::string b_url = StartServe("serve-b", false);
  StartWorker("worker");

  ApiClient a(a_url);
  ASSERT_EQ(a.Login("owner@example.org", password).status, 200);
  // The session made by A is valid on B.
  auto b = std::make_unique<ApiClient>(b_url);
  b->ShareSessionFrom(a);
  ASSERT_EQ(b->Get("/api/v1/customers").status, 200);

  Must(a.Send("PUT", "/api/v1/integrations/sevdesk", Json{{"api_token", kToken}}.dump()), 200,
       "set token");
  const Json tested =
      Must(a.Post("/api/v1/integrations/sevdesk/test", Json::object()), 200, "test");
  ASSERT_TRUE(tested["ok"].get<bool>()) << tested.dump();
  Must(a.Send("PUT", "/api/v1/integrations/sevdesk", Json{{"enabled", true}}.dump()), 200,
       "enable");

  std::vector<std::int64_t> customers;
  for (int i = 0; i < 8; ++i) {
    const Json body = {
        {"kind", "person"},
        {"first_name", "Kim" + std::to_string(i)},
        {"last_name", "Muster"},
        {"email", "kunde" + std::to_string(i) + "@example.org"},
        {"address", {{"street", "Waldweg 1"}, {"zip", "10115"}, {"city", "Berlin"}}}};
    customers.push_back(
        Must(a.Post("/api/v1/customers", body), 201, "customer")["id"].get<std::int64_t>());
  }
  std::vector<std::int64_t> drafts;
  for (int i = 0; i < kInvoices; ++i) {
    const Json draft = {{"customer_id", customers[static_cast<std::size_t>(i) % customers.size()]},
                        {"invoice_date", TodayInBerlin()},
                        {"lines",
                         {{{"text", "Gruppenstunde"},
                           {"quantity", "1"},
                           {"unit", "Std"},
                           {"unit_price_cents", 2500 + i},
                           {"vat_rate", 19}}}}};
    drafts.push_back(
        Must(a.Post("/api/v1/invoices", draft), 201, "draft")["id"].get<std::int64_t>());
  }
  sevdesk::sandbox::FaultSettings slow;
  slow.latency = milliseconds(1500);
  ASSERT_TRUE(sandbox_->SetGlobalFaults(slow));

  // All finalizations at once, four clients through both servers.
  std::atomic<int> failures{0};
  std::string failure;
  std::mutex failure_mutex;
  auto finalize = [&](const std::string& base, int from, int step) {
    ApiClient c(base);
    c.ShareSessionFrom(a);
    for (int i = from; i < kInvoices; i += step) {
      const Reply r = c.Post(
          "/api/v1/invoices/" + std::to_string(drafts[static_cast<std::size_t>(i)]) + "/finalize",
          Json::object());
      if (r.status != 200) {
        ++failures;
        std::lock_guard lock(failure_mutex);
        failure = r.Describe();
      }
    }
  };
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back(finalize, t % 2 == 0 ? a_url : b_url, t, 4);
    for (auto& t : threads) t.join();
  }
  ASSERT_EQ(failures, 0) << failure;

  // The worker holds leases (it is the only one transferring): kill it mid-request.
  std::set<std::int64_t> held;
  const auto wait_running = steady_clock::now() + std::chrono::seconds(20);
  while (held.empty() && steady_clock::now() < wait_running) {
    auto c = store::PgConnection::Open(url_);
    ASSERT_TRUE(c);
    auto rows = (*c)->Query("SELECT id FROM sevdesk_transfers WHERE state = 'running'", {});
    ASSERT_TRUE(rows);
    for (const auto& r : *rows) held.insert(r.Int(0));
    if (held.empty()) std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_FALSE(held.empty()) << "the worker never claimed:\n"
                             << Tail(ReadAll(dir_ + "/worker.log"), kLogTail);
  children_["worker"]->Kill(SIGKILL);
  const auto killed_at = steady_clock::now();
  const std::int64_t killed_ms = ToUnixMillis(SystemClock().Now());
  ASSERT_TRUE(sandbox_->SetGlobalFaults({}));
  // Serve B is killed too and comes back with workers; serve A keeps serving HTTP only.
  children_["serve-b"]->Kill(SIGKILL);
  b_url = StartServe("serve-b");

  // The dead worker's transfers are taken over once its lease (3 s) has ended: first released
  // from the dead owner, then transferred by B.
  std::string ids;
  for (auto id : held) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const std::string still_dead =
      "SELECT COUNT(*) FROM sevdesk_transfers WHERE state = 'running' AND lease_owner IN "
      "(SELECT lease_owner FROM sevdesk_transfers WHERE id IN (" +
      ids + ") AND lease_owner <> '' AND updated_at <= " + std::to_string(killed_ms) +
      ") AND id IN (" + ids + ")";
  const std::string held_done =
      "SELECT COUNT(*) FROM sevdesk_transfers WHERE state = 'transferred' AND id IN (" + ids + ")";
  double released_s = -1;
  while (Scalar(held_done) < static_cast<std::int64_t>(held.size()) &&
         steady_clock::now() - killed_at < std::chrono::seconds(30)) {
    if (released_s < 0 && Scalar(still_dead) == 0) {
      released_s = std::chrono::duration<double>(steady_clock::now() - killed_at).count();
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  const double done_s = std::chrono::duration<double>(steady_clock::now() - killed_at).count();
  if (released_s < 0) released_s = done_s;
  std::cout << "[pg-processes] " << held.size() << " transfer(s) of the killed worker: taken over "
            << released_s << " s, transferred " << done_s << " s after SIGKILL (lease 3 s)"
            << std::endl;
  EXPECT_EQ(Scalar(held_done), static_cast<std::int64_t>(held.size()));
  // Lease (3 s) + the idle poll (1 s) + slack for a loaded CI machine.
  EXPECT_LT(released_s, 3.0 + 1.0 + 4.0);

  // Numbers: unique and gapless across both servers.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM invoices WHERE number IS NOT NULL"), kInvoices);
  EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT number) FROM invoices WHERE number IS NOT NULL"),
            kInvoices);
  EXPECT_EQ(Scalar("SELECT MIN(number_sequence) FROM invoices WHERE number IS NOT NULL"), 1);
  EXPECT_EQ(Scalar("SELECT MAX(number_sequence) FROM invoices WHERE number IS NOT NULL"),
            kInvoices);

  // Every transfer ends transferred, including those the killed processes held.
  const auto deadline = steady_clock::now() + std::chrono::seconds(90);
  std::int64_t done = 0;
  while ((done = Scalar("SELECT COUNT(*) FROM sevdesk_transfers WHERE state = 'transferred'")) <
             kInvoices &&
         steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_EQ(done, kInvoices) << "serve-a:\n"
                             << Tail(ReadAll(dir_ + "/serve-a.log"), kLogTail) << "\nworker:\n"
                             << Tail(ReadAll(dir_ + "/worker.log"), kLogTail);

  // Exactly one voucher per invoice in the sandbox.
  ApiClient sandbox(sandbox_->BaseUrl());
  const Json acc = Must(sandbox.Get(std::string("/__sandbox/accounts/") + kToken,
                                    {.with_cookie = false, .with_csrf = false}),
                        200, "sandbox account");
  std::map<std::string, int> per_description;
  for (const auto& v : acc["vouchers"]) {
    ++per_description[v["voucher"]["description"].get<std::string>()];
  }
  EXPECT_EQ(acc["vouchers"].size(), static_cast<std::size_t>(kInvoices));
  EXPECT_EQ(per_description.size(), static_cast<std::size_t>(kInvoices));
  for (const auto& [d, n] : per_description) EXPECT_EQ(n, 1) << d;
  EXPECT_EQ(acc["contacts"].size(), customers.size());
}

// Waits (at most 60 s) for `child` to end; answers its exit code, or -1 if it keeps running.
int WaitForExit(ChildProcess& child) {
  const auto deadline = steady_clock::now() + std::chrono::seconds(60);
  while (!child.Exited()) {
    if (steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return child.code();
}

constexpr char kKeyMismatch[] = "key mismatch: the key in ";

// Key check (issue 6): the first serve stores a check value of its key; a serve or worker
// started later with another key refuses to start with a clear message instead of failing
// school by school at the next transfer. The right key still starts.
TEST_F(PostgresProcesses, AProcessWithAnotherKeyRefusesToStart) {
  const std::string a_url = StartServe("serve-a", false);
  ASSERT_EQ(children_["serve-a"]->Kill(SIGTERM), 0);

  const std::string other_key = dir_ + "/other.key";
  auto with_key = [&](std::vector<std::string> args, const std::string& key) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--key-file") args[i + 1] = key;
    }
    return args;
  };
  std::vector<std::string> worker{"worker"};
  for (auto& a : with_key(Common(), other_key)) worker.push_back(a);
  ChildProcess refused_worker(worker, dir_ + "/worker-b.log");
  EXPECT_NE(WaitForExit(refused_worker), 0);
  const std::string worker_log = ReadAll(dir_ + "/worker-b.log");
  EXPECT_NE(worker_log.find(kKeyMismatch), std::string::npos) << worker_log;
  EXPECT_NE(worker_log.find("refusing to start"), std::string::npos) << worker_log;

  std::vector<std::string> serve{"serve", "--listen", "127.0.0.1:0"};
  for (auto& a : with_key(Common(), other_key)) serve.push_back(a);
  ChildProcess refused_serve(serve, dir_ + "/serve-b.log");
  EXPECT_NE(WaitForExit(refused_serve), 0);
  const std::string serve_log = ReadAll(dir_ + "/serve-b.log");
  EXPECT_NE(serve_log.find(kKeyMismatch), std::string::npos) << serve_log;

  // The key the database knows still starts, and the stored check was not replaced.
  EXPECT_FALSE(StartServe("serve-a", false).empty());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM secret_key_check"), 1);
}

// The same on SQLite: a lost key file (serve creates a fresh key next to the database) is
// refused at start, and the restored key file starts again.
TEST(KeyCheck, SqliteServeWithAFreshKeyRefusesToStart) {
  BinaryFixture fx;
  fx.CreateSchool("Pfotenglück");
  fx.Start();
  ASSERT_EQ(fx.Stop(), 0);
  const std::string key = fx.dir() + "/secret.key";
  ASSERT_TRUE(std::filesystem::exists(key));
  std::filesystem::rename(key, key + ".saved");
  const std::string port_file = fx.dir() + "/again.port";
  const std::vector<std::string> args{"serve",       "--database",  fx.database_url(), "--listen",
                                      "127.0.0.1:0", "--port-file", port_file};
  ChildProcess refused(args, fx.dir() + "/refused.log");
  EXPECT_NE(WaitForExit(refused), 0);
  const std::string message = ReadAll(fx.dir() + "/refused.log");
  EXPECT_NE(message.find(kKeyMismatch), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(port_file)) << "refused before listening";
  std::filesystem::rename(key + ".saved", key);
  ChildProcess started(args, fx.dir() + "/started.log");
  const auto deadline = steady_clock::now() + std::chrono::seconds(60);
  auto complete = [&] {
    const std::string text = ReadAll(port_file);
    return !text.empty() && text.back() == '\n';
  };
  while (!complete() && !started.Exited() && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const std::string port = ReadAll(port_file);
  ASSERT_FALSE(port.empty()) << ReadAll(fx.dir() + "/started.log");
  // Healthy before the SIGTERM (a stop during start-up is not what this test is about).
  ApiClient c("http://127.0.0.1:" + port.substr(0, port.size() - 1));
  while (c.Get("/healthz", {.with_cookie = false, .with_csrf = false}).status != 200 &&
         !started.Exited() && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(started.Kill(SIGTERM), 0);
}

}  // namespace
}  // namespace hs::testing
