#pragma once
// A raw-socket HTTP/1.1 server for client tests that can do what well-behaved servers never do:
// close a kept-alive connection without answering, cut an answer after its headers, redirect a
// write. Each request is recorded with the connection it came on.
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hs::test {

struct ScriptedRequest {
  int connection = 0;  // 1, 2, ... in accept order
  std::string method;
  std::string target;
  std::string head;  // request line and headers, as received
  std::string body;
};

struct ScriptedAnswer {
  enum class Kind { kAnswer, kCloseWithoutAnswer, kHeadersThenClose };
  Kind kind = Kind::kAnswer;
  int status = 200;
  std::string body = "{}";
  std::vector<std::string> headers;  // "Name: value"
  std::size_t body_bytes_sent = 0;   // kHeadersThenClose: how much of `body` goes out
};

class ScriptedHttpServer {
 public:
  using Script = std::function<ScriptedAnswer(const ScriptedRequest&)>;
  explicit ScriptedHttpServer(Script script);
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  int port() const { return port_; }
  std::string BaseUrl() const;
  std::vector<ScriptedRequest> Requests() const;
  int CountRequests(const std::string& method) const;

 private:
  void AcceptLoop();
  void Serve(int fd, int connection);
  bool ReadRequest(int fd, std::string& buffer, ScriptedRequest& request);

  Script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<ScriptedRequest> requests_;
  std::vector<int> open_fds_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

ScriptedAnswer JsonAnswer(int status, std::string body);
ScriptedAnswer CloseWithoutAnswer();

}  // namespace hs::test
