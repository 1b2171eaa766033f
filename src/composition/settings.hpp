#pragma once
// The composition root's settings, one struct per concern (database, HTTP, key, transfer). Each
// default is defined once: here, or in the library settings a field fills (taken from there);
// the command line shows these values as its defaults (options.hpp).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "app/services.hpp"
#include "app/sevdesk_settings.hpp"
#include "http/server.hpp"
#include "pdf/invoice_pdf.hpp"
#include "sevdesk/client/sevdesk_client.hpp"
#include "store/database_url.hpp"

namespace hs::composition {

inline int Millis(std::chrono::milliseconds d) {
  return static_cast<int>(d.count());
}

struct DatabaseSettings {
  std::string url = "sqlite:./data/hundeschule.db";
  // PostgreSQL connections per process (plus one for LISTEN).
  int pool_size = store::PostgresSettings{}.pool_size;
};

struct HttpSettings {
  std::string listen = "127.0.0.1:8080";
  std::string port_file;
  bool secure_cookies = false;
  std::size_t threads = http::ServerSettings{}.threads;
  std::string font_dir = pdf::PdfSettings{}.font_dir;
  std::string password_cost = "moderate";  // moderate | interactive | minimum (tests only)
  // Password checks at once; each holds its argon2id memory (256 MiB at the moderate cost).
  int max_password_checks = app::AuthSettings{}.max_concurrent_password_checks;
  std::vector<std::string> trusted_proxies;
};

struct KeySettings {
  std::string key_file;  // default: next to the SQLite file, or $HS_SECRET_KEY_FILE
};

// The transfer engine and its sevdesk client (serve and worker alike).
struct TransferSettings {
  // sevdesk: the base URL comes from server configuration only, never from a user.
  std::string sevdesk_base_url = sevdesk::ClientSettings{}.base_url;
  int workers = app::SevdeskSettings{}.workers;
  bool no_workers = false;  // serve only: HTTP without transfers
  double rate = app::SevdeskSettings{}.rate_per_second;
  double burst = app::SevdeskSettings{}.burst;
  int timeout_ms = Millis(sevdesk::ClientSettings{}.timeout);
  int max_attempts = app::SevdeskSettings{}.max_attempts;
  int backoff_base_ms = Millis(app::SevdeskSettings{}.backoff_base);
  int lease_ms = Millis(app::SevdeskSettings{}.lease);
  int settle_ms = Millis(app::SevdeskSettings{}.settle);
  std::string write_connection = "reuse";  // "reuse" (recent only) | "fresh"
  std::string proxy;
  std::string voucher_link_template = app::SevdeskSettings{}.voucher_link_template;
  // Issue 16: the payment sync. 0 = every school at its own interval (settings, 15–1,440 min);
  // otherwise every school this often (operators and benchmarks).
  bool no_payment_sync = false;
  int payment_sync_interval_s = 0;
};

// The worker's own HTTP port for /healthz and /metrics ("" = none).
struct WorkerSettings {
  std::string metrics_listen;
  std::string metrics_port_file;
};

}  // namespace hs::composition
