// sevdesk transfer benchmarks (issue "sevdesk integration"):
//   latency   finalize -> transferred, p50/p99, sandbox at 0 ms and 50 ms added latency
//             (target at 0 ms: p50 <= 20 ms, p99 <= 100 ms)
//   backfill  N receipts of one school, sandbox 50 ms latency and a rate limit of R req/s:
//             wall time against the lower bound calls / R (target >= 90 %), API calls per
//             receipt (target: 2 for customers already in sevdesk), resident memory over time
//   fairness  school B's finalize -> transferred p99 while school A backfills, against B's
//             unloaded p99 (target <= 2 x unloaded p99 + one API round trip)
//
// Everything is real: SQLite file, services, PDF renderer, libcurl client, the sandbox over
// loopback HTTP. Usage: hs_transfer_bench [--quick] [--section all|latency|backfill|fairness]
//                                         [--receipts N] [--rate R] [--samples N]
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/services.hpp"
#include "app/sevdesk_service.hpp"
#include "core/clock.hpp"
#include "crypto/sodium_crypto.hpp"
#include "pdf/invoice_pdf.hpp"
#include "sevdesk/client/sevdesk_client.hpp"
#include "sevdesk/sandbox/sandbox.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace hs::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

double Ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

// Counts every sevdesk call the engine makes.
class CountingGateway final : public app::SevdeskGateway {
 public:
  explicit CountingGateway(app::SevdeskGateway& inner) : inner_(inner) {}
  std::atomic<long> calls{0};
  Result<std::string> BookkeepingVersion(const std::string& t) override {
    ++calls;
    return inner_.BookkeepingVersion(t);
  }
  Result<app::SevdeskAccountInfo> Inspect(const std::string& t) override {
    calls += 3;
    return inner_.Inspect(t);
  }
  Result<std::optional<app::ContactRef>> FindContact(const std::string& t,
                                                     const std::string& n) override {
    ++calls;
    return inner_.FindContact(t, n);
  }
  Result<std::string> CreateContact(const std::string& t, const app::ContactData& c) override {
    ++calls;
    return inner_.CreateContact(t, c);
  }
  Status UpdateContact(const std::string& t, const std::string& id,
                       const app::ContactData& c) override {
    ++calls;
    return inner_.UpdateContact(t, id, c);
  }
  Result<std::vector<std::string>> FindAddresses(const std::string& t,
                                                 const std::string& id) override {
    ++calls;
    return inner_.FindAddresses(t, id);
  }
  Result<std::string> CreateAddress(const std::string& t, const std::string& id,
                                    const app::ContactData& c) override {
    ++calls;
    return inner_.CreateAddress(t, id, c);
  }
  Result<std::vector<std::string>> FindEmails(const std::string& t,
                                              const std::string& id) override {
    ++calls;
    return inner_.FindEmails(t, id);
  }
  Result<std::string> CreateEmail(const std::string& t, const std::string& id,
                                  const std::string& e) override {
    ++calls;
    return inner_.CreateEmail(t, id, e);
  }
  Result<std::string> UploadDocument(const std::string& t, const std::string& n,
                                     const std::string& b) override {
    ++calls;
    return inner_.UploadDocument(t, n, b);
  }
  Result<std::string> SaveVoucher(const std::string& t, const app::VoucherData& v) override {
    ++calls;
    return inner_.SaveVoucher(t, v);
  }
  Result<std::vector<app::FoundVoucher>> FindVouchers(const std::string& t,
                                                      const std::string& d) override {
    ++calls;
    return inner_.FindVouchers(t, d);
  }

 private:
  app::SevdeskGateway& inner_;
};

class Renderer final : public app::InvoiceRenderer {
 public:
  Result<std::string> Render(const domain::School& s, const domain::Invoice& i) const override {
    return pdf_.Render(s, i);
  }

 private:
  pdf::InvoicePdfRenderer pdf_{pdf::PdfSettings{}};
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "transfer_bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T Must(Result<T> r, const char* what) {
  if (!r) Die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}
void Must(Status st, const char* what) {
  if (!st) Die(std::string(what) + ": " + st.error().message);
}

