#pragma once
// PostgreSQL driver for the SQL seam over libpq. The only place (with pg_database.cpp) that
// includes libpq headers.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

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
  Status ExecWithNext(std::string_view sql, const std::vector<sql::Value>& params) override;

  // Transactions in libpq's pipeline mode. StartTransaction sends nothing: `statements` (BEGIN,
  // SET LOCAL ...) travel with the transaction's first statement, in one round trip.
  // FinishTransaction ends it; with wait = false the COMMIT is sent and its answer is read at
  // the connection's next use (a failure then is logged: for transactions whose loss the caller
  // accepts, ADR 0008). A transaction that sent nothing ends without a round trip.
  void StartTransaction(std::vector<std::string> statements);
  Status FinishTransaction(bool commit, bool wait);

  // False after the server went away; the pool then reconnects.
  bool Healthy() const;
  bool Reset();
  pg_conn* native() { return conn_; }

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  struct Outcome;
  // A command sent in pipeline mode whose answer is not read yet, or a sync point.
  struct Unread {
    std::string sql;       // for error messages
    bool prepare = false;  // the PQsendPrepare of `sql`: forgotten when it fails
    bool sync = false;
    bool earlier = false;  // of a finished transaction (its unawaited COMMIT): failures logged
  };
  Result<Outcome> Run(std::string_view sql, const std::vector<sql::Value>& params);
  // Queues the transaction's start, then `sql` (prepared first if new), in pipeline mode.
  Status Send(std::string_view sql, const std::vector<sql::Value>& params);
  // Ends the pipeline with a sync if it does not end with one, and reads every unread answer:
  // answers the first failure of the current commands, and the last command's result when
  // `last` is given; failures of earlier transactions are logged. Leaves pipeline mode.
  Status ReadUnread(Outcome* last);
  // The unread answers belong to a finished transaction from now on.
  void Settle();
  Status Sync();
  void ForgetPipeline();

  pg_conn* conn_;
  // Statements are prepared once per connection, named by their position in this map.
  std::unordered_map<std::string, std::string> prepared_;
  std::vector<std::string> start_;  // the transaction's start, not sent yet
  bool started_ = false;            // the start was sent: a transaction is open on the server
  std::vector<Unread> unread_;
};

// Opens a libpq connection with TCP keepalives (the listener's too).
pg_conn* PgConnect(const std::string& url);

// The dialect PostgreSQL statements are written for (shared with tests).
const sql::Dialect& PostgresDialect();

}  // namespace hs::store
