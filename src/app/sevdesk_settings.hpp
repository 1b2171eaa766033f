#pragma once
// The transfer engine's settings (command line: --sevdesk-*), apart from the service so that the
// engine's pure parts (transfer_policy.hpp) need nothing else.
#include <chrono>
#include <optional>
#include <string>

namespace hs::app {

struct SevdeskSettings {
  int workers = 4;
  // A claimed transfer's lease, renewed at every stored step and (several processes) by a
  // heartbeat every lease/3. 30 s: a dead process's transfers are taken over within half a
  // minute (docs/operations.md), while a live process can miss two heartbeats (a slow database,
  // a long pause) before another process takes its work over; the one default of the library,
  // the command line (--sevdesk-lease-ms) and the docs.
  std::chrono::milliseconds lease{30'000};
  std::chrono::milliseconds poll_interval{1'000};
  int max_attempts = 10;
  std::chrono::milliseconds backoff_base{2'000};
  std::chrono::milliseconds backoff_cap{10 * 60'000};
  // Per-school token bucket for sevdesk calls. sevdesk publishes no limit but blocks tokens that
  // send many failing requests; 5/s sustained with a burst of 10 is far below what was measured
  // to be accepted (11-18 sequential requests/s).
  double rate_per_second = 5;
  double burst = 10;
  int max_in_flight_per_school = 2;
  int breaker_threshold = 5;  // consecutive rejected requests
  std::chrono::milliseconds breaker_pause{15 * 60'000};
  // Single process (SQLite): every running row of another owner belongs to a dead process.
  bool single_process = true;
  std::string voucher_link_template = "https://my.sevdesk.de/#/ex/detail/id/{id}";
  // After an uncertain create (sent, no certain answer), a look-up that does not find the object
  // counts as "absent" only this long after the create was sent: sevdesk's lists and searches
  // may show a new object later than GET by id does, and a request may be applied up to the
  // client's time-out after it was sent. So it must exceed that time-out (ADR 0010).
  std::chrono::milliseconds settle{60'000};
  // A transfer that waits for the Kundenabgleich is looked at again after this long, in case
  // a decision's wake-up was lost; the decision itself makes it due at once.
  std::chrono::milliseconds match_recheck{24 * 3600'000};
  // ---- Payment sync (issue 16, ADR 0018)
  // Runs with the workers (StartWorkers); every school every this long instead of its own
  // interval when set (benchmarks).
  bool payment_sync = true;
  std::optional<std::chrono::milliseconds> payment_sync_interval;
};

}  // namespace hs::app
