#include "support/binary_fixture.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/date.hpp"

#ifndef HS_BINARY
#error "HS_BINARY must be defined (path of the hundeschule binary)"
#endif

namespace hs::testing {

namespace {

using std::chrono::steady_clock;

constexpr char kSessionCookie[] = "hs_session";

// Writing to a child that already exited must not kill the test process.
void IgnoreSigpipeOnce() {
  static const bool done = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// argv for execv; the strings must outlive the returned pointers.
std::vector<char*> MakeArgv(std::vector<std::string>& storage) {
  std::vector<char*> argv;
  argv.reserve(storage.size() + 1);
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void ExecChild(const char* binary, char* const* argv, int in_fd, int out_fd,
                            int err_fd) {
  // The server dies with the test process even when the test crashes.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(126);
  ::execv(binary, argv);
  ::_exit(127);
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, std::size_t max) {
  return text.size() <= max ? text : "...\n" + text.substr(text.size() - max);
}

std::string BinaryPath() {
  return HS_BINARY;
}

CommandResult RunBinary(const std::vector<std::string>& args, const std::string& stdin_text) {
  IgnoreSigpipeOnce();
  std::vector<std::string> storage{BinaryPath()};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv = MakeArgv(storage);

  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ExecChild(storage[0].c_str(), argv.data(), in_pipe[0], out_pipe[1], err_pipe[1]);
  CloseFd(in_pipe[0]);
  CloseFd(out_pipe[1]);
  CloseFd(err_pipe[1]);

  std::size_t written = 0;
  while (written < stdin_text.size()) {
    const ssize_t n = ::write(in_pipe[1], stdin_text.data() + written, stdin_text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed stdin; its exit code tells the rest
    written += static_cast<std::size_t>(n);
  }
  CloseFd(in_pipe[1]);

  CommandResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    if (::poll(fds, 2, 60'000) <= 0) {
      if (errno == EINTR) continue;
      break;  // a CLI command hanging for a minute is a failure in itself
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (auto& f : fds) CloseFd(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = DecodeWaitStatus(status);
  return result;
}

// ------------------------------------------------------------------------------------ Reply

std::optional<std::string> Reply::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Reply::DetailFields() const {
  std::vector<std::string> out;
  if (!json.is_object() || !json.contains("details") || !json["details"].is_array()) return out;
  for (const auto& d : json["details"]) {
    if (d.is_object() && d.contains("field") && d["field"].is_string()) {
      out.push_back(d["field"].get<std::string>());
    }
  }
  return out;
}

bool Reply::HasDetail(const std::string& field) const {
  for (const auto& f : DetailFields()) {
    if (f == field) return true;
  }
  return false;
}

std::string Reply::Describe() const {
  if (status == 0) return "no answer: " + error;
  return std::to_string(status) + " " + Tail(body, 2000);
}

// ------------------------------------------------------------------------------------ ApiClient

ApiClient::ApiClient(const std::string& base_url)
    : client_(std::make_unique<http::Client>(base_url, std::chrono::seconds(60))) {}

Reply ApiClient::Convert(const Result<http::ClientResponse>& response) {
  Reply r;
  if (!response) {
    r.error = response.error().message;
    return r;
  }
  r.status = response->status;
  r.body = response->body;
  r.headers = response->headers;
  r.json = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  return r;
}

std::vector<std::pair<std::string, std::string>> ApiClient::Headers(const std::string& method,
                                                                    SendOptions options) const {
  std::vector<std::pair<std::string, std::string>> h;
  if (options.with_cookie && !session_cookie_.empty()) {
    h.emplace_back("Cookie", std::string(kSessionCookie) + "=" + session_cookie_);
  }
  if (options.with_csrf && method != "GET" && !csrf_token_.empty()) {
    h.emplace_back("X-CSRF-Token", csrf_token_);
  }
  return h;
}

Reply ApiClient::Login(const std::string& email, const std::string& password) {
  Reply r = Send("POST", "/api/v1/session", Json{{"email", email}, {"password", password}}.dump(),
                 "application/json", {.with_cookie = false, .with_csrf = false});
  if (r.status != 200) return r;
  const std::string prefix = std::string(kSessionCookie) + "=";
  for (const auto& [k, v] : r.headers) {
    if (::strcasecmp(k.c_str(), "Set-Cookie") != 0 || v.rfind(prefix, 0) != 0) continue;
    session_cookie_ = v.substr(prefix.size(), v.find(';') - prefix.size());
  }
  if (r.json.is_object() && r.json.contains("csrf_token") && r.json["csrf_token"].is_string()) {
    csrf_token_ = r.json["csrf_token"].get<std::string>();
  }
  return r;
}

void ApiClient::ShareSessionFrom(const ApiClient& other) {
  session_cookie_ = other.session_cookie_;
  csrf_token_ = other.csrf_token_;
}

void ApiClient::ForgetSession() {
  session_cookie_.clear();
  csrf_token_.clear();
}

Reply ApiClient::Get(const std::string& path, SendOptions options) {
  return Send("GET", path, {}, "application/json", options);
}

Reply ApiClient::Post(const std::string& path, const Json& body, SendOptions options) {
  return Send("POST", path, body.dump(), "application/json", options);
}

Reply ApiClient::Patch(const std::string& path, const Json& body, SendOptions options) {
  return Send("PATCH", path, body.dump(), "application/json", options);
}

Reply ApiClient::Delete(const std::string& path, SendOptions options) {
  return Send("DELETE", path, {}, "application/json", options);
}

Reply ApiClient::Send(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& content_type, SendOptions options) {
  return Convert(client_->Send(method, path, Headers(method, options), body, content_type));
}

Reply ApiClient::Upload(const std::string& path, const std::vector<http::MultipartPart>& parts,
                        SendOptions options) {
  return Convert(client_->SendMultipart(path, Headers("POST", options), parts));
}

// ------------------------------------------------------------------------------------ fixture

BinaryFixture::BinaryFixture() {
  IgnoreSigpipeOnce();
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/hs-e2e-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  }
  dir_ = pattern;
}

BinaryFixture::~BinaryFixture() {
  Stop();
  if (::testing::Test::HasFailure()) {
    std::cerr << "[e2e] kept " << dir_ << "; server log:\n" << Tail(ServerLog(), 6000) << "\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Account BinaryFixture::CreateSchool(const std::string& name, const std::string& tax_mode) {
  const CommandResult created = RunBinary(
      {"tenant", "create", "--name", name, "--tax-mode", tax_mode, "--database", database_url()});
  if (created.exit_code != 0) {
    throw std::runtime_error("tenant create failed (" + std::to_string(created.exit_code) +
                             "): " + created.err);
  }
  std::int64_t school_id = 0;
  try {
    school_id = std::stoll(created.out);
  } catch (const std::exception&) {
    throw std::runtime_error("tenant create printed no id: '" + created.out + "'");
  }
  if (school_id <= 0) throw std::runtime_error("tenant create printed id " + created.out);
  return AddUser(school_id, "inhaberin" + std::to_string(next_user_++) + "@schule.example");
}

Account BinaryFixture::AddUser(std::int64_t school_id, const std::string& email,
                               const std::string& password) {
  if (running()) throw std::runtime_error("AddUser after Start(): SQLite is locked by serve");
  const CommandResult added =
      RunBinary({"user", "add", "--tenant", std::to_string(school_id), "--email", email,
                 "--password-stdin", "--password-cost", "minimum", "--database", database_url()},
                password + "\n");
  if (added.exit_code != 0) {
    throw std::runtime_error("user add failed (" + std::to_string(added.exit_code) +
                             "): " + added.err);
  }
  Account account;
  account.school_id = school_id;
  account.user_id = std::stoll(added.out);
  account.email = email;
  account.password = password;
  return account;
}

void BinaryFixture::Start(int threads, const std::vector<std::string>& extra_args) {
  if (running()) return;
  const std::string port_file = dir_ + "/port";
  std::filesystem::remove(port_file);
  std::vector<std::string> storage{BinaryPath(),   "serve",     "--database",
                                   database_url(), "--listen",  "127.0.0.1:0",
                                   "--port-file",  port_file,   "--password-cost",
                                   "minimum",      "--threads", std::to_string(threads)};
  storage.insert(storage.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv = MakeArgv(storage);
  const std::string log_path = dir_ + "/server.log";
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    CloseFd(log_fd);
    CloseFd(null_fd);
    throw std::runtime_error("cannot open " + log_path);
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ExecChild(storage[0].c_str(), argv.data(), null_fd, log_fd, log_fd);
  CloseFd(log_fd);
  CloseFd(null_fd);
  pid_ = pid;
  exit_code_.reset();

  // The server writes the port file after binding; a complete file ends with a newline.
  const auto deadline = steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = DecodeWaitStatus(status);
      pid_ = -1;
      throw std::runtime_error("serve exited with " + std::to_string(*exit_code_) + ":\n" +
                               ServerLog());
    }
    const std::string text = ReadAll(port_file);
    if (!text.empty() && text.back() == '\n') {
      port_ = std::atoi(text.c_str());
      if (port_ > 0) break;
    }
    if (steady_clock::now() > deadline) {
      Stop();
      throw std::runtime_error("serve wrote no port file within 60 s:\n" + ServerLog());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto client = NewClient();
  while (true) {
    const Reply health = client->Get("/healthz", {.with_cookie = false, .with_csrf = false});
    if (health.status == 200) break;
    if (steady_clock::now() > deadline) {
      Stop();
      throw std::runtime_error("serve does not answer /healthz: " + health.Describe());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int BinaryFixture::Stop() {
  if (pid_ <= 0) return exit_code_.value_or(0);
  ::kill(pid_, SIGTERM);
  // Generous: ASan checks for leaks at exit.
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  bool reaped = false;
  while (steady_clock::now() < deadline) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped = true;
      break;
    }
    if (r < 0 && errno != EINTR) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!reaped) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  exit_code_ = DecodeWaitStatus(status);
  pid_ = -1;
  port_ = 0;
  return *exit_code_;
}

std::string BinaryFixture::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string BinaryFixture::ServerLog() const {
  return ReadAll(dir_ + "/server.log");
}

std::unique_ptr<ApiClient> BinaryFixture::NewClient() const {
  return std::make_unique<ApiClient>(base_url());
}

std::unique_ptr<ApiClient> BinaryFixture::LoginAs(const Account& account) const {
  auto client = NewClient();
  const Reply r = client->Login(account.email, account.password);
  if (r.status != 200 || client->session_cookie().empty() || client->csrf_token().empty()) {
    throw std::runtime_error("login of " + account.email + " failed: " + r.Describe());
  }
  return client;
}

std::string Sha256Hex(std::string_view bytes) {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("sodium_init failed");
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : hash) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

std::string TodayInBerlin() {
  return FormatIsoDate(BerlinDateOf(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now())));
}

}  // namespace hs::testing
