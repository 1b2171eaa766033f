#include "domain/search_text.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/text.hpp"

namespace hs::domain {
namespace {

using Tokens = std::vector<std::string>;

struct Case {
  const char* name;
  std::string text;
  Tokens tokens;
};

TEST(SearchText, TokensOfATextFoldCaseUmlautsAccentsAndNumbers) {
  const Case cases[] = {
      {"ascii lower-cased", "Hundeschule PFOTE", {"hundeschule", "pfote"}},
      {"umlaut twice: ae and plain", "Müller", {"mueller", "muller"}},
      {"capital umlauts", "ÄRGER ÖL ÜBER", {"aerger", "arger", "oel", "ol", "ueber", "uber"}},
      {"sharp s is ss only", "Straße", {"strasse"}},
      {"capital sharp s", "STRAẞE", {"strasse"}},
      {"decomposed umlaut", "Mu\xCC\x88ller", {"mueller", "muller"}},
      {"accents dropped", "José Çelik Łukasz Øre", {"jose", "celik", "lukasz", "ore"}},
      {"ligatures", "Cœur Æsop", {"coeur", "aesop"}},
      {"invoice number", "RE-2026-0112", {"re", "2026", "0112", "112"}},
      {"all zeros", "00", {"00", "0"}},
      {"zero alone stays", "0", {"0"}},
      {"letters and digits together", "K9 Hund2", {"k9", "hund2"}},
      {"e-mail", "anna.mueller@example.org", {"anna", "mueller", "example", "org"}},
      {"punctuation and symbols split",
       "Fressnapf – Größe 🐕 §5 «Hund»",
       {"fressnapf", "groesse", "grosse", "5", "hund"}},
      {"no-break space splits", "Bello\xC2\xA0Wuff", {"bello", "wuff"}},
      {"cyrillic and greek lower-cased", "Москва ΑΘΗΝΑ", {"москва", "αθηνα"}},
      {"invalid bytes are separators", std::string("Ab\xFF\xC3(cd\xE2\x82"), {"ab", "cd"}},
      {"nul is a separator", std::string("ab\0cd", 5), {"ab", "cd"}},
      {"nothing but separators", " -_%*./\\ ", {}},
      {"empty", "", {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SearchTokensOf(c.text), c.tokens) << c.name;
  }
}

TEST(SearchText, LongWordsAreCutAtTheByteCapWithoutSplittingACharacter) {
  const std::string word(100, 'a');
  EXPECT_EQ(SearchTokensOf(word), Tokens{std::string(kMaxSearchTokenBytes, 'a')});
  // 31 ASCII letters, then "ä": its "ae" no longer fits the primary (which ends there, still a
  // word start), its "a" fits the variant.
  const std::string mixed = std::string(31, 'b') + "äx";
  const auto tokens = SearchTokensOf(mixed);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0], std::string(31, 'b'));
  EXPECT_EQ(tokens[1], std::string(31, 'b') + "a");
  // Two-byte letters: never half a character.
  std::string cyrillic;
  for (int i = 0; i < 40; ++i) cyrillic += "ж";
  const auto cut = SearchTokensOf(cyrillic);
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].size(), kMaxSearchTokenBytes);
  EXPECT_TRUE(IsValidUtf8(cut[0]));
}

TEST(SearchText, AnEntityKeepsItsFirstDistinctTokensUpToTheCap) {
  SearchTokenSet set;
  set.Add("Müller Mueller müller");
  EXPECT_EQ(set.tokens(), (Tokens{"mueller", "muller"}));
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "w" + std::to_string(i) + " ";
  set.Add(many);
  ASSERT_EQ(set.tokens().size(), kMaxSearchTokensPerEntity);
  EXPECT_EQ(set.tokens()[2], "w0");
  EXPECT_EQ(set.tokens().back(), "w" + std::to_string(kMaxSearchTokensPerEntity - 3));
}

