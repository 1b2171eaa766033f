// The Kundenabgleich's plan (app/match_plan.hpp): what is stored for each customer without a
// link, given the matcher's decision and what the school decided before. Pure table tests.
#include "app/match_plan.hpp"

#include <gtest/gtest.h>

namespace hs::app {
namespace {

domain::Customer Person(std::int64_t id, const std::string& first, const std::string& last,
                        const std::string& email, domain::Address address) {
  domain::Customer c;
  c.id = id;
  c.school_id = 1;
  c.customer_number = id;
  c.first_name = first;
  c.last_name = last;
  c.email = email;
  c.address = std::move(address);
  return c;
}

domain::SevdeskContact Contact(const std::string& id, const std::string& first,
                               const std::string& last, const std::string& email,
                               domain::Address address, const std::string& number = {}) {
  domain::SevdeskContact c;
  c.id = id;
  c.customer_number = number;
  c.first_name = first;
  c.last_name = last;
  if (!email.empty()) c.emails = {email};
  c.addresses = {std::move(address)};
  return c;
}

const domain::Address kHamburg{"Hauptstraße 5", "20095", "Hamburg", "DE"};
const domain::Address kBerlin{"Am Bach 1", "10115", "Berlin", "DE"};
const domain::Address kMunich{"Bergstraße 9", "80331", "München", "DE"};

// Three customers: one unique exact match, one with two namesakes elsewhere, one with nobody.
struct World {
  ContactDirectory directory{{Contact("c1", "Anna", "Eindeutig", "anna@x.example", kHamburg, "K-1"),
                              Contact("c2", "Bruno", "Zwilling", "", kBerlin),
                              Contact("c3", "Bruno", "Zwilling", "", kMunich)},
                             6};
  std::vector<domain::Customer> customers{
      Person(1, "Anna", "Eindeutig", "anna@x.example", kHamburg),
      Person(2, "Bruno", "Zwilling", "bruno@y.example", kHamburg),
      Person(3, "Clara", "Niemand", "clara@z.example", kHamburg)};

