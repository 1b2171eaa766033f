// Seeding accounts with existing contacts (admin API, config file) and listing them like sevdesk:
// paging, honoured and ignored filters; and the real client reading 2,000 seeded contacts.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "app/sevdesk_ports.hpp"
#include "contact_fixture.hpp"
#include "contact_seed.hpp"
#include "sandbox_fixture.hpp"
#include "sevdesk/client/sevdesk_client.hpp"

namespace hs::sevdesk::sandbox::testing {
namespace {

const std::string kSeedPath = std::string("/accounts/") + kTokenA + "/contacts";

Json SeedPerson(int n, bool with_children = true) {
  Json person = {{"surename", "Anna"},
                 {"familyname", "Müller " + std::to_string(n)},
                 {"customerNumber", "HS-" + std::to_string(n)}};
  if (!with_children) return person;
  person["addresses"] = Json::array(
      {Json{{"street", "Hauptstraße " + std::to_string(n)}, {"zip", "10115"}, {"city", "Berlin"}}});
  person["communicationWays"] =
      Json::array({Json{{"type", "EMAIL"}, {"value", "anna" + std::to_string(n) + "@example.com"}},
                   Json{{"type", "PHONE"}, {"value", "030 " + std::to_string(n)}}});
  return person;
}

Json SeedOrganisation(const std::string& name) {
  return Json{
      {"name", name},
      {"addresses", Json::array({Json{{"street", "Am Hang 1"},
                                      {"zip", "80331"},
                                      {"city", "München"},
                                      {"country", {{"id", 1}, {"objectName", "StaticCountry"}}},
                                      {"category", {{"id", 43}, {"objectName", "Category"}}}}})},
      {"communicationWays",
       Json::array({Json{{"type", "EMAIL"}, {"value", "info@pfote.de"}, {"main", true}}})}};
}

std::set<std::string> Keys(const Json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

class ContactSeedTest : public SandboxTest {
 protected:
  Reply Seed(const Json& contacts) {
    return Admin("POST", kSeedPath, Json{{"contacts", contacts}});
  }
  std::size_t Listed(const std::string& path) { return Get(path).json["objects"].size(); }
};

TEST_F(ContactSeedTest, SeededContactsLookLikeCreatedOnes) {
  const std::string created_id = CreatePerson("HS-1");
  auto seeded = Seed(Json::array({SeedPerson(2), SeedOrganisation("Pfote GmbH")}));
  ASSERT_EQ(seeded.status, 201) << seeded.body;
  EXPECT_EQ(seeded.json["seeded"], 2);
  EXPECT_EQ(seeded.json["contacts"], 3);
  auto all = Get("/Contact?depth=1");
  ASSERT_EQ(all.json["objects"].size(), 3u);
  const Json& created = all.json["objects"][0];
  const Json& person = all.json["objects"][1];
  const Json& organisation = all.json["objects"][2];
  EXPECT_EQ(created["id"], created_id);
  // Ids continue the same sequence; the wire shape is the one of a created contact.
  EXPECT_EQ(std::stoll(person["id"].get<std::string>()), std::stoll(created_id) + 1);
  EXPECT_EQ(Keys(person), Keys(created));
  EXPECT_EQ(person["customerNumber"], "HS-2");
  EXPECT_EQ(person["category"]["id"], "3");
  EXPECT_FALSE(person["create"].get<std::string>().empty());
  EXPECT_EQ(organisation["name"], "Pfote GmbH");
  EXPECT_FALSE(organisation["customerNumber"].get<std::string>().empty());  // assigned
  // depth=0 (default): organisations only.
  EXPECT_EQ(Listed("/Contact"), 1u);
  const std::string org_id = organisation["id"];
  auto addresses = Get("/ContactAddress?contact[id]=" + org_id + "&contact[objectName]=Contact");
  ASSERT_EQ(addresses.json["objects"].size(), 1u);
  EXPECT_EQ(addresses.json["objects"][0]["city"], "München");
  EXPECT_EQ(addresses.json["objects"][0]["category"]["id"], "43");
  EXPECT_EQ(addresses.json["objects"][0]["contact"]["id"], org_id);
  auto ways = Get("/CommunicationWay?contact[id]=" + org_id + "&contact[objectName]=Contact");
  ASSERT_EQ(ways.json["objects"].size(), 1u);
  EXPECT_EQ(ways.json["objects"][0]["value"], "info@pfote.de");
  EXPECT_EQ(ways.json["objects"][0]["main"], "1");
  EXPECT_EQ(ways.json["objects"][0]["key"]["id"], "2");
  // GET by id works as for created objects; the account's other data is untouched.
  EXPECT_EQ(Get("/Contact/" + person["id"].get<std::string>()).status, 200);
  EXPECT_EQ(Listed("/Contact?depth=1&customerNumber=HS-1"), 1u);
}

TEST_F(ContactSeedTest, BadSeedInputIsRefusedWhole) {
  ASSERT_EQ(Seed(Json::array({SeedPerson(1)})).status, 201);
  Json bad_country = SeedPerson(3);
  bad_country["addresses"][0]["country"] = Json{{"id", 99999}, {"objectName", "StaticCountry"}};
  auto refused = Seed(Json::array({SeedPerson(2), bad_country}));
  EXPECT_EQ(refused.status, 400);
  const std::string message = refused.json["error"].get<std::string>();
  EXPECT_NE(message.find("contacts[1].addresses[0]"), std::string::npos) << message;
  EXPECT_NE(message.find("StaticCountry"), std::string::npos) << message;
  // Nothing of the refused seed is kept, nothing before it is lost.
  EXPECT_EQ(Listed("/Contact?depth=1"), 1u);
  EXPECT_EQ(Listed("/ContactAddress"), 1u);
  EXPECT_EQ(Listed("/CommunicationWay"), 2u);

  auto message_of = [&](const Json& body) {
    auto r = Admin("POST", kSeedPath, body);
    EXPECT_EQ(r.status, 400) << r.body;
    return r.json["error"].is_string() ? r.json["error"].get<std::string>() : std::string();
  };
  EXPECT_NE(message_of(Json{{"contacts", "many"}}).find("array"), std::string::npos);
  EXPECT_NE(message_of(Json::array()).find("contacts"), std::string::npos);
  EXPECT_NE(message_of(Json{{"contacts", {42}}}).find("contacts[0]"), std::string::npos);
  Json with_id = SeedPerson(4);
  with_id["id"] = "1";
  EXPECT_NE(message_of(Json{{"contacts", {with_id}}}).find("ids are assigned"), std::string::npos);
  Json bad_way = SeedPerson(5);
  bad_way["communicationWays"][0]["type"] = "FAX";
  EXPECT_NE(message_of(Json{{"contacts", {bad_way}}}).find("contacts[0].communicationWays[0]"),
            std::string::npos);
  Json bad_list = SeedPerson(6);
  bad_list["addresses"] = "Berlin";
  EXPECT_NE(message_of(Json{{"contacts", {bad_list}}}).find("must be an array"), std::string::npos);
  EXPECT_EQ(Listed("/Contact?depth=1"), 1u);
  EXPECT_EQ(Admin("POST", "/accounts/nobody/contacts", Json{{"contacts", Json::array()}}).status,
            404);
}

TEST_F(ContactSeedTest, ANewAccountCanBringItsContacts) {
  const std::string token = "f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7";
  Json bad = {{"token", token}, {"contacts", {Json{{"surename", "Anna"}, {"addresses", "x"}}}}};
  auto refused = Admin("POST", "/accounts", bad);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(Admin("GET", "/accounts/" + token).status, 404);  // not added half
  auto added = Admin("POST", "/accounts", Json{{"token", token}, {"contacts", {SeedPerson(1)}}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(Get("/Contact?depth=1", token).json["objects"].size(), 1u);
  EXPECT_EQ(Get("/Contact?depth=1").json["objects"].size(), 0u);  // accounts stay apart
  auto settings =
      Admin("PUT", "/accounts/" + token + "/settings", Json{{"contacts", {SeedPerson(2)}}});
  EXPECT_EQ(settings.status, 400);
}

TEST_F(ContactSeedTest, PagesLikeSevdesk) {
  Json contacts = Json::array();
  for (int n = 1; n <= 2500; ++n) contacts.push_back(SeedPerson(n, false));
  ASSERT_EQ(Seed(contacts).status, 201);
  EXPECT_EQ(Listed("/Contact?depth=1"), 100u);  // default page size
  EXPECT_EQ(Listed("/Contact?depth=1&limit=1000"), 1000u);
  EXPECT_EQ(Listed("/Contact?depth=1&limit=5000"), 1000u);  // sevdesk's maximum
  EXPECT_EQ(Listed("/Contact?depth=1&limit=1000&offset=2000"), 500u);
  EXPECT_EQ(Listed("/Contact?depth=1&limit=1000&offset=2500"), 0u);
  auto page = Get("/Contact?depth=1&limit=2&offset=10&countAll=true");
  ASSERT_EQ(page.json["objects"].size(), 2u);
  EXPECT_EQ(page.json["objects"][0]["customerNumber"], "HS-11");
  EXPECT_EQ(page.json["total"], "2500");
}

TEST_F(ContactSeedTest, HonouredAndIgnoredFilters) {
  ASSERT_EQ(
      Seed(Json::array({SeedPerson(1), SeedPerson(12), SeedOrganisation("Pfote GmbH")})).status,
      201);
  // Honoured: customerNumber (exact), depth, name (part of name, surename or familyname).
  EXPECT_EQ(Listed("/Contact?depth=1&customerNumber=HS-1"), 1u);
  EXPECT_EQ(Listed("/Contact?depth=1&customerNumber=HS"), 0u);
  EXPECT_EQ(Listed("/Contact?depth=1&name=müller 1"), 2u);
  EXPECT_EQ(Listed("/Contact?depth=1&name=pfote"), 1u);
  EXPECT_EQ(Listed("/CommunicationWay?type=EMAIL"), 3u);
  EXPECT_EQ(Listed("/CommunicationWay?type=PHONE"), 2u);
  EXPECT_EQ(Listed("/CommunicationWay?main=1"), 1u);
  // Ignored like by sevdesk: no e-mail search, unknown or misspelt filters list everything.
  EXPECT_EQ(Listed("/Contact?depth=1&email=anna1@example.com"), 3u);
  EXPECT_EQ(Listed("/Contact?depth=1&search=Pfote"), 3u);
  EXPECT_EQ(Listed("/Contact?depth=1&customerNumbr=HS-1"), 3u);
  EXPECT_EQ(Listed("/CommunicationWay?value=info@pfote.de"), 5u);
  EXPECT_EQ(Listed("/ContactAddress?contactId=1"), 3u);
}

// ---- The config file -------------------------------------------------------------------------

class ConfigSeedTest : public SandboxTest {
 protected:
  SandboxSettings Settings() override {
    const auto path = std::filesystem::temp_directory_path() /
                      ("hs-sandbox-seed-" + std::to_string(::getpid()) + ".json");
    Json config = {{"accounts", Json::array({Json{{"token", kTokenA},
                                                  {"name", "Hundeschule Pfote GmbH"},
                                                  {"contacts", Json::array({SeedPerson(7)})}}})}};
    std::ofstream(path) << config.dump();
    SandboxSettings s;
    load_status_ = LoadConfigFile(path.string(), s);
    std::filesystem::remove(path);
    return s;
  }
  Status load_status_;
};

TEST_F(ConfigSeedTest, AccountsFromTheConfigFileCarryTheirContacts) {
  ASSERT_TRUE(load_status_) << load_status_.error().message;
  auto contacts = Get("/Contact?depth=1");
  ASSERT_EQ(contacts.json["objects"].size(), 1u);
  EXPECT_EQ(contacts.json["objects"][0]["customerNumber"], "HS-7");
  EXPECT_EQ(Get("/ContactAddress").json["objects"].size(), 1u);
  EXPECT_EQ(Get("/CommunicationWay?type=EMAIL").json["objects"].size(), 1u);
}

TEST(ConfigSeedRefusedTest, ABadSeedInTheConfigFileStopsTheStart) {
  SandboxSettings s;
  AccountSettings a;
  a.token = kTokenA;
  a.seed_contacts = Json::array({Json{{"surename", "Anna"}, {"addresses", {1}}}}).dump();
  s.accounts.push_back(a);
  Sandbox sandbox(s);
  auto started = sandbox.Start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("contacts[0].addresses[0]"), std::string::npos)
      << started.error().message;
}

// ---- The real client -------------------------------------------------------------------------

// Seeded at start (like from the config file): seeding 2,000 contacts through the admin API can
// take longer than the test client's time-out in a sanitizer build.
class ClientDirectoryTest : public SandboxTest {
 protected:
  SandboxSettings Settings() override {
    SandboxSettings s = SandboxTest::Settings();
    Json contacts = Json::array();
    for (int n = 1; n <= 2000; ++n) contacts.push_back(SeedPerson(n));
    for (auto& account : s.accounts) {
      if (account.token == kTokenA) account.seed_contacts = contacts.dump();
    }
    return s;
  }
};

TEST_F(ClientDirectoryTest, TheClientReads2000SeededContactsCompletely) {
  InitHttpClient();
  ClientSettings settings;
  settings.base_url = sandbox_->BaseUrl() + "/api/v1";
  auto client = MakeSevdeskClient(settings);
  auto directory = client->ListContacts(kTokenA, app::kContactPageSize);
  ASSERT_TRUE(directory) << directory.error().message;
  std::printf("ListContacts: %zu contacts in %d requests\n", directory->contacts.size(),
              directory->requests);
  ASSERT_EQ(directory->contacts.size(), 2000u);
  // 2 pages of contacts, 2 of addresses, 2 of e-mails, and one short (empty) page each.
  EXPECT_EQ(directory->requests, 9);
  EXPECT_LE(directory->requests, 10 + 6);
  std::set<std::string> numbers;
  for (const auto& contact : directory->contacts) {
    numbers.insert(contact.customer_number);
    ASSERT_EQ(contact.addresses.size(), 1u) << contact.id;
    ASSERT_EQ(contact.emails.size(), 1u) << contact.id;  // the phone numbers are not read
  }
  EXPECT_EQ(numbers.size(), 2000u);
  const auto& last = directory->contacts.back();
  EXPECT_EQ(last.customer_number, "HS-2000");
  EXPECT_EQ(last.last_name, "Müller 2000");
  EXPECT_EQ(last.emails[0], "anna2000@example.com");
}

// The labelled fixture's 2,000 sevdesk contacts (persons, organisations, no address, several or
// shared e-mails), seeded by the generator's JSON, come back through the client unchanged.
class FixtureDirectoryTest : public SandboxTest {
 protected:
  SandboxSettings Settings() override {
    SandboxSettings s = SandboxTest::Settings();
    for (auto& account : s.accounts) {
      if (account.token == kTokenA)
        account.seed_contacts = SeedJson(fixture_.contacts)["contacts"].dump();
    }
    return s;
  }
  const fixture::ContactFixture fixture_ = fixture::MakeContactFixture(500, 2000);
};

TEST_F(FixtureDirectoryTest, TheClientReadsTheFixtureBackUnchanged) {
  InitHttpClient();
  ClientSettings settings;
  settings.base_url = sandbox_->BaseUrl() + "/api/v1";
  auto directory = MakeSevdeskClient(settings)->ListContacts(kTokenA, app::kContactPageSize);
  ASSERT_TRUE(directory) << directory.error().message;
  std::printf("ListContacts (fixture): %zu contacts in %d requests\n", directory->contacts.size(),
              directory->requests);
  ASSERT_EQ(directory->contacts.size(), fixture_.contacts.size());
  EXPECT_LE(directory->requests, 9);
  for (std::size_t i = 0; i < fixture_.contacts.size(); ++i) {
    const auto& want = fixture_.contacts[i];
    const auto& got = directory->contacts[i];
    ASSERT_EQ(got.organisation, want.organisation) << i;
    EXPECT_EQ(got.name, want.name) << i;
    EXPECT_EQ(got.first_name, want.first_name) << i;
    EXPECT_EQ(got.last_name, want.last_name) << i;
    if (!want.customer_number.empty()) {
      EXPECT_EQ(got.customer_number, want.customer_number) << i;
    }
    EXPECT_EQ(got.emails, want.emails) << i;
    ASSERT_EQ(got.addresses.size(), want.addresses.size()) << i;
    for (std::size_t a = 0; a < want.addresses.size(); ++a) {
      EXPECT_EQ(got.addresses[a].street, want.addresses[a].street) << i;
      EXPECT_EQ(got.addresses[a].zip, want.addresses[a].zip) << i;
      EXPECT_EQ(got.addresses[a].city, want.addresses[a].city) << i;
    }
  }
}

}  // namespace
}  // namespace hs::sevdesk::sandbox::testing
