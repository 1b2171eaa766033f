#pragma once
// One fixture for every storage engine: each test gets a fresh SQLite file or a fresh PostgreSQL
// database (created on the server of $HS_TEST_POSTGRES_URL and dropped afterwards). PostgreSQL
// tests are skipped when the variable is unset; scripts/test.sh always sets it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/database_url.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/sql_unit_of_work.hpp"

namespace hs::embedded {
const std::pair<std::string_view, std::string_view>* sqlite_migrations_begin();
const std::pair<std::string_view, std::string_view>* sqlite_migrations_end();
const std::pair<std::string_view, std::string_view>* postgres_migrations_begin();
const std::pair<std::string_view, std::string_view>* postgres_migrations_end();
}  // namespace hs::embedded

namespace hs::store::testing {

// The engine's embedded migrations up to `max_version`, as the database drivers apply them (to
// build a database of an older version).
inline std::vector<Migration> EmbeddedMigrations(Engine engine, int max_version) {
  const bool pg = engine == Engine::kPostgres;
  auto* it = pg ? embedded::postgres_migrations_begin() : embedded::sqlite_migrations_begin();
  auto* end = pg ? embedded::postgres_migrations_end() : embedded::sqlite_migrations_end();
  std::vector<Migration> out;
  for (; it != end; ++it) {
    const std::string name(it->first);
    const int version = std::stoi(name.substr(0, 4));
    if (version <= max_version) out.push_back({version, name, std::string(it->second)});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

inline std::string PostgresTestUrl() {
  const char* url = std::getenv("HS_TEST_POSTGRES_URL");
  return url ? url : "";
}

// The same URL with another database name (the path after host:port).
inline std::string WithDatabase(const std::string& url, const std::string& db) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const auto query = url.find('?', slash == std::string::npos ? 0 : slash);
  const std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  return base + "/" + db + (query == std::string::npos ? "" : url.substr(query));
}

inline std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

class StoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    config_.engine = GetParam();
    if (GetParam() == Engine::kSqlite) {
      dir_ = std::filesystem::temp_directory_path() /
             ("hs-store-" + std::to_string(::getpid()) + "-" + name);
      std::filesystem::remove_all(dir_);
      config_.sqlite.path = (dir_ / "db.sqlite").string();
    } else {
      admin_url_ = PostgresTestUrl();
      if (admin_url_.empty()) GTEST_SKIP() << "HS_TEST_POSTGRES_URL is not set";
      static std::atomic<int> counter{0};
      db_name_ = "hs_t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
      auto admin = PgConnection::Open(admin_url_);
      ASSERT_TRUE(admin) << admin.error().message;
      ASSERT_TRUE((*admin)->ExecScript("DROP DATABASE IF EXISTS " + db_name_));
      auto created = (*admin)->ExecScript("CREATE DATABASE " + db_name_);
      ASSERT_TRUE(created) << created.error().message;
      config_.postgres.url = WithDatabase(admin_url_, db_name_);
    }
    auto db = OpenDatabase(config_);
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
  }

  void TearDown() override {
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!db_name_.empty()) {
      if (auto admin = PgConnection::Open(admin_url_)) {
        (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
      }
    }
  }

  bool IsPostgres() const { return GetParam() == Engine::kPostgres; }

  // A school named `name`, committed; its id.
  std::int64_t CreateSchool(const std::string& name) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    domain::School s;
    s.name = name;
    auto id = (*uow)->Schools().Create(s);
    EXPECT_TRUE(id);
    EXPECT_TRUE((*uow)->Commit());
    return *id;
  }

  // Another handle on the same database, as a second process would open it.
  Result<std::unique_ptr<app::Database>> OpenAgain() const { return OpenDatabase(config_); }

  DatabaseConfig config_;
  std::unique_ptr<app::Database> db_;
  std::filesystem::path dir_;
  std::string admin_url_;
  std::string db_name_;
};

}  // namespace hs::store::testing
