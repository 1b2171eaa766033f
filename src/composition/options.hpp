#pragma once
// The command line's options, registered by concern. Every option shows the default of the
// settings struct it writes to (settings.hpp), so a default is defined once.
#include "composition/settings.hpp"

namespace CLI {
class App;
}

namespace hs::composition {

void AddDatabaseOptions(CLI::App& cmd, DatabaseSettings& settings);
void AddKeyOption(CLI::App& cmd, KeySettings& settings);
// serve: listen address, threads, cookies, fonts, password checks, proxies.
void AddHttpOptions(CLI::App& cmd, HttpSettings& settings);
// serve and worker: the transfer engine and its sevdesk client.
void AddTransferOptions(CLI::App& cmd, TransferSettings& settings);
// worker: its port for /healthz and /metrics.
void AddWorkerOptions(CLI::App& cmd, WorkerSettings& settings);

// "HOST:PORT" (port 0..65535).
Result<std::pair<std::string, int>> ParseListen(const std::string& listen,
                                                const std::string& flag = "--listen");

}  // namespace hs::composition
