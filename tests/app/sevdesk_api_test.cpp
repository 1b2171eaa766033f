// The sevdesk routes of the JSON API (src/http/api/sevdesk_handlers.cpp), served in-process by the
// real http::Server on a free loopback port, with a real login (cookie + CSRF token).
#include <thread>

#include "http/api/api.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "sevdesk_world.hpp"

namespace hs::app::testing {
namespace {

constexpr char kPassword[] = "ein-sehr-langes-passwort";

struct Reply {
  int status = 0;
  std::string body;
  Json json;
  std::optional<std::string> location;
};

class SevdeskApiTest : public SevdeskWorld {
 protected:
  void SetUp() override {
    SevdeskWorld::SetUp();
    if (HasFatalFailure()) return;
    auth_ = std::make_unique<AuthService>(*db_, *clock_, *crypto_);
    school_ = NewSchool("Pfote");
    ASSERT_TRUE(
        schools_->AddUser(school_.school_id, "inhaber@schule.example", kPassword, Role::kOwner));
    api_ = std::make_unique<http::api::Api>(
        http::api::ApiServices{*auth_, *schools_, *customers_, *invoices_, *receipts_, metrics_,
                               sevdesk_.get()},
        http::api::ApiSettings{});
    http::ServerSettings ss;
    ss.host = "127.0.0.1";
    ss.port = 0;
    ss.threads = 4;
    ss.keep_alive_timeout = std::chrono::seconds(1);
    server_ = std::make_unique<http::Server>(
        ss, [this](const http::Request& r) { return api_->Handle(r); });
    auto port = server_->Bind();
    ASSERT_TRUE(port) << port.error().message;
    serving_ = std::thread([this] { server_->Serve(); });
    client_ = std::make_unique<http::Client>("http://127.0.0.1:" + std::to_string(*port),
                                             std::chrono::seconds(10));
    auto login =
        client_->Send("POST", "/api/v1/session", {},
                      Json{{"email", "inhaber@schule.example"}, {"password", kPassword}}.dump());
    ASSERT_TRUE(login && login->status == 200) << (login ? login->body : login.error().message);
    csrf_ = Json::parse(login->body)["csrf_token"];
    const std::string cookie = login->Header("Set-Cookie").value_or("");
    session_ = cookie.substr(0, cookie.find(';'));
  }
  void TearDown() override {
    client_.reset();
    if (server_) {
      server_->Stop();
      if (serving_.joinable()) serving_.join();
    }
    server_.reset();
    api_.reset();
    SevdeskWorld::TearDown();
  }
  Reply Call(const std::string& method, const std::string& path, const Json& body = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Cookie", session_},
                                                                {"X-CSRF-Token", csrf_}};
    auto r = client_->Send(method, path, headers, body.is_null() ? "" : body.dump());
    EXPECT_TRUE(r) << r.error().message;
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = r->body;
    out.json = Json::parse(r->body, nullptr, false);
    out.location = r->Header("Location");
    return out;
  }

  std::unique_ptr<AuthService> auth_;
  http::Metrics metrics_;
  std::unique_ptr<http::api::Api> api_;
  std::unique_ptr<http::Server> server_;
  std::thread serving_;
  std::unique_ptr<http::Client> client_;
  std::string csrf_;
  std::string session_;
  Principal school_;
};

TEST_F(SevdeskApiTest, ConnectTestEnableWithTheTokenNeverInAnAnswer) {
  auto r = Call("GET", "/api/v1/integrations/sevdesk");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["state"], "not_configured");
  EXPECT_TRUE(r.json["api_token"].is_null());

