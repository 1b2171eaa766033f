#include "domain/contact_matching.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hs::domain {
namespace {

using Words = std::vector<std::string>;

TEST(ContactMatchingNormalise, FoldsText) {
  struct Case {
    const char* in;
    const char* folded;
    const char* plain;
  };
  const std::vector<Case> cases = {
      {"Müller", "mueller", "muller"},
      {"MÜLLER", "mueller", "muller"},
      {"Mueller", "mueller", "mueller"},
      {"Groß", "gross", "gross"},
      {"GROSS", "gross", "gross"},
      {"Jäger-Köhler", "jaeger koehler", "jager kohler"},
      {"  Anna   Maria\tSchmidt  ", "anna maria schmidt", "anna maria schmidt"},
      {"Ren\xC3\xA9 Fran\xC3\xA7ois", "rene francois", "rene francois"},  // René François
      {"\xC5\x81ukasz Y\xC4\xB1lmaz", "lukasz yilmaz", "lukasz yilmaz"},  // Łukasz Yılmaz
      {"Mu\xCC\x88ller", "mueller", "muller"},                            // decomposed ü
      {"O'Brien", "o brien", "o brien"},
      {"Müller, Anna", "mueller anna", "muller anna"},
      {"", "", ""},
      {" .,- ", "", ""},
      {"\xFF"
       "Anna",
       "anna", "anna"},  // an invalid byte is a separator
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FoldText(c.in), c.folded) << c.in;
    EXPECT_EQ(FoldTextPlain(c.in), c.plain) << c.in;
  }
}

TEST(ContactMatchingNormalise, PersonNamesInAnyOrder) {
  EXPECT_EQ(NameTokens("Anna Müller"), (Words{"anna", "mueller"}));
  EXPECT_EQ(NameTokens("Müller, Anna"), (Words{"anna", "mueller"}));
  EXPECT_EQ(NameTokens("MUELLER ANNA"), (Words{"anna", "mueller"}));
  EXPECT_EQ(NameTokens("Frau Dr. Anna Müller"), (Words{"anna", "mueller"}));
  EXPECT_EQ(NameTokens("Anna Müller", true), (Words{"anna", "muller"}));
  EXPECT_EQ(NameTokens("Hans-Peter Groß"), (Words{"gross", "hans", "peter"}));
}

TEST(ContactMatchingNormalise, CompanyLegalForms) {
  const Words tierheim = {"nord", "tierheim"};
  for (const char* name : {"Tierheim Nord",
                           "Tierheim Nord GmbH",
                           "Tierheim Nord gGmbH",
                           "TIERHEIM NORD GMBH",
                           "Tierheim Nord UG (haftungsbeschränkt)",
                           "Tierheim Nord AG",
                           "Tierheim Nord KG",
                           "Tierheim Nord GmbH & Co. KG",
                           "Tierheim Nord e.V.",
                           "Tierheim Nord e. V.",
                           "Tierheim Nord eV",
                           "Tierheim Nord OHG",
                           "Tierheim Nord GbR",
                           "Tierheim Nord mbH",
                           "Tierheim Nord e.K.",
                           "Tierheim Nord Inh. Maria Weber",
                           "Firma Tierheim Nord",
                           "Tierheim-Nord GmbH",
                           "Tierheim Nord eingetragener Verein",
                           "Tierheim Nord & Co.",
                           "Tierheim Nord Gesellschaft mit beschränkter Haftung"}) {
    EXPECT_EQ(CompanyTokens(name), tierheim) << name;
  }
  // A name that is only a legal form keeps it; a legal form inside the name stays.
  EXPECT_EQ(CompanyTokens("AG"), (Words{"ag"}));
  EXPECT_EQ(CompanyTokens("KG Hundesport"), (Words{"hundesport", "kg"}));
  EXPECT_EQ(CompanyTokens("Hundesalon Pfötchen"), (Words{"hundesalon", "pfoetchen"}));
}

