// The command line: one registration per command, then the command's function.
#include <CLI/CLI.hpp>

#include "composition/commands.hpp"
#include "composition/options.hpp"
#include "core/date.hpp"
#include "crypto/sodium_crypto.hpp"
#include "sevdesk/client/sevdesk_client.hpp"
#include "sevdesk/sandbox/sandbox.hpp"

namespace hs::composition {

namespace {

// Everything the command line can set, by concern.
struct Cli {
  DatabaseSettings db;
  HttpSettings http;
  KeySettings key;
  TransferSettings transfer;
  WorkerSettings worker;
  TenantArgs tenant;
  UserArgs user;
  DemoArgs demo;
  SandboxArgs sandbox;
  CLI::App* serve = nullptr;
  CLI::App* run_worker = nullptr;
  CLI::App* migrate = nullptr;
  CLI::App* tenant_create = nullptr;
  CLI::App* user_add = nullptr;
  CLI::App* run_demo = nullptr;
  CLI::App* run_sandbox = nullptr;
};

void RegisterServe(CLI::App& app, Cli& c) {
  c.serve = app.add_subcommand("serve", "Run the HTTP server (UI, JSON API, metrics)");
  AddDatabaseOptions(*c.serve, c.db);
  AddHttpOptions(*c.serve, c.http);
  AddKeyOption(*c.serve, c.key);
  AddTransferOptions(*c.serve, c.transfer);
  c.serve->add_flag("--no-workers", c.transfer.no_workers, "Serve HTTP only (no transfers)");
}

void RegisterWorker(CLI::App& app, Cli& c) {
  // The same transfer settings as serve; HTTP only for /healthz and /metrics.
  c.run_worker = app.add_subcommand("worker", "Run sevdesk transfer workers only (PostgreSQL)");
  AddDatabaseOptions(*c.run_worker, c.db);
  AddKeyOption(*c.run_worker, c.key);
  AddTransferOptions(*c.run_worker, c.transfer);
  AddWorkerOptions(*c.run_worker, c.worker);
}

void RegisterAdmin(CLI::App& app, Cli& c) {
  c.migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  AddDatabaseOptions(*c.migrate, c.db);

  auto* tenant = app.add_subcommand("tenant", "Manage schools (tenants)");
  tenant->require_subcommand(1);
  c.tenant_create = tenant->add_subcommand("create", "Create a school; prints its id");
  AddDatabaseOptions(*c.tenant_create, c.db);
  c.tenant_create->add_option("--name", c.tenant.name, "School name")->required();
  AddKeyOption(*c.tenant_create, c.key);
  c.tenant_create->add_option("--tax-mode", c.tenant.tax_mode, "regular or kleinunternehmer")
      ->capture_default_str();

  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  c.user_add = user->add_subcommand("add", "Add a user to a school");
  AddDatabaseOptions(*c.user_add, c.db);
  c.user_add->add_option("--tenant", c.user.tenant, "School id")->required();
  AddKeyOption(*c.user_add, c.key);
  c.user_add->add_option("--email", c.user.email, "Login e-mail")->required();
  c.user_add->add_option("--role", c.user.role, "owner or staff")->capture_default_str();
  c.user_add->add_flag("--password-stdin", c.user.password_stdin, "Read the password from stdin")
      ->required();
  c.user_add->add_option("--password-cost", c.http.password_cost, "argon2id cost")
      ->capture_default_str();
}

void RegisterDemo(CLI::App& app, Cli& c) {
  c.run_demo = app.add_subcommand("demo", "Serve a demo school with sample data");
  auto& d = *c.run_demo;
  d.add_option("--database", c.demo.database, "sqlite:PATH or postgresql://...")
      ->capture_default_str();
  AddKeyOption(d, c.key);
  d.add_option("--listen", c.demo.listen, "HOST:PORT")->capture_default_str();
  d.add_option("--port-file", c.http.port_file, "Write the bound port to this file");
  d.add_option("--font-dir", c.http.font_dir, "Folder with DejaVuSans.ttf")->capture_default_str();
  d.add_option("--sandbox-port", c.demo.sandbox_port,
               "Port of the built-in sevdesk sandbox (0 = free port)")
      ->capture_default_str();
  d.add_option("--sandbox-state", c.demo.sandbox_state,
               "File that keeps the sandbox's data across restarts")
      ->capture_default_str();
}

void RegisterSandbox(CLI::App& app, Cli& c) {
  c.run_sandbox = app.add_subcommand(
      "sevdesk-sandbox", "Run the sevdesk API emulator alone (tests, demos; never real sevdesk)");
  auto& s = *c.run_sandbox;
  SandboxArgs& a = c.sandbox;
  s.add_option("--listen", a.listen, "HOST:PORT (port 0 picks a free port)")->capture_default_str();
  s.add_option("--port-file", a.port_file, "Write the bound port to this file");
  s.add_option("--token,--account", a.tokens, "API token of an account to create (repeatable)");
  s.add_option("--tax-mode", a.tax_mode,
               "Tax mode of the --account accounts: regular or kleinunternehmer")
      ->capture_default_str();
  s.add_option("--config", a.config,
               "JSON file with {\"accounts\":[...], \"faults\":{...}, \"seed\":N}");
  s.add_option("--state,--state-file", a.state_file,
               "File that keeps the data across restarts (default: in memory)");
  s.add_option("--fault", a.faults,
               "Global fault key=value (repeatable). " + sevdesk::sandbox::FaultKeysHelp());
  s.add_option("--seed", a.seed, "Seed of the fault draws")->capture_default_str();
}

// The office commands build the office first.
int RunWithOffice(Cli& c, const sigset_t& signals) {
  auto office = BuildOffice(c.db, c.http, c.key, c.transfer);
  if (!office) {
    std::fprintf(stderr, "hundeschule: %s\n", office.error().message.c_str());
    return 1;
  }
  if (c.serve->parsed()) return RunServe(**office, c.http, !c.transfer.no_workers, signals);
  return RunWorker(**office, c.worker, signals);
}

int Dispatch(Cli& c, const sigset_t& signals) {
  if (c.serve->parsed() || c.run_worker->parsed()) return RunWithOffice(c, signals);
  if (c.migrate->parsed()) return RunMigrate(c.db);
  if (c.tenant_create->parsed()) {
    return RunTenantCreate(c.db, c.http, c.key, c.transfer, c.tenant);
  }
  if (c.user_add->parsed()) return RunUserAdd(c.db, c.http, c.key, c.transfer, c.user);
  if (c.run_sandbox->parsed()) {
    c.sandbox.seed_given = c.run_sandbox->count("--seed") > 0;
    return RunSandbox(c.sandbox, signals);
  }
  if (c.run_demo->parsed()) return RunDemo(c.demo, c.http, c.key, c.transfer, signals);
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  const sigset_t signals = BlockShutdownSignals();
  if (auto st = crypto::InitCrypto(); !st) {
    std::fprintf(stderr, "hundeschule: %s\n", st.error().message.c_str());
    return 1;
  }
  // Documents and numbers are dated in Europe/Berlin: without the zone data, refuse to start.
  if (auto why = CheckTimeZoneData()) {
    std::fprintf(stderr, "hundeschule: %s\n", why->c_str());
    return 1;
  }
  sevdesk::InitHttpClient();
  CLI::App app{"hundeschule – Kunden, Rechnungen und Belege für Hundeschulen, mit sevdesk"};
  app.require_subcommand(1);
  Cli c;
  RegisterServe(app, c);
  RegisterWorker(app, c);
  RegisterAdmin(app, c);
  RegisterDemo(app, c);
  RegisterSandbox(app, c);
  CLI11_PARSE(app, argc, argv);
  return Dispatch(c, signals);
}

}  // namespace hs::composition
