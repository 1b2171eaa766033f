// Every fault of the sandbox, configured over the admin API (/__sandbox/faults...), scripted for
// the next requests, and from the start settings (config file, --fault key=value): latency,
// 500s before and after the write, time-outs before and after the write, 429 with and without
// Retry-After, the per-token rate limit, connection resets, revoked tokens, "200 with an error
// body"; per account vs global; the same seed gives the same fault sequence.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sandbox_fixture.hpp"

namespace hs::sevdesk::sandbox::testing {
namespace {

using std::chrono::milliseconds;
using FaultsTest = SandboxTest;

constexpr char kVersion[] = "/Tools/bookkeepingSystemVersion";

void ExpectErrorEnvelope(const Reply& r, int status) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.is_object()) << r.body;
  EXPECT_TRUE(r.json.contains("objects") && r.json["objects"].is_null()) << r.body;
  ASSERT_TRUE(r.json["error"].is_object()) << r.body;
  EXPECT_TRUE(r.json["error"]["message"].is_string());
  EXPECT_EQ(r.json["error"]["responseCode"], status);
}

Json Next(const std::string& kind, const std::string& endpoint = "", int count = 1) {
  Json body = {{"kind", kind}, {"count", count}};
  if (!endpoint.empty()) body["endpoint"] = endpoint;
  return body;
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

TEST_F(FaultsTest, FixedLatencyPlusJitter) {
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"latency_ms", 120}, {"jitter_ms", 100}}).status, 200);
  std::vector<double> took;
  for (int i = 0; i < 8; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(Get(kVersion).status, 200);
    took.push_back(MillisSince(start));
  }
  const auto [min, max] = std::minmax_element(took.begin(), took.end());
  EXPECT_GE(*min, 120.0);
  EXPECT_LE(*max, 120.0 + 100.0 + 400.0);  // generous: a shared, sanitized build
  // Eight uniform draws in 0..100 ms do not all land within 10 ms of each other.
  EXPECT_GE(*max - *min, 10.0);

  // Only matching requests are slowed: with scope=writes a read is fast again.
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"latency_ms", 400}, {"scope", "writes"}}).status, 200);
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Get(kVersion).status, 200);
  EXPECT_LT(MillisSince(start), 300.0);
  start = std::chrono::steady_clock::now();
  CreatePerson("HS-LAT");
  EXPECT_GE(MillisSince(start), 400.0);
}

