// The sandbox's admin API under /__sandbox/ (accounts, request counts, reset, JSON views,
// documents), the read-only HTML view at /, isolation of accounts, `--state FILE` persistence,
// and the account kinds (Kleinunternehmer, bookkeeping 1.0, no API access).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "sandbox_fixture.hpp"

namespace hs::sevdesk::sandbox::testing {
namespace {

using AdminTest = SandboxTest;

constexpr std::int64_t kClientA = 1303847;  // the first account's SevClient id

std::string AccountPath(const std::string& token_or_id) {
  return "/accounts/" + token_or_id;
}

class Filled : public SandboxTest {
 protected:
  // A contact with address and e-mail, and a voucher with `pdf`; returns the voucher id.
  std::string Fill(const std::string& token, const std::string& number, const std::string& pdf,
                   const std::string& description = "HS-2026-0042") {
    const std::string contact = CreatePerson(number, token);
    const Json ref = {{"id", std::stoll(contact)}, {"objectName", "Contact"}};
    EXPECT_EQ(Post("/ContactAddress",
                   Json{{"contact", ref},
                        {"street", "Probestrasse 1"},
                        {"zip", "10115"},
                        {"city", "Berlin"},
                        {"country", {{"id", 1}, {"objectName", "StaticCountry"}}},
                        {"category", {{"id", 47}, {"objectName", "Category"}}}},
                   token)
                  .status,
              201);
    EXPECT_EQ(Post("/CommunicationWay",
                   Json{{"contact", ref},
                        {"type", "EMAIL"},
                        {"value", number + "@example.com"},
                        {"key", {{"id", 2}, {"objectName", "CommunicationWayKey"}}},
                        {"main", true}},
                   token)
                  .status,
              201);
    Json body = VoucherBody(UploadPdf(pdf, token), contact);
    body["voucher"]["description"] = description;
    auto saved = Post("/Voucher/Factory/saveVoucher", body, token);
    EXPECT_EQ(saved.status, 201) << saved.body;
    return saved.json["objects"]["voucher"]["id"].get<std::string>();
  }
};

using AdminFilledTest = Filled;

TEST_F(AdminFilledTest, RequestCountsPerEndpointAndStatus) {
  ASSERT_EQ(Get("/Tools/bookkeepingSystemVersion").status, 200);
  ASSERT_EQ(Get("/Tools/bookkeepingSystemVersion").status, 200);
  ASSERT_EQ(Get("/Contact/12345").status, 404);
  ASSERT_EQ(Get("/Contact/777").status, 404);
  ASSERT_EQ(Post("/Contact", Json{{"name", "ohne Kategorie"}}).status, 400);
  CreatePerson("HS-1");
  ASSERT_EQ(Get("/Tools/bookkeepingSystemVersion", kTokenB).status, 200);
  ASSERT_EQ(Get("/Tools/bookkeepingSystemVersion", "ffffffffffffffffffffffffffffffff").status, 401);

  auto mine = Admin("GET", AccountPath(kTokenA) + "/stats");
  ASSERT_EQ(mine.status, 200) << mine.body;
  const Json& r = mine.json["requests"];
  EXPECT_EQ(r["GET /Tools/bookkeepingSystemVersion"], Json::parse(R"({"200":2})"));
  EXPECT_EQ(r["GET /Contact/{contactId}"], Json::parse(R"({"404":2})"));
  EXPECT_EQ(r["POST /Contact"], Json::parse(R"({"201":1,"400":1})"));
  EXPECT_EQ(mine.json["counts"]["contacts"], 1);

  auto all = Admin("GET", "/stats");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json["global"]["GET /Tools/bookkeepingSystemVersion"],
            Json::parse(R"({"200":3,"401":1})"));
  EXPECT_EQ(all.json["accounts"][std::to_string(kClientA)]["requests"], r);
  EXPECT_EQ(all.json["accounts"][std::to_string(kClientA + 1)]["requests"],
            Json::parse(R"({"GET /Tools/bookkeepingSystemVersion":{"200":1}})"));
}

TEST_F(AdminFilledTest, ResetEmptiesOneAccountOnly) {
  Fill(kTokenA, "HS-1", SamplePdf("A"));
  Fill(kTokenB, "HS-1", SamplePdf("B"));
  auto reset = Admin("POST", AccountPath(kTokenA) + "/reset");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(Get("/Contact?depth=1").json["objects"].size(), 0u);
  EXPECT_EQ(Get("/Voucher").json["objects"].size(), 0u);
  EXPECT_EQ(Get("/CommunicationWay").json["objects"].size(), 0u);
  EXPECT_EQ(Get("/ContactAddress").json["objects"].size(), 0u);
  EXPECT_EQ(Get("/Contact/Factory/getNextCustomerNumber").json["objects"], "1000");
  const Json counts = Admin("GET", AccountPath(kTokenA)).json["counts"];
  for (const auto& [what, n] : counts.items()) EXPECT_EQ(n, 0) << what;
  // The request counts start again as well.
  const Json requests = Admin("GET", AccountPath(kTokenA) + "/stats").json["requests"];
  EXPECT_FALSE(requests.contains("POST /Contact")) << requests.dump();
  EXPECT_EQ(requests["GET /Voucher"], Json::parse(R"({"200":1})"));
  // The other account keeps everything.
  EXPECT_EQ(Get("/Contact?depth=1", kTokenB).json["objects"].size(), 1u);
  EXPECT_EQ(Get("/Voucher", kTokenB).json["objects"].size(), 1u);
  // Reset of everything.
  ASSERT_EQ(Admin("POST", "/reset").status, 200);
  EXPECT_EQ(Get("/Voucher", kTokenB).json["objects"].size(), 0u);
  EXPECT_EQ(Admin("POST", "/accounts/nobody/reset").status, 404);
}

TEST_F(AdminFilledTest, JsonViewsOfAccountsContactsAndVouchers) {
  const std::string pdf = SamplePdf("HS-2026-0042");
  const std::string voucher = Fill(kTokenA, "HS-10023", pdf);

  auto accounts = Admin("GET", "/accounts");
  ASSERT_EQ(accounts.status, 200);
  ASSERT_EQ(accounts.json.size(), 5u);
  EXPECT_EQ(accounts.json[0]["id"], std::to_string(kClientA));
  EXPECT_EQ(accounts.json[0]["name"], "Hundeschule Pfote GmbH");
  EXPECT_EQ(accounts.json[0]["counts"]["vouchers"], 1);
  EXPECT_EQ(accounts.json[2]["taxMode"], "kleinunternehmer");
  EXPECT_EQ(accounts.json[3]["bookkeepingVersion"], "1.0");
  EXPECT_EQ(accounts.json[4]["apiAccess"], false);

  // By numeric id and by token: the same detail.
  auto detail = Admin("GET", AccountPath(std::to_string(kClientA)));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(Admin("GET", AccountPath(kTokenA)).json, detail.json);
  const Json& d = detail.json;
  ASSERT_EQ(d["contacts"].size(), 1u);
  EXPECT_EQ(d["contacts"][0]["customerNumber"], "HS-10023");
  EXPECT_EQ(d["contacts"][0],
            Get("/Contact/" + d["contacts"][0]["id"].get<std::string>()).json["objects"][0]);
  ASSERT_EQ(d["contactAddresses"].size(), 1u);
  EXPECT_EQ(d["contactAddresses"][0]["city"], "Berlin");
  ASSERT_EQ(d["communicationWays"].size(), 1u);
  EXPECT_EQ(d["communicationWays"][0]["value"], "HS-10023@example.com");
  ASSERT_EQ(d["vouchers"].size(), 1u);
  const Json& v = d["vouchers"][0];
  EXPECT_EQ(v["voucher"], Get("/Voucher/" + voucher).json["objects"][0]);
  ASSERT_EQ(v["voucherPos"].size(), 1u);
  EXPECT_EQ(v["document"]["size"], pdf.size());
  EXPECT_EQ(v["document"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(v["document"]["mimeType"], "application/pdf");
  EXPECT_EQ(d["tempFiles"].size(), 0u);  // used up by the voucher

  auto overview = Admin("GET", "");
  ASSERT_EQ(overview.status, 200);
  EXPECT_EQ(overview.json["accounts"].size(), 5u);
  EXPECT_EQ(overview.json["accounts"][0], d);
  EXPECT_TRUE(overview.json["faults"].is_object());
  EXPECT_EQ(Admin("GET", "/").json, overview.json);  // trailing slash
  EXPECT_EQ(Admin("GET", AccountPath("4711")).status, 404);
}

TEST_F(AdminFilledTest, DocumentDownloadIsByteIdentical) {
  const std::string pdf = SamplePdf("HS-2026-0099");
  const std::string voucher = Fill(kTokenA, "HS-9", pdf);
  const Json doc = Admin("GET", AccountPath(kTokenA)).json["vouchers"][0]["document"];
  const std::string url = doc["url"];
  ASSERT_EQ(url.rfind("/__sandbox/", 0), 0u) << url;
  auto by_url = Send("GET", url, "", std::nullopt);
  ASSERT_EQ(by_url.status, 200);
  EXPECT_EQ(by_url.body, pdf);
  auto by_id = Admin("GET", AccountPath(kTokenA) + "/documents/" + doc["id"].get<std::string>());
  ASSERT_EQ(by_id.status, 200);
  EXPECT_EQ(by_id.body, pdf);
  // The voucher's document reference points at the same document.
  EXPECT_EQ(Get("/Voucher/" + voucher).json["objects"][0]["document"]["id"], doc["id"]);
  auto headers = http::Client(sandbox_->BaseUrl()).Send("GET", url, {});
  ASSERT_TRUE(headers.has_value());
  EXPECT_EQ(headers->Header("Content-Type").value_or("").rfind("application/pdf", 0), 0u);
  EXPECT_EQ(headers->Header("X-Content-SHA256").value_or(""), doc["sha256"]);

  // A voucher without document, unknown ids, and another account's voucher.
  auto bare = Post("/Voucher/Factory/saveVoucher", VoucherBody("", ""));
  ASSERT_EQ(bare.status, 201) << bare.body;
  const std::string bare_id = bare.json["objects"]["voucher"]["id"];
  EXPECT_EQ(Admin("GET", AccountPath(kTokenA) + "/vouchers/" + bare_id + "/document").status, 404);
  EXPECT_EQ(Admin("GET", AccountPath(kTokenA) + "/vouchers/1/document").status, 404);
  EXPECT_EQ(Admin("GET", AccountPath(kTokenB) + "/vouchers/" + voucher + "/document").status, 404);
  EXPECT_EQ(Admin("GET", AccountPath(kTokenA) + "/documents/1").status, 404);
}

TEST_F(AdminFilledTest, TheReadOnlyHtmlView) {
  Fill(kTokenA, "HS-10023", SamplePdf(), "HS-2026-0042 Welpenkurs");
  ASSERT_EQ(Post("/Contact",
                 Json{{"name", "<b>Bello & Co</b>"},
                      {"category", {{"id", 3}, {"objectName", "Category"}}}},
                 kTokenB)
                .status,
            201);
  auto view = Send("GET", "/", "", std::nullopt);
  ASSERT_EQ(view.status, 200);
  const std::string& html = view.body;
  EXPECT_NE(html.find("<html lang=\"de\">"), std::string::npos);
  EXPECT_NE(html.find("Hundeschule Pfote GmbH"), std::string::npos);
  EXPECT_NE(html.find("Erika Mustermann"), std::string::npos);
  EXPECT_NE(html.find("HS-10023@example.com"), std::string::npos);
  EXPECT_NE(html.find("Probestrasse 1, 10115 Berlin"), std::string::npos);
  EXPECT_NE(html.find("HS-2026-0042 Welpenkurs"), std::string::npos);
  EXPECT_NE(html.find("Einnahme"), std::string::npos);
  EXPECT_NE(html.find("178.5"), std::string::npos);
  const std::string doc_url =
      Admin("GET", AccountPath(kTokenA)).json["vouchers"][0]["document"]["url"];
  EXPECT_NE(html.find("href=\"" + doc_url + "\""), std::string::npos);
  EXPECT_NE(html.find("Kleinunternehmer (§ 19 UStG)"), std::string::npos);
  EXPECT_NE(html.find("Buchhaltung 1.0"), std::string::npos);
  EXPECT_NE(html.find("Kein API-Zugriff"), std::string::npos);
  // Escaped, and the tokens are masked.
  EXPECT_NE(html.find("&lt;b&gt;Bello &amp; Co&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>Bello"), std::string::npos);
  EXPECT_EQ(html.find(kTokenA), std::string::npos);
  EXPECT_EQ(Send("GET", "/index.html", "", std::nullopt).body, html);
  // The application links to "/?voucher={id}": that row is marked.
  const std::string voucher = Get("/Voucher").json["objects"][0]["id"];
  EXPECT_EQ(html.find("class=\"hl\""), std::string::npos);
  const std::string marked = Send("GET", "/?voucher=" + voucher, "", std::nullopt).body;
  EXPECT_NE(marked.find("<tr id=\"voucher-" + voucher + "\" class=\"hl\">"), std::string::npos);
  // Read-only: nothing but GET.
  EXPECT_EQ(Send("POST", "/", "{}", std::nullopt).status, 405);
  EXPECT_EQ(Send("GET", "/nothing-here", "", std::nullopt).status, 404);
  // Revoked accounts are marked.
  ASSERT_EQ(Admin("POST", AccountPath(kTokenB) + "/revoke").status, 200);
  EXPECT_NE(Send("GET", "/", "", std::nullopt).body.find("Token widerrufen"), std::string::npos);
}

TEST_F(AdminFilledTest, TwoAccountsAreFullyIsolated) {
  const std::string voucher_a = Fill(kTokenA, "HS-1", SamplePdf("A"));
  const Json contact_a = Get("/Contact?depth=1").json["objects"][0];
  const std::string id_a = contact_a["id"];
  // B sees nothing of A: lists, ids, customer numbers, vouchers, documents.
  EXPECT_EQ(Get("/Contact?depth=1", kTokenB).json["objects"].size(), 0u);
  EXPECT_EQ(Get("/Contact?customerNumber=HS-1&depth=1", kTokenB).json["objects"].size(), 0u);
  EXPECT_EQ(Get("/Contact/" + id_a, kTokenB).status, 404);
  EXPECT_EQ(Get("/Contact/" + id_a, kTokenB).json["error"]["code"], 151);
  EXPECT_EQ(Put("/Contact/" + id_a, Json{{"familyname", "Fremd"}}, kTokenB).status, 404);
  EXPECT_EQ(Get("/Voucher/" + voucher_a, kTokenB).status, 404);
  EXPECT_EQ(Get("/Voucher", kTokenB).json["objects"].size(), 0u);
  EXPECT_EQ(Get("/CommunicationWay", kTokenB).json["objects"].size(), 0u);
  EXPECT_EQ(Get("/ContactAddress", kTokenB).json["objects"].size(), 0u);
  EXPECT_EQ(Get("/VoucherPos", kTokenB).json["objects"].size(), 0u);
  EXPECT_EQ(
      Get("/Contact/Factory/checkCustomerNumberAvailability?customerNumber=HS-1", kTokenB).json,
      Json::parse(R"({"objects":true})"));
  EXPECT_EQ(Get("/Contact/Factory/getNextCustomerNumber", kTokenB).json["objects"], "1000");
  // B cannot reference A's contact or A's uploaded file.
  const std::string file_a = UploadPdf(SamplePdf("A2"));
  auto foreign = Post("/Voucher/Factory/saveVoucher", VoucherBody(file_a, id_a), kTokenB);
  EXPECT_EQ(foreign.status, 422) << foreign.body;
  EXPECT_EQ(Post("/Voucher/Factory/saveVoucher", VoucherBody(file_a, ""), kTokenB).status, 422);
  EXPECT_EQ(Post("/CommunicationWay",
                 Json{{"contact", {{"id", std::stoll(id_a)}, {"objectName", "Contact"}}},
                      {"type", "EMAIL"},
                      {"value", "x@example.com"},
                      {"key", {{"id", 2}}}},
                 kTokenB)
                .status,
            400);
  // B's own data gets ids of its own (ids are global like in sevdesk's database).
  const std::string id_b = CreatePerson("HS-1", kTokenB);
  EXPECT_NE(id_b, id_a);
  EXPECT_EQ(Get("/Contact/" + id_b).status, 404);  // and A cannot see B's
  EXPECT_EQ(Get("/Contact?depth=1").json["objects"].size(), 1u);
  EXPECT_EQ(Get("/Contact/" + id_a).json["objects"][0], contact_a);  // A untouched
  // Settings and faults are per account too.
  EXPECT_EQ(Get("/Contact/" + id_a).json["objects"][0]["sevClient"]["id"],
            std::to_string(kClientA));
  EXPECT_EQ(Get("/Contact/" + id_b, kTokenB).json["objects"][0]["sevClient"]["id"],
            std::to_string(kClientA + 1));
  EXPECT_NE(Get("/SevUser").json["objects"][0]["id"],
            Get("/SevUser", kTokenB).json["objects"][0]["id"]);
}

TEST_F(AdminTest, ConcurrentClientsOfTwoAccountsStayConsistent) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 15;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      http::Client client(sandbox_->BaseUrl(), std::chrono::seconds(10));
      const std::string token = t % 2 == 0 ? kTokenA : kTokenB;
      for (int i = 0; i < kPerThread; ++i) {
        const std::string number = "T" + std::to_string(t) + "-" + std::to_string(i);
        auto r = client.Send("POST", "/api/v1/Contact", {{"Authorization", token}},
                             PersonBody(number).dump());
        if (r && r->status == 201) {
          ids[static_cast<std::size_t>(t)].push_back(Json::parse(r->body)["objects"]["id"]);
        }
        client.Send("GET", "/api/v1/Contact?depth=1&customerNumber=" + number,
                    {{"Authorization", token}});
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> unique;
  for (const auto& list : ids) {
    EXPECT_EQ(list.size(), static_cast<std::size_t>(kPerThread));
    unique.insert(list.begin(), list.end());
  }
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kPerThread));  // ids never repeat
  for (const char* token : {kTokenA, kTokenB}) {
    EXPECT_EQ(Get("/Contact?depth=1&limit=1000", token).json["objects"].size(),
              static_cast<std::size_t>(kThreads / 2 * kPerThread));
    const Json stats = Admin("GET", AccountPath(token) + "/stats").json["requests"];
    EXPECT_EQ(stats["POST /Contact"]["201"], kThreads / 2 * kPerThread);
    EXPECT_EQ(stats["GET /Contact"]["200"], kThreads / 2 * kPerThread + 1);  // + the list above
  }
}

TEST_F(AdminTest, AccountsCanBeAddedAndChangedWhileServing) {
  const std::string token = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
  EXPECT_EQ(Get("/Tools/bookkeepingSystemVersion", token).status, 401);
  auto added = Admin("POST", "/accounts",
                     Json{{"token", token}, {"name", "Neu"}, {"tax_mode", "kleinunternehmer"}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.json["taxMode"], "kleinunternehmer");
  EXPECT_EQ(Get("/Tools/bookkeepingSystemVersion", token).status, 200);
  EXPECT_EQ(Admin("POST", "/accounts", Json{{"token", token}}).status, 409);
  EXPECT_EQ(Admin("POST", "/accounts", Json{{"name", "ohne Token"}}).status, 400);
  EXPECT_EQ(Admin("POST", "/accounts", Json{{"token", "x"}, {"bookkeeping_version", "3.0"}}).status,
            400);
  // Settings change: bookkeeping 1.0, then no API access.
  const std::string path = AccountPath(token) + "/settings";
  ASSERT_EQ(Admin("PUT", path, Json{{"bookkeeping_version", "1.0"}}).status, 200);
  EXPECT_EQ(Get("/Tools/bookkeepingSystemVersion", token).json["objects"]["version"], "1.0");
  ASSERT_EQ(Admin("PUT", path, Json{{"api_access", false}}).status, 200);
  EXPECT_EQ(Get("/Tools/bookkeepingSystemVersion", token).status, 403);
  EXPECT_EQ(Admin("PUT", path, Json{{"token", "other"}}).status, 400);
  EXPECT_EQ(Admin("PUT", path, Json{{"tax_mode", "vat"}}).status, 400);
  EXPECT_EQ(Admin("GET", AccountPath(token)).json["apiAccess"], false);
  // Library API.
  AccountSettings more;
  more.token = "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e";
  ASSERT_TRUE(sandbox_->AddAccount(more));
  EXPECT_FALSE(sandbox_->AddAccount(more));
  EXPECT_EQ(Get("/SevUser", more.token).status, 200);
}

TEST_F(AdminTest, TheAdminApiIsNeverUnderApiV1) {
  EXPECT_EQ(Send("GET", "/api/v1/__sandbox", "", std::nullopt).status, 401);
  EXPECT_EQ(Get("/__sandbox").status, 404);
  EXPECT_EQ(Get("/__sandbox/accounts").status, 404);
  EXPECT_EQ(Admin("GET", "/nonsense").status, 404);
  EXPECT_EQ(Admin("DELETE", "/accounts").status, 405);
}

TEST_F(AdminTest, KleinunternehmerAccount) {
  std::set<int> rules;
  const Reply guidance = Get("/ReceiptGuidance/forRevenue", kTokenKlein);
  for (const auto& account : guidance.json["objects"]) {
    for (const auto& rule : account["allowedTaxRules"]) rules.insert(rule["id"].get<int>());
  }
  EXPECT_EQ(rules, std::set<int>{11});
  Json body = VoucherBody(UploadPdf(SamplePdf(), kTokenKlein), "");
  body["voucher"]["taxRule"]["id"] = "11";
  body["voucherPosSave"][0]["accountDatev"]["id"] = DatevId(11, "ZERO", kTokenKlein);
  body["voucherPosSave"][0]["taxRate"] = 0;
  auto ok = Post("/Voucher/Factory/saveVoucher", body, kTokenKlein);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json["objects"]["voucher"]["sumNet"], "178.5");
  EXPECT_EQ(ok.json["objects"]["voucher"]["sumTax"], "0");
  // The same body on a regular account is refused (rule 11 is §19 only).
  body["filename"] = UploadPdf(SamplePdf());
  EXPECT_EQ(Post("/Voucher/Factory/saveVoucher", body).status, 422);
  EXPECT_EQ(Admin("GET", AccountPath(kTokenKlein)).json["taxMode"], "kleinunternehmer");
}

TEST_F(AdminTest, BookkeepingVersion1Account) {
  EXPECT_EQ(Get("/Tools/bookkeepingSystemVersion", kTokenV1).json,
            Json::parse(R"({"objects":{"version":"1.0"}})"));
  Json body = VoucherBody(UploadPdf(SamplePdf(), kTokenV1), "");
  body["voucher"].erase("taxRule");
  body["voucher"]["taxType"] = "default";
  body["voucherPosSave"][0].erase("accountDatev");
  body["voucherPosSave"][0]["accountingType"] = {{"id", 26}, {"objectName", "AccountingType"}};
  auto ok = Post("/Voucher/Factory/saveVoucher", body, kTokenV1);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json["objects"]["voucher"]["taxType"], "default");
  EXPECT_EQ(ok.json["objects"]["voucherPos"][0]["accountingType"]["id"], "26");
  // A 2.0 body is refused by the 1.0 account and the 1.0 body by a 2.0 account.
  EXPECT_EQ(Post("/Voucher/Factory/saveVoucher", VoucherBody("", ""), kTokenV1).status, 422);
  body.erase("filename");
  EXPECT_EQ(Post("/Voucher/Factory/saveVoucher", body).status, 422);
}

