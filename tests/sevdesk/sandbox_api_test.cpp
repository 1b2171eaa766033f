// The sandbox's sevdesk endpoints: envelope, wire types, filters, the voucher round trip.
#include <regex>

#include "sandbox_fixture.hpp"

namespace hs::sevdesk::sandbox::testing {
namespace {

using ApiTest = SandboxTest;

void ExpectErrorEnvelope(const Reply& r, int status, std::optional<int> code = std::nullopt) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.is_object()) << r.body;
  EXPECT_TRUE(r.json["objects"].is_null());
  ASSERT_TRUE(r.json["error"].is_object());
  EXPECT_TRUE(r.json["error"]["message"].is_string());
  EXPECT_TRUE(r.json["error"]["exceptionUUID"].is_string());
  EXPECT_EQ(r.json["error"]["responseCode"], status);
  if (code) {
    EXPECT_EQ(r.json["error"]["code"], *code);
  }
}

TEST_F(ApiTest, BookkeepingVersionPerAccount) {
  auto r = Get("/Tools/bookkeepingSystemVersion");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json, Json::parse(R"({"objects":{"version":"2.0"}})"));
  EXPECT_EQ(Get("/Tools/bookkeepingSystemVersion", kTokenV1).json["objects"]["version"], "1.0");
}

TEST_F(ApiTest, MissingOrWrongTokenIs401) {
  ExpectErrorEnvelope(Send("GET", "/api/v1/Tools/bookkeepingSystemVersion", "", std::nullopt), 401);
  ExpectErrorEnvelope(Get("/Tools/bookkeepingSystemVersion", "0123456789abcdef0123456789abcdef"),
                      401);
  ExpectErrorEnvelope(Get("/Tools/bookkeepingSystemVersion", std::string("Bearer ") + kTokenA),
                      401);
  // The numeric account id is no token.
  ExpectErrorEnvelope(Get("/Tools/bookkeepingSystemVersion", "1303847"), 401);
  ExpectErrorEnvelope(Get("/Contact/1"), 404, 151);  // authenticated, unknown id
}

TEST_F(ApiTest, PlanWithoutApiAccessIs403) {
  ExpectErrorEnvelope(Get("/Tools/bookkeepingSystemVersion", kTokenNoApi), 403);
  ExpectErrorEnvelope(Post("/Contact", Json{{"category", {{"id", 3}}}}, kTokenNoApi), 403);
}

TEST_F(ApiTest, UnknownResourceIs404) {
  ExpectErrorEnvelope(Get("/Invoice"), 404);
  ExpectErrorEnvelope(Get("/Nonsense/Thing"), 404);
}

TEST_F(ApiTest, SevUserAndStaticData) {
  auto users = Get("/SevUser");
  ASSERT_EQ(users.status, 200);
  ASSERT_EQ(users.json["objects"].size(), 1u);
  EXPECT_EQ(users.json["objects"][0]["objectName"], "SevUser");
  EXPECT_TRUE(users.json["objects"][0]["id"].is_string());
  auto countries = Get("/StaticCountry?limit=1000");
  ASSERT_EQ(countries.status, 200);
  EXPECT_EQ(countries.json["objects"][0]["id"], "1");
  EXPECT_EQ(countries.json["objects"][0]["name"], "Deutschland");
  auto methods = Get("/PaymentMethod");
  EXPECT_EQ(methods.json["objects"][0]["name"], "SEPA Überweisung");
}

TEST_F(ApiTest, RevenueGuidanceDependsOnTaxMode) {
  auto regular = Get("/ReceiptGuidance/forRevenue");
  ASSERT_EQ(regular.status, 200);
  std::set<int> regular_rules, klein_rules;
  for (const auto& a : regular.json["objects"]) {
    EXPECT_TRUE(a["accountDatevId"].is_number_integer());
    EXPECT_TRUE(a["accountNumber"].is_string());
    for (const auto& r : a["allowedTaxRules"]) regular_rules.insert(r["id"].get<int>());
  }
  EXPECT_TRUE(regular_rules.contains(1));
  EXPECT_FALSE(regular_rules.contains(11));
  const auto klein = Get("/ReceiptGuidance/forRevenue", kTokenKlein);
  for (const auto& a : klein.json["objects"]) {
    for (const auto& r : a["allowedTaxRules"]) klein_rules.insert(r["id"].get<int>());
  }
  EXPECT_EQ(klein_rules, std::set<int>{11});
  EXPECT_EQ(Get("/ReceiptGuidance/forExpense").status, 200);
}