TEST_F(FaultsTest, AShareOf500sIsCountedInTheStats) {
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"error_500", 0.25}}).status, 200);
  int errors = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = Get(kVersion);
    if (r.status == 500) {
      ++errors;
      ExpectErrorEnvelope(r, 500);
    } else {
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
  EXPECT_GT(errors, 25);
  EXPECT_LT(errors, 75);
  auto stats = Admin("GET", std::string("/accounts/") + kTokenA + "/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;
  const Json& counts = stats.json["requests"]["GET /Tools/bookkeepingSystemVersion"];
  EXPECT_EQ(counts["500"], errors);
  EXPECT_EQ(counts["200"], 200 - errors);
  EXPECT_EQ(stats.json["faultsInjected"]["error_500"], errors);
}

TEST_F(FaultsTest, Error500BeforeAndAfterTheWrite) {
  // Before: nothing is stored.
  ASSERT_EQ(Admin("POST", "/faults/next", Next("error_500", "POST /Contact")).status, 200);
  ExpectErrorEnvelope(Post("/Contact", PersonBody("HS-500")), 500);
  EXPECT_EQ(CountContacts("HS-500"), 0u);
  // After: the contact exists although the answer was a 500.
  ASSERT_EQ(Admin("POST", "/faults/next", Next("error_500_after_write", "POST /Contact")).status,
            200);
  ExpectErrorEnvelope(Post("/Contact", PersonBody("HS-501")), 500);
  EXPECT_EQ(CountContacts("HS-501"), 1u);
  // The scripted faults are used up.
  EXPECT_EQ(Post("/Contact", PersonBody("HS-502")).status, 201);

  // As a probability for writes only: every saveVoucher "fails" but is applied; reads still work.
  ASSERT_EQ(
      Admin("PUT", "/faults", Json{{"error_500_after_write", 1.0}, {"scope", "writes"}}).status,
      200);
  ExpectErrorEnvelope(Upload(SamplePdf()), 500);  // the upload is a write as well: stored
  EXPECT_EQ(Get(kVersion).status, 200);
  EXPECT_EQ(Admin("GET", std::string("/accounts/") + kTokenA).json["counts"]["tempFiles"], 1);
  ASSERT_EQ(Admin("DELETE", "/faults").status, 200);
  const std::string file = UploadPdf(SamplePdf());
  ASSERT_EQ(
      Admin("PUT", "/faults", Json{{"error_500_after_write", 1.0}, {"endpoint", "saveVoucher"}})
          .status,
      200);
  ExpectErrorEnvelope(Post("/Voucher/Factory/saveVoucher", VoucherBody(file, "")), 500);
  auto found = Get("/Voucher?descriptionLike=HS-2026-0042");
  ASSERT_EQ(found.status, 200);
  ASSERT_EQ(found.json["objects"].size(), 1u);
  EXPECT_EQ(found.json["objects"][0]["sumGross"], "178.5");
}

TEST_F(FaultsTest, TimeoutsWithAndWithoutTheWrite) {
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"timeout_ms", 1500}}).status, 200);
  ASSERT_EQ(Admin("POST", "/faults/next", Next("timeout", "POST /Contact")).status, 200);
  auto start = std::chrono::steady_clock::now();
  auto lost = SendWithTimeout("POST", "/api/v1/Contact", PersonBody("HS-T1").dump(), kTokenA,
                              milliseconds(300));
  EXPECT_EQ(lost.status, 0) << lost.body;
  EXPECT_FALSE(lost.error.empty());
  EXPECT_LT(MillisSince(start), 1400.0);
  EXPECT_EQ(CountContacts("HS-T1"), 0u);

  ASSERT_EQ(Admin("POST", "/faults/next", Next("timeout_after_write", "POST /Contact")).status,
            200);
  lost = SendWithTimeout("POST", "/api/v1/Contact", PersonBody("HS-T2").dump(), kTokenA,
                         milliseconds(300));
  EXPECT_EQ(lost.status, 0) << lost.body;
  EXPECT_EQ(CountContacts("HS-T2"), 1u);  // stored before the answer was held back

  // A client that waits longer than the hold-back gets a 504; the write was not applied.
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"timeout_ms", 200}}).status, 200);
  ASSERT_EQ(Admin("POST", "/faults/next", Next("timeout", "POST /Contact")).status, 200);
  start = std::chrono::steady_clock::now();
  auto late = Post("/Contact", PersonBody("HS-T3"));
  EXPECT_GE(MillisSince(start), 200.0);
  ExpectErrorEnvelope(late, 504);
  EXPECT_EQ(CountContacts("HS-T3"), 0u);
  // The held-back answer of timeout_after_write is the real one.
  ASSERT_EQ(Admin("POST", "/faults/next", Next("timeout_after_write", "POST /Contact")).status,
            200);
  EXPECT_EQ(Post("/Contact", PersonBody("HS-T4")).status, 201);
  EXPECT_EQ(CountContacts("HS-T4"), 1u);
}