TEST(ContactMatchingNormalise, StreetsZipsEmails) {
  for (const char* street : {"Hauptstraße 12a", "Hauptstr. 12a", "Hauptstrasse 12 A",
                             "Haupt-Straße 12-a", "HAUPTSTR 12A", " Hauptstraße  12 a "}) {
    EXPECT_EQ(StreetKey(street), "hauptstr12a") << street;
  }
  EXPECT_EQ(StreetKey("Am Mühlbach 3"), "ammuehlbach3");
  EXPECT_NE(StreetKey("Hauptstraße 12"), StreetKey("Hauptstraße 12a"));
  EXPECT_EQ(ZipKey(" 79098 "), "79098");
  EXPECT_EQ(ZipKey("D-79098"), "79098");
  EXPECT_EQ(EmailKey("  Anna.Mueller@Example.DE "), "anna.mueller@example.de");
  EXPECT_EQ(EmailKey("mailto:a@b.de"), "a@b.de");
  EXPECT_EQ(EmailKey("keine"), "");
  EXPECT_EQ(CustomerKey(17), "HS-17");
}

TEST(ContactMatchingSimilarity, EditDistanceAndNames) {
  EXPECT_EQ(EditDistance("schmidt", "schmidt"), 0);
  EXPECT_EQ(EditDistance("schmidt", "schmitt"), 1);
  EXPECT_EQ(EditDistance("mueller", "muelelr"), 1);  // adjacent swap
  EXPECT_EQ(EditDistance("meier", "mayer"), 2);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("ca", "abc"), 3);  // optimal string alignment: no edit of a swap
  EXPECT_EQ(EditDistance(std::string(70, 'a'), std::string(68, 'a') + "bb"), 2);  // long words

  EXPECT_DOUBLE_EQ(NameSimilarity({"anna", "mueller"}, {"anna", "mueller"}), 1);
  EXPECT_NEAR(NameSimilarity({"anna", "schmidt"}, {"anna", "schmitt"}), 1 - 1.0 / 7, 1e-9);
  EXPECT_NEAR(NameSimilarity({"anna", "schmidt"}, {"schmitt", "anna"}), 1 - 1.0 / 7, 1e-9);
  EXPECT_DOUBLE_EQ(NameSimilarity({"anna", "maria", "mueller"}, {"anna", "mueller"}), 0.8);
  EXPECT_DOUBLE_EQ(NameSimilarity({"anna", "mueller"}, {"peter", "mueller"}), 0);
  EXPECT_DOUBLE_EQ(NameSimilarity({"ute", "mueller"}, {"uta", "mueller"}), 0);  // short word
  EXPECT_DOUBLE_EQ(NameSimilarity({}, {"anna"}), 0);
  EXPECT_DOUBLE_EQ(NameSimilarity({"a", "mueller"}, {"anna", "mueller"}), 0.8);  // initial
  EXPECT_DOUBLE_EQ(NameSimilarity({"mueller", "p"}, {"anna", "mueller"}), 0);
}

TEST(ContactMatchingRules, StrongEvidence) {
  using N = NameMatch;
  using A = AddressMatch;
  using E = EmailMatch;
  struct Case {
    const char* what;
    PairFacts facts;
    bool strong;
  };
  auto facts = [](N name, A address, E email) {
    PairFacts f;
    f.name = name;
    f.address = address;
    f.email = email;
    f.contact_has_address = address != A::kUnknown;
    return f;
  };
  PairFacts number = facts(N::kNone, A::kUnknown, E::kNone);
  number.same_number = true;
  PairFacts number_and_name = number;
  number_and_name.name = N::kSimilar;
  PairFacts other_number = facts(N::kExact, A::kStreetZip, E::kUnique);
  other_number.other_number = true;
  PairFacts email_differs = facts(N::kExact, A::kStreetZip, E::kNone);
  email_differs.email_differs = true;
  PairFacts company_vs_person = facts(N::kExact, A::kStreetZip, E::kNone);
  company_vs_person.kinds_fit = false;
  const std::vector<Case> cases = {
      {"our key alone", number, false},
      {"our key and a similar name", number_and_name, true},
      {"our key of another customer", other_number, false},
      {"name, street, zip", facts(N::kExact, A::kStreetZip, E::kNone), true},
      {"name and unique e-mail", facts(N::kExact, A::kUnknown, E::kUnique), true},
      {"name and shared e-mail", facts(N::kExact, A::kUnknown, E::kShared), false},
      {"name, street, zip, other e-mails", email_differs, false},
      {"name and zip", facts(N::kExact, A::kZip, E::kNone), false},
      {"name only", facts(N::kExact, A::kUnknown, E::kNone), false},
      {"name, other zip, unique e-mail", facts(N::kExact, A::kOtherZip, E::kUnique), false},
      {"variant, street, zip", facts(N::kVariant, A::kStreetZip, E::kNone), true},
      {"variant and unique e-mail", facts(N::kVariant, A::kUnknown, E::kUnique), false},
      {"similar, street, zip, e-mail", facts(N::kSimilar, A::kStreetZip, E::kUnique), false},
      {"unique e-mail alone", facts(N::kNone, A::kStreetZip, E::kUnique), false},
      {"company vs person contact", company_vs_person, false},
  };
  for (const auto& c : cases) EXPECT_EQ(IsStrong(c.facts), c.strong) << c.what;
}

