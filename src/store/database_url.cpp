#include "store/database_url.hpp"

namespace hs::store {

Result<DatabaseConfig> ParseDatabaseUrl(const std::string& url) {
  DatabaseConfig config;
  if (url.rfind("sqlite:", 0) == 0 && url.size() > 7) {
    config.engine = Engine::kSqlite;
    config.sqlite.path = url.substr(7);
    return config;
  }
  if ((url.rfind("postgresql://", 0) == 0 && url.size() > 13) ||
      (url.rfind("postgres://", 0) == 0 && url.size() > 11)) {
    config.engine = Engine::kPostgres;
    config.postgres.url = url;
    return config;
  }
  return Fail(
      ErrorCode::kInvalidArgument, "bad_database_url",
      "--database must be sqlite:PATH or postgresql://USER@HOST:PORT/DB (got '" + url + "')");
}

Result<std::unique_ptr<app::Database>> OpenDatabase(const DatabaseConfig& config) {
  if (config.engine == Engine::kPostgres) return OpenPostgres(config.postgres);
  return OpenSqlite(config.sqlite);
}

Result<int> MigrateDatabase(const DatabaseConfig& config) {
  if (config.engine == Engine::kPostgres) return MigratePostgres(config.postgres);
  return MigrateSqlite(config.sqlite);
}

std::unique_ptr<PgListener> ListenForTransfers(const DatabaseConfig& config,
                                               std::function<void()> wake) {
  if (config.engine != Engine::kPostgres) return nullptr;
  auto listener =
      std::make_unique<PgListener>(config.postgres.url, kTransferChannel, std::move(wake));
  listener->Start();
  return listener;
}

}  // namespace hs::store
