#include "core/thread_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hs {

bool LowerThisThreadsPriority() {
  // On Linux a nice value belongs to the thread (task) given by its id, not to the process.
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  // 19, the lowest: the sync is paced and waits most of the time anyway; when it runs, every
  // other thread of the machine goes first (hs_transfer_bench --section sync).
  return ::setpriority(PRIO_PROCESS, tid, 19) == 0;
}

}  // namespace hs
