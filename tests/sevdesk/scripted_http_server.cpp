#include "scripted_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace hs::test {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::size_t ContentLength(const std::string& head) {
  const std::string lower = Lower(head);
  const auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return std::strtoul(head.c_str() + at + 17, nullptr, 10);
}

void SendAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

std::string StatusLine(int status) {
  return "HTTP/1.1 " + std::to_string(status) + " Scripted\r\n";
}

}  // namespace

ScriptedAnswer JsonAnswer(int status, std::string body) {
  ScriptedAnswer a;
  a.status = status;
  a.body = std::move(body);
  return a;
}

ScriptedAnswer CloseWithoutAnswer() {
  ScriptedAnswer a;
  a.kind = ScriptedAnswer::Kind::kCloseWithoutAnswer;
  return a;
}

ScriptedHttpServer::ScriptedHttpServer(Script script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& w : workers_) w.join();
}

std::string ScriptedHttpServer::BaseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1";
}

std::vector<ScriptedRequest> ScriptedHttpServer::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int ScriptedHttpServer::CountRequests(const std::string& method) const {
  int n = 0;
  for (const auto& r : Requests()) n += r.method == method ? 1 : 0;
  return n;
}

void ScriptedHttpServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    const int connection = ++connections_;
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd, connection] { Serve(fd, connection); });
  }
}

bool ScriptedHttpServer::ReadRequest(int fd, std::string& buffer, ScriptedRequest& request) {
  char chunk[65536];
  while (buffer.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  const auto end = buffer.find("\r\n\r\n");
  request.head = buffer.substr(0, end + 2);
  buffer.erase(0, end + 4);
  const std::size_t length = ContentLength(request.head);
  while (buffer.size() < length) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  request.body = buffer.substr(0, length);
  buffer.erase(0, length);
  const auto sp1 = request.head.find(' ');
  const auto sp2 = request.head.find(' ', sp1 + 1);
  request.method = request.head.substr(0, sp1);
  request.target = request.head.substr(sp1 + 1, sp2 - sp1 - 1);
  return true;
}

void ScriptedHttpServer::Serve(int fd, int connection) {
  std::string buffer;
  for (;;) {
    ScriptedRequest request;
    request.connection = connection;
    if (!ReadRequest(fd, buffer, request)) break;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
    const ScriptedAnswer answer = script_(request);
    if (answer.kind == ScriptedAnswer::Kind::kCloseWithoutAnswer) break;
    std::string head = StatusLine(answer.status) + "Content-Type: application/json\r\n" +
                       "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
    for (const auto& h : answer.headers) head += h + "\r\n";
    head += "\r\n";
    if (answer.kind == ScriptedAnswer::Kind::kHeadersThenClose) {
      SendAll(fd, head + answer.body.substr(0, answer.body_bytes_sent));
      break;
    }
    SendAll(fd, head + answer.body);
  }
  ::shutdown(fd, SHUT_RDWR);
  std::lock_guard lock(mu_);
  std::erase(open_fds_, fd);
  ::close(fd);
}

}  // namespace hs::test
