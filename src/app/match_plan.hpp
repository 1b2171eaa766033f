#pragma once
// The Kundenabgleich's decisions turned into what is stored (ADR 0015): one match per customer
// without a link (with the candidates the review list shows), the links to existing contacts the
// matching makes on its own, and the run's figures. Pure: table-tested in
// tests/app/match_plan_test.cpp; ContactMatchingService reads the inputs and writes the plan.
#include <set>
#include <string>
#include <vector>

#include "app/sevdesk_ports.hpp"
#include "domain/contact_matching.hpp"
#include "domain/customer.hpp"

namespace hs::app {

struct MatchInputs {
  std::int64_t school_id = 0;
  std::vector<domain::Customer> customers;  // the school's customers without a link
  std::vector<ContactMatch> stored;         // their stored matches (any of them)
  std::set<std::string> linked_contacts;    // contacts linked to other customers: no candidates
  const ContactDirectory* directory = nullptr;
  bool auto_link = true;
  Instant now{};
};

struct MatchPlan {
  std::vector<ContactMatch> matches;  // to write
  std::vector<ContactLink> links;     // the automatic links (new: revision 0)
  MatchRun run;
};

// What the matching decides for every customer, except that a decision of the school stands:
// "Neu in sevdesk anlegen" is kept, "Später" keeps its state with fresh candidates.
MatchPlan PlanMatches(const MatchInputs& in);

// The link of `customer` to the existing contact `contact`: nothing of it is known as synced,
// so that with the school's consent the next transfer looks its address and e-mail up (and
// adopts what is already ours) before it adds anything.
ContactLink LinkToExisting(std::int64_t school_id, const domain::Customer& customer,
                           const std::string& contact_id, const std::string& customer_number);

// How the review list shows a contact.
MatchCandidate CandidateOf(const domain::Candidate& c, const domain::SevdeskContact& contact);
std::string ContactDisplayName(const domain::SevdeskContact& contact);
std::string AddressLine(const domain::Address& a);

}  // namespace hs::app
