#pragma once
// The HTTP server behind a pimpl: an epoll event loop that parses HTTP/1.1 itself (wire.hpp) and
// runs the handler on a pool of worker threads (docs/adr/0011-event-driven-http-server.md).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/http_types.hpp"

namespace hs::http {

// Every limit a client could otherwise stretch has a default here, and only here. A client that
// falls behind a deadline is disconnected; nothing a client does holds a worker thread.
struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port
  // Worker threads that run the handler; the event loop thread does all the socket work.
  std::size_t threads = 16;
  std::size_t max_body_bytes = 12 * 1024 * 1024;
  // Request line and headers together (also the limit of a chunked body's trailer).
  std::size_t max_header_bytes = 16 * 1024;
  // From a connection's first byte of a request (or from accept) to the blank line after the
  // headers, however steadily the bytes trickle in.
  std::chrono::milliseconds header_timeout{10'000};
  // Longest pause while a request body arrives.
  std::chrono::seconds read_timeout{15};
  // Longest pause while the client takes the answer.
  std::chrono::seconds write_timeout{15};
  // A body (in or out) has this long, plus one second per min_transfer_rate bytes moved: an
  // average below that rate ends the connection even if no single pause is long.
  std::chrono::milliseconds transfer_grace{20'000};
  std::size_t min_transfer_rate = 16 * 1024;  // bytes per second
  // Idle time between two requests on one connection.
  std::chrono::seconds keep_alive_timeout{5};
  std::size_t max_requests_per_connection = 100;
  // Open connections in all. At the limit a new connection pushes out the longest-waiting one
  // that has no request being handled, so a flood of idle sockets cannot lock clients out.
  std::size_t max_connections = 1024;
  // Open connections from one address; 0 means no limit (behind a reverse proxy every client
  // has the proxy's address).
  std::size_t max_connections_per_ip = 0;
};

class Server {
 public:
  // `handler` sees every request (the application does its own routing) and must not throw; an
  // escaped exception becomes a JSON 500 as a last resort.
  Server(ServerSettings settings, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the socket; returns the bound port.
  Result<int> Bind();
  // Serves until Stop(); call after Bind(). Returns once the connections are closed and the
  // handlers that were running have returned.
  void Serve();
  // Safe from any thread, before or during Serve(); does not wait.
  void Stop();
  int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hs::http
