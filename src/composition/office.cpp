#include "composition/office.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "app/transaction.hpp"
#include "pdf/invoice_pdf.hpp"
#include "sevdesk/client/sevdesk_client.hpp"

namespace hs::composition {

namespace {

crypto::PasswordCost CostFrom(const std::string& name) {
  if (name == "minimum") return crypto::PasswordCost::kMinimum;
  if (name == "interactive") return crypto::PasswordCost::kInteractive;
  return crypto::PasswordCost::kModerate;
}

class PdfRendererAdapter final : public app::InvoiceRenderer {
 public:
  explicit PdfRendererAdapter(pdf::PdfSettings settings) : renderer_(std::move(settings)) {}
  Result<std::string> Render(const domain::School& school,
                             const domain::Invoice& invoice) const override {
    return renderer_.Render(school, invoice);
  }

 private:
  pdf::InvoicePdfRenderer renderer_;
};

Result<std::string> DefaultKeyFile(const store::DatabaseConfig& db) {
  if (const char* env = std::getenv("HS_SECRET_KEY_FILE"); env && *env) return std::string(env);
  if (db.engine == store::Engine::kPostgres) {
    // Every process must use the same key; a fresh key per machine would make the tokens that
    // other machines sealed unreadable.
    return Fail(ErrorCode::kInvalidArgument, "key_file_required",
                "With PostgreSQL, --key-file (or HS_SECRET_KEY_FILE) is required: the same key "
                "file on every machine (see docs/operations.md).");
  }
  const auto parent = std::filesystem::path(db.sqlite.path).parent_path();
  return ((parent.empty() ? std::filesystem::path(".") : parent) / "secret.key").string();
}

Status CheckTransferSettings(const TransferSettings& transfer) {
  // A request may be applied until the client gives up on it; only after that (and sevdesk's
  // search lag) can a look-up tell "absent" (ADR 0010).
  if (transfer.settle_ms < transfer.timeout_ms) {
    return Fail(ErrorCode::kInvalidArgument, "bad_settle",
                "--sevdesk-settle-ms must be at least --sevdesk-timeout-ms");
  }
  if (transfer.write_connection != "reuse" && transfer.write_connection != "fresh") {
    return Fail(ErrorCode::kInvalidArgument, "bad_write_connection",
                "--sevdesk-write-connection must be reuse or fresh");
  }
  // Below 10 s a full read of a large account (paced, ADR 0018) would never end before the next.
  if (transfer.payment_sync_interval_s != 0 && transfer.payment_sync_interval_s < 10) {
    return Fail(ErrorCode::kInvalidArgument, "bad_payment_sync_interval",
                "--payment-sync-interval-s must be 0 or at least 10");
  }
  return {};
}

sevdesk::ClientSettings ClientFrom(const TransferSettings& transfer,
                                   app::SevdeskRequestMetrics* metrics) {
  sevdesk::ClientSettings client;
  client.base_url = transfer.sevdesk_base_url;
  client.timeout = std::chrono::milliseconds(transfer.timeout_ms);
  client.write_connection = transfer.write_connection == "fresh"
                                ? sevdesk::WriteConnection::kFresh
                                : sevdesk::WriteConnection::kReuseRecent;
  client.proxy = transfer.proxy;
  client.metrics = metrics;
  return client;
}

// The key file: --key-file, else $HS_SECRET_KEY_FILE, else next to the SQLite file.
Result<std::string> KeyFileFor(const KeySettings& key, const store::DatabaseConfig& database) {
  if (!key.key_file.empty()) return key.key_file;
  return DefaultKeyFile(database);
}

}  // namespace

Services WireServices(const ServiceParts& p, const app::SevdeskSettings& settings,
                      app::TransferMetrics* metrics) {
  Services s;
  s.auth = std::make_unique<app::AuthService>(p.db, p.clock, p.crypto, p.auth);
  s.schools = std::make_unique<app::SchoolService>(p.db, p.clock, p.crypto);
  s.customers = std::make_unique<app::CustomerService>(p.db, p.clock);
  s.invoices = std::make_unique<app::InvoiceService>(p.db, p.clock, p.crypto, p.renderer);
  s.receipts = std::make_unique<app::ReceiptService>(p.db, p.clock, p.crypto);
  s.sevdesk = std::make_unique<app::SevdeskService>(p.db, p.clock, p.random, p.crypto, p.sealer,
                                                    p.gateway, settings, metrics);
  s.invoices->SetFinalizeHook(s.sevdesk.get());
  app::PaymentSettings payment_settings;
  payment_settings.settle = settings.settle;
  s.payments =
      std::make_unique<app::PaymentService>(p.db, p.clock, p.sealer, p.gateway, payment_settings);
  s.invoices->SetPdfARenderer(p.pdfa_renderer);
  return s;
}

Result<store::DatabaseConfig> DatabaseFrom(const DatabaseSettings& settings) {
  auto config = store::ParseDatabaseUrl(settings.url);
  if (!config) return config;
  config->postgres.pool_size = settings.pool_size;
  return config;
}

Result<app::SevdeskSettings> EngineSettings(const TransferSettings& transfer,
                                            const store::DatabaseConfig& database) {
  if (auto st = CheckTransferSettings(transfer); !st) return tl::unexpected(st.error());
  app::SevdeskSettings sd;
  sd.workers = transfer.workers;
  sd.rate_per_second = transfer.rate;
  sd.burst = transfer.burst;
  sd.max_attempts = transfer.max_attempts;
  sd.backoff_base = std::chrono::milliseconds(transfer.backoff_base_ms);
  sd.lease = std::chrono::milliseconds(std::max(1000, transfer.lease_ms));
  sd.settle = std::chrono::milliseconds(transfer.settle_ms);
  // SQLite: one process, so every running row of another owner is a dead process's.
  // PostgreSQL: other owners are live processes; only expired leases are taken over.
  sd.single_process = database.engine == store::Engine::kSqlite;
  sd.voucher_link_template = transfer.voucher_link_template;
  sd.payment_sync = !transfer.no_payment_sync;
  if (transfer.payment_sync_interval_s > 0) {
    sd.payment_sync_interval = std::chrono::seconds(transfer.payment_sync_interval_s);
  }
  return sd;
}

Result<std::unique_ptr<Office>> BuildOffice(const DatabaseSettings& db, const HttpSettings& http,
                                            const KeySettings& key,
                                            const TransferSettings& transfer) {
  auto database = DatabaseFrom(db);
  if (!database) return tl::unexpected(database.error());
  auto engine = EngineSettings(transfer, *database);
  if (!engine) return tl::unexpected(engine.error());
  auto key_file = KeyFileFor(key, *database);
  if (!key_file) return tl::unexpected(key_file.error());
  auto office = std::make_unique<Office>();
  office->database = *database;
  office->crypto = std::make_unique<crypto::SodiumCrypto>(CostFrom(http.password_cost));
  auto opened = store::OpenDatabase(*database);
  if (!opened) return tl::unexpected(opened.error());
  office->db = std::move(*opened);
  office->renderer = std::make_unique<PdfRendererAdapter>(pdf::PdfSettings{http.font_dir});
  // PDF/A-3 (the ZUGFeRD invoice) forbids fonts that are not embedded.
  pdf::PdfSettings pdfa_settings{http.font_dir};
  pdfa_settings.embed_all_fonts = true;
  office->pdfa_renderer = std::make_unique<PdfRendererAdapter>(std::move(pdfa_settings));
  // Created 0600 when missing; after the database opened, so a wrong URL leaves no key file.
  auto secrets = crypto::SecretBox::FromKeyFile(*key_file);
  if (!secrets) return tl::unexpected(secrets.error());
  office->key_file = *key_file;
  office->secrets = std::move(*secrets);
  office->random = std::make_unique<SeededRandom>(std::random_device{}());
  office->transfer_metrics = std::make_unique<app::TransferMetrics>(office->metrics);
  office->gateway =
      sevdesk::MakeSevdeskClient(ClientFrom(transfer, &office->transfer_metrics->requests()));
  ServiceParts parts{*office->db,      office->clock,    *office->random,   *office->crypto,
                     *office->secrets, *office->gateway, *office->renderer, {}};
  parts.auth.max_concurrent_password_checks = std::max(1, http.max_password_checks);
  parts.pdfa_renderer = office->pdfa_renderer.get();
  office->services = WireServices(parts, *engine, office->transfer_metrics.get());
  app::SevdeskService* sevdesk = office->services.sevdesk.get();
  office->metrics.AddCollector([sevdesk] { (void)sevdesk->CollectMetrics(); });
  return office;
}

Status CheckSecretKey(Office& office) {
  const std::string mine = office.secrets->KeyCheck();
  auto stored = app::RunTransaction(
      *office.db, app::TxKind::kWrite, [&](app::UnitOfWork& uow) -> Result<std::string> {
        auto existing = uow.Sevdesk().GetKeyCheck();
        if (!existing) return tl::unexpected(existing.error());
        if (*existing) return **existing;
        // No check value yet (new, or from before the check): tokens already stored must open.
        auto connections = uow.Sevdesk().EnabledConnections();
        if (!connections) return tl::unexpected(connections.error());
        bool sealed = false;
        for (const auto& c : *connections) {
          if (c.token_sealed.empty()) continue;
          sealed = true;
          if (office.secrets->Open(c.token_sealed, "school:" + std::to_string(c.school_id))) {
            return uow.Sevdesk().EnsureKeyCheck(mine, office.clock.Now());
          }
        }
        if (sealed) return std::string("(the key of the stored tokens)");
        return uow.Sevdesk().EnsureKeyCheck(mine, office.clock.Now());
      });
  if (!stored) return tl::unexpected(stored.error());
  if (*stored != mine) {
    return Fail(ErrorCode::kInvalidArgument, "key_mismatch",
                "key mismatch: the key in " + office.key_file +
                    " is not the key the sevdesk tokens in this database were sealed with "
                    "(stored key check " +
                    *stored + ", this key " + mine +
                    "). Every serve and worker must use the same key file; refusing to start. "
                    "See docs/operations.md, \"Keys\".");
  }
  return {};
}

}  // namespace hs::composition
