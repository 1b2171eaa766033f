#include "http/body_framing.hpp"

namespace hs::http {

namespace {
bool ReadsUntilClose(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}
}  // namespace

int BodyRefusalStatus(const std::string& method,
                      const std::optional<std::string>& transfer_encoding,
                      const std::optional<std::string>& content_length,
                      std::size_t content_length_count, std::size_t max_body_bytes) {
  if (transfer_encoding) return 411;
  if (content_length_count > 1) return 400;
  if (!content_length) return ReadsUntilClose(method) ? 411 : 0;
  const std::string& text = *content_length;
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return 400;
  }
  return std::stoull(text) > max_body_bytes ? 413 : 0;
}

}  // namespace hs::http