  r = Call("PUT", "/api/v1/integrations/sevdesk", Json{{"api_token", kTokenA}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find(kTokenA), std::string::npos) << r.body;
  EXPECT_EQ(r.json["api_token"], "••••••••a0a0");
  EXPECT_TRUE(r.json["has_token"]);

  r = Call("PUT", "/api/v1/integrations/sevdesk", Json{{"enabled", true}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json["code"], "test_required");

  r = Call("POST", "/api/v1/integrations/sevdesk/test", Json::object());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json["ok"]);
  EXPECT_EQ(r.json["outcome"], "connected");
  EXPECT_EQ(r.json["bookkeeping_version"], "2.0");
  EXPECT_EQ(r.json["sevdesk_tax_mode"], "regular");
  EXPECT_TRUE(r.json["sevdesk_user"].is_string());
  EXPECT_FALSE(r.json["revenue_accounts"].empty());
  EXPECT_EQ(r.body.find(kTokenA), std::string::npos);

  r = Call("PUT", "/api/v1/integrations/sevdesk",
           Json{{"enabled", true}, {"revenue_account_id", 4000101}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json["enabled"]);
  EXPECT_EQ(r.json["revenue_account_id"], 4000101);
  EXPECT_EQ(r.json["last_test"]["outcome"], "connected");

  // The masked value sent back unchanged keeps the token (and the activation).
  r = Call("PUT", "/api/v1/integrations/sevdesk", Json{{"api_token", "••••••••a0a0"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json["enabled"]);
  EXPECT_EQ(r.json["state"], "ok");
  r = Call("GET", "/api/v1/integrations/sevdesk");
  EXPECT_EQ(r.body.find(kTokenA), std::string::npos);
  EXPECT_EQ(r.json["state"], "ok");

  // Other test outcomes arrive as 200 with ok=false and a German message.
  r = Call("PUT", "/api/v1/integrations/sevdesk", Json{{"api_token", kTokenUnknown}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["state"], "paused");
  r = Call("POST", "/api/v1/integrations/sevdesk/test", Json::object());
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.json["ok"]);
  EXPECT_EQ(r.json["outcome"], "token_invalid");
  EXPECT_FALSE(r.json["message"].get<std::string>().empty());
  EXPECT_EQ(r.body.find(kTokenUnknown), std::string::npos);
}

TEST_F(SevdeskApiTest, BulkTransferBatchStatusHistoryAndRetry) {
  const auto customer = NewCustomer(school_.school_id, "Api");
  const auto inv1 = Finalize(school_.school_id, customer.id);
  const auto inv2 = Finalize(school_.school_id, customer.id, {{"Kurs", 12345, 19}});
  const auto r1 = ReceiptOf(school_.school_id, inv1);
  const auto r2 = ReceiptOf(school_.school_id, inv2);
  const auto expense = AddExpense(school_.school_id);
  Connect(school_, kTokenA);
  auto account = Call("PUT", "/api/v1/integrations/sevdesk", Json{{"revenue_account_id", 4000101}});
  ASSERT_EQ(account.status, 200) << account.body;

  // Validation of the request.
  auto r = Call("POST", "/api/v1/integrations/sevdesk/transfers", Json::object());
  EXPECT_EQ(r.status, 400) << r.body;
  r = Call("POST", "/api/v1/integrations/sevdesk/transfers",
           Json{{"filter", {{"type", "expense"}}}});
  EXPECT_EQ(r.status, 400) << r.body;
  r = Call("POST", "/api/v1/integrations/sevdesk/transfers",
           Json{{"receipt_ids", {r1}}, {"filter", Json::object()}});
  EXPECT_EQ(r.status, 400) << r.body;

  r = Call("POST", "/api/v1/integrations/sevdesk/transfers",
           Json{{"receipt_ids", {r1, r2, expense}}});
  ASSERT_EQ(r.status, 202) << r.body;
  const auto batch = r.json["batch_id"].get<std::int64_t>();
  EXPECT_EQ(r.location, "/api/v1/integrations/sevdesk/transfers/" + std::to_string(batch));
  EXPECT_EQ(r.json["queued"], 2);
  ASSERT_EQ(r.json["skipped"].size(), 1u);
  EXPECT_EQ(r.json["skipped"][0]["reason"], "expense");
  EXPECT_EQ(r.json["skipped"][0]["receipt_id"], expense);

  r = Call("GET", "/api/v1/integrations/sevdesk/transfers/" + std::to_string(batch));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["total"], 3);
  EXPECT_EQ(r.json["done"], 0);
  EXPECT_EQ(r.json["skipped"], 1);
  EXPECT_EQ(r.json["remaining"], 2);
  EXPECT_EQ(r.json["failed"], 0);
  EXPECT_FALSE(r.json["finished"]);
  EXPECT_TRUE(r.json.contains("eta_seconds"));

  r = Call("GET", "/api/v1/receipts?sevdesk=queued");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["items"].size(), 2u) << r.body;

  // One transient 500 on the way; both arrive.
  Inject(sevdesk::sandbox::FaultKind::kError500, 1, "", sevdesk::sandbox::FaultScope::kAll);
  Settle();
  r = Call("GET", "/api/v1/integrations/sevdesk/transfers/" + std::to_string(batch));
  EXPECT_EQ(r.json["done"], 2) << r.body;
  EXPECT_TRUE(r.json["finished"]);
  EXPECT_EQ(r.json["eta_seconds"], 0);

  r = Call("GET", "/api/v1/receipts/" + std::to_string(r1) + "/sevdesk");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["sevdesk"]["status"], "transferred");
  EXPECT_EQ(r.json["sevdesk"]["label"], "übertragen");
  EXPECT_FALSE(r.json["sevdesk"]["voucher_id"].get<std::string>().empty());
  EXPECT_NE(r.json["sevdesk"]["link"].get<std::string>().find(
                r.json["sevdesk"]["voucher_id"].get<std::string>()),
            std::string::npos);
  EXPECT_TRUE(r.json["sevdesk"]["transferred_at"].is_string());
  EXPECT_FALSE(r.json["events"].empty());

  r = Call("POST", "/api/v1/receipts/" + std::to_string(r1) + "/sevdesk/retry", Json::object());
  EXPECT_EQ(r.status, 409) << r.body;
  // The revenue account chosen in the settings (it allows 19 %) is the one booked.
  for (const auto& v : Vouchers(kTokenA)) {
    for (const auto& p : v["voucherPos"]) EXPECT_EQ(p["accountDatev"]["id"], "4000101");
  }

  // A failed one in the list and its retry.
  const auto gone = NewCustomer(school_.school_id, "Gelöscht");
  SaveLink({school_.school_id,
            gone.id,
            "HS-" + std::to_string(gone.customer_number),
            "777",
            "",
            "",
            gone.email,
            "Hauptstraße 5|20095|Hamburg|DE",
            gone.version,
            false,
            {}});
  const auto failed = ReceiptOf(school_.school_id, Finalize(school_.school_id, gone.id));
  Drain();
  r = Call("GET", "/api/v1/receipts/" + std::to_string(failed) + "/sevdesk");
  EXPECT_EQ(r.json["sevdesk"]["status"], "failed") << r.body;
  EXPECT_TRUE(r.json["sevdesk"]["reason"].is_string());
  EXPECT_TRUE(r.json["sevdesk"]["hint"].is_string());
  EXPECT_EQ(r.json["sevdesk"]["attempts"], 1);
  EXPECT_TRUE(r.json["sevdesk"]["retryable"]);
  r = Call("GET", "/api/v1/receipts?sevdesk=failed");
  ASSERT_EQ(r.json["items"].size(), 1u) << r.body;
  // Retried: the contact is created again in sevdesk.
  r = Call("POST", "/api/v1/receipts/" + std::to_string(failed) + "/sevdesk/retry", Json::object());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["sevdesk"]["status"], "queued");
  Drain();
  r = Call("GET", "/api/v1/receipts/" + std::to_string(failed) + "/sevdesk");
  EXPECT_EQ(r.json["sevdesk"]["status"], "transferred") << r.body;
  EXPECT_EQ(Vouchers(kTokenA).size(), 3u);
  // Unknown batches and receipts are 404.
  EXPECT_EQ(Call("GET", "/api/v1/integrations/sevdesk/transfers/999999").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/receipts/999999/sevdesk").status, 404);
}

TEST_F(SevdeskApiTest, ClearingTheRevenueAccountKeepsTheOtherFieldErrors) {
  auto r = Call("PUT", "/api/v1/integrations/sevdesk",
                Json{{"enabled", "ja"}, {"revenue_account_id", nullptr}});
  ASSERT_EQ(r.status, 400) << r.body;
  ASSERT_EQ(r.json["details"].size(), 1u) << r.body;
  EXPECT_EQ(r.json["details"][0]["field"], "enabled");
  // null alone is valid and clears the choice.
  r = Call("PUT", "/api/v1/integrations/sevdesk", Json{{"revenue_account_id", nullptr}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json["revenue_account_id"].is_null());
}

// Zahlungsabgleich (issue 16): state, interval, "Jetzt abgleichen", a voucher deleted in sevdesk
// shown on the receipt and transferred again.
TEST_F(SevdeskApiTest, PaymentSyncStateIntervalRunAndRetransferOfADeletedVoucher) {
  const std::string base = "/api/v1/integrations/sevdesk/payment-sync";
  Reply before = Call("GET", base);
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_FALSE(before.json["available"]);
  EXPECT_EQ(Call("POST", base + "/run").status, 409);
  Connect(school_, kTokenA);
  const auto customer = NewCustomer(school_.school_id, "Mustermann");
  const auto receipt = ReceiptOf(school_.school_id, Finalize(school_.school_id, customer.id));
  Settle();

  Reply state = Call("GET", base);
  EXPECT_TRUE(state.json["available"]);
  EXPECT_EQ(state.json["interval_minutes"], 60);
  EXPECT_TRUE(state.json["last_sync"].is_null());
  Reply too_often = Call("PUT", base, Json{{"interval_minutes", 5}});
  EXPECT_EQ(too_often.status, 422) << too_often.body;
  EXPECT_EQ(too_often.json["details"][0]["field"], "interval_minutes");
  EXPECT_EQ(Call("PUT", base, Json{{"interval", 30}}).status, 400);
  Reply set = Call("PUT", base, Json{{"interval_minutes", 30}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json["interval_minutes"], 30);

  const std::string path = "/api/v1/receipts/" + std::to_string(receipt) + "/sevdesk";
  const std::string voucher = Call("GET", path).json["sevdesk"]["voucher_id"];
  Admin("DELETE", "/accounts/" + std::string(kTokenA) + "/vouchers/" + voucher);
  Reply run = Call("POST", base + "/run");
  ASSERT_EQ(run.status, 202) << run.body;
  EXPECT_TRUE(run.json["requested"]);
  sevdesk_->PaymentSync().RunDue();
  Reply synced = Call("GET", base);
  EXPECT_FALSE(synced.json["requested"]);
  EXPECT_TRUE(synced.json["last_sync"]["ok"]) << synced.body;
  EXPECT_EQ(synced.json["last_sync"]["requests"], 2);  // the list and the confirmation
  EXPECT_EQ(synced.json["last_sync"]["vouchers"], 0);

  Reply shown = Call("GET", path);
  const Json& sd = shown.json["sevdesk"];
  EXPECT_EQ(sd["voucher_state"]["presence"], "deleted") << shown.body;
  EXPECT_TRUE(sd["retransferable"]);
  EXPECT_EQ(sd["hint"], "Der Beleg wurde in sevdesk gelöscht. Sie können ihn erneut übertragen.");
  Reply again = Call("POST", path + "/retry");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json["sevdesk"]["status"], "queued");
  Settle();
  EXPECT_EQ(StatusOf(school_.school_id, receipt), "transferred");
  EXPECT_EQ(Vouchers(kTokenA).size(), 1u);
  Reply twice = Call("POST", path + "/retry");
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(twice.json["code"], "not_failed");
}

}  // namespace
}  // namespace hs::app::testing