  MatchInputs Inputs(bool auto_link = true) const {
    MatchInputs in;
    in.school_id = 1;
    in.customers = customers;
    in.directory = &directory;
    in.auto_link = auto_link;
    in.now = FromUnixMillis(1'000);
    return in;
  }
};

ContactMatch Stored(std::int64_t customer_id, MatchState state, bool by_user) {
  ContactMatch m;
  m.school_id = 1;
  m.customer_id = customer_id;
  m.state = state;
  m.by_user = by_user;
  return m;
}

const ContactMatch* MatchOf(const MatchPlan& p, std::int64_t customer_id) {
  for (const auto& m : p.matches) {
    if (m.customer_id == customer_id) return &m;
  }
  return nullptr;
}

TEST(MatchPlan, EachCustomerGetsTheStateItsEvidenceAllows) {
  const World w;
  for (const bool auto_link : {true, false}) {
    SCOPED_TRACE(auto_link ? "automatic links on" : "automatic links off");
    const MatchPlan p = PlanMatches(w.Inputs(auto_link));
    const ContactMatch* anna = MatchOf(p, 1);
    const ContactMatch* bruno = MatchOf(p, 2);
    const ContactMatch* clara = MatchOf(p, 3);
    ASSERT_TRUE(anna && bruno && clara);
    EXPECT_EQ(anna->state, auto_link ? MatchState::kLinked : MatchState::kReview);
    EXPECT_TRUE(anna->unambiguous);
    EXPECT_EQ(anna->contact_id, auto_link ? "c1" : "");
    EXPECT_EQ(bruno->state, MatchState::kReview);
    EXPECT_FALSE(bruno->unambiguous);
    EXPECT_EQ(bruno->candidates.size(), 2u);
    EXPECT_EQ(clara->state, MatchState::kCreateNew);
    EXPECT_TRUE(clara->candidates.empty());
    EXPECT_EQ(p.links.size(), auto_link ? 1u : 0u);
    EXPECT_EQ(p.run.auto_linked, auto_link ? 1 : 0);
    EXPECT_EQ(p.run.review, auto_link ? 1 : 2);
    EXPECT_EQ(p.run.create_new, 1);
    EXPECT_EQ(p.run.contacts, 3);
    EXPECT_EQ(p.run.requests, 6);
  }
}

TEST(MatchPlan, AnAutomaticLinkKeepsTheContactsNumberAndLooksUpBeforeAdding) {
  const World w;
  const MatchPlan p = PlanMatches(w.Inputs());
  ASSERT_EQ(p.links.size(), 1u);
  const ContactLink& l = p.links[0];
  EXPECT_EQ(l.customer_id, 1);
  EXPECT_EQ(l.contact_id, "c1");
  EXPECT_EQ(l.customer_number, "K-1") << "the contact's own number, never replaced by ours";
  EXPECT_EQ(l.origin, LinkOrigin::kMatched);
  EXPECT_EQ(l.revision, 0) << "a new link: inserted only when the customer has none";
  EXPECT_EQ(l.synced_address, "pending:");
  EXPECT_EQ(l.synced_email, "pending:");
  EXPECT_EQ(l.synced_version, 0);
}

TEST(MatchPlan, TheSchoolsDecisionsStand) {
  const World w;
  struct Row {
    const char* name;
    ContactMatch stored;
    std::optional<MatchState> planned;  // nullopt: nothing written for the customer
  };
  const std::vector<Row> rows = {
      {"Neu anlegen by the school stays", Stored(2, MatchState::kCreateNew, true), std::nullopt},
      {"Später stays Später", Stored(2, MatchState::kLater, true), MatchState::kLater},
      {"review by the matching is matched again", Stored(2, MatchState::kReview, false),
       MatchState::kReview},
      {"create_new by the matching is matched again", Stored(2, MatchState::kCreateNew, false),
       MatchState::kReview},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    MatchInputs in = w.Inputs();
    in.stored = {row.stored};
    const MatchPlan p = PlanMatches(in);
    const ContactMatch* bruno = MatchOf(p, 2);
    if (!row.planned) {
      EXPECT_EQ(bruno, nullptr);
      continue;
    }
    ASSERT_TRUE(bruno);
    EXPECT_EQ(bruno->state, *row.planned);
    EXPECT_EQ(bruno->candidates.size(), 2u) << "fresh candidates";
  }
}

TEST(MatchPlan, AContactLinkedToAnotherCustomerIsNoCandidate) {
  World w;
  MatchInputs in = w.Inputs();
  in.linked_contacts = {"c2"};
  const MatchPlan p = PlanMatches(in);
  const ContactMatch* bruno = MatchOf(p, 2);
  ASSERT_TRUE(bruno);
  for (const auto& c : bruno->candidates) EXPECT_NE(c.contact_id, "c2");
}

TEST(MatchPlan, CandidatesCarryWhatTheReviewListShows) {
  const World w;
  const MatchPlan p = PlanMatches(w.Inputs(false));
  const ContactMatch* anna = MatchOf(p, 1);
  ASSERT_TRUE(anna);
  ASSERT_FALSE(anna->candidates.empty());
  const MatchCandidate& c = anna->candidates[0];
  EXPECT_EQ(c.contact_id, "c1");
  EXPECT_EQ(c.name, "Anna Eindeutig");
  EXPECT_EQ(c.customer_number, "K-1");
  EXPECT_EQ(c.address, "Hauptstraße 5, 20095 Hamburg");
  EXPECT_EQ(c.emails, std::vector<std::string>{"anna@x.example"});
  EXPECT_TRUE(c.strong);
  ASSERT_FALSE(c.evidence.empty());
  for (const auto& code : c.evidence) EXPECT_TRUE(domain::ParseEvidenceCode(code)) << code;
}

TEST(MatchPlan, StatesAndEvidenceCodesRoundTrip) {
  for (auto s :
       {MatchState::kReview, MatchState::kLater, MatchState::kCreateNew, MatchState::kLinked}) {
    EXPECT_EQ(ParseMatchState(ToString(s)), s);
  }
  EXPECT_FALSE(ParseMatchState("maybe"));
  for (int i = 0; i <= static_cast<int>(domain::Evidence::kOtherCustomerNumber); ++i) {
    const auto e = static_cast<domain::Evidence>(i);
    EXPECT_EQ(domain::ParseEvidenceCode(domain::EvidenceCode(e)), e);
  }
  EXPECT_FALSE(domain::ParseEvidenceCode("same_shoe_size"));
}

}  // namespace
}  // namespace hs::app
