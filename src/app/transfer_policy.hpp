#pragma once
// The transfer engine's decisions (ADR 0012): how an attempt ended (Outcome) and what follows
// from it (Decide): the transfer's next state, the events for the receipt's history, the effect
// on the school's connection and how the result is written. Pure: no clock, no database, no
// sevdesk; table-tested in tests/app/transfer_policy_test.cpp.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/sevdesk_ports.hpp"
#include "app/sevdesk_settings.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace hs::app {

// The reasons of errors that the engine itself makes (the gateway's are in sevdesk_reason).
inline constexpr std::string_view kLeaseLostReason = "lease_lost";  // fenced write matched nothing
inline constexpr std::string_view kStoppingReason = "stopping";     // the engine stops
// The code of a transfer that waits for the Kundenabgleich (its receipt: "wartet auf
// Kundenabgleich"); a decision makes it due at once.
inline constexpr std::string_view kAwaitingMatchCode = "awaiting_match";

// The ways an attempt can end.
enum class Ending {
  kTransferred,       // the voucher is in sevdesk: saved now, or adopted after an uncertain save
  kStopped,           // the engine stops before its next call: back to the queue, no attempt spent
  kConnectionPaused,  // our connection is paused or disabled: nothing was sent
  kAwaitingMatch,     // the customer waits for the school's decision in the Kundenabgleich
  kSettling,          // a look-up after an uncertain create found nothing yet (ADR 0010)
  kTokenRefused,      // 401, or the stored token cannot be opened
  kPlanRefused,       // 403: the sevdesk plan has no API access
  kRateLimited,       // 429
  kRejected,          // sevdesk refused the request (another 4xx, no revenue account): permanent
  kTransient,         // unreachable, time-out, 5xx, uncertain, our own storage: retried
  kUnreadable,        // the receipt cannot be read from our database: permanent
  kLeaseLost,         // another process took the transfer over: nothing more is written
};

struct Outcome {
  Ending ending = Ending::kTransient;
  // kRejected, kTransient: the error's message (sevdesk's own text for a rejection).
  // kTransferred: the line for the receipt's history.
  std::string message;
  std::string hint;        // kRejected: a hint more specific than the default one
  bool uncertain = false;  // kTransient: the request may have been applied
  std::optional<std::chrono::seconds> retry_after;  // kRateLimited, kTransient
  Instant until{};          // kSettling: when a look-up that finds nothing becomes conclusive
  std::string voucher_id;   // kTransferred
  std::string sum_warning;  // kTransferred: sevdesk's sums differ from the invoice (ADR 0010)
  // Facts the engine adds before deciding. kTransferred: the school's connection counts
  // rejections in a row, which this success ends. kRateLimited: the school's 429s in a row
  // (this one included), which stretch the backoff when sevdesk sends no Retry-After.
  bool ends_rejection_row = false;
  int throttle_streak = 1;
};

// How a failed call, step or write ends the attempt.
Outcome OutcomeOf(const Error& e);
Outcome EndedAs(Ending ending);
Outcome Settling(Instant until);
Outcome Transferred(std::string voucher_id, std::string message, std::string sum_warning = {});

// The error's request may have reached sevdesk and been applied.
bool IsUncertain(const Error& e);
// sevdesk certainly did not apply the request: it refused it, or it never reached sevdesk.
bool CertainlyNotApplied(const Error& e);
// A 4xx of sevdesk for which the gateway recognised this reason.
bool IsRejection(const Error& e, std::string_view reason);

// What a failed saveVoucher leaves of the transfer's mark "phase = posting" (ADR 0003, 0010):
// the mark stays only where the voucher may have been created (an uncertain outcome), so that
// the next attempt looks it up; the time it was sent is forgotten when it certainly was not
// applied, so that a look-up that finds nothing is conclusive at once.
Transfer AfterFailedSave(Transfer t, const Error& e);

// Full jitter over min(cap, base * 2^(attempt-1)) (AWS architecture blog).
std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, Random& random);

// What a decision changes on the school's connection (read and written in the same transaction).
enum class ConnectionChange {
  kNone,
  kPauseAuth,        // token refused or plan without API: wait for a successful test
  kThrottle,         // 429: no claims for the school until `until`
  kCountRejection,   // a rejection in a row; the breaker pauses the school after several
  kEndRejectionRow,  // a success ends the row of rejections
};

struct ConnectionEffect {
  ConnectionChange change = ConnectionChange::kNone;
  std::string reason;  // kPauseAuth: shown in the banner
  Instant until{};     // kThrottle
};

void ApplyConnectionEffect(const ConnectionEffect& effect, SevdeskConnection& c, Instant now,
                           const SevdeskSettings& settings);

// How the decision is written (ADR 0007, 0008).
enum class Write {
  kNothing,   // the lease was lost: the new owner carries on
  kRelaxed,   // one fenced relaxed transaction: transfer, events, connection effect
  kComplete,  // the usual end: CompleteClaimedTransfer with its events, not waited for
};

struct HistoryEntry {
  std::string kind;     // paused, rate_limited, failed, retry_scheduled, waiting, transferred...
  std::string message;  // German
};

struct Decision {
  Transfer transfer;  // the next state
  std::vector<HistoryEntry> events;
  ConnectionEffect connection;
  Write write = Write::kRelaxed;
  std::string log_warning;  // a line for the operators, empty when none
};

// The transfer engine's state machine: the next state of transfer `t` after an attempt that
// ended as `o`. `random` is drawn only for a backoff (429 without Retry-After, a retry).
Decision Decide(const Transfer& t, const Outcome& o, Instant now, const SevdeskSettings& settings,
                Random& random);

}  // namespace hs::app
