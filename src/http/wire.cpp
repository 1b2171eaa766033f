#include "http/wire.hpp"

#include <algorithm>
#include <array>

namespace hs::http::wire {

namespace {

constexpr std::string_view kCrlf = "\r\n";
// A chunk-size line with extensions longer than this is no honest client's.
constexpr std::size_t kMaxChunkSizeLine = 1024;

char LowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return LowerAscii(x) == LowerAscii(y);
         });
}

// RFC 9110 tchar: what a method or a header name may consist of.
bool IsTokenChar(char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         kSpecials.find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Field values may carry visible characters, spaces, tabs and obs-text, never control bytes: a
// bare LF or NUL inside a header is how requests get smuggled.
bool IsFieldValue(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7F;
  });
}

bool IsTargetChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7F;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = LowerAscii(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Methods the server hands to the handler; CONNECT and TRACE never reach the application, as
// with the previous library.
bool IsServedMethod(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",    "POST", "PUT",
                                                               "DELETE", "OPTIONS", "PATCH"};
  return std::find(kMethods.begin(), kMethods.end(), method) != kMethods.end();
}

bool ParseRequestLine(std::string_view line, RequestHead& head) {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsServedMethod(method)) return false;
  if (version == "HTTP/1.1") {
    head.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    head.minor_version = 0;
  } else {
    return false;
  }
  if (target.empty() || target.front() != '/' ||
      !std::all_of(target.begin(), target.end(), IsTargetChar)) {
    return false;
  }
  target = target.substr(0, target.find('#'));
  const auto question = target.find('?');
  head.method = std::string(method);
  head.path = DecodePath(target.substr(0, question));
  if (question != std::string_view::npos) head.query_string = target.substr(question + 1);
  return true;
}

bool ParseHeaderLine(std::string_view line, RequestHead& head) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  // No whitespace between name and colon (RFC 9112 5.1) and no obs-fold continuation lines.
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (!IsToken(name) || !IsFieldValue(value)) return false;
  head.headers.emplace_back(std::string(name), std::string(value));
  return true;
}