TEST_F(FaultsTest, RateLimitedWithAndWithoutRetryAfter) {
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"retry_after_seconds", 7}}).status, 200);
  ASSERT_EQ(Admin("POST", "/faults/next", Next("rate_limited")).status, 200);
  auto with = Get(kVersion);
  ExpectErrorEnvelope(with, 429);
  ASSERT_TRUE(with.retry_after.has_value());
  EXPECT_EQ(*with.retry_after, "7");
  ASSERT_EQ(Admin("POST", "/faults/next", Next("rate_limited_no_retry_after")).status, 200);
  auto without = Get(kVersion);
  ExpectErrorEnvelope(without, 429);
  EXPECT_FALSE(without.retry_after.has_value());
  // A 429 is "not processed": the write is not applied.
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"rate_limited", 1.0}}).status, 200);
  ExpectErrorEnvelope(Post("/Contact", PersonBody("HS-429")), 429);
  ASSERT_EQ(Admin("DELETE", "/faults").status, 200);
  EXPECT_EQ(CountContacts("HS-429"), 0u);
}

TEST_F(FaultsTest, PerTokenRateLimitAnswers429WhenExceeded) {
  ASSERT_EQ(
      Admin("PUT", "/faults", Json{{"rate_limit_requests", 3}, {"rate_limit_window_ms", 60000}})
          .status,
      200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Get(kVersion).status, 200) << i;
  auto limited = Get(kVersion);
  ExpectErrorEnvelope(limited, 429);
  ASSERT_TRUE(limited.retry_after.has_value());
  const int retry_after = std::stoi(*limited.retry_after);
  EXPECT_GE(retry_after, 59);
  EXPECT_LE(retry_after, 60);
  // Writes are refused too and not applied.
  ExpectErrorEnvelope(Post("/Contact", PersonBody("HS-RL")), 429);
  // Per token: another account has its own window.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Get(kVersion, kTokenB).status, 200) << i;
  EXPECT_EQ(Get(kVersion, kTokenB).status, 429);

  // The window passes.
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"rate_limit_requests", 2}, {"rate_limit_window_ms", 300}})
                .status,
            200);
  std::this_thread::sleep_for(milliseconds(320));
  EXPECT_EQ(Get(kVersion, kTokenKlein).status, 200);
  EXPECT_EQ(Get(kVersion, kTokenKlein).status, 200);
  auto again = Get(kVersion, kTokenKlein);
  EXPECT_EQ(again.status, 429);
  EXPECT_EQ(again.retry_after.value_or(""), "1");
  std::this_thread::sleep_for(milliseconds(320));
  EXPECT_EQ(Get(kVersion, kTokenKlein).status, 200);
  ASSERT_EQ(Admin("DELETE", "/faults").status, 200);
  EXPECT_EQ(CountContacts("HS-RL"), 0u);
}

TEST_F(FaultsTest, ConnectionResetsWithAndWithoutTheWrite) {
  ASSERT_EQ(Admin("POST", "/faults/next", Next("reset", "GET /Tools")).status, 200);
  auto reset = Get(kVersion);
  EXPECT_EQ(reset.status, 0) << reset.body;
  EXPECT_FALSE(reset.error.empty());
  EXPECT_EQ(Get(kVersion).status, 200);  // the next request on a new connection works

  ASSERT_EQ(Admin("POST", "/faults/next", Next("reset", "POST /Contact")).status, 200);
  EXPECT_EQ(Post("/Contact", PersonBody("HS-R1")).status, 0);
  EXPECT_EQ(CountContacts("HS-R1"), 0u);
  ASSERT_EQ(Admin("POST", "/faults/next", Next("reset_after_write", "POST /Contact")).status, 200);
  EXPECT_EQ(Post("/Contact", PersonBody("HS-R2")).status, 0);
  EXPECT_EQ(CountContacts("HS-R2"), 1u);

  // Also when the write itself fails (an error status must not turn into a complete answer).
  ASSERT_EQ(Admin("POST", "/faults/next", Next("reset_after_write", "POST /Contact")).status, 200);
  EXPECT_EQ(Post("/Contact", Json{{"name", "ohne Kategorie"}}).status, 0);

  auto stats = Admin("GET", std::string("/accounts/") + kTokenA + "/stats");
  EXPECT_EQ(stats.json["requests"]["POST /Contact"]["reset"], 3);
  EXPECT_EQ(stats.json["faultsInjected"]["reset"], 2);  // one GET, one POST
  EXPECT_EQ(stats.json["faultsInjected"]["reset_after_write"], 2);
}

