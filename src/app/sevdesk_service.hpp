#pragma once
// The sevdesk integration's use cases: connect and test, automatic transfer on finalize (the
// outbox hook), bulk transfers, status and history, and the transfer engine.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/contact_matching_service.hpp"
#include "app/payment_sync_service.hpp"
#include "app/ports.hpp"
#include "app/services.hpp"
#include "app/sevdesk_settings.hpp"
#include "app/transfer_metrics.hpp"
#include "core/clock.hpp"

namespace hs::app {

// What the API shows of a connection (the token only masked).
struct ConnectionView {
  bool has_token = false;
  std::string token_masked;  // "••••••••3f2a"
  bool enabled = false;
  std::string state;  // "not_configured" | "ok" | "paused"
  std::string paused_reason;
  std::optional<std::int64_t> revenue_account_id;
  std::optional<Date> transfer_start_date;
  std::optional<Instant> last_test_at;
  bool last_test_ok = false;
  std::string last_test_outcome;
  std::string last_test_message;
  std::string bookkeeping_version;
  std::string sevdesk_user;
  std::string sevdesk_tax_mode;
  std::vector<RevenueAccount> revenue_accounts;
};

struct ConnectionUpdate {
  std::optional<std::string> token;  // empty string removes the token
  std::optional<bool> enabled;
  std::optional<std::optional<std::int64_t>> revenue_account_id;
  std::optional<std::optional<Date>> transfer_start_date;
};

struct TestResult {
  bool ok = false;
  // connected | no_token | token_invalid | no_api_access | bookkeeping_v1 | tax_mode_mismatch |
  // unreachable | timeout | sevdesk_error
  std::string outcome;
  std::string message;  // German
  std::string bookkeeping_version;
  std::string sevdesk_user;
  std::string sevdesk_tax_mode;
  std::vector<RevenueAccount> revenue_accounts;
};

// The connection test's verdict, pure (table-tested in tests/app/connection_test_verdict_test.cpp):
// for an inspection that failed, and for the account sevdesk described.
TestResult TestResultOfFailure(const Error& e);
TestResult TestResultOfAccount(const SevdeskAccountInfo& info, domain::TaxMode school_tax_mode);

struct BatchRequest {
  std::vector<std::int64_t> receipt_ids;  // explicit selection, or
  bool use_filter = false;                // all income receipts not yet transferred in a range
  std::optional<Date> from;
  std::optional<Date> to;
};

struct SkippedReceipt {
  std::int64_t receipt_id = 0;
  std::string reason;  // already_transferred | already_queued | expense | not_found
  std::string message;
};

struct BatchCreated {
  std::int64_t batch_id = 0;
  std::int64_t queued = 0;
  std::vector<SkippedReceipt> skipped;
};

struct BatchStatus {
  BatchProgress progress;
  std::int64_t total = 0;
  std::int64_t done = 0;
  std::int64_t remaining = 0;
  std::optional<std::int64_t> eta_seconds;
};

// The status object of one receipt as the list and the detail view show it.
struct ReceiptSevdeskStatus {
  std::string status;  // not_transferred | queued | in_progress | transferred | failed | waiting
  std::optional<Transfer> transfer;
  std::string voucher_link;
  // ---- Payment sync (issue 16): what the sync last read of the voucher (none before).
  std::optional<VoucherState> voucher_state;
  std::string hint;             // German: what to do about a voucher deleted or changed in sevdesk
  bool retransferable = false;  // deleted in sevdesk: "Erneut übertragen"
};

struct TransferHistory {
  ReceiptSevdeskStatus status;
  std::vector<TransferEvent> events;
};

class TransferEngine;

// What a worker does with a claimed transfer in place of the sevdesk steps: answers the voucher id
// or an error, which the engine handles as a failed sevdesk call (retry, pause, rejection).
using TransferStep = std::function<Result<std::string>(const Transfer&)>;

class SevdeskService final : public FinalizeHook {
 public:
  SevdeskService(Database& db, const Clock& clock, Random& random, const Crypto& crypto,
                 const SecretSealer& sealer, SevdeskGateway& gateway, SevdeskSettings settings,
                 TransferMetrics* metrics = nullptr);
  ~SevdeskService() override;

