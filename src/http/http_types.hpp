#pragma once
// Library-independent HTTP request/response structs (the llama.cpp tools/server seam): handlers
// and tests never see the HTTP library.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hs::http {

struct UploadedFile {
  std::string name;  // form field name
  std::string filename;
  std::string content_type;
  std::string content;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without query string
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> path_params;  // filled by the router
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<UploadedFile> files;  // multipart/form-data parts (files and plain fields)
  std::string remote_addr;

  // Case-insensitive header lookup; first value.
  std::optional<std::string> Header(std::string_view name) const;
  std::optional<std::string> Query(std::string_view name) const;
  std::vector<std::string> QueryAll(std::string_view name) const;
  std::optional<std::string> Cookie(std::string_view name) const;
  const UploadedFile* File(std::string_view field) const;
  std::string PathParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Test/fault hook: close the connection after the headers without a complete body.
  bool drop_connection = false;
  // Test/fault hook: close the connection without sending a single byte of the answer (no status
  // line), also on a kept-alive connection.
  bool close_without_answer = false;
  // Test/fault hook: send the status line and the headers with the full Content-Length, then only
  // this many bytes of the body, then close the connection.
  std::optional<std::size_t> truncate_body_at;

  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body, std::string content_type);
  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

using Handler = std::function<Response(const Request&)>;

// The address of the client: the peer's, or, when the peer is one of `trusted_proxies`, the
// right-most X-Forwarded-For entry that is not a trusted proxy (each proxy appends the address it
// received the request from, so entries further left may be forged by the client).
std::string ClientAddress(const Request& request, const std::vector<std::string>& trusted_proxies);

// "a=1&b=%C3%A4" -> pairs; '+' is a space.
std::multimap<std::string, std::string> ParseQueryString(std::string_view query);
std::string UrlEncode(std::string_view text);
std::string UrlDecode(std::string_view text);

}  // namespace hs::http
