#pragma once
// What the crash tests of the sevdesk integration share, whatever the engine and the number of
// processes: a `hundeschule sevdesk-sandbox` process with the standard fault mix, one school
// seeded over the JSON API, the backfill of all its income receipts, and the exact-once checks
// afterwards (one voucher per receipt and one contact per customer in the sandbox, equal sums,
// byte-identical PDFs).
//
// Environment: HS_CRASH_SEED (default: time-based, printed), HS_CRASH_CUSTOMERS (50),
// HS_CRASH_SEARCH_LAG_MS (3000: sevdesk's searches show new objects that much later).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/binary_fixture.hpp"
#include "support/child_process.hpp"

namespace hs::testing {

int EnvInt(const char* name, int fallback);
double Seconds(std::chrono::steady_clock::time_point since);
// Waits for a complete port file ("<port>\n") of `child`; throws when it exits first.
int WaitForPort(ChildProcess& child, const std::string& port_file, const std::string& log);
// The reply's JSON if it has `status`, else throws.
Json Must(const Reply& reply, int status, const std::string& what);

// What the app holds about one income receipt.
struct Expected {
  std::int64_t receipt_id = 0;
  std::int64_t invoice_id = 0;
  std::string number;
  std::int64_t customer_number = 0;
  std::int64_t net = 0, tax = 0, gross = 0;
  std::map<int, std::array<std::int64_t, 3>> groups;  // rate -> net, tax, gross
  std::string file_sha256;
  std::string voucher_id;
  std::string status;
};

class CrashHarness : public ::testing::Test {
 protected:
  static constexpr char kToken[] = "c0ffee00c0ffee00c0ffee00c0ffee00";

  // `dir`: the folder for logs and port files.
  void Init(const std::string& dir, int receipts, int kills);

  void StartSandbox();
  // The app's sevdesk flags of both crash tests: the sandbox, fast pacing, a 600 ms request
  // time-out, up to 60 attempts with a 20 ms backoff base.
  std::vector<std::string> SevdeskFlags() const;
  // 10 % 500s (half after the write), 5 % time-outs (half after the write), 2 % 429s
  // (Retry-After 1 s), 2 % resets, 5 % writes applied and then closed without an answer, 2 %
  // answers cut after the headers, 1 % errors in a 200; a time-out answer is held back 2 s (the
  // app gives up after 600 ms); searches lag `search_lag_ms_`; sums rounded in binary floating
  // point.
  void FaultsOn();
  void FaultsOff();
  Json SandboxAccount();
  std::int64_t SandboxVoucherCount();

  // A logged-in client of the app at `app_url_` (sessions live in the database, so they
  // survive restarts and are valid on every serve).
  std::unique_ptr<ApiClient> Client();
  // `customers_` customers (persons and companies, all with address and e-mail) and `receipts_`
  // finalized invoices with one or two VAT rates, through the JSON API; four clients.
  void Seed();
  // All income receipts of the school (with their invoices' VAT groups of every 10th).
  std::vector<Expected> LoadReceipts(bool with_groups);
  // Token, "Verbindung testen", enable.
  void ConnectSevdesk();
  // Starts the backfill of all income receipts; answers the batch id.
  std::int64_t StartBackfill();
  // Polls the batch until finished; `alive` answers false when a process died by itself.
  Json WaitForBatch(std::int64_t batch_id, const std::function<bool()>& alive);
  // The exact-once checks: every receipt transferred, one voucher each with equal sums and the
  // app's PDF, one contact (one address, one e-mail) per customer.
  void VerifyExactlyOnce();
  // What VerifyExactlyOnce counts (printed as one "[verify]" line; bench/soak.sh reads it).
  struct Tally {
    int receipts = 0, lost = 0, duplicate_vouchers = 0, duplicate_contacts = 0;
    int duplicate_addresses = 0, duplicate_emails = 0, sums_differing = 0;
    int pdfs_checked = 0, pdfs_compared = 0, pdfs_differing = 0;
  };
  // One contact per customer with one address and one e-mail; customerNumber -> contact id.
  std::map<std::string, std::string> VerifyContacts(const Json& account, Tally& tally);
  // The voucher of receipt `e`: its contact, sums per rate and its PDF.
  void VerifyVoucher(const Expected& e, const Json& item,
                     const std::map<std::string, std::string>& contact_by_number, ApiClient& app,
                     Tally& tally);

  // Starts `name` against the PostgreSQL database `database_url` with the crash tests' flags
  // (pool 6, lease 2 s, 2 workers): "worker" runs `worker`, any other name a `serve` that is
  // waited for until healthy and becomes the app at `app_url_`.
  std::unique_ptr<ChildProcess> StartPostgresProcess(const std::string& name,
                                                     const std::string& database_url);

  // The kill loop's pause before the next SIGKILL.
  std::chrono::milliseconds NextPause(int min_ms, int max_ms);
  // Waits for kill `index` (0-based, of kills_): kill points follow the backfill's progress, not
  // the wall clock, so the test means the same on a fast and on a slow machine, and the backfill
  // can never end before the last kill. Kill `index` comes once the sandbox holds
  // (index + 1) / (kills_ + 1) of 90 % of the receipts, after a seeded pause of up to
  // `max_pause_ms` (kills also land during start-up and inside requests). Returns false when
  // `alive` turns false or nothing moved for two minutes (a stall is a bug, reported by the
  // caller).
  bool WaitForKillPoint(int index, int max_pause_ms, const std::function<bool()>& alive);

  std::string dir_;
  std::string app_url_;
  Account account_;
  ApiClient session_{"http://127.0.0.1:1"};
  std::unique_ptr<ChildProcess> sandbox_;
  std::unique_ptr<ApiClient> sandbox_client_;
  std::string sandbox_url_;
  std::uint64_t seed_ = 1;
  int receipts_ = 0;
  int kills_ = 0;
  int customers_ = 50;        // HS_CRASH_CUSTOMERS (the soak, bench/soak.sh: 500)
  int search_lag_ms_ = 3000;  // HS_CRASH_SEARCH_LAG_MS; the app's settle time is 1 s more
  std::mt19937_64 rng_;
};

}  // namespace hs::testing
