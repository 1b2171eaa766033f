// The sevdesk client against a server that misbehaves like a real network: no write is ever
// sent twice below the engine (issue 12, ADR 0010), and every answer is classified.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "scripted_http_server.hpp"
#include "sevdesk/client/sevdesk_client.hpp"

namespace hs::sevdesk {
namespace {

using test::JsonAnswer;
using test::ScriptedAnswer;
using test::ScriptedHttpServer;
using test::ScriptedRequest;

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";
constexpr const char* kVersion = R"({"objects":{"version":"2.0"}})";
constexpr const char* kContact = R"({"objects":{"id":"42","objectName":"Contact"}})";

std::unique_ptr<app::SevdeskGateway> Client(const ScriptedHttpServer& server,
                                            WriteConnection mode = WriteConnection::kReuseRecent) {
  static const bool initialized = [] {
    InitHttpClient();
    return true;
  }();
  (void)initialized;
  ClientSettings settings;
  settings.base_url = server.BaseUrl();
  settings.timeout = std::chrono::milliseconds(5000);
  settings.write_connection = mode;
  return MakeSevdeskClient(settings);
}

app::ContactData Person() {
  app::ContactData c;
  c.first_name = "Anna";
  c.last_name = "Müller";
  c.customer_number = "HS-1";
  return c;
}

class WriteConnectionTest : public ::testing::TestWithParam<WriteConnection> {};

// The nastiest case: a write that the server applied, on a kept-alive connection, and then the
// connection closes before any answer byte. libcurl by itself would send it again.
TEST_P(WriteConnectionTest, AWriteWhoseConnectionDiesUnansweredIsSentOnceAndUncertain) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    if (r.method == "POST") return test::CloseWithoutAnswer();
    return JsonAnswer(200, kVersion);
  });
  auto client = Client(server, GetParam());
  ASSERT_TRUE(client->BookkeepingVersion(kToken));  // leaves a kept-alive connection
  auto created = client->CreateContact(kToken, Person());
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().reason, "sevdesk_uncertain");
  EXPECT_EQ(server.CountRequests("POST"), 1);
}

TEST_P(WriteConnectionTest, AWriteWhoseAnswerStopsAfterItsHeadersIsSentOnceAndUncertain) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    if (r.method != "POST") return JsonAnswer(200, kVersion);
    ScriptedAnswer a = JsonAnswer(201, kContact);
    a.kind = ScriptedAnswer::Kind::kHeadersThenClose;
    a.body_bytes_sent = 10;
    return a;
  });
  auto client = Client(server, GetParam());
  ASSERT_TRUE(client->BookkeepingVersion(kToken));
  auto created = client->CreateContact(kToken, Person());
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().reason, "sevdesk_uncertain");
  EXPECT_EQ(server.CountRequests("POST"), 1);
}

INSTANTIATE_TEST_SUITE_P(Modes, WriteConnectionTest,
                         ::testing::Values(WriteConnection::kReuseRecent, WriteConnection::kFresh),
                         [](const ::testing::TestParamInfo<WriteConnection>& p) {
                           return p.param == WriteConnection::kFresh ? "Fresh" : "ReuseRecent";
                         });

// Reads are idempotent: libcurl's own retry of a read on a dead kept-alive connection stays.
TEST(SevdeskClientTest, AReadWhoseReusedConnectionDiesIsRetriedOnANewOne) {
  int gets = 0;
  ScriptedHttpServer server([&gets](const ScriptedRequest&) {
    if (++gets == 2) return test::CloseWithoutAnswer();
    return JsonAnswer(200, kVersion);
  });
  auto client = Client(server);
  ASSERT_TRUE(client->BookkeepingVersion(kToken));
  auto again = client->BookkeepingVersion(kToken);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(server.CountRequests("GET"), 3);
}

