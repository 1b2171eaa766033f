#pragma once
// How a request announces its body, decided before the body is read (see server.cpp).
#include <cstddef>
#include <optional>
#include <string>

namespace hs::http {

// The status that refuses a request before its body is read, or 0 to read it:
//   any Transfer-Encoding (chunked)           411: its length is unknown until it is read
//   POST/PUT/PATCH without Content-Length     411: it would be read until the peer closes
//   a repeated or malformed Content-Length    400
//   a Content-Length above `max_body_bytes`   413
int BodyRefusalStatus(const std::string& method,
                      const std::optional<std::string>& transfer_encoding,
                      const std::optional<std::string>& content_length,
                      std::size_t content_length_count, std::size_t max_body_bytes);

}  // namespace hs::http
