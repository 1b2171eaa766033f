#pragma once
// Runs the real `hundeschule` binary for end-to-end tests: creates schools and users with the
// CLI, starts `hundeschule serve` as a child process on a free port and talks to it over HTTP.
//
// SQLite allows one process per database file (lock file), so every school and user must be
// created before Start().
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client.hpp"

namespace hs::testing {

using Json = nlohmann::json;

// Path of the binary under test (set by CMake from $<TARGET_FILE:hundeschule>).
std::string BinaryPath();

// The whole file at `path` ("" when it cannot be read), and the last `max` bytes of a text: for
// the logs of child processes in failure messages.
std::string ReadAll(const std::string& path);
std::string Tail(const std::string& text, std::size_t max);

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs the binary with `args` (without argv[0]), writes `stdin_text` to its stdin and waits.
CommandResult RunBinary(const std::vector<std::string>& args, const std::string& stdin_text = {});

// A login of one school.
struct Account {
  std::int64_t school_id = 0;
  std::int64_t user_id = 0;
  std::string email;
  std::string password;
};

struct Reply {
  int status = 0;     // 0: no answer (see `error`)
  std::string error;  // client error when status == 0
  std::string body;
  Json json;  // discarded when the body is not JSON
  std::vector<std::pair<std::string, std::string>> headers;

  std::optional<std::string> Header(std::string_view name) const;
  // The `field` of every entry of an error body's `details`.
  std::vector<std::string> DetailFields() const;
  bool HasDetail(const std::string& field) const;
  // "<status> <body>" for assertion messages.
  std::string Describe() const;
};

struct SendOptions {
  bool with_cookie = true;
  bool with_csrf = true;
};

// One HTTP connection with an optional session (cookie + CSRF token). Not thread-safe: give
// each thread its own client (ShareSessionFrom copies a login).
class ApiClient {
 public:
  explicit ApiClient(const std::string& base_url);

  // POST /api/v1/session; on 200 keeps the cookie and the CSRF token.
  Reply Login(const std::string& email, const std::string& password);
  void ShareSessionFrom(const ApiClient& other);
  void ForgetSession();

  Reply Get(const std::string& path, SendOptions options = {});
  Reply Post(const std::string& path, const Json& body, SendOptions options = {});
  Reply Patch(const std::string& path, const Json& body, SendOptions options = {});
  Reply Delete(const std::string& path, SendOptions options = {});
  // Any method with a raw body and content type.
  Reply Send(const std::string& method, const std::string& path, const std::string& body,
             const std::string& content_type = "application/json", SendOptions options = {});
  Reply Upload(const std::string& path, const std::vector<http::MultipartPart>& parts,
               SendOptions options = {});

  const std::string& session_cookie() const { return session_cookie_; }
  const std::string& csrf_token() const { return csrf_token_; }

 private:
  std::vector<std::pair<std::string, std::string>> Headers(const std::string& method,
                                                           SendOptions options) const;
  static Reply Convert(const Result<http::ClientResponse>& response);

  std::unique_ptr<http::Client> client_;
  std::string session_cookie_;
  std::string csrf_token_;
};

// A temp folder with one SQLite database and, after Start(), a running server on it.
class BinaryFixture {
 public:
  BinaryFixture();
  ~BinaryFixture();
  BinaryFixture(const BinaryFixture&) = delete;
  BinaryFixture& operator=(const BinaryFixture&) = delete;

  // `hundeschule tenant create` + `user add`; throws std::runtime_error on failure.
  Account CreateSchool(const std::string& name, const std::string& tax_mode = "regular");
  // `hundeschule user add` for an existing school.
  Account AddUser(std::int64_t school_id, const std::string& email,
                  const std::string& password = "ein-sehr-geheimes-passwort");

  // Starts `hundeschule serve` (with `extra_args`) and waits until it answers /healthz; throws
  // on failure.
  void Start(int threads = 16, const std::vector<std::string>& extra_args = {});
  // SIGTERM, wait (SIGKILL after a grace period); returns the exit code (128 + signal when
  // killed). Idempotent; returns the first result again.
  int Stop();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  const std::string& dir() const { return dir_; }
  std::string database_url() const { return "sqlite:" + dir_ + "/hundeschule.db"; }
  std::string base_url() const;
  int port() const { return port_; }
  std::string ServerLog() const;

  std::unique_ptr<ApiClient> NewClient() const;
  // A client logged in as `account`; throws when the login fails.
  std::unique_ptr<ApiClient> LoginAs(const Account& account) const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::optional<int> exit_code_;
  int next_user_ = 1;
};

// SHA-256 as lowercase hex (libsodium).
std::string Sha256Hex(std::string_view bytes);

// Today's date in Europe/Berlin as "YYYY-MM-DD": the date the server writes on documents. Between
// midnight German time and 00:00 UTC the UTC date is still yesterday's.
std::string TodayInBerlin();

}  // namespace hs::testing
