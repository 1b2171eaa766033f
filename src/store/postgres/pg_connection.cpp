#include "store/postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/log.hpp"

namespace hs::store {

namespace {

// Type oids of pg_type.h (server headers are not needed for these few).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

const sql::Dialect kPostgresDialect{"postgresql", "ILIKE", " FOR UPDATE SKIP LOCKED",
                                    true,         true,    true};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The error's code and reason by SQLSTATE (and the connection's state).
std::pair<ErrorCode, const char*> ClassifySqlState(const std::string& sqlstate, bool connected) {
  if (sqlstate.rfind("23", 0) == 0) return {ErrorCode::kConflict, "constraint"};
  // Serialization failure or deadlock: the server aborted this transaction because of a
  // concurrent one; running the whole unit again may succeed (app::RunTransaction).
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return {ErrorCode::kUnavailable, "transaction_conflict"};
  }
  if (sqlstate == "55P03") return {ErrorCode::kUnavailable, "database_busy"};
  // Every error the server sends has a SQLSTATE; one without is libpq's own, about the
  // connection (e.g. "server closed the connection unexpectedly" read from a pipeline, while
  // PQstatus still says CONNECTION_OK).
  if (sqlstate.empty() || sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0 ||
      !connected) {
    return {ErrorCode::kUnavailable, "database_unavailable"};
  }
  return {ErrorCode::kInternal, "database_error"};
}

Error ErrorFrom(PGconn* conn, const PGresult* res, std::string_view sql) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string text = res ? PQresultErrorMessage(res) : "";
  if (text.empty()) text = PQerrorMessage(conn);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const auto [code, reason] = ClassifySqlState(sqlstate, PQstatus(conn) == CONNECTION_OK);
  return sql::DriverError(code, reason,
                          "PostgreSQL: " + text + (sqlstate.empty() ? "" : " [" + sqlstate + "]") +
                              " in: " + std::string(sql.substr(0, 200)));
}

sql::Value Decode(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return nullptr;
  const char* text = PQgetvalue(res, row, col);
  const int len = PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return static_cast<std::int64_t>(std::strtoll(text, nullptr, 10));
    case kBoolOid:
      return std::int64_t{text[0] == 't' ? 1 : 0};
    case kFloat4Oid:
    case kFloat8Oid:
      return std::strtod(text, nullptr);
    case kNumericOid:
      if (std::strchr(text, '.') == nullptr) {
        return static_cast<std::int64_t>(std::strtoll(text, nullptr, 10));
      }
      return std::strtod(text, nullptr);
    case kByteaOid: {
      std::size_t n = 0;
      unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
      sql::Blob blob{std::string(reinterpret_cast<const char*>(raw), n)};
      PQfreemem(raw);
      return blob;
    }
    default:
      return std::string(text, static_cast<std::size_t>(len));
  }
}

// Parameters in libpq's arrays; strings keep the storage alive.
struct Params {
  explicit Params(const std::vector<sql::Value>& values) {
    const std::size_t n = values.size();
    text.resize(n);
    types.resize(n, 0);
    pointers.resize(n, nullptr);
    lengths.resize(n, 0);
    formats.resize(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              pointers[i] = nullptr;
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              text[i] = std::to_string(v);
              types[i] = kInt8Oid;
              pointers[i] = text[i].c_str();
            } else if constexpr (std::is_same_v<T, double>) {
              char buf[64];
              std::snprintf(buf, sizeof buf, "%.17g", v);
              text[i] = buf;
              types[i] = kFloat8Oid;
              pointers[i] = text[i].c_str();
            } else if constexpr (std::is_same_v<T, std::string>) {
              // Untyped: PostgreSQL infers the type from the context (text, date, ...).
              pointers[i] = v.c_str();
            } else {
              types[i] = kByteaOid;
              pointers[i] = v.bytes.data();
              lengths[i] = static_cast<int>(v.bytes.size());
              formats[i] = 1;  // binary
            }
          },
          values[i]);
    }
  }
  std::vector<std::string> text;
  std::vector<Oid> types;
  std::vector<const char*> pointers;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

const sql::Dialect& PostgresDialect() {
  return kPostgresDialect;
}

struct PgConnection::Outcome {
  ResultPtr result;
};

pg_conn* PgConnect(const std::string& url) {
  // TCP keepalives: a connection whose server went away without closing it (a crashed host, a
  // dropped network path) fails after about 25 s instead of blocking its thread forever.
  // Settings in `url` come last and win.
  const char* keywords[] = {"keepalives",       "keepalives_idle", "keepalives_interval",
                            "keepalives_count", "dbname",          nullptr};
  const char* values[] = {"1", "10", "5", "3", url.c_str(), nullptr};
  return PQconnectdbParams(keywords, values, 1);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url) {
  PGconn* conn = PgConnect(url);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn ? PQerrorMessage(conn) : "out of memory";
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    PQfinish(conn);
    return Fail(ErrorCode::kUnavailable, "database_open_failed",
                "Cannot connect to PostgreSQL: " + msg);
  }
  auto c = std::unique_ptr<PgConnection>(new PgConnection(conn));
  // Quiet NOTICEs (e.g. "relation already exists, skipping") instead of printing to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (auto st = c->ExecScript("SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'"); !st) {
    return tl::unexpected(st.error());
  }
  return c;
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