struct World {
  fs::path dir;
  SystemClock clock;
  SeededRandom random{7};
  crypto::SodiumCrypto crypto{crypto::PasswordCost::kMinimum};
  std::unique_ptr<crypto::SecretBox> box = crypto::SecretBox::FromKeyBytes(std::string(32, 'k'));
  std::unique_ptr<app::Database> db;
  Renderer renderer;
  std::unique_ptr<sevdesk::sandbox::Sandbox> sandbox;
  std::unique_ptr<app::SevdeskGateway> client;
  std::unique_ptr<CountingGateway> counting;
  std::unique_ptr<app::SchoolService> schools;
  std::unique_ptr<app::CustomerService> customers;
  std::unique_ptr<app::InvoiceService> invoices;
  std::unique_ptr<app::SevdeskService> sevdesk;

  World(const std::string& name, std::chrono::milliseconds latency, int sandbox_rate_limit,
        app::SevdeskSettings settings, int accounts) {
    dir =
        fs::temp_directory_path() / ("hs-transfer-bench-" + name + "-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    store::SqliteSettings st;
    st.path = (dir / "db.sqlite").string();
    db = Must(store::OpenSqlite(st), "open db");
    sevdesk::sandbox::SandboxSettings ss;
    ss.faults.latency = latency;
    ss.faults.rate_limit_requests = sandbox_rate_limit;
    ss.server_threads = 64;
    for (int i = 0; i < accounts; ++i) {
      sevdesk::sandbox::AccountSettings a;
      a.token = std::string(30, 'a') + std::to_string(10 + i);
      ss.accounts.push_back(a);
    }
    sandbox = std::make_unique<sevdesk::sandbox::Sandbox>(ss);
    Must(sandbox->Start(), "sandbox");
    sevdesk::ClientSettings cs;
    cs.base_url = sandbox->BaseUrl() + "/api/v1";
    client = sevdesk::MakeSevdeskClient(cs);
    counting = std::make_unique<CountingGateway>(*client);
    schools = std::make_unique<app::SchoolService>(*db, clock, crypto);
    customers = std::make_unique<app::CustomerService>(*db, clock);
    invoices = std::make_unique<app::InvoiceService>(*db, clock, crypto, renderer);
    settings.single_process = true;
    sevdesk = std::make_unique<app::SevdeskService>(*db, clock, random, crypto, *box, *counting,
                                                    settings);
    invoices->SetFinalizeHook(sevdesk.get());
  }
  ~World() {
    sevdesk->StopWorkers();
    sandbox->Stop();
    fs::remove_all(dir);
  }

  struct School {
    std::int64_t id = 0;
    app::Principal owner;
    std::vector<std::int64_t> customers;
  };

  School AddSchool(int index, int n_customers) {
    School s;
    domain::School sc;
    sc.name = "Bench-Schule " + std::to_string(index);
    s.id = Must(schools->CreateSchool(sc), "school");
    s.owner = app::Principal{0, s.id, app::Role::kOwner, "", ""};
    for (int c = 0; c < n_customers; ++c) {
      domain::Customer cu;
      cu.first_name = "Kundin";
      cu.last_name = "Nr. " + std::to_string(c);
      cu.email = "k" + std::to_string(c) + "@example.org";
      cu.address = {"Weg 1", "10115", "Berlin", "DE"};
      s.customers.push_back(Must(customers->Create(s.id, cu), "customer").id);
    }
    app::ConnectionUpdate tok;
    tok.token = std::string(30, 'a') + std::to_string(10 + index);
    Must(sevdesk->UpdateConnection(s.owner, tok), "token");
    auto test = Must(sevdesk->Test(s.owner), "test");
    if (!test.ok) Die("connection test failed: " + test.message);
    app::ConnectionUpdate on;
    on.enabled = true;
    Must(sevdesk->UpdateConnection(s.owner, on), "enable");
    return s;
  }

  std::int64_t Draft(const School& s, int i) {
    domain::Invoice inv;
    inv.customer_id = s.customers[static_cast<std::size_t>(i) % s.customers.size()];
    inv.invoice_date = DateOf(clock.Now());
    inv.lines = {{"Einzelstunde", 1000, "Stunde", 5500, 19}, {"Fachbuch", 1000, "Stk", 1869, 7}};
    return Must(invoices->CreateDraft(s.id, inv), "draft").id;
  }

  std::int64_t ReceiptOf(const School& s, std::int64_t invoice_id) {
    auto uow = Must(db->Begin(app::TxKind::kRead), "tx");
    auto page = Must(uow->Receipts().List(s.id, app::ReceiptQuery{}), "receipts");
    for (const auto& r : page.items) {
      if (r.invoice_id == invoice_id) return r.id;
    }
    Die("receipt not found");
  }

  app::TransferState StateOf(std::int64_t school, std::int64_t receipt) {
    auto uow = Must(db->Begin(app::TxKind::kRead), "tx");
    auto t = Must(uow->Sevdesk().GetTransferByReceipt(school, receipt), "transfer");
    return t ? t->state : app::TransferState::kQueued;
  }

  // Finalizes a draft and waits until its receipt is transferred; returns ms from the start of
  // Finalize and from its commit.
  std::pair<double, double> FinalizeAndWait(const School& s, std::int64_t draft) {
    const auto start = Steady::now();
    auto inv = Must(invoices->Finalize(s.id, draft), "finalize");
    const auto committed = Steady::now();
    std::int64_t receipt = 0;
    {
      auto uow = Must(db->Begin(app::TxKind::kRead), "tx");
      app::ReceiptQuery q;
      q.limit = 5;
      auto page = Must(uow->Receipts().List(s.id, q), "receipts");
      for (const auto& r : page.items) {
        if (r.invoice_id == inv.id) receipt = r.id;
      }
    }
    for (;;) {
      auto state = StateOf(s.id, receipt);
      if (state == app::TransferState::kTransferred) break;
      if (state == app::TransferState::kFailed) Die("transfer failed");
      std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
    const auto done = Steady::now();
    return {Ms(done - start), Ms(done - committed)};
  }
};

struct Options {
  bool quick = false;
  std::string section = "all";
  int receipts = 10000;
  double rate = 100;
  int samples = 200;
};

void LatencySection(const Options& o, std::chrono::milliseconds latency) {
  app::SevdeskSettings s;
  s.rate_per_second = 1000;
  s.burst = 1000;
  World w("latency", latency, 0, s, 1);
  Must(w.sevdesk->StartWorkers(), "workers");
  auto school = w.AddSchool(0, 10);
  // Warm-up: the first invoice of each customer also creates the contact.
  for (int i = 0; i < 10; ++i) w.FinalizeAndWait(school, w.Draft(school, i));
  std::vector<std::int64_t> drafts;
  for (int i = 0; i < o.samples; ++i) drafts.push_back(w.Draft(school, i));
  std::vector<double> from_call, from_commit;
  const long calls_before = w.counting->calls.load();
  for (auto d : drafts) {
    auto [a, b] = w.FinalizeAndWait(school, d);
    from_call.push_back(a);
    from_commit.push_back(b);
  }
  const double calls = static_cast<double>(w.counting->calls.load() - calls_before) /
                       static_cast<double>(drafts.size());
  std::printf(
      "latency  sandbox +%3lld ms  n=%d  finalize->transferred p50 %.1f ms  p99 %.1f ms   "
      "(commit->transferred p50 %.1f ms  p99 %.1f ms)  calls/receipt %.2f\n",
      static_cast<long long>(latency.count()), o.samples, Percentile(from_call, 0.5),
      Percentile(from_call, 0.99), Percentile(from_commit, 0.5), Percentile(from_commit, 0.99),
      calls);
  if (latency.count() == 0) {
    const bool pass = Percentile(from_call, 0.5) <= 20 && Percentile(from_call, 0.99) <= 100;
    std::printf("         target at 0 ms: p50 <= 20 ms, p99 <= 100 ms: %s\n",
                pass ? "PASS" : "FAIL");
  }
}

void BackfillSection(const Options& o) {
  app::SevdeskSettings s;
  s.rate_per_second = o.rate;
  s.burst = 1;  // the bound assumes a steady rate
  s.workers = 12;
  s.max_in_flight_per_school = 12;
  // The sandbox enforces the same rate per token (fixed 1 s window), as a real limit would.
  World w("backfill", std::chrono::milliseconds(50), static_cast<int>(o.rate) + 1, s, 1);
  const int customers = 50;
  auto school = w.AddSchool(0, customers);
  // The customers are already in sevdesk: one transferred invoice each (not measured).
  Must(w.sevdesk->StartWorkers(), "workers");
  for (int i = 0; i < customers; ++i) w.FinalizeAndWait(school, w.Draft(school, i));
  w.sevdesk->StopWorkers();
  // Disable the automatic transfer while the backlog is created, so it is a backfill.
  app::ConnectionUpdate off;
  off.enabled = false;
  Must(w.sevdesk->UpdateConnection(school.owner, off), "disable");
  std::printf("backfill preparing %d finalized invoices ...\n", o.receipts);
  std::fflush(stdout);
  for (int i = 0; i < o.receipts; ++i)
    Must(w.invoices->Finalize(school.id, w.Draft(school, i)), "finalize");
  app::ConnectionUpdate on;
  on.enabled = true;
  Must(w.sevdesk->UpdateConnection(school.owner, on), "enable");
  const long calls_before = w.counting->calls.load();
  const long rss_start = RssKb();
  std::vector<long> rss;
  Must(w.sevdesk->StartWorkers(), "workers");
  const auto start = Steady::now();
  app::BatchRequest req;
  req.use_filter = true;
  auto batch = Must(w.sevdesk->CreateBatch(school.owner, req), "batch");
  if (batch.queued != o.receipts) Die("unexpected batch size " + std::to_string(batch.queued));
  // The in-process sandbox keeps every uploaded PDF (as sevdesk does): its share is the number of
  // stored documents times the PDF size, subtracted to see the app's own resident memory.
  long pdf_kb = 0;
  {
    auto uow = Must(w.db->Begin(app::TxKind::kRead), "tx");
    auto page = Must(uow->Receipts().List(school.id, app::ReceiptQuery{}), "receipts");
    if (!page.items.empty()) pdf_kb = static_cast<long>(page.items.front().file_size / 1024);
  }
  std::vector<long> raw_rss;
  long rss_quarter = 0;  // app RSS when a quarter of the backfill is done (warmed up)
  std::size_t quarter_index = 0;
  for (;;) {
    auto st = Must(w.sevdesk->GetBatch(school.id, batch.batch_id), "batch status");
    raw_rss.push_back(RssKb());
    rss.push_back(raw_rss.back() - (st.done + customers) * pdf_kb);
    if (rss_quarter == 0 && st.done * 4 >= o.receipts) {
      rss_quarter = rss.back();
      quarter_index = rss.size() - 1;
    }
    if (st.remaining == 0) {
      if (st.progress.failed > 0)
        Die("failures in backfill: " + std::to_string(st.progress.failed));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double wall = std::chrono::duration<double>(Steady::now() - start).count();
  const long calls = w.counting->calls.load() - calls_before;
  const double bound = static_cast<double>(calls) / o.rate;
  const double per_receipt = static_cast<double>(calls) / o.receipts;
  std::printf(
      "backfill %d receipts, 50 customers already in sevdesk, sandbox +50 ms, rate %.0f req/s\n"
      "         wall %.1f s   lower bound calls/R = %ld/%.0f = %.1f s   efficiency %.1f %% "
      "(target >= 90 %%: %s)\n"
      "         API calls per receipt %.3f (target 2: %s)\n",
      o.receipts, o.rate, wall, calls, o.rate, bound, 100.0 * bound / wall,
      bound / wall >= 0.9 ? "PASS" : "FAIL", per_receipt, per_receipt <= 2.0001 ? "PASS" : "FAIL");
  const auto [mn, mx] = std::minmax_element(rss.begin(), rss.end());
  // Freed memory the allocator keeps (per-thread arenas) versus memory still in use.
  w.sevdesk->StopWorkers();
  malloc_trim(0);
  const long trimmed = RssKb() - (o.receipts + customers) * pdf_kb;
  // "Flat": from a quarter done to the end the resident set grows by at most 5 % (or 4 MB).
  const long growth =
      *std::max_element(rss.begin() + static_cast<std::ptrdiff_t>(quarter_index), rss.end()) -
      rss_quarter;
  const bool flat = growth <= std::max(4096L, rss_quarter / 20);
  std::printf(
      "         process RSS start %ld KB, end %ld KB (includes the sandbox's %ld stored PDFs of "
      "%ld KB)\n"
      "         app RSS (process minus stored PDFs) min %ld KB max %ld KB, end %ld KB; growth "
      "after 25 %% done %+ld KB (target flat: <= max(4 MB, 5 %%): %s)\n",
      rss_start, raw_rss.back(), static_cast<long>(o.receipts + customers), pdf_kb, *mn, *mx,
      rss.back(), growth, flat ? "PASS" : "FAIL");
  std::printf(
      "         app RSS after the backfill and malloc_trim(0): %ld KB (%+ld KB against the "
      "quarter mark)\n",
      trimmed, trimmed - rss_quarter);
}

void FairnessSection(const Options& o) {
  app::SevdeskSettings s;
  s.rate_per_second = o.rate;
  s.burst = 10;
  s.workers = 4;
  World w("fairness", std::chrono::milliseconds(0), 0, s, 2);
  auto a = w.AddSchool(0, 50);
  auto b = w.AddSchool(1, 5);
  Must(w.sevdesk->StartWorkers(), "workers");
  for (int i = 0; i < 5; ++i) w.FinalizeAndWait(b, w.Draft(b, i));
  // Unloaded baseline of B.
  std::vector<double> unloaded;
  const int n = std::max(20, o.samples / 2);
  for (int i = 0; i < n; ++i) unloaded.push_back(w.FinalizeAndWait(b, w.Draft(b, i)).first);
  // A's backlog.
  app::ConnectionUpdate off;
  off.enabled = false;
  Must(w.sevdesk->UpdateConnection(a.owner, off), "disable");
  const int backlog = o.quick ? 1000 : std::min(o.receipts, 10000);
  std::printf("fairness preparing %d receipts for school A ...\n", backlog);
  std::fflush(stdout);
  for (int i = 0; i < backlog; ++i) Must(w.invoices->Finalize(a.id, w.Draft(a, i)), "finalize");
  app::ConnectionUpdate on;
  on.enabled = true;
  Must(w.sevdesk->UpdateConnection(a.owner, on), "enable");
  app::BatchRequest req;
  req.use_filter = true;
  auto batch = Must(w.sevdesk->CreateBatch(a.owner, req), "batch");
  std::vector<double> loaded;
  for (int i = 0; i < n; ++i) {
    loaded.push_back(w.FinalizeAndWait(b, w.Draft(b, i)).first);
    auto st = Must(w.sevdesk->GetBatch(a.id, batch.batch_id), "batch status");
    if (st.remaining == 0) {
      std::printf("         (A's backfill finished before all samples)\n");
      break;
    }
  }
  auto st = Must(w.sevdesk->GetBatch(a.id, batch.batch_id), "batch status");
  const double u99 = Percentile(unloaded, 0.99);
  const double l99 = Percentile(loaded, 0.99);
  // One API round trip to the sandbox, measured directly (a small GET, unloaded).
  w.sevdesk->StopWorkers();
  std::vector<double> trips;
  const std::string token = std::string(30, 'a') + "11";
  for (int i = 0; i < 50; ++i) {
    const auto t0 = Steady::now();
    Must(w.client->BookkeepingVersion(token), "round trip");
    trips.push_back(Ms(Steady::now() - t0));
  }
  const double rtt = Percentile(trips, 0.5);
  std::printf(
      "fairness school B unloaded p50 %.1f ms p99 %.1f ms; while A backfills (%lld of %lld still "
      "pending at the end): p50 %.1f ms p99 %.1f ms\n"
      "         target p99 <= 2 x %.1f + %.1f = %.1f ms: %s\n",
      Percentile(unloaded, 0.5), u99, static_cast<long long>(st.remaining),
      static_cast<long long>(st.total), Percentile(loaded, 0.5), l99, u99, rtt, 2 * u99 + rtt,
      l99 <= 2 * u99 + rtt ? "PASS" : "FAIL");
}

}  // namespace
}  // namespace hs::bench

int main(int argc, char** argv) {
  using namespace hs::bench;
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--quick") {
      o.quick = true;
      o.receipts = 1000;
      o.samples = 60;
    } else if (a == "--section") {
      o.section = next();
    } else if (a == "--receipts") {
      o.receipts = std::stoi(next());
    } else if (a == "--rate") {
      o.rate = std::stod(next());
    } else if (a == "--samples") {
      o.samples = std::stoi(next());
    } else {
      Die("unknown option " + a);
    }
  }
  if (!hs::crypto::InitCrypto()) Die("sodium");
  hs::sevdesk::InitHttpClient();
  std::printf("command:");
  for (int i = 0; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("\ncores: %u\n", std::thread::hardware_concurrency());
  if (o.section == "all" || o.section == "latency") {
    LatencySection(o, std::chrono::milliseconds(0));
    LatencySection(o, std::chrono::milliseconds(50));
  }
  if (o.section == "all" || o.section == "backfill") BackfillSection(o);
  if (o.section == "all" || o.section == "fairness") FairnessSection(o);
  return 0;
}
