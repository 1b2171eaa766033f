// The payment sync's thread gives way on the CPU (issue 16): after LowerThisThreadsPriority the
// calling thread, and only it, runs under SCHED_IDLE at nice 19.
#include "core/thread_priority.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

namespace hs {
namespace {

struct Priority {
  int policy = -1;
  int nice = 0;
};

Priority OfThisThread() {
  const auto tid = static_cast<pid_t>(::syscall(SYS_gettid));
  return {::sched_getscheduler(tid), ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid))};
}

TEST(ThreadPriority, OnlyTheCallingThreadGivesWay) {
  const Priority before = OfThisThread();
  Priority lowered;
  Priority other_during;
  bool ok = false;
  std::thread worker([&] {
    ok = LowerThisThreadsPriority();
    lowered = OfThisThread();
    std::thread sibling([&] { other_during = OfThisThread(); });  // inherits, as threads do
    sibling.join();
  });
  worker.join();
  ASSERT_TRUE(ok);
  EXPECT_EQ(lowered.policy, SCHED_IDLE);
  EXPECT_EQ(lowered.nice, 19);
  EXPECT_EQ(other_during.policy, SCHED_IDLE);  // a thread the sync starts gives way as well
  const Priority after = OfThisThread();
  EXPECT_EQ(after.policy, before.policy);
  EXPECT_EQ(after.nice, before.nice);
}

}  // namespace
}  // namespace hs