TEST(SevdeskClientTest, WritesReuseARecentConnectionOrAFreshOneAsConfigured) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    return JsonAnswer(r.method == "POST" ? 201 : 200, r.method == "POST" ? kContact : kVersion);
  });
  auto reuse = Client(server, WriteConnection::kReuseRecent);
  ASSERT_TRUE(reuse->BookkeepingVersion(kToken));
  ASSERT_TRUE(reuse->CreateContact(kToken, Person()));
  auto fresh = Client(server, WriteConnection::kFresh);
  ASSERT_TRUE(fresh->BookkeepingVersion(kToken));
  ASSERT_TRUE(fresh->CreateContact(kToken, Person()));
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[1].connection, requests[0].connection);
  EXPECT_NE(requests[3].connection, requests[2].connection);
}

TEST(SevdeskClientTest, ARedirectedWriteIsNotFollowedAndUncertain) {
  ScriptedHttpServer server([](const ScriptedRequest&) {
    ScriptedAnswer a = JsonAnswer(307, "{}");
    a.headers.push_back("Location: /api/v1/Elsewhere");
    return a;
  });
  auto client = Client(server);
  auto created = client->CreateContact(kToken, Person());
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().reason, "sevdesk_uncertain");
  EXPECT_EQ(server.Requests().size(), 1u);
}

TEST(SevdeskClientTest, AnUploadIsSentWithoutExpectContinue) {
  ScriptedHttpServer server([](const ScriptedRequest&) {
    return JsonAnswer(201, R"({"objects":{"filename":"abc.pdf"}})");
  });
  auto client = Client(server);
  const std::string pdf = "%PDF-1.4\n" + std::string(2 * 1024 * 1024, 'x');
  auto name = client->UploadDocument(kToken, "RE-1.pdf", pdf);
  ASSERT_TRUE(name) << name.error().message;
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].head.find("Expect"), std::string::npos) << requests[0].head;
  EXPECT_GT(requests[0].body.size(), pdf.size());
}

TEST(SevdeskClientTest, TheEnvironmentsProxyIsNeverUsed) {
  ScriptedHttpServer proxy([](const ScriptedRequest&) { return JsonAnswer(502, "{}"); });
  ScriptedHttpServer server([](const ScriptedRequest&) { return JsonAnswer(200, kVersion); });
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  ::setenv("http_proxy", proxy_url.c_str(), 1);
  ::setenv("HTTP_PROXY", proxy_url.c_str(), 1);
  auto client = Client(server);
  auto version = client->BookkeepingVersion(kToken);
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_EQ(proxy.Requests().size(), 0u);
}

TEST(SevdeskClientTest, SaveVoucherSendsGrossPositionsAndReadsSevdesksSums) {
  ScriptedHttpServer server([](const ScriptedRequest&) {
    return JsonAnswer(201, R"({"objects":{"voucher":{"id":"77","sumNet":"100.5","sumTax":"19.09",)"
                           R"("sumGross":"119.59"},"voucherPos":[]}})");
  });
  auto client = Client(server);
  app::VoucherData v;
  v.voucher_date = Date{std::chrono::year{2026}, std::chrono::month{12}, std::chrono::day{5}};
  v.description = "RE-2026-0001";
  v.contact_id = "42";
  v.filename = "abc.pdf";
  v.positions.push_back({4400, 19, 11960, "Umsatz 19 %"});
  auto saved = client->SaveVoucher(kToken, v);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(saved->id, "77");
  EXPECT_EQ(saved->net_cents, 10050);
  EXPECT_EQ(saved->tax_cents, 1909);
  EXPECT_EQ(saved->gross_cents, 11959);
  const auto body = nlohmann::json::parse(server.Requests().at(0).body);
  const auto& pos = body["voucherPosSave"][0];
  EXPECT_EQ(pos["net"], false);
  EXPECT_EQ(pos["sumGross"], "119.60");
  EXPECT_FALSE(pos.contains("sumNet"));
  EXPECT_FALSE(pos.contains("sumTax"));
}

