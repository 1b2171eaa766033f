#include "http/client.hpp"

#include <httplib.h>

#include "core/text.hpp"

namespace hs::http {

std::optional<std::string> ClientResponse::Header(std::string_view name) const {
  const std::string want = ToLowerAscii(name);
  for (const auto& [k, v] : headers) {
    if (ToLowerAscii(k) == want) return v;
  }
  return std::nullopt;
}

class Client::Impl {
 public:
  Impl(const std::string& base, std::chrono::milliseconds timeout) : client_(base) {
    client_.set_connection_timeout(timeout);
    client_.set_read_timeout(timeout);
    client_.set_write_timeout(timeout);
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);  // headers and body go out separately (see server.cpp)
  }
  httplib::Client client_;
};

namespace {
Result<ClientResponse> Convert(const httplib::Result& result) {
  if (!result) {
    return Fail(ErrorCode::kUnavailable, "http_error",
                "HTTP request failed: " + httplib::to_string(result.error()));
  }
  ClientResponse out;
  out.status = result->status;
  out.body = result->body;
  for (const auto& [k, v] : result->headers) out.headers.emplace_back(k, v);
  return out;
}
}  // namespace

Client::Client(const std::string& base, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(base, timeout)) {}
Client::~Client() = default;

Result<ClientResponse> Client::Send(const std::string& method, const std::string& path_and_query,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& body, const std::string& content_type) {
  httplib::Request req;
  req.method = method;
  req.path = path_and_query;
  for (const auto& [k, v] : headers) req.headers.emplace(k, v);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body = body;
    req.headers.emplace("Content-Type", content_type);
  }
  return Convert(impl_->client_.send(req));
}

Result<ClientResponse> Client::SendMultipart(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers,
    const std::vector<MultipartPart>& parts) {
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  httplib::MultipartFormDataItems items;
  for (const auto& p : parts) items.push_back({p.name, p.content, p.filename, p.content_type});
  return Convert(impl_->client_.Post(path.c_str(), h, items));
}

}  // namespace hs::http
