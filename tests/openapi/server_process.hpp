#pragma once
// Runs the real `hundeschule` binary for the OpenAPI conformance test: one-shot commands (tenant
// create, user add) and a server process that is stopped with SIGTERM.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace hs::openapi_test {

struct CommandResult {
  int exit_code = -1;  // -1 when the process could not run or died from a signal
  std::string output;  // stdout and stderr
};

// Runs `binary args...`, writes `input` to its stdin and waits for it to exit.
CommandResult RunCommand(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& input = {});

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts `binary args...` with stdout/stderr appended to `log_file` and waits until
  // `port_file` holds the bound port. Returns false (and fills `error`) on failure.
  bool Start(const std::string& binary, const std::vector<std::string>& args,
             const std::string& port_file, const std::string& log_file,
             std::chrono::milliseconds timeout, std::string& error);
  // SIGTERM, then SIGKILL if the process has not exited within 10 s. Returns the exit status
  // (-1 when killed or not running).
  int Stop();
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace hs::openapi_test
