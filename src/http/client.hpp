#pragma once
// A small blocking HTTP/1.1 client for loopback use (tests, benchmarks, the CLI talking to a local
// server). The sevdesk connector has its own client with whole-request deadlines.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "http/http_types.hpp"

namespace hs::http {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;
};

struct MultipartPart {
  std::string name;
  std::string content;
  std::string filename;      // empty for a plain field
  std::string content_type;  // empty for a plain field
};

class Client {
 public:
  // base: "http://127.0.0.1:8080"
  explicit Client(const std::string& base,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Fails with kUnavailable when no answer arrives (connection refused, reset, time-out).
  Result<ClientResponse> Send(const std::string& method, const std::string& path_and_query,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body = {},
                              const std::string& content_type = "application/json");
  Result<ClientResponse> SendMultipart(
      const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers,
      const std::vector<MultipartPart>& parts);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hs::http
