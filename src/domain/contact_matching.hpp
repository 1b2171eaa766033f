#pragma once
// Kundenabgleich (issue 15, ADR 0013): which of a school's existing sevdesk contacts is which of
// its customers. Pure: the caller reads the contacts with their addresses and e-mails (paged),
// passes them in with every customer that has no link yet, and stores or shows the decisions.
//
// The one hard rule: a customer is never linked automatically to the wrong person. So the
// automatic link needs strong evidence on both sides (see `IsStrong` and `Decide`); everything
// that is only likely goes to the review list with its evidence, and only a customer with no
// candidate at all gets a new contact without asking.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/customer.hpp"
#include "domain/school.hpp"
#include "domain/sevdesk_contact.hpp"

namespace hs::domain {

// ---------------------------------------------------------------- normalisation

// What a German office considers the same text: lower case; ä→ae, ö→oe, ü→ue, ß→ss; other Latin
// letters without their accents (é→e, ł→l, ş→s); every run of other characters (spaces,
// punctuation, hyphens) becomes one space; trimmed. "  Müller-Lüdenscheidt " →
// "mueller luedenscheidt".
std::string FoldText(std::string_view text);
// The same with ä→a, ö→o, ü→u: how umlauts look after a system dropped their dots ("Muller").
// Equal only in this form is a weaker signal than equal in FoldText.
std::string FoldTextPlain(std::string_view text);

// The words of a name, folded (plain: FoldTextPlain), sorted, so that "Müller, Anna" and
// "Anna Mueller" give the same list; titles and salutations (Dr., Prof., Frau, Herr, Familie)
// are dropped.
std::vector<std::string> NameTokens(std::string_view name, bool plain = false);
// A company's name without its legal form and the owner line ("Inh. …"), as name tokens:
// "Tierheim Nord GmbH", "Tierheim Nord" and "Tierheim-Nord e. V." give {"nord", "tierheim"}.
std::vector<std::string> CompanyTokens(std::string_view name, bool plain = false);
// "Hauptstraße 12 A", "Hauptstr. 12a" and "Haupt-Strasse 12-a" give "hauptstr12a".
std::string StreetKey(std::string_view street);
// The digits of a postal code ("D-79098 " → "79098").
std::string ZipKey(std::string_view zip);
// Trimmed and lower case; "" when there is no '@'.
std::string EmailKey(std::string_view email);
// Our own stable key of a customer in sevdesk (the contact's customerNumber): "HS-17".
std::string CustomerKey(std::int64_t customer_number);

// Optimal string alignment distance (Damerau–Levenshtein where an adjacent swap costs 1) on the
// bytes of folded (ASCII) text.
int EditDistance(std::string_view a, std::string_view b);
// How alike two name token lists are, in [0, 1]: 1 equal; for the same number of words the
// weakest pair's 1 - distance / length, where an initial counts 0.8 for a word with its letter,
// another word of fewer than 4 letters must be equal and a pair more than 2 edits apart counts 0;
// a list that holds all words of the other plus more (a
// middle name, a missing first name) 0.8.
double NameSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b);

// ---------------------------------------------------------------- inputs

struct MatchSettings {
  bool auto_link = true;  // the school can switch the automatic links off
  std::size_t max_candidates = 5;
};

// ---------------------------------------------------------------- evidence

enum class Evidence {
  kCustomerNumber,       // the contact carries our key "HS-<n>" of this customer
  kSameEmail,            // the e-mail, which no other customer or contact has
  kSharedEmail,          // the e-mail, but more customers or contacts have it (a family's)
  kSameNameStreetZip,    // same name (folded), street and postal code
  kSameNameZip,          // same name and postal code, the street differs or is missing
  kSameName,             // same name; the contact has no address or another postal code
  kNameVariant,          // same name only without umlaut dots ("Muller")
  kSimilarName,          // a typo, a missing or extra name
  kSameStreetZip,        // street and postal code (beside a variant or similar name)
  kSameZip,              // postal code (beside a variant or similar name)
  kOtherZip,             // against: the contact's addresses all have other postal codes
  kNoAddress,            // for information: the contact has no address in sevdesk
  kOtherName,            // against: the name differs (a candidate by e-mail or key alone)
  kOtherEmail,           // against: both have e-mail addresses, none the same
  kOtherCustomerNumber,  // against: the contact carries our key of another customer
};

// The German text of the review list: "gleiche E-Mail-Adresse", "gleicher Name und PLZ", ...
std::string_view EvidenceText(Evidence evidence);
// A stable code for storage ("same_email"); ParseEvidenceCode reads it back.
std::string_view EvidenceCode(Evidence evidence);
std::optional<Evidence> ParseEvidenceCode(std::string_view code);

// ---------------------------------------------------------------- one pair

enum class NameMatch { kNone, kSimilar, kVariant, kExact };
enum class AddressMatch { kOtherZip, kUnknown, kZip, kStreetZip };
enum class EmailMatch { kNone, kShared, kUnique };

// What a customer and a contact have in common, before any rule is applied.
struct PairFacts {
  bool same_number = false;   // the contact's customerNumber is this customer's key
  bool other_number = false;  // it is our key of another customer
  bool kinds_fit = true;      // a company customer needs an organisation contact
  NameMatch name = NameMatch::kNone;
  double name_similarity = 0;
  AddressMatch address = AddressMatch::kUnknown;
  bool contact_has_address = false;
  EmailMatch email = EmailMatch::kNone;
  // Both have e-mail addresses and none is the same: father and son of one name in one house.
  bool email_differs = false;
};

// Strong evidence: enough to link if nothing else competes (see Decide).
bool IsStrong(const PairFacts& f);
// 0..100 for the ranking in the review list; below kMinCandidateScore a contact is no candidate.
int Score(const PairFacts& f);
inline constexpr int kMinCandidateScore = 20;
// A second candidate at or above this score makes even a strong first one a question.
inline constexpr int kCompetingScore = 50;
std::vector<Evidence> EvidenceOf(const PairFacts& f);

// ---------------------------------------------------------------- decisions

enum class DecisionKind { kAutoLink, kReview, kCreateNew };

struct DecisionFacts {
  bool auto_link_enabled = true;
  std::size_t candidates = 0;         // contacts with at least kMinCandidateScore
  std::size_t strong_candidates = 0;  // of them with strong evidence
  // For how many of the customers being matched the strong candidate has strong evidence.
  std::size_t customers_of_strong_candidate = 0;
  int runner_up_score = 0;  // the best score of the other candidates (0 when none)
};
DecisionKind Decide(const DecisionFacts& f);

struct Candidate {
  std::string contact_id;
  int score = 0;
  bool strong = false;
  std::vector<Evidence> evidence;  // strongest first
};

struct MatchDecision {
  std::int64_t customer_id = 0;
  DecisionKind kind = DecisionKind::kCreateNew;
  std::string contact_id;             // kAutoLink: the contact to link
  std::vector<Candidate> candidates;  // ranked, best first (kAutoLink: the linked one first)
};

// One decision per customer, in the customers' order. Pass every customer without a link at
// once: the mutual check (a contact's strong evidence points to one customer only) needs them
// all. Contacts already linked to a customer are left out by the caller.
std::vector<MatchDecision> MatchCustomers(std::span<const Customer> customers,
                                          std::span<const SevdeskContact> contacts,
                                          const MatchSettings& settings);

}  // namespace hs::domain