TEST_F(AdminTest, AccountWithoutApiAccessAnswers403Everywhere) {
  // Assumption (docs/sevdesk-sandbox.md): a plan below Buchhaltung Pro gets 403 for every call.
  for (std::string path : {"/Tools/bookkeepingSystemVersion", "/SevUser", "/Contact", "/Contact/1",
                           "/Voucher", "/ReceiptGuidance/forRevenue", "/Nothing"}) {
    auto r = Get(path, kTokenNoApi);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_TRUE(r.json["objects"].is_null()) << path;
    EXPECT_NE(r.json["error"]["message"].get<std::string>().find("Buchhaltung Pro"),
              std::string::npos);
  }
  EXPECT_EQ(Post("/Contact", PersonBody("HS-1"), kTokenNoApi).status, 403);
  EXPECT_EQ(Upload(SamplePdf(), "r.pdf", kTokenNoApi).status, 403);
  EXPECT_EQ(Admin("GET", AccountPath(kTokenNoApi)).json["counts"]["contacts"], 0);
  EXPECT_EQ(Admin("GET", AccountPath(kTokenNoApi) + "/stats")
                .json["requests"]["GET /Tools/bookkeepingSystemVersion"]["403"],
            1);
  // A wrong token is still a 401, not a 403.
  EXPECT_EQ(Get("/SevUser", "e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e5").status, 401);
}

