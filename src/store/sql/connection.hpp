#pragma once
// The SQL seam: all repositories see of a database. SQL is written once with $1..$n
// placeholders; a driver rewrites them for its engine. Engine differences are in Dialect.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace hs::store::sql {

struct Blob {
  std::string bytes;
};
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;

template <class T>
Value Nullable(const std::optional<T>& v) {
  if (!v) return nullptr;
  return Value{*v};
}

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  bool IsNull(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(values_[i]); }
  std::int64_t Int(std::size_t i) const;
  std::optional<std::int64_t> OptInt(std::size_t i) const;
  std::string Text(std::size_t i) const;  // NULL -> ""
  std::optional<std::string> OptText(std::size_t i) const;
  double Real(std::size_t i) const;

 private:
  std::vector<Value> values_;
};

struct Dialect {
  std::string name;                   // "sqlite" | "postgresql"
  std::string case_insensitive_like;  // "LIKE" (SQLite, ASCII) | "ILIKE"
  // Appended to a SELECT that picks rows to claim: "" on SQLite (one writer at a time) |
  // " FOR UPDATE SKIP LOCKED" on PostgreSQL (concurrent claimers skip each other's rows).
  std::string skip_locked = {};
  // Several processes may write the database at once (PostgreSQL).
  bool concurrent_writers = false;
  // Each statement is a network round trip (PostgreSQL): the transfer claim runs as one call of
  // the server-side function hs_claim_transfers (migration 0006) instead of its single steps.
  bool statements_are_round_trips = false;
  // "= ANY(ARRAY(subquery))" probes an index with the subquery's values (PostgreSQL); without it
  // "IN (subquery)" is a semi-join its planner may serve by hashing the values and scanning the
  // table instead. SQLite probes with "IN (subquery)" when the table's other conditions cannot
  // use an index.
  bool value_arrays = false;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual const Dialect& dialect() const = 0;
  virtual Result<std::vector<Row>> Query(std::string_view sql,
                                         const std::vector<Value>& params = {}) = 0;
  // Returns the number of changed rows.
  virtual Result<std::int64_t> Exec(std::string_view sql,
                                    const std::vector<Value>& params = {}) = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  // A write whose outcome the caller does not need before its next statement: PostgreSQL sends
  // it with the next statement or the commit, in one round trip, and a failure is answered by
  // that statement or the commit (the transaction fails as a whole). Elsewhere: Exec.
  virtual Status ExecWithNext(std::string_view sql, const std::vector<Value>& params = {}) {
    auto n = Exec(sql, params);
    if (!n) return tl::unexpected(n.error());
    return {};
  }
};

// An error of a database driver: `detail` (the driver's text, the statement) goes to the log; the
// Error carries only German text for its reason (app::kConstraintMessage, ...), so that no SQL
// or driver text reaches an answer or a stored message.
Error DriverError(ErrorCode code, std::string reason, std::string_view detail);

// Convenience: the first row, or nullopt.
Result<std::optional<Row>> QueryOne(Connection& c, std::string_view sql,
                                    const std::vector<Value>& params = {});

// Escapes %, _ and \ for a LIKE pattern used with ESCAPE '\'.
std::string LikeContains(std::string_view text);

}  // namespace hs::store::sql
