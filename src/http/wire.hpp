#pragma once
// HTTP/1.1 on the wire for the event-driven server (server.cpp): the request head parser, the
// chunked body decoder and the answer's head. Pure functions over bytes, so the strict parsing
// rules (the ones that keep requests from being smuggled past a proxy) are unit-tested alone.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hs::http::wire {

// Why a request is refused before the handler sees it; the server answers with `status` and a
// JSON body naming `code`.
struct Failure {
  int status = 400;
  std::string_view code = "bad_request";
};

struct Limits {
  std::size_t max_header_bytes = 0;
  std::size_t max_body_bytes = 0;
  std::size_t max_header_count = 100;
};

struct RequestHead {
  std::string method;
  std::string path;          // percent-decoded, without the query string
  std::string query_string;  // raw, without '?'
  int minor_version = 1;     // HTTP/1.<minor_version>
  std::vector<std::pair<std::string, std::string>> headers;
  bool keep_alive = true;
  bool chunked = false;
  std::size_t content_length = 0;  // 0 when chunked or absent
  bool expect_continue = false;

  std::optional<std::string_view> Header(std::string_view name) const;
};

// Where the head (request line, headers, blank line) ends in `buffer`, or nullopt while it is
// incomplete. Searches from `from` on, so a client that trickles bytes costs no rescans.
std::optional<std::size_t> FindHeadEnd(std::string_view buffer, std::size_t from);

// Parses a complete head including its final CRLF CRLF.
struct HeadResult {
  RequestHead head;
  std::optional<Failure> failure;
};
HeadResult ParseHead(std::string_view head, const Limits& limits);

// Decodes a chunked body incrementally; stops with 413 as soon as a chunk size announces more
// than the limit, before that chunk's data is read.
class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(const Limits& limits) : limits_(limits) {}
  // Consumes bytes of `in` and appends the data to `body`; returns how many bytes it consumed.
  std::size_t Feed(std::string_view in, std::string& body);
  bool done() const { return state_ == State::kDone; }
  const std::optional<Failure>& failure() const { return failure_; }

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
  std::size_t FeedSizeLine(std::string_view in, std::size_t body_size);
  std::size_t FeedData(std::string_view in, std::string& body);
  std::size_t FeedDataEnd(std::string_view in);
  std::size_t FeedTrailer(std::string_view in);
  void Fail(int status, std::string_view code);

  Limits limits_;
  State state_ = State::kSize;
  std::uint64_t remaining_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::optional<Failure> failure_;
};

// "HTTP/1.1 200 OK\r\n"
std::string StatusLine(int status);
const char* ReasonPhrase(int status);
// Header names and values with CR or LF would split the answer; they are dropped.
bool SafeHeaderField(std::string_view text);
// Percent-decodes a path; unlike a query, '+' stays '+'.
std::string DecodePath(std::string_view path);

}  // namespace hs::http::wire
