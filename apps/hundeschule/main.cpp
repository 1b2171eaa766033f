// hundeschule: the single wiring point. Parses the command line into settings structs, builds
// the adapters and services, and runs one role (serve, migrate, tenant, user, demo, ...).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "app/demo_data.hpp"
#include "app/services.hpp"
#include "app/sevdesk_service.hpp"
#include "app/transaction.hpp"
#include "core/clock.hpp"
#include "core/date.hpp"
#include "core/log.hpp"
#include "crypto/sodium_crypto.hpp"
#include "http/api/api.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "http/ui/static_ui.hpp"
#include "pdf/invoice_pdf.hpp"
#include "sevdesk/client/sevdesk_client.hpp"
#include "sevdesk/sandbox/sandbox.hpp"
#include "store/database_url.hpp"

namespace hs {
namespace {

struct DatabaseOptions {
  std::string url = "sqlite:./data/hundeschule.db";
  int pool_size = 8;  // PostgreSQL connections per process (plus one for LISTEN)
};

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string port_file;
  bool secure_cookies = false;
  std::size_t threads = 16;
  std::string font_dir = "/usr/share/fonts/truetype/dejavu";
  std::string password_cost = "moderate";
  // Password checks at once; each holds its argon2id memory (256 MiB at the moderate cost).
  int max_password_checks = 2;
  std::vector<std::string> trusted_proxies;
  // sevdesk: the base URL comes from server configuration only, never from a user.
  std::string sevdesk_base_url = "https://my.sevdesk.de/api/v1";
  std::string key_file;  // default: next to the SQLite file
  int workers = 4;
  bool no_workers = false;
  double sevdesk_rate = 5;
  double sevdesk_burst = 10;
  int sevdesk_timeout_ms = 30000;
  int sevdesk_max_attempts = 10;
  int sevdesk_backoff_base_ms = 2000;
  // A claimed transfer's lease; renewed at every stored step. A killed process's transfer is
  // taken over by another process at most this long after its last step.
  int sevdesk_lease_ms = 30000;
  // After an uncertain create, how long a look-up that finds nothing stays inconclusive (ADR 0010).
  int sevdesk_settle_ms = 60000;
  std::string sevdesk_write_connection = "reuse";  // "reuse" (recent only) | "fresh"
  std::string sevdesk_proxy;
  std::string voucher_link_template = "https://my.sevdesk.de/#/ex/detail/id/{id}";
};

// The demo school's token in the built-in sandbox (not a real sevdesk token).
constexpr const char* kDemoSevdeskToken = "d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0";

int Die(const std::string& message) {
  std::fprintf(stderr, "hundeschule: %s\n", message.c_str());
  return 1;
}

Result<store::DatabaseConfig> DatabaseFrom(const DatabaseOptions& options) {
  auto config = store::ParseDatabaseUrl(options.url);
  if (!config) return config;
  config->postgres.pool_size = options.pool_size;
  return config;
}

Result<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "bad_listen", "--listen must be HOST:PORT");
  }
  try {
    const int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    return std::make_pair(listen.substr(0, colon), port);
  } catch (const std::exception&) {
    return Fail(ErrorCode::kInvalidArgument, "bad_listen", "--listen must be HOST:PORT");
  }
}

crypto::PasswordCost CostFrom(const std::string& name) {
  if (name == "minimum") return crypto::PasswordCost::kMinimum;
  if (name == "interactive") return crypto::PasswordCost::kInteractive;
  return crypto::PasswordCost::kModerate;
}

class PdfRendererAdapter final : public app::InvoiceRenderer {
 public:
  explicit PdfRendererAdapter(pdf::PdfSettings settings) : renderer_(std::move(settings)) {}
  Result<std::string> Render(const domain::School& school,
                             const domain::Invoice& invoice) const override {
    return renderer_.Render(school, invoice);
  }

 private:
  pdf::InvoicePdfRenderer renderer_;
};