TEST(ContactMatchingRules, ScoresRankTheEvidence) {
  auto score = [](NameMatch name, AddressMatch address, EmailMatch email) {
    PairFacts f;
    f.name = name;
    f.name_similarity = name == NameMatch::kSimilar ? 0.85 : 1;
    f.address = address;
    f.email = email;
    return Score(f);
  };
  using N = NameMatch;
  using A = AddressMatch;
  using E = EmailMatch;
  const int exact_full = score(N::kExact, A::kStreetZip, E::kUnique);
  const int exact_address = score(N::kExact, A::kStreetZip, E::kNone);
  const int exact_zip = score(N::kExact, A::kZip, E::kNone);
  const int exact_only = score(N::kExact, A::kUnknown, E::kNone);
  const int exact_elsewhere = score(N::kExact, A::kOtherZip, E::kNone);
  const int similar_elsewhere = score(N::kSimilar, A::kOtherZip, E::kNone);
  EXPECT_EQ(exact_full, 100);
  EXPECT_GT(exact_address, exact_zip);
  EXPECT_GT(exact_zip, exact_only);
  EXPECT_GT(exact_only, exact_elsewhere);
  EXPECT_GE(exact_elsewhere, kMinCandidateScore);
  EXPECT_LT(similar_elsewhere, kMinCandidateScore);
  // The exact name without an address outranks a similar name in the same postal code.
  EXPECT_GT(exact_only, score(N::kSimilar, A::kZip, E::kNone));
  // A typo at the same address competes with an exact match (the school's own duplicate).
  EXPECT_GE(score(N::kSimilar, A::kStreetZip, E::kNone), kCompetingScore);
  // Housemates: the address alone makes no candidate; a family's shared e-mail alone neither.
  EXPECT_EQ(score(N::kNone, A::kStreetZip, E::kNone), 0);
  EXPECT_LT(score(N::kNone, A::kUnknown, E::kShared), kMinCandidateScore);
  EXPECT_GE(score(N::kNone, A::kUnknown, E::kUnique), kMinCandidateScore);
}

TEST(ContactMatchingRules, Decide) {
  struct Case {
    const char* what;
    DecisionFacts facts;
    DecisionKind kind;
  };
  using D = DecisionKind;
  const std::vector<Case> cases = {
      {"no candidate", {true, 0, 0, 0, 0}, D::kCreateNew},
      {"no candidate, auto off", {false, 0, 0, 0, 0}, D::kCreateNew},
      {"one strong, mutual", {true, 1, 1, 1, 0}, D::kAutoLink},
      {"one strong, weak runner-up", {true, 2, 1, 1, kCompetingScore - 1}, D::kAutoLink},
      {"one strong, close runner-up", {true, 2, 1, 1, kCompetingScore}, D::kReview},
      {"auto link switched off", {false, 1, 1, 1, 0}, D::kReview},
      {"two strong candidates", {true, 2, 2, 1, 90}, D::kReview},
      {"contact strong for two customers", {true, 1, 1, 2, 0}, D::kReview},
      {"only weak candidates", {true, 3, 0, 0, 40}, D::kReview},
  };
  for (const auto& c : cases) EXPECT_EQ(Decide(c.facts), c.kind) << c.what;
}