TEST_F(FaultsTest, RevokedTokenIs401FromThenOn) {
  ASSERT_EQ(Get(kVersion).status, 200);
  auto revoked = Admin("POST", std::string("/accounts/") + kTokenA + "/revoke");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  for (int i = 0; i < 3; ++i) ExpectErrorEnvelope(Get(kVersion), 401);
  ExpectErrorEnvelope(Post("/Contact", PersonBody("HS-401")), 401);
  EXPECT_EQ(Get(kVersion, kTokenB).status, 200);  // other accounts are unaffected
  auto account = Admin("GET", std::string("/accounts/") + kTokenA);
  EXPECT_EQ(account.json["revoked"], true);
  // Reinstating (a new token in real life) makes the account usable again.
  ASSERT_EQ(Admin("POST", std::string("/accounts/") + kTokenA + "/reinstate").status, 200);
  EXPECT_EQ(Get(kVersion).status, 200);
  EXPECT_EQ(CountContacts("HS-401"), 0u);
}

TEST_F(FaultsTest, ARegeneratedTokenReplacesTheOldOne) {
  const std::string fresh = "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1";
  ASSERT_EQ(Post("/Contact", PersonBody("HS-NEU")).status, 201);
  ASSERT_EQ(Admin("POST", std::string("/accounts/") + kTokenA + "/revoke").status, 200);
  auto rotated =
      Admin("POST", std::string("/accounts/") + kTokenA + "/token", Json{{"token", fresh}});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  ExpectErrorEnvelope(Get(kVersion), 401);  // the old token is dead
  EXPECT_EQ(Get(kVersion, fresh).status, 200);
  // Same account, same data, reachable under the new token (admin API too).
  auto found = Get("/Contact?customerNumber=HS-NEU&depth=1", fresh);
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(found.json["objects"].size(), 1u);
  EXPECT_EQ(Admin("GET", "/accounts/" + fresh).json["revoked"], false);
  // A token of another account, or no token, is refused.
  EXPECT_EQ(Admin("POST", "/accounts/" + fresh + "/token", Json{{"token", kTokenB}}).status, 409);
  EXPECT_EQ(Admin("POST", "/accounts/" + fresh + "/token", Json{{"token", ""}}).status, 400);
  EXPECT_EQ(Get(kVersion, kTokenB).status, 200);
}

TEST_F(FaultsTest, Http200WithAnErrorBody) {
  ASSERT_EQ(Admin("POST", "/faults/next", Next("error_body_200", "POST /Contact")).status, 200);
  auto r = Post("/Contact", PersonBody("HS-200"));
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(r.json.is_object()) << r.body;
  EXPECT_TRUE(r.json["objects"].is_null());
  ASSERT_TRUE(r.json["error"].is_object());
  EXPECT_TRUE(r.json["error"]["message"].is_string());
  EXPECT_EQ(CountContacts("HS-200"), 0u);
}