// Everything the office needs, built once.
struct Office {
  SystemClock clock;
  std::unique_ptr<crypto::SodiumCrypto> crypto;
  std::unique_ptr<app::Database> db;
  std::unique_ptr<PdfRendererAdapter> renderer;
  std::unique_ptr<app::AuthService> auth;
  std::unique_ptr<app::SchoolService> schools;
  std::unique_ptr<app::CustomerService> customers;
  std::unique_ptr<app::InvoiceService> invoices;
  std::unique_ptr<app::ReceiptService> receipts;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<crypto::SecretBox> secrets;
  std::unique_ptr<app::SevdeskGateway> gateway;
  std::unique_ptr<app::SevdeskService> sevdesk;
  store::DatabaseConfig database;
  std::string key_file;
};

Result<std::string> DefaultKeyFile(const store::DatabaseConfig& db) {
  if (const char* env = std::getenv("HS_SECRET_KEY_FILE"); env && *env) return std::string(env);
  if (db.engine == store::Engine::kPostgres) {
    // Every process must use the same key; a fresh key per machine would make the tokens that
    // other machines sealed unreadable.
    return Fail(ErrorCode::kInvalidArgument, "key_file_required",
                "With PostgreSQL, --key-file (or HS_SECRET_KEY_FILE) is required: the same key "
                "file on every machine (see docs/operations.md).");
  }
  const auto parent = std::filesystem::path(db.sqlite.path).parent_path();
  return ((parent.empty() ? std::filesystem::path(".") : parent) / "secret.key").string();
}

Result<std::unique_ptr<Office>> BuildOffice(const DatabaseOptions& db_options,
                                            const ServeOptions& serve) {
  // A request may be applied until the client gives up on it; only after that (and sevdesk's
  // search lag) can a look-up tell "absent" (ADR 0010).
  if (serve.sevdesk_settle_ms < serve.sevdesk_timeout_ms) {
    return Fail(ErrorCode::kInvalidArgument, "bad_settle",
                "--sevdesk-settle-ms must be at least --sevdesk-timeout-ms");
  }
  if (serve.sevdesk_write_connection != "reuse" && serve.sevdesk_write_connection != "fresh") {
    return Fail(ErrorCode::kInvalidArgument, "bad_write_connection",
                "--sevdesk-write-connection must be reuse or fresh");
  }
  auto database = DatabaseFrom(db_options);
  if (!database) return tl::unexpected(database.error());
  std::string key_file = serve.key_file;
  if (key_file.empty()) {
    auto def = DefaultKeyFile(*database);
    if (!def) return tl::unexpected(def.error());
    key_file = *def;
  }
  auto office = std::make_unique<Office>();
  office->database = *database;
  office->crypto = std::make_unique<crypto::SodiumCrypto>(CostFrom(serve.password_cost));
  auto db = store::OpenDatabase(*database);
  if (!db) return tl::unexpected(db.error());
  office->db = std::move(*db);
  office->renderer = std::make_unique<PdfRendererAdapter>(pdf::PdfSettings{serve.font_dir});
  app::AuthSettings auth;
  auth.max_concurrent_password_checks = std::max(1, serve.max_password_checks);
  office->auth =
      std::make_unique<app::AuthService>(*office->db, office->clock, *office->crypto, auth);
  office->schools =
      std::make_unique<app::SchoolService>(*office->db, office->clock, *office->crypto);
  office->customers = std::make_unique<app::CustomerService>(*office->db, office->clock);
  office->invoices = std::make_unique<app::InvoiceService>(*office->db, office->clock,
                                                           *office->crypto, *office->renderer);
  office->receipts =
      std::make_unique<app::ReceiptService>(*office->db, office->clock, *office->crypto);
  auto secrets = crypto::SecretBox::FromKeyFile(key_file);
  if (!secrets) return tl::unexpected(secrets.error());
  office->key_file = key_file;
  office->secrets = std::move(*secrets);
  office->random = std::make_unique<SeededRandom>(std::random_device{}());
  sevdesk::ClientSettings client;
  client.base_url = serve.sevdesk_base_url;
  client.timeout = std::chrono::milliseconds(serve.sevdesk_timeout_ms);
  client.write_connection = serve.sevdesk_write_connection == "fresh"
                                ? sevdesk::WriteConnection::kFresh
                                : sevdesk::WriteConnection::kReuseRecent;
  client.proxy = serve.sevdesk_proxy;
  office->gateway = sevdesk::MakeSevdeskClient(client);
  app::SevdeskSettings sd;
  sd.workers = serve.workers;
  sd.rate_per_second = serve.sevdesk_rate;
  sd.burst = serve.sevdesk_burst;
  sd.max_attempts = serve.sevdesk_max_attempts;
  sd.backoff_base = std::chrono::milliseconds(serve.sevdesk_backoff_base_ms);
  sd.lease = std::chrono::milliseconds(std::max(1000, serve.sevdesk_lease_ms));
  sd.settle = std::chrono::milliseconds(serve.sevdesk_settle_ms);
  // SQLite: one process, so every running row of another owner is a dead process's.
  // PostgreSQL: other owners are live processes; only expired leases are taken over.
  sd.single_process = database->engine == store::Engine::kSqlite;
  sd.voucher_link_template = serve.voucher_link_template;
  office->sevdesk = std::make_unique<app::SevdeskService>(*office->db, office->clock,
                                                          *office->random, *office->crypto,
                                                          *office->secrets, *office->gateway, sd);
  office->invoices->SetFinalizeHook(office->sevdesk.get());
  return office;
}

