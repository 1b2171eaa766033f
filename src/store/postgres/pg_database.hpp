#pragma once
// PostgreSQL storage: a bounded connection pool, migrations under an advisory lock, and a
// LISTEN connection that turns NOTIFYs of other processes into in-process wake-ups.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/ports.hpp"
#include "core/result.hpp"

namespace hs::store {

struct PostgresSettings {
  std::string url;  // postgresql://user@host:port/db?... (libpq URI or key=value string)
  int pool_size = 8;
  // How long Begin() waits for a free pooled connection before answering "unavailable".
  std::chrono::milliseconds acquire_timeout{10'000};
};

// Connects, applies pending migrations (under pg_advisory_lock, so several processes may start
// at once) and returns the pool.
Result<std::unique_ptr<app::Database>> OpenPostgres(const PostgresSettings& settings);

// Applies pending migrations only; returns the number applied.
Result<int> MigratePostgres(const PostgresSettings& settings);

// The script that begins a transaction of `kind` on a pooled connection: synchronous_commit is
// set per transaction (SET LOCAL, so it reverts at COMMIT/ROLLBACK) by durability role (ADR 0007).
std::vector<std::string> PgBeginStatements(app::TxKind kind);
// The same as one script.
std::string PgBeginScript(app::TxKind kind);

// The channel the database NOTIFYs on when a transfer becomes due (trigger in the migrations).
inline constexpr const char* kTransferChannel = "hs_transfers";

// One dedicated connection that LISTENs on `channel` and calls `on_notify` for every
// notification (and once after every reconnect, since notifications may have been missed).
// Requires a session-mode connection: behind a transaction-mode pooler LISTEN does not work.
class PgListener {
 public:
  PgListener(std::string url, std::string channel, std::function<void()> on_notify);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;
  void Start();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hs::store
