#include "core/thread_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hs {

bool LowerThisThreadsPriority() {
  // On Linux a nice value belongs to the thread (task) given by its id, not to the process.
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  return ::setpriority(PRIO_PROCESS, tid, 10) == 0;
}

}  // namespace hs
