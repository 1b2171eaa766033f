// Throughput of the sevdesk sandbox on loopback, faults off: N keep-alive client threads send
// simple GETs for a fixed time; prints requests/s (median of several rounds) and p50/p99 latency
// against the 5,000 req/s target, so the sandbox is never the bottleneck of transfer benchmarks.
//
//   build-sandbox-rel/bench/hs_sandbox_bench [--threads 4] [--seconds 3] [--rounds 5]
//                                            [--path /api/v1/Tools/bookkeepingSystemVersion]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"
#include "sevdesk/sandbox/sandbox.hpp"

namespace {

constexpr double kTargetRequestsPerSecond = 5000;
constexpr char kToken[] = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

struct Round {
  double requests_per_second = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::vector<double> latencies_us;
};

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index];
}

Round RunRound(const std::string& base, const std::string& path, int threads, double seconds) {
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  std::atomic<std::uint64_t> ok{0}, failed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  const auto duration = std::chrono::duration<double>(seconds);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      hs::http::Client client(base, std::chrono::seconds(5));
      const std::vector<std::pair<std::string, std::string>> headers = {
          {"Authorization", kToken}, {"Accept", "application/json"}};
      auto& mine = latencies[static_cast<std::size_t>(t)];
      mine.reserve(200000);
      while (!go) std::this_thread::yield();
      const auto end = std::chrono::steady_clock::now() + duration;
      while (true) {
        const auto start = std::chrono::steady_clock::now();
        if (start >= end) break;
        auto r = client.Send("GET", path, headers);
        const auto stop = std::chrono::steady_clock::now();
        if (r && r->status == 200) {
          ++ok;
          mine.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
        } else {
          ++failed;
        }
      }
    });
  }
  const auto started = std::chrono::steady_clock::now();
  go = true;
  for (auto& w : workers) w.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Round round;
  round.ok = ok;
  round.failed = failed;
  round.requests_per_second = static_cast<double>(round.ok) / elapsed;
  for (auto& l : latencies) round.latencies_us.insert(round.latencies_us.end(), l.begin(), l.end());
  return round;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 4;
  double seconds = 3;
  int rounds = 5;
  std::string path = "/api/v1/Tools/bookkeepingSystemVersion";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--path") == 0) path = argv[i + 1];
  }
  if (threads < 1 || seconds <= 0 || rounds < 1) {
    std::fprintf(stderr, "usage: %s [--threads N] [--seconds S] [--rounds R] [--path P]\n",
                 argv[0]);
    return 2;
  }

  hs::sevdesk::sandbox::SandboxSettings settings;
  hs::sevdesk::sandbox::AccountSettings account;
  account.token = kToken;
  account.name = "Bench GmbH";
  settings.accounts.push_back(account);
  settings.server_threads = static_cast<std::size_t>(threads) + 8;
  hs::sevdesk::sandbox::Sandbox sandbox(settings);
  auto port = sandbox.Start();
  if (!port) {
    std::fprintf(stderr, "cannot start the sandbox: %s\n", port.error().message.c_str());
    return 1;
  }
  std::printf(
      "sevdesk sandbox benchmark: GET %s, %d keep-alive client threads, %d x %.1f s, "
      "faults off, %u hardware threads\n",
      path.c_str(), threads, rounds, seconds, std::thread::hardware_concurrency());
  std::printf("baseline (target): %.0f req/s\n", kTargetRequestsPerSecond);

  RunRound(sandbox.BaseUrl(), path, threads, 0.5);  // warm-up
  std::vector<Round> results;
  for (int r = 0; r < rounds; ++r) {
    results.push_back(RunRound(sandbox.BaseUrl(), path, threads, seconds));
    std::printf("  round %d: %8.0f req/s  (%llu ok, %llu failed)\n", r + 1,
                results.back().requests_per_second,
                static_cast<unsigned long long>(results.back().ok),
                static_cast<unsigned long long>(results.back().failed));
  }
  std::sort(results.begin(), results.end(), [](const Round& a, const Round& b) {
    return a.requests_per_second < b.requests_per_second;
  });
  Round& median = results[results.size() / 2];
  const double p50 = Percentile(median.latencies_us, 0.50);
  const double p99 = Percentile(median.latencies_us, 0.99);
  std::printf("median: %.0f req/s, p50 %.0f us, p99 %.0f us (median round)\n",
              median.requests_per_second, p50, p99);
  const bool met = median.requests_per_second >= kTargetRequestsPerSecond;
  std::printf("%s: %.0f req/s vs target %.0f req/s (%.1fx)\n",
              met ? "MEETS TARGET" : "BELOW TARGET", median.requests_per_second,
              kTargetRequestsPerSecond, median.requests_per_second / kTargetRequestsPerSecond);
  sandbox.Stop();
  return met ? 0 : 1;
}
