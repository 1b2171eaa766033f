#pragma once
// The transfer engine: workers that claim due transfers with a lease and run the steps
// contact -> upload -> post, each result stored before the next step. The queue lives here; an
// attempt's steps are ContactSync and VoucherTransfer, its decisions transfer_policy.hpp and its
// writes TransferWriter (ADR 0012).
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "app/paced_gateway.hpp"
#include "app/sevdesk_service.hpp"
#include "app/transfer_policy.hpp"
#include "app/transfer_writer.hpp"

namespace hs::app {

class TransferEngine {
 public:
  explicit TransferEngine(SevdeskService& service);
  ~TransferEngine();
  Status Start();
  void Stop();
  // New work is due: wakes an idle worker, which claims for all free workers.
  void Wake();
  // Processes one claimed transfer to its next resting state (used by tests; the workers run
  // the transfers of their claims).
  void Process(Transfer transfer);
  // Claims and processes due transfers until none is due; returns how many were processed.
  int DrainOnce();

 private:
  struct Work;
  struct Claim;
  // Claims up to `limit` due transfers (at most `backfill_limit` backfill) and records "started"
  // in one relaxed transaction; marks them running in this engine and counts the backfill ones
  // in backfill_running_. When nothing is claimable, reads the next due time into `next_due` and
  // releases expired leases (rate-limited) in that transaction instead. `contended`: due work
  // was passed over because another claimer held its school's turn.
  std::vector<Claim> ClaimSome(int limit, int backfill_limit, std::optional<Instant>* next_due,
                               bool* contended = nullptr);
  void WhenNothingClaimable(UnitOfWork& u, Instant now, std::optional<Instant>* next_due);
  // Reads what a claimed transfer needs (its own read transaction, outside the claim's).
  void LoadClaim(Claim& claim);
  Status Load(UnitOfWork& uow, const Transfer& t, Work& w);
  // One attempt of a claimed transfer: its steps, then the policy's decision, stored.
  void Run(Claim claim);
  Outcome Attempt(Claim& claim, TransferWriter& writer);
  // Before the first call: the load, our side of the connection, the token, "started".
  std::optional<Outcome> Prepare(Claim& claim, TransferWriter& writer);
  std::optional<Outcome> AwaitMatch(Claim& claim, TransferWriter& writer, PacedGateway& gateway);
  Outcome RunReplacedSteps(Claim& claim, TransferWriter& writer);
  void Finish(TransferWriter& writer, Outcome outcome, const SevdeskConnection& connection,
              const std::string& school_class);
  // The claim's duration and every claimed transfer's delay since it was due (/metrics).
  void ObserveClaim(const std::vector<Claim>& claims, Instant now,
                    std::chrono::steady_clock::duration took);
  // The transfers this engine's workers run right now or will run next (each at most once, see
  // ClaimSome).
  bool MarkRunning(std::int64_t transfer_id);
  void UnmarkRunning(std::int64_t transfer_id);
  static std::string StartedMessage(const std::string& attempt);
  std::chrono::milliseconds RecoveryPeriod() const;
  void WorkerLoop();
  // The claim of a free worker for every free worker (`lock` holds wake_mutex_; released while
  // the claim runs): its claims go to ready_, and the retry state is set for the next claim.
  void ClaimForFreeWorkers(std::unique_lock<std::mutex>& lock, int backfill_share);
  void HeartbeatLoop();
  void WakeIdleWorker();
  bool Stopping() const { return stopping_.load(); }
  // Under wake_mutex_: workers waiting for work that no claim in ready_ is meant for.
  int FreeWorkers() const;
  // 429s of a school in a row (this one counted) and their end by a success.
  int CountThrottle(std::int64_t school_id);
  void EndThrottle(std::int64_t school_id);

  // Pacing waits on wake_cv_, so that a stop ends the wait at once.
  class WakeSleeper final : public Sleeper {
   public:
    explicit WakeSleeper(TransferEngine& engine) : engine_(engine) {}
    bool Stopping() const override { return engine_.Stopping(); }
    void Sleep(std::chrono::milliseconds how_long) override;

   private:
    TransferEngine& engine_;
  };

  SevdeskService& s_;
  std::string owner_;
  RateLimiter limiter_;
  WakeSleeper sleeper_{*this};
  // 429s without Retry-After in a row per school: their backoff grows with the streak (the
  // transfer's own attempt counter is given back on a 429). In memory: a restart starts over.
  std::mutex throttle_mutex_;
  std::map<std::int64_t, int> throttle_streak_;
  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;    // pacing workers and the heartbeat (stop)
  std::condition_variable work_cv_;    // idle workers: new work, a claim's end, stop
  std::uint64_t wake_generation_ = 0;  // bumped by new work and by a worker that became free
  std::vector<Claim> ready_;           // claimed for free workers, not yet taken (oldest first)
  int idle_workers_ = 0;               // free workers (the one claiming included)
  bool claiming_ = false;              // a worker claims right now (one at a time)
  // After a claim that found less than it asked for: the generation it started at; the next
  // claim waits for a newer one or for retry_at_. Claims in a row that found due work not
  // claimable right then: their retries wait 1, 2, 4 ... ms.
  std::optional<std::uint64_t> short_at_;
  std::chrono::steady_clock::time_point retry_at_{};
  int claim_misses_ = 0;
  // Backfill transfers being processed by this engine's workers; they may occupy all workers
  // but one, which stays free for live transfers.
  std::atomic<int> backfill_running_{0};
  // Unix ms before which no worker of this engine looks for expired leases again (lease/3).
  std::atomic<std::int64_t> next_recovery_ms_{0};
  std::mutex running_mutex_;
  std::set<std::int64_t> running_;
  std::vector<std::thread> workers_;
  std::thread heartbeat_;
};

}  // namespace hs::app
