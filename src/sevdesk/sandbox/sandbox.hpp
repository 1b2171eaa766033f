#pragma once
// A faithful, offline emulation of the parts of the sevdesk REST API v1 that hundeschule uses
// (contacts, revenue vouchers with their PDF), with per-account settings and injectable faults.
// It serves real HTTP so the production connector can be tested unchanged, and it backs the demo
// ("watch the invoices arrive in sevdesk"). See docs/sevdesk-sandbox.md.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace hs::sevdesk::sandbox {

enum class TaxMode { kRegular, kKleinunternehmer };

// Which requests a fault applies to.
enum class FaultScope { kAll, kReads, kWrites };

// One way of failing; "after write" means the change is applied and stored, only the answer fails.
enum class FaultKind {
  kNone,
  kError500,
  kError500AfterWrite,
  kTimeout,  // the answer does not come before FaultSettings::timeout_duration
  kTimeoutAfterWrite,
  kRateLimited,              // 429 with Retry-After
  kRateLimitedNoRetryAfter,  // 429 without Retry-After
  kReset,                    // connection closed mid-answer
  kResetAfterWrite,
  kErrorBody200,         // HTTP 200 with an error envelope (write not applied)
  kCloseAfterWrite,      // connection closed before a single byte of the answer
  kTruncatedAfterWrite,  // status line, headers with the full Content-Length, half the body
};

// How saveVoucher rounds position sums to cents.
enum class Rounding {
  kDecimal,  // exact decimal arithmetic, half up (like sevdesk)
  kBinary,   // like naive code computing in IEEE double (100.50 net at 19 % -> tax 19.09)
};

std::string_view RoundingName(Rounding rounding);  // "decimal", "binary"
std::optional<Rounding> ParseRounding(std::string_view name);

std::string_view FaultKindName(FaultKind kind);  // "error_500_after_write", ...
std::optional<FaultKind> ParseFaultKind(std::string_view name);

// Probabilities are in [0, 1]; one seeded draw per matching request picks at most one fault.
struct FaultSettings {
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds jitter{0};  // uniform extra 0..jitter
  double error_500 = 0;
  double error_500_after_write = 0;
  double timeout = 0;
  double timeout_after_write = 0;
  double rate_limited = 0;
  double rate_limited_no_retry_after = 0;
  double reset = 0;
  double reset_after_write = 0;
  double error_body_200 = 0;
  double close_after_write = 0;
  double truncated_after_write = 0;
  int retry_after_seconds = 2;
  // Per-token rate limit (fixed window); 0 = unlimited. Exceeding it answers 429 + Retry-After.
  int rate_limit_requests = 0;
  std::chrono::milliseconds rate_limit_window{1000};
  // How long a "time-out" answer is held back (ends early when the sandbox stops).
  std::chrono::milliseconds timeout_duration{30000};
  FaultScope scope = FaultScope::kAll;
  // Only requests whose route (e.g. "POST /Voucher/Factory/saveVoucher") contains this text.
  std::string endpoint;
  // Account behaviour, not drawn and independent of scope and endpoint: list and search answers
  // show a create or change only this long after it (GET /X/{id} at once).
  std::chrono::milliseconds search_lag{0};
  Rounding rounding = Rounding::kDecimal;

  bool AnyProbability() const;
};

// Sets one field from "key=value" (keys as in the admin JSON, e.g. "error_500=0.1",
// "latency_ms=50", "scope=writes"). Used by the CLI flags.
Status ApplyFaultAssignment(std::string_view key_value, FaultSettings& faults);
std::string FaultKeysHelp();

struct AccountSettings {
  std::string token;  // the Authorization header value (real tokens: 32 lowercase hex chars)
  std::string name = "Sandbox GmbH";  // company name shown in the view
  TaxMode tax_mode = TaxMode::kRegular;
  std::string bookkeeping_version = "2.0";  // "2.0" or "1.0"
  // false models a plan below "Buchhaltung Pro": every API call answers 403 (assumption, see docs).
  bool api_access = true;
  std::optional<FaultSettings> faults;  // replaces the global faults for this account when set
  // Existing contacts to seed a new account with: a JSON array (docs: "Seeding contacts").
  // Applied once when the account is added; an account kept from the state file is not reseeded.
  std::string seed_contacts;
};

struct SandboxSettings {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port
  std::vector<AccountSettings> accounts;
  FaultSettings faults;  // global
  std::uint64_t seed = 1;
  std::string state_file;  // empty: in memory only
  std::size_t server_threads = 64;
  std::shared_ptr<const Clock> clock;  // default: system clock
};

// Reads {"accounts":[...], "faults":{...}, "seed":N} and appends/overrides `settings`.
Status LoadConfigFile(const std::string& path, SandboxSettings& settings);

class Sandbox {
 public:
  explicit Sandbox(SandboxSettings settings);
  ~Sandbox();  // stops
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Loads the state file (if any), binds and serves in a background thread; returns the port.
  Result<int> Start();
  void Stop();
  int port() const;
  std::string BaseUrl() const;  // "http://127.0.0.1:PORT"

  // kConflict if the token exists already. Thread-safe, also while serving.
  Status AddAccount(const AccountSettings& account);
  Status SetGlobalFaults(const FaultSettings& faults);
  // `account` is a token or the numeric SevClient id; nullopt clears the account's own faults.
  Status SetAccountFaults(std::string_view account, std::optional<FaultSettings> faults);
  // The next `count` matching requests fail with `kind` (deterministic, independent of the seed).
  // Empty `account` = any account.
  void InjectNext(FaultKind kind, int count, FaultScope scope = FaultScope::kAll,
                  std::string endpoint = {}, std::string account = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hs::sevdesk::sandbox
