#pragma once
// `--database` URLs: sqlite:PATH or postgresql://... (also postgres://...). The one place the
// composition root asks for storage, so that it needs no driver header.
#include <functional>
#include <memory>
#include <string>

#include "app/ports.hpp"
#include "core/result.hpp"
#include "store/postgres/pg_database.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace hs::store {

enum class Engine { kSqlite, kPostgres };

struct DatabaseConfig {
  Engine engine = Engine::kSqlite;
  SqliteSettings sqlite;
  PostgresSettings postgres;
};

Result<DatabaseConfig> ParseDatabaseUrl(const std::string& url);

// Opens and migrates.
Result<std::unique_ptr<app::Database>> OpenDatabase(const DatabaseConfig& config);
Result<int> MigrateDatabase(const DatabaseConfig& config);

// PostgreSQL: a started LISTEN connection that calls `wake` when transfers become due in any
// process. SQLite: nullptr (one process; the in-process signal suffices).
std::unique_ptr<PgListener> ListenForTransfers(const DatabaseConfig& config,
                                               std::function<void()> wake);

}  // namespace hs::store
