// The payment sync (issue 16, ADR 0018) at the size: 10,000 transferred vouchers, 500 of
// them paid. The vouchers are seeded directly into an in-process sevdesk sandbox (bulk admin
// call) and the matching receipts, transfers and states into a SQLite database, instead of
// transferring 10,000 invoices for real. Prints, with the production client over loopback HTTP:
//  * a full sync (all vouchers): requests and wall time, the first one (writes 10,000 states)
//    and the median of the next ones (nothing changed);
//  * after 500 payments (sandbox admin call): the incremental sync that brings them (requests,
//    wall time, states written) and the median of the next incremental ones;
//  * the baselines in the same run: the full read (what every sync would cost without the
//    incremental read) and one GET per voucher (a sync that asks every voucher; measured on a
//    sample, extrapolated to all);
//  * the latency from "the sandbox marks paid" to "status visible here" with the scheduler
//    running at a short interval: median and maximum, against the bound interval + 5 s.
//
//   build/rel/bench/hs_payment_sync_bench [--vouchers 10000] [--paid 500] [--runs 5]
//                                         [--interval-ms 2000] [--samples 10] [--naive 1000]
//
// PaymentSyncService is used as the product wires it; a bench of the transfer latency under a
// running sync can construct the same service and call SyncSchool in a loop.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/payment_sync_service.hpp"
#include "core/clock.hpp"
#include "crypto/sodium_crypto.hpp"
#include "http/client.hpp"
#include "payment_seed.hpp"
#include "sevdesk/client/sevdesk_client.hpp"
#include "sevdesk/sandbox/sandbox.hpp"
#include "store/database_url.hpp"

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr char kToken[] = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