// Answers of the wrong shape are errors or empty results, never a crash.
TEST(SevdeskClientTest, ListsOfTheWrongShapeAreHandled) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    if (r.target.find("/Contact?") != std::string::npos) {
      return JsonAnswer(200, R"({"objects":[1,"x",null,{"id":"5","customerNumber":"HS-1"}]})");
    }
    if (r.target.find("/Voucher?") != std::string::npos) {
      return JsonAnswer(200, R"({"objects":{"id":"1"}})");
    }
    return JsonAnswer(200, R"({"objects":["a",{"id":"9","contact":{"id":"5"},"value":"a@b.de"}]})");
  });
  auto client = Client(server);
  auto contact = client->FindContact(kToken, "HS-1");
  ASSERT_TRUE(contact);
  ASSERT_TRUE(contact->has_value());
  EXPECT_EQ((*contact)->id, "5");
  auto vouchers = client->FindVouchers(kToken, "RE-1");
  ASSERT_TRUE(vouchers);
  auto payments = client->ListVoucherPayments(kToken, std::nullopt, 100, {});
  ASSERT_TRUE(payments);
  EXPECT_TRUE(payments->vouchers.empty());
  auto emails = client->FindEmails(kToken, "5");
  ASSERT_TRUE(emails);
  ASSERT_EQ(emails->size(), 1u);
  EXPECT_EQ(emails->at(0).value, "a@b.de");
}

// The engine decides on reasons, never on sevdesk's texts: the client tells the missing objects
// apart. Texts: the sandbox's, and the recorded "not found" (error_404_code_151.json).
TEST(SevdeskClientTest, RejectionsNameTheObjectThatIsGone) {
  struct Row {
    const char* path;
    const char* message;
    std::string_view reason;
  };
  const Row rows[] = {
      {"/Voucher/Factory/saveVoucher",
       "The file 0000.pdf was not found. Upload it with Voucher/Factory/uploadTempFile first.",
       app::sevdesk_reason::kFileGone},
      {"/Voucher/Factory/saveVoucher", "No Model_Contact with the id 901 was found",
       app::sevdesk_reason::kContactGone},
      {"/Contact/901", "No Model_Contact with the id 901 was found",
       app::sevdesk_reason::kContactGone},
      {"/ContactAddress", "No Model_Contact with the id 901 was found",
       app::sevdesk_reason::kContactGone},
      {"/ContactAddress/55", "No Model_ContactAddress with the id 55 was found",
       app::sevdesk_reason::kDetailGone},
      {"/CommunicationWay/66", "No Model_CommunicationWay with the id 66 was found",
       app::sevdesk_reason::kDetailGone},
      // A create's unknown key is a bad request, not a gone e-mail.
      {"/CommunicationWay", "No Model_CommunicationWayKey with the id 9 was found",
       app::sevdesk_reason::kRejected},
      {"/CheckAccountTransaction/1", "No Model_CheckAccountTransaction with the id 1 was found",
       app::sevdesk_reason::kRejected},
      {"/Voucher/Factory/saveVoucher", "voucherPosSave[0].taxRate 7 is not allowed for taxRule 11",
       app::sevdesk_reason::kRejected},
      // Only a voucher's save names an uploaded file.
      {"/Contact", "The file x was not found", app::sevdesk_reason::kRejected},
      {"/Voucher/Factory/saveVoucher", "", app::sevdesk_reason::kRejected},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.path) + ": " + row.message);
    EXPECT_EQ(RejectionReason(row.path, row.message), row.reason);
  }
}

// The reason travels with the classified error of a real answer.
TEST(SevdeskClientTest, AContactGoneIsClassifiedFromTheAnswer) {
  ScriptedHttpServer server([](const ScriptedRequest&) {
    return JsonAnswer(404, R"({"error":{"message":"No Model_Contact with the id 7 was found",)"
                           R"("code":151,"responseCode":404},"objects":null})");
  });
  auto client = Client(server);
  auto updated = client->UpdateContact(kToken, "7", Person());
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(updated.error().reason, app::sevdesk_reason::kContactGone);
  EXPECT_EQ(updated.error().message, "No Model_Contact with the id 7 was found");
}