TEST_F(FaultsTest, PerAccountFaultsReplaceTheGlobalOnes) {
  const std::string a = std::string("/accounts/") + kTokenA + "/faults";
  ASSERT_EQ(Admin("PUT", a, Json{{"error_500", 1.0}}).status, 200);
  EXPECT_EQ(Get(kVersion).status, 500);
  EXPECT_EQ(Get(kVersion, kTokenB).status, 200);
  EXPECT_EQ(Admin("GET", a).json["error_500"], 1.0);

  // Global faults hit every account without faults of its own.
  ASSERT_EQ(Admin("PUT", a, Json::object()).status, 200);  // own faults: all off
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"error_500", 1.0}}).status, 200);
  EXPECT_EQ(Get(kVersion).status, 200);
  EXPECT_EQ(Get(kVersion, kTokenB).status, 500);
  EXPECT_EQ(Get(kVersion, kTokenKlein).status, 500);
  ASSERT_EQ(Admin("DELETE", a).status, 200);
  EXPECT_TRUE(Admin("GET", a).json.is_null());
  EXPECT_EQ(Get(kVersion).status, 500);
  EXPECT_EQ(Admin("GET", "/faults").json["error_500"], 1.0);

  // Scripted faults can target one account (token or numeric id).
  ASSERT_EQ(Admin("DELETE", "/faults").status, 200);
  Json next = Next("error_500");
  next["account"] = kTokenB;
  ASSERT_EQ(Admin("POST", "/faults/next", next).status, 200);
  EXPECT_EQ(Get(kVersion).status, 200);
  EXPECT_EQ(Get(kVersion, kTokenB).status, 500);
  EXPECT_EQ(Get(kVersion, kTokenB).status, 200);
  // Through the library API as well.
  FaultSettings always;
  always.rate_limited_no_retry_after = 1.0;
  ASSERT_TRUE(sandbox_->SetAccountFaults(kTokenB, always));
  EXPECT_EQ(Get(kVersion, kTokenB).status, 429);
  EXPECT_EQ(Get(kVersion).status, 200);
  ASSERT_TRUE(sandbox_->SetAccountFaults(kTokenB, std::nullopt));
  EXPECT_EQ(Get(kVersion, kTokenB).status, 200);
  EXPECT_FALSE(sandbox_->SetAccountFaults("nobody", std::nullopt));
}

TEST_F(FaultsTest, ScopeAndEndpointSelectTheRequests) {
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"error_500", 1.0}, {"scope", "reads"}}).status, 200);
  EXPECT_EQ(Get(kVersion).status, 500);
  EXPECT_EQ(Post("/Contact", PersonBody("HS-S1")).status, 201);
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"error_500", 1.0}, {"endpoint", "saveVoucher"}}).status,
            200);
  EXPECT_EQ(Get(kVersion).status, 200);
  const std::string file = UploadPdf(SamplePdf());
  EXPECT_EQ(Post("/Voucher/Factory/saveVoucher", VoucherBody(file, "")).status, 500);
  EXPECT_EQ(Get("/Voucher").json["objects"].size(), 0u);
}

TEST_F(FaultsTest, TheAdminApiRejectsBadFaultSettings) {
  EXPECT_EQ(Admin("PUT", "/faults", Json{{"nonsense", 1}}).status, 400);
  EXPECT_EQ(Admin("PUT", "/faults", Json{{"error_500", 1.5}}).status, 400);
  EXPECT_EQ(Admin("PUT", "/faults", Json{{"error_500", 0.6}, {"reset", 0.6}}).status, 400);
  EXPECT_EQ(Admin("PUT", "/faults", Json{{"latency_ms", -1}}).status, 400);
  EXPECT_EQ(Admin("PUT", "/faults", Json{{"scope", "some"}}).status, 400);
  EXPECT_EQ(Admin("PUT", "/faults", Json{{"rounding", "float"}}).status, 400);
  EXPECT_EQ(Admin("PUT", "/faults", Json{{"rounding", 1}}).status, 400);
  EXPECT_EQ(Admin("PUT", "/faults", Json{{"search_lag_ms", -5}}).status, 400);
  EXPECT_EQ(
      Admin("PUT", "/faults", Json{{"close_after_write", 0.6}, {"truncated_after_write", 0.6}})
          .status,
      400);
  EXPECT_EQ(Admin("POST", "/faults/next", Json{{"kind", "close_after_write"}, {"count", 0}}).status,
            400);
  EXPECT_EQ(Admin("PUT", "/faults", Json::array()).status, 400);
  EXPECT_EQ(Admin("POST", "/faults/next", Json{{"kind", "meteor"}}).status, 400);
  EXPECT_EQ(Admin("POST", "/faults/next", Json{{"kind", "reset"}, {"count", 0}}).status, 400);
  EXPECT_EQ(Admin("PUT", "/accounts/nobody/faults", Json::object()).status, 404);
  // Nothing was changed by the refused calls.
  EXPECT_EQ(Admin("GET", "/faults").json["error_500"], 0);
  EXPECT_EQ(Get(kVersion).status, 200);
}

