// Crash test of the sevdesk transfer engine (issue 4), against the real binary:
//
//   * `hundeschule sevdesk-sandbox` with 10 % 500s (half after the write was applied), 5 %
//     time-outs (half after the write) and 429s;
//   * `hundeschule serve` on a temp SQLite database with a school of 50 customers and 2,000
//     finalized invoices that were not transferred (created over the JSON API before sevdesk was
//     connected);
//   * sevdesk connected over the API (token, "Verbindung testen", enable), a backfill of all
//     income receipts started, and meanwhile serve is killed with SIGKILL at random moments (at
//     least 10 times) and restarted;
//   * then faults off, one last restart, wait until the batch is finished, and check: every
//     receipt "transferred", exactly one voucher per receipt and one contact (with one address
//     and one e-mail) per customer in the sandbox, every voucher's sums (and its positions') equal
//     the receipt's to the cent (every 10th also per VAT rate against the invoice), and every
//     document has the sha256 of the app's stored PDF (every 10th downloaded on both sides and
//     compared byte for byte).
//
// The PostgreSQL variant with three processes is crash_pg_transfer_test.cpp; both share
// crash_harness.{hpp,cpp}.
//
// Environment: HS_CRASH_SEED (default: time-based, printed), HS_CRASH_RECEIPTS (default 2000),
// HS_CRASH_KILLS (default 12).
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "crash/crash_harness.hpp"

namespace hs::testing {
namespace {

using std::chrono::steady_clock;

class CrashTransferTest : public CrashHarness {
 protected:
  void SetUp() override {
    Init(fx_.dir(), EnvInt("HS_CRASH_RECEIPTS", 2000), EnvInt("HS_CRASH_KILLS", 12));
  }

  void TearDown() override {
    serve_.reset();
    sandbox_.reset();
    if (HasFailure()) {
      std::cerr << "[crash] serve log (tail):\n"
                << Tail(ReadAll(fx_.dir() + "/serve.log"), 8000) << "\n[crash] sandbox log:\n"
                << Tail(ReadAll(fx_.dir() + "/sandbox.log"), 3000) << std::endl;
    }
  }

  void StartServe() {
    const std::string port_file = fx_.dir() + "/serve.port";
    std::filesystem::remove(port_file);
    const std::string log = fx_.dir() + "/serve.log";
    std::vector<std::string> args{"serve",
                                  "--database",
                                  fx_.database_url(),
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--port-file",
                                  port_file,
                                  "--password-cost",
                                  "minimum",
                                  "--key-file",
                                  fx_.dir() + "/secret.key",
                                  "--workers",
                                  "4"};
    for (auto& a : SevdeskFlags()) args.push_back(a);
    serve_ = std::make_unique<ChildProcess>(args, log);
    app_url_ = "http://127.0.0.1:" + std::to_string(WaitForPort(*serve_, port_file, log));
  }

  // Waits until serve answers /healthz.
  void WaitHealthy() {
    ApiClient c(app_url_);
    const auto deadline = steady_clock::now() + std::chrono::seconds(60);
    while (c.Get("/healthz", {.with_cookie = false, .with_csrf = false}).status != 200) {
      if (steady_clock::now() > deadline || serve_->Exited()) {
        throw std::runtime_error("serve is not healthy:\n" +
                                 Tail(ReadAll(fx_.dir() + "/serve.log"), 4000));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  BinaryFixture fx_;
  std::unique_ptr<ChildProcess> serve_;
};

TEST_F(CrashTransferTest, BackfillSurvivesSigkillAndFaultsExactlyOnce) {
  const auto t0 = steady_clock::now();
  account_ = fx_.CreateSchool("Hundeschule Absturz");
  StartSandbox();
  StartServe();
  WaitHealthy();
  Seed();
  std::cout << "[crash] seeded " << customers_ << " customers, " << receipts_ << " invoices in "
            << Seconds(t0) << " s" << std::endl;
  {
    const auto before = LoadReceipts(false);
    ASSERT_EQ(before.size(), static_cast<std::size_t>(receipts_));
    for (const auto& e : before) ASSERT_EQ(e.status, "not_transferred") << e.number;
  }
  ConnectSevdesk();
  FaultsOn();
  const std::int64_t batch_id = StartBackfill();
  const auto backfill_start = steady_clock::now();

  // Kill serve with SIGKILL at random moments and restart it.
  int kills = 0;
  for (; kills < kills_; ++kills) {
    const bool reached = WaitForKillPoint(kills, 1500, [&] { return !serve_->Exited(); });
    ASSERT_FALSE(serve_->Exited()) << "serve died by itself (" << serve_->code() << ")";
    ASSERT_TRUE(reached) << "the backfill stalled";
    EXPECT_EQ(serve_->Kill(SIGKILL), 128 + SIGKILL);
    std::cout << "[crash] kill " << kills + 1 << " at " << Seconds(backfill_start)
              << " s, vouchers in sandbox: " << SandboxVoucherCount() << std::endl;
    StartServe();
  }
  const std::int64_t at_last_kill = SandboxVoucherCount();
  EXPECT_LT(at_last_kill, receipts_) << "the backfill ended before the last kill: size it up";

  // Faults off; let the running serve finish.
  FaultsOff();
  WaitHealthy();
  const Json progress = WaitForBatch(batch_id, [&] { return !serve_->Exited(); });
  std::cout << "[crash] backfill finished " << Seconds(backfill_start) << " s after the start, "
            << kills << " kills; progress " << progress.dump() << std::endl;
  EXPECT_GE(kills, 10);
  EXPECT_EQ(progress["total"].get<int>(), receipts_);
  EXPECT_EQ(progress["done"].get<int>(), receipts_);
  EXPECT_EQ(progress["failed"].get<int>(), 0);

  const auto verify_start = steady_clock::now();
  VerifyExactlyOnce();

  // A graceful stop of the last serve (and ASan's leak check) ends cleanly.
  EXPECT_EQ(serve_->Kill(SIGTERM), 0) << Tail(ReadAll(fx_.dir() + "/serve.log"), 3000);
  EXPECT_EQ(sandbox_->Kill(SIGTERM), 0);
  std::cout << "[crash] verified in " << Seconds(verify_start) << " s; total " << Seconds(t0)
            << " s" << std::endl;
}

}  // namespace
}  // namespace hs::testing
