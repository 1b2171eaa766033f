#pragma once
// A child process of the `hundeschule` binary for tests that run several real processes.
#include <sys/types.h>

#include <string>
#include <vector>

namespace hs::testing {

// The binary with `args`, its output appended to a log file. The destructor kills it (SIGKILL)
// if it still runs, so no process outlives a failing test; PR_SET_PDEATHSIG covers a crash of
// the test itself.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reaps the process if it has ended; true when it is gone.
  bool Exited();
  // Sends `sig` and waits (SIGKILL after 30 s); answers the exit code (128 + signal).
  int Kill(int sig);
  // Sends `sig` without waiting (SIGSTOP/SIGCONT to pause a process).
  void Signal(int sig);
  int code() const { return code_; }

 private:
  void Reaped(int status);
  pid_t pid_ = -1;
  int code_ = -1;
};

}  // namespace hs::testing
