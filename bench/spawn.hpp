#pragma once
// Child processes of the benchmarks: `hundeschule serve`, `worker` or `sevdesk-sandbox`.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace hs::bench {

// Starts `args` (args[0] is the binary) with stdout and stderr appended to `log`. The child is
// killed when the bench dies, so a crashed bench leaves no server behind. Returns the pid, or -1
// when the log cannot be opened or fork fails.
inline pid_t SpawnWithLog(std::vector<std::string> args, const std::string& log) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return -1;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    (void)::dup2(log_fd, 1);
    (void)::dup2(log_fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  return pid;
}

}  // namespace hs::bench
