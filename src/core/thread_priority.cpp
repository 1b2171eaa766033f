#include "core/thread_priority.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hs {

bool LowerThisThreadsPriority() {
  // On Linux a nice value and a scheduling policy belong to the thread (task) given by its id,
  // not to the process.
  const auto tid = static_cast<pid_t>(::syscall(SYS_gettid));
  // SCHED_IDLE: any other thread that wakes up takes the CPU from this one at once (with nice 19
  // alone it waited for the end of the sync's time slice: a millisecond or two added to the tail
  // of the transfers, hs_transfer_bench --section sync). It still gets a little CPU on a busy
  // machine, as a nice-19 thread does, so a sync never starves while it holds its lease.
  const sched_param none{};
  const bool idle = ::sched_setscheduler(tid, SCHED_IDLE, &none) == 0;
  // 19, the lowest, for systems without SCHED_IDLE.
  const bool nice = ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 19) == 0;
  return idle || nice;
}

}  // namespace hs
