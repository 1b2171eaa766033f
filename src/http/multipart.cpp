#include "http/multipart.hpp"

#include <algorithm>

#include "http/tokens.hpp"

namespace hs::http::multipart {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kMaxParts = 256;

// Splits "a; b=\"x;y\"; c" at the semicolons outside quoted strings.
std::vector<std::string_view> SplitParameters(std::string_view text) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && quoted) {
      ++i;
    } else if (text[i] == '"') {
      quoted = !quoted;
    } else if (text[i] == ';' && !quoted) {
      out.push_back(TrimOws(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(TrimOws(text.substr(start)));
  return out;
}

std::string Unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  std::string out;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

// Fills name and filename from "form-data; name=\"file\"; filename=\"a.pdf\"". filename* (RFC
// 5987) is ignored, as browsers send a plain filename as well.
void ApplyDisposition(std::string_view value, UploadedFile& part) {
  const auto params = SplitParameters(value);
  if (params.empty() || LowerAscii(params.front()) != "form-data") return;
  for (std::size_t i = 1; i < params.size(); ++i) {
    const auto eq = params[i].find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key = LowerAscii(TrimOws(params[i].substr(0, eq)));
    const std::string_view raw = TrimOws(params[i].substr(eq + 1));
    if (key == "name") part.name = Unquote(raw);
    if (key == "filename") part.filename = Unquote(raw);
  }
}

bool ApplyPartHeaders(std::string_view headers, UploadedFile& part) {
  while (!headers.empty()) {
    const auto end = headers.find(kCrlf);
    const std::string_view line = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view{} : headers.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string name = LowerAscii(TrimOws(line.substr(0, colon)));
    const std::string_view value = TrimOws(line.substr(colon + 1));
    if (name == "content-disposition") ApplyDisposition(value, part);
    if (name == "content-type") part.content_type = std::string(value);
  }
  return true;
}

// One part from just after its delimiter line up to the CRLF before the next delimiter.
std::optional<UploadedFile> ParsePart(std::string_view part) {
  UploadedFile out;
  std::string_view content;
  if (part.substr(0, kCrlf.size()) == kCrlf) {
    content = part.substr(kCrlf.size());  // a part without headers
  } else {
    const auto headers_end = part.find("\r\n\r\n");
    if (headers_end == std::string_view::npos) return std::nullopt;
    if (!ApplyPartHeaders(part.substr(0, headers_end), out)) return std::nullopt;
    content = part.substr(headers_end + 4);
  }
  out.content = std::string(content);
  return out;
}

// Where the first part starts: just after the first delimiter, which may open the body without
// the CRLF before it; anything before it is a preamble to skip.
std::optional<std::size_t> AfterFirstDelimiter(std::string_view body, std::string_view delimiter) {
  const std::string_view bare = delimiter.substr(kCrlf.size());
  if (body.substr(0, bare.size()) == bare) return bare.size();
  const auto pos = body.find(delimiter);
  if (pos == std::string_view::npos) return std::nullopt;
  return pos + delimiter.size();
}

}  // namespace

std::optional<std::string> Boundary(std::string_view content_type) {
  const auto params = SplitParameters(content_type);
  if (params.empty() || LowerAscii(params.front()) != "multipart/form-data") return std::nullopt;
  for (std::size_t i = 1; i < params.size(); ++i) {
    const auto eq = params[i].find('=');
    if (eq == std::string_view::npos) continue;
    if (LowerAscii(TrimOws(params[i].substr(0, eq))) != "boundary") continue;
    std::string boundary = Unquote(TrimOws(params[i].substr(eq + 1)));
    if (boundary.empty() || boundary.size() > 200) return std::nullopt;
    return boundary;
  }
  return std::nullopt;
}

std::optional<std::vector<UploadedFile>> Parse(std::string_view boundary, std::string_view body) {
  const std::string delimiter = "\r\n--" + std::string(boundary);
  auto cursor = AfterFirstDelimiter(body, delimiter);
  if (!cursor) return std::nullopt;
  std::vector<UploadedFile> parts;
  while (true) {
    const std::string_view after = body.substr(*cursor);
    if (after.substr(0, 2) == "--") return parts;  // the closing delimiter
    if (after.substr(0, kCrlf.size()) != kCrlf || parts.size() >= kMaxParts) return std::nullopt;
    const std::size_t start = *cursor + kCrlf.size();
    const auto next = body.find(delimiter, start);
    if (next == std::string_view::npos) return std::nullopt;
    auto part = ParsePart(body.substr(start, next - start));
    if (!part) return std::nullopt;
    parts.push_back(std::move(*part));
    cursor = next + delimiter.size();
  }
}

}  // namespace hs::http::multipart