const sql::Dialect& PgConnection::dialect() const {
  return kPostgresDialect;
}

bool PgConnection::Healthy() const {
  return PQstatus(conn_) == CONNECTION_OK;
}

bool PgConnection::Reset() {
  prepared_.clear();
  start_.clear();
  started_ = false;
  unread_.clear();
  PQreset(conn_);
  if (!Healthy()) return false;
  return static_cast<bool>(ExecScript("SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'"));
}

Result<PgConnection::Outcome> PgConnection::Run(std::string_view sql,
                                                const std::vector<sql::Value>& params) {
  if (!start_.empty() || !unread_.empty()) {
    // In a transaction that has not started on the server yet, or after ExecWithNext: one
    // round trip for everything queued and this statement.
    const std::vector<std::string> start = start_;
    auto once = [&]() -> Result<Outcome> {
      if (auto st = Send(sql, params); !st) {
        ForgetPipeline();
        return tl::unexpected(st.error());
      }
      Outcome out;
      if (auto st = ReadUnread(&out); !st) return tl::unexpected(st.error());
      return out;
    };
    auto out = once();
    // The first statement of a transaction found the connection dropped (a restart of the
    // server since this pooled connection was last used): nothing of the transaction has run,
    // so it runs once more on a new connection instead of failing the request.
    if (!out && !start.empty() && (!Healthy() || out.error().reason == "database_unavailable") &&
        Reset()) {
      start_ = start;
      out = once();
    }
    return out;
  }
  const Params p(params);
  const std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    const std::string name = "hs" + std::to_string(prepared_.size() + 1);
    ResultPtr prep(PQprepare(conn_, name.c_str(), key.c_str(), static_cast<int>(params.size()),
                             p.types.data()));
    if (!prep || PQresultStatus(prep.get()) != PGRES_COMMAND_OK) {
      return tl::unexpected(ErrorFrom(conn_, prep.get(), sql));
    }
    it = prepared_.emplace(key, name).first;
  }
  ResultPtr res(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                               p.pointers.data(), p.lengths.data(), p.formats.data(), 0));
  const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return tl::unexpected(ErrorFrom(conn_, res.get(), sql));
  }
  return Outcome{std::move(res)};
}

Status PgConnection::Send(std::string_view sql, const std::vector<sql::Value>& params) {
  auto broken = [&] { return tl::unexpected(ErrorFrom(conn_, nullptr, sql)); };
  if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) != 1) {
    return broken();
  }
  for (const auto& statement : start_) {
    if (PQsendQueryParams(conn_, statement.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) !=
        1) {
      return broken();
    }
    unread_.push_back({statement, false, false, false});
  }
  if (!start_.empty()) started_ = true;
  start_.clear();
  const Params p(params);
  const std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    const std::string name = "hs" + std::to_string(prepared_.size() + 1);
    if (PQsendPrepare(conn_, name.c_str(), key.c_str(), static_cast<int>(params.size()),
                      p.types.data()) != 1) {
      return broken();
    }
    unread_.push_back({key, true, false, false});
    it = prepared_.emplace(key, name).first;
  }
  if (PQsendQueryPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                          p.pointers.data(), p.lengths.data(), p.formats.data(), 0) != 1) {
    return broken();
  }
  unread_.push_back({key, false, false, false});
  return {};
}

Status PgConnection::Sync() {
  // PQpipelineSync leaves the commands in libpq's buffer until it is full or a result is read;
  // an unawaited COMMIT must reach the server now, not at the connection's next use.
  if (PQpipelineSync(conn_) != 1 || PQflush(conn_) != 0) {
    return tl::unexpected(ErrorFrom(conn_, nullptr, "pipeline sync"));
  }
  unread_.push_back({"sync", false, true, false});
  return {};
}

