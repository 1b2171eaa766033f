#include "http/server.hpp"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace hs::http {

namespace {
constexpr const char* kInternalErrorBody =
    R"({"code":"internal","message":"Ein interner Fehler ist aufgetreten. Bitte später erneut versuchen.","details":[]})";
constexpr const char* kTooLargeBody =
    R"({"code":"payload_too_large","message":"Die Anfrage ist zu groß.","details":[]})";

Request ToRequest(const httplib::Request& in) {
  Request out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [k, v] : in.params) out.query.emplace(k, v);
  for (const auto& [k, v] : in.headers) {
    // httplib stores peer information as pseudo headers; never trust them (GHSA-xm2j-vfr9-mg9m).
    if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT") {
      continue;
    }
    out.headers.emplace_back(k, v);
  }
  out.body = in.body;
  for (const auto& [field, file] : in.files) {
    out.files.push_back(UploadedFile{field, file.filename, file.content_type, file.content});
  }
  out.remote_addr = in.remote_addr;
  return out;
}

struct Endpoint {
  std::string ip;
  int port = -1;
  bool operator==(const Endpoint&) const = default;
};

// A socket address as httplib reports it in Request::remote_addr/remote_port and local_*.
std::optional<Endpoint> EndpointOf(const sockaddr_storage& addr, socklen_t length) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), length, host, sizeof host, port,
                    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return std::nullopt;
  }
  Endpoint out{host, -1};
  std::from_chars(port, port + std::char_traits<char>::length(port), out.port);
  return out;
}

bool IsConnectionOf(int fd, const httplib::Request& req) {
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t local_length = sizeof local;
  socklen_t peer_length = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0 ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) {
    return false;
  }
  return EndpointOf(local, local_length) == Endpoint{req.local_addr, req.local_port} &&
         EndpointOf(peer, peer_length) == Endpoint{req.remote_addr, req.remote_port};
}

// The socket a request came in on, or -1. httplib hands a handler neither the socket nor the
// stream, and its per-connection loop (Server::process_and_close_socket) is private and compiled
// into Debian's libcpp-httplib, so a subclass cannot wrap it; the socket is found among the
// process's descriptors by the connection's two addresses instead (only for fault answers).
int FindConnectionSocket(const httplib::Request& req) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    const std::string name = entry.path().filename().string();
    int fd = -1;
    const auto parsed = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (parsed.ec == std::errc{} && IsConnectionOf(fd, req)) return fd;
  }
  return -1;
}

// Promise a body and fail to deliver it: the client sees the connection closed mid-answer.
void DropAfterHeaders(const std::string& content_type, httplib::Response& res) {
  res.set_content_provider(1024, content_type,
                           [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
}

// Shuts the connection down before httplib writes anything: the client reads EOF without a
// single byte. httplib's writes then fail (it ignores SIGPIPE) and it closes the socket.
void CloseWithoutAnswer(const httplib::Request& req, const Response& response,
                        httplib::Response& res) {
  DropAfterHeaders(response.content_type, res);  // in case the socket is not found
  const int fd = FindConnectionSocket(req);
  if (fd < 0 || ::shutdown(fd, SHUT_RDWR) != 0) {
    std::fprintf(stderr, "http server: cannot find the socket to close; dropping the answer\n");
  }
}

// The full Content-Length goes out with the headers, then only `keep` bytes of the body.
void SendTruncated(Response response, std::size_t keep, httplib::Response& res) {
  auto body = std::make_shared<const std::string>(std::move(response.body));
  keep = std::min(keep, body->size());
  res.set_content_provider(body->size(), response.content_type,
                           [body, keep](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                             if (offset < keep) sink.write(body->data() + offset, keep - offset);
                             return false;
                           });
}
}  // namespace

class Server::Impl {
 public:
  Impl(ServerSettings settings, Handler handler)
      : settings_(std::move(settings)), handler_(std::move(handler)) {
    const std::size_t threads = settings_.threads;
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_payload_max_length(settings_.max_body_bytes);
    server_.set_read_timeout(settings_.read_timeout);
    server_.set_write_timeout(settings_.write_timeout);
    server_.set_keep_alive_timeout(settings_.keep_alive_timeout.count());
    server_.set_keep_alive_max_count(100);
    // httplib writes the headers and the body of an answer separately; with Nagle's algorithm on,
    // the body waits for the peer's delayed ACK (~40 ms on Linux) on every keep-alive request.
    server_.set_tcp_nodelay(true);
    auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
      Respond(req, res);
    };
    const std::string any = ".*";
    server_.Get(any, dispatch);
    server_.Post(any, dispatch);
    server_.Put(any, dispatch);
    server_.Patch(any, dispatch);
    server_.Delete(any, dispatch);
    server_.Options(any, dispatch);
    server_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content(kInternalErrorBody, "application/json; charset=utf-8");
        });
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      // Only reached for errors httplib detects itself (e.g. 413, 400); our handler answers
      // everything else with a body, or deliberately with a broken one (fault hooks).
      if (!res.body.empty() || res.content_provider_) return;
      if (res.status == 413) {
        res.set_content(kTooLargeBody, "application/json; charset=utf-8");
      } else {
        res.set_content(R"({"code":"bad_request","message":"Ungültige Anfrage.","details":[]})",
                        "application/json; charset=utf-8");
      }
    });
  }

  void Respond(const httplib::Request& req, httplib::Response& res) {
    const Request request = ToRequest(req);
    Response response = handler_(request);
    res.status = response.status;
    for (auto& [k, v] : response.headers) res.set_header(k, v);
    if (response.close_without_answer) {
      CloseWithoutAnswer(req, response, res);
      return;
    }
    if (response.drop_connection) {
      DropAfterHeaders(response.content_type, res);
      return;
    }
    if (response.truncate_body_at) {
      const std::size_t keep = *response.truncate_body_at;
      SendTruncated(std::move(response), keep, res);
      return;
    }
    if (request.method == "HEAD") {
      res.set_header("Content-Type", response.content_type);
      return;
    }
    res.body = std::move(response.body);
    res.set_header("Content-Type", response.content_type);
  }

  Result<int> Bind() {
    int port = settings_.port;
    if (port == 0) {
      port = server_.bind_to_any_port(settings_.host);
      if (port < 0) port = -1;
    } else if (!server_.bind_to_port(settings_.host, port)) {
      port = -1;
    }
    if (port < 0) {
      return Fail(ErrorCode::kUnavailable, "bind_failed",
                  "Cannot listen on " + settings_.host + ":" + std::to_string(settings_.port));
    }
    port_ = port;
    return port;
  }

  void Serve() { server_.listen_after_bind(); }
  void Stop() { server_.stop(); }
  int port() const { return port_; }

 private:
  ServerSettings settings_;
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
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
