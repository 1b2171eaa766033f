#include "store/postgres/pg_database.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/sql_unit_of_work.hpp"

namespace hs::embedded {
const std::pair<std::string_view, std::string_view>* postgres_migrations_begin();
const std::pair<std::string_view, std::string_view>* postgres_migrations_end();
}  // namespace hs::embedded

namespace hs::store {

namespace {

// Key of the advisory lock that serializes migrations of concurrently starting processes.
constexpr std::int64_t kMigrationLockKey = 0x68756e6465;  // "hunde"

std::vector<Migration> PostgresMigrations() {
  std::vector<Migration> out;
  for (auto* it = embedded::postgres_migrations_begin(); it != embedded::postgres_migrations_end();
       ++it) {
    const std::string name(it->first);
    out.push_back(Migration{std::stoi(name.substr(0, 4)), name, std::string(it->second)});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

class PgDatabase;
// The pool and connection the current thread released last.
thread_local std::pair<const PgDatabase*, PgConnection*> t_last{nullptr, nullptr};

class PgDatabase final : public app::Database {
 public:
  PgDatabase(std::vector<std::unique_ptr<PgConnection>> connections,
             std::chrono::milliseconds acquire_timeout)
      : acquire_timeout_(acquire_timeout) {
    for (auto& c : connections) {
      free_.push_back(c.get());
      all_.push_back(std::move(c));
    }
  }

  Result<std::unique_ptr<app::UnitOfWork>> Begin(app::TxKind kind) override {
    auto conn = Acquire();
    if (!conn) return tl::unexpected(conn.error());
    PgConnection* c = *conn;
    // READ COMMITTED; writers that must not interleave take row locks (numbers, claims). The
    // BEGIN travels with the first statement (ADR 0008).
    c->StartTransaction(PgBeginStatements(kind));
    // Relaxed and read transactions do not wait for the answer to their COMMIT (ADR 0008): a
    // relaxed one may be lost anyway (ADR 0007), a read one has nothing to lose.
    const bool wait = kind == app::TxKind::kWrite || kind == app::TxKind::kDurableWrite;
    auto finish = [this, c, wait](bool commit) -> Status {
      Status st = c->FinishTransaction(commit, wait);
      if (!st && commit) (void)c->ExecScript("ROLLBACK");
      Release(c);
      return st;
    };
    return std::unique_ptr<app::UnitOfWork>(new SqlUnitOfWork(*c, finish));
  }

 private:
  Result<PgConnection*> Acquire() {
    PgConnection* c = nullptr;
    {
      std::unique_lock lock(mutex_);
      if (!cv_.wait_for(lock, acquire_timeout_, [this] { return !free_.empty(); })) {
        return tl::unexpected(sql::DriverError(ErrorCode::kUnavailable, "database_pool_exhausted",
                                               "No free PostgreSQL connection within the "
                                               "time-out."));
      }
      // The connection this thread used last, when it is free: the thread's next transaction
      // then runs behind its previous one on the same server session, which has processed an
      // unawaited COMMIT (ADR 0008) before it, so the thread reads its own writes.
      auto it =
          std::find(free_.begin(), free_.end(), t_last.first == this ? t_last.second : nullptr);
      if (it == free_.end()) it = free_.end() - 1;
      c = *it;
      free_.erase(it);
    }
    if (!c->Healthy() && !c->Reset()) {
      Release(c);
      return tl::unexpected(sql::DriverError(ErrorCode::kUnavailable, "database_unavailable",
                                             "The PostgreSQL server is not reachable."));
    }
    return c;
  }
  void Release(PgConnection* c) {
    t_last = {this, c};
    {
      std::lock_guard lock(mutex_);
      free_.push_back(c);
    }
    cv_.notify_one();
  }

  std::chrono::milliseconds acquire_timeout_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<PgConnection*> free_;
  std::vector<std::unique_ptr<PgConnection>> all_;
};

}  // namespace

std::vector<std::string> PgBeginStatements(app::TxKind kind) {
  // kWrite and kRead keep the server's setting (synchronous_commit = on unless an operator
  // changed it).
  switch (kind) {
    case app::TxKind::kDurableWrite:
      return {"BEGIN", "SET LOCAL synchronous_commit = on"};
    case app::TxKind::kRelaxedWrite:
      return {"BEGIN", "SET LOCAL synchronous_commit = off"};
    case app::TxKind::kRead:
    case app::TxKind::kWrite:
      break;
  }
  return {"BEGIN"};
}

std::string PgBeginScript(app::TxKind kind) {
  std::string script;
  for (const auto& statement : PgBeginStatements(kind)) {
    script += (script.empty() ? "" : "; ") + statement;
  }
  return script;
}

Result<int> MigratePostgres(const PostgresSettings& settings) {
  auto conn = PgConnection::Open(settings.url);
  if (!conn) return tl::unexpected(conn.error());
  PgConnection& c = **conn;
  // Session-level lock: processes that start together migrate one after the other.
  if (auto st = c.Exec("SELECT pg_advisory_lock($1)", {kMigrationLockKey}); !st) {
    return tl::unexpected(st.error());
  }
  auto applied = ApplyMigrations(c, PostgresMigrations());
  if (applied) {
    // Under the same lock: processes starting together do not index the same rows twice.
    if (auto indexed = BackfillSearchTokens(c); !indexed) applied = tl::unexpected(indexed.error());
  }
  (void)c.Exec("SELECT pg_advisory_unlock($1)", {kMigrationLockKey});
  return applied;
}

Result<std::unique_ptr<app::Database>> OpenPostgres(const PostgresSettings& settings) {
  auto migrated = MigratePostgres(settings);
  if (!migrated) return tl::unexpected(migrated.error());
  std::vector<std::unique_ptr<PgConnection>> connections;
  for (int i = 0; i < std::max(1, settings.pool_size); ++i) {
    auto c = PgConnection::Open(settings.url);
    if (!c) return tl::unexpected(c.error());
    connections.push_back(std::move(*c));
  }
  return std::unique_ptr<app::Database>(
      new PgDatabase(std::move(connections), settings.acquire_timeout));
}

// ---------------------------------------------------------------- LISTEN
struct PgListener::Impl {
  std::string url;
  std::string channel;
  std::function<void()> on_notify;
  std::atomic<bool> stopping{false};
  std::thread thread;

  void Loop() {
    while (!stopping) {
      PGconn* conn = PgConnect(url);
      if (PQstatus(conn) == CONNECTION_OK) {
        char* quoted = PQescapeIdentifier(conn, channel.c_str(), channel.size());
        const std::string listen = std::string("LISTEN ") + (quoted ? quoted : "");
        PQfreemem(quoted);
        PGresult* res = PQexec(conn, listen.c_str());
        const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (ok) {
          on_notify();  // anything that happened while not listening
          Listen(conn);
        }
      }
      PQfinish(conn);
      for (int i = 0; i < 10 && !stopping; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }

  // Returns when the connection is lost or on Stop().
  void Listen(PGconn* conn) {
    const int fd = PQsocket(conn);
    while (!stopping) {
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, 200);
      if (ready < 0) return;
      if (ready == 0) continue;
      if (PQconsumeInput(conn) == 0) {
        Log(LogLevel::kWarn, "postgres", "LISTEN connection lost; reconnecting");
        return;
      }
      bool any = false;
      while (PGnotify* n = PQnotifies(conn)) {
        any = true;
        PQfreemem(n);
      }
      if (any) on_notify();
    }
  }
};

PgListener::PgListener(std::string url, std::string channel, std::function<void()> on_notify)
    : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->channel = std::move(channel);
  impl_->on_notify = std::move(on_notify);
}

PgListener::~PgListener() {
  Stop();
}

void PgListener::Start() {
  if (impl_->thread.joinable()) return;
  impl_->stopping = false;
  impl_->thread = std::thread([this] { impl_->Loop(); });
}

void PgListener::Stop() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace hs::store
