#include "http/compression.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "http/tokens.hpp"

namespace hs::http::compression {

namespace {

// Below this an answer fits a packet or two anyway; compressing it costs more than it saves.
constexpr std::size_t kMinBytes = 1024;
constexpr int kGzipWindowBits = 15 + 16;  // deflate window with a gzip header
constexpr int kMemLevel = 8;

// "gzip;q=0" and "gzip; q=0.000" refuse gzip; any other weight admits it.
bool ZeroWeight(std::string_view params) {
  const auto q = LowerAscii(params).find("q=");
  if (q == std::string::npos) return false;
  const std::string_view value = TrimOws(params.substr(q + 2));
  return !value.empty() && value.find_first_not_of("0.") == std::string_view::npos;
}

bool HasHeader(const Response& res, std::string_view name) {
  const std::string want = LowerAscii(name);
  return std::any_of(res.headers.begin(), res.headers.end(),
                     [&want](const auto& h) { return LowerAscii(h.first) == want; });
}

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view item = TrimOws(accept_encoding.substr(0, comma));
    const auto semi = item.find(';');
    const std::string coding = LowerAscii(TrimOws(item.substr(0, semi)));
    const std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1);
    if ((coding == "gzip" || coding == "x-gzip") && !ZeroWeight(params)) return true;
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return false;
}

bool Compressible(std::string_view content_type) {
  const std::string type = LowerAscii(TrimOws(content_type.substr(0, content_type.find(';'))));
  static constexpr std::array<std::string_view, 5> kTypes = {
      "application/json", "application/javascript", "application/xml", "image/svg+xml",
      "application/problem+json"};
  return type.rfind("text/", 0) == 0 ||
         std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

std::optional<std::string> Gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

void CompressIfWorthIt(const Request& request, Response& res) {
  if (res.body.size() < kMinBytes || !Compressible(res.content_type)) return;
  // The fault hooks count body bytes as the handler gave them.
  if (res.drop_connection || res.close_without_answer || res.truncate_body_at) return;
  // A Content-Type among the headers overrides content_type, which then says nothing.
  if (HasHeader(res, "Content-Encoding") || HasHeader(res, "Content-Type")) return;
  if (!AcceptsGzip(request.Header("Accept-Encoding").value_or(""))) return;
  auto packed = Gzip(res.body);
  if (!packed || packed->size() >= res.body.size()) return;
  res.body = std::move(*packed);
  res.AddHeader("Content-Encoding", "gzip");
  res.AddHeader("Vary", "Accept-Encoding");
}

}  // namespace hs::http::compression
