#pragma once
// SQLite driver: WAL, foreign keys, a small connection pool, one writer at a time.
#include <memory>
#include <string>

#include "app/ports.hpp"
#include "core/result.hpp"

namespace hs::store {

struct SqliteSettings {
  std::string path = "./data/hundeschule.db";  // ":memory:" is not supported (pool)
  int pool_size = 8;
  int busy_timeout_ms = 5000;
  // Exactly one process may write a SQLite database: take an exclusive lock file next to it.
  bool exclusive_process = true;
};

// Opens (creating the file and its folder when missing) and migrates the database.
Result<std::unique_ptr<app::Database>> OpenSqlite(const SqliteSettings& settings);

// Applies pending migrations only; returns the number applied.
Result<int> MigrateSqlite(const SqliteSettings& settings);

}  // namespace hs::store
