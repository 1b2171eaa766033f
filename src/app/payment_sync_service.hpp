#pragma once
// The payment sync (issue 16, ADR 0018): brings the paid status of the transferred receipts back
// from sevdesk, per school, on a schedule and on demand ("Jetzt abgleichen"). One run takes the
// school's lease, reads the vouchers changed since the last read (or all of them), confirms the
// ones missing from a full read one by one, and writes only what changed, in one transaction
// with the run's outcome (fenced by the lease). Read-only towards sevdesk.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "app/paced_gateway.hpp"
#include "app/payment_sync_plan.hpp"
#include "app/ports.hpp"
#include "app/services.hpp"
#include "app/sevdesk_ports.hpp"
#include "core/clock.hpp"

namespace hs::app {

struct PaymentSyncSettings {
  // Unique per process: the lease's owner.
  std::string owner = "payment-sync";
  // A run holds the school's lease this long at most (a crashed run's lease expires).
  std::chrono::milliseconds lease{10 * 60'000};
  // The scheduler looks at the schedule at least this often (requests made in another process).
  std::chrono::milliseconds poll{30'000};
  // The sync's own per-school bucket, apart from the transfers' (it never takes their turn).
  // No burst: a read of many pages is background work and is spread out evenly.
  double rate_per_second = 2;
  double burst = 1;
  // At most this many vouchers missing from a full read are confirmed per run; the rest in the
  // next run, which then reads all again.
  int max_confirmations = 50;
  int page_size = kVoucherPageSize;
  // Every school every this long instead of its own interval (benchmarks).
  std::optional<std::chrono::milliseconds> fixed_interval;
};

// What the API shows of a school's payment sync.
struct PaymentSyncView {
  bool available = false;  // an active connection: the sync runs
  int interval_minutes = kPaymentSyncDefaultInterval;
  std::optional<Instant> last_sync_at;
  bool last_sync_ok = false;
  int last_requests = 0;
  int last_vouchers = 0;
  std::string last_error;
  std::optional<Instant> next_due_at;
  bool running = false;
  bool requested = false;
};

// One run's outcome (tests, benchmarks).
struct PaymentSyncRun {
  bool ran = false;  // false: another run held the school's lease
  bool full = false;
  int requests = 0;
  int vouchers = 0;   // listed by sevdesk
  int written = 0;    // states written
  int deleted = 0;    // confirmed deleted in this run
  std::string error;  // German; empty when it went well
};

class PaymentSyncService {
 public:
  PaymentSyncService(Database& db, const Clock& clock, const SecretSealer& sealer,
                     SevdeskGateway& gateway, PaymentSyncSettings settings = {});
  ~PaymentSyncService();

  Result<PaymentSyncView> State(std::int64_t school_id);
  // The interval (owner only; kPaymentSyncMinInterval..kPaymentSyncMaxInterval minutes).
  Result<PaymentSyncView> UpdateSettings(const Principal& who, int interval_minutes);
  // "Jetzt abgleichen": a full read, as soon as the scheduler gets to it.
  Result<PaymentSyncView> RequestSync(const Principal& who);

  // One run for the school, now (the scheduler's step; tests and benchmarks call it directly).
  Result<PaymentSyncRun> SyncSchool(std::int64_t school_id);
  // Runs every due school once; answers when the next one is due.
  std::optional<Instant> RunDue();

  Status Start();
  void Stop();
  void Wake();

 private:
  struct Claimed;
  Result<std::optional<Claimed>> Claim(std::int64_t school_id, Instant now);
  void Read(const Claimed& claimed, PaymentSyncRun& run, PaymentSyncState& outcome,
            PaymentSyncPlan& plan);
  void Confirm(const Claimed& claimed, PaymentSyncRun& run, PaymentSyncState& outcome,
               PaymentSyncPlan& plan);
  Result<bool> Store(const Claimed& claimed, const PaymentSyncState& outcome,
                     const PaymentSyncPlan& plan);
  Status Pace(std::int64_t school_id);
  PaymentSyncView ToView(const PaymentSyncState& s, bool available, Instant now) const;
  void Loop();

  class StopSleeper final : public Sleeper {
   public:
    explicit StopSleeper(PaymentSyncService& s) : s_(s) {}
    bool Stopping() const override { return s_.stopping_.load(); }
    void Sleep(std::chrono::milliseconds how_long) override;

   private:
    PaymentSyncService& s_;
  };

  Database& db_;
  const Clock& clock_;
  const SecretSealer& sealer_;
  SevdeskGateway& gateway_;
  PaymentSyncSettings settings_;
  SystemClock pacing_clock_;  // pacing is about real requests in real time
  RateLimiter limiter_;
  StopSleeper sleeper_{*this};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t wakes_ = 0;
  std::thread thread_;
  // Schools whose run could not be stored (e.g. the database failed): not before this again, so
  // that a lasting failure does not turn into a loop of requests to sevdesk. Scheduler only.
  std::map<std::int64_t, Instant> backoff_;
};

}  // namespace hs::app