// Issue 15: a move changes the address and the e-mail we created in place, sending only the
// fields we own (PUT is partial in sevdesk).
TEST(SevdeskClientTest, AddressAndEmailAreUpdatedInPlaceWithTheirFieldsOnly) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    return JsonAnswer(200, r.target.find("ContactAddress") != std::string::npos
                               ? R"({"objects":{"id":"55","objectName":"ContactAddress"}})"
                               : R"({"objects":{"id":"66","objectName":"CommunicationWay"}})");
  });
  auto client = Client(server);
  app::ContactData c = Person();
  c.address = {"Neuer Weg 1", "80331", "München", "AT"};
  ASSERT_TRUE(client->UpdateAddress(kToken, "55", c));
  ASSERT_TRUE(client->UpdateEmail(kToken, "66", "neu@example.org"));
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/api/v1/ContactAddress/55");
  EXPECT_EQ(nlohmann::json::parse(requests[0].body),
            nlohmann::json::parse(R"({"street":"Neuer Weg 1","zip":"80331","city":"München",)"
                                  R"("country":{"id":3,"objectName":"StaticCountry"}})"));
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].target, "/api/v1/CommunicationWay/66");
  EXPECT_EQ(nlohmann::json::parse(requests[1].body),
            nlohmann::json::parse(R"({"value":"neu@example.org"})"));
}

// The object the update names was deleted in sevdesk (recorded 404/151 envelope): a reason of
// its own, so the sync creates a new one instead of failing.
TEST(SevdeskClientTest, AnAddressOrEmailGoneIsClassifiedFromTheAnswer) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    const std::string model = r.target.find("ContactAddress") != std::string::npos
                                  ? "ContactAddress"
                                  : "CommunicationWay";
    return JsonAnswer(404, R"({"error":{"message":"No Model_)" + model +
                               R"( with the id 5 was found","code":151,"responseCode":404},)"
                               R"("objects":null})");
  });
  auto client = Client(server);
  auto address = client->UpdateAddress(kToken, "5", Person());
  ASSERT_FALSE(address);
  EXPECT_EQ(address.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(address.error().reason, app::sevdesk_reason::kDetailGone);
  auto email = client->UpdateEmail(kToken, "5", "a@b.de");
  ASSERT_FALSE(email);
  EXPECT_EQ(email.error().reason, app::sevdesk_reason::kDetailGone);
}

// An update goes the write path: a connection that dies unanswered does not send it again.
TEST(SevdeskClientTest, AnUnansweredUpdateIsSentOnceAndUncertain) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    if (r.method == "PUT") return test::CloseWithoutAnswer();
    return JsonAnswer(200, kVersion);
  });
  auto client = Client(server);
  ASSERT_TRUE(client->BookkeepingVersion(kToken));  // leaves a kept-alive connection
  auto updated = client->UpdateEmail(kToken, "66", "neu@example.org");
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().reason, "sevdesk_uncertain");
  EXPECT_EQ(server.CountRequests("PUT"), 1);
}

// ---- The contact directory (Kundenabgleich, ADR 0013)

using Json = nlohmann::json;

int QueryNumber(const std::string& target, const std::string& name) {
  const auto at = target.find(name + "=");
  return at == std::string::npos ? -1 : std::atoi(target.c_str() + at + name.size() + 1);
}

// Serves `rows` of the list a request names, by limit and offset, as sevdesk does.
struct DirectoryServer {
  std::vector<Json> contacts, addresses, ways;
  bool ignore_offset = false;

  ScriptedAnswer Answer(const ScriptedRequest& r) const {
    const std::string path = r.target.substr(0, r.target.find('?'));
    const std::vector<Json>& rows = path.ends_with("/Contact")          ? contacts
                                    : path.ends_with("/ContactAddress") ? addresses
                                                                        : ways;
    const int limit = QueryNumber(r.target, "limit");
    const int offset = ignore_offset ? 0 : std::max(0, QueryNumber(r.target, "offset"));
    Json page = Json::array();
    for (int i = offset; i < static_cast<int>(rows.size()) && i < offset + limit; ++i) {
      page.push_back(rows[static_cast<std::size_t>(i)]);
    }
    return JsonAnswer(200, Json{{"objects", page}}.dump());
  }
};

Json ContactRef(int id) {
  return Json{{"id", std::to_string(id)}, {"objectName", "Contact"}};
}

