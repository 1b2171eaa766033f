// The transfer engine's state machine (src/app/transfer_policy.hpp, ADR 0012) as tables: for
// every way an attempt can end, the next state, the event, the connection effect and the write.
// Pure: a fixed instant, seeded randomness, no database, no sevdesk.
#include "app/transfer_policy.hpp"

#include <gtest/gtest.h>

namespace hs::app {
namespace {

using namespace std::chrono_literals;

const Instant kNow = *ParseIsoInstant("2026-11-20T09:00:00.000Z");

SevdeskSettings Settings() {
  SevdeskSettings s;
  s.max_attempts = 3;
  s.backoff_base = 1'000ms;
  s.backoff_cap = 60'000ms;
  s.breaker_threshold = 2;
  s.breaker_pause = 15min;
  return s;
}

// A transfer in its 2nd attempt, claimed by a worker, with its voucher's create sent.
Transfer Running(int attempts = 2) {
  Transfer t;
  t.id = 7;
  t.school_id = 3;
  t.state = TransferState::kRunning;
  t.phase = TransferPhase::kPosting;
  t.attempts = attempts;
  t.lease_owner = "worker-a";
  t.lease_until = kNow + 60s;
  t.lease_claim = 4;
  t.create_sent_at = kNow - 1s;
  return t;
}

Error Err(ErrorCode code, std::string_view reason, std::string message = "kaputt") {
  return Error{code, std::string(reason), std::move(message), {}, std::nullopt};
}

struct Row {
  const char* name;
  Outcome outcome;
  int attempts;  // of the transfer before the decision
  TransferState state;
  int attempts_after;
  std::optional<std::chrono::milliseconds> due_in;  // next_attempt_at - now, when fixed
  const char* code;
  const char* event;  // the last event's kind; "" for none
  ConnectionChange connection;
  Write write;
};

Outcome RateLimited(std::optional<std::chrono::seconds> retry_after) {
  Outcome o = OutcomeOf(Err(ErrorCode::kRateLimited, sevdesk_reason::kRateLimited));
  o.retry_after = retry_after;
  return o;
}

Outcome TransferredEndingRejections() {
  Outcome o = Transferred("55", "In sevdesk als Beleg 55 gespeichert.");
  o.ends_rejection_row = true;
  return o;
}

std::vector<Row> Rows() {
  using C = ConnectionChange;
  using S = TransferState;
  return {
      {"401 pauses the school, no attempt spent",
       OutcomeOf(Err(ErrorCode::kUnauthenticated, sevdesk_reason::kAuth)), 2, S::kQueued, 1, 0ms,
       "auth", "paused", C::kPauseAuth, Write::kRelaxed},
      {"403 pauses the school, no attempt spent",
       OutcomeOf(Err(ErrorCode::kForbidden, sevdesk_reason::kForbidden)), 2, S::kQueued, 1, 0ms,
       "auth", "paused", C::kPauseAuth, Write::kRelaxed},
      {"429 with Retry-After waits exactly that long", RateLimited(30s), 2, S::kQueued, 1, 30'000ms,
       "rate_limited", "rate_limited", C::kThrottle, Write::kRelaxed},
      {"429 gives back the attempt even at the limit", RateLimited(5s), 3, S::kQueued, 2, 5'000ms,
       "rate_limited", "rate_limited", C::kThrottle, Write::kRelaxed},
      {"422 fails for good and counts towards the breaker",
       OutcomeOf(Err(ErrorCode::kInvalidArgument, sevdesk_reason::kRejected)), 2, S::kFailed, 2,
       std::nullopt, "rejected", "failed", C::kCountRejection, Write::kRelaxed},
      {"a contact gone is a rejection too",
       OutcomeOf(Err(ErrorCode::kInvalidArgument, sevdesk_reason::kContactGone)), 2, S::kFailed, 2,
       std::nullopt, "rejected", "failed", C::kCountRejection, Write::kRelaxed},
      {"time-out of a read is retried",
       OutcomeOf(Err(ErrorCode::kUnavailable, sevdesk_reason::kTimeout)), 2, S::kRetryWait, 2,
       std::nullopt, "unavailable", "retry_scheduled", C::kNone, Write::kRelaxed},
      {"an uncertain create is retried (and looked up then)",
       OutcomeOf(Err(ErrorCode::kUnavailable, sevdesk_reason::kUncertain)), 2, S::kRetryWait, 2,
       std::nullopt, "uncertain", "retry_scheduled", C::kNone, Write::kRelaxed},
      {"the last attempt's uncertain outcome fails",
       OutcomeOf(Err(ErrorCode::kUnavailable, sevdesk_reason::kUncertain)), 3, S::kFailed, 3,
       std::nullopt, "uncertain", "failed", C::kNone, Write::kRelaxed},
      {"our own storage is retried like sevdesk's outage",
       OutcomeOf(Err(ErrorCode::kUnavailable, "database_busy")), 1, S::kRetryWait, 1, std::nullopt,
       "unavailable", "retry_scheduled", C::kNone, Write::kRelaxed},
      {"stopping puts it back unchanged", OutcomeOf(Err(ErrorCode::kUnavailable, kStoppingReason)),
       2, S::kQueued, 1, 0ms, "", "waiting", C::kNone, Write::kRelaxed},
      {"a paused connection waits without a call", EndedAs(Ending::kConnectionPaused), 2,
       S::kQueued, 1, 0ms, "auth", "waiting", C::kNone, Write::kRelaxed},
      {"a look-up inside the settle time waits until it is over", Settling(kNow + 45s), 2,
       S::kQueued, 1, 45'000ms, "settling", "waiting", C::kNone, Write::kRelaxed},
      {"an unreadable receipt fails for good", EndedAs(Ending::kUnreadable), 2, S::kFailed, 2,
       std::nullopt, "internal", "failed", C::kNone, Write::kRelaxed},
      {"transferred: one completion, not waited for",
       Transferred("55", "In sevdesk als Beleg 55 gespeichert."), 2, S::kTransferred, 2,
       std::nullopt, "", "transferred", C::kNone, Write::kComplete},
      {"transferred after rejections: ends their row", TransferredEndingRejections(), 2,
       S::kTransferred, 2, std::nullopt, "", "transferred", C::kEndRejectionRow, Write::kRelaxed},
      {"lease lost: nothing is written", OutcomeOf(Err(ErrorCode::kConflict, kLeaseLostReason)), 2,
       S::kRunning, 2, std::nullopt, "", "", C::kNone, Write::kNothing},
  };
}

TEST(TransferPolicy, EveryEndingHasItsNextState) {
  for (const Row& row : Rows()) {
    SCOPED_TRACE(row.name);
    SeededRandom random(5);
    const Decision d = Decide(Running(row.attempts), row.outcome, kNow, Settings(), random);
    EXPECT_EQ(d.transfer.state, row.state);
    EXPECT_EQ(d.transfer.attempts, row.attempts_after);
    if (row.due_in) {
      EXPECT_EQ(d.transfer.next_attempt_at - kNow, *row.due_in);
    }
    EXPECT_EQ(d.transfer.last_error_code, row.code);
    EXPECT_EQ(d.events.empty() ? std::string{} : d.events.back().kind, row.event);
    EXPECT_EQ(d.connection.change, row.connection);
    EXPECT_EQ(d.write, row.write);
    if (row.write != Write::kNothing) {
      // Whatever the decision, the worker lets go of the transfer.
      EXPECT_TRUE(d.transfer.lease_owner.empty());
      EXPECT_FALSE(d.transfer.lease_until);
    }
  }
}

TEST(TransferPolicy, RetriesBackOffWithFullJitterAndHonourRetryAfter) {
  for (int attempts = 1; attempts < Settings().max_attempts; ++attempts) {
    SeededRandom random(static_cast<std::uint64_t>(attempts));
    const Decision d =
        Decide(Running(attempts), OutcomeOf(Err(ErrorCode::kUnavailable, sevdesk_reason::kError)),
               kNow, Settings(), random);
    EXPECT_LE(d.transfer.next_attempt_at - kNow, 1'000ms * (1 << (attempts - 1)));
  }
  Outcome slow = OutcomeOf(Err(ErrorCode::kUnavailable, sevdesk_reason::kError));
  slow.retry_after = 120s;
  SeededRandom random(1);
  EXPECT_EQ(Decide(Running(1), slow, kNow, Settings(), random).transfer.next_attempt_at - kNow,
            120'000ms);
}

TEST(TransferPolicy, RepeatedTooManyRequestsBackOffFurther) {
  // Without Retry-After: full jitter over base * 2^(streak-1), plus half a second.
  for (int streak = 1; streak <= 6; ++streak) {
    SeededRandom random(9);
    Outcome o = RateLimited(std::nullopt);
    o.throttle_streak = streak;
    const auto wait =
        Decide(Running(), o, kNow, Settings(), random).transfer.next_attempt_at - kNow;
    EXPECT_GE(wait, 500ms);
    EXPECT_LE(wait,
              500ms + std::min<std::chrono::milliseconds>(1'000ms * (1 << (streak - 1)), 60'000ms));
  }
}

TEST(TransferPolicy, TheRejectionPhaseAndHint) {
  SeededRandom random(1);
  Outcome o = OutcomeOf(Err(ErrorCode::kInvalidArgument, sevdesk_reason::kContactGone,
                            "No Model_Contact with the id 9 was found"));
  o.hint = "Der Kunde ist in sevdesk nicht (mehr) vorhanden.";
  const Decision d = Decide(Running(), o, kNow, Settings(), random);
  EXPECT_EQ(d.transfer.phase, TransferPhase::kNone);  // refused: nothing was created
  EXPECT_EQ(d.transfer.last_error_message,
            "sevdesk hat den Beleg abgelehnt: No Model_Contact with the id 9 was found");
  EXPECT_EQ(d.transfer.last_error_hint, o.hint);
}

TEST(TransferPolicy, ARetryKeepsThePostingMarkForTheLookUp) {
  SeededRandom random(1);
  const Decision d =
      Decide(Running(), OutcomeOf(Err(ErrorCode::kUnavailable, sevdesk_reason::kUncertain)), kNow,
             Settings(), random);
  EXPECT_EQ(d.transfer.phase, TransferPhase::kPosting);
  EXPECT_EQ(d.transfer.create_sent_at, kNow - 1s);
}

TEST(TransferPolicy, ADifferentSumIsTransferredWithAWarning) {
  SeededRandom random(1);
  const Decision d = Decide(Running(), Transferred("55", "gespeichert", "Brutto 119,60 € ..."),
                            kNow, Settings(), random);
  EXPECT_EQ(d.transfer.state, TransferState::kTransferred);
  EXPECT_EQ(d.transfer.voucher_id, "55");
  EXPECT_EQ(d.transfer.phase, TransferPhase::kNone);
  EXPECT_EQ(d.transfer.transferred_at, kNow);
  EXPECT_EQ(d.transfer.last_error_code, "sum_mismatch");
  ASSERT_EQ(d.events.size(), 2u);
  EXPECT_EQ(d.events[0].kind, "sum_mismatch");
  EXPECT_EQ(d.events[1].kind, "transferred");
  EXPECT_FALSE(d.log_warning.empty());
}

struct SaveRow {
  const char* name;
  Error error;
  TransferPhase phase;
  bool sent_at_kept;
};

TEST(TransferPolicy, WhatAFailedSaveLeavesOfThePostingMark) {
  const std::vector<SaveRow> rows = {
      {"uncertain: looked up next", Err(ErrorCode::kUnavailable, sevdesk_reason::kUncertain),
       TransferPhase::kPosting, true},
      {"unreachable: never sent", Err(ErrorCode::kUnavailable, sevdesk_reason::kUnreachable),
       TransferPhase::kNone, false},
      {"rejected", Err(ErrorCode::kInvalidArgument, sevdesk_reason::kRejected),
       TransferPhase::kNone, false},
      {"401", Err(ErrorCode::kUnauthenticated, sevdesk_reason::kAuth), TransferPhase::kNone, false},
      {"429", Err(ErrorCode::kRateLimited, sevdesk_reason::kRateLimited), TransferPhase::kNone,
       false},
      {"our database", Err(ErrorCode::kUnavailable, "database_busy"), TransferPhase::kPosting,
       true},
      {"lease lost at the mark", Err(ErrorCode::kConflict, kLeaseLostReason), TransferPhase::kNone,
       true},
  };
  for (const SaveRow& row : rows) {
    SCOPED_TRACE(row.name);
    const Transfer t = AfterFailedSave(Running(), row.error);
    EXPECT_EQ(t.phase, row.phase);
    EXPECT_EQ(t.create_sent_at.has_value(), row.sent_at_kept);
  }
}

TEST(TransferPolicy, OutcomesOfErrors) {
  EXPECT_EQ(OutcomeOf(Err(ErrorCode::kInternal, "internal")).ending, Ending::kTransient);
  EXPECT_FALSE(OutcomeOf(Err(ErrorCode::kUnavailable, sevdesk_reason::kError)).uncertain);
  EXPECT_TRUE(OutcomeOf(Err(ErrorCode::kUnavailable, sevdesk_reason::kUncertain)).uncertain);
  Error throttled = Err(ErrorCode::kRateLimited, sevdesk_reason::kRateLimited);
  throttled.retry_after = 7s;
  EXPECT_EQ(OutcomeOf(throttled).retry_after, 7s);
  EXPECT_TRUE(CertainlyNotApplied(Err(ErrorCode::kUnavailable, sevdesk_reason::kUnreachable)));
  EXPECT_FALSE(CertainlyNotApplied(Err(ErrorCode::kUnavailable, sevdesk_reason::kUncertain)));
  EXPECT_TRUE(IsRejection(Err(ErrorCode::kInvalidArgument, sevdesk_reason::kFileGone),
                          sevdesk_reason::kFileGone));
  EXPECT_FALSE(IsRejection(Err(ErrorCode::kUnavailable, sevdesk_reason::kFileGone),
                           sevdesk_reason::kFileGone));
}

TEST(TransferPolicy, ConnectionEffects) {
  const SevdeskSettings s = Settings();
  SevdeskConnection c;
  ApplyConnectionEffect({ConnectionChange::kPauseAuth, "Token abgelehnt", {}}, c, kNow, s);
  EXPECT_EQ(c.state, ConnectionState::kPausedAuth);
  EXPECT_EQ(c.paused_reason, "Token abgelehnt");
  EXPECT_EQ(c.updated_at, kNow);
  ApplyConnectionEffect({ConnectionChange::kThrottle, {}, kNow + 5s}, c, kNow, s);
  EXPECT_EQ(c.throttled_until, kNow + 5s);
  // The breaker: after `breaker_threshold` rejections in a row the school pauses a while.
  ApplyConnectionEffect({ConnectionChange::kCountRejection, {}, {}}, c, kNow, s);
  EXPECT_EQ(c.consecutive_rejections, 1);
  EXPECT_FALSE(c.breaker_until);
  ApplyConnectionEffect({ConnectionChange::kCountRejection, {}, {}}, c, kNow, s);
  EXPECT_EQ(c.consecutive_rejections, 0);
  EXPECT_EQ(c.breaker_until, kNow + 15min);
  c.consecutive_rejections = 1;
  ApplyConnectionEffect({ConnectionChange::kEndRejectionRow, {}, {}}, c, kNow, s);
  EXPECT_EQ(c.consecutive_rejections, 0);
}

}  // namespace
}  // namespace hs::app
