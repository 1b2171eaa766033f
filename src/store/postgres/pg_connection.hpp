#pragma once
// PostgreSQL driver for the SQL seam over libpq. The only place (with pg_database.cpp) that
// includes libpq headers.
#include <memory>
#include <string>
#include <unordered_map>

#include "store/sql/connection.hpp"

struct pg_conn;

namespace hs::store {

class PgConnection final : public sql::Connection {
 public:
  // `url` is a libpq connection string or postgresql:// URI.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  const sql::Dialect& dialect() const override;
  Result<std::vector<sql::Row>> Query(std::string_view sql,
                                      const std::vector<sql::Value>& params) override;
  Result<std::int64_t> Exec(std::string_view sql, const std::vector<sql::Value>& params) override;
  Status ExecScript(std::string_view sql) override;

  // False after the server went away; the pool then reconnects.
  bool Healthy() const;
  bool Reset();
  pg_conn* native() { return conn_; }

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  struct Outcome;
  Result<Outcome> Run(std::string_view sql, const std::vector<sql::Value>& params);

  pg_conn* conn_;
  // Statements are prepared once per connection, named by their position in this map.
  std::unordered_map<std::string, std::string> prepared_;
};

// The dialect PostgreSQL statements are written for (shared with tests).
const sql::Dialect& PostgresDialect();

}  // namespace hs::store