// ---- --state FILE ------------------------------------------------------------------------------

class StateTest : public Filled {
 protected:
  SandboxSettings Settings() override {
    SandboxSettings s = SandboxTest::Settings();
    state_file_ = (std::filesystem::temp_directory_path() /
                   ("hs-sandbox-state-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json"))
                      .string();
    std::filesystem::remove(state_file_);
    s.state_file = state_file_;
    return s;
  }
  void TearDown() override {
    SandboxTest::TearDown();
    std::filesystem::remove(state_file_);
    std::filesystem::remove(state_file_ + ".tmp");
  }
};

TEST_F(StateTest, EverythingSurvivesARestart) {
  const std::string pdf = SamplePdf("HS-2026-0007");
  const std::string voucher = Fill(kTokenA, "HS-7", pdf);
  const std::string spare_file = UploadPdf(SamplePdf("spare"));
  ASSERT_EQ(Admin("POST", AccountPath(kTokenKlein) + "/revoke").status, 200);
  const std::string added = "9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c";
  ASSERT_EQ(Admin("POST", "/accounts", Json{{"token", added}, {"name", "Später"}}).status, 201);
  CreatePerson("LATE-1", added);
  const Json before = Admin("GET", AccountPath(kTokenA)).json;
  const Json contacts_before = Get("/Contact?depth=1").json;
  ASSERT_TRUE(std::filesystem::exists(state_file_));

  Restart();

  EXPECT_EQ(Admin("GET", AccountPath(kTokenA)).json, before);
  EXPECT_EQ(Get("/Contact?depth=1").json, contacts_before);
  EXPECT_EQ(Get("/Voucher/" + voucher).status, 200);
  auto doc = Admin("GET", AccountPath(kTokenA) + "/vouchers/" + voucher + "/document");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body, pdf);
  // The unused upload is still usable, and new ids do not collide with old ones.
  auto saved = Post("/Voucher/Factory/saveVoucher", VoucherBody(spare_file, ""));
  ASSERT_EQ(saved.status, 201) << saved.body;
  EXPECT_GT(std::stoll(saved.json["objects"]["voucher"]["id"].get<std::string>()),
            std::stoll(voucher));
  const std::string new_contact = CreatePerson("HS-8");
  EXPECT_GT(std::stoll(new_contact),
            std::stoll(contacts_before["objects"][0]["id"].get<std::string>()));
  // Revocation and accounts added at run time persist too.
  EXPECT_EQ(Get("/SevUser", kTokenKlein).status, 401);
  EXPECT_EQ(Get("/Contact?customerNumber=LATE-1&depth=1", added).json["objects"].size(), 1u);
  EXPECT_EQ(Admin("GET", AccountPath(added)).json["name"], "Später");
  // An account reset persists.
  ASSERT_EQ(Admin("POST", AccountPath(kTokenA) + "/reset").status, 200);
  Restart();
  EXPECT_EQ(Get("/Voucher").json["objects"].size(), 0u);
  EXPECT_EQ(Get("/Contact?customerNumber=LATE-1&depth=1", added).json["objects"].size(), 1u);
}

TEST_F(StateTest, WithoutAStateFileNothingSurvives) {
  Fill(kTokenA, "HS-1", SamplePdf());
  settings_.state_file.clear();
  Restart();  // the old sandbox writes its state file once more when it stops
  std::filesystem::remove(state_file_);
  EXPECT_EQ(Get("/Contact?depth=1").json["objects"].size(), 0u);
  CreatePerson("HS-2");
  Restart();
  EXPECT_EQ(Get("/Contact?depth=1").json["objects"].size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(state_file_));
}

TEST_F(StateTest, ACorruptStateFileIsRefused) {
  client_.reset();
  sandbox_.reset();
  std::ofstream(state_file_) << "{\"accounts\": 17";
  Sandbox broken(settings_);
  auto started = broken.Start();
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().message.find(state_file_), std::string::npos);
}

}  // namespace
}  // namespace hs::sevdesk::sandbox::testing