// The status sequence of `n` requests of one account in a fresh sandbox with `seed`.
std::vector<int> FaultSequence(std::uint64_t seed, int n) {
  SandboxSettings settings;
  settings.seed = seed;
  AccountSettings account;
  account.token = kTokenA;
  settings.accounts.push_back(account);
  settings.faults.error_500 = 0.3;
  settings.faults.rate_limited = 0.2;
  settings.faults.error_body_200 = 0.1;
  settings.server_threads = 4;
  Sandbox sandbox(settings);
  EXPECT_TRUE(sandbox.Start().has_value());
  http::Client client(sandbox.BaseUrl(), std::chrono::seconds(5));
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    auto r = client.Send("GET", std::string("/api/v1") + kVersion, {{"Authorization", kTokenA}});
    // 200 with an error body counts as its own outcome.
    const bool error_body = r && r->status == 200 && r->body.find("\"error\"") != std::string::npos;
    out.push_back(!r ? 0 : error_body ? 290 : r->status);
  }
  return out;
}

TEST(FaultDeterminism, TheSameSeedGivesTheSameFaultSequence) {
  const auto first = FaultSequence(7, 60);
  EXPECT_EQ(FaultSequence(7, 60), first);
  EXPECT_NE(FaultSequence(8, 60), first);
  std::map<int, int> kinds;
  for (int s : first) ++kinds[s];
  EXPECT_GT(kinds[200], 0);
  EXPECT_GT(kinds[500], 0);
  EXPECT_GT(kinds[429], 0);
  EXPECT_GT(kinds[290], 0);
}

TEST_F(FaultsTest, ResettingAnAccountRestartsItsFaultSequence) {
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"error_500", 0.5}, {"jitter_ms", 3}}).status, 200);
  auto run = [&] {
    std::vector<int> out;
    for (int i = 0; i < 30; ++i) out.push_back(Get(kVersion).status);
    return out;
  };
  const auto first = run();
  ASSERT_EQ(Admin("POST", std::string("/accounts/") + kTokenA + "/reset").status, 200);
  EXPECT_EQ(run(), first);
  // Requests of another account do not shift this account's sequence.
  ASSERT_EQ(Admin("POST", std::string("/accounts/") + kTokenA + "/reset").status, 200);
  std::vector<int> interleaved;
  for (int i = 0; i < 30; ++i) {
    Get(kVersion, kTokenB);
    interleaved.push_back(Get(kVersion).status);
  }
  EXPECT_EQ(interleaved, first);
}

// ---- Start settings: config file and --fault key=value ---------------------------------------

class ConfigFaultsTest : public SandboxTest {
 protected:
  SandboxSettings Settings() override {
    config_path_ = (std::filesystem::temp_directory_path() /
                    ("hs-sandbox-config-" + std::to_string(::getpid()) + ".json"))
                       .string();
    std::ofstream(config_path_) << R"({
      "seed": 99,
      "faults": {"error_500": 1.0, "endpoint": "saveVoucher", "search_lag_ms": 250},
      "accounts": [
        {"token": "f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5", "name": "Gedrosselt",
         "faults": {"rate_limited": 1.0, "retry_after_seconds": 9, "rounding": "binary",
                    "close_after_write": 0}},
        {"token": "a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6", "tax_mode": "kleinunternehmer"}
      ]
    })";
    SandboxSettings s;
    s.seed = 1;
    load_status_ = LoadConfigFile(config_path_, s);
    std::filesystem::remove(config_path_);
    // The CLI applies each --fault flag like this, after the config file.
    flag_status_ = ApplyFaultAssignment("latency_ms=30", s.faults);
    if (flag_status_) flag_status_ = ApplyFaultAssignment("rounding=binary", s.faults);
    if (flag_status_) flag_status_ = ApplyFaultAssignment("truncated_after_write=0", s.faults);
    return s;
  }
  std::string config_path_;
  Status load_status_;
  Status flag_status_;
};