TEST_F(ApiTest, CreateContactAnswersBareObjectWithWireTypes) {
  auto r = Post("/Contact", Json{{"name", "Tierarztpraxis Beispiel GmbH"},
                                 {"category", {{"id", 3}, {"objectName", "Category"}}},
                                 {"status", 1000},
                                 {"vatNumber", "DE999999999"},
                                 {"buyerReference", "-"},
                                 {"customerNumber", "HS-10024"},
                                 {"exemptVat", false}});
  ASSERT_EQ(r.status, 201) << r.body;
  const Json& c = r.json["objects"];
  ASSERT_TRUE(c.is_object());
  EXPECT_TRUE(std::regex_match(c["id"].get<std::string>(), std::regex("[0-9]+")));
  EXPECT_EQ(c["objectName"], "Contact");
  EXPECT_EQ(c["status"], "1000");
  EXPECT_EQ(c["customerNumber"], "HS-10024");
  EXPECT_EQ(c["category"], Json::parse(R"({"id":"3","objectName":"Category"})"));
  EXPECT_EQ(c["exemptVat"], "0");
  EXPECT_EQ(c["defaultShowVat"], "1");
  EXPECT_TRUE(c["surename"].is_null());
  EXPECT_TRUE(std::regex_match(c["create"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00)")));
  EXPECT_EQ(c["sevClient"]["objectName"], "SevClient");

  auto got = Get("/Contact/" + c["id"].get<std::string>());
  ASSERT_EQ(got.status, 200);
  ASSERT_TRUE(got.json["objects"].is_array());
  ASSERT_EQ(got.json["objects"].size(), 1u);
  EXPECT_EQ(got.json["objects"][0], c);
}

TEST_F(ApiTest, ContactNeedsCategory) {
  auto r = Post("/Contact", Json{{"name", "Ohne Kategorie"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.json["objects"].is_null());
  EXPECT_EQ(Post("/Contact", Json{{"name", "x"}, {"category", 3}}).status, 400);
  EXPECT_EQ(Send("POST", "/api/v1/Contact", "{not json", kTokenA).status, 400);
}

TEST_F(ApiTest, CustomerNumbers) {
  EXPECT_EQ(Get("/Contact/Factory/getNextCustomerNumber").json,
            Json::parse(R"({"objects":"1000"})"));
  auto auto_numbered = Post("/Contact", Json{{"surename", "Max"}, {"category", {{"id", 3}}}});
  EXPECT_EQ(auto_numbered.json["objects"]["customerNumber"], "1000");
  EXPECT_EQ(Get("/Contact/Factory/getNextCustomerNumber").json["objects"], "1001");
  CreatePerson("HS-10023");
  for (std::string prefix : {"/Contact/Factory/", "/Contact/Mapper/"}) {
    EXPECT_EQ(Get(prefix + "checkCustomerNumberAvailability?customerNumber=HS-10023").json,
              Json::parse(R"({"objects":false})"));
    EXPECT_EQ(Get(prefix + "checkCustomerNumberAvailability?customerNumber=HS-99").json,
              Json::parse(R"({"objects":true})"));
    // Quirk: 500 without the parameter.
    ExpectErrorEnvelope(Get(prefix + "checkCustomerNumberAvailability"), 500);
  }
  // No uniqueness enforcement on POST (like sevdesk).
  CreatePerson("HS-10023");
  EXPECT_EQ(Get("/Contact?customerNumber=HS-10023&depth=1").json["objects"].size(), 2u);
}

TEST_F(ApiTest, ContactListFilters) {
  const std::string person = CreatePerson("HS-1");
  auto org = Post("/Contact", Json{{"name", "Hundeverein e.V."},
                                   {"category", {{"id", 3}, {"objectName", "Category"}}},
                                   {"customerNumber", "HS-2"}});
  ASSERT_EQ(org.status, 201);
  // depth=0 (default): organisations only.
  auto orgs = Get("/Contact");
  ASSERT_EQ(orgs.json["objects"].size(), 1u);
  EXPECT_EQ(orgs.json["objects"][0]["name"], "Hundeverein e.V.");
  EXPECT_EQ(Get("/Contact?depth=1").json["objects"].size(), 2u);
  // customerNumber is exact; a person needs depth=1.
  EXPECT_EQ(Get("/Contact?customerNumber=HS-1").json["objects"].size(), 0u);
  auto exact = Get("/Contact?customerNumber=HS-1&depth=1");
  ASSERT_EQ(exact.json["objects"].size(), 1u);
  EXPECT_EQ(exact.json["objects"][0]["id"], person);
  EXPECT_EQ(Get("/Contact?customerNumber=HS&depth=1").json["objects"].size(), 0u);
  // Unknown filters are ignored silently: everything comes back.
  EXPECT_EQ(Get("/Contact?depth=1&emailAddress=x@example.com").json["objects"].size(), 2u);
  // Paging.
  auto page = Get("/Contact?depth=1&limit=1&offset=1&countAll=true");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.json["total"], "2");
  ASSERT_EQ(page.json["objects"].size(), 1u);
  EXPECT_EQ(page.json["objects"][0]["customerNumber"], "HS-2");
  EXPECT_FALSE(Get("/Contact").json.contains("total"));
  EXPECT_EQ(Get("/Contact?depth=1&name=muster").json["objects"].size(), 1u);
}

TEST_F(ApiTest, UpdateContactIsPartial) {
  const std::string id = CreatePerson("HS-7");
  auto r = Put("/Contact/" + id, Json{{"familyname", "Musterfrau"}, {"description", "VIP"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["objects"]["familyname"], "Musterfrau");
  EXPECT_EQ(r.json["objects"]["surename"], "Erika");
  EXPECT_EQ(r.json["objects"]["customerNumber"], "HS-7");
  EXPECT_EQ(Get("/Contact/" + id).json["objects"][0]["description"], "VIP");
  ExpectErrorEnvelope(Put("/Contact/999", Json{{"name", "x"}}), 404, 151);
}

TEST_F(ApiTest, UnknownIdsAre404Code151) {
  for (std::string path : {"/Contact/12345", "/Voucher/12345", "/ContactAddress/12345",
                           "/CommunicationWay/12345", "/Contact/abc"}) {
    auto r = Get(path);
    ExpectErrorEnvelope(r, 404, 151);
    EXPECT_NE(r.json["error"]["message"].get<std::string>().find("was found"), std::string::npos);
  }
  EXPECT_EQ(Get("/Voucher/12345").json["error"]["message"],
            "No Model_Voucher with the id 12345 was found");
}

TEST_F(ApiTest, AddressesEmbedTheContactOnCreate) {
  const std::string id = CreatePerson("HS-3");
  auto r =
      Post("/ContactAddress", Json{{"contact", {{"id", std::stoll(id)}, {"objectName", "Contact"}}},
                                   {"street", "Probestrasse 1"},
                                   {"zip", "10115"},
                                   {"city", "Berlin"},
                                   {"country", {{"id", 1}, {"objectName", "StaticCountry"}}},
                                   {"category", {{"id", 47}, {"objectName", "Category"}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["objects"]["contact"]["customerNumber"], "HS-3");
  EXPECT_EQ(r.json["objects"]["country"],
            Json::parse(R"({"id":"1","objectName":"StaticCountry"})"));
  EXPECT_EQ(r.json["objects"]["zip"], "10115");
  auto list = Get("/ContactAddress?contact[id]=" + id + "&contact[objectName]=Contact");
  ASSERT_EQ(list.json["objects"].size(), 1u);
  EXPECT_EQ(list.json["objects"][0]["contact"],
            Json::parse(R"({"id":")" + id + R"(","objectName":"Contact"})"));
  EXPECT_EQ(Get("/ContactAddress?contact[id]=1").json["objects"].size(), 0u);
  // Required fields and references.
  EXPECT_EQ(Post("/ContactAddress", Json{{"contact", {{"id", std::stoll(id)}}}}).status, 400);
  auto unknown = Post("/ContactAddress", Json{{"contact", {{"id", 1}, {"objectName", "Contact"}}},
                                              {"country", {{"id", 1}}},
                                              {"category", {{"id", 47}}}});
  ExpectErrorEnvelope(unknown, 400, 151);
}

// PUT /ContactAddress/{id} as sevdesk: partial (only the fields sent change), 404/151 for an id
// unknown to the token's account, even when another account has it.
TEST_F(ApiTest, UpdateAddressIsPartialAndOnlyForItsAccount) {
  const std::string contact = CreatePerson("HS-8");
  auto created =
      Post("/ContactAddress", Json{{"contact", {{"id", std::stoll(contact)}}},
                                   {"street", "Alte Gasse 1"},
                                   {"zip", "10115"},
                                   {"city", "Berlin"},
                                   {"name", "Erika Musterfrau"},
                                   {"country", {{"id", 1}, {"objectName", "StaticCountry"}}},
                                   {"category", {{"id", 47}, {"objectName", "Category"}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["objects"]["id"];
  auto r =
      Put("/ContactAddress/" + id, Json{{"street", "Neuer Weg 2"},
                                        {"zip", 80331},
                                        {"city", "München"},
                                        {"country", {{"id", 3}, {"objectName", "StaticCountry"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["objects"]["id"], id);
  EXPECT_EQ(r.json["objects"]["zip"], "80331");
  auto stored = Get("/ContactAddress/" + id).json["objects"][0];
  EXPECT_EQ(stored["street"], "Neuer Weg 2");
  EXPECT_EQ(stored["city"], "München");
  EXPECT_EQ(stored["country"], Json::parse(R"({"id":"3","objectName":"StaticCountry"})"));
  // What was not sent stays.
  EXPECT_EQ(stored["name"], "Erika Musterfrau");
  EXPECT_EQ(stored["category"], Json::parse(R"({"id":"47","objectName":"Category"})"));
  EXPECT_EQ(stored["contact"]["id"], contact);
  EXPECT_EQ(stored["create"], created.json["objects"]["create"]);
  auto list = Get("/ContactAddress?contact[id]=" + contact + "&contact[objectName]=Contact");
  ASSERT_EQ(list.json["objects"].size(), 1u);
  EXPECT_EQ(list.json["objects"][0]["street"], "Neuer Weg 2");

  auto unknown = Put("/ContactAddress/999", Json{{"street", "x"}});
  ExpectErrorEnvelope(unknown, 404, 151);
  EXPECT_EQ(unknown.json["error"]["message"], "No Model_ContactAddress with the id 999 was found");
  ExpectErrorEnvelope(Put("/ContactAddress/" + id, Json{{"street", "y"}}, kTokenB), 404, 151);
  EXPECT_EQ(Get("/ContactAddress/" + id).json["objects"][0]["street"], "Neuer Weg 2");
  ExpectErrorEnvelope(Put("/ContactAddress/" + id, Json{{"country", {{"id", 999}}}}), 400, 151);
  ExpectErrorEnvelope(Put("/ContactAddress/" + id, Json{{"contact", {{"id", 1}}}}), 400, 151);
  EXPECT_EQ(Put("/ContactAddress/" + id, Json{{"street", {{"a", 1}}}}).status, 400);
}

// PUT /CommunicationWay/{id}: partial like the address; type, key and main stay.
TEST_F(ApiTest, UpdateCommunicationWayIsPartialAndOnlyForItsAccount) {
  const std::string contact = CreatePerson("HS-9");
  auto created = Post("/CommunicationWay", Json{{"contact", {{"id", std::stoll(contact)}}},
                                                {"type", "EMAIL"},
                                                {"value", "alt@example.org"},
                                                {"key", {{"id", 8}}},
                                                {"main", true}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["objects"]["id"];
  auto r = Put("/CommunicationWay/" + id, Json{{"value", "neu@example.org"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["objects"]["value"], "neu@example.org");
  auto stored = Get("/CommunicationWay/" + id).json["objects"][0];
  EXPECT_EQ(stored["value"], "neu@example.org");
  EXPECT_EQ(stored["type"], "EMAIL");
  EXPECT_EQ(stored["key"]["id"], "8");
  EXPECT_EQ(stored["main"], "1");
  auto mine = Get("/CommunicationWay?contact[id]=" + contact + "&type=EMAIL");
  ASSERT_EQ(mine.json["objects"].size(), 1u);
  EXPECT_EQ(mine.json["objects"][0]["value"], "neu@example.org");

  auto unknown = Put("/CommunicationWay/999", Json{{"value", "x@example.org"}});
  ExpectErrorEnvelope(unknown, 404, 151);
  EXPECT_EQ(unknown.json["error"]["message"],
            "No Model_CommunicationWay with the id 999 was found");
  ExpectErrorEnvelope(Put("/CommunicationWay/" + id, Json{{"value", "b@example.org"}}, kTokenB),
                      404, 151);
  EXPECT_EQ(Get("/CommunicationWay/" + id).json["objects"][0]["value"], "neu@example.org");
  EXPECT_EQ(Put("/CommunicationWay/" + id, Json{{"value", ""}}).status, 400);
  EXPECT_EQ(Put("/CommunicationWay/" + id, Json{{"type", "FAX"}}).status, 400);
  ExpectErrorEnvelope(Put("/CommunicationWay/" + id, Json{{"key", {{"id", 9}}}}), 400, 151);
}

TEST_F(ApiTest, CommunicationWays) {
  const std::string a = CreatePerson("HS-4");
  const std::string b = CreatePerson("HS-5");
  auto r = Post("/CommunicationWay",
                Json{{"contact", {{"id", std::stoll(a)}, {"objectName", "Contact"}}},
                     {"type", "EMAIL"},
                     {"value", "erika@example.com"},
                     {"key", {{"id", 2}, {"objectName", "CommunicationWayKey"}}},
                     {"main", true}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["objects"]["main"], "1");
  EXPECT_EQ(r.json["objects"]["key"]["id"], "2");
  Post("/CommunicationWay", Json{{"contact", {{"id", std::stoll(b)}}},
                                 {"type", "PHONE"},
                                 {"value", "030 123"},
                                 {"key", {{"id", 1}}}});
  EXPECT_EQ(Get("/CommunicationWay").json["objects"].size(), 2u);
  auto mine = Get("/CommunicationWay?contact[id]=" + a + "&contact[objectName]=Contact");
  ASSERT_EQ(mine.json["objects"].size(), 1u);
  EXPECT_EQ(mine.json["objects"][0]["value"], "erika@example.com");
  EXPECT_EQ(Get("/CommunicationWay?type=PHONE").json["objects"].size(), 1u);
  EXPECT_EQ(Get("/CommunicationWay?main=1").json["objects"].size(), 1u);
  EXPECT_EQ(Post("/CommunicationWay", Json{{"contact", {{"id", std::stoll(a)}}},
                                           {"type", "FAX"},
                                           {"value", "1"},
                                           {"key", {{"id", 1}}}})
                .status,
            400);
}

TEST_F(ApiTest, VoucherRoundTripKeepsThePdfByteIdentical) {
  const std::string contact = CreatePerson("HS-10023");
  const std::string pdf = SamplePdf();
  auto upload = Upload(pdf);
  ASSERT_EQ(upload.status, 201) << upload.body;
  const Json& up = upload.json["objects"];
  EXPECT_TRUE(
      std::regex_match(up["filename"].get<std::string>(), std::regex("[0-9a-f]{32}\\.pdf")));
  EXPECT_EQ(up["originMimeType"], "application/pdf");
  EXPECT_EQ(up["contentHash"].get<std::string>().size(), 64u);
  EXPECT_EQ(up["pages"], 1);
  EXPECT_EQ(up["content"], Json::array());

  auto saved = Post("/Voucher/Factory/saveVoucher", VoucherBody(up["filename"], contact));
  ASSERT_EQ(saved.status, 201) << saved.body;
  const Json& v = saved.json["objects"]["voucher"];
  EXPECT_EQ(v["status"], "100");
  EXPECT_EQ(v["creditDebit"], "D");
  EXPECT_EQ(v["sumGross"], "178.5");
  EXPECT_EQ(v["sumNet"], "150");
  EXPECT_EQ(v["sumTax"], "28.5");
  EXPECT_EQ(v["voucherDate"], "2026-09-01T00:00:00+02:00");
  EXPECT_EQ(v["supplier"]["id"], contact);
  EXPECT_EQ(v["supplierName"], "Erika Mustermann");
  EXPECT_EQ(v["taxRule"], Json::parse(R"({"id":"1","objectName":"TaxRule"})"));
  EXPECT_TRUE(v["taxType"].is_null());
  EXPECT_EQ(v["paidAmount"], 0);
  EXPECT_EQ(v["document"]["objectName"], "Document");
  const Json& pos = saved.json["objects"]["voucherPos"];
  ASSERT_EQ(pos.size(), 1u);
  EXPECT_EQ(pos[0]["taxRate"], "19");
  EXPECT_EQ(pos[0]["sumNet"], "150");
  EXPECT_EQ(pos[0]["accountDatev"]["id"], "4400101");
  EXPECT_EQ(saved.json["objects"]["filename"], up["filename"]);

  const std::string id = v["id"];
  auto got = Get("/Voucher/" + id);
  ASSERT_EQ(got.status, 200);
  ASSERT_EQ(got.json["objects"].size(), 1u);
  EXPECT_EQ(got.json["objects"][0], v);

  auto doc = Admin("GET", "/accounts/" + std::string(kTokenA) + "/vouchers/" + id + "/document");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body, pdf);
  // The temp file is used up by the voucher.
  EXPECT_EQ(Post("/Voucher/Factory/saveVoucher", VoucherBody(up["filename"], contact)).status, 422);
  auto positions = Get("/VoucherPos?voucher[id]=" + id + "&voucher[objectName]=Voucher");
  EXPECT_EQ(positions.json["objects"].size(), 1u);
}

TEST_F(ApiTest, VoucherListFilters) {
  const std::string contact = CreatePerson("HS-1");
  Post("/Voucher/Factory/saveVoucher", VoucherBody(UploadPdf(SamplePdf("a")), contact));
  Json other = VoucherBody(UploadPdf(SamplePdf("b")), "");
  other["voucher"]["description"] = "HS-2026-0043 Storno";
  other["voucher"]["status"] = 50;
  other["voucher"]["voucherDate"] = "15.01.2026";
  ASSERT_EQ(Post("/Voucher/Factory/saveVoucher", other).status, 201);
  EXPECT_EQ(Get("/Voucher").json["objects"].size(), 2u);
  EXPECT_EQ(Get("/Voucher?descriptionLike=0043").json["objects"].size(), 1u);
  EXPECT_EQ(Get("/Voucher?descriptionLike=hs-2026").json["objects"].size(), 2u);
  EXPECT_EQ(Get("/Voucher?creditDebit=C").json["objects"].size(), 0u);
  EXPECT_EQ(Get("/Voucher?status=50").json["objects"].size(), 1u);
  EXPECT_EQ(Get("/Voucher?contact[id]=" + contact + "&contact[objectName]=Contact")
                .json["objects"]
                .size(),
            1u);
  EXPECT_EQ(Get("/Voucher?customerInternalNote=zzz").json["objects"].size(), 2u);  // ignored
  auto counted = Get("/Voucher?countAll=true&limit=1");
  EXPECT_EQ(counted.json["total"], "2");
  EXPECT_EQ(counted.json["objects"].size(), 1u);
  // startDate/endDate are Unix seconds (2026-03-01 .. 2026-12-31).
  EXPECT_EQ(Get("/Voucher?startDate=1772319600&endDate=1798671600").json["objects"].size(), 1u);
  EXPECT_EQ(Get("/Voucher?status=50").json["objects"][0]["voucherDate"],
            "2026-01-15T00:00:00+01:00");
}

TEST_F(ApiTest, BookAmountPaysAVoucher) {
  auto saved = Post("/Voucher/Factory/saveVoucher", VoucherBody(UploadPdf(SamplePdf()), ""));
  const std::string id = saved.json["objects"]["voucher"]["id"];
  auto partial = Put("/Voucher/" + id + "/bookAmount",
                     Json{{"amount", "100.00"},
                          {"date", "2026-09-29T12:00:00+02:00"},
                          {"type", "N"},
                          {"checkAccount", {{"id", 5012345}, {"objectName", "CheckAccount"}}}});
  ASSERT_EQ(partial.status, 200) << partial.body;
  EXPECT_EQ(partial.json["objects"]["objectName"], "VoucherLog");
  EXPECT_EQ(partial.json["objects"]["fromStatus"], "100");
  EXPECT_EQ(partial.json["objects"]["toStatus"], "750");
  EXPECT_EQ(partial.json["objects"]["amountPayed"], "100");
  auto rest = Put("/Voucher/" + id + "/bookAmount",
                  Json{{"amount", 78.5},
                       {"date", 1790805600},
                       {"type", "N"},
                       {"checkAccount", {{"id", 5012345}, {"objectName", "CheckAccount"}}}});
  EXPECT_EQ(rest.json["objects"]["toStatus"], "1000");
  auto v = Get("/Voucher/" + id).json["objects"][0];
  EXPECT_EQ(v["status"], "1000");
  EXPECT_EQ(v["paidAmount"], 178.5);
  EXPECT_EQ(Put("/Voucher/" + id + "/bookAmount",
                Json{{"amount", 1}, {"date", 1790805600}, {"checkAccount", {{"id", 1}}}})
                .status,
            422);
}

}  // namespace
}  // namespace hs::sevdesk::sandbox::testing