TEST(ContactMatchingRules, EvidenceTexts) {
  EXPECT_EQ(EvidenceText(Evidence::kCustomerNumber), "gleiche Kundennummer");
  EXPECT_EQ(EvidenceText(Evidence::kSameEmail), "gleiche E-Mail-Adresse");
  EXPECT_EQ(EvidenceText(Evidence::kSameNameZip), "gleicher Name und PLZ");
  EXPECT_EQ(EvidenceText(Evidence::kSameNameStreetZip), "gleicher Name, Straße und PLZ");
  EXPECT_EQ(EvidenceText(Evidence::kSimilarName), "ähnlicher Name");
  for (int e = 0; e <= static_cast<int>(Evidence::kOtherCustomerNumber); ++e) {
    EXPECT_FALSE(EvidenceText(static_cast<Evidence>(e)).empty()) << e;
  }
}

// ---------------------------------------------------------------- whole matching

Customer Person(std::int64_t id, const std::string& first, const std::string& last,
                Address address = {}, const std::string& email = "") {
  Customer c;
  c.id = id;
  c.customer_number = id;
  c.first_name = first;
  c.last_name = last;
  c.address = std::move(address);
  c.email = email;
  return c;
}

Customer Company(std::int64_t id, const std::string& name, Address address = {}) {
  Customer c;
  c.id = id;
  c.customer_number = id;
  c.kind = CustomerKind::kCompany;
  c.company_name = name;
  c.address = std::move(address);
  return c;
}

SevdeskContact PersonContact(const std::string& id, const std::string& first,
                             const std::string& last, std::vector<Address> addresses = {},
                             std::vector<std::string> emails = {}) {
  SevdeskContact k;
  k.id = id;
  k.first_name = first;
  k.last_name = last;
  k.addresses = std::move(addresses);
  k.emails = std::move(emails);
  return k;
}

SevdeskContact OrgContact(const std::string& id, const std::string& name,
                          std::vector<Address> addresses = {}) {
  SevdeskContact k;
  k.id = id;
  k.organisation = true;
  k.name = name;
  k.addresses = std::move(addresses);
  return k;
}

const Address kFreiburg = {"Hauptstraße 12a", "79098", "Freiburg", "DE"};
const Address kFreiburgOther = {"Lindenweg 3", "79098", "Freiburg", "DE"};
const Address kBerlin = {"Hauptstraße 12a", "10115", "Berlin", "DE"};

struct Scenario {
  const char* what;
  std::vector<Customer> customers;
  std::vector<SevdeskContact> contacts;
  std::vector<DecisionKind> kinds;       // per customer
  std::vector<std::string> first_ids;    // per customer: the linked or first-ranked contact
  std::vector<Evidence> first_evidence;  // of the first customer's first candidate (if given)
};

void Check(const std::vector<Scenario>& scenarios) {
  for (const auto& s : scenarios) {
    const auto decisions = MatchCustomers(s.customers, s.contacts, MatchSettings{});
    ASSERT_EQ(decisions.size(), s.customers.size()) << s.what;
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      const auto& d = decisions[i];
      EXPECT_EQ(d.customer_id, s.customers[i].id) << s.what;
      EXPECT_EQ(d.kind, s.kinds[i]) << s.what << " #" << i;
      const std::string first = d.candidates.empty() ? "" : d.candidates[0].contact_id;
      EXPECT_EQ(first, s.first_ids[i]) << s.what << " #" << i;
      const std::string linked = d.kind == DecisionKind::kAutoLink ? first : "";
      EXPECT_EQ(d.contact_id, linked) << s.what;
    }
    if (!s.first_evidence.empty()) {
      ASSERT_FALSE(decisions[0].candidates.empty()) << s.what;
      EXPECT_EQ(decisions[0].candidates[0].evidence, s.first_evidence) << s.what;
    }
  }
}