TEST_F(ConfigFaultsTest, FaultsFromTheConfigFileAndFlags) {
  ASSERT_TRUE(load_status_) << load_status_.error().message;
  ASSERT_TRUE(flag_status_);
  EXPECT_EQ(settings_.seed, 99u);
  ASSERT_EQ(settings_.accounts.size(), 2u);
  EXPECT_EQ(settings_.accounts[1].tax_mode, TaxMode::kKleinunternehmer);
  auto limited = Get(kVersion, "f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.retry_after.value_or(""), "9");
  // The global faults (error_500 and the --fault latency) hit only saveVoucher.
  const std::string klein = "a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6";
  EXPECT_EQ(Get(kVersion, klein).status, 200);
  const std::string file = UploadPdf(SamplePdf(), klein);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Post("/Voucher/Factory/saveVoucher", VoucherBody(file, ""), klein).status, 500);
  EXPECT_GE(MillisSince(start), 30.0);
  auto global = Admin("GET", "/faults");
  EXPECT_EQ(global.json["error_500"], 1.0);
  EXPECT_EQ(global.json["endpoint"], "saveVoucher");
  EXPECT_EQ(global.json["latency_ms"], 30);
  EXPECT_EQ(global.json["search_lag_ms"], 250);
  EXPECT_EQ(global.json["rounding"], "binary");
  EXPECT_EQ(global.json["truncated_after_write"], 0);
  ASSERT_TRUE(settings_.accounts[0].faults.has_value());  // close_after_write was accepted
  EXPECT_EQ(settings_.accounts[0].faults->rounding, Rounding::kBinary);
  EXPECT_EQ(settings_.accounts[0].faults->search_lag, milliseconds(0));
  EXPECT_EQ(settings_.faults.search_lag, milliseconds(250));
}

