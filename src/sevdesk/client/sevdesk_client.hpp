#pragma once
// The sevdesk REST client: implements app::SevdeskGateway over libcurl with whole-request
// deadlines, parses sevdesk's lenient wire format (string ids and numbers, "0"/"1" flags) and
// classifies every failure for the transfer engine.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "app/sevdesk_ports.hpp"
#include "app/transfer_metrics.hpp"

namespace hs::sevdesk {

// How a write (POST/PUT/DELETE) gets its connection (ADR 0010). Either way a write is sent at
// most once per call: libcurl re-sends a request by itself when a reused connection dies before
// the answer's first byte, and the client aborts such a second send (an uncertain outcome that
// the engine reconciles) instead of letting it reach sevdesk.
enum class WriteConnection {
  kReuseRecent,  // reuse a connection idle for at most write_reuse_max_idle, else a new one
  kFresh,        // a new connection for every write
};

struct ClientSettings {
  std::string base_url = "https://my.sevdesk.de/api/v1";  // from server configuration only
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{5000};
  std::string user_agent = "hundeschule sevdesk-connector";
  WriteConnection write_connection = WriteConnection::kReuseRecent;
  // Far below any server's keep-alive time-out, so that a reused connection is rarely one the
  // server is closing at that moment (that would make the write uncertain, never a duplicate).
  std::chrono::seconds write_reuse_max_idle{2};
  // An HTTP proxy for sevdesk ("" = none). The environment's http(s)_proxy is never used: a
  // proxy can repeat a request on its own, so one is used only when configured explicitly.
  std::string proxy;
  // Every request's endpoint template, status and latency (null: not measured).
  app::SevdeskRequestMetrics* metrics = nullptr;
  // An answer longer than this is cut off and fails like a broken connection. A page of 1,000
  // vouchers is about 2 MB; a broken or hostile server must not fill the memory.
  std::size_t max_answer_bytes = 64 << 20;
};

// The reason (app::sevdesk_reason) of a request that sevdesk refused with a 4xx other than 401,
// 403 and 429: which object was missing, read from sevdesk's message text. Only the client reads
// that text; the engine decides on the reason.
std::string_view RejectionReason(std::string_view path, std::string_view message);

// Must be called once at start-up (curl_global_init).
void InitHttpClient();

std::unique_ptr<app::SevdeskGateway> MakeSevdeskClient(ClientSettings settings);

}  // namespace hs::sevdesk
