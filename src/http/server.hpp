#pragma once
// The HTTP server behind a pimpl: the only place that includes the HTTP library for serving.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/http_types.hpp"

namespace hs::http {

struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port
  std::size_t threads = 16;
  std::size_t max_body_bytes = 12 * 1024 * 1024;
  std::chrono::seconds read_timeout{15};
  std::chrono::seconds write_timeout{15};
  std::chrono::seconds keep_alive_timeout{5};
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
  // Serves until Stop(); call after Bind().
  void Serve();
  void Stop();
  int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hs::http
