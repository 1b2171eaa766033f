#pragma once
// The words the instant search (issue 18, ADR 0021) indexes and looks up. One folding in C++
// for both engines, so that SQLite and PostgreSQL find exactly the same rows: lower case, the
// German umlauts as "ae"/"oe"/"ue" and ß as "ss", other Latin accents dropped, split on anything
// that is not a letter or a digit. An umlaut word is indexed a second time with the plain vowel
// ("muller" finds Müller too); a number with leading zeros a second time without them ("112"
// finds RE-2026-0112). A query is folded the same way and each of its words must be the start
// of some token of a row. Pure; invalid UTF-8 is a separator, never a failure.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/customer.hpp"
#include "domain/invoice.hpp"
#include "domain/receipt.hpp"

namespace hs::domain {

// Hostile input must not blow up the index: a longer word is indexed by its first bytes (a
// word-start search still finds it), an entity keeps its first distinct tokens, a query its
// first words.
inline constexpr std::size_t kMaxSearchTokenBytes = 32;
inline constexpr std::size_t kMaxSearchTokensPerEntity = 200;
inline constexpr std::size_t kMaxSearchQueryWords = 8;

// The distinct tokens of the texts added, in the order first seen, at most
// kMaxSearchTokensPerEntity.
class SearchTokenSet {
 public:
  void Add(std::string_view text);
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  void Insert(std::string token);
  std::vector<std::string> tokens_;
};

// The index tokens of one text (all variants, duplicates possible).
std::vector<std::string> SearchTokensOf(std::string_view text);

// The folded words of a search query, distinct, at most kMaxSearchQueryWords. Empty when the
// query holds no letter or digit.
std::vector<std::string> SearchQueryWords(std::string_view query);

// The smallest string above every string that starts with `word` (a non-empty folded word):
// `token >= word AND token < SearchPrefixEnd(word)` is a word-start match as a B-tree range, in
// byte order (SQLite's BINARY, PostgreSQL's "C" collation). Valid UTF-8 when `word` is.
std::string SearchPrefixEnd(std::string_view word);

// What each kind of row is found by.
// Customer: first and last name, company, contact person, e-mail, customer number, city, dogs.
std::vector<std::string> CustomerSearchTokens(const Customer& customer);
// Invoice: its number, the customer's name (a draft: the customer's current name parts; else the
// name frozen at finalization) and the line texts.
std::vector<std::string> InvoiceSearchTokens(const Invoice& invoice,
                                             const std::vector<std::string>& customer_names);
// Receipt: number, counterparty, description.
std::vector<std::string> ReceiptSearchTokens(const Receipt& receipt);

}  // namespace hs::domain
