// The login throttling's decisions (pure functions) and its bounded state.
#include "app/login_throttle.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace hs::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Instant kT0 = FromUnixMillis(1'800'000'000'000);

FailureRecord Failed(int failures, seconds ago) {
  return {failures, kT0 - ago};
}

TEST(LoginThrottle, WaitGrowsWithTheFailuresAndShrinksWithTime) {
  const ThrottleSettings s;  // 5 free, 15 s doubling up to 15 min
  struct Case {
    FailureRecord record;
    int free;
    milliseconds wait;
  };
  const std::vector<Case> cases = {
      {Failed(0, seconds{0}), 5, milliseconds{0}},   {Failed(4, seconds{0}), 5, milliseconds{0}},
      {Failed(5, seconds{0}), 5, seconds{15}},       {Failed(5, seconds{10}), 5, seconds{5}},
      {Failed(5, seconds{15}), 5, milliseconds{0}},  {Failed(6, seconds{0}), 5, seconds{30}},
      {Failed(8, seconds{0}), 5, minutes{2}},        {Failed(11, seconds{0}), 5, minutes{15}},
      {Failed(500, seconds{60}), 5, minutes{14}},    {Failed(20, seconds{0}), 20, seconds{15}},
      {Failed(19, seconds{0}), 20, milliseconds{0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.record.failures) + " failures, free " + std::to_string(c.free));
    EXPECT_EQ(WaitOf(c.record, c.free, s, kT0), c.wait);
  }
}

TEST(LoginThrottle, WhoWaitsForWhoseFailures) {
  const ThrottleSettings s;
  struct Case {
    const char* what;
    AttemptRecords records;
    milliseconds wait;
  };
  const FailureRecord none{};
  const FailureRecord hot_email = Failed(40, seconds{1});  // an attack on the e-mail
  const std::vector<Case> cases = {
      {"a fresh client and e-mail", {none, none, none}, milliseconds{0}},
      {"the owner's clean device while others guess", {hot_email, none, none}, milliseconds{0}},
      {"a guessing client of a hot e-mail",
       {hot_email, Failed(1, seconds{1}), Failed(1, seconds{1})},
       minutes{15} - seconds{1}},
      {"a client with a few typos",
       {Failed(3, seconds{1}), Failed(3, seconds{1}), Failed(3, seconds{1})},
       milliseconds{0}},
      {"the sixth failure of one client for one e-mail",
       {Failed(5, seconds{0}), Failed(5, seconds{0}), Failed(5, seconds{0})},
       seconds{15}},
      {"a client that tried many e-mails", {none, Failed(20, seconds{5}), none}, seconds{10}},
      {"a client with 19 failures elsewhere",
       {none, Failed(19, seconds{0}), none},
       milliseconds{0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(WaitBeforeAttempt(c.records, s, kT0), c.wait);
  }
}

TEST(LoginThrottle, AdmittedAttemptsCountAtOnceSoParallelOnesCannotPassTheLimit) {
  LoginThrottle throttle;
  int admitted = 0;
  for (int i = 0; i < 12; ++i) {
    if (throttle.Admit("owner@example.org", "203.0.113.7", kT0).count() == 0) ++admitted;
  }
  EXPECT_EQ(admitted, 5);
  // Another client is not held back by these failures; the e-mail's own record only holds back
  // clients that failed for it themselves.
  EXPECT_EQ(throttle.Admit("owner@example.org", "198.51.100.2", kT0).count(), 0);
}

TEST(LoginThrottle, ParallelAdmissionsAreCountedExactly) {
  LoginThrottle throttle;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      if (throttle.Admit("owner@example.org", "203.0.113.7", kT0).count() == 0) ++admitted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 5);
}

TEST(LoginThrottle, SuccessTakesBackOnlyTheClientsOwnFailures) {
  LoginThrottle throttle;
  // Another client failed three times for the e-mail; the owner mistyped once, then succeeded.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(throttle.Admit("a@example.org", "10.6.6.6", kT0).count(), 0);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(throttle.Admit("a@example.org", "10.0.0.1", kT0).count(), 0);
  throttle.Succeeded("a@example.org", "10.0.0.1");
  // The owner's two attempts are taken back; the other client's three failures remain, so after
  // two more failures the e-mail has five and holds back the owner (who has failed for it).
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(throttle.Admit("a@example.org", "10.0.0.1", kT0).count(), 0) << i;
  }
  EXPECT_GT(throttle.Admit("a@example.org", "10.0.0.1", kT0).count(), 0);
}

TEST(LoginThrottle, WithdrawnAttemptsDoNotCount) {
  LoginThrottle throttle;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(throttle.Admit("a@example.org", "10.0.0.1", kT0).count(), 0);
    throttle.Withdraw("a@example.org", "10.0.0.1");
  }
  EXPECT_EQ(throttle.size(), 0u);
}

TEST(LoginThrottle, StateIsBoundedAndForgetsQuietKeys) {
  ThrottleSettings s;
  s.max_keys = 300;
  LoginThrottle throttle(s);
  for (int i = 0; i < 5000; ++i) {
    (void)throttle.Admit("user" + std::to_string(i) + "@example.org",
                         "10.0." + std::to_string(i % 250) + ".1", kT0 + milliseconds{i});
    ASSERT_LE(throttle.size(), 300u);
  }
  EXPECT_EQ(throttle.size(), 300u);
  // An hour without failures: everything is forgotten at the next attempt.
  (void)throttle.Admit("late@example.org", "10.9.9.9", kT0 + minutes{62});
  EXPECT_EQ(throttle.size(), 3u);
}

TEST(ConcurrencyLimit, HoldsAtMostItsSlotsAndTimesOut) {
  ConcurrencyLimit limit(2);
  {
    ConcurrencyLimit::Slot a(limit, milliseconds{0});
    ConcurrencyLimit::Slot b(limit, milliseconds{0});
    ConcurrencyLimit::Slot c(limit, milliseconds{20});
    EXPECT_TRUE(a);
    EXPECT_TRUE(b);
    EXPECT_FALSE(c);
    EXPECT_EQ(limit.in_use(), 2);
  }
  EXPECT_EQ(limit.in_use(), 0);
  EXPECT_EQ(limit.peak(), 2);
}

}  // namespace
}  // namespace hs::app
