// Slow clients against `hundeschule serve` (ADR 0011): GET /healthz, an authenticated
// GET /api/v1/me and a login, timed first without and then with N slow connections open. Each
// slow connection sends a request line, then one header line every 3 s and never finishes its
// head; when the server cuts one off, another takes its place, so N stay open throughout.
//
//   hs_slow_clients_bench [--slow N] [--seconds S] [--binary PATH]
//
// The server is a child process with a temporary SQLite database and the default password cost,
// started as tests/support/binary_fixture.cpp starts it (migrate, tenant create, user add).
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"
#include "spawn.hpp"

namespace hs::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kEmail[] = "bench@example.org";
constexpr char kPassword[] = "slow-clients-bench-password";
constexpr auto kHeaderLineEvery = std::chrono::seconds(3);

struct Options {
  std::string binary = HS_BINARY;
  int slow = 500;
  int seconds = 20;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "slow_clients: %s\n", message.c_str());
  std::exit(1);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool next = i + 1 < argc;
    if (a == "--slow" && next) {
      o.slow = std::atoi(argv[++i]);
    } else if (a == "--seconds" && next) {
      o.seconds = std::atoi(argv[++i]);
    } else if (a == "--binary" && next) {
      o.binary = argv[++i];
    } else {
      Die("usage: hs_slow_clients_bench [--slow N] [--seconds S] [--binary PATH]");
    }
  }
  return o;
}

double Millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(index, v.size() - 1)];
}

// Runs the binary with `args` and `input` on stdin; returns stdout, dies on failure.
std::string RunOrDie(const Options& o, const std::string& args, const std::string& input = {}) {
  const std::string command = "printf '%s' '" + input + "' | " + o.binary + " " + args;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) Die("cannot run " + command);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  if (::pclose(pipe) != 0) Die("failed: " + command + "\n" + out);
  return out;
}

// A temporary database with one school and one user.
std::string PrepareDatabase(const Options& o, const std::filesystem::path& dir) {
  const std::string db = "--database sqlite:" + (dir / "bench.db").string();
  RunOrDie(o, "migrate " + db);
  const std::string school = RunOrDie(o, "tenant create --name Benchschule " + db);
  const long id = std::atol(school.c_str());
  if (id <= 0) Die("tenant create printed '" + school + "'");
  RunOrDie(
      o,
      "user add --tenant " + std::to_string(id) + " --email " + kEmail + " --password-stdin " + db,
      kPassword);
  return db;
}

class ServeProcess {
 public:
  ServeProcess(const Options& o, const std::filesystem::path& dir, const std::string& db) {
    const std::string port_file = (dir / "port").string();
    std::vector<std::string> args = {o.binary,      "serve",       "--listen",
                                     "127.0.0.1:0", "--port-file", port_file};
    args.push_back(db.substr(0, db.find(' ')));
    args.push_back(db.substr(db.find(' ') + 1));
    pid_ = SpawnWithLog(args, (dir / "serve.log").string());
    if (pid_ < 0) Die("cannot start " + o.binary);
    for (int i = 0; i < 400 && port_ == 0; ++i) {
      std::ifstream in(port_file);
      if (!(in >> port_)) port_ = 0;
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (port_ == 0) Die("serve wrote no port; see " + (dir / "serve.log").string());
  }
  ~ServeProcess() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

int ConnectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// N connections that never complete their request head; the ones the server closes are
// replaced and their lifetimes recorded.
class SlowClients {
 public:
  SlowClients(int port, int count) : port_(port), slots_(static_cast<std::size_t>(count)) {}
  ~SlowClients() { Stop(); }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  void Start() {
    for (auto& s : slots_) Open(s);
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (auto& s : slots_) {
      if (s.fd >= 0) ::close(s.fd);
      s.fd = -1;
    }
  }
  int open() const { return open_.load(); }
  std::vector<double> lifetimes_s() const { return lifetimes_s_; }  // after Stop()

 private:
  struct Slot {
    int fd = -1;
    Clock::time_point opened;
    Clock::time_point next_line;
    int lines = 0;
  };

  void Open(Slot& s) {
    s.fd = ConnectTo(port_);
    s.opened = Clock::now();
    s.next_line = s.opened + kHeaderLineEvery;
    s.lines = 0;
    if (s.fd < 0) return;
    ++open_;
    const std::string start = "GET /api/v1/me HTTP/1.1\r\nHost: bench\r\n";
    (void)!::send(s.fd, start.data(), start.size(), MSG_NOSIGNAL);
  }

  void Run() {
    std::vector<pollfd> fds(slots_.size());
    while (!stop_) {
      for (std::size_t i = 0; i < slots_.size(); ++i) fds[i] = {slots_[i].fd, POLLIN, 0};
      ::poll(fds.data(), fds.size(), 100);
      const auto now = Clock::now();
      for (std::size_t i = 0; i < slots_.size(); ++i) Tend(slots_[i], fds[i].revents, now);
    }
  }

  void Tend(Slot& s, short revents, Clock::time_point now) {
    if (s.fd < 0) return Open(s);
    if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buf[4096];
      if (::recv(s.fd, buf, sizeof buf, MSG_DONTWAIT) > 0) return;  // the 408, close follows
      ::close(s.fd);
      --open_;
      lifetimes_s_.push_back(std::chrono::duration<double>(now - s.opened).count());
      return Open(s);
    }
    if (now >= s.next_line) {
      const std::string line = "X-Slow-" + std::to_string(++s.lines) + ": 1\r\n";
      (void)!::send(s.fd, line.data(), line.size(), MSG_NOSIGNAL);
      s.next_line = now + kHeaderLineEvery;
    }
  }

  int port_;
  std::vector<Slot> slots_;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0};
  std::vector<double> lifetimes_s_;
  std::thread thread_;
};