struct Options {
  int vouchers = 10000;
  int paid = 500;
  int runs = 5;
  int interval_ms = 2000;
  int samples = 10;
  int naive = 1000;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const bool v = i + 1 < argc;
    auto next = [&] { return std::atoi(argv[++i]); };
    if (!std::strcmp(argv[i], "--vouchers") && v) {
      o.vouchers = next();
    } else if (!std::strcmp(argv[i], "--paid") && v) {
      o.paid = next();
    } else if (!std::strcmp(argv[i], "--runs") && v) {
      o.runs = std::max(1, next());
    } else if (!std::strcmp(argv[i], "--interval-ms") && v) {
      o.interval_ms = next();
    } else if (!std::strcmp(argv[i], "--samples") && v) {
      o.samples = std::max(1, next());
    } else if (!std::strcmp(argv[i], "--naive") && v) {
      o.naive = std::max(1, next());
    } else {
      std::fprintf(stderr,
                   "usage: %s [--vouchers N] [--paid N] [--runs N] [--interval-ms N] "
                   "[--samples N] [--naive N]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  o.paid = std::min(o.paid, o.vouchers);
  return o;
}

// The sandbox's clock: real time, set back while the vouchers are seeded, so that they were made
// (sevdesk's `update`) two hours before the syncs, as in a live account; the syncs' overlap of 10
// minutes would otherwise list every freshly seeded voucher in an incremental read.
class OffsetClock final : public hs::Clock {
 public:
  hs::Instant Now() const override {
    return system_.Now() + std::chrono::milliseconds(offset_ms_.load());
  }
  void Set(std::chrono::milliseconds offset) { offset_ms_ = offset.count(); }

 private:
  hs::SystemClock system_;
  std::atomic<std::int64_t> offset_ms_{0};
};

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}
double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class T>
T Must(hs::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}
void Must(hs::Status s, const char* what) {
  if (!s) {
    std::fprintf(stderr, "%s: %s\n", what, s.error().message.c_str());
    std::exit(1);
  }
}

// The school, its connection and one transferred receipt per voucher, as the engine leaves them.
std::int64_t SeedDatabase(hs::app::Database& db, const hs::app::SecretSealer& sealer,
                          const std::vector<std::string>& ids,
                          std::vector<std::int64_t>& receipts) {
  const hs::Instant now = hs::SystemClock{}.Now();
  auto uow = Must(db.Begin(hs::app::TxKind::kWrite), "begin");
  hs::domain::School school;
  school.name = "Hundeschule Pfote";
  const std::int64_t school_id = Must(uow->Schools().Create(school), "school");
  hs::app::SevdeskConnection c;
  c.school_id = school_id;
  c.token_sealed = sealer.Seal(kToken, "school:" + std::to_string(school_id));
  c.token_last4 = "5e5e";
  c.enabled = true;
  c.updated_at = now;
  Must(uow->Sevdesk().SaveConnection(c), "connection");
  hs::bench::SeedTransferredReceipts(*uow, school_id, ids, receipts);
  Must(uow->Commit(), "commit");
  return school_id;
}

void Pay(hs::http::Client& admin, const std::string& id, hs::Cents cents) {
  auto r = admin.Send("POST",
                      std::string("/__sandbox/accounts/") + kToken + "/vouchers/" + id + "/payment",
                      {}, Json{{"amount", hs::FormatDecimal(cents)}}.dump());
  if (!r || r->status != 200) {
    std::fprintf(stderr, "payment failed: %s\n", r ? r->body.c_str() : "no answer");
    std::exit(1);
  }
}

struct Timed {
  hs::app::PaymentSyncRun run;
  double ms = 0;
};

Timed SyncOnce(hs::app::PaymentSyncService& sync, std::int64_t school_id) {
  const auto start = Clock::now();
  auto run = Must(sync.SyncSchool(school_id), "sync");
  Timed t{run, MsSince(start)};
  if (!run.ran || !run.error.empty()) {
    std::fprintf(stderr, "sync did not complete: %s\n", run.error.c_str());
    std::exit(1);
  }
  return t;
}

void Request(hs::app::PaymentSyncService& sync, std::int64_t school_id) {
  hs::app::Principal p;
  p.school_id = school_id;
  p.role = hs::app::Role::kOwner;
  Must(sync.RequestSync(p), "request");
}

void Row(const char* what, int requests, int vouchers, int written, double ms) {
  std::printf("  %-44s %8d %9d %8d %10.1f\n", what, requests, vouchers, written, ms);
}

// The sandbox in this process, its clock two hours behind so that the seeded vouchers are older
// than any "changed since" of the first syncs.
std::unique_ptr<hs::sevdesk::sandbox::Sandbox> StartSandbox(
    const std::shared_ptr<OffsetClock>& sandbox_clock) {
  hs::sevdesk::sandbox::SandboxSettings ss;
  hs::sevdesk::sandbox::AccountSettings account;
  account.token = kToken;
  ss.accounts = {account};
  ss.server_threads = 4;
  sandbox_clock->Set(std::chrono::hours(-2));
  ss.clock = sandbox_clock;
  auto sandbox = std::make_unique<hs::sevdesk::sandbox::Sandbox>(ss);
  Must(sandbox->Start(), "sandbox");
  return sandbox;
}

std::unique_ptr<hs::app::Database> OpenBenchDatabase(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  hs::store::DatabaseConfig config;
  config.engine = hs::store::Engine::kSqlite;
  config.sqlite.path = (dir / "db.sqlite").string();
  return Must(hs::store::OpenDatabase(config), "database");
}

// "Jetzt abgleichen" and a full read, `runs` times; the last run and the median.
Timed FullSyncs(hs::app::PaymentSyncService& sync, std::int64_t school_id, int runs,
                double& median_ms) {
  std::vector<double> ms;
  Timed full;
  for (int i = 0; i < runs; ++i) {
    Request(sync, school_id);
    full = SyncOnce(sync, school_id);
    ms.push_back(full.ms);
  }
  median_ms = Median(ms);
  return full;
}

Timed IncrementalSyncs(hs::app::PaymentSyncService& sync, std::int64_t school_id, int runs,
                       double& median_ms) {
  std::vector<double> ms;
  Timed inc;
  for (int i = 0; i < runs; ++i) {
    inc = SyncOnce(sync, school_id);
    ms.push_back(inc.ms);
  }
  median_ms = Median(ms);
  return inc;
}

// Baseline: one GET per voucher, measured on a sample and extrapolated to all.
double OneGetPerVoucherMs(hs::app::SevdeskGateway& gateway, const std::vector<std::string>& ids,
                          int sample) {
  const auto start = Clock::now();
  for (int i = 0; i < sample; ++i) {
    Must(gateway.GetVoucherPayment(kToken, ids[static_cast<std::size_t>(i)]), "get");
  }
  return MsSince(start) * static_cast<double>(ids.size()) / sample;
}

// Waits until the receipt's voucher shows as paid here; the milliseconds since `paid_at`.
double WaitUntilVisible(hs::app::Database& db, std::int64_t school_id, std::int64_t receipt,
                        Clock::time_point paid_at) {
  for (;;) {
    {
      auto uow = Must(db.Begin(hs::app::TxKind::kRead), "read");
      auto state = Must(uow->Sevdesk().GetVoucherState(school_id, receipt), "state");
      if (state && state->status == hs::app::kVoucherPaid) return MsSince(paid_at);
    }
    if (MsSince(paid_at) > 60'000) {
      std::fprintf(stderr, "receipt %lld not visible after 60 s\n",
                   static_cast<long long>(receipt));
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// With the scheduler running: vouchers marked paid at random moments of the interval, and how
// long until their status is visible here. `order` continues after the `paid` already used.
std::vector<double> VisibilityLatencies(hs::app::PaymentSyncService& sync, hs::app::Database& db,
                                        hs::http::Client& admin, const Options& o,
                                        std::int64_t school_id, const std::vector<std::string>& ids,
                                        const std::vector<std::int64_t>& receipts,
                                        const std::vector<std::size_t>& order, std::mt19937& rng) {
  Must(sync.Start(), "scheduler");
  std::vector<double> latency;
  std::uniform_int_distribution<int> offset(0, o.interval_ms);
  for (int s = 0; s < o.samples; ++s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(offset(rng)));
    const std::size_t n = order[static_cast<std::size_t>(o.paid + s) % order.size()];
    const auto paid_at = Clock::now();
    Pay(admin, ids[n], 1000 + static_cast<hs::Cents>(n));
    latency.push_back(WaitUntilVisible(db, school_id, receipts[n], paid_at));
  }
  sync.Stop();
  return latency;
}

// The first `count` vouchers of `order` paid as sevdesk's bank import would (admin call).
void PayInSandbox(hs::http::Client& admin, const std::vector<std::string>& ids,
                  const std::vector<std::size_t>& order, int count) {
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const std::size_t n = order[static_cast<std::size_t>(i)];
    Pay(admin, ids[n], 1000 + static_cast<hs::Cents>(n));
  }
  std::printf("  (%d payments made in the sandbox in %.0f ms)\n", count, MsSince(start));
}

// Prints the latencies against the bound interval + 5 s; whether it was met.
bool ReportLatency(const std::vector<double>& latency, const Options& o) {
  const double bound = o.interval_ms + 5000.0;
  const double max = *std::max_element(latency.begin(), latency.end());
  std::printf(
      "\nlatency 'sandbox marks paid' -> 'status visible here', interval %d ms, %d samples:\n"
      "  median %.0f ms, max %.0f ms; bound interval + 5 s = %.0f ms: %s "
      "(baseline: the interval itself, %d ms)\n",
      o.interval_ms, o.samples, Median(latency), max, bound, max <= bound ? "met" : "MISSED",
      o.interval_ms);
  return max <= bound;
}

// The transferred vouchers in the sandbox and their receipts in the database; exits when the
// seed came out short.
struct Seeded {
  std::int64_t school_id = 0;
  std::vector<std::string> ids;
  std::vector<std::int64_t> receipts;
};
Seeded SeedOrExit(hs::http::Client& admin, hs::app::Database& db,
                  const hs::app::SecretSealer& sealer, OffsetClock& sandbox_clock, int vouchers) {
  const auto seed_start = Clock::now();
  Seeded out;
  out.ids = hs::bench::SeedVouchers(admin, kToken, vouchers);
  out.school_id = SeedDatabase(db, sealer, out.ids, out.receipts);
  sandbox_clock.Set(std::chrono::milliseconds(0));
  if (out.ids.size() != static_cast<std::size_t>(vouchers) ||
      out.receipts.size() != out.ids.size()) {
    std::fprintf(stderr, "seeded %zu vouchers and %zu receipts, expected %d\n", out.ids.size(),
                 out.receipts.size(), vouchers);
    std::exit(1);
  }
  std::printf("payment sync: %d transferred vouchers seeded in %.0f ms (sandbox + database)\n\n",
              vouchers, MsSince(seed_start));
  return out;
}

// Requests, vouchers, states written and wall time of each kind of sync, the payments made in
// the sandbox in between (the first `o.paid` of `order`), then the baselines of the same run.
void MeasureSyncs(hs::app::PaymentSyncService& sync, hs::app::SevdeskGateway& gateway,
                  hs::http::Client& admin, const Seeded& seeded,
                  const std::vector<std::size_t>& order, const Options& o) {
  std::printf("  %-44s %8s %9s %8s %10s\n", "", "requests", "vouchers", "written", "ms");
  const Timed first = SyncOnce(sync, seeded.school_id);
  Row("full sync, first (all states written)", first.run.requests, first.run.vouchers,
      first.run.written, first.ms);
  double full_ms = 0, inc_ms = 0;
  const Timed full = FullSyncs(sync, seeded.school_id, o.runs, full_ms);
  Row("full sync, nothing changed (median)", full.run.requests, full.run.vouchers, full.run.written,
      full_ms);
  PayInSandbox(admin, seeded.ids, order, o.paid);
  const Timed brings = SyncOnce(sync, seeded.school_id);
  Row("incremental sync bringing the payments", brings.run.requests, brings.run.vouchers,
      brings.run.written, brings.ms);
  const Timed inc = IncrementalSyncs(sync, seeded.school_id, o.runs, inc_ms);
  Row("incremental sync, nothing new (median)", inc.run.requests, inc.run.vouchers, inc.run.written,
      inc_ms);

  const int sample = std::min<int>(o.naive, static_cast<int>(seeded.ids.size()));
  const double naive_ms = OneGetPerVoucherMs(gateway, seeded.ids, sample);
  std::printf("\nbaselines (same run):\n");
  Row("every sync a full read (median above)", full.run.requests, full.run.vouchers, 0, full_ms);
  std::printf("  %-44s %8zu %9s %8s %10.1f  (%d measured, extrapolated)\n",
              "one GET /Voucher/{id} per voucher", seeded.ids.size(), "-", "-", naive_ms, sample);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  Must(hs::crypto::InitCrypto(), "crypto");
  hs::sevdesk::InitHttpClient();
  auto sandbox_clock = std::make_shared<OffsetClock>();
  auto sandbox = StartSandbox(sandbox_clock);
  hs::http::Client admin(sandbox->BaseUrl(), std::chrono::seconds(60));
  const auto dir = std::filesystem::temp_directory_path() /
                   ("hs-payment-sync-bench-" + std::to_string(::getpid()));
  auto db = OpenBenchDatabase(dir);
  auto sealer = hs::crypto::SecretBox::FromKeyBytes(std::string(32, 'k'));
  hs::sevdesk::ClientSettings cs;
  cs.base_url = sandbox->BaseUrl() + "/api/v1";
  auto gateway = hs::sevdesk::MakeSevdeskClient(cs);
  hs::SystemClock clock;
  const Seeded seeded = SeedOrExit(admin, *db, *sealer, *sandbox_clock, o.vouchers);

  hs::app::PaymentSyncSettings settings;  // the product's pacing: 2 requests/s, no burst
  settings.owner = "bench";
  settings.fixed_interval = std::chrono::milliseconds(o.interval_ms);
  hs::app::PaymentSyncService sync(*db, clock, *sealer, *gateway, settings);
  std::mt19937 rng(16);
  std::vector<std::size_t> order(seeded.ids.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  MeasureSyncs(sync, *gateway, admin, seeded, order, o);

  const auto latency = VisibilityLatencies(sync, *db, admin, o, seeded.school_id, seeded.ids,
                                           seeded.receipts, order, rng);
  const bool met = ReportLatency(latency, o);
  db.reset();
  std::filesystem::remove_all(dir);
  return met ? 0 : 1;
}
