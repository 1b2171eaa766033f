#include "sandbox_fixture.hpp"

namespace hs::sevdesk::sandbox::testing {

std::string SamplePdf(const std::string& marker) {
  std::string pdf = "%PDF-1.5\n%\xF6\xE4\xFC\xDF\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n";
  pdf += "2 0 obj\n<< /Type /Pages /Count 1 >>\n3 0 obj\n<< /Type /Page >>\n";
  pdf += std::string("stream\0binary\x01\x02\xFF", 16) + marker + "\n%%EOF\n";
  return pdf;
}

SandboxSettings SandboxTest::Settings() {
  SandboxSettings s;
  s.seed = 42;
  AccountSettings a;
  a.token = kTokenA;
  a.name = "Hundeschule Pfote GmbH";
  AccountSettings b;
  b.token = kTokenB;
  b.name = "Hundeschule Bello";
  AccountSettings klein;
  klein.token = kTokenKlein;
  klein.name = "Welpenschule Klein";
  klein.tax_mode = TaxMode::kKleinunternehmer;
  AccountSettings v1;
  v1.token = kTokenV1;
  v1.name = "Alte Buchhaltung";
  v1.bookkeeping_version = "1.0";
  AccountSettings no_api;
  no_api.token = kTokenNoApi;
  no_api.name = "Ohne API";
  no_api.api_access = false;
  s.accounts = {a, b, klein, v1, no_api};
  s.server_threads = 16;
  return s;
}

void SandboxTest::SetUp() {
  settings_ = Settings();
  sandbox_ = std::make_unique<Sandbox>(settings_);
  auto port = sandbox_->Start();
  ASSERT_TRUE(port.has_value()) << port.error().message;
  client_ = std::make_unique<http::Client>(sandbox_->BaseUrl(), std::chrono::seconds(5));
}

void SandboxTest::TearDown() {
  client_.reset();  // close keep-alive connections first, so the server stops at once
  sandbox_.reset();
}

void SandboxTest::Restart() {
  client_.reset();
  sandbox_.reset();
  sandbox_ = std::make_unique<Sandbox>(settings_);
  auto port = sandbox_->Start();
  ASSERT_TRUE(port.has_value()) << port.error().message;
  client_ = std::make_unique<http::Client>(sandbox_->BaseUrl(), std::chrono::seconds(5));
}

namespace {
Reply ToReply(const Result<http::ClientResponse>& r) {
  Reply out;
  if (!r) {
    out.error = r.error().message;
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  out.json = Json::parse(r->body, nullptr, false);
  out.retry_after = r->Header("Retry-After");
  return out;
}
}  // namespace

Reply SandboxTest::Send(const std::string& method, const std::string& path, const std::string& body,
                        const std::optional<std::string>& token) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Accept", "application/json"}};
  if (token) headers.emplace_back("Authorization", *token);
  return ToReply(client_->Send(method, path, headers, body));
}

Reply SandboxTest::Get(const std::string& path, const std::string& token) {
  return Send("GET", "/api/v1" + path, "", token);
}

Reply SandboxTest::Post(const std::string& path, const Json& body, const std::string& token) {
  return Send("POST", "/api/v1" + path, body.dump(), token);
}

Reply SandboxTest::Put(const std::string& path, const Json& body, const std::string& token) {
  return Send("PUT", "/api/v1" + path, body.dump(), token);
}

Reply SandboxTest::Upload(const std::string& bytes, const std::string& filename,
                          const std::string& token) {
  return ToReply(client_->SendMultipart("/api/v1/Voucher/Factory/uploadTempFile",
                                        {{"Authorization", token}},
                                        {{"file", bytes, filename, "application/pdf"}}));
}

Reply SandboxTest::Admin(const std::string& method, const std::string& path, const Json& body) {
  return Send(method, "/__sandbox" + path, body.is_null() ? "" : body.dump(), std::nullopt);
}

Reply SandboxTest::SendWithTimeout(const std::string& method, const std::string& path,
                                   const std::string& body, const std::string& token,
                                   std::chrono::milliseconds timeout) {
  http::Client client(sandbox_->BaseUrl(), timeout);
  return ToReply(
      client.Send(method, path, {{"Accept", "application/json"}, {"Authorization", token}}, body));
}

std::size_t SandboxTest::CountContacts(const std::string& customer_number,
                                       const std::string& token) {
  auto r = Get("/Contact?depth=1&customerNumber=" + customer_number, token);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json["objects"].is_array() ? r.json["objects"].size() : 0;
}

Json SandboxTest::PersonBody(const std::string& customer_number) {
  return Json{{"surename", "Erika"},
              {"familyname", "Mustermann"},
              {"category", {{"id", 3}, {"objectName", "Category"}}},
              {"status", 1000},
              {"customerNumber", customer_number}};
}

std::string SandboxTest::CreatePerson(const std::string& customer_number,
                                      const std::string& token) {
  auto r = Post("/Contact", PersonBody(customer_number), token);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json["objects"]["id"].get<std::string>();
}

std::string SandboxTest::UploadPdf(const std::string& bytes, const std::string& token) {
  auto r = Upload(bytes, "rechnung.pdf", token);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json["objects"]["filename"].get<std::string>();
}

Json SandboxTest::VoucherBody(const std::string& filename, const std::string& supplier_id,
                              const std::string& gross) {
  Json voucher = {{"objectName", "Voucher"},
                  {"mapAll", true},
                  {"voucherDate", "01.09.2026"},
                  {"deliveryDate", "01.09.2026"},
                  {"description", "HS-2026-0042"},
                  {"status", 100},
                  {"creditDebit", "D"},
                  {"voucherType", "VOU"},
                  {"taxRule", {{"id", "1"}, {"objectName", "TaxRule"}}},
                  {"currency", "EUR"}};
  if (supplier_id.empty()) {
    voucher["supplierName"] = "Laufkundschaft";
  } else {
    voucher["supplier"] = {{"id", std::stoll(supplier_id)}, {"objectName", "Contact"}};
  }
  Json body = {{"voucher", voucher},
               {"voucherPosSave",
                Json::array({{{"objectName", "VoucherPos"},
                              {"mapAll", true},
                              {"accountDatev", {{"id", 4400101}, {"objectName", "AccountDatev"}}},
                              {"taxRate", 19},
                              {"net", false},
                              {"sumGross", gross},
                              {"comment", "Welpenkurs"}}})},
               {"voucherPosDelete", nullptr}};
  if (!filename.empty()) body["filename"] = filename;
  return body;
}

std::int64_t SandboxTest::DatevId(int rule, const std::string& rate_name,
                                  const std::string& token) {
  auto r = Get("/ReceiptGuidance/forRevenue", token);
  for (const auto& account : r.json["objects"]) {
    for (const auto& allowed : account["allowedTaxRules"]) {
      if (allowed["id"] == rule) {
        for (const auto& rate : allowed["taxRates"]) {
          if (rate == rate_name) return account["accountDatevId"].get<std::int64_t>();
        }
      }
    }
  }
  ADD_FAILURE() << "no revenue account for rule " << rule << " " << rate_name;
  return 0;
}

}  // namespace hs::sevdesk::sandbox::testing