TEST(ContactMatching, NamesAndSpellings) {
  using D = DecisionKind;
  using E = Evidence;
  Check({
      {"exact person, same address",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {PersonContact("k1", "Anna", "Müller", {kFreiburg})},
       {D::kAutoLink},
       {"k1"},
       {E::kSameNameStreetZip}},
      {"umlaut, ß and street spelling",
       {Person(1, "Jürgen", "Groß", kFreiburg)},
       {PersonContact("k1", "JUERGEN", "GROSS", {{"Hauptstr. 12 A", "79098", "Freiburg", "DE"}})},
       {D::kAutoLink},
       {"k1"},
       {E::kSameNameStreetZip}},
      {"swapped names in a bank import organisation",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {OrgContact("k1", "Mueller, Anna", {kFreiburg})},
       {D::kAutoLink},
       {"k1"},
       {E::kSameNameStreetZip}},
      {"typo: review, ranked first",
       {Person(1, "Anna", "Schmidt", kFreiburg)},
       {PersonContact("k1", "Anna", "Schmitt", {kFreiburg}),
        PersonContact("k2", "Anna", "Schmidt", {kBerlin})},
       {D::kReview},
       {"k1"},
       {E::kSimilarName, E::kSameStreetZip}},
      {"plain vowel variant with the full address",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {PersonContact("k1", "Anna", "Muller", {kFreiburg})},
       {D::kAutoLink},
       {"k1"},
       {E::kNameVariant, E::kSameStreetZip}},
      {"a close second contact makes it a question",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {PersonContact("k1", "Anna", "Müller", {kFreiburg}),
        PersonContact("k2", "Anna", "Müler", {kFreiburg})},
       {D::kReview},
       {"k1"},
       {}},
  });
}

TEST(ContactMatching, AddressesAndEmails) {
  using D = DecisionKind;
  using E = Evidence;
  Check({
      {"unique e-mail and name, contact without address",
       {Person(1, "Anna", "Müller", kFreiburg, "anna@example.de")},
       {PersonContact("k1", "Anna", "Müller", {}, {"Anna@Example.de "})},
       {D::kAutoLink},
       {"k1"},
       {E::kSameEmail, E::kSameName, E::kNoAddress}},
      {"contact without address and e-mail: review",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {PersonContact("k1", "Anna", "Müller")},
       {D::kReview},
       {"k1"},
       {E::kSameName, E::kNoAddress}},
      {"same name in another town: not linked",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {PersonContact("k1", "Anna", "Müller", {kBerlin})},
       {D::kReview},
       {"k1"},
       {E::kSameName, E::kOtherZip}},
      {"same name, same zip, other street: review",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {PersonContact("k1", "Anna", "Müller", {kFreiburgOther})},
       {D::kReview},
       {"k1"},
       {E::kSameNameZip}},
      {"shared family e-mail: the name decides, the other member gets a new contact",
       {Person(1, "Anna", "Müller", kFreiburg, "familie.mueller@example.de"),
        Person(2, "Peter", "Müller", kFreiburg, "familie.mueller@example.de")},
       {PersonContact("k1", "Anna", "Müller", {kFreiburg}, {"familie.mueller@example.de"})},
       {D::kAutoLink, D::kCreateNew},
       {"k1", ""},
       {}},
      {"shared e-mail without address is no strong evidence",
       {Person(1, "Anna", "Müller", {}, "familie@example.de"),
        Person(2, "Peter", "Müller", {}, "familie@example.de")},
       {PersonContact("k1", "Anna", "Müller", {}, {"familie@example.de"})},
       {D::kReview, D::kCreateNew},
       {"k1", ""},
       {E::kSharedEmail, E::kSameName, E::kNoAddress}},
      {"a family's e-mail nobody else has: review, with the other name shown",
       {Person(1, "Peter", "Müller", kFreiburg, "familie.mueller@example.de")},
       {PersonContact("k1", "Anna", "Müller", {kFreiburg}, {"familie.mueller@example.de"})},
       {D::kReview},
       {"k1"},
       {E::kSameEmail, E::kSameStreetZip, E::kOtherName}},
      {"father and son of one name in one house: the e-mails differ, review",
       {Person(1, "Thomas", "Müller", kFreiburg, "thomas.jun@example.de")},
       {PersonContact("k1", "Thomas", "Müller", {kFreiburg}, {"thomas.mueller@example.de"})},
       {D::kReview},
       {"k1"},
       {E::kSameNameStreetZip, E::kOtherEmail}},
      {"housemate with another name: no candidate",
       {Person(1, "Peter", "Schulz", kFreiburg)},
       {PersonContact("k1", "Anna", "Müller", {kFreiburg})},
       {D::kCreateNew},
       {""},
       {}},
      {"nobody in sevdesk",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {},
       {D::kCreateNew},
       {""},
       {}},
  });
}