// 250 contacts (every third an organisation), an address for every second, an e-mail for every
// fifth, and a phone number that is no e-mail.
DirectoryServer SampleDirectory() {
  DirectoryServer d;
  for (int i = 1; i <= 250; ++i) {
    Json c = {{"id", std::to_string(i)},
              {"objectName", "Contact"},
              {"customerNumber", std::to_string(1000 + i)},
              {"name", nullptr},
              {"surename", "Anna"},
              {"familyname", "Müller " + std::to_string(i)}};
    if (i % 3 == 0) c = {{"id", std::to_string(i)}, {"name", "Tierheim " + std::to_string(i)}};
    d.contacts.push_back(c);
    if (i % 2 == 0) {
      d.addresses.push_back({{"id", std::to_string(5000 + i)},
                             {"contact", ContactRef(i)},
                             {"street", "Hauptstraße " + std::to_string(i)},
                             {"zip", "79098"},
                             {"city", "Freiburg"},
                             {"country", {{"id", "1"}}}});
    }
    if (i % 5 == 0) {
      d.ways.push_back({{"id", std::to_string(9000 + i)},
                        {"contact", ContactRef(i)},
                        {"type", "EMAIL"},
                        {"value", "k" + std::to_string(i) + "@example.de"}});
    }
  }
  d.ways.push_back({{"id", "9999"}, {"contact", ContactRef(4)}, {"type", "PHONE"}, {"value", "1"}});
  return d;
}

TEST(ContactDirectoryTest, ReadsEveryPageAndJoinsAddressesAndEmails) {
  const DirectoryServer d = SampleDirectory();
  ScriptedHttpServer server([&](const ScriptedRequest& r) { return d.Answer(r); });
  auto directory = Client(server)->ListContacts(kToken, 100);
  ASSERT_TRUE(directory) << directory.error().message;
  // Contacts 100 + 100 + 50, addresses 100 + 25, ways 51 + 1: a short page is the last.
  EXPECT_EQ(directory->requests, 3 + 2 + 1);
  EXPECT_EQ(directory->requests, static_cast<int>(server.Requests().size()));
  ASSERT_EQ(directory->contacts.size(), 250u);
  const auto& person = directory->contacts[9];  // id 10
  EXPECT_EQ(person.id, "10");
  EXPECT_FALSE(person.organisation);
  EXPECT_EQ(person.first_name, "Anna");
  EXPECT_EQ(person.last_name, "Müller 10");
  EXPECT_EQ(person.customer_number, "1010");
  ASSERT_EQ(person.addresses.size(), 1u);
  EXPECT_EQ(person.addresses[0].street, "Hauptstraße 10");
  EXPECT_EQ(person.addresses[0].country, "DE");
  EXPECT_EQ(person.emails, std::vector<std::string>{"k10@example.de"});
  const auto& organisation = directory->contacts[2];  // id 3
  EXPECT_TRUE(organisation.organisation);
  EXPECT_EQ(organisation.name, "Tierheim 3");
  EXPECT_TRUE(organisation.addresses.empty());
  EXPECT_TRUE(directory->contacts[3].emails.empty());  // id 4: only a phone number
  int contact_pages = 0;
  for (const auto& r : server.Requests()) {
    EXPECT_EQ(r.method, "GET");
    contact_pages += r.target.starts_with("/api/v1/Contact?") ? 1 : 0;
    if (r.target.starts_with("/api/v1/Contact?")) {
      EXPECT_NE(r.target.find("depth=1"), std::string::npos);
    }
    if (r.target.starts_with("/api/v1/CommunicationWay")) {
      EXPECT_NE(r.target.find("type=EMAIL"), std::string::npos);
    }
  }
  EXPECT_EQ(contact_pages, 3);
}

TEST(ContactDirectoryTest, TwoThousandContactsTakeAFewRequests) {
  DirectoryServer d;
  for (int i = 1; i <= 2000; ++i) {
    d.contacts.push_back({{"id", std::to_string(i)}, {"surename", "A"}, {"familyname", "B"}});
    d.addresses.push_back({{"id", std::to_string(i)}, {"contact", ContactRef(i)}, {"zip", "1"}});
    d.ways.push_back({{"id", std::to_string(i)},
                      {"contact", ContactRef(i)},
                      {"type", "EMAIL"},
                      {"value", "x@y.de"}});
  }
  ScriptedHttpServer server([&](const ScriptedRequest& r) { return d.Answer(r); });
  auto directory = Client(server)->ListContacts(kToken, app::kContactPageSize);
  ASSERT_TRUE(directory);
  EXPECT_EQ(directory->contacts.size(), 2000u);
  EXPECT_EQ(directory->requests, 9);  // 1000, 1000 and an empty page for each of the three lists
}