// Every process must open the sevdesk tokens with the key they were sealed with. The first
// serve/worker stores a check value of its key in the database; a later one with another key
// refuses to start, instead of failing school by school at the next transfer.
Status CheckSecretKey(Office& office) {
  const std::string mine = office.secrets->KeyCheck();
  auto stored = app::RunTransaction(
      *office.db, app::TxKind::kWrite, [&](app::UnitOfWork& uow) -> Result<std::string> {
        auto existing = uow.Sevdesk().GetKeyCheck();
        if (!existing) return tl::unexpected(existing.error());
        if (*existing) return **existing;
        // No check value yet (new, or from before the check): tokens already stored must open.
        auto connections = uow.Sevdesk().EnabledConnections();
        if (!connections) return tl::unexpected(connections.error());
        bool sealed = false;
        for (const auto& c : *connections) {
          if (c.token_sealed.empty()) continue;
          sealed = true;
          if (office.secrets->Open(c.token_sealed, "school:" + std::to_string(c.school_id))) {
            return uow.Sevdesk().EnsureKeyCheck(mine, office.clock.Now());
          }
        }
        if (sealed) return std::string("(the key of the stored tokens)");
        return uow.Sevdesk().EnsureKeyCheck(mine, office.clock.Now());
      });
  if (!stored) return tl::unexpected(stored.error());
  if (*stored != mine) {
    return Fail(ErrorCode::kInvalidArgument, "key_mismatch",
                "key mismatch: the key in " + office.key_file +
                    " is not the key the sevdesk tokens in this database were sealed with "
                    "(stored key check " +
                    *stored + ", this key " + mine +
                    "). Every serve and worker must use the same key file; refusing to start. "
                    "See docs/operations.md, \"Keys\".");
  }
  return {};
}

// Blocks SIGINT/SIGTERM in every thread; WaitForSignal() receives them.
sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForSignal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int RunServer(Office& office, const ServeOptions& options, const sigset_t& signals,
              const std::function<void(int port)>& on_ready = {}) {
  if (auto st = CheckSecretKey(office); !st) return Die(st.error().message);
  auto listen = ParseListen(options.listen);
  if (!listen) return Die(listen.error().message);
  http::Metrics metrics;
  http::api::Api api(
      {*office.auth, *office.schools, *office.customers, *office.invoices, *office.receipts,
       metrics, office.sevdesk.get()},
      {.secure_cookies = options.secure_cookies, .trusted_proxies = options.trusted_proxies});
  // Unknown e-mails are checked against a dummy hash; make it before the first login.
  office.auth->PrepareDummyHash();
  api.SetFallback(http::ui::MakeStaticUiHandler());
  http::ServerSettings settings;
  settings.host = listen->first;
  settings.port = listen->second;
  settings.threads = options.threads;
  http::Server server(settings, [&api](const http::Request& r) { return api.Handle(r); });
  auto port = server.Bind();
  if (!port) return Die(port.error().message);
  if (!options.port_file.empty()) {
    std::ofstream(options.port_file) << *port << "\n";
  }
  Log(LogLevel::kInfo, "serve",
      "listening on http://" + settings.host + ":" + std::to_string(*port));
  std::unique_ptr<store::PgListener> listener;
  if (!options.no_workers) {
    if (auto st = office.sevdesk->StartWorkers(); !st) return Die(st.error().message);
    // PostgreSQL: transfers enqueued by other processes wake this one (NOTIFY).
    listener = store::ListenForTransfers(office.database, [&office] { office.sevdesk->Wake(); });
  }
  if (on_ready) on_ready(*port);
  std::thread serving([&server] { server.Serve(); });
  const int sig = WaitForSignal(signals);
  Log(LogLevel::kInfo, "serve", "signal " + std::to_string(sig) + ", shutting down");
  // Stop taking requests first, then let the workers finish their current step.
  server.Stop();
  serving.join();
  if (listener) listener->Stop();
  office.sevdesk->StopWorkers();
  return 0;
}