TEST(FaultStartSettings, KeyValueAssignments) {
  FaultSettings f;
  EXPECT_TRUE(ApplyFaultAssignment("error_500=0.5", f));
  EXPECT_EQ(f.error_500, 0.5);
  EXPECT_TRUE(ApplyFaultAssignment("latency_ms=50", f));
  EXPECT_EQ(f.latency, milliseconds(50));
  EXPECT_TRUE(ApplyFaultAssignment("jitter_ms=20", f));
  EXPECT_TRUE(ApplyFaultAssignment("timeout_after_write=0.1", f));
  EXPECT_TRUE(ApplyFaultAssignment("rate_limit_requests=10", f));
  EXPECT_EQ(f.rate_limit_requests, 10);
  EXPECT_TRUE(ApplyFaultAssignment("scope=writes", f));
  EXPECT_EQ(f.scope, FaultScope::kWrites);
  EXPECT_TRUE(ApplyFaultAssignment("endpoint=saveVoucher", f));
  EXPECT_EQ(f.endpoint, "saveVoucher");
  EXPECT_TRUE(ApplyFaultAssignment("timeout_after_write=0", f));
  EXPECT_TRUE(ApplyFaultAssignment("error_500=1", f));  // an integer probability
  EXPECT_EQ(f.error_500, 1.0);
  EXPECT_TRUE(ApplyFaultAssignment("error_500=0", f));
  EXPECT_TRUE(ApplyFaultAssignment("close_after_write=0.25", f));
  EXPECT_EQ(f.close_after_write, 0.25);
  EXPECT_TRUE(ApplyFaultAssignment("truncated_after_write=0.5", f));
  EXPECT_EQ(f.truncated_after_write, 0.5);
  EXPECT_TRUE(ApplyFaultAssignment("search_lag_ms=1500", f));
  EXPECT_EQ(f.search_lag, milliseconds(1500));
  EXPECT_EQ(f.rounding, Rounding::kDecimal);
  EXPECT_TRUE(ApplyFaultAssignment("rounding=binary", f));
  EXPECT_EQ(f.rounding, Rounding::kBinary);
  EXPECT_TRUE(ApplyFaultAssignment("rounding=decimal", f));
  EXPECT_EQ(f.rounding, Rounding::kDecimal);
  EXPECT_FALSE(ApplyFaultAssignment("rounding=float", f));
  EXPECT_FALSE(ApplyFaultAssignment("search_lag_ms=0.5", f));
  EXPECT_FALSE(ApplyFaultAssignment("close_after_write=0.8", f));  // 0.5 + 0.8 > 1
  const FaultSettings before = f;
  EXPECT_FALSE(ApplyFaultAssignment("nonsense=1", f));
  EXPECT_FALSE(ApplyFaultAssignment("error_500=abc", f));
  EXPECT_FALSE(ApplyFaultAssignment("error_500=2", f));
  EXPECT_FALSE(ApplyFaultAssignment("error_500", f));
  EXPECT_FALSE(ApplyFaultAssignment("latency_ms=1.5", f));
  EXPECT_FALSE(ApplyFaultAssignment("scope=sometimes", f));
  EXPECT_EQ(f.error_500, before.error_500);
  EXPECT_FALSE(FaultKeysHelp().empty());
  for (auto key : {"search_lag_ms", "rounding=decimal|binary"}) {
    EXPECT_NE(FaultKeysHelp().find(key), std::string::npos) << key;
  }
  for (auto kind : {"error_500", "error_500_after_write", "timeout", "timeout_after_write",
                    "rate_limited", "rate_limited_no_retry_after", "reset", "reset_after_write",
                    "error_body_200", "close_after_write", "truncated_after_write"}) {
    ASSERT_TRUE(ParseFaultKind(kind).has_value()) << kind;
    EXPECT_EQ(FaultKindName(*ParseFaultKind(kind)), kind);
    EXPECT_NE(FaultKeysHelp().find(kind), std::string::npos) << kind;
  }
}

TEST(FaultStartSettings, BadConfigFilesAreRefusedWithTheReason) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("hs-sandbox-bad-" + std::to_string(::getpid()) + ".json"))
                               .string();
  auto refused = [&](const std::string& text) {
    std::ofstream(path) << text;
    SandboxSettings s;
    auto st = LoadConfigFile(path, s);
    std::filesystem::remove(path);
    return st ? std::string() : st.error().message;
  };
  EXPECT_NE(refused(R"({"faults":{"error_500":3}})").find("probability"), std::string::npos);
  EXPECT_NE(refused(R"({"colour":"red"})").find("colour"), std::string::npos);
  EXPECT_NE(refused(R"({"faults":{"rounding":"float"}})").find("rounding"), std::string::npos);
  EXPECT_NE(refused(R"({"accounts":[{"token":"x","faults":{"search_lag_ms":"soon"}}]})")
                .find("search_lag_ms"),
            std::string::npos);
  EXPECT_NE(refused(R"({"accounts":[{"name":"no token"}]})").find("token"), std::string::npos);
  EXPECT_NE(refused(R"({"accounts":[{"token":"x","tax_mode":"vat"}]})").find("tax_mode"),
            std::string::npos);
  EXPECT_NE(refused("not json").find(path), std::string::npos);
  EXPECT_EQ(refused(R"({"accounts":[],"faults":{},"seed":3})"), "");
  SandboxSettings s;
  EXPECT_FALSE(LoadConfigFile(path + ".missing", s));
}

}  // namespace
}  // namespace hs::sevdesk::sandbox::testing
