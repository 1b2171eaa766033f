#pragma once
// The transfer engine: workers that claim due transfers with a lease and run the steps
// contact -> upload -> post, each result stored before the next step.
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "app/sevdesk_service.hpp"

namespace hs::app {

// A per-school token bucket (calls per second with a burst).
class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst) : rate_(rate_per_second), burst_(burst) {}
  // How long to wait before a call may go out; reserves the token when the answer is zero.
  std::chrono::milliseconds Reserve(std::int64_t school_id, Instant now);

 private:
  struct Bucket {
    double tokens = 0;
    Instant refilled{};
    bool init = false;
  };
  double rate_;
  double burst_;
  std::mutex mutex_;
  std::map<std::int64_t, Bucket> buckets_;
};

// Full jitter over min(cap, base * 2^(attempt-1)) (AWS architecture blog).
std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, Random& random);

class TransferEngine {
 public:
  explicit TransferEngine(SevdeskService& service);
  ~TransferEngine();
  Status Start();
  void Stop();
  void Wake();
  // Processes one claimed transfer to its next resting state (used by workers and tests).
  void Process(Transfer transfer);
  // Claims and processes due transfers until none is due; returns how many were processed.
  int DrainOnce();

 private:
  void WorkerLoop();
  void HeartbeatLoop();
  void WakeOne();
  bool Stopping() const { return stopping_.load(); }
  Status Pace(std::int64_t school_id);

  SevdeskService& s_;
  std::string owner_;
  RateLimiter limiter_;
  // 429s without Retry-After in a row per school: their backoff grows with the streak (the
  // transfer's own attempt counter is given back on a 429). In memory: a restart starts over.
  std::mutex throttle_mutex_;
  std::map<std::int64_t, int> throttle_streak_;
  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  std::condition_variable idle_cv_;  // idle workers only (wake_cv_ also holds pacing workers)
  std::uint64_t wake_generation_ = 0;
  // Backfill transfers being processed by this engine's workers; they may occupy all workers
  // but one, which stays free for live transfers.
  std::atomic<int> backfill_running_{0};
  std::vector<std::thread> workers_;
  std::thread heartbeat_;
};

}  // namespace hs::app