TEST(ContactDirectoryTest, AServerThatIgnoresTheOffsetEndsTheReading) {
  DirectoryServer d = SampleDirectory();
  d.ignore_offset = true;
  ScriptedHttpServer server([&](const ScriptedRequest& r) { return d.Answer(r); });
  auto directory = Client(server)->ListContacts(kToken, 100);
  ASSERT_TRUE(directory);
  EXPECT_EQ(directory->contacts.size(), 100u);
  EXPECT_EQ(directory->requests, 2 + 2 + 1);
}

TEST(ContactDirectoryTest, AnErrorEndsTheReading) {
  const DirectoryServer d = SampleDirectory();
  ScriptedHttpServer server([&](const ScriptedRequest& r) {
    if (r.target.starts_with("/api/v1/ContactAddress")) {
      return JsonAnswer(401, R"({"error":{"message":"Authentication required"},"objects":null})");
    }
    return d.Answer(r);
  });
  auto directory = Client(server)->ListContacts(kToken, 100);
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code, ErrorCode::kUnauthenticated);
}

// ---- Payment state (issue 16)

// The fields of the recorded GET /Voucher/{id} (shared/sevdesk/recorded-responses/voucher.json)
// that the payment state reads: paidAmount is a JSON number there, the sums are strings.
constexpr const char* kRecordedPaidVoucher =
    R"({"objects":[{"id":"156244013","objectName":"Voucher","create":"2026-09-29T15:20:31+02:00",)"
    R"("update":"2026-09-29T15:44:57+02:00","voucherDate":"2026-08-31T00:00:00+02:00",)"
    R"j("description":"Test fee voucher 2026-08 (probe, PDF per API)",)j"
    R"("payDate":"2026-08-25T12:00:00+02:00","status":"1000","currency":"EUR",)"
    R"("sumNet":"87.49","sumTax":"0","sumGross":"87.49","paidAmount":87.49,)"
    R"("creditDebit":"C","voucherType":"VOU"}]})";

TEST(VoucherPaymentTest, TheRecordedVoucherIsReadToTheCent) {
  ScriptedHttpServer server(
      [](const ScriptedRequest&) { return JsonAnswer(200, kRecordedPaidVoucher); });
  auto read = Client(server)->GetVoucherPayment(kToken, "156244013");
  ASSERT_TRUE(read && *read);
  const app::VoucherPayment& p = **read;
  EXPECT_EQ(p.status, app::kVoucherPaid);
  EXPECT_EQ(p.gross_cents, 8749);
  EXPECT_EQ(p.paid_cents, 8749);
  EXPECT_EQ(p.pay_date, Date{std::chrono::year{2026} / 8 / 25});
  EXPECT_EQ(FormatIsoInstant(p.updated), "2026-09-29T13:44:57.000Z");
  EXPECT_EQ(server.Requests().at(0).target, "/api/v1/Voucher/156244013");
}

TEST(VoucherPaymentTest, AVoucherGoneIsNothingAndOtherErrorsStayErrors) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    if (r.target.ends_with("/6")) return JsonAnswer(200, R"({"objects":[]})");
    if (r.target.ends_with("/7")) {
      return JsonAnswer(404, R"({"error":{"message":"No Model_Voucher with the id 7 was found",)"
                             R"("code":151},"objects":null})");
    }
    return JsonAnswer(500, R"({"error":{"message":"oops"},"objects":null})");
  });
  auto client = Client(server);
  auto gone = client->GetVoucherPayment(kToken, "7");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto empty = client->GetVoucherPayment(kToken, "6");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->has_value());
  auto failed = client->GetVoucherPayment(kToken, "8");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().reason, app::sevdesk_reason::kError);
}

