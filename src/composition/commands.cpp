#include "composition/commands.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "composition/options.hpp"
#include "core/log.hpp"
#include "http/api/api.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "http/ui/static_ui.hpp"
#include "sevdesk/client/sevdesk_client.hpp"
#include "sevdesk/sandbox/sandbox.hpp"

namespace hs::composition {

namespace {

int Die(const std::string& message) {
  std::fprintf(stderr, "hundeschule: %s\n", message.c_str());
  return 1;
}

// Written to a temporary name and renamed, so a reader never sees a partial number.
void WritePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::filesystem::rename(tmp, path);
}

// The worker's own small server: /healthz and /metrics, nothing else.
http::Response WorkerEndpoint(const Office& office, const http::Request& request) {
  if (request.method == "GET" && request.path == "/healthz") {
    return http::Response::Json(200, R"({"status":"ok"})");
  }
  if (request.method == "GET" && request.path == "/metrics") {
    return http::Response::Text(200, office.metrics.Render(), "text/plain; version=0.0.4");
  }
  return http::Response::Json(404, R"({"error":{"code":"not_found"}})");
}

// Binds the worker's metrics server; null when --metrics-listen is not given.
Result<std::unique_ptr<http::Server>> BindWorkerEndpoint(const Office& office,
                                                         const WorkerSettings& worker) {
  if (worker.metrics_listen.empty()) return std::unique_ptr<http::Server>();
  auto listen = ParseListen(worker.metrics_listen, "--metrics-listen");
  if (!listen) return tl::unexpected(listen.error());
  http::ServerSettings settings;
  settings.host = listen->first;
  settings.port = listen->second;
  settings.threads = 2;
  auto server = std::make_unique<http::Server>(
      settings, [&office](const http::Request& r) { return WorkerEndpoint(office, r); });
  auto port = server->Bind();
  if (!port) return tl::unexpected(port.error());
  WritePortFile(worker.metrics_port_file, *port);
  Log(LogLevel::kInfo, "worker",
      "metrics on http://" + settings.host + ":" + std::to_string(*port) + "/metrics");
  return server;
}

}  // namespace

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

int RunServe(Office& office, const HttpSettings& options, bool workers, const sigset_t& signals,
             const std::function<void(int port)>& on_ready) {
  if (auto st = CheckSecretKey(office); !st) return Die(st.error().message);
  auto listen = ParseListen(options.listen);
  if (!listen) return Die(listen.error().message);
  const Services& s = office.services;
  http::Metrics metrics;
  metrics.Attach(&office.metrics);
  http::api::Api api(
      {*s.auth, *s.schools, *s.customers, *s.invoices, *s.receipts, metrics, s.sevdesk.get(),
       s.payments.get()},
      {.secure_cookies = options.secure_cookies, .trusted_proxies = options.trusted_proxies});
  // Unknown e-mails are checked against a dummy hash; make it before the first login.
  s.auth->PrepareDummyHash();
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
  if (workers) {
    if (auto st = s.sevdesk->StartWorkers(); !st) return Die(st.error().message);
    s.payments->Start();  // finishes bookings left pending or sending (issue 16)
    // PostgreSQL: transfers enqueued by other processes wake this one (NOTIFY).
    listener = store::ListenForTransfers(office.database, [&s] { s.sevdesk->Wake(); });
  }
  if (on_ready) on_ready(*port);
  std::thread serving([&server] { server.Serve(); });
  const int sig = WaitForSignal(signals);
  Log(LogLevel::kInfo, "serve", "signal " + std::to_string(sig) + ", shutting down");
  // Stop taking requests first, then let the workers finish their current step.
  server.Stop();
  serving.join();
  if (listener) listener->Stop();
  s.payments->Stop();
  s.sevdesk->StopWorkers();
  return 0;
}

// Transfer workers only (scale-out on PostgreSQL), with /healthz and /metrics on their own port.
int RunWorker(Office& office, const WorkerSettings& worker, const sigset_t& signals) {
  if (auto st = CheckSecretKey(office); !st) return Die(st.error().message);
  auto endpoint = BindWorkerEndpoint(office, worker);
  if (!endpoint) return Die(endpoint.error().message);
  app::SevdeskService& sevdesk = *office.services.sevdesk;
  if (auto st = sevdesk.StartWorkers(); !st) return Die(st.error().message);
  office.services.payments->Start();  // issue 16: bookings of payments recorded here
  auto listener = store::ListenForTransfers(office.database, [&sevdesk] { sevdesk.Wake(); });
  std::thread serving;
  if (*endpoint) serving = std::thread([&server = **endpoint] { server.Serve(); });
  Log(LogLevel::kInfo, "worker", "sevdesk transfer workers running");
  const int sig = WaitForSignal(signals);
  Log(LogLevel::kInfo, "worker", "signal " + std::to_string(sig) + ", shutting down");
  if (*endpoint) {
    (*endpoint)->Stop();
    serving.join();
  }
  if (listener) listener->Stop();
  office.services.payments->Stop();
  sevdesk.StopWorkers();
  return 0;
}