bool HasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (EqualsIgnoreCase(TrimOws(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<std::size_t> ParseContentLength(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

// Content-Length, Transfer-Encoding and Connection decide how the body is framed and whether the
// connection stays open. Anything ambiguous is refused: the server may sit behind a proxy that
// frames the same bytes differently.
std::optional<Failure> ApplyFraming(RequestHead& head, const Limits& limits) {
  std::optional<std::string_view> length;
  bool has_encoding = false;
  for (const auto& [name, value] : head.headers) {
    if (EqualsIgnoreCase(name, "Content-Length")) {
      if (length && *length != value) return Failure{};
      length = value;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      if (has_encoding || !EqualsIgnoreCase(value, "chunked")) return Failure{};
      has_encoding = true;
    }
  }
  if (has_encoding && (length || head.minor_version == 0)) return Failure{};
  head.chunked = has_encoding;
  if (length) {
    auto parsed = ParseContentLength(*length);
    if (!parsed) return Failure{};
    if (*parsed > limits.max_body_bytes) return Failure{413, "payload_too_large"};
    head.content_length = *parsed;
  }
  const auto connection = head.Header("Connection").value_or("");
  head.keep_alive =
      head.minor_version == 1 ? !HasToken(connection, "close") : HasToken(connection, "keep-alive");
  const bool has_body = head.chunked || head.content_length > 0;
  head.expect_continue = has_body && head.minor_version == 1 &&
                         EqualsIgnoreCase(head.Header("Expect").value_or(""), "100-continue");
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> RequestHead::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::size_t> FindHeadEnd(std::string_view buffer, std::size_t from) {
  constexpr std::string_view kEnd = "\r\n\r\n";
  const auto pos = buffer.find(kEnd, from >= 3 ? from - 3 : 0);
  if (pos == std::string_view::npos) return std::nullopt;
  return pos + kEnd.size();
}

HeadResult ParseHead(std::string_view head, const Limits& limits) {
  HeadResult result;
  const auto line_end = head.find(kCrlf);
  if (!ParseRequestLine(head.substr(0, line_end), result.head)) {
    result.failure = Failure{};
    return result;
  }
  std::string_view rest = head.substr(line_end + kCrlf.size());
  while (!rest.empty() && rest.substr(0, kCrlf.size()) != kCrlf) {
    const auto end = rest.find(kCrlf);
    if (result.head.headers.size() >= limits.max_header_count) {
      result.failure = Failure{431, "header_too_large"};
      return result;
    }
    if (end == std::string_view::npos || !ParseHeaderLine(rest.substr(0, end), result.head)) {
      result.failure = Failure{};
      return result;
    }
    rest.remove_prefix(end + kCrlf.size());
  }
  result.failure = ApplyFraming(result.head, limits);
  return result;
}

std::size_t ChunkedDecoder::Feed(std::string_view in, std::string& body) {
  std::size_t consumed = 0;
  while (!failure_ && state_ != State::kDone && consumed < in.size()) {
    const std::string_view rest = in.substr(consumed);
    std::size_t step = 0;
    switch (state_) {
      case State::kSize:
        step = FeedSizeLine(rest, body.size());
        break;
      case State::kData:
        step = FeedData(rest, body);
        break;
      case State::kDataEnd:
        step = FeedDataEnd(rest);
        break;
      case State::kTrailer:
        step = FeedTrailer(rest);
        break;
      case State::kDone:
        break;
    }
    if (step == 0) break;  // needs more bytes
    consumed += step;
  }
  return consumed;
}

std::size_t ChunkedDecoder::FeedSizeLine(std::string_view in, std::size_t body_size) {
  const auto end = in.find(kCrlf);
  if (end == std::string_view::npos) {
    if (in.size() > kMaxChunkSizeLine) Fail(400, "bad_request");
    return 0;
  }
  const std::string_view line = in.substr(0, end);
  const std::string_view digits = TrimOws(line.substr(0, line.find(';')));
  if (digits.empty() || digits.size() > 15) {
    Fail(400, "bad_request");
    return 0;
  }
  std::uint64_t size = 0;
  for (char c : digits) {
    const int v = HexValue(c);
    if (v < 0) {
      Fail(400, "bad_request");
      return 0;
    }
    size = size * 16 + static_cast<std::uint64_t>(v);
  }
  if (size > limits_.max_body_bytes - body_size) {
    Fail(413, "payload_too_large");
    return 0;
  }
  remaining_ = size;
  state_ = size == 0 ? State::kTrailer : State::kData;
  return end + kCrlf.size();
}

std::size_t ChunkedDecoder::FeedData(std::string_view in, std::string& body) {
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
  body.append(in.substr(0, n));
  remaining_ -= n;
  if (remaining_ == 0) state_ = State::kDataEnd;
  return n;
}

std::size_t ChunkedDecoder::FeedDataEnd(std::string_view in) {
  if (in.size() < kCrlf.size()) return 0;
  if (in.substr(0, kCrlf.size()) != kCrlf) {
    Fail(400, "bad_request");
    return 0;
  }
  state_ = State::kSize;
  return kCrlf.size();
}

// Trailer fields are read and ignored; their total counts against the header limit.
std::size_t ChunkedDecoder::FeedTrailer(std::string_view in) {
  const auto end = in.find(kCrlf);
  if (end == std::string_view::npos) {
    if (trailer_bytes_ + in.size() > limits_.max_header_bytes) Fail(431, "header_too_large");
    return 0;
  }
  trailer_bytes_ += end + kCrlf.size();
  if (trailer_bytes_ > limits_.max_header_bytes) {
    Fail(431, "header_too_large");
    return 0;
  }
  if (end == 0) state_ = State::kDone;
  return end + kCrlf.size();
}

void ChunkedDecoder::Fail(int status, std::string_view code) {
  failure_ = Failure{status, code};
}

const char* ReasonPhrase(int status) {
  static constexpr std::array<std::pair<int, const char*>, 36> kPhrases = {{
      {100, "Continue"},
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {206, "Partial Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {303, "See Other"},
      {304, "Not Modified"},
      {307, "Temporary Redirect"},
      {308, "Permanent Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {402, "Payment Required"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {406, "Not Acceptable"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {410, "Gone"},
      {411, "Length Required"},
      {412, "Precondition Failed"},
      {413, "Payload Too Large"},
      {415, "Unsupported Media Type"},
      {422, "Unprocessable Entity"},
      {423, "Locked"},
      {428, "Precondition Required"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
  }};
  for (const auto& [code, phrase] : kPhrases) {
    if (code == status) return phrase;
  }
  return "Unknown";
}

std::string StatusLine(int status) {
  return "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) + "\r\n";
}

bool SafeHeaderField(std::string_view text) {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

std::string DecodePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && HexValue(path[i + 1]) >= 0 &&
        HexValue(path[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(path[i + 1]) * 16 + HexValue(path[i + 2]));
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

}  // namespace hs::http::wire
