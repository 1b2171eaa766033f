#pragma once
// Raw loopback sockets for the server tests: the fault hooks and slow clients are about bytes on
// the wire, which no HTTP client library shows.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hs::http::test {

// An owned client socket.
class RawSocket {
 public:
  explicit RawSocket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  RawSocket(RawSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Waits up to `timeout` for bytes; nullopt on timeout, "" when the peer closed (or reset).
  std::optional<std::string> ReadSome(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return std::string{};
    return std::string(buf, static_cast<std::size_t>(n));
  }

  // Everything until the peer closes, or what arrived until `timeout` passed.
  std::string ReadUntilClose(std::chrono::milliseconds timeout, bool* closed = nullptr) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::string all;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto got = ReadSome(left);
      if (!got) break;
      if (got->empty()) {
        if (closed != nullptr) *closed = true;
        return all;
      }
      all += *got;
    }
    if (closed != nullptr) *closed = false;
    return all;
  }

  // One answer: the head and as many body bytes as its Content-Length announces.
  std::string ReadAnswer(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::string all;
    while (!Complete(all)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto got = ReadSome(left);
      if (!got || got->empty()) break;
      all += *got;
    }
    return all;
  }

 private:
  static bool Complete(const std::string& all) {
    const auto head_end = all.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    const auto cl = all.find("Content-Length: ");
    if (cl == std::string::npos || cl > head_end) return true;
    const auto length = std::stoul(all.substr(cl + 16));
    return all.size() >= head_end + 4 + length;
  }

  int fd_ = -1;
};

inline int StatusOf(std::string_view answer) {
  if (answer.size() < 12 || answer.substr(0, 9) != "HTTP/1.1 ") return 0;
  return std::stoi(std::string(answer.substr(9, 3)));
}

inline std::string BodyOf(std::string_view answer) {
  const auto head_end = answer.find("\r\n\r\n");
  return head_end == std::string_view::npos ? std::string{}
                                            : std::string(answer.substr(head_end + 4));
}

}  // namespace hs::http::test
