#include "app/match_plan.hpp"

#include <map>

namespace hs::app {

namespace {

constexpr std::string_view kPendingLookUp = "pending:";

std::map<std::string, const domain::SevdeskContact*> ContactsById(const ContactDirectory& d) {
  std::map<std::string, const domain::SevdeskContact*> out;
  for (const auto& c : d.contacts) out[c.id] = &c;
  return out;
}

std::vector<domain::SevdeskContact> UnlinkedContacts(const MatchInputs& in) {
  std::vector<domain::SevdeskContact> out;
  for (const auto& c : in.directory->contacts) {
    if (!in.linked_contacts.contains(c.id)) out.push_back(c);
  }
  return out;
}

const ContactMatch* StoredFor(const MatchInputs& in, std::int64_t customer_id) {
  for (const auto& m : in.stored) {
    if (m.customer_id == customer_id) return &m;
  }
  return nullptr;
}

// The match a decision of the matching makes, before the school's earlier decision is applied.
ContactMatch MatchOf(const MatchInputs& in, const domain::MatchDecision& d,
                     const std::map<std::string, const domain::SevdeskContact*>& contacts) {
  ContactMatch m;
  m.school_id = in.school_id;
  m.customer_id = d.customer_id;
  m.updated_at = in.now;
  for (const auto& c : d.candidates) {
    if (auto it = contacts.find(c.contact_id); it != contacts.end()) {
      m.candidates.push_back(CandidateOf(c, *it->second));
    }
  }
  switch (d.kind) {
    case domain::DecisionKind::kAutoLink:
      m.unambiguous = true;
      m.state = in.auto_link ? MatchState::kLinked : MatchState::kReview;
      if (in.auto_link) m.contact_id = d.contact_id;
      break;
    case domain::DecisionKind::kReview:
      m.state = MatchState::kReview;
      break;
    case domain::DecisionKind::kCreateNew:
      m.state = MatchState::kCreateNew;
      m.candidates.clear();
      break;
  }
  return m;
}

void Count(MatchRun& run, MatchState state) {
  if (state == MatchState::kLinked) ++run.auto_linked;
  if (state == MatchState::kReview || state == MatchState::kLater) ++run.review;
  if (state == MatchState::kCreateNew) ++run.create_new;
}

}  // namespace

MatchPlan PlanMatches(const MatchInputs& in) {
  MatchPlan plan;
  plan.run = {in.school_id,
              in.now,
              static_cast<std::int64_t>(in.directory->contacts.size()),
              in.directory->requests,
              static_cast<std::int64_t>(in.customers.size()),
              0,
              0,
              0};
  const std::vector<domain::SevdeskContact> contacts = UnlinkedContacts(in);
  const auto by_id = ContactsById(*in.directory);
  // Every customer without a link in one call: the mutual check needs them all. The school's
  // switch for automatic links is applied here, so that review items know they are unambiguous.
  const auto decisions = domain::MatchCustomers(in.customers, contacts, domain::MatchSettings{});
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const domain::Customer& customer = in.customers[i];
    const ContactMatch* stored = StoredFor(in, customer.id);
    if (stored && stored->by_user && stored->state == MatchState::kCreateNew) {
      Count(plan.run, stored->state);
      continue;  // the school decided: a new contact
    }
    ContactMatch m = MatchOf(in, decisions[i], by_id);
    if (stored && stored->state == MatchState::kLater && m.state != MatchState::kCreateNew) {
      m.state = MatchState::kLater;  // postponed by the school: still undecided
      m.contact_id.clear();
      m.by_user = true;
    }
    if (m.state == MatchState::kLinked) {
      const auto* contact = by_id.at(m.contact_id);
      plan.links.push_back(
          LinkToExisting(in.school_id, customer, m.contact_id, contact->customer_number));
    }
    Count(plan.run, m.state);
    plan.matches.push_back(std::move(m));
  }
  return plan;
}

ContactLink LinkToExisting(std::int64_t school_id, const domain::Customer& customer,
                           const std::string& contact_id, const std::string& customer_number) {
  ContactLink link;
  link.school_id = school_id;
  link.customer_id = customer.id;
  link.customer_number = customer_number;  // the contact's own, never replaced by ours
  link.contact_id = contact_id;
  link.synced_version = 0;
  link.synced_address = std::string(kPendingLookUp);
  link.synced_email = std::string(kPendingLookUp);
  link.origin = LinkOrigin::kMatched;
  return link;
}

std::string ContactDisplayName(const domain::SevdeskContact& c) {
  if (c.organisation || (c.first_name.empty() && c.last_name.empty())) return c.name;
  if (c.first_name.empty()) return c.last_name;
  if (c.last_name.empty()) return c.first_name;
  return c.first_name + " " + c.last_name;
}

std::string AddressLine(const domain::Address& a) {
  std::string place = a.zip;
  if (!a.city.empty()) place += (place.empty() ? "" : " ") + a.city;
  if (a.street.empty()) return place;
  if (place.empty()) return a.street;
  return a.street + ", " + place;
}

MatchCandidate CandidateOf(const domain::Candidate& c, const domain::SevdeskContact& contact) {
  MatchCandidate out;
  out.contact_id = c.contact_id;
  out.score = c.score;
  out.strong = c.strong;
  for (const auto e : c.evidence) out.evidence.emplace_back(domain::EvidenceCode(e));
  out.name = ContactDisplayName(contact);
  out.customer_number = contact.customer_number;
  if (!contact.addresses.empty()) out.address = AddressLine(contact.addresses.front());
  out.emails = contact.emails;
  return out;
}

std::string_view ToString(MatchState state) {
  switch (state) {
    case MatchState::kReview:
      return "review";
    case MatchState::kLater:
      return "later";
    case MatchState::kCreateNew:
      return "create_new";
    case MatchState::kLinked:
      return "linked";
  }
  return "review";
}

std::optional<MatchState> ParseMatchState(std::string_view text) {
  for (auto s :
       {MatchState::kReview, MatchState::kLater, MatchState::kCreateNew, MatchState::kLinked}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

}  // namespace hs::app
