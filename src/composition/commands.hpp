#pragma once
// The commands of the `hundeschule` binary, one function each, and the command line that picks
// one. apps/hundeschule/main.cpp only calls Main().
#include <signal.h>

#include <functional>
#include <string>
#include <vector>

#include "composition/office.hpp"
#include "composition/settings.hpp"

namespace hs::composition {

struct TenantArgs {
  std::string name;
  std::string tax_mode = "regular";
};

struct UserArgs {
  std::int64_t tenant = 0;
  std::string email;
  std::string role = "owner";
  bool password_stdin = false;
};

struct DemoArgs {
  std::string database = "sqlite:./data/demo.db";
  std::string listen = "127.0.0.1:8080";
  int sandbox_port = 0;  // 0 = a free port
  std::string sandbox_state = "./data/demo-sandbox.json";
};

struct SandboxArgs {
  std::string listen = "127.0.0.1:8090";
  std::string port_file;
  std::vector<std::string> tokens;
  std::string tax_mode = "regular";
  std::string config;
  std::string state_file;
  std::vector<std::string> faults;
  std::uint64_t seed = 1;
  bool seed_given = false;  // --seed on the command line (it then overrides the config file)
};

// Blocks SIGINT/SIGTERM in every thread; WaitForSignal() receives them.
sigset_t BlockShutdownSignals();
int WaitForSignal(const sigset_t& set);

int RunServe(Office& office, const HttpSettings& http, bool workers, const sigset_t& signals,
             const std::function<void(int port)>& on_ready = {});
int RunWorker(Office& office, const WorkerSettings& worker, const sigset_t& signals);
int RunMigrate(const DatabaseSettings& db);
int RunTenantCreate(const DatabaseSettings& db, const HttpSettings& http, const KeySettings& key,
                    const TransferSettings& transfer, const TenantArgs& args);
int RunUserAdd(const DatabaseSettings& db, const HttpSettings& http, const KeySettings& key,
               const TransferSettings& transfer, const UserArgs& args);
int RunSandbox(const SandboxArgs& args, const sigset_t& signals);
int RunDemo(const DemoArgs& demo, HttpSettings http, const KeySettings& key,
            TransferSettings transfer, const sigset_t& signals);

// Parses the command line and runs the command.
int Main(int argc, char** argv);

}  // namespace hs::composition
