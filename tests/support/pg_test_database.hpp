#pragma once
// A fresh PostgreSQL database for one test of the real binary, on the server of
// $HS_TEST_POSTGRES_URL, named after the test process (so that parallel test runs do not
// collide) and dropped again by the destructor.
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "store/postgres/pg_connection.hpp"

namespace hs::testing {

class PgTestDatabase {
 public:
  // The server's URL, or "" when $HS_TEST_POSTGRES_URL is unset (the test skips).
  static std::string AdminUrl() {
    const char* url = std::getenv("HS_TEST_POSTGRES_URL");
    return url ? url : "";
  }

  // Throws std::runtime_error when the database cannot be created.
  explicit PgTestDatabase(const std::string& prefix)
      : admin_url_(AdminUrl()), name_(prefix + std::to_string(::getpid())) {
    auto admin = store::PgConnection::Open(admin_url_);
    if (!admin) throw std::runtime_error(admin.error().message);
    for (const std::string& sql :
         {"DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)", "CREATE DATABASE " + name_}) {
      if (auto st = (*admin)->ExecScript(sql); !st) throw std::runtime_error(st.error().message);
    }
    url_ = admin_url_.substr(0, admin_url_.rfind('/')) + "/" + name_;
  }
  ~PgTestDatabase() {
    if (auto admin = store::PgConnection::Open(admin_url_)) {
      (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }
  }
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  const std::string& url() const { return url_; }

 private:
  std::string admin_url_, name_, url_;
};

}  // namespace hs::testing