Status PgConnection::ReadUnread(Outcome* last) {
  if (unread_.empty() && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) return {};
  if (unread_.empty() || !unread_.back().sync) {
    if (auto st = Sync(); !st) {
      ForgetPipeline();
      return st;
    }
  }
  std::optional<Error> failure;
  std::size_t last_command = unread_.size();
  for (std::size_t i = 0; i < unread_.size(); ++i) {
    if (!unread_[i].sync && !unread_[i].earlier) last_command = i;
  }
  auto fail = [&](const Unread& u, const PGresult* raw) {
    if (u.prepare) prepared_.erase(u.sql);
    Error e = ErrorFrom(conn_, raw, u.sql);
    if (u.earlier) {
      // Its transaction was rolled back by the server; the caller had accepted to lose it.
      Log(LogLevel::kWarn, "postgres", "an unawaited commit failed: " + e.message);
    } else if (!failure) {
      failure = std::move(e);
    }
  };
  for (std::size_t i = 0; i < unread_.size() && PQstatus(conn_) == CONNECTION_OK; ++i) {
    const Unread& u = unread_[i];
    if (u.sync) {
      // A sync point's answer is one result of its own.
      for (int tries = 0; tries < 2; ++tries) {
        ResultPtr res(PQgetResult(conn_));
        if (res) break;
      }
      continue;
    }
    // A command's answers end with a null result.
    while (PGresult* raw = PQgetResult(conn_)) {
      ResultPtr res(raw);
      const auto status = PQresultStatus(raw);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        if (last && i == last_command) last->result = std::move(res);
        continue;
      }
      if (status == PGRES_PIPELINE_SYNC) {
        // The segment ended early (after a failure): go on after its sync point.
        while (i + 1 < unread_.size() && !unread_[i + 1].sync) {
          if (unread_[++i].prepare) prepared_.erase(unread_[i].sql);
        }
        ++i;
        break;
      }
      // PIPELINE_ABORTED: skipped after an earlier failure, which is the one to report.
      if (status != PGRES_PIPELINE_ABORTED) fail(u, raw);
      if (status == PGRES_PIPELINE_ABORTED && u.prepare) prepared_.erase(u.sql);
    }
  }
  if (!failure && PQstatus(conn_) != CONNECTION_OK) failure = ErrorFrom(conn_, nullptr, "pipeline");
  ForgetPipeline();
  if (failure) return tl::unexpected(*failure);
  return {};
}

void PgConnection::ForgetPipeline() {
  unread_.clear();
  if (PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) (void)PQexitPipelineMode(conn_);
}

void PgConnection::Settle() {
  for (auto& u : unread_) u.earlier = true;
}

void PgConnection::StartTransaction(std::vector<std::string> statements) {
  Settle();
  start_ = std::move(statements);
  started_ = false;
}

Status PgConnection::FinishTransaction(bool commit, bool wait) {
  if (!started_ && (unread_.empty() || unread_.back().earlier)) {
    start_.clear();  // nothing was sent: no transaction exists on the server
    return {};
  }
  start_.clear();
  started_ = false;
  const char* end = commit ? "COMMIT" : "ROLLBACK";
  if (unread_.empty() && wait) return ExecScript(end);
  if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) != 1) {
    return tl::unexpected(ErrorFrom(conn_, nullptr, end));
  }
  if (PQsendQueryParams(conn_, end, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
    Error e = ErrorFrom(conn_, nullptr, end);
    ForgetPipeline();
    return tl::unexpected(e);
  }
  unread_.push_back({end, false, false, false});
  if (wait) return ReadUnread(nullptr);
  // Sent now (the sync flushes); answered with the connection's next round trip.
  if (auto st = Sync(); !st) {
    ForgetPipeline();
    return st;
  }
  return {};
}

Status PgConnection::ExecWithNext(std::string_view sql, const std::vector<sql::Value>& params) {
  if (auto st = Send(sql, params); !st) {
    ForgetPipeline();
    return st;
  }
  return {};
}

Result<std::vector<sql::Row>> PgConnection::Query(std::string_view sql,
                                                  const std::vector<sql::Value>& params) {
  auto out = Run(sql, params);
  if (!out) return tl::unexpected(out.error());
  const PGresult* res = out->result.get();
  const int rows = PQntuples(res);
  const int cols = PQnfields(res);
  std::vector<sql::Row> result;
  result.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    std::vector<sql::Value> values;
    values.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) values.push_back(Decode(res, r, c));
    result.emplace_back(std::move(values));
  }
  return result;
}

Result<std::int64_t> PgConnection::Exec(std::string_view sql,
                                        const std::vector<sql::Value>& params) {
  auto out = Run(sql, params);
  if (!out) return tl::unexpected(out.error());
  const char* n = PQcmdTuples(out->result.get());
  return static_cast<std::int64_t>(n && *n ? std::strtoll(n, nullptr, 10) : 0);
}

Status PgConnection::ExecScript(std::string_view sql) {
  std::string text;
  // A transaction not yet started on the server starts with this script.
  for (const auto& statement : start_) text += statement + "; ";
  if (!start_.empty()) started_ = true;
  start_.clear();
  if (!unread_.empty()) {
    if (auto st = ReadUnread(nullptr); !st) return st;
  }
  text += sql;
  ResultPtr res(PQexec(conn_, text.c_str()));
  const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    return tl::unexpected(ErrorFrom(conn_, res.get(), sql));
  }
  return {};
}

}  // namespace hs::store
