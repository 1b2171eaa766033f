#pragma once
#include <memory>
#include <string>
#include <unordered_map>

#include "store/sql/connection.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hs::store {

class SqliteConnection final : public sql::Connection {
 public:
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path,
                                                        int busy_timeout_ms);
  ~SqliteConnection() override;

  const sql::Dialect& dialect() const override;
  Result<std::vector<sql::Row>> Query(std::string_view sql,
                                      const std::vector<sql::Value>& params) override;
  Result<std::int64_t> Exec(std::string_view sql, const std::vector<sql::Value>& params) override;
  Status ExecScript(std::string_view sql) override;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  Result<sqlite3_stmt*> Prepare(std::string_view sql);
  // `text`: the driver's message when it differs from sqlite3_errmsg (sqlite3_exec).
  Error MakeError(int rc, std::string_view sql, const char* text = nullptr) const;

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// "$1 ... $12" -> "?1 ... ?12" (SQLite numbers "$n" by appearance, not by n).
std::string RewritePlaceholders(std::string_view sql);

}  // namespace hs::store
