// The pure parts of the contact sync (src/app/contact_sync.hpp): what is sent, the new link, and
// which found address or e-mail is the one a create made (ADR 0010: only an exact match).
#include "app/contact_sync.hpp"

#include <gtest/gtest.h>

namespace hs::app {
namespace {

domain::Address Street(std::string street, std::string zip = "20095", std::string city = "Hamburg",
                       std::string country = "DE") {
  domain::Address a;
  a.street = std::move(street);
  a.zip = std::move(zip);
  a.city = std::move(city);
  a.country = std::move(country);
  return a;
}

TEST(ContactSync, AnAddressIsAdoptedOnlyWhenItIsTheCustomers) {
  const domain::Address wanted = Street("Hauptstraße 5");
  struct Row {
    const char* name;
    std::vector<FoundAddress> found;
    std::optional<std::string> expected;
  };
  const std::vector<Row> rows = {
      {"none found (a lagging search)", {}, std::nullopt},
      {"only an older address", {{"1", Street("Alte Gasse 1")}}, std::nullopt},
      {"another postcode", {{"1", Street("Hauptstraße 5", "20097")}}, std::nullopt},
      {"the customer's, country unknown to us",
       {{"2", Street("Hauptstraße 5", "20095", "Hamburg", "")}},
       "2"},
      {"the first of two", {{"1", Street("Alte Gasse 1")}, {"3", wanted}, {"4", wanted}}, "3"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(MatchingAddress(row.found, wanted), row.expected);
  }
}

TEST(ContactSync, AnEmailIsAdoptedOnlyWhenItIsTheCustomers) {
  EXPECT_EQ(MatchingEmail({}, "a@example.org"), std::nullopt);
  EXPECT_EQ(MatchingEmail({{"1", "alt@example.org"}}, "a@example.org"), std::nullopt);
  EXPECT_EQ(MatchingEmail({{"1", "alt@example.org"}, {"2", "a@example.org"}}, "a@example.org"),
            "2");
}

TEST(ContactSync, TheNewLinkAndWhatIsSent) {
  domain::Customer c;
  c.id = 12;
  c.customer_number = 17;
  c.kind = domain::CustomerKind::kCompany;
  c.company_name = "Pfote GmbH";
  c.address = Street("Hauptstraße 5");
  c.email = "a@example.org";
  const ContactLink link = NewContactLink(3, c);
  EXPECT_EQ(link.school_id, 3);
  EXPECT_EQ(link.customer_id, 12);
  EXPECT_EQ(link.customer_number, "HS-17");
  EXPECT_TRUE(link.contact_id.empty());
  EXPECT_FALSE(link.creating);
  const ContactData data = ContactDataOf(c, link.customer_number);
  EXPECT_EQ(data.customer_number, "HS-17");
  EXPECT_EQ(data.name, "Pfote GmbH");
  EXPECT_EQ(data.email, "a@example.org");
  EXPECT_EQ(AddressFingerprint(c.address), "Hauptstraße 5|20095|Hamburg|DE");
}

}  // namespace
}  // namespace hs::app
