#include "http/server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/compression.hpp"
#include "http/multipart.hpp"
#include "http/wire.hpp"
#include "http/worker_pool.hpp"

namespace hs::http {

namespace {

using Clock = std::chrono::steady_clock;

// epoll user data: connections count up from kFirstConnectionId, so a late answer for a closed
// connection never reaches a new one that got the same file descriptor.
constexpr std::uint64_t kListenerId = 0;
constexpr std::uint64_t kWakeId = 1;
constexpr std::uint64_t kFirstConnectionId = 2;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr int kMaxEvents = 256;
constexpr std::size_t kAcceptBurst = 64;
constexpr auto kMaxWait = std::chrono::milliseconds(1000);
// When the process runs out of file descriptors, accepting pauses instead of spinning.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
// After an error answer the rest of the request may still be on its way; reading it for a moment
// keeps the kernel from answering it with a reset that would destroy the answer unread.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr std::size_t kLingerBytes = 256 * 1024;
// What Response::drop_connection promises and never sends (as with the previous library).
constexpr std::size_t kDroppedBodyLength = 1024;
constexpr const char* kJson = "application/json; charset=utf-8";

std::string ErrorBody(std::string_view code) {
  std::string_view message = "Ungültige Anfrage.";
  if (code == "payload_too_large") message = "Die Anfrage ist zu groß.";
  if (code == "header_too_large") message = "Die Kopfzeilen der Anfrage sind zu groß.";
  if (code == "unsupported_media_type") message = "Diese Inhaltskodierung wird nicht unterstützt.";
  if (code == "request_timeout") message = "Die Anfrage kam nicht rechtzeitig vollständig an.";
  if (code == "unavailable") message = "Der Server ist ausgelastet. Bitte später erneut versuchen.";
  return R"({"code":")" + std::string(code) + R"(","message":")" + std::string(message) +
         R"(","details":[]})";
}

Response ErrorAnswer(int status, std::string_view code) {
  Response res = Response::Json(status, ErrorBody(code));
  res.content_type = kJson;
  return res;
}

// The previous library filled empty bodies of error answers with a JSON error; handlers (and the
// sevdesk sandbox's fault hooks) were written against that.
void FillEmptyErrorBody(Response& res) {
  if (res.status < 400 || !res.body.empty() || res.drop_connection) return;
  res.body = ErrorBody(res.status == 413 ? "payload_too_large" : "bad_request");
  res.content_type = kJson;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// Framing headers are the server's: a handler's own would contradict the ones it writes.
bool IsFramingHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection") ||
         EqualsIgnoreCase(name, "Transfer-Encoding") || EqualsIgnoreCase(name, "Keep-Alive");
}

bool HasHeader(const Response& res, std::string_view name) {
  return std::any_of(res.headers.begin(), res.headers.end(),
                     [name](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

// 1xx, 204 and 304 answers have neither a body nor a Content-Length (RFC 9110 8.6).
bool StatusHasBody(int status) {
  return status >= 200 && status != 204 && status != 304;
}

std::string PeerAddress(const sockaddr_storage& addr) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const void* raw = nullptr;
  if (addr.ss_family == AF_INET) {
    raw = &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr;
  } else if (addr.ss_family == AF_INET6) {
    raw = &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr;
  }
  if (raw == nullptr || inet_ntop(addr.ss_family, raw, text.data(), text.size()) == nullptr) {
    return {};
  }
  return text.data();
}

int LocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
}

int ListenOn(const addrinfo& ai) {
  const int fd = socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, ai.ai_addr, ai.ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int ListenOn(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list) != 0) {
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = list; ai != nullptr && fd < 0; ai = ai->ai_next) fd = ListenOn(*ai);
  freeaddrinfo(list);
  return fd;
}