TEST(SearchText, QueryWordsAreFoldedLikeTheIndexWithoutVariants) {
  const Case cases[] = {
      {"umlaut as ae", "Mül", {"muel"}},
      {"typed ae", "mueller", {"mueller"}},
      {"sharp s", "straße", {"strasse"}},
      {"two words", "Anna  Müller", {"anna", "mueller"}},
      {"repeated words once", "bello BELLO", {"bello"}},
      {"number with prefix", "re-2026-0112", {"re", "2026", "0112"}},
      {"wildcards are no words", "% _", {}},
  };
  for (const auto& c : cases) EXPECT_EQ(SearchQueryWords(c.text), c.tokens) << c.name;
  std::string long_query;
  for (int i = 0; i < 50; ++i) long_query += "w" + std::to_string(i) + " ";
  EXPECT_EQ(SearchQueryWords(long_query).size(), kMaxSearchQueryWords);
}

// Every query word must be the start of a token: the range [word, SearchPrefixEnd(word)).
bool StartsSomeToken(const std::string& word, const Tokens& tokens) {
  const std::string end = SearchPrefixEnd(word);
  return std::any_of(tokens.begin(), tokens.end(),
                     [&](const std::string& t) { return t >= word && t < end; });
}

bool Finds(const std::string& query, const std::string& text) {
  const auto words = SearchQueryWords(query);
  const auto tokens = SearchTokensOf(text);
  return !words.empty() && std::all_of(words.begin(), words.end(), [&](const std::string& w) {
    return StartsSomeToken(w, tokens);
  });
}

TEST(SearchText, WordStartMatchesAsAGermanOfficeExpects) {
  struct Match {
    const char* query;
    const char* text;
    bool found;
  };
  const Match matches[] = {
      {"mueller", "Anna Müller", true},
      {"muller", "Anna Müller", true},
      {"müller", "Anna Mueller", true},
      {"mül", "Anna Müller", true},
      {"strasse", "Hauptstraße", false},  // word start only
      {"strasse", "Straße 5", true},
      {"112", "RE-2026-0112", true},
      {"0112", "RE-2026-0112", true},
      {"RE-2026-0112", "RE-2026-0112", true},
      {"re 2026 0113", "RE-2026-0112", false},
      {"anna müller", "Müller, Anna", true},
      {"anna schmidt", "Müller, Anna", false},
      {"ller", "Müller", false},
      {"%", "100% Hund", false},
      {"ж", "жук", true},
  };
  for (const auto& m : matches) {
    EXPECT_EQ(Finds(m.query, m.text), m.found) << m.query << " in " << m.text;
  }
}

TEST(SearchText, PrefixEndIsTheNextStringInByteOrder) {
  EXPECT_EQ(SearchPrefixEnd("mue"), "muf");
  EXPECT_EQ(SearchPrefixEnd("a9"), "a:");
  EXPECT_EQ(SearchPrefixEnd("ж"), "з");
  EXPECT_TRUE(IsValidUtf8(SearchPrefixEnd("\xED\x9F\xBF")));  // U+D7FF skips the surrogates
}

TEST(SearchText, EntitiesAreFoundByTheirFields) {
  Customer c;
  c.first_name = "Anna";
  c.last_name = "Müller";
  c.company_name = "Pfoten GmbH";
  c.email = "anna@example.org";
  c.address.city = "Köln";
  c.customer_number = 1042;
  c.dogs = {{"Bello", "Dackel"}};
  const auto customer = CustomerSearchTokens(c);
  for (const char* t :
       {"anna", "mueller", "muller", "pfoten", "example", "koeln", "1042", "bello"}) {
    EXPECT_NE(std::find(customer.begin(), customer.end(), t), customer.end()) << t;
  }
  EXPECT_EQ(std::find(customer.begin(), customer.end(), "dackel"), customer.end());

  Invoice inv;
  inv.number = "RE-2026-0007";
  inv.lines = {{"Welpenkurs Sommer", 1000, "Kurs", 100, 19}};
  const auto invoice = InvoiceSearchTokens(inv, {"Anna Müller"});
  for (const char* t : {"re", "2026", "0007", "7", "anna", "mueller", "welpenkurs", "sommer"}) {
    EXPECT_NE(std::find(invoice.begin(), invoice.end(), t), invoice.end()) << t;
  }

  Receipt r;
  r.number = "F-77";
  r.counterparty = "Tierbedarf Nord";
  r.description = "Futter";
  EXPECT_EQ(ReceiptSearchTokens(r), (Tokens{"f", "77", "tierbedarf", "nord", "futter"}));
}

}  // namespace
}  // namespace hs::domain
