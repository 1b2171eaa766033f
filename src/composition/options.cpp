#include "composition/options.hpp"

#include <CLI/CLI.hpp>

namespace hs::composition {

void AddDatabaseOptions(CLI::App& cmd, DatabaseSettings& s) {
  cmd.add_option("--database", s.url, "sqlite:PATH or postgresql://USER@HOST:PORT/DB")
      ->capture_default_str();
  cmd.add_option("--db-pool-size", s.pool_size,
                 "PostgreSQL: pooled connections of this process (plus one for LISTEN)")
      ->capture_default_str();
}

void AddKeyOption(CLI::App& cmd, KeySettings& s) {
  cmd.add_option("--key-file", s.key_file,
                 "File with the key that encrypts sevdesk tokens (created 0600 if missing; "
                 "default: secret.key next to the database, or $HS_SECRET_KEY_FILE)");
}

void AddHttpOptions(CLI::App& cmd, HttpSettings& s) {
  cmd.add_option("--listen", s.listen, "HOST:PORT (port 0 picks a free port)")
      ->capture_default_str();
  cmd.add_option("--port-file", s.port_file, "Write the bound port to this file");
  cmd.add_flag("--secure-cookies", s.secure_cookies,
               "Mark the session cookie Secure (when served over TLS)");
  cmd.add_option("--threads", s.threads, "HTTP worker threads")->capture_default_str();
  cmd.add_option("--font-dir", s.font_dir, "Folder with DejaVuSans.ttf")->capture_default_str();
  cmd.add_option("--password-cost", s.password_cost,
                 "argon2id cost: moderate, interactive, minimum (tests only)")
      ->capture_default_str();
  cmd.add_option("--max-password-checks", s.max_password_checks,
                 "Password checks at once; each needs the memory of one argon2id hash "
                 "(256 MiB at the moderate cost), further logins wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd.add_option("--trusted-proxy", s.trusted_proxies,
                 "Address of a reverse proxy whose X-Forwarded-For names the client "
                 "(repeatable; for the login throttling)");
}

namespace {

// What keeps sevdesk writes exactly once on a real network (ADR 0010).
void AddWriteSafetyOptions(CLI::App& cmd, TransferSettings& s) {
  cmd.add_option("--sevdesk-settle-ms", s.settle_ms,
                 "After an uncertain create, how long a look-up that finds nothing is not yet "
                 "conclusive (sevdesk's search lag; at least --sevdesk-timeout-ms)")
      ->capture_default_str();
  cmd.add_option("--sevdesk-write-connection", s.write_connection,
                 "reuse: writes reuse a connection idle at most 2 s; fresh: a new connection "
                 "per write. Either way a write is never re-sent silently")
      ->capture_default_str();
  cmd.add_option("--sevdesk-proxy", s.proxy,
                 "HTTP proxy for sevdesk (the environment's proxy is never used)");
}

}  // namespace

void AddTransferOptions(CLI::App& cmd, TransferSettings& s) {
  cmd.add_option("--sevdesk-base-url", s.sevdesk_base_url,
                 "sevdesk API base URL (the sandbox's for tests and demos)")
      ->capture_default_str();
  cmd.add_option("--workers", s.workers, "sevdesk transfer workers")->capture_default_str();
  cmd.add_option("--sevdesk-rate", s.rate, "sevdesk calls per second per school (token bucket)")
      ->capture_default_str();
  cmd.add_option("--sevdesk-burst", s.burst, "token bucket burst")->capture_default_str();
  cmd.add_option("--sevdesk-timeout-ms", s.timeout_ms, "Deadline of one sevdesk request")
      ->capture_default_str();
  cmd.add_option("--sevdesk-max-attempts", s.max_attempts,
                 "Attempts before a transient failure becomes final")
      ->capture_default_str();
  cmd.add_option("--sevdesk-backoff-base-ms", s.backoff_base_ms,
                 "Base of the exponential backoff with full jitter")
      ->capture_default_str();
  cmd.add_option("--voucher-link-template", s.voucher_link_template,
                 "Link to a voucher in sevdesk; {id} is replaced")
      ->capture_default_str();
  cmd.add_option("--sevdesk-lease-ms", s.lease_ms,
                 "Lease of a claimed transfer; a dead process's work is taken over after it")
      ->capture_default_str();
  cmd.add_option("--payment-sync-interval-s", s.payment_sync_interval_s,
                 "Read every school's payment state from sevdesk this often instead of at the "
                 "school's own interval (0: the school's; at least 10 s)")
      ->capture_default_str();
  cmd.add_flag("--no-payment-sync", s.no_payment_sync,
               "Do not read payment states from sevdesk in this process");
  AddWriteSafetyOptions(cmd, s);
}

void AddWorkerOptions(CLI::App& cmd, WorkerSettings& s) {
  cmd.add_option("--metrics-listen", s.metrics_listen,
                 "HOST:PORT of this worker's /healthz and /metrics (port 0 picks a free port; "
                 "default: none)");
  cmd.add_option("--metrics-port-file", s.metrics_port_file,
                 "Write the bound port of --metrics-listen to this file");
}

Result<std::pair<std::string, int>> ParseListen(const std::string& listen,
                                                const std::string& flag) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "bad_listen", flag + " must be HOST:PORT");
  }
  try {
    const int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    return std::make_pair(listen.substr(0, colon), port);
  } catch (const std::exception&) {
    return Fail(ErrorCode::kInvalidArgument, "bad_listen", flag + " must be HOST:PORT");
  }
}

}  // namespace hs::composition