// A server that ignores updateAfter answers everything: the client keeps only the changed ones,
// and without a total it ends on the short page.
TEST(VoucherPaymentTest, IgnoredFiltersAreCheckedByTheClient) {
  ScriptedHttpServer server([](const ScriptedRequest&) {
    return JsonAnswer(
        200, R"({"objects":[)"
             R"({"id":"3","creditDebit":"D","status":"750","sumGross":"10","paidAmount":2.5,)"
             R"("payDate":"2026-11-27T12:00:00+01:00","update":"2026-11-27T10:00:00+01:00"},)"
             R"({"id":"2","creditDebit":"C","status":"100","sumGross":"10","paidAmount":0,)"
             R"("payDate":null,"update":"2026-11-27T10:00:00+01:00"},)"
             R"({"id":"1","creditDebit":"D","status":"100","sumGross":"10","paidAmount":0,)"
             R"("payDate":null,"update":"2026-11-01T10:00:00+01:00"}]})");
  });
  const Instant since = *ParseIsoInstant("2026-11-20T00:00:00.500Z");
  auto changed = Client(server)->ListVoucherPayments(kToken, since, 100, {});
  ASSERT_TRUE(changed) << changed.error().message;
  ASSERT_EQ(changed->vouchers.size(), 1u);
  EXPECT_EQ(changed->vouchers[0].id, "3");
  EXPECT_EQ(changed->vouchers[0].paid_cents, 250);
  EXPECT_EQ(changed->requests, 1);
  // A second early, in Unix seconds (2026-11-20T00:00:00Z = 1795132800).
  EXPECT_EQ(
      server.Requests().at(0).target,
      "/api/v1/Voucher?creditDebit=D&countAll=true&updateAfter=1795132799&limit=100&offset=0");
}

// A full page with a row that is not an object still asks for the next page (the row counts for
// the page's length), and a page answered with 200 and an error object fails the whole read
// rather than ending it as if the list were complete.
TEST(VoucherPaymentTest, PagesAreReadToTheEndAndErrorsInsidePagesFailTheRead) {
  auto page = [](int offset) {
    std::string objects;
    for (int i = 0; i < 2; ++i) {
      if (!objects.empty()) objects += ",";
      if (offset == 0 && i == 1) {
        objects += "null";
        continue;
      }
      objects += R"({"id":")" + std::to_string(offset + i + 1) +
                 R"(","creditDebit":"D","status":"1000","sumGross":"10","paidAmount":10,)"
                 R"("payDate":"2026-11-27T12:00:00+01:00","update":"2026-11-27T10:00:00+01:00",)"
                 R"("supplier":{"id":"99","objectName":"Contact"}})";
    }
    return "{\"total\":\"5\",\"objects\":[" + objects + "]}";
  };
  ScriptedHttpServer server([&](const ScriptedRequest& r) {
    if (r.target.find("offset=0") != std::string::npos) return JsonAnswer(200, page(0));
    if (r.target.find("offset=2") != std::string::npos) return JsonAnswer(200, page(2));
    return JsonAnswer(
        200, R"({"objects":[{"id":"5","creditDebit":"D","update":"2026-11-27T10:00:00+01:00"}]})");
  });
  auto all = Client(server)->ListVoucherPayments(kToken, std::nullopt, 2, {});
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->requests, 3);
  ASSERT_EQ(all->vouchers.size(), 4u);  // 1, 3, 4, 5 (the null row is skipped, not the page)
  EXPECT_EQ(all->vouchers[0].id, "1");
  EXPECT_EQ(all->vouchers[0].paid_cents, 1000);
  EXPECT_EQ(all->vouchers[3].id, "5");

  // The caller's pacing runs before every page; its error ends the read with that error.
  int paced = 0;
  auto pace = [&]() -> Status {
    if (++paced == 3) return Fail(ErrorCode::kUnavailable, "stopping", "Der Dienst wird beendet.");
    return {};
  };
  auto stopped = Client(server)->ListVoucherPayments(kToken, std::nullopt, 2, pace);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().reason, "stopping");
  EXPECT_EQ(paced, 3);
  EXPECT_EQ(server.Requests().size(), 5u);  // 3 before, 2 now

  ScriptedHttpServer failing([&](const ScriptedRequest& r) {
    if (r.target.find("offset=0") != std::string::npos) return JsonAnswer(200, page(0));
    return JsonAnswer(200, R"({"objects":[],"error":{"message":"Interner Fehler"}})");
  });
  auto failed = Client(failing)->ListVoucherPayments(kToken, std::nullopt, 2, {});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().reason, app::sevdesk_reason::kError);
}