// Transfer workers only (scale-out on PostgreSQL).
int RunWorker(Office& office, const sigset_t& signals) {
  if (auto st = CheckSecretKey(office); !st) return Die(st.error().message);
  if (auto st = office.sevdesk->StartWorkers(); !st) return Die(st.error().message);
  auto listener = store::ListenForTransfers(office.database, [&office] { office.sevdesk->Wake(); });
  Log(LogLevel::kInfo, "worker", "sevdesk transfer workers running");
  const int sig = WaitForSignal(signals);
  Log(LogLevel::kInfo, "worker", "signal " + std::to_string(sig) + ", shutting down");
  if (listener) listener->Stop();
  office.sevdesk->StopWorkers();
  return 0;
}

}  // namespace
}  // namespace hs

int main(int argc, char** argv) {
  using namespace hs;
  const sigset_t signals = BlockShutdownSignals();
  if (auto st = crypto::InitCrypto(); !st) return Die(st.error().message);
  // Documents and numbers are dated in Europe/Berlin: without the zone data, refuse to start.
  if (auto why = CheckTimeZoneData()) return Die(*why);
  sevdesk::InitHttpClient();

  CLI::App app{"hundeschule – Kunden, Rechnungen und Belege für Hundeschulen, mit sevdesk"};
  app.require_subcommand(1);
  DatabaseOptions db;
  ServeOptions serve;
  auto add_db = [&db](CLI::App* cmd) {
    cmd->add_option("--database", db.url, "sqlite:PATH or postgresql://USER@HOST:PORT/DB")
        ->capture_default_str();
    cmd->add_option("--db-pool-size", db.pool_size,
                    "PostgreSQL: pooled connections of this process (plus one for LISTEN)")
        ->capture_default_str();
  };

  // What keeps sevdesk writes exactly once on a real network (ADR 0010): serve and worker alike.
  auto add_write_safety = [&serve](CLI::App* cmd) {
    cmd->add_option("--sevdesk-settle-ms", serve.sevdesk_settle_ms,
                    "After an uncertain create, how long a look-up that finds nothing is not yet "
                    "conclusive (sevdesk's search lag; at least --sevdesk-timeout-ms)")
        ->capture_default_str();
    cmd->add_option("--sevdesk-write-connection", serve.sevdesk_write_connection,
                    "reuse: writes reuse a connection idle at most 2 s; fresh: a new connection "
                    "per write. Either way a write is never re-sent silently")
        ->capture_default_str();
    cmd->add_option("--sevdesk-proxy", serve.sevdesk_proxy,
                    "HTTP proxy for sevdesk (the environment's proxy is never used)");
  };

  auto* serve_cmd = app.add_subcommand("serve", "Run the HTTP server (UI, JSON API, metrics)");
  add_db(serve_cmd);
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT (port 0 picks a free port)")
      ->capture_default_str();
  serve_cmd->add_option("--port-file", serve.port_file, "Write the bound port to this file");
  serve_cmd->add_flag("--secure-cookies", serve.secure_cookies,
                      "Mark the session cookie Secure (when served over TLS)");
  serve_cmd->add_option("--threads", serve.threads, "HTTP worker threads")->capture_default_str();
  serve_cmd->add_option("--font-dir", serve.font_dir, "Folder with DejaVuSans.ttf")
      ->capture_default_str();
  serve_cmd
      ->add_option("--password-cost", serve.password_cost,
                   "argon2id cost: moderate, interactive, minimum (tests only)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--max-password-checks", serve.max_password_checks,
                   "Password checks at once; each needs the memory of one argon2id hash "
                   "(256 MiB at the moderate cost), further logins wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  serve_cmd->add_option("--trusted-proxy", serve.trusted_proxies,
                        "Address of a reverse proxy whose X-Forwarded-For names the client "
                        "(repeatable; for the login throttling)");

  serve_cmd
      ->add_option("--sevdesk-base-url", serve.sevdesk_base_url,
                   "sevdesk API base URL (the sandbox's for tests and demos)")
      ->capture_default_str();
  serve_cmd->add_option("--key-file", serve.key_file,
                        "File with the key that encrypts sevdesk tokens (created 0600 if missing; "
                        "default: secret.key next to the database, or $HS_SECRET_KEY_FILE)");
  serve_cmd->add_option("--workers", serve.workers, "sevdesk transfer workers")
      ->capture_default_str();
  serve_cmd->add_flag("--no-workers", serve.no_workers, "Serve HTTP only (no transfers)");
  serve_cmd
      ->add_option("--sevdesk-rate", serve.sevdesk_rate,
                   "sevdesk calls per second per school (token bucket)")
      ->capture_default_str();
  serve_cmd->add_option("--sevdesk-burst", serve.sevdesk_burst, "token bucket burst")
      ->capture_default_str();
  serve_cmd
      ->add_option("--sevdesk-timeout-ms", serve.sevdesk_timeout_ms,
                   "Deadline of one sevdesk request")
      ->capture_default_str();
  serve_cmd
      ->add_option("--sevdesk-max-attempts", serve.sevdesk_max_attempts,
                   "Attempts before a transient failure becomes final")
      ->capture_default_str();
  serve_cmd
      ->add_option("--sevdesk-backoff-base-ms", serve.sevdesk_backoff_base_ms,
                   "Base of the exponential backoff with full jitter")
      ->capture_default_str();
  serve_cmd
      ->add_option("--voucher-link-template", serve.voucher_link_template,
                   "Link to a voucher in sevdesk; {id} is replaced")
      ->capture_default_str();
  serve_cmd
      ->add_option("--sevdesk-lease-ms", serve.sevdesk_lease_ms,
                   "Lease of a claimed transfer; a dead process's work is taken over after it")
      ->capture_default_str();
  add_write_safety(serve_cmd);

  // `worker`: the same transfer settings as serve, no HTTP.
  auto* worker_cmd = app.add_subcommand("worker", "Run sevdesk transfer workers only (PostgreSQL)");
  add_db(worker_cmd);
  worker_cmd->add_option("--key-file", serve.key_file, "File with the token encryption key");
  worker_cmd->add_option("--workers", serve.workers, "sevdesk transfer workers")
      ->capture_default_str();
  worker_cmd->add_option("--sevdesk-base-url", serve.sevdesk_base_url, "sevdesk API base URL")
      ->capture_default_str();
  worker_cmd->add_option("--sevdesk-rate", serve.sevdesk_rate, "calls per second per school")
      ->capture_default_str();
  worker_cmd->add_option("--sevdesk-burst", serve.sevdesk_burst, "token bucket burst")
      ->capture_default_str();
  worker_cmd->add_option("--sevdesk-timeout-ms", serve.sevdesk_timeout_ms, "request deadline")
      ->capture_default_str();
  worker_cmd->add_option("--sevdesk-max-attempts", serve.sevdesk_max_attempts, "attempts")
      ->capture_default_str();
  worker_cmd->add_option("--sevdesk-backoff-base-ms", serve.sevdesk_backoff_base_ms, "backoff")
      ->capture_default_str();
  worker_cmd->add_option("--sevdesk-lease-ms", serve.sevdesk_lease_ms, "lease of a transfer")
      ->capture_default_str();
  add_write_safety(worker_cmd);
  worker_cmd
      ->add_option("--voucher-link-template", serve.voucher_link_template,
                   "Link to a voucher in sevdesk; {id} is replaced")
      ->capture_default_str();

  auto* migrate_cmd = app.add_subcommand("migrate", "Apply pending database migrations");
  add_db(migrate_cmd);

  auto* tenant_cmd = app.add_subcommand("tenant", "Manage schools (tenants)");
  tenant_cmd->require_subcommand(1);
  auto* tenant_create = tenant_cmd->add_subcommand("create", "Create a school; prints its id");
  add_db(tenant_create);
  std::string tenant_name;
  std::string tenant_tax_mode = "regular";
  tenant_create->add_option("--name", tenant_name, "School name")->required();
  tenant_create->add_option("--key-file", serve.key_file, "File with the token encryption key");
  tenant_create->add_option("--tax-mode", tenant_tax_mode, "regular or kleinunternehmer")
      ->capture_default_str();

  auto* user_cmd = app.add_subcommand("user", "Manage users");
  user_cmd->require_subcommand(1);
  auto* user_add = user_cmd->add_subcommand("add", "Add a user to a school");
  add_db(user_add);
  std::int64_t user_tenant = 0;
  std::string user_email;
  std::string user_role = "owner";
  bool password_stdin = false;
  user_add->add_option("--tenant", user_tenant, "School id")->required();
  user_add->add_option("--key-file", serve.key_file, "File with the token encryption key");
  user_add->add_option("--email", user_email, "Login e-mail")->required();
  user_add->add_option("--role", user_role, "owner or staff")->capture_default_str();
  user_add->add_flag("--password-stdin", password_stdin, "Read the password from stdin")
      ->required();
  user_add->add_option("--password-cost", serve.password_cost, "argon2id cost")
      ->capture_default_str();

  auto* demo_cmd = app.add_subcommand("demo", "Serve a demo school with sample data");
  std::string demo_listen = "127.0.0.1:8080";
  db.url = "sqlite:./data/hundeschule.db";
  std::string demo_db = "sqlite:./data/demo.db";
  demo_cmd->add_option("--database", demo_db, "sqlite:PATH or postgresql://...")
      ->capture_default_str();
  demo_cmd->add_option("--key-file", serve.key_file, "File with the token encryption key");
  demo_cmd->add_option("--listen", demo_listen, "HOST:PORT")->capture_default_str();
  demo_cmd->add_option("--port-file", serve.port_file, "Write the bound port to this file");
  demo_cmd->add_option("--font-dir", serve.font_dir, "Folder with DejaVuSans.ttf")
      ->capture_default_str();
  int demo_sandbox_port = 0;
  std::string demo_sandbox_state = "./data/demo-sandbox.json";
  demo_cmd
      ->add_option("--sandbox-port", demo_sandbox_port,
                   "Port of the built-in sevdesk sandbox (0 = free port)")
      ->capture_default_str();
  demo_cmd
      ->add_option("--sandbox-state", demo_sandbox_state,
                   "File that keeps the sandbox's data across restarts")
      ->capture_default_str();

  auto* sandbox_cmd = app.add_subcommand(
      "sevdesk-sandbox", "Run the sevdesk API emulator alone (tests, demos; never real sevdesk)");
  std::string sandbox_listen = "127.0.0.1:8090";
  std::string sandbox_port_file;
  std::vector<std::string> sandbox_tokens;
  std::string sandbox_tax_mode = "regular";
  std::string sandbox_config;
  std::string sandbox_state_file;
  std::vector<std::string> sandbox_faults;
  std::uint64_t sandbox_seed = 1;
  sandbox_cmd->add_option("--listen", sandbox_listen, "HOST:PORT (port 0 picks a free port)")
      ->capture_default_str();
  sandbox_cmd->add_option("--port-file", sandbox_port_file, "Write the bound port to this file");
  sandbox_cmd->add_option("--token,--account", sandbox_tokens,
                          "API token of an account to create (repeatable)");
  sandbox_cmd
      ->add_option("--tax-mode", sandbox_tax_mode,
                   "Tax mode of the --account accounts: regular or kleinunternehmer")
      ->capture_default_str();
  sandbox_cmd->add_option("--config", sandbox_config,
                          "JSON file with {\"accounts\":[...], \"faults\":{...}, \"seed\":N}");
  sandbox_cmd->add_option("--state,--state-file", sandbox_state_file,
                          "File that keeps the data across restarts (default: in memory)");
  sandbox_cmd->add_option(
      "--fault", sandbox_faults,
      "Global fault key=value (repeatable). " + sevdesk::sandbox::FaultKeysHelp());
  sandbox_cmd->add_option("--seed", sandbox_seed, "Seed of the fault draws")->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (serve_cmd->parsed()) {
    auto office = BuildOffice(db, serve);
    if (!office) return Die(office.error().message);
    return RunServer(**office, serve, signals);
  }
  if (worker_cmd->parsed()) {
    auto office = BuildOffice(db, serve);
    if (!office) return Die(office.error().message);
    return RunWorker(**office, signals);
  }
  if (migrate_cmd->parsed()) {
    auto database = DatabaseFrom(db);
    if (!database) return Die(database.error().message);
    auto applied = store::MigrateDatabase(*database);
    if (!applied) return Die(applied.error().message);
    std::printf("applied %d migration(s)\n", *applied);
    return 0;
  }
  if (tenant_create->parsed()) {
    auto mode = domain::ParseTaxMode(tenant_tax_mode);
    if (!mode) return Die("--tax-mode must be regular or kleinunternehmer");
    auto office = BuildOffice(db, serve);
    if (!office) return Die(office.error().message);
    domain::School school;
    school.name = tenant_name;
    school.tax_mode = *mode;
    auto id = (*office)->schools->CreateSchool(school);
    if (!id) return Die(id.error().message);
    std::printf("%lld\n", static_cast<long long>(*id));
    return 0;
  }
  if (user_add->parsed()) {
    auto role = app::ParseRole(user_role);
    if (!role) return Die("--role must be owner or staff");
    std::string password;
    std::getline(std::cin, password);
    auto office = BuildOffice(db, serve);
    if (!office) return Die(office.error().message);
    auto id = (*office)->schools->AddUser(user_tenant, user_email, password, *role);
    if (!id) {
      std::string msg = id.error().message;
      for (const auto& d : id.error().details) msg += "\n  " + d.field + ": " + d.message;
      return Die(msg);
    }
    std::printf("%lld\n", static_cast<long long>(*id));
    return 0;
  }
  if (sandbox_cmd->parsed()) {
    auto listen = ParseListen(sandbox_listen);
    if (!listen) return Die(listen.error().message);
    if (sandbox_tax_mode != "regular" && sandbox_tax_mode != "kleinunternehmer") {
      return Die("--tax-mode must be regular or kleinunternehmer");
    }
    sevdesk::sandbox::SandboxSettings settings;
    settings.host = listen->first;
    settings.port = listen->second;
    // Order as documented in docs/sevdesk-sandbox.md: config file, then the flags.
    if (!sandbox_config.empty()) {
      if (auto st = sevdesk::sandbox::LoadConfigFile(sandbox_config, settings); !st) {
        return Die(st.error().message);
      }
    }
    if (sandbox_cmd->count("--seed") > 0 || sandbox_config.empty()) settings.seed = sandbox_seed;
    if (!sandbox_state_file.empty()) settings.state_file = sandbox_state_file;
    for (const auto& token : sandbox_tokens) {
      sevdesk::sandbox::AccountSettings account;
      account.token = token;
      account.tax_mode = sandbox_tax_mode == "kleinunternehmer"
                             ? sevdesk::sandbox::TaxMode::kKleinunternehmer
                             : sevdesk::sandbox::TaxMode::kRegular;
      settings.accounts.push_back(account);
    }
    for (const auto& fault : sandbox_faults) {
      if (auto st = sevdesk::sandbox::ApplyFaultAssignment(fault, settings.faults); !st) {
        return Die("--fault: " + st.error().message);
      }
    }
    sevdesk::sandbox::Sandbox sandbox(settings);
    auto port = sandbox.Start();
    if (!port) return Die(port.error().message);
    if (!sandbox_port_file.empty()) {
      // Written to a temporary name and renamed, so a reader never sees a partial number.
      const std::string tmp = sandbox_port_file + ".tmp";
      std::ofstream(tmp) << *port << "\n";
      std::filesystem::rename(tmp, sandbox_port_file);
    }
    Log(LogLevel::kInfo, "sevdesk-sandbox", "listening on " + sandbox.BaseUrl() + "/api/v1");
    const int sig = WaitForSignal(signals);
    Log(LogLevel::kInfo, "sevdesk-sandbox", "signal " + std::to_string(sig) + ", shutting down");
    sandbox.Stop();
    return 0;
  }
  if (demo_cmd->parsed()) {
    db.url = demo_db;
    serve.listen = demo_listen;
    serve.password_cost = "interactive";
    app::DemoSettings demo;
    // The built-in sevdesk sandbox stands in for the school's sevdesk account.
    sevdesk::sandbox::SandboxSettings sandbox_settings;
    sandbox_settings.host = ParseListen(serve.listen)->first;
    sandbox_settings.port = demo_sandbox_port;
    sandbox_settings.state_file = demo_sandbox_state;
    sevdesk::sandbox::AccountSettings demo_account;
    demo_account.token = kDemoSevdeskToken;
    demo_account.name = demo.school_name;
    sandbox_settings.accounts.push_back(demo_account);
    if (auto parent = std::filesystem::path(demo_sandbox_state).parent_path(); !parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
    }
    // The sandbox answers instantly, so the demo may pace faster than a real account.
    serve.sevdesk_rate = 50;
    serve.sevdesk_burst = 50;
    sevdesk::sandbox::Sandbox sandbox(sandbox_settings);
    auto sandbox_port = sandbox.Start();
    if (!sandbox_port) return Die(sandbox_port.error().message);
    serve.sevdesk_base_url = sandbox.BaseUrl() + "/api/v1";
    serve.voucher_link_template = sandbox.BaseUrl() + "/?voucher={id}";
    auto office = BuildOffice(db, serve);
    if (!office) return Die(office.error().message);
    auto existing = [&]() -> bool {
      auto uow = (*office)->db->Begin(app::TxKind::kRead);
      if (!uow) return false;
      auto u = (*uow)->Users().FindByEmail(demo.owner_email);
      return u && u->has_value();
    }();
    if (!existing) {
      std::printf("Creating the demo school (about 30 customers, 120 invoices) ...\n");
      auto created =
          app::CreateDemoSchool(*(*office)->schools, *(*office)->customers, *(*office)->invoices,
                                *(*office)->receipts, (*office)->clock, demo);
      if (!created) return Die(created.error().message);
      // Connect the demo school to the sandbox: token, test, activate. Existing receipts stay
      // untransferred so the owner can try "Zu Sevdesk übertragen".
      app::Principal owner{0, created->school_id, app::Role::kOwner, demo.owner_email, ""};
      app::ConnectionUpdate set_token;
      set_token.token = kDemoSevdeskToken;
      auto up = (*office)->sevdesk->UpdateConnection(owner, set_token);
      if (!up) return Die(up.error().message);
      auto tested = (*office)->sevdesk->Test(owner);
      if (!tested || !tested->ok) return Die("demo: sevdesk sandbox test failed");
      app::ConnectionUpdate enable;
      enable.enabled = true;
      auto on = (*office)->sevdesk->UpdateConnection(owner, enable);
      if (!on) return Die(on.error().message);
    }
    const std::string sandbox_url = sandbox.BaseUrl() + "/";
    return RunServer(**office, serve, signals, [&](int port) {
      std::printf(
          "\nhundeschule demo is running:\n  URL:      http://%s:%d/\n  Login:    %s\n  "
          "Password: %s\n  sevdesk sandbox (what arrived in \"sevdesk\"): %s\nStop with "
          "Ctrl+C.\n",
          ParseListen(serve.listen)->first.c_str(), port, demo.owner_email.c_str(),
          demo.owner_password.c_str(), sandbox_url.c_str());
      std::fflush(stdout);
    });
  }
  return 0;
}
