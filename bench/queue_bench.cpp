// Transfer engine across storage engines and processes (issue 6):
//   throughput  many schools, a `hundeschule sevdesk-sandbox` process at 0 ms latency, real
//               transfers: SQLite (1 process) against PostgreSQL (1 process, 3 processes);
//               transfers/s, medians over the rounds, and the ratios
//   latency     finalize -> transferred p50/p99: SQLite (engine in the finalizing process, the
//               in-process wake-up) against PostgreSQL (engine in a `worker` process, woken by
//               LISTEN/NOTIFY)
//   noop        the engine's queue with no-op jobs on PostgreSQL (a step that does nothing in place
//               of the sevdesk steps, ReplaceTransferStepsForBenchmark): insert-to-start latency
//               p50/p99 and jobs/s at a fixed concurrency (medians over the rounds), printed as
//               "RESULT engine ..." for
//               bench/run-queue-vs-graphile.sh, which runs graphile-worker the same way
//
// PostgreSQL: $HS_BENCH_POSTGRES_URL (else $HS_TEST_POSTGRES_URL) names a database on a server
// where the bench may create and drop databases; use a durable server for figures
// (HS_PG_DURABLE=1 bash scripts/postgres.sh start ENV_FILE). Without it the PostgreSQL parts are
// skipped. SQLite allows one process per database file (a lock file), so on SQLite the engine
// runs inside the bench process; see docs/benchmarks.md "PostgreSQL and several processes".
//
// Usage: hs_queue_bench [--section all|throughput|latency|noop] [--quick] [--schools N]
//                       [--per-school N] [--rounds N] [--samples N] [--jobs N]
//                       [--concurrency N] [--rate JOBS_PER_S] [--pg-async-commit]
//                       [--no-metrics]
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/services.hpp"
#include "app/sevdesk_service.hpp"
#include "composition/office.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "crypto/sodium_crypto.hpp"
#include "pdf/invoice_pdf.hpp"
#include "sevdesk/client/sevdesk_client.hpp"
#include "spawn.hpp"
#include "store/database_url.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace hs::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

double Ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

