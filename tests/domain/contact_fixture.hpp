#pragma once
// The labelled fixture of the Kundenabgleich (issue 15): a dog school's customers against its
// sevdesk contacts, with the truth known, in realistic German (names with umlauts and ß, streets,
// towns and postal codes around Freiburg and beyond). Deterministic for a seed: the same seed
// gives the same fixture on every machine (own random generator, no std distributions).
//
// Every trap the issue lists is in it: typos, umlaut and ß spellings, dropped umlaut dots,
// swapped names, bank-import organisations named like a person, companies with and without
// legal form, same name in another town, a family's shared e-mail, contacts without address,
// duplicates in sevdesk, our own customer numbers from an earlier hundeschule, moved customers.
// Used by tests/domain/contact_fixture_test.cpp and bench/contact_matching_bench.cpp.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/contact_matching.hpp"
#include "domain/customer.hpp"

namespace hs::fixture {

inline constexpr std::uint64_t kContactFixtureSeed = 0x5EBDE5C15;

struct ContactFixture {
  std::uint64_t seed = 0;
  std::vector<domain::Customer> customers;
  std::vector<domain::SevdeskContact> contacts;
  // Customer id -> the contacts that are this customer (more than one: a duplicate in sevdesk;
  // none: the customer is not in sevdesk, a new contact is right).
  std::unordered_map<std::int64_t, std::vector<std::string>> truth;
  // Customer id -> the case that made it ("exact", "typo", "namesake elsewhere", ...).
  std::unordered_map<std::int64_t, std::string> case_of;
};

// `customers` customers and `contacts` sevdesk contacts (at least 4 per customer are fine; the
// contacts beyond the cases are other people and companies of the school's accounting).
ContactFixture MakeContactFixture(std::size_t customers, std::size_t contacts,
                                  std::uint64_t seed = kContactFixtureSeed);

struct CaseScore {
  std::size_t customers = 0;
  std::size_t auto_links = 0;
  std::size_t wrong_auto_links = 0;
  std::size_t ranked_first = 0;  // a true pair in review with a true contact first
  std::size_t review = 0;
  std::size_t create_new = 0;
};

struct FixtureScore {
  std::size_t customers = 0;
  std::size_t true_pairs = 0;  // customers with a contact in sevdesk
  std::size_t auto_links = 0;
  std::size_t wrong_auto_links = 0;  // linked to a contact that is not the customer
  std::size_t true_auto_links = 0;
  std::size_t ranked_first = 0;  // true pairs in review with a true contact ranked first
  std::size_t review = 0;
  std::size_t create_new = 0;
  std::size_t duplicates_created = 0;  // true pairs decided "create new"
  std::map<std::string, CaseScore> by_case;
  // (true auto links + ranked first) / true pairs, in percent.
  double RecallPercent() const;
};

FixtureScore ScoreDecisions(const ContactFixture& fixture,
                            const std::vector<domain::MatchDecision>& decisions);

// The baseline: what a matcher by exact first and last name (or company name) does, as some
// tools do: link the first contact whose names are the same strings, otherwise create new.
std::vector<domain::MatchDecision> NaiveExactNameMatch(
    const std::vector<domain::Customer>& customers,
    const std::vector<domain::SevdeskContact>& contacts);

}  // namespace hs::fixture
