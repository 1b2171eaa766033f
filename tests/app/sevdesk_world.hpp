#pragma once
// The whole sevdesk integration in one process, all real: a SQLite file in a temp dir, the office
// services with the libharu PDF renderer, libsodium, the libcurl sevdesk client and the sevdesk
// sandbox on a free loopback port. Time is a FakeClock by default, so backoff and leases cost no
// wall time; the engine is driven step by step with TransferEngine::DrainOnce (or by the real
// workers when a test asks for them).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/services.hpp"
#include "app/sevdesk_engine.hpp"
#include "app/sevdesk_service.hpp"
#include "app/transfer_metrics.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "crypto/sodium_crypto.hpp"
#include "http/client.hpp"
#include "pdf/invoice_pdf.hpp"
#include "sevdesk/sandbox/sandbox.hpp"

namespace hs::app::testing {

using Json = nlohmann::json;

// Sandbox accounts (tokens look like real ones: 32 lowercase hex characters).
inline constexpr char kTokenA[] = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
inline constexpr char kTokenB[] = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";
inline constexpr char kTokenKlein[] = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";
inline constexpr char kTokenV1[] = "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3";
inline constexpr char kTokenNoApi[] = "e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4";
inline constexpr char kTokenUnknown[] = "f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5";

struct WorldOptions {
  bool fake_clock = true;
  SevdeskSettings settings;
  std::chrono::milliseconds client_timeout{400};
  // How long the sandbox holds back a "time-out" answer (longer than client_timeout).
  std::chrono::milliseconds sandbox_hold{1200};
};

class PdfRenderer final : public InvoiceRenderer {
 public:
  Result<std::string> Render(const domain::School& s, const domain::Invoice& i) const override {
    if (during_render) during_render(s, i);
    return pdf_.Render(s, i);
  }
  // Runs inside every Render (tests change data while a finalization renders).
  std::function<void(const domain::School&, const domain::Invoice&)> during_render;

 private:
  pdf::InvoicePdfRenderer pdf_{pdf::PdfSettings{}};
};

struct Line {
  std::string text;
  Cents unit_price_cents;
  int vat_rate;
  Milli quantity = 1000;
};

class SevdeskWorld : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Tests adjust the options before the world is built.
  virtual void Configure(WorldOptions&) {}

  // ---- the office
  Principal NewSchool(const std::string& name, domain::TaxMode mode = domain::TaxMode::kRegular);
  // Enters the token, tests the connection (must succeed) and enables the transfer.
  void Connect(const Principal& who, const std::string& token);
  domain::Customer NewCustomer(std::int64_t school_id, const std::string& last_name,
                               const std::string& email = "kunde@example.org",
                               domain::CustomerKind kind = domain::CustomerKind::kPerson);
  domain::Invoice NewDraft(std::int64_t school_id, std::int64_t customer_id,
                           const std::vector<Line>& lines, Date date = Date{});
  domain::Invoice Finalize(std::int64_t school_id, std::int64_t customer_id,
                           const std::vector<Line>& lines = {{"Einzelstunde", 5500, 19}},
                           Date date = Date{});
  std::int64_t ReceiptOf(std::int64_t school_id, const domain::Invoice& invoice);
  std::int64_t AddExpense(std::int64_t school_id);

  // ---- the engine
  int Drain();
  // Drains, then moves the fake clock to the next due time, until nothing is due any more.
  void Settle(int max_rounds = 100);
  TransferHistory History(std::int64_t school_id, std::int64_t receipt_id);
  std::string StatusOf(std::int64_t school_id, std::int64_t receipt_id);
  std::optional<Transfer> TransferOf(std::int64_t school_id, std::int64_t receipt_id);
  void SaveTransfer(const Transfer& t);
  std::optional<ContactLink> LinkOf(std::int64_t school_id, std::int64_t customer_id);
  void SaveLink(const ContactLink& link);
  // A customer linked to a sevdesk contact that no longer exists: every saveVoucher answers 422.
  domain::Customer DeletedContactCustomer(std::int64_t school_id, const std::string& name);
  SevdeskConnection ConnectionOf(std::int64_t school_id);
  void SaveConnection(const SevdeskConnection& c);
  // Claims the next due transfer as another (soon dead) worker would.
  std::optional<Transfer> ClaimAs(const std::string& owner);

  // ---- the sandbox
  Json Admin(const std::string& method, const std::string& path, const Json& body = nullptr);
  Json Account(const std::string& token);  // contacts, vouchers with positions, documents
  std::vector<Json> Vouchers(const std::string& token);
  std::vector<Json> Contacts(const std::string& token);
  std::string VoucherDocument(const std::string& token, const std::string& voucher_id);
  // Requests per route ("POST /Contact") over all statuses.
  std::map<std::string, long> Calls(const std::string& token);
  long TotalCalls(const std::string& token);
  void Inject(sevdesk::sandbox::FaultKind kind, int count, const std::string& endpoint,
              sevdesk::sandbox::FaultScope scope = sevdesk::sandbox::FaultScope::kAll,
              const std::string& token = {});
  void SetAccountFaults(const std::string& token,
                        std::optional<sevdesk::sandbox::FaultSettings> faults);
  void AdvanceClock(std::chrono::milliseconds by);
  Instant Now() const { return clock_->Now(); }

  WorldOptions options_;
  std::filesystem::path dir_;
  std::string db_path_;
  std::unique_ptr<Clock> clock_;
  FakeClock* fake_ = nullptr;
  std::unique_ptr<SeededRandom> random_;
  std::unique_ptr<crypto::SodiumCrypto> crypto_;
  std::unique_ptr<crypto::SecretBox> box_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<PdfRenderer> renderer_;
  std::unique_ptr<sevdesk::sandbox::Sandbox> sandbox_;
  std::unique_ptr<http::Client> admin_;
  // What the world's client and engine record; Render() shows it as /metrics would.
  metrics::Registry metrics_;
  std::unique_ptr<TransferMetrics> transfer_metrics_;
  std::unique_ptr<SevdeskGateway> gateway_;
  std::unique_ptr<AuthService> auth_;
  std::unique_ptr<SchoolService> schools_;
  std::unique_ptr<CustomerService> customers_;
  std::unique_ptr<InvoiceService> invoices_;
  std::unique_ptr<ReceiptService> receipts_;
  std::unique_ptr<SevdeskService> sevdesk_;
  std::unique_ptr<TransferEngine> engine_;
};

Cents ParseCents(const Json& amount);  // "178.50" / 178.5 / "-12.00"

}  // namespace hs::app::testing
