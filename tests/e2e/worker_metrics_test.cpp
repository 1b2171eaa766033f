// A `worker` process answers /healthz and /metrics on its own port (--metrics-listen), with the
// transfer engine's metrics read from its database; a bad address stops it at start.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "support/binary_fixture.hpp"
#include "support/child_process.hpp"

namespace hs::testing {
namespace {

using namespace std::chrono_literals;

class WorkerMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = std::make_unique<BinaryFixture>();
    fixture_->CreateSchool("Pfotenglück");  // creates and migrates the database
  }

  std::vector<std::string> WorkerArgs(const std::string& listen) const {
    return {"worker", "--database", fixture_->database_url(), "--workers", "1",
            // Nothing is transferred here; never real sevdesk.
            "--sevdesk-base-url", "http://127.0.0.1:9/api/v1", "--metrics-listen", listen,
            "--metrics-port-file", PortFile()};
  }
  std::string PortFile() const { return fixture_->dir() + "/worker-metrics.port"; }
  std::string Log() const { return fixture_->dir() + "/worker.log"; }

  // The base URL once the port file is complete, "" when the worker ended or took too long.
  std::string WaitForPort(ChildProcess& worker) const {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline && !worker.Exited()) {
      const std::string port = ReadAll(PortFile());
      if (!port.empty() && port.back() == '\n') {
        return "http://127.0.0.1:" + port.substr(0, port.size() - 1);
      }
      std::this_thread::sleep_for(20ms);
    }
    return {};
  }

  std::unique_ptr<BinaryFixture> fixture_;
};

TEST_F(WorkerMetrics, ServesHealthAndMetricsOnItsOwnPort) {
  ChildProcess worker(WorkerArgs("127.0.0.1:0"), Log());
  const std::string base = WaitForPort(worker);
  ASSERT_FALSE(base.empty()) << Tail(ReadAll(Log()), 4000);
  ApiClient client(base);
  const SendOptions plain{.with_cookie = false, .with_csrf = false};
  const Reply health = client.Get("/healthz", plain);
  EXPECT_EQ(health.status, 200) << health.Describe();
  EXPECT_EQ(health.json.value("status", ""), "ok");
  const Reply metrics = client.Get("/metrics", plain);
  ASSERT_EQ(metrics.status, 200) << metrics.Describe();
  EXPECT_NE(metrics.Header("Content-Type").value_or("").find("text/plain"), std::string::npos);
  const std::string& m = metrics.body;
  EXPECT_NE(m.find("# TYPE hundeschule_sevdesk_transfers gauge\n"), std::string::npos) << m;
  EXPECT_NE(m.find("hundeschule_sevdesk_transfers{state=\"queued\",school_class=\"regular\"} 0\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("hundeschule_sevdesk_oldest_queued_transfer_age_seconds 0\n"),
            std::string::npos);
  EXPECT_NE(m.find("# TYPE hundeschule_sevdesk_request_duration_seconds histogram\n"),
            std::string::npos);
  EXPECT_NE(m.find("# TYPE hundeschule_sevdesk_lease_takeovers_total counter\n"),
            std::string::npos);
  // Only these two paths: no API, no UI on the worker's port.
  EXPECT_EQ(client.Get("/api/v1/me", plain).status, 404);
  EXPECT_NE(ReadAll(Log()).find("metrics on http://127.0.0.1:"), std::string::npos);
  EXPECT_EQ(worker.Kill(SIGTERM), 0) << Tail(ReadAll(Log()), 4000);
}

TEST_F(WorkerMetrics, ABadMetricsAddressStopsTheWorkerAtStart) {
  const CommandResult r = RunBinary(WorkerArgs("no-port-here"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--metrics-listen must be HOST:PORT"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hs::testing