int RunMigrate(const DatabaseSettings& db) {
  auto database = DatabaseFrom(db);
  if (!database) return Die(database.error().message);
  auto applied = store::MigrateDatabase(*database);
  if (!applied) return Die(applied.error().message);
  std::printf("applied %d migration(s)\n", *applied);
  return 0;
}

int RunTenantCreate(const DatabaseSettings& db, const HttpSettings& http, const KeySettings& key,
                    const TransferSettings& transfer, const TenantArgs& args) {
  auto mode = domain::ParseTaxMode(args.tax_mode);
  if (!mode) return Die("--tax-mode must be regular or kleinunternehmer");
  auto office = BuildOffice(db, http, key, transfer);
  if (!office) return Die(office.error().message);
  domain::School school;
  school.name = args.name;
  school.tax_mode = *mode;
  auto id = (*office)->services.schools->CreateSchool(school);
  if (!id) return Die(id.error().message);
  std::printf("%lld\n", static_cast<long long>(*id));
  return 0;
}

int RunUserAdd(const DatabaseSettings& db, const HttpSettings& http, const KeySettings& key,
               const TransferSettings& transfer, const UserArgs& args) {
  auto role = app::ParseRole(args.role);
  if (!role) return Die("--role must be owner or staff");
  std::string password;
  std::getline(std::cin, password);
  auto office = BuildOffice(db, http, key, transfer);
  if (!office) return Die(office.error().message);
  auto id = (*office)->services.schools->AddUser(args.tenant, args.email, password, *role);
  if (!id) {
    std::string msg = id.error().message;
    for (const auto& d : id.error().details) msg += "\n  " + d.field + ": " + d.message;
    return Die(msg);
  }
  std::printf("%lld\n", static_cast<long long>(*id));
  return 0;
}

namespace {

// The sandbox's settings: the config file first, then the flags (docs/sevdesk-sandbox.md).
Result<sevdesk::sandbox::SandboxSettings> SandboxSettingsFrom(const SandboxArgs& args) {
  auto listen = ParseListen(args.listen);
  if (!listen) return tl::unexpected(listen.error());
  if (args.tax_mode != "regular" && args.tax_mode != "kleinunternehmer") {
    return Fail(ErrorCode::kInvalidArgument, "bad_tax_mode",
                "--tax-mode must be regular or kleinunternehmer");
  }
  sevdesk::sandbox::SandboxSettings settings;
  settings.host = listen->first;
  settings.port = listen->second;
  if (!args.config.empty()) {
    if (auto st = sevdesk::sandbox::LoadConfigFile(args.config, settings); !st) {
      return tl::unexpected(st.error());
    }
  }
  if (args.seed_given || args.config.empty()) settings.seed = args.seed;
  if (!args.state_file.empty()) settings.state_file = args.state_file;
  for (const auto& token : args.tokens) {
    sevdesk::sandbox::AccountSettings account;
    account.token = token;
    account.tax_mode = args.tax_mode == "kleinunternehmer"
                           ? sevdesk::sandbox::TaxMode::kKleinunternehmer
                           : sevdesk::sandbox::TaxMode::kRegular;
    settings.accounts.push_back(account);
  }
  for (const auto& fault : args.faults) {
    if (auto st = sevdesk::sandbox::ApplyFaultAssignment(fault, settings.faults); !st) {
      return Fail(ErrorCode::kInvalidArgument, "bad_fault", "--fault: " + st.error().message);
    }
  }
  return settings;
}

}  // namespace

int RunSandbox(const SandboxArgs& args, const sigset_t& signals) {
  auto settings = SandboxSettingsFrom(args);
  if (!settings) return Die(settings.error().message);
  sevdesk::sandbox::Sandbox sandbox(*settings);
  auto port = sandbox.Start();
  if (!port) return Die(port.error().message);
  WritePortFile(args.port_file, *port);
  Log(LogLevel::kInfo, "sevdesk-sandbox", "listening on " + sandbox.BaseUrl() + "/api/v1");
  const int sig = WaitForSignal(signals);
  Log(LogLevel::kInfo, "sevdesk-sandbox", "signal " + std::to_string(sig) + ", shutting down");
  sandbox.Stop();
  return 0;
}

}  // namespace hs::composition