TEST(ContactMatching, KeysDuplicatesAndCompanies) {
  using D = DecisionKind;
  using E = Evidence;
  SevdeskContact ours = PersonContact("k1", "Erika", "Fischer");
  ours.customer_number = "HS-1";
  SevdeskContact ours_other = PersonContact("k1", "Anna", "Müller", {kFreiburg});
  ours_other.customer_number = "HS-99";
  Check({
      {"our customer number with the name",
       {Person(1, "Erika", "Fischer", kFreiburg)},
       {ours},
       {D::kAutoLink},
       {"k1"},
       {E::kCustomerNumber, E::kSameName, E::kNoAddress}},
      {"our key of another customer is no match",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {ours_other},
       {D::kReview},
       {"k1"},
       {}},
      {"two identical contacts in sevdesk: review",
       {Person(1, "Anna", "Müller", kFreiburg)},
       {PersonContact("k1", "Anna", "Müller", {kFreiburg}),
        PersonContact("k2", "Anna", "Müller", {kFreiburg})},
       {D::kReview},
       {"k1"},
       {}},
      {"two identical customers: review both",
       {Person(1, "Anna", "Müller", kFreiburg), Person(2, "Anna", "Müller", kFreiburg)},
       {PersonContact("k1", "Anna", "Müller", {kFreiburg})},
       {D::kReview, D::kReview},
       {"k1", "k1"},
       {}},
      {"company with and without legal form",
       {Company(1, "Tierheim Nord GmbH", kFreiburg)},
       {OrgContact("k1", "Tierheim Nord", {kFreiburg})},
       {D::kAutoLink},
       {"k1"},
       {E::kSameNameStreetZip}},
      {"company never auto-linked to a person contact",
       {Company(1, "Müller", kFreiburg)},
       {PersonContact("k1", "", "Müller", {kFreiburg})},
       {D::kReview},
       {"k1"},
       {}},
  });
}

TEST(ContactMatching, AutoLinkCanBeSwitchedOff) {
  const std::vector<Customer> customers = {Person(1, "Anna", "Müller", kFreiburg)};
  const std::vector<SevdeskContact> contacts = {PersonContact("k1", "Anna", "Müller", {kFreiburg})};
  MatchSettings settings;
  settings.auto_link = false;
  const auto decisions = MatchCustomers(customers, contacts, settings);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].kind, DecisionKind::kReview);
  ASSERT_EQ(decisions[0].candidates.size(), 1u);
  EXPECT_TRUE(decisions[0].candidates[0].strong);
}

TEST(ContactMatching, CandidatesAreCapped) {
  const std::vector<Customer> customers = {Person(1, "Anna", "Müller", kFreiburg)};
  std::vector<SevdeskContact> contacts;
  for (int i = 0; i < 8; ++i) {
    contacts.push_back(
        PersonContact("k" + std::to_string(i), "Anna", "Müller",
                      {{"Weg " + std::to_string(i), "1011" + std::to_string(i), "Berlin", "DE"}}));
  }
  MatchSettings settings;
  settings.max_candidates = 3;
  const auto decisions = MatchCustomers(customers, contacts, settings);
  EXPECT_EQ(decisions[0].kind, DecisionKind::kReview);
  EXPECT_EQ(decisions[0].candidates.size(), 3u);
}

}  // namespace
}  // namespace hs::domain
