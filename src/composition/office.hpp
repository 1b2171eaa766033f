#pragma once
// The office: every adapter and service of one process, built once from the settings. The
// services' own wiring (WireServices) is shared with the benchmarks and test fixtures, which
// bring their own database, clock, gateway or renderer.
#include <memory>
#include <string>

#include "app/payment_service.hpp"
#include "app/services.hpp"
#include "app/sevdesk_service.hpp"
#include "composition/settings.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "crypto/sodium_crypto.hpp"
#include "store/database_url.hpp"

namespace hs::composition {

// What the services are built on.
struct ServiceParts {
  app::Database& db;
  const Clock& clock;
  Random& random;
  const app::Crypto& crypto;
  const app::SecretSealer& sealer;
  app::SevdeskGateway& gateway;
  const app::InvoiceRenderer& renderer;
  app::AuthSettings auth{};
  // Renders the PDF a ZUGFeRD invoice is built from; null: ZUGFeRD finalizations are refused.
  const app::InvoiceRenderer* pdfa_renderer = nullptr;
};

// The office's use cases, wired as `serve` uses them: a finalized invoice enqueues its transfer.
struct Services {
  std::unique_ptr<app::AuthService> auth;
  std::unique_ptr<app::SchoolService> schools;
  std::unique_ptr<app::CustomerService> customers;
  std::unique_ptr<app::InvoiceService> invoices;
  std::unique_ptr<app::ReceiptService> receipts;
  std::unique_ptr<app::SevdeskService> sevdesk;
  std::unique_ptr<app::PaymentService> payments;  // issue 16: "Zahlung erfassen"
};

// `metrics` (may be null) receives the transfer engine's counters.
Services WireServices(const ServiceParts& parts, const app::SevdeskSettings& settings,
                      app::TransferMetrics* metrics = nullptr);

// Everything one process needs, built once.
struct Office {
  SystemClock clock;
  metrics::Registry metrics;
  std::unique_ptr<app::TransferMetrics> transfer_metrics;
  std::unique_ptr<crypto::SodiumCrypto> crypto;
  std::unique_ptr<app::Database> db;
  std::unique_ptr<app::InvoiceRenderer> renderer;
  std::unique_ptr<app::InvoiceRenderer> pdfa_renderer;  // every font embedded (PDF/A-3)
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<crypto::SecretBox> secrets;
  std::unique_ptr<app::SevdeskGateway> gateway;
  Services services;
  store::DatabaseConfig database;
  std::string key_file;
};

Result<store::DatabaseConfig> DatabaseFrom(const DatabaseSettings& settings);
// The engine's settings from the command line's.
Result<app::SevdeskSettings> EngineSettings(const TransferSettings& transfer,
                                            const store::DatabaseConfig& database);
Result<std::unique_ptr<Office>> BuildOffice(const DatabaseSettings& db, const HttpSettings& http,
                                            const KeySettings& key,
                                            const TransferSettings& transfer);

// Every serve and worker must open the sevdesk tokens with the key they were sealed with; the
// first stores a check value of its key, a later one with another key refuses to start.
Status CheckSecretKey(Office& office);

}  // namespace hs::composition
