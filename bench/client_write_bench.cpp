// What it costs that a sevdesk write can never be re-sent silently (issue 12, ADR 0010): the
// production client creates contacts in the sandbox on loopback, in rounds that alternate the
// two write-connection modes, and prints per-create latency (median of the rounds' medians, p99)
// for each and their ratio. The baseline is kReuseRecent (a write on a kept-alive connection).
//
//   build/rel/bench/hs_client_write_bench [--creates 500] [--rounds 5] [--latency-ms 0]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sevdesk/client/sevdesk_client.hpp"
#include "sevdesk/sandbox/sandbox.hpp"

namespace {

constexpr char kToken[] = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

// Per-create latencies in microseconds; a read first, as the engine's transfers do.
std::vector<double> RunRound(const std::string& base, hs::sevdesk::WriteConnection mode,
                             int creates, int& failed) {
  hs::sevdesk::ClientSettings settings;
  settings.base_url = base + "/api/v1";
  settings.write_connection = mode;
  auto client = hs::sevdesk::MakeSevdeskClient(settings);
  (void)client->BookkeepingVersion(kToken);
  hs::app::ContactData contact;
  contact.first_name = "Bench";
  contact.last_name = "Kunde";
  std::vector<double> latencies;
  for (int i = 0; i < creates; ++i) {
    contact.customer_number = "B-" + std::to_string(i);
    const auto start = std::chrono::steady_clock::now();
    auto id = client->CreateContact(kToken, contact);
    const auto stop = std::chrono::steady_clock::now();
    if (!id && failed++ == 0) {
      std::fprintf(stderr, "create failed: %s\n", id.error().message.c_str());
    }
    latencies.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
  }
  return latencies;
}

const char* Name(hs::sevdesk::WriteConnection mode) {
  return mode == hs::sevdesk::WriteConnection::kFresh ? "fresh connection per write"
                                                      : "reuse recent connection (baseline)";
}

}  // namespace

int main(int argc, char** argv) {
  int creates = 500;
  int rounds = 5;
  int latency_ms = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--creates") == 0) creates = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--latency-ms") == 0) latency_ms = std::atoi(argv[i + 1]);
  }
  if (creates < 1 || rounds < 1 || latency_ms < 0) {
    std::fprintf(stderr, "usage: %s [--creates N] [--rounds R] [--latency-ms MS]\n", argv[0]);
    return 2;
  }
  hs::sevdesk::InitHttpClient();
  hs::sevdesk::sandbox::SandboxSettings settings;
  hs::sevdesk::sandbox::AccountSettings account;
  account.token = kToken;
  settings.accounts.push_back(account);
  settings.faults.latency = std::chrono::milliseconds(latency_ms);
  hs::sevdesk::sandbox::Sandbox sandbox(settings);
  auto port = sandbox.Start();
  if (!port) {
    std::fprintf(stderr, "cannot start the sandbox: %s\n", port.error().message.c_str());
    return 1;
  }
  std::printf(
      "sevdesk client writes: POST /Contact on loopback, sandbox latency +%d ms, %d x %d "
      "creates per mode, modes alternate per round\n",
      latency_ms, rounds, creates);
  const hs::sevdesk::WriteConnection modes[] = {hs::sevdesk::WriteConnection::kReuseRecent,
                                                hs::sevdesk::WriteConnection::kFresh};
  std::vector<double> medians[2], all[2];
  int failed[2] = {0, 0};
  for (int r = 0; r < rounds; ++r) {
    for (int m = 0; m < 2; ++m) {
      auto latencies = RunRound(sandbox.BaseUrl(), modes[m], creates, failed[m]);
      medians[m].push_back(Percentile(latencies, 0.5));
      all[m].insert(all[m].end(), latencies.begin(), latencies.end());
    }
  }
  for (int m = 0; m < 2; ++m) {
    std::printf("%-36s median %7.1f us  p99 %7.1f us  (%d failed)\n", Name(modes[m]),
                Percentile(medians[m], 0.5), Percentile(all[m], 0.99), failed[m]);
  }
  std::printf("fresh / reuse: %.2fx per create (median of round medians)\n",
              Percentile(medians[1], 0.5) / Percentile(medians[0], 0.5));
  sandbox.Stop();
  return failed[0] + failed[1] == 0 ? 0 : 1;
}