struct Session {
  Headers headers;
  double login_ms = 0;
  bool ok = false;
};

Session Login(const std::string& base) {
  http::Client client(base, std::chrono::seconds(20));
  const auto start = Clock::now();
  auto res =
      client.Send("POST", "/api/v1/session", {},
                  std::string("{\"email\":\"") + kEmail + "\",\"password\":\"" + kPassword + "\"}");
  Session s;
  s.login_ms = Millis(Clock::now() - start);
  // A server stalled by the slow clients (the previous one) fails here; that is a figure too.
  s.ok = res && res->status == 200;
  if (!s.ok) return s;
  const std::string cookie = res->Header("Set-Cookie").value_or("");
  s.headers = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
  return s;
}

struct Figures {
  std::vector<double> healthz_ms, me_ms, login_ms;
  int failures = 0;
};

void TimeGet(http::Client& client, const std::string& path, const Headers& headers,
             std::vector<double>& into, int& failures) {
  const auto start = Clock::now();
  auto res = client.Send("GET", path, headers);
  into.push_back(Millis(Clock::now() - start));
  if (!res || res->status != 200) ++failures;
}

// GETs every 10 ms and a login every 5 s, for `seconds`. A GET that takes 10 s or a login that
// takes 20 s counts as failed.
Figures Measure(const std::string& base, int seconds) {
  Figures f;
  Session session = Login(base);
  f.login_ms.push_back(session.login_ms);
  f.failures += session.ok ? 0 : 1;
  http::Client client(base, std::chrono::seconds(10));
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  auto next_login = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < end) {
    TimeGet(client, "/healthz", {}, f.healthz_ms, f.failures);
    TimeGet(client, "/api/v1/me", session.headers, f.me_ms, f.failures);
    if (Clock::now() >= next_login) {
      const Session again = Login(base);
      f.login_ms.push_back(again.login_ms);
      f.failures += again.ok ? 0 : 1;
      next_login = Clock::now() + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f;
}

void PrintRow(const char* what, const std::vector<double>& ms) {
  std::printf("  %-22s n=%-5zu p50 %8.2f ms   p99 %8.2f ms   max %8.2f ms\n", what, ms.size(),
              Percentile(ms, 50), Percentile(ms, 99), Percentile(ms, 100));
}

void Print(const char* title, const Figures& f) {
  std::printf("%s\n", title);
  PrintRow("GET /healthz", f.healthz_ms);
  PrintRow("GET /api/v1/me", f.me_ms);
  PrintRow("POST /api/v1/session", f.login_ms);
  std::printf("  failed requests: %d\n", f.failures);
}

int Main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  const auto dir =
      std::filesystem::temp_directory_path() / ("hs-slow-clients-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = PrepareDatabase(o, dir);
  ServeProcess serve(o, dir, db);
  std::printf("binary: %s\nslow connections: %d, %d s per phase\n", o.binary.c_str(), o.slow,
              o.seconds);
  Print("-- without slow connections", Measure(serve.base(), o.seconds));
  SlowClients slow(serve.port(), o.slow);
  slow.Start();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const Figures with = Measure(serve.base(), o.seconds);
  const int open_at_end = slow.open();
  slow.Stop();
  Print(("-- with " + std::to_string(o.slow) + " slow connections open").c_str(), with);
  const auto lifetimes = slow.lifetimes_s();
  std::printf(
      "  slow connections open at the end: %d; cut off by the server: %zu, after "
      "p50 %.1f s, max %.1f s\n",
      open_at_end, lifetimes.size(), Percentile(lifetimes, 50), Percentile(lifetimes, 100));
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace hs::bench

int main(int argc, char** argv) {
  return hs::bench::Main(argc, argv);
}