  Result<ConnectionView> GetConnection(std::int64_t school_id);
  Result<ConnectionView> UpdateConnection(const Principal& who, const ConnectionUpdate& update);
  Result<TestResult> Test(const Principal& who);

  // Kundenabgleich (issue 15): the review list, its decisions and the matching runs.
  ContactMatchingService& Matching() { return *matching_; }
  // Zahlungsabgleich (issue 16): the paid status read back from sevdesk.
  PaymentSyncService& PaymentSync() { return *payment_sync_; }

  Result<BatchCreated> CreateBatch(const Principal& who, const BatchRequest& request);
  Result<BatchStatus> GetBatch(std::int64_t school_id, std::int64_t batch_id);
  Result<TransferHistory> History(std::int64_t school_id, std::int64_t receipt_id);
  // A failed transfer again, or (issue 16) a transferred receipt whose voucher the school
  // deleted in sevdesk: transferred anew, never while its voucher is there (a duplicate).
  Result<TransferHistory> Retry(std::int64_t school_id, std::int64_t receipt_id);
  // Whether the school's pending transfers currently wait for the connection (banner).
  Result<bool> IsPaused(std::int64_t school_id);
  // For /metrics: receipts in sevdesk with other sums than their invoice (ADR 0010).
  Result<std::int64_t> CountSumMismatches();
  // At scrape time: sets the gauges of `metrics` (transfers by state, the oldest unfinished
  // one's age, paused connections, sum mismatches) from one read transaction.
  Status CollectMetrics();
  ReceiptSevdeskStatus StatusOf(const std::optional<Transfer>& transfer, bool paused,
                                const std::optional<VoucherState>& voucher_state = {}) const;
  std::vector<RevenueAccount> RevenueAccounts(const SevdeskConnection& connection) const;

  // FinalizeHook: the outbox row is written in the finalizing transaction.
  Status OnIncomeReceipt(UnitOfWork& uow, const domain::Invoice& invoice,
                         std::int64_t receipt_id) override;
  void AfterCommit() override;

  // Engine lifecycle (serve and worker roles).
  Status StartWorkers();
  void StopWorkers();  // finishes the current step of every worker, then joins
  void Wake();
  // Before StartWorkers: the engine runs `step` instead of the sevdesk steps, and skips loading
  // the receipt. The claim, wake-up, lease, fencing, completion and history stay the engine's:
  // this measures the queue alone beside other queues' no-op jobs (bench/queue_bench.cpp).
  void ReplaceTransferStepsForBenchmark(TransferStep step);

 private:
  Status RequeueDeleted(UnitOfWork& uow, Transfer t, const VoucherState& state);
  Result<TestResult> StoreTestResult(std::int64_t school_id, const SevdeskConnection& tested,
                                     const std::string& token, bool inspected, TestResult r);
  friend class TransferEngine;

  // What a worker does with a claimed transfer in place of the sevdesk steps: answers the voucher
  // id or an error, which the engine handles as a failed sevdesk call (retry, pause, rejection).
  using TransferStep = std::function<Result<std::string>(const Transfer&)>;
  Database& db_;
  const Clock& clock_;
  Random& random_;
  const Crypto& crypto_;
  const SecretSealer& sealer_;
  SevdeskGateway& gateway_;
  SevdeskSettings settings_;
  TransferMetrics* metrics_;  // null when not measured
  TransferStep replaced_steps_;
  std::unique_ptr<ContactMatchingService> matching_;
  std::unique_ptr<TransferEngine> engine_;
  std::unique_ptr<PaymentSyncService> payment_sync_;
  std::mutex eta_mutex_;
  std::map<std::int64_t, std::pair<Instant, std::int64_t>> eta_samples_;  // batch -> first seen
};

}  // namespace hs::app
