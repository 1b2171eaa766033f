// Crash test of "Zahlung erfassen" (issue 16, ADR 0019), against the real binary: `serve` on a
// temp SQLite database books a payment in the sevdesk sandbox, whose answer to bookAmount is held
// back; `serve` is killed with SIGKILL while the booking is `sending`, once after the sandbox
// applied the booking and once before, then restarted. The restarted `serve` looks the booking up
// and finishes it: exactly one booking in the sandbox (its paid amount is the payment's), and the
// payment `booked` here.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <thread>

#include "core/date.hpp"
#include "crash/crash_harness.hpp"

namespace hs::testing {
namespace {

using std::chrono::steady_clock;

class CrashPaymentTest : public CrashHarness {
 protected:
  void SetUp() override {
    Init(fx_.dir(), 1, 1);
    customers_ = 1;
  }

  void TearDown() override {
    serve_.reset();
    sandbox_.reset();
    if (HasFailure()) {
      std::cerr << "[crash] serve log (tail):\n"
                << Tail(ReadAll(fx_.dir() + "/serve.log"), 8000) << std::endl;
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
                                  fx_.dir() + "/secret.key"};
    auto flags = SevdeskFlags();
    for (std::size_t i = 0; i + 1 < flags.size(); ++i) {
      // The app waits 5 s for the held answer (30 s): serve is killed meanwhile. The settle time
      // may not be shorter than the time-out (a request may be applied until then).
      if (flags[i] == "--sevdesk-timeout-ms") flags[i + 1] = "5000";
      if (flags[i] == "--sevdesk-settle-ms") flags[i + 1] = "5000";
    }
    for (auto& a : flags) args.push_back(a);
    serve_ = std::make_unique<ChildProcess>(args, log);
    app_url_ = "http://127.0.0.1:" + std::to_string(WaitForPort(*serve_, port_file, log));
    ApiClient c(app_url_);
    const auto deadline = steady_clock::now() + std::chrono::seconds(60);
    while (c.Get("/healthz", {.with_cookie = false, .with_csrf = false}).status != 200) {
      if (steady_clock::now() > deadline || serve_->Exited()) {
        throw std::runtime_error("serve is not healthy");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // One transferred invoice and the Kasse chosen; answers the receipt.
  Expected Prepare() {
    account_ = fx_.CreateSchool("Hundeschule Absturz");
    StartSandbox();
    StartServe();
    Seed();
    ConnectSevdesk();
    const Json done = WaitForBatch(StartBackfill(), [this] { return !serve_->Exited(); });
    EXPECT_TRUE(done["finished"].get<bool>()) << done.dump();
    auto c = Client();
    const Json accounts =
        Must(c->Get("/api/v1/integrations/sevdesk/payment-account"), 200, "payment accounts");
    Must(c->Send("PUT", "/api/v1/integrations/sevdesk/payment-account",
                 Json{{"payment_account_id", accounts["accounts"][0]["id"]}}.dump()),
         200, "choose the Kasse");
    const auto receipts = LoadReceipts(false);
    EXPECT_EQ(receipts.size(), 1u);
    return receipts.at(0);
  }

  Json Payments(std::int64_t invoice_id) {
    return Must(Client()->Get("/api/v1/invoices/" + std::to_string(invoice_id) + "/payments"), 200,
                "payments");
  }

  std::int64_t SandboxPaid() {
    const Json account = SandboxAccount();
    for (const auto& v : account["vouchers"]) {
      const Json& paid = v["voucher"]["paidAmount"];
      if (paid.is_number()) return std::llround(paid.get<double>() * 100);
      if (paid.is_string()) return std::llround(std::stod(paid.get<std::string>()) * 100);
    }
    return -1;
  }

  // Records a payment whose bookAmount meets `fault` (its answer held back 30 s), kills serve
  // while the booking is `sending` (after the sandbox applied it when `applied`), restarts it,
  // and waits for the booking to finish.
  void KillWhileSending(const std::string& fault, bool applied) {
    const Expected receipt = Prepare();
    Must(sandbox_client_->Send("PUT", "/__sandbox/faults", Json{{"timeout_ms", 30000}}.dump()), 200,
         "hold answers");
    Must(sandbox_client_->Post("/__sandbox/faults/next",
                               Json{{"kind", fault}, {"count", 1}, {"endpoint", "bookAmount"}}),
         200, "script the fault");
    const std::int64_t amount = receipt.gross / 2;
    std::thread recording([&] {
      // Never answered: serve dies while it waits for sevdesk.
      (void)Client()->Post(
          "/api/v1/invoices/" + std::to_string(receipt.invoice_id) + "/payments",
          Json{{"amount_cents", amount},
               {"date",
                FormatIsoDate(BerlinDateOf(std::chrono::time_point_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now())))},
               {"method", "cash"}});
    });
    const auto deadline = steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      const Json list = Payments(receipt.invoice_id);
      const bool sending = !list["payments"].empty() && list["payments"][0]["booking"] == "sending";
      if (sending && (!applied || SandboxPaid() == amount)) break;
      ASSERT_LT(steady_clock::now(), deadline) << list.dump();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!applied) std::this_thread::sleep_for(std::chrono::milliseconds(300));  // in flight
    serve_->Kill(SIGKILL);
    recording.join();
    EXPECT_EQ(SandboxPaid(), applied ? amount : 0);
    Must(sandbox_client_->Send("DELETE", "/__sandbox/faults", ""), 200, "faults off");

    StartServe();
    const auto until = steady_clock::now() + std::chrono::seconds(60);
    Json list;
    for (;;) {
      list = Payments(receipt.invoice_id);
      if (list["payments"][0]["booking"] != "sending" &&
          list["payments"][0]["booking"] != "pending") {
        break;
      }
      ASSERT_LT(steady_clock::now(), until) << list.dump();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(list["payments"].size(), 1u) << list.dump();
    EXPECT_EQ(list["payments"][0]["booking"], "booked") << list.dump();
    EXPECT_EQ(SandboxPaid(), amount) << "exactly one booking in sevdesk";
    EXPECT_EQ(list["paid_cents"].get<std::int64_t>(), amount) << list.dump();
    EXPECT_EQ(list["open_cents"].get<std::int64_t>(), receipt.gross - amount) << list.dump();
  }

  BinaryFixture fx_;
  std::unique_ptr<ChildProcess> serve_;
};

TEST_F(CrashPaymentTest, KilledAfterSevdeskAppliedTheBookingIsLookedUpNotSentAgain) {
  KillWhileSending("timeout_after_write", true);
}

TEST_F(CrashPaymentTest, KilledBeforeSevdeskAppliedTheBookingIsSentAgainAfterTheSettleTime) {
  KillWhileSending("timeout", false);
}

}  // namespace
}  // namespace hs::testing