// A best-effort answer on a socket about to be closed: one non-blocking send, no retries.
void SendOnce(int fd, std::string_view bytes) {
  (void)!send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

std::string ClosingAnswer(int status, std::string_view code) {
  const std::string body = ErrorBody(code);
  return wire::StatusLine(status) + "Content-Type: " + kJson +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

enum class Phase { kHead, kBody, kHandling, kWriting, kLingering, kClosed };

// An answer on its way out: the head and the body go out together with sendmsg, so a body is
// never copied behind its head.
struct Outgoing {
  std::string head;
  std::string body;
  std::size_t head_sent = 0;
  std::size_t body_sent = 0;
  std::size_t body_to_send = 0;  // less than body.size() for HEAD and the truncation hook
  bool close_after = false;
  bool linger_after = false;  // request bytes may still be unread
};

struct Connection {
  std::uint64_t id = 0;
  int fd = -1;
  std::string peer;
  Phase phase = Phase::kHead;
  std::uint32_t events = 0;  // epoll interest
  std::string in;            // received, not yet parsed
  std::size_t scanned = 0;   // bytes of `in` already searched for the end of the head
  bool request_started = false;
  std::size_t requests = 0;
  Clock::time_point phase_start;
  Clock::time_point last_progress;
  Clock::time_point deadline;
  wire::RequestHead head;
  std::string body;
  std::optional<wire::ChunkedDecoder> chunked;
  Outgoing out;
  std::size_t lingered = 0;
};

// The deadline of a body in either direction: no pause longer than `pause`, and on average
// min_rate bytes per second after the grace.
Clock::time_point TransferDeadline(const Connection& c, std::chrono::milliseconds pause,
                                   const ServerSettings& s, std::size_t bytes) {
  const auto rate = std::max<std::size_t>(s.min_transfer_rate, 1);
  const auto earned = std::chrono::milliseconds(bytes * 1000 / rate);
  return std::min(c.last_progress + pause, c.phase_start + s.transfer_grace + earned);
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerSettings settings, Handler handler)
      : settings_(std::move(settings)),
        limits_{settings_.max_header_bytes, settings_.max_body_bytes},
        pool_(std::move(handler), [this](std::uint64_t id, const Request& request, Response res) {
          Finished(id, request, std::move(res));
        }) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    Watch(wake_fd_, EPOLLIN, kWakeId);
  }

  ~Impl() {
    Stop();
    pool_.StopAndJoin();
    for (int fd : {listen_fd_, wake_fd_, epoll_fd_}) {
      if (fd >= 0) close(fd);
    }
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<int> Bind() {
    if (listen_fd_ < 0) listen_fd_ = ListenOn(settings_.host, settings_.port);
    if (listen_fd_ < 0 || epoll_fd_ < 0 || wake_fd_ < 0) {
      return Fail(ErrorCode::kUnavailable, "bind_failed",
                  "Cannot listen on " + settings_.host + ":" + std::to_string(settings_.port));
    }
    port_ = LocalPort(listen_fd_);
    Watch(listen_fd_, EPOLLIN, kListenerId);
    return port_.load();
  }

  void Serve() {
    if (listen_fd_ < 0) return;
    pool_.Start(settings_.threads);
    std::array<epoll_event, kMaxEvents> events{};
    while (!stopping_.load()) {
      const int n = epoll_wait(epoll_fd_, events.data(), kMaxEvents, WaitMillis());
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < n; ++i) OnEvent(events[static_cast<std::size_t>(i)]);
      SweepIfDue();
      Reap();
    }
    CloseAll();
    pool_.StopAndJoin();
  }

  void Stop() {
    stopping_.store(true);
    Wake();
  }

  int port() const { return port_.load(); }

 private:
  void Watch(int fd, std::uint32_t events, std::uint64_t id) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }

  void Wake() {
    const std::uint64_t one = 1;
    if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
  }

  // Called on a worker thread, which also compresses: the event loop only moves bytes.
  void Finished(std::uint64_t id, const Request& request, Response res) {
    compression::CompressIfWorthIt(request, res);
    {
      std::lock_guard lock(done_mu_);
      done_.emplace_back(id, std::move(res));
    }
    Wake();
  }

  int WaitMillis() const {
    const auto now = Clock::now();
    if (next_sweep_ <= now) return 0;
    const auto wait = std::min<Clock::duration>(next_sweep_ - now, kMaxWait);
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
  }

  void OnEvent(const epoll_event& ev) {
    if (ev.data.u64 == kListenerId) return AcceptAll();
    if (ev.data.u64 == kWakeId) return TakeFinished();
    auto it = connections_.find(ev.data.u64);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    if (c.phase == Phase::kWriting && (ev.events & EPOLLOUT) != 0) return Flush(c);
    if (c.phase == Phase::kHandling) {
      // No interest is registered while the handler runs; only a reset or hang-up lands here.
      if ((ev.events & (EPOLLERR | EPOLLHUP)) != 0) Close(c);
      return;
    }
    if ((ev.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) OnReadable(c);
  }

  // ---- accepting -------------------------------------------------------------------------

  void AcceptAll() {
    for (std::size_t i = 0; i < kAcceptBurst; ++i) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        Admit(fd, PeerAddress(addr));
        continue;
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        PauseAccepting();
      }
      return;
    }
  }

  void PauseAccepting() {
    epoll_event ev{};
    ev.data.u64 = kListenerId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
    accept_paused_until_ = Clock::now() + kAcceptPause;
    next_sweep_ = std::min(next_sweep_, *accept_paused_until_);
  }

  void ResumeAcceptingIfDue(Clock::time_point now) {
    if (!accept_paused_until_) return;
    if (*accept_paused_until_ > now) {
      next_sweep_ = std::min(next_sweep_, *accept_paused_until_);
      return;
    }
    accept_paused_until_.reset();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
  }

  void Admit(int fd, std::string peer) {
    const std::size_t per_ip_limit = settings_.max_connections_per_ip;
    if (per_ip_limit > 0 && per_ip_[peer] >= per_ip_limit) return Turn(fd);
    if (live_ >= std::max<std::size_t>(settings_.max_connections, 1) && !EvictLongestWaiting()) {
      return Turn(fd);
    }
    const int one = 1;
    // Keep-alive answers must not wait for the peer's delayed ACK (Nagle's algorithm).
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->fd = fd;
    c->peer = std::move(peer);
    c->events = EPOLLIN;
    c->phase_start = c->last_progress = Clock::now();
    // A connection that never sends a request is held no longer than a slow request head.
    SetDeadline(*c, c->phase_start + settings_.header_timeout);
    Watch(fd, EPOLLIN, c->id);
    ++per_ip_[c->peer];
    ++live_;
    connections_.emplace(c->id, std::move(c));
  }

  // Answers 503 and closes: the connection limits are reached.
  void Turn(int fd) {
    SendOnce(fd, ClosingAnswer(503, "unavailable"));
    close(fd);
  }

  // At the connection limit, the connection that has waited longest for a request head (idle
  // keep-alive or a slow sender) makes room; one whose request is being handled never does.
  bool EvictLongestWaiting() {
    Connection* oldest = nullptr;
    for (auto& [id, c] : connections_) {
      if (c->phase != Phase::kHead) continue;
      if (oldest == nullptr || c->phase_start < oldest->phase_start) oldest = c.get();
    }
    if (oldest == nullptr) return false;
    Close(*oldest);
    return true;
  }

  // ---- reading ---------------------------------------------------------------------------

  void OnReadable(Connection& c) {
    std::array<char, kReadChunk> buf;
    const ssize_t n = recv(c.fd, buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) return Close(c);
    const auto got = static_cast<std::size_t>(n);
    if (c.phase == Phase::kLingering) {
      c.lingered += got;
      if (c.lingered > kLingerBytes) Close(c);
      return;
    }
    c.in.append(buf.data(), got);
    c.last_progress = Clock::now();
    Advance(c);
  }

  // Moves a connection through head and body as far as the bytes received allow.
  void Advance(Connection& c) {
    if (c.phase == Phase::kHead && !TakeHead(c)) return;
    if (c.phase == Phase::kBody) TakeBody(c);
  }

  // The header deadline runs from the first byte of a request; on a new connection it runs from
  // accept, so waiting before the first byte buys no time.
  void BeginRequest(Connection& c) {
    c.request_started = true;
    c.head = wire::RequestHead{};
    if (c.requests == 0) return;
    c.phase_start = Clock::now();
    SetDeadline(c, c.phase_start + settings_.header_timeout);
  }

  // True when a complete head was parsed and the connection now waits for the body.
  bool TakeHead(Connection& c) {
    if (!c.request_started) {
      // Clients may send an extra CRLF after a body (RFC 9112 2.2).
      const auto start = c.in.find_first_not_of("\r\n");
      c.in.erase(0, start == std::string::npos ? c.in.size() : start);
      if (c.in.empty()) return false;
      BeginRequest(c);
    }
    const auto end = wire::FindHeadEnd(c.in, c.scanned);
    if (!end || *end > settings_.max_header_bytes) {
      c.scanned = c.in.size();
      if (c.in.size() > settings_.max_header_bytes) Refuse(c, {431, "header_too_large"});
      return false;
    }
    auto parsed = wire::ParseHead(std::string_view(c.in).substr(0, *end), limits_);
    c.in.erase(0, *end);
    c.scanned = 0;
    if (parsed.failure) {
      Refuse(c, *parsed.failure);
      return false;
    }
    c.head = std::move(parsed.head);
    const auto encoding = c.head.Header("Content-Encoding");
    if (encoding && !EqualsIgnoreCase(*encoding, "identity")) {
      Refuse(c, {415, "unsupported_media_type"});
      return false;
    }
    BeginBody(c);
    return true;
  }

  void BeginBody(Connection& c) {
    c.phase = Phase::kBody;
    c.phase_start = c.last_progress = Clock::now();
    c.body.clear();
    c.chunked.reset();
    if (c.head.chunked) c.chunked.emplace(limits_);
    if (c.head.expect_continue && c.in.empty()) SendOnce(c.fd, "HTTP/1.1 100 Continue\r\n\r\n");
    SetDeadline(c, TransferDeadline(c, settings_.read_timeout, settings_, 0));
  }

  void TakeBody(Connection& c) {
    if (c.chunked) {
      c.in.erase(0, c.chunked->Feed(c.in, c.body));
      if (c.chunked->failure()) return Refuse(c, *c.chunked->failure());
      if (!c.chunked->done()) {
        return SetDeadline(c,
                           TransferDeadline(c, settings_.read_timeout, settings_, c.body.size()));
      }
    } else {
      const std::size_t n = std::min(c.head.content_length - c.body.size(), c.in.size());
      c.body.append(c.in, 0, n);
      c.in.erase(0, n);
      if (c.body.size() < c.head.content_length) {
        return SetDeadline(c,
                           TransferDeadline(c, settings_.read_timeout, settings_, c.body.size()));
      }
    }
    Dispatch(c);
  }

  // The request is complete: hand it to a worker and stop reading until the answer is out.
  void Dispatch(Connection& c) {
    Request r;
    r.method = c.head.method;
    r.path = c.head.path;
    r.query = ParseQueryString(c.head.query_string);
    r.headers = std::move(c.head.headers);
    r.body = std::move(c.body);
    r.remote_addr = c.peer;
    if (!ReadForm(r)) return Refuse(c, {400, "bad_request"});
    c.phase = Phase::kHandling;
    c.deadline = Clock::time_point::max();  // handlers are not cut off
    SetInterest(c, 0);
    pool_.Submit(c.id, std::move(r));
  }

  // Form bodies as the previous library delivered them: multipart parts in `files` (and no
  // `body`), url-encoded fields added to `query`.
  static bool ReadForm(Request& r) {
    const std::string type = r.Header("Content-Type").value_or("");
    if (StartsWithIgnoreCase(type, "multipart/form-data")) {
      auto boundary = multipart::Boundary(type);
      if (!boundary) return false;
      auto parts = multipart::Parse(*boundary, r.body);
      if (!parts) return false;
      r.files = std::move(*parts);
      r.body.clear();
    } else if (StartsWithIgnoreCase(type, "application/x-www-form-urlencoded")) {
      r.query.merge(ParseQueryString(r.body));
    }
    return true;
  }

  // ---- answering -------------------------------------------------------------------------

  void TakeFinished() {
    std::uint64_t count = 0;
    (void)!read(wake_fd_, &count, sizeof count);
    std::vector<std::pair<std::uint64_t, Response>> done;
    {
      std::lock_guard lock(done_mu_);
      done.swap(done_);
    }
    for (auto& [id, res] : done) {
      auto it = connections_.find(id);
      if (it == connections_.end() || it->second->phase != Phase::kHandling) continue;
      Answer(*it->second, std::move(res), /*refusal=*/false);
    }
  }

  // A request the server refuses itself; the connection closes after the answer.
  void Refuse(Connection& c, const wire::Failure& failure) {
    Answer(c, ErrorAnswer(failure.status, failure.code), /*refusal=*/true);
  }

  void Answer(Connection& c, Response res, bool refusal) {
    if (res.close_without_answer) return Close(c);
    FillEmptyErrorBody(res);
    ++c.requests;
    const bool faulty = res.drop_connection || res.truncate_body_at.has_value();
    const bool keep = !refusal && !faulty && c.head.keep_alive && !stopping_.load() &&
                      c.requests < settings_.max_requests_per_connection;
    c.out = Outgoing{};
    c.out.head = Head(res, keep);
    c.out.body_to_send = BodyBytesToSend(c, res);
    c.out.body = std::move(res.body);
    c.out.close_after = !keep;
    c.out.linger_after = refusal;
    c.phase = Phase::kWriting;
    c.phase_start = c.last_progress = Clock::now();
    SetDeadline(c, TransferDeadline(c, settings_.write_timeout, settings_, 0));
    Flush(c);
  }

  std::size_t BodyBytesToSend(const Connection& c, const Response& res) const {
    if (c.head.method == "HEAD" || res.drop_connection || !StatusHasBody(res.status)) return 0;
    return std::min(res.body.size(), res.truncate_body_at.value_or(res.body.size()));
  }

  std::string Head(const Response& res, bool keep) const {
    std::string head = wire::StatusLine(res.status);
    for (const auto& [name, value] : res.headers) {
      if (IsFramingHeader(name) || !wire::SafeHeaderField(name) || !wire::SafeHeaderField(value)) {
        continue;
      }
      head += name + ": " + value + "\r\n";
    }
    if (!HasHeader(res, "Content-Type") && wire::SafeHeaderField(res.content_type)) {
      head += "Content-Type: " + res.content_type + "\r\n";
    }
    if (StatusHasBody(res.status)) {
      const std::size_t length = res.drop_connection ? kDroppedBodyLength : res.body.size();
      head += "Content-Length: " + std::to_string(length) + "\r\n";
    }
    if (keep) {
      head += "Keep-Alive: timeout=" + std::to_string(settings_.keep_alive_timeout.count()) +
              ", max=" + std::to_string(settings_.max_requests_per_connection) + "\r\n";
    } else {
      head += "Connection: close\r\n";
    }
    return head + "\r\n";
  }

  void Flush(Connection& c) {
    Outgoing& out = c.out;
    while (true) {
      std::array<iovec, 2> iov{};
      std::size_t count = 0;
      if (out.head_sent < out.head.size()) {
        iov[count++] = {out.head.data() + out.head_sent, out.head.size() - out.head_sent};
      }
      if (out.body_sent < out.body_to_send) {
        iov[count++] = {out.body.data() + out.body_sent, out.body_to_send - out.body_sent};
      }
      if (count == 0) return AnswerSent(c);
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = count;
      const ssize_t n = sendmsg(c.fd, &msg, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return SetInterest(c, EPOLLOUT);
      if (n < 0) return Close(c);
      Advanced(c, static_cast<std::size_t>(n));
    }
  }

  void Advanced(Connection& c, std::size_t n) {
    Outgoing& out = c.out;
    const std::size_t from_head = std::min(n, out.head.size() - out.head_sent);
    out.head_sent += from_head;
    out.body_sent += n - from_head;
    c.last_progress = Clock::now();
    SetDeadline(
        c, TransferDeadline(c, settings_.write_timeout, settings_, out.head_sent + out.body_sent));
  }

  void AnswerSent(Connection& c) {
    if (c.out.close_after) return c.out.linger_after ? Linger(c) : Close(c);
    c.out = Outgoing{};
    c.phase = Phase::kHead;
    c.request_started = false;
    c.phase_start = c.last_progress = Clock::now();
    SetDeadline(c, c.phase_start + settings_.keep_alive_timeout);
    SetInterest(c, EPOLLIN);
    if (!c.in.empty()) Advance(c);  // a pipelined request
  }

  void Linger(Connection& c) {
    shutdown(c.fd, SHUT_WR);
    c.phase = Phase::kLingering;
    c.in.clear();
    c.lingered = 0;
    SetDeadline(c, Clock::now() + kLingerTime);
    SetInterest(c, EPOLLIN);
  }

  // ---- deadlines and closing -------------------------------------------------------------

  void SetDeadline(Connection& c, Clock::time_point deadline) {
    c.deadline = deadline;
    next_sweep_ = std::min(next_sweep_, deadline);
  }

  void SetInterest(Connection& c, std::uint32_t events) {
    if (c.events == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = events;
  }

  void SweepIfDue() {
    const auto now = Clock::now();
    if (now < next_sweep_) return;
    next_sweep_ = Clock::time_point::max();
    std::vector<Connection*> expired;
    for (auto& [id, c] : connections_) {
      if (c->phase == Phase::kClosed) continue;
      if (c->deadline <= now) {
        expired.push_back(c.get());
      } else {
        next_sweep_ = std::min(next_sweep_, c->deadline);
      }
    }
    for (Connection* c : expired) Expire(*c);
    ResumeAcceptingIfDue(now);
  }

  // A client that started a request and fell behind hears why; an idle one is just closed.
  void Expire(Connection& c) {
    const bool mid_request =
        c.phase == Phase::kBody || (c.phase == Phase::kHead && c.request_started);
    if (mid_request) SendOnce(c.fd, ClosingAnswer(408, "request_timeout"));
    Close(c);
  }

  void Close(Connection& c) {
    if (c.phase == Phase::kClosed) return;
    close(c.fd);  // also removes it from the epoll set
    c.fd = -1;
    c.phase = Phase::kClosed;
    if (auto it = per_ip_.find(c.peer); it != per_ip_.end() && --it->second == 0) {
      per_ip_.erase(it);
    }
    --live_;
    closed_.push_back(c.id);
  }

  // Closed connections are erased only between events, so no caller holds a dangling one.
  void Reap() {
    for (std::uint64_t id : closed_) connections_.erase(id);
    closed_.clear();
  }

  void CloseAll() {
    for (auto& [id, c] : connections_) Close(*c);
    Reap();
  }

  ServerSettings settings_;
  wire::Limits limits_;
  WorkerPool pool_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<int> port_{0};
  std::atomic<bool> stopping_{false};
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, std::size_t> per_ip_;
  std::vector<std::uint64_t> closed_;
  std::size_t live_ = 0;
  std::uint64_t next_id_ = kFirstConnectionId;
  Clock::time_point next_sweep_ = Clock::time_point::max();
  std::optional<Clock::time_point> accept_paused_until_;
  std::mutex done_mu_;
  std::vector<std::pair<std::uint64_t, Response>> done_;
};

Server::Server(ServerSettings settings, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(handler))) {}
Server::~Server() = default;
Result<int> Server::Bind() {
  return impl_->Bind();
}
void Server::Serve() {
  impl_->Serve();
}
void Server::Stop() {
  impl_->Stop();
}
int Server::port() const {
  return impl_->port();
}

}  // namespace hs::http
