#include "store/sqlite/sqlite_database.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include "core/log.hpp"
#include "store/sql_unit_of_work.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace hs::embedded {
const std::pair<std::string_view, std::string_view>* sqlite_migrations_begin();
const std::pair<std::string_view, std::string_view>* sqlite_migrations_end();
}  // namespace hs::embedded

namespace hs::store {

namespace {

std::vector<Migration> SqliteMigrations() {
  std::vector<Migration> out;
  for (auto* it = embedded::sqlite_migrations_begin(); it != embedded::sqlite_migrations_end();
       ++it) {
    const std::string name(it->first);
    out.push_back(Migration{std::stoi(name.substr(0, 4)), name, std::string(it->second)});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

// Holds an exclusive flock on "<db>.lock" for the life of the process: a second process that
// would write the same SQLite file is refused with a clear error.
class ProcessLock {
 public:
  static Result<std::unique_ptr<ProcessLock>> Acquire(const std::string& db_path) {
    const std::string path = db_path + ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Fail(ErrorCode::kUnavailable, "lock_failed", "Cannot create lock file " + path);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return Fail(ErrorCode::kConflict, "database_in_use",
                  "The SQLite database " + db_path +
                      " is already used by another hundeschule process. SQLite allows exactly "
                      "one writing process; use PostgreSQL to run several.");
    }
    return std::unique_ptr<ProcessLock>(new ProcessLock(fd));
  }
  ~ProcessLock() { ::close(fd_); }

 private:
  explicit ProcessLock(int fd) : fd_(fd) {}
  int fd_;
};

class SqliteDatabase final : public app::Database {
 public:
  SqliteDatabase(std::vector<std::unique_ptr<SqliteConnection>> connections,
                 std::unique_ptr<ProcessLock> lock)
      : lock_(std::move(lock)) {
    for (auto& c : connections) {
      free_.push_back(c.get());
      all_.push_back(std::move(c));
    }
  }

  Result<std::unique_ptr<app::UnitOfWork>> Begin(app::TxKind kind) override {
    const bool write = kind != app::TxKind::kRead;
    std::unique_lock<std::mutex> write_lock;
    if (write) write_lock = std::unique_lock(write_mutex_);
    SqliteConnection* conn = Acquire();
    auto release = [this, conn] { Release(conn); };
    // WAL with synchronous=NORMAL (kWrite, kRelaxedWrite): no fsync per commit, a power loss may
    // drop the newest commits (a suffix). FULL syncs the WAL at this commit, which also makes
    // every earlier commit durable (ADR 0007).
    if (kind == app::TxKind::kDurableWrite) {
      if (auto st = conn->ExecScript("PRAGMA synchronous=FULL"); !st) {
        release();
        return tl::unexpected(st.error());
      }
    }
    if (auto st = conn->ExecScript(write ? "BEGIN IMMEDIATE" : "BEGIN"); !st) {
      release();
      return tl::unexpected(st.error());
    }
    auto shared_lock = std::make_shared<std::unique_lock<std::mutex>>(std::move(write_lock));
    auto finish = [conn, release, shared_lock, kind](bool commit) -> Status {
      Status st = conn->ExecScript(commit ? "COMMIT" : "ROLLBACK");
      if (!st && commit) (void)conn->ExecScript("ROLLBACK");
      if (kind == app::TxKind::kDurableWrite) (void)conn->ExecScript("PRAGMA synchronous=NORMAL");
      release();
      if (shared_lock->owns_lock()) shared_lock->unlock();
      return st;
    };
    return std::unique_ptr<app::UnitOfWork>(new SqlUnitOfWork(*conn, finish));
  }

 private:
  SqliteConnection* Acquire() {
    std::unique_lock lock(pool_mutex_);
    pool_cv_.wait(lock, [this] { return !free_.empty(); });
    SqliteConnection* c = free_.back();
    free_.pop_back();
    return c;
  }
  void Release(SqliteConnection* c) {
    {
      std::lock_guard lock(pool_mutex_);
      free_.push_back(c);
    }
    pool_cv_.notify_one();
  }

  std::unique_ptr<ProcessLock> lock_;
  std::mutex write_mutex_;
  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<SqliteConnection*> free_;
  std::vector<std::unique_ptr<SqliteConnection>> all_;
};

Status EnsureFolder(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return Fail(ErrorCode::kUnavailable, "database_folder",
                "Cannot create folder " + parent.string() + ": " + ec.message());
  }
  return {};
}

// Files created before databases were created 0600 keep their mode; say so once at start.
void WarnIfReadableByOthers(const std::string& path) {
  std::error_code ec;
  const auto mode = std::filesystem::status(path, ec).permissions();
  if (ec) return;
  using std::filesystem::perms;
  if ((mode & (perms::group_all | perms::others_all)) != perms::none) {
    Log(LogLevel::kWarn, "sqlite",
        "the database file " + path +
            " is readable by other users; restrict it with chmod 600 (see docs/operations.md)");
  }
}

}  // namespace

Result<int> MigrateSqlite(const SqliteSettings& settings) {
  if (auto st = EnsureFolder(settings.path); !st) return tl::unexpected(st.error());
  auto conn = SqliteConnection::Open(settings.path, settings.busy_timeout_ms);
  if (!conn) return tl::unexpected(conn.error());
  auto applied = ApplyMigrations(**conn, SqliteMigrations());
  if (!applied) return applied;
  if (auto indexed = BackfillSearchTokens(**conn); !indexed) return tl::unexpected(indexed.error());
  return applied;
}

Result<std::unique_ptr<app::Database>> OpenSqlite(const SqliteSettings& settings) {
  if (auto st = EnsureFolder(settings.path); !st) return tl::unexpected(st.error());
  std::unique_ptr<ProcessLock> lock;
  if (settings.exclusive_process) {
    auto l = ProcessLock::Acquire(settings.path);
    if (!l) return tl::unexpected(l.error());
    lock = std::move(*l);
  }
  auto migrated = MigrateSqlite(settings);
  if (!migrated) return tl::unexpected(migrated.error());
  WarnIfReadableByOthers(settings.path);
  std::vector<std::unique_ptr<SqliteConnection>> connections;
  for (int i = 0; i < std::max(1, settings.pool_size); ++i) {
    auto c = SqliteConnection::Open(settings.path, settings.busy_timeout_ms);
    if (!c) return tl::unexpected(c.error());
    connections.push_back(std::move(*c));
  }
  return std::unique_ptr<app::Database>(
      new SqliteDatabase(std::move(connections), std::move(lock)));
}

}  // namespace hs::store