double Median(std::vector<double> v) {
  return Percentile(std::move(v), 0.5);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "queue_bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T Must(Result<T> r, const std::string& what) {
  if (!r) Die(what + ": " + r.error().message);
  return std::move(*r);
}
void Must(Status st, const std::string& what) {
  if (!st) Die(what + ": " + st.error().message);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Token(int school_index) {
  return std::string(28, 'b') + std::to_string(1000 + school_index);
}

// ---------------------------------------------------------------- child processes

// The `hundeschule` binary with `args`, output to `log`. Stopped with SIGTERM (its workers finish
// their step) by the destructor; PR_SET_PDEATHSIG covers a crash of the bench.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& log) {
    std::vector<std::string> argv{HS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = SpawnWithLog(std::move(argv), log);
    if (pid_ < 0) Die("cannot start " + std::string(HS_BINARY) + " (log " + log + ")");
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool Exited() {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return pid_ <= 0;
  }

 private:
  pid_t pid_ = -1;
};

// `hundeschule sevdesk-sandbox` with one account per school, no added latency.
struct SandboxProcess {
  std::unique_ptr<Child> child;
  std::string api_url;

  SandboxProcess(const fs::path& dir, int accounts) {
    const fs::path port_file = dir / "sandbox.port";
    std::vector<std::string> args{"sevdesk-sandbox", "--listen", "127.0.0.1:0", "--port-file",
                                  port_file.string()};
    for (int i = 0; i < accounts; ++i) {
      args.push_back("--token");
      args.push_back(Token(i));
    }
    child = std::make_unique<Child>(args, (dir / "sandbox.log").string());
    const auto deadline = Steady::now() + std::chrono::seconds(30);
    for (;;) {
      const std::string port = ReadFile(port_file);
      if (!port.empty() && port.back() == '\n') {
        api_url = "http://127.0.0.1:" + port.substr(0, port.size() - 1) + "/api/v1";
        return;
      }
      if (Steady::now() > deadline || child->Exited()) {
        Die("sandbox did not start: " + ReadFile(dir / "sandbox.log"));
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
};

// ---------------------------------------------------------------- databases

// Fresh PostgreSQL databases next to the one $HS_BENCH_POSTGRES_URL names; dropped at the end.
class PgDatabases {
 public:
  PgDatabases() {
    const char* url = std::getenv("HS_BENCH_POSTGRES_URL");
    if (!url || !*url) url = std::getenv("HS_TEST_POSTGRES_URL");
    if (url && *url) admin_ = url;
  }
  ~PgDatabases() {
    if (created_.empty()) return;
    auto admin = store::PgConnection::Open(admin_);
    if (!admin) return;
    for (const auto& name : created_) {
      (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
  bool available() const { return !admin_.empty(); }
  // The databases created from now on commit non-durable writes asynchronously: what SQLite does
  // (synchronous=NORMAL except for finalizations, which set synchronous_commit = on themselves).
  bool async_commit = false;
  const std::string& admin_url() const { return admin_; }
  std::string Create(const std::string& tag) {
    const std::string name = "hs_qb_" + std::to_string(::getpid()) + "_" + tag;
    auto admin = Must(store::PgConnection::Open(admin_), "connect " + admin_);
    Must(admin->ExecScript("DROP DATABASE IF EXISTS " + name), "drop");
    Must(admin->ExecScript("CREATE DATABASE " + name), "create database");
    if (async_commit) {
      Must(admin->ExecScript("ALTER DATABASE " + name + " SET synchronous_commit = off"), "alter");
    }
    created_.push_back(name);
    return admin_.substr(0, admin_.rfind('/')) + "/" + name;
  }
  std::string Setting(const std::string& name) {
    auto admin = Must(store::PgConnection::Open(admin_), "connect");
    auto row = Must(store::sql::QueryOne(*admin, "SHOW " + name), "show");
    return row ? row->Text(0) : "?";
  }

 private:
  std::string admin_;
  std::vector<std::string> created_;
};

std::unique_ptr<store::sql::Connection> RawConnection(const std::string& url) {
  auto config = Must(store::ParseDatabaseUrl(url), "url");
  if (config.engine == store::Engine::kPostgres) {
    return Must(store::PgConnection::Open(config.postgres.url), "pg connect");
  }
  return Must(store::SqliteConnection::Open(config.sqlite.path, 5000), "sqlite open");
}

std::int64_t Scalar(store::sql::Connection& c, const std::string& sql) {
  auto row = Must(store::sql::QueryOne(c, sql), sql);
  if (!row || row->IsNull(0)) return 0;
  return row->Int(0);
}

// ---------------------------------------------------------------- the office in the bench

class Renderer final : public app::InvoiceRenderer {
 public:
  Result<std::string> Render(const domain::School& s, const domain::Invoice& i) const override {
    return pdf_.Render(s, i);
  }

 private:
  pdf::InvoicePdfRenderer pdf_{pdf::PdfSettings{}};
};

// --no-metrics: the engine without its metrics, to tell what they cost.
bool g_metrics = true;

// The office's services on one database, as a `serve` process builds them; the engine runs in
// this process only when StartEngine() is called.
struct Site {
  std::string url;
  store::DatabaseConfig config;
  SystemClock clock;
  SeededRandom random{7};
  crypto::SodiumCrypto crypto{crypto::PasswordCost::kMinimum};
  std::unique_ptr<crypto::SecretBox> box;
  std::unique_ptr<app::Database> db;
  Renderer renderer;
  app::SevdeskGateway& gateway;
  std::unique_ptr<app::SchoolService> schools;
  std::unique_ptr<app::CustomerService> customers;
  std::unique_ptr<app::InvoiceService> invoices;
  metrics::Registry registry;
  app::TransferMetrics transfer_metrics{registry};
  std::unique_ptr<app::SevdeskService> sevdesk;
  std::unique_ptr<app::ReceiptService> receipts;  // wired, unused
  std::unique_ptr<app::AuthService> auth;         // wired, unused
  std::unique_ptr<store::PgListener> listener;
  std::unique_ptr<store::sql::Connection> raw;  // statistics only

  struct School {
    int index = 0;
    std::int64_t id = 0;
    app::Principal owner;
    std::vector<std::int64_t> customers;
  };
  std::vector<School> all;

  Site(const std::string& database_url, const std::string& key_file, app::SevdeskGateway& gw,
       app::SevdeskSettings settings, int pool_size = 8)
      : url(database_url), gateway(gw) {
    config = Must(store::ParseDatabaseUrl(url), "url");
    config.postgres.pool_size = pool_size;
    config.sqlite.pool_size = pool_size;
    box = Must(crypto::SecretBox::FromKeyFile(key_file), "key file");
    db = Must(store::OpenDatabase(config), "open " + url);
    settings.single_process = config.engine == store::Engine::kSqlite;
    // Wired as `serve` wires them (the composition root's).
    composition::Services s =
        composition::WireServices({*db, clock, random, crypto, *box, gateway, renderer, {}},
                                  settings, g_metrics ? &transfer_metrics : nullptr);
    schools = std::move(s.schools);
    customers = std::move(s.customers);
    invoices = std::move(s.invoices);
    sevdesk = std::move(s.sevdesk);
    receipts = std::move(s.receipts);
    auth = std::move(s.auth);
    raw = RawConnection(url);
  }
  ~Site() { StopEngine(); }

  // The engine in this process, woken in-process and (PostgreSQL) by NOTIFY, as `serve` does.
  void StartEngine() {
    Must(sevdesk->StartWorkers(), "workers");
    listener = store::ListenForTransfers(config, [this] { sevdesk->Wake(); });
  }
  void StopEngine() {
    if (listener) listener->Stop();
    listener.reset();
    sevdesk->StopWorkers();
  }

  School& AddSchool(int index, int n_customers, bool enable) {
    School s;
    s.index = index;
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
    tok.token = Token(index);
    Must(sevdesk->UpdateConnection(s.owner, tok), "token");
    auto test = Must(sevdesk->Test(s.owner), "test");
    if (!test.ok) Die("connection test failed: " + test.message);
    if (enable) SetEnabled(s, true);
    all.push_back(s);
    return all.back();
  }

  void SetEnabled(const School& s, bool on) {
    app::ConnectionUpdate u;
    u.enabled = on;
    Must(sevdesk->UpdateConnection(s.owner, u), "enable");
  }

  std::int64_t Draft(const School& s, int i) {
    domain::Invoice inv;
    inv.customer_id = s.customers[static_cast<std::size_t>(i) % s.customers.size()];
    inv.invoice_date = BerlinDateOf(clock.Now());
    inv.lines = {{"Einzelstunde", 1000, "Stunde", 5500, 19}, {"Fachbuch", 1000, "Stk", 1869, 7}};
    return Must(invoices->CreateDraft(s.id, inv), "draft").id;
  }

  std::int64_t CountState(const std::string& state) {
    return Scalar(*raw, "SELECT COUNT(*) FROM sevdesk_transfers WHERE state = '" + state + "'");
  }

  // Waits until `total` transfers are transferred; dies on a failed one or after `limit`.
  void WaitTransferred(std::int64_t total, std::chrono::seconds limit,
                       std::chrono::microseconds poll = milliseconds(10)) {
    const auto deadline = Steady::now() + limit;
    for (;;) {
      if (CountState("transferred") >= total) return;
      if (auto f = CountState("failed"); f > 0) Die(std::to_string(f) + " transfer(s) failed");
      if (Steady::now() > deadline) Die("transfers did not finish in time");
      std::this_thread::sleep_for(poll);
    }
  }

  app::TransferState StateOf(std::int64_t school, std::int64_t receipt) {
    auto uow = Must(db->Begin(app::TxKind::kRead), "tx");
    auto t = Must(uow->Sevdesk().GetTransferByReceipt(school, receipt), "transfer");
    return t ? t->state : app::TransferState::kQueued;
  }

  // Finalizes a draft and waits until its receipt is transferred (as transfer_bench does):
  // milliseconds from the start of Finalize.
  double FinalizeAndWait(const School& s, std::int64_t draft) {
    const auto start = Steady::now();
    auto inv = Must(invoices->Finalize(s.id, draft), "finalize");
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
    const auto deadline = start + std::chrono::seconds(30);
    for (;;) {
      auto state = StateOf(s.id, receipt);
      if (state == app::TransferState::kTransferred) break;
      if (state == app::TransferState::kFailed) Die("transfer failed");
      if (Steady::now() > deadline) Die("transfer did not finish in 30 s");
      std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
    return Ms(Steady::now() - start);
  }
};

struct Options {
  std::string section = "all";
  int schools = 30;
  int per_school = 30;
  int rounds = 3;
  int samples = 200;
  int jobs = 2000;
  int concurrency = 8;
  double rate = 200;  // noop latency: jobs added per second
  int workers = 4;    // transfer workers per process
  bool async_commit = false;
};

// Flags that keep the engine from being rate-limited by design: the per-school token bucket
// (default 5 calls/s, burst 10) and the in-flight limit (2 per school) protect real sevdesk
// accounts; against the sandbox they would measure the limiter, not the engine.
constexpr double kRate = 100000;
std::vector<std::string> EngineFlags(const std::string& url, const std::string& key,
                                     const std::string& api_url, int workers) {
  return {"--database",         url,
          "--key-file",         key,
          "--sevdesk-base-url", api_url,
          "--sevdesk-rate",     std::to_string(static_cast<int>(kRate)),
          "--sevdesk-burst",    std::to_string(static_cast<int>(kRate)),
          "--workers",          std::to_string(workers),
          "--db-pool-size",     std::to_string(workers + 4)};
}

app::SevdeskSettings EngineSettings(int workers) {
  app::SevdeskSettings s;
  s.workers = workers;
  s.rate_per_second = kRate;
  s.burst = kRate;
  return s;
}

// ---------------------------------------------------------------- throughput

struct Setup {
  std::string name;
  bool postgres = false;
  bool in_bench = false;               // the engine runs in the bench process
  std::vector<std::string> processes;  // otherwise: "serve" / "worker" child processes
};

struct RoundFigures {
  double engine_tps = 0;  // transfers / (last transferred - first started), DB timestamps
  double wall_tps = 0;    // transfers / (all done - first batch created), bench clock
};

void ThroughputSection(const Options& o, PgDatabases& pg, const fs::path& dir) {
  const std::string key = (dir / "secret.key").string();
  SandboxProcess sandbox(dir, o.schools);
  auto client = [&] {
    sevdesk::ClientSettings cs;
    cs.base_url = sandbox.api_url;
    return sevdesk::MakeSevdeskClient(cs);
  }();
  std::vector<Setup> setups = {
      {"sqlite,   1 process (engine in the bench)", false, true, {}},
      {"postgres, 1 process (engine in the bench)", true, true, {}},
      {"postgres, 1 process (serve)", true, false, {"serve"}},
      {"postgres, 3 processes (2 serve + 1 worker)", true, false, {"serve", "serve", "worker"}},
  };
  std::printf(
      "throughput: %d schools x %d receipts per round, %d rounds, sandbox process at 0 ms, %d "
      "workers per process, rate/burst %.0f, in-flight 2 per school\n",
      o.schools, o.per_school, o.rounds, o.workers, kRate);
  std::map<std::string, double> medians;
  int tag = 0;
  for (const auto& setup : setups) {
    if (setup.postgres && !pg.available()) {
      std::printf("  %-44s skipped (no $HS_BENCH_POSTGRES_URL)\n", setup.name.c_str());
      continue;
    }
    const std::string url =
        setup.postgres ? pg.Create("tp" + std::to_string(++tag))
                       : "sqlite:" + (dir / ("tp" + std::to_string(++tag) + ".db")).string();
    Site site(url, key, *client, EngineSettings(o.workers));
    for (int i = 0; i < o.schools; ++i) site.AddSchool(i, 4, true);
    std::vector<std::unique_ptr<Child>> children;
    if (setup.in_bench) {
      site.StartEngine();
    } else {
      int n = 0;
      for (const auto& role : setup.processes) {
        std::vector<std::string> args{role};
        if (role == "serve") {
          args.insert(args.end(), {"--listen", "127.0.0.1:0", "--threads", "2"});
        }
        for (auto& f : EngineFlags(url, key, sandbox.api_url, o.workers)) args.push_back(f);
        children.push_back(
            std::make_unique<Child>(args, (dir / (role + std::to_string(++n) + ".log")).string()));
      }
    }
    // Warm-up (not measured): one transfer per customer creates the sevdesk contacts.
    std::int64_t expected = 0;
    for (auto& s : site.all) {
      for (int c = 0; c < 4; ++c) {
        Must(site.invoices->Finalize(s.id, site.Draft(s, c)), "finalize");
        ++expected;
      }
    }
    site.WaitTransferred(expected, std::chrono::seconds(120));
    std::vector<double> engine, wall;
    for (int r = 0; r < o.rounds; ++r) {
      // The backlog is finalized while the transfer is off (no outbox rows), then queued at
      // once per school as a bulk transfer ("Zu sevdesk übertragen").
      for (auto& s : site.all) site.SetEnabled(s, false);
      for (auto& s : site.all) {
        for (int i = 0; i < o.per_school; ++i) {
          Must(site.invoices->Finalize(s.id, site.Draft(s, i)), "finalize");
        }
      }
      for (auto& s : site.all) site.SetEnabled(s, true);
      const auto t0 = Steady::now();
      std::int64_t first_batch = 0;
      for (auto& s : site.all) {
        app::BatchRequest req;
        req.use_filter = true;
        auto b = Must(site.sevdesk->CreateBatch(s.owner, req), "batch");
        if (b.queued != o.per_school) Die("unexpected batch size " + std::to_string(b.queued));
        if (first_batch == 0) first_batch = b.batch_id;
      }
      expected += static_cast<std::int64_t>(o.schools) * o.per_school;
      site.WaitTransferred(expected, std::chrono::seconds(600));
      const double wall_s = Ms(Steady::now() - t0) / 1000.0;
      const std::string of_round =
          " FROM sevdesk_transfers t WHERE t.batch_id >= " + std::to_string(first_batch);
      const std::int64_t n = Scalar(*site.raw, "SELECT COUNT(*)" + of_round);
      const std::int64_t last = Scalar(*site.raw, "SELECT MAX(t.transferred_at)" + of_round);
      const std::int64_t first = Scalar(
          *site.raw,
          "SELECT MIN(e.at) FROM sevdesk_transfer_events e JOIN sevdesk_transfers t ON t.id = "
          "e.transfer_id WHERE e.kind = 'started' AND t.batch_id >= " +
              std::to_string(first_batch));
      const double window_s = std::max<std::int64_t>(1, last - first) / 1000.0;
      engine.push_back(static_cast<double>(n) / window_s);
      wall.push_back(static_cast<double>(n) / wall_s);
    }
    const double med = Median(engine);
    medians[setup.name] = med;
    std::printf("  %-44s transfers/s median %7.1f  (rounds:", setup.name.c_str(), med);
    for (double e : engine) std::printf(" %.1f", e);
    std::printf(")  wall incl. queueing %.1f\n", Median(wall));
    std::fflush(stdout);
    children.clear();  // SIGTERM, wait
    site.StopEngine();
  }
  auto ratio = [&](const std::string& a, const std::string& b) {
    if (!medians.count(a) || !medians.count(b)) return;
    std::printf("  ratio %s / %s: %.2f\n", a.c_str(), b.c_str(), medians[a] / medians[b]);
  };
  ratio(setups[1].name, setups[0].name);
  ratio(setups[2].name, setups[0].name);
  ratio(setups[3].name, setups[2].name);
}

// ---------------------------------------------------------------- latency

void LatencySection(const Options& o, PgDatabases& pg, const fs::path& dir) {
  const std::string key = (dir / "secret.key").string();
  SandboxProcess sandbox(dir, 3);
  sevdesk::ClientSettings cs;
  cs.base_url = sandbox.api_url;
  auto client = sevdesk::MakeSevdeskClient(cs);
  std::printf(
      "latency: finalize -> transferred, n=%d sequential finalizations, sandbox process at 0 ms\n",
      o.samples);
  struct Case {
    std::string name;
    bool postgres;
    bool worker_process;  // engine in a `worker` process, woken by NOTIFY only
  };
  const std::vector<Case> cases = {
      {"sqlite,   engine in the finalizing process", false, false},
      {"postgres, engine in the finalizing process", true, false},
      {"postgres, engine in a worker process (NOTIFY)", true, true},
  };
  int index = 0;
  for (const auto& c : cases) {
    const int school_index = index++;
    if (c.postgres && !pg.available()) {
      std::printf("  %-48s skipped (no $HS_BENCH_POSTGRES_URL)\n", c.name.c_str());
      continue;
    }
    const std::string url = c.postgres ? pg.Create("lat" + std::to_string(school_index))
                                       : "sqlite:" + (dir / "lat.db").string();
    Site site(url, key, *client, EngineSettings(o.workers));
    auto& school = site.AddSchool(school_index, 10, true);
    std::unique_ptr<Child> worker;
    if (c.worker_process) {
      std::vector<std::string> args{"worker"};
      for (auto& f : EngineFlags(url, key, sandbox.api_url, o.workers)) args.push_back(f);
      worker = std::make_unique<Child>(args, (dir / "latency-worker.log").string());
    } else {
      site.StartEngine();
    }
    // Warm-up: the first invoice of each customer also creates the contact.
    for (int i = 0; i < 10; ++i) site.FinalizeAndWait(school, site.Draft(school, i));
    std::vector<std::int64_t> drafts;
    for (int i = 0; i < o.samples; ++i) drafts.push_back(site.Draft(school, i));
    std::vector<double> ms;
    for (auto d : drafts) ms.push_back(site.FinalizeAndWait(school, d));
    std::printf("  %-48s p50 %6.1f ms  p99 %6.1f ms\n", c.name.c_str(), Percentile(ms, 0.5),
                Percentile(ms, 0.99));
    std::fflush(stdout);
    worker.reset();
    site.StopEngine();
  }
}

// ---------------------------------------------------------------- noop

// Enabling a connection runs the connection test against this sevdesk; the jobs never call it
// (the engine runs the no-op step instead of the sevdesk steps).
class TestOnlyGateway final : public app::SevdeskGateway {
 public:
  Result<std::string> BookkeepingVersion(const std::string&) override { return std::string("2.0"); }
  Result<app::SevdeskAccountInfo> Inspect(const std::string&) override {
    app::SevdeskAccountInfo info;
    info.bookkeeping_version = "2.0";
    info.user_id = "1";
    info.user_name = "Bench";
    app::RevenueAccount a;
    a.id = 26;
    a.number = "4400";
    a.name = "Erlöse";
    a.rules = {{1, {0, 7, 19}}};
    info.revenue_accounts = {a};
    info.tax_mode = domain::TaxMode::kRegular;
    return info;
  }
  Result<std::optional<app::ContactRef>> FindContact(const std::string&,
                                                     const std::string&) override {
    return Unused();
  }
  Result<std::string> CreateContact(const std::string&, const app::ContactData&) override {
    return Unused();
  }
  Status UpdateContact(const std::string&, const std::string&, const app::ContactData&) override {
    return Unused();
  }
  Result<std::vector<app::FoundAddress>> FindAddresses(const std::string&,
                                                       const std::string&) override {
    return Unused();
  }
  Result<std::string> CreateAddress(const std::string&, const std::string&,
                                    const app::ContactData&) override {
    return Unused();
  }
  Status UpdateAddress(const std::string&, const std::string&, const app::ContactData&) override {
    return Unused();
  }
  Result<std::vector<app::FoundEmail>> FindEmails(const std::string&, const std::string&) override {
    return Unused();
  }
  Result<std::string> CreateEmail(const std::string&, const std::string&,
                                  const std::string&) override {
    return Unused();
  }
  Status UpdateEmail(const std::string&, const std::string&, const std::string&) override {
    return Unused();
  }
  Result<std::string> UploadDocument(const std::string&, const std::string&,
                                     const std::string&) override {
    return Unused();
  }
  Result<app::SavedVoucher> SaveVoucher(const std::string&, const app::VoucherData&) override {
    return Unused();
  }
  Result<std::vector<app::FoundVoucher>> FindVouchers(const std::string&,
                                                      const std::string&) override {
    return Unused();
  }

 private:
  static tl::unexpected<Error> Unused() { return Internal("not used by no-op jobs"); }
};

// A no-op job's step: records when it started (its first line, as graphile-worker's task
// function) and answers a voucher id; the engine then completes the transfer as after a real one.
struct NoopSteps {
  struct Start {
    Steady::time_point steady;  // for insert-to-start, against the bench's insert
    Instant wall;               // for jobs/s, against the transfers' transferred_at
  };
  explicit NoopSteps(const Clock& c) : clock(c) {}
  const Clock& clock;
  std::mutex mutex;
  std::map<std::int64_t, Start> started;  // receipt id -> start
  std::atomic<long> done{0};

  Result<std::string> Run(const app::Transfer& t) {
    const Start now{Steady::now(), clock.Now()};
    {
      std::lock_guard lock(mutex);
      started.emplace(t.receipt_id, now);
    }
    return "v" + std::to_string(++done);
  }
};

struct Job {
  std::int64_t school_id = 0;
  std::int64_t receipt_id = 0;
  std::int64_t customer_id = 0;
};

// One job as the finalize hook enqueues it: the outbox row and its "queued" event.
Status InsertJob(app::UnitOfWork& uow, const Job& j, Instant now) {
  app::Transfer t;
  t.school_id = j.school_id;
  t.receipt_id = j.receipt_id;
  t.customer_id = j.customer_id;
  t.priority = app::TransferPriority::kLive;
  t.next_attempt_at = now;
  t.created_at = now;
  auto id = uow.Sevdesk().InsertTransfer(t);
  if (!id) return tl::unexpected(id.error());
  if (!*id) return Fail(ErrorCode::kConflict, "dup", "job exists");
  return uow.Sevdesk().AddEvent({0, **id, now, "queued", "bench"});
}

void NoopSection(const Options& o, PgDatabases& pg, const fs::path& dir) {
  if (!pg.available()) {
    std::printf("noop: skipped (no $HS_BENCH_POSTGRES_URL)\n");
    return;
  }
  const std::string key = (dir / "secret.key").string();
  const int c = o.concurrency;
  TestOnlyGateway gateway;
  SystemClock wall_clock;
  NoopSteps steps(wall_clock);
  app::SevdeskSettings settings = EngineSettings(c);
  // Concurrency c: c workers, and no per-school limit below it (the schools are few).
  settings.max_in_flight_per_school = c;
  const std::string url = pg.Create("noop");
  Site site(url, key, gateway, settings, c + 4);
  site.sevdesk->ReplaceTransferStepsForBenchmark(
      [&steps](const app::Transfer& t) { return steps.Run(t); });
  // Jobs are spread over 8 schools with 16 customers each: one customer's transfers run one at a
  // time, so enough customers keep c workers busy.
  constexpr int kSchools = 8, kCustomers = 16;
  for (int i = 0; i < kSchools; ++i) site.AddSchool(i, kCustomers, false);
  const int latency_jobs = std::max(100, std::min(o.jobs, static_cast<int>(o.rate * 10)));
  const int total = std::max(o.jobs, latency_jobs);
  std::printf("noop: preparing %d receipts (the jobs' data) ...\n", total);
  std::fflush(stdout);
  std::vector<Job> jobs;
  for (int i = 0; i < total; ++i) {
    auto& s = site.all[static_cast<std::size_t>(i) % kSchools];
    const int k = i / kSchools;
    auto inv = Must(site.invoices->Finalize(s.id, site.Draft(s, k)), "finalize");
    auto uow = Must(site.db->Begin(app::TxKind::kRead), "tx");
    app::ReceiptQuery q;
    q.limit = 3;
    auto page = Must(uow->Receipts().List(s.id, q), "receipts");
    for (const auto& r : page.items) {
      if (r.invoice_id == inv.id) {
        jobs.push_back({s.id, r.id, inv.customer_id});
      }
    }
  }
  if (static_cast<int>(jobs.size()) != total) Die("receipts not found");
  for (auto& s : site.all) site.SetEnabled(s, true);
  auto reset = [&] {
    Must(site.raw->ExecScript("DELETE FROM sevdesk_transfer_events; DELETE FROM sevdesk_transfers"),
         "reset");
    // Outside a transaction block: the next round starts on a compact table with statistics.
    Must(site.raw->ExecScript("VACUUM ANALYZE sevdesk_transfers"), "vacuum");
    Must(site.raw->ExecScript("VACUUM ANALYZE sevdesk_transfer_events"), "vacuum");
    std::lock_guard lock(steps.mutex);
    steps.started.clear();
  };
  // Warm-up (not measured): the engine's connections and the tables' first pages.
  site.StartEngine();
  {
    auto uow = Must(site.db->Begin(app::TxKind::kWrite), "tx");
    for (int i = 0; i < kSchools * kCustomers; ++i) {
      Must(InsertJob(*uow, jobs[static_cast<std::size_t>(i)], site.clock.Now()), "insert");
    }
    Must(uow->Commit(), "commit");
  }
  site.WaitTransferred(kSchools * kCustomers, std::chrono::seconds(120));
  site.StopEngine();

  std::vector<double> p50s, p99s, rates;
  for (int r = 0; r < o.rounds; ++r) {
    // Throughput: o.jobs jobs queued in one transaction, then the workers start.
    reset();
    {
      auto uow = Must(site.db->Begin(app::TxKind::kDurableWrite), "tx");
      for (int i = 0; i < o.jobs; ++i) {
        Must(InsertJob(*uow, jobs[static_cast<std::size_t>(i)], site.clock.Now()), "insert");
      }
      Must(uow->Commit(), "commit");
    }
    steps.done = 0;
    site.StartEngine();
    // Waiting on the steps in memory first keeps the bench's own queries off the server while
    // the jobs run.
    while (steps.done < o.jobs) std::this_thread::sleep_for(milliseconds(2));
    site.WaitTransferred(o.jobs, std::chrono::seconds(600));
    site.StopEngine();
    // From the first job's start (not the engine's start-up) to the last one's completion
    // committed (its transferred_at), as bench.js: first start to the last job:success.
    Instant first = Instant::max();
    {
      std::lock_guard lock(steps.mutex);
      for (const auto& [_, t] : steps.started) first = std::min(first, t.wall);
    }
    const std::int64_t last_ms =
        Scalar(*site.raw, "SELECT MAX(transferred_at) FROM sevdesk_transfers");
    const double jps = o.jobs / (static_cast<double>(last_ms - ToUnixMillis(first)) / 1000.0);

    // Latency: jobs added one per transaction at a fixed rate while the workers wait; each
    // job's insert-to-start is measured on this process's monotonic clock. The adder does not
    // wake the engine in-process: the wake-up is the NOTIFY that the listener receives.
    reset();
    site.StartEngine();
    std::this_thread::sleep_for(milliseconds(200));
    std::vector<Steady::time_point> inserted(static_cast<std::size_t>(latency_jobs));
    std::vector<double> commit_ms;  // the insert transaction alone
    const auto spacing =
        std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(1.0 / o.rate));
    const auto l0 = Steady::now();
    for (int i = 0; i < latency_jobs; ++i) {
      std::this_thread::sleep_until(l0 + i * spacing);
      inserted[static_cast<std::size_t>(i)] = Steady::now();
      // Durable, as the finalizing transaction that writes the outbox row in the product.
      auto uow = Must(site.db->Begin(app::TxKind::kDurableWrite), "tx");
      Must(InsertJob(*uow, jobs[static_cast<std::size_t>(i)], site.clock.Now()), "insert");
      Must(uow->Commit(), "commit");
      commit_ms.push_back(Ms(Steady::now() - inserted[static_cast<std::size_t>(i)]));
    }
    site.WaitTransferred(latency_jobs, std::chrono::seconds(600), milliseconds(5));
    site.StopEngine();
    std::vector<double> lat;
    {
      std::lock_guard lock(steps.mutex);
      for (int i = 0; i < latency_jobs; ++i) {
        const auto& job = jobs[static_cast<std::size_t>(i)];
        auto it = steps.started.find(job.receipt_id);
        if (it == steps.started.end()) Die("job without start: " + std::to_string(job.receipt_id));
        lat.push_back(Ms(it->second.steady - inserted[static_cast<std::size_t>(i)]));
      }
    }
    p50s.push_back(Percentile(lat, 0.5));
    p99s.push_back(Percentile(lat, 0.99));
    rates.push_back(jps);
    std::printf(
        "  round %d: %d jobs at concurrency %d: %.0f jobs/s; %d jobs added at %.0f/s: "
        "insert-to-start p50 %.2f ms p99 %.2f ms (the insert's own commit p50 %.2f ms)\n",
        r + 1, o.jobs, c, jps, latency_jobs, o.rate, p50s.back(), p99s.back(),
        Percentile(commit_ms, 0.5));
    std::fflush(stdout);
  }
  std::printf(
      "RESULT engine%s jobs=%d concurrency=%d rate=%.0f p50_ms=%.2f p99_ms=%.2f jobs_per_s=%.1f\n",
      o.async_commit ? "-async-commit" : "", o.jobs, c, o.rate, Median(p50s), Median(p99s),
      Median(rates));
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
      o.schools = 20;
      o.per_school = 10;
      o.samples = 60;
      o.jobs = 500;
    } else if (a == "--section") {
      o.section = next();
    } else if (a == "--schools") {
      o.schools = std::stoi(next());
    } else if (a == "--per-school") {
      o.per_school = std::stoi(next());
    } else if (a == "--rounds") {
      o.rounds = std::stoi(next());
    } else if (a == "--samples") {
      o.samples = std::stoi(next());
    } else if (a == "--jobs") {
      o.jobs = std::stoi(next());
    } else if (a == "--concurrency") {
      o.concurrency = std::stoi(next());
    } else if (a == "--rate") {
      o.rate = std::stod(next());
    } else if (a == "--pg-async-commit") {
      o.async_commit = true;
    } else if (a == "--workers") {
      o.workers = std::stoi(next());
    } else if (a == "--no-metrics") {
      g_metrics = false;
    } else {
      Die("unknown option " + a);
    }
  }
  if (!hs::crypto::InitCrypto()) Die("sodium");
  hs::sevdesk::InitHttpClient();
  hs::SetLogLevel(hs::LogLevel::kWarn);
  std::printf("command:");
  for (int i = 0; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("\ncores: %u\n", std::thread::hardware_concurrency());
  PgDatabases pg;
  pg.async_commit = o.async_commit;
  if (pg.available()) {
    std::printf("postgres: fsync=%s synchronous_commit=%s full_page_writes=%s\n",
                pg.Setting("fsync").c_str(), pg.Setting("synchronous_commit").c_str(),
                pg.Setting("full_page_writes").c_str());
    if (o.async_commit) {
      std::printf(
          "postgres: --pg-async-commit: the bench's databases commit non-durable writes with "
          "synchronous_commit = off (finalizations stay synchronous)\n");
    }
  }
  const fs::path dir = fs::temp_directory_path() / ("hs-queue-bench-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  if (o.section == "all" || o.section == "throughput") ThroughputSection(o, pg, dir);
  if (o.section == "all" || o.section == "latency") LatencySection(o, pg, dir);
  if (o.section == "all" || o.section == "noop") NoopSection(o, pg, dir);
  fs::remove_all(dir);
  return 0;
}
