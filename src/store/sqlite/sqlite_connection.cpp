#include "store/sqlite/sqlite_connection.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

namespace hs::store {

namespace {
const sql::Dialect kSqliteDialect{"sqlite", "LIKE"};

struct Reset {
  sqlite3_stmt* stmt;
  ~Reset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};
// A new database file is created readable by its owner only (0600): it holds personal data and
// the session hashes. SQLite creates the -wal and -shm files with the mode of the database file.
void CreateOwnerOnly(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
}
}  // namespace

std::string RewritePlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  bool in_string = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') in_string = !in_string;
    if (!in_string && c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                 int busy_timeout_ms) {
  CreateOwnerOnly(path);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Fail(ErrorCode::kUnavailable, "database_open_failed",
                "Cannot open SQLite database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
  auto st = conn->ExecScript(
      "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
  if (!st) return tl::unexpected(st.error());
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [_, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

const sql::Dialect& SqliteConnection::dialect() const {
  return kSqliteDialect;
}

Error SqliteConnection::MakeError(int rc, std::string_view sql, const char* text) const {
  const int primary = rc & 0xFF;
  const std::string detail = std::string("SQLite: ") + (text ? text : sqlite3_errmsg(db_)) +
                             " in: " + std::string(sql.substr(0, 200));
  if (primary == SQLITE_CONSTRAINT) {
    return sql::DriverError(ErrorCode::kConflict, "constraint", detail);
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return sql::DriverError(ErrorCode::kUnavailable, "database_busy", detail);
  }
  return sql::DriverError(ErrorCode::kInternal, "database_error", detail);
}

Result<sqlite3_stmt*> SqliteConnection::Prepare(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it != statements_.end()) return it->second;
  const std::string rewritten = RewritePlaceholders(sql);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, rewritten.c_str(), static_cast<int>(rewritten.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(MakeError(rc, sql));
  statements_.emplace(std::string(sql), stmt);
  return stmt;
}

namespace {
Status Bind(sqlite3_stmt* stmt, const std::vector<sql::Value>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i + 1);
    int rc = SQLITE_OK;
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            rc = sqlite3_bind_null(stmt, idx);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            rc = sqlite3_bind_int64(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, double>) {
            rc = sqlite3_bind_double(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            rc = sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
          } else {
            rc = sqlite3_bind_blob64(stmt, idx, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
          }
        },
        params[i]);
    if (rc != SQLITE_OK) {
      return tl::unexpected(
          sql::DriverError(ErrorCode::kInternal, "database_error",
                           "SQLite bind failed for parameter " + std::to_string(idx)));
    }
  }
  return {};
}
}  // namespace

Result<std::vector<sql::Row>> SqliteConnection::Query(std::string_view sql,
                                                      const std::vector<sql::Value>& params) {
  auto stmt = Prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  Reset reset{*stmt};
  if (auto st = Bind(*stmt, params); !st) return tl::unexpected(st.error());
  std::vector<sql::Row> rows;
  const int columns = sqlite3_column_count(*stmt);
  for (;;) {
    const int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return tl::unexpected(MakeError(rc, sql));
    std::vector<sql::Value> values;
    values.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(*stmt, c)) {
        case SQLITE_NULL:
          values.emplace_back(nullptr);
          break;
        case SQLITE_INTEGER:
          values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(*stmt, c)));
          break;
        case SQLITE_FLOAT:
          values.emplace_back(sqlite3_column_double(*stmt, c));
          break;
        case SQLITE_BLOB: {
          const auto* data = static_cast<const char*>(sqlite3_column_blob(*stmt, c));
          const int n = sqlite3_column_bytes(*stmt, c);
          values.emplace_back(
              sql::Blob{std::string(data ? data : "", static_cast<std::size_t>(n))});
          break;
        }
        default: {
          const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(*stmt, c));
          const int n = sqlite3_column_bytes(*stmt, c);
          values.emplace_back(std::string(data ? data : "", static_cast<std::size_t>(n)));
        }
      }
    }
    rows.emplace_back(std::move(values));
  }
  return rows;
}

Result<std::int64_t> SqliteConnection::Exec(std::string_view sql,
                                            const std::vector<sql::Value>& params) {
  auto stmt = Prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  Reset reset{*stmt};
  if (auto st = Bind(*stmt, params); !st) return tl::unexpected(st.error());
  for (;;) {
    const int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return tl::unexpected(MakeError(rc, sql));
  }
  return static_cast<std::int64_t>(sqlite3_changes64(db_));
}

Status SqliteConnection::ExecScript(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Error e = MakeError(rc, sql, err);
    sqlite3_free(err);
    return tl::unexpected(e);
  }
  return {};
}

}  // namespace hs::store
