// search_lag_ms: like sevdesk's search index, list and search answers show a created or changed
// object only search_lag_ms after the write, and a changed one in its previous version until
// then; GET /X/{id} sees every write at once. Driven by the sandbox's fake clock, no sleeping.
#include "core/clock.hpp"
#include "sandbox_fixture.hpp"

namespace hs::sevdesk::sandbox::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kLag{3000};

class SearchLagTest : public SandboxTest {
 protected:
  SandboxSettings Settings() override {
    SandboxSettings s = SandboxTest::Settings();
    s.clock = clock_;
    return s;
  }

  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_EQ(Admin("PUT", "/faults", Json{{"search_lag_ms", kLag.count()}}).status, 200);
  }

  void Advance(milliseconds by) { clock_->Advance(by); }

  std::size_t Listed(const std::string& path, const std::string& token = kTokenA) {
    auto r = Get(path, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json["objects"].is_array() ? r.json["objects"].size() : 0;
  }

  std::string CreateAddress(const std::string& contact) {
    auto r = Post("/ContactAddress",
                  Json{{"contact", {{"id", std::stoll(contact)}, {"objectName", "Contact"}}},
                       {"street", "Probestrasse 1"},
                       {"zip", "10115"},
                       {"city", "Berlin"},
                       {"country", {{"id", 1}, {"objectName", "StaticCountry"}}},
                       {"category", {{"id", 47}, {"objectName", "Category"}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json["objects"]["id"].get<std::string>();
  }

  std::string CreateMail(const std::string& contact) {
    auto r = Post("/CommunicationWay",
                  Json{{"contact", {{"id", std::stoll(contact)}, {"objectName", "Contact"}}},
                       {"type", "EMAIL"},
                       {"value", "erika@example.com"},
                       {"key", {{"id", 2}, {"objectName", "CommunicationWayKey"}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json["objects"]["id"].get<std::string>();
  }

  std::shared_ptr<FakeClock> clock_ =
      std::make_shared<FakeClock>(FromUnixMillis(1790000000000));  // 2026-09-21
};

TEST_F(SearchLagTest, ANewContactIsFoundByIdAtOnceAndBySearchAfterTheLag) {
  const std::string id = CreatePerson("HS-L1");
  EXPECT_EQ(Get("/Contact/" + id).status, 200);
  EXPECT_EQ(CountContacts("HS-L1"), 0u);
  EXPECT_EQ(Listed("/Contact?depth=1"), 0u);
  Advance(kLag - milliseconds(1));
  EXPECT_EQ(CountContacts("HS-L1"), 0u);
  Advance(milliseconds(1));
  EXPECT_EQ(CountContacts("HS-L1"), 1u);
  EXPECT_EQ(Listed("/Contact?depth=1"), 1u);
}

TEST_F(SearchLagTest, AChangedContactIsSearchedInItsPreviousVersionDuringTheLag) {
  const std::string id = CreatePerson("HS-L2");
  Advance(kLag);
  auto changed = Put("/Contact/" + id, Json{{"customerNumber", "HS-L2-neu"}, {"surename", "Eva"}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(Get("/Contact/" + id).json["objects"][0]["customerNumber"], "HS-L2-neu");
  // The search still filters on, and answers with, the previous version.
  EXPECT_EQ(CountContacts("HS-L2-neu"), 0u);
  auto old = Get("/Contact?depth=1&customerNumber=HS-L2");
  ASSERT_EQ(old.json["objects"].size(), 1u) << old.body;
  EXPECT_EQ(old.json["objects"][0]["surename"], "Erika");
  Advance(milliseconds(1000));
  // A second change within the lag: the version the search shows stays the first one.
  ASSERT_EQ(Put("/Contact/" + id, Json{{"customerNumber", "HS-L2-neuer"}}).status, 200);
  EXPECT_EQ(CountContacts("HS-L2"), 1u);
  Advance(kLag - milliseconds(1000));
  EXPECT_EQ(CountContacts("HS-L2"), 0u);
  EXPECT_EQ(CountContacts("HS-L2-neu"), 1u);  // the first change is listed now
  EXPECT_EQ(CountContacts("HS-L2-neuer"), 0u);
  Advance(milliseconds(1000));
  EXPECT_EQ(CountContacts("HS-L2-neu"), 0u);
  auto latest = Get("/Contact?depth=1&customerNumber=HS-L2-neuer");
  ASSERT_EQ(latest.json["objects"].size(), 1u);
  EXPECT_EQ(latest.json["objects"][0]["surename"], "Eva");
}

TEST_F(SearchLagTest, AddressesAndCommunicationWaysOfAContactLag) {
  const std::string contact = CreatePerson("HS-L3");
  Advance(kLag);
  const std::string address = CreateAddress(contact);
  const std::string mail = CreateMail(contact);
  EXPECT_EQ(Get("/ContactAddress/" + address).status, 200);
  EXPECT_EQ(Get("/CommunicationWay/" + mail).status, 200);
  EXPECT_EQ(Listed("/ContactAddress?contact[id]=" + contact + "&contact[objectName]=Contact"), 0u);
  EXPECT_EQ(Listed("/CommunicationWay?contact[id]=" + contact + "&contact[objectName]=Contact"),
            0u);
  EXPECT_EQ(Listed("/ContactAddress"), 0u);
  EXPECT_EQ(Listed("/CommunicationWay?type=EMAIL"), 0u);
  Advance(kLag);
  EXPECT_EQ(Listed("/ContactAddress?contact[id]=" + contact + "&contact[objectName]=Contact"), 1u);
  EXPECT_EQ(Listed("/CommunicationWay?contact[id]=" + contact + "&contact[objectName]=Contact"),
            1u);
  EXPECT_EQ(Listed("/CommunicationWay?type=EMAIL"), 1u);
}

TEST_F(SearchLagTest, VouchersAndTheirPositionsLag) {
  const std::string file = UploadPdf(SamplePdf());
  Json draft = VoucherBody(file, "");
  draft["voucher"]["status"] = 50;
  auto saved = Post("/Voucher/Factory/saveVoucher", draft);
  ASSERT_EQ(saved.status, 201) << saved.body;
  const std::string id = saved.json["objects"]["voucher"]["id"];
  EXPECT_EQ(Get("/Voucher/" + id).status, 200);
  EXPECT_EQ(Listed("/Voucher?descriptionLike=HS-2026-0042"), 0u);
  EXPECT_EQ(Listed("/Voucher"), 0u);
  EXPECT_EQ(Listed("/VoucherPos?voucher[id]=" + id + "&voucher[objectName]=Voucher"), 0u);
  Advance(kLag);
  EXPECT_EQ(Listed("/Voucher?descriptionLike=HS-2026-0042"), 1u);
  EXPECT_EQ(Listed("/VoucherPos?voucher[id]=" + id + "&voucher[objectName]=Voucher"), 1u);

  // Updating the draft: the search shows the previous description and sums during the lag.
  Json update = VoucherBody("", "", "238.00");
  update["voucher"]["id"] = std::stoll(id);
  update["voucher"]["description"] = "HS-2026-0043";
  ASSERT_EQ(Post("/Voucher/Factory/saveVoucher", update).status, 201);
  EXPECT_EQ(Get("/Voucher/" + id).json["objects"][0]["description"], "HS-2026-0043");
  EXPECT_EQ(Listed("/Voucher?descriptionLike=HS-2026-0043"), 0u);
  auto old = Get("/Voucher?descriptionLike=HS-2026-0042");
  ASSERT_EQ(old.json["objects"].size(), 1u);
  EXPECT_EQ(old.json["objects"][0]["sumGross"], "178.5");
  EXPECT_EQ(Listed("/VoucherPos?voucher[id]=" + id + "&voucher[objectName]=Voucher"), 1u);
  Advance(kLag);
  EXPECT_EQ(Listed("/Voucher?descriptionLike=HS-2026-0042"), 0u);
  EXPECT_EQ(Get("/Voucher?descriptionLike=HS-2026-0043").json["objects"][0]["sumGross"], "238");
  EXPECT_EQ(Listed("/VoucherPos?voucher[id]=" + id + "&voucher[objectName]=Voucher"), 2u);
}

TEST_F(SearchLagTest, APaidVoucherKeepsItsOldStatusInListsDuringTheLag) {
  const std::string file = UploadPdf(SamplePdf());
  auto saved = Post("/Voucher/Factory/saveVoucher", VoucherBody(file, ""));
  ASSERT_EQ(saved.status, 201) << saved.body;
  const std::string id = saved.json["objects"]["voucher"]["id"];
  Advance(kLag);
  auto paid = Put("/Voucher/" + id + "/bookAmount",
                  Json{{"amount", "178.50"},
                       {"date", "2026-09-21T12:00:00+02:00"},
                       {"type", "FULL_PAYMENT"},
                       {"checkAccount", {{"id", 5012345}, {"objectName", "CheckAccount"}}}});
  ASSERT_EQ(paid.status, 200) << paid.body;
  EXPECT_EQ(Get("/Voucher/" + id).json["objects"][0]["status"], "1000");
  EXPECT_EQ(Listed("/Voucher?status=100"), 1u);
  EXPECT_EQ(Listed("/Voucher?status=1000"), 0u);
  Advance(kLag);
  EXPECT_EQ(Listed("/Voucher?status=100"), 0u);
  EXPECT_EQ(Listed("/Voucher?status=1000"), 1u);
}

TEST_F(SearchLagTest, TheLagIsPerAccountAndZeroMeansAtOnce) {
  // Account B gets its own faults without a lag; the global lag stays for the others.
  ASSERT_EQ(Admin("PUT", std::string("/accounts/") + kTokenB + "/faults", Json::object()).status,
            200);
  CreatePerson("HS-L6", kTokenB);
  EXPECT_EQ(CountContacts("HS-L6", kTokenB), 1u);
  CreatePerson("HS-L6", kTokenA);
  EXPECT_EQ(CountContacts("HS-L6", kTokenA), 0u);
  EXPECT_EQ(Admin("GET", "/faults").json["search_lag_ms"], kLag.count());
  // A lag change applies to later writes; writes made before keep their time.
  ASSERT_EQ(Admin("PUT", "/faults", Json{{"search_lag_ms", 0}}).status, 200);
  EXPECT_EQ(CountContacts("HS-L6", kTokenA), 0u);
  CreatePerson("HS-L7", kTokenA);
  EXPECT_EQ(CountContacts("HS-L7", kTokenA), 1u);
  Advance(kLag);
  EXPECT_EQ(CountContacts("HS-L6", kTokenA), 1u);
}

TEST_F(SearchLagTest, TheAdminViewAndLookupsSeeEverythingAtOnce) {
  CreatePerson("HS-L8");
  auto account = Admin("GET", std::string("/accounts/") + kTokenA);
  EXPECT_EQ(account.json["counts"]["contacts"], 1);
  // The customer number is taken at once (a lookup, not a search).
  EXPECT_EQ(Get("/Contact/Mapper/checkCustomerNumberAvailability?customerNumber=HS-L8").json,
            Json::parse(R"({"objects":false})"));
}

}  // namespace
}  // namespace hs::sevdesk::sandbox::testing