// An endless or huge answer is cut off at max_answer_bytes: a read fails (the next run tries
// again), a write is uncertain (it may have been applied), and the memory stays bounded.
TEST(SevdeskClientTest, AnswersLongerThanTheLimitAreCutOff) {
  const std::string huge = R"({"objects":[)" + std::string(200000, ' ') + "]}";
  ScriptedHttpServer server([&](const ScriptedRequest&) { return JsonAnswer(200, huge); });
  InitHttpClient();
  ClientSettings settings;
  settings.base_url = server.BaseUrl();
  settings.max_answer_bytes = 100000;
  auto client = MakeSevdeskClient(settings);
  auto read = client->ListVoucherPayments(kToken, std::nullopt, 100, {});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().reason, app::sevdesk_reason::kError);
  EXPECT_NE(read.error().message.find("lange Antwort"), std::string::npos);
  app::VoucherBooking booking{"77", 1234, Date{std::chrono::year{2026} / 12 / 5}, "5012345"};
  auto write = client->BookAmount(kToken, booking);
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().reason, app::sevdesk_reason::kUncertain);
  // Below the limit the same answer is read.
  settings.max_answer_bytes = 300000;
  auto roomy = MakeSevdeskClient(settings)->ListVoucherPayments(kToken, std::nullopt, 100, {});
  ASSERT_TRUE(roomy) << roomy.error().message;
  EXPECT_TRUE(roomy->vouchers.empty());
}

TEST(VoucherPaymentTest, BookAmountSendsAPartialBookingOnTheCheckAccount) {
  ScriptedHttpServer server([](const ScriptedRequest&) {
    return JsonAnswer(200, R"({"objects":{"id":"1","objectName":"VoucherLog","fromStatus":"100",)"
                           R"("toStatus":"750","amountPayed":"12.34"}})");
  });
  app::VoucherBooking booking{"77", 1234, Date{std::chrono::year{2026} / 12 / 5}, "5012345"};
  auto booked = Client(server)->BookAmount(kToken, booking);
  ASSERT_TRUE(booked) << booked.error().message;
  EXPECT_EQ(booked->to_status, app::kVoucherPartiallyPaid);
  EXPECT_EQ(booked->amount_cents, 1234);
  const auto requests = server.Requests();
  const auto& request = requests.at(0);
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.target, "/api/v1/Voucher/77/bookAmount");
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["amount"], "12.34");
  EXPECT_EQ(body["date"], "2026-12-05T12:00:00+01:00");
  EXPECT_EQ(body["type"], "N");
  EXPECT_EQ(body["checkAccount"]["id"], "5012345");
  EXPECT_EQ(body["checkAccount"]["objectName"], "CheckAccount");
}

// Like every write: a booking whose connection dies unanswered is sent once and uncertain.
TEST_P(WriteConnectionTest, ABookingWhoseConnectionDiesIsSentOnceAndUncertain) {
  ScriptedHttpServer server([](const ScriptedRequest& r) {
    if (r.method == "PUT") return test::CloseWithoutAnswer();
    return JsonAnswer(200, kVersion);
  });
  auto client = Client(server, GetParam());
  ASSERT_TRUE(client->BookkeepingVersion(kToken));  // leaves a kept-alive connection
  auto booked = client->BookAmount(kToken, {"77", 100, Date{std::chrono::year{2026} / 7 / 1}, "1"});
  ASSERT_FALSE(booked);
  EXPECT_EQ(booked.error().reason, app::sevdesk_reason::kUncertain);
  EXPECT_EQ(server.CountRequests("PUT"), 1);
}

}  // namespace
}  // namespace hs::sevdesk
