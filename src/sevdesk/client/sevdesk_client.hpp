#pragma once
// The sevdesk REST client: implements app::SevdeskGateway over libcurl with whole-request
// deadlines, parses sevdesk's lenient wire format (string ids and numbers, "0"/"1" flags) and
// classifies every failure for the transfer engine.
#include <chrono>
#include <memory>
#include <string>

#include "app/sevdesk_ports.hpp"

namespace hs::sevdesk {

struct ClientSettings {
  std::string base_url = "https://my.sevdesk.de/api/v1";  // from server configuration only
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{5000};
  std::string user_agent = "hundeschule sevdesk-connector";
};

// Must be called once at start-up (curl_global_init).
void InitHttpClient();

std::unique_ptr<app::SevdeskGateway> MakeSevdeskClient(ClientSettings settings);

}  // namespace hs::sevdesk
