#include "domain/contact_matching.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <unordered_map>

#include "core/text.hpp"

namespace hs::domain {

// ---------------------------------------------------------------- folding

namespace {

// Base letters of U+0100..U+017F (Latin Extended-A), in code point order.
constexpr std::string_view kLatinExtendedA =
    "aaaaaa"
    "cccccccc"
    "dddd"
    "eeeeeeeeee"
    "gggggggg"
    "hhhh"
    "iiiiiiiiii"
    "ii"
    "jj"
    "kkk"
    "llllllllll"
    "nnnnnnnnn"
    "oooooo"
    "oo"
    "rrrrrr"
    "ssssssss"
    "tttttt"
    "uuuuuuuuuuuu"
    "ww"
    "yyy"
    "zzzzzz"
    "s";
static_assert(kLatinExtendedA.size() == 0x80);

// Decodes one UTF-8 sequence at `i` and advances `i`; 0xFFFD for an invalid byte.
char32_t NextCodePoint(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const int extra = b < 0x80             ? 0
                    : (b & 0xE0) == 0xC0 ? 1
                    : (b & 0xF0) == 0xE0 ? 2
                    : (b & 0xF8) == 0xF0 ? 3
                                         : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = extra == 0 ? b : b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

// The letters that fold to more than one letter, or differently in the plain form.
struct SpecialLetter {
  char32_t upper;
  char32_t lower;
  const char* folded;
  const char* plain;
};
constexpr std::array<SpecialLetter, 9> kSpecialLetters = {{
    {0xC4, 0xE4, "ae", "a"},     // Ä ä
    {0xD6, 0xF6, "oe", "o"},     // Ö ö
    {0xDC, 0xFC, "ue", "u"},     // Ü ü
    {0x1E9E, 0xDF, "ss", "ss"},  // ẞ ß
    {0xC6, 0xE6, "ae", "ae"},    // Æ æ
    {0x152, 0x153, "oe", "oe"},  // Œ œ
    {0xDE, 0xFE, "th", "th"},    // Þ þ
    {0xD0, 0xF0, "d", "d"},      // Ð ð
    {0xD7, 0xF7, "", ""},        // × ÷
}};

std::string Utf8(char32_t cp) {
  std::string bytes;
  if (cp < 0x800) {
    bytes += static_cast<char>(0xC0 | (cp >> 6));
  } else if (cp < 0x10000) {
    bytes += static_cast<char>(0xE0 | (cp >> 12));
    bytes += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  } else {
    bytes += static_cast<char>(0xF0 | (cp >> 18));
    bytes += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    bytes += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  }
  bytes += static_cast<char>(0x80 | (cp & 0x3F));
  return bytes;
}

// The ASCII letters a code point folds to: "" for a separator, "\x01" for a mark that is dropped
// (combining accents), or the code point's own UTF-8 bytes for a letter of another script.
std::string FoldCodePoint(char32_t cp, bool plain) {
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if (c >= 'A' && c <= 'Z') return std::string(1, static_cast<char>(c - 'A' + 'a'));
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return std::string(1, c);
    return "";
  }
  for (const auto& l : kSpecialLetters) {
    if (cp == l.upper || cp == l.lower) return plain ? l.plain : l.folded;
  }
  if (cp >= 0xC0 && cp <= 0xFF) {
    static constexpr std::string_view kLatin1 =  // U+00C0..U+00FF; '?' for the special letters
        "aaaaaaaceeeeiiii"
        "dnooooo?ouuuuyts"
        "aaaaaaaceeeeiiii"
        "dnooooo?ouuuuyty";
    return std::string(1, kLatin1[cp - 0xC0]);
  }
  if (cp >= 0x100 && cp <= 0x17F) return std::string(1, kLatinExtendedA[cp - 0x100]);
  if (cp >= 0x300 && cp <= 0x36F) return "\x01";                               // combining marks
  if (cp < 0xC0 || cp == 0xFFFD || (cp >= 0x2000 && cp <= 0x206F)) return "";  // punctuation
  return Utf8(cp);  // a letter of another script stays as it is
}

std::string Fold(std::string_view text, bool plain) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (std::size_t i = 0; i < text.size();) {
    const char32_t cp = NextCodePoint(text, i);
    // A decomposed umlaut ("u" + U+0308, as macOS writes it) folds like the composed one.
    if (cp == 0x308 && !plain && !out.empty() &&
        (out.back() == 'a' || out.back() == 'o' || out.back() == 'u')) {
      out += 'e';
      continue;
    }
    const std::string folded = FoldCodePoint(cp, plain);
    if (folded == "\x01") continue;
    if (folded.empty()) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += folded;
  }
  return out;
}

std::vector<std::string> SplitWords(std::string_view folded) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < folded.size()) {
    const std::size_t end = std::min(folded.find(' ', start), folded.size());
    words.emplace_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

bool IsTitle(std::string_view word) {
  static constexpr std::array<std::string_view, 6> kTitles = {"dr",   "prof",    "frau",
                                                              "herr", "familie", "fam"};
  return std::find(kTitles.begin(), kTitles.end(), word) != kTitles.end();
}

std::vector<std::string> SortedWithoutTitles(std::vector<std::string> words) {
  std::erase_if(words, [](const std::string& w) { return IsTitle(w); });
  std::sort(words.begin(), words.end());
  return words;
}

// Legal forms as folded word sequences, matched at the end of a company's name. "co" covers
// "& Co." and the middle of "GmbH & Co. KG", which is stripped from the back one form at a time.
const std::vector<std::vector<std::string_view>>& LegalForms() {
  static const std::vector<std::vector<std::string_view>> kForms = {
      {"gesellschaft", "mit", "beschraenkter", "haftung"},
      {"eingetragener", "verein"},
      {"eingetragene", "genossenschaft"},
      {"haftungsbeschraenkt"},
      {"e", "v"},
      {"e", "k"},
      {"e", "kfm"},
      {"e", "kfr"},
      {"e", "g"},
      {"gmbh"},
      {"ggmbh"},
      {"mbh"},
      {"ug"},
      {"ag"},
      {"kg"},
      {"kgaa"},
      {"ohg"},
      {"gbr"},
      {"ev"},
      {"ek"},
      {"eg"},
      {"se"},
      {"partg"},
      {"mbb"},
      {"partgmbb"},
      {"ltd"},
      {"inc"},
      {"co"},
  };
  return kForms;
}

// Removes one legal form from the end; false when there is none (or only the form is left).
bool StripLegalForm(std::vector<std::string>& words) {
  for (const auto& form : LegalForms()) {
    if (words.size() <= form.size()) continue;
    if (std::equal(form.begin(), form.end(), words.end() - static_cast<long>(form.size()))) {
      words.resize(words.size() - form.size());
      return true;
    }
  }
  return false;
}

}  // namespace

std::string FoldText(std::string_view text) {
  return Fold(text, false);
}
std::string FoldTextPlain(std::string_view text) {
  return Fold(text, true);
}

std::vector<std::string> NameTokens(std::string_view name, bool plain) {
  return SortedWithoutTitles(SplitWords(Fold(name, plain)));
}

std::vector<std::string> CompanyTokens(std::string_view name, bool plain) {
  std::vector<std::string> words = SplitWords(Fold(name, plain));
  if (!words.empty() && words.front() == "firma") words.erase(words.begin());
  // "Hundesalon Pfötchen Inh. Maria Weber": the owner line is not part of the company's name.
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (words[i] == "inh" || words[i] == "inhaber" || words[i] == "inhaberin") {
      words.resize(i);
      break;
    }
  }
  while (StripLegalForm(words)) {
  }
  return SortedWithoutTitles(std::move(words));
}

std::string StreetKey(std::string_view street) {
  std::string key;
  for (char c : FoldText(street)) {
    if (c != ' ') key += c;
  }
  // "strasse" → "str" wherever it occurs: "Hauptstraße", "Haupt-Strasse", "Hauptstr.".
  for (std::size_t at = key.find("strasse"); at != std::string::npos;
       at = key.find("strasse", at)) {
    key.replace(at, 7, "str");
  }
  return key;
}

std::string ZipKey(std::string_view zip) {
  std::string key;
  for (char c : zip) {
    if (c >= '0' && c <= '9') key += c;
  }
  return key;
}

std::string EmailKey(std::string_view email) {
  std::string key = ToLowerAscii(Trim(email));
  if (key.starts_with("mailto:")) key.erase(0, 7);
  if (key.find('@') == std::string::npos || key.find(' ') != std::string::npos) return "";
  return key;
}

std::string CustomerKey(std::int64_t customer_number) {
  return "HS-" + std::to_string(customer_number);
}

// ---------------------------------------------------------------- similarity

namespace {

// One table of the optimal string alignment distance in three rows of m + 1 cells each; once a
// whole row exceeds `limit`, the answer is only "more than limit" (limit + 1).
int Distance(std::string_view a, std::string_view b, int limit, int* before, int* previous,
             int* current) {
  const std::size_t m = b.size();
  std::iota(previous, previous + m + 1, 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = static_cast<int>(i);
    int row_min = current[0];
    for (std::size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
      row_min = std::min(row_min, current[j]);
    }
    // A swap reaches back two rows, so the cut-off needs the row before as well.
    if (row_min > limit && i > 1 && *std::min_element(previous, previous + m + 1) > limit) {
      return limit + 1;
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[m];
}

int BoundedDistance(std::string_view a, std::string_view b, int limit) {
  // Names are short: the rows live on the stack (matching compares some 100,000 word pairs).
  constexpr std::size_t kStack = 64;
  if (b.size() < kStack) {
    std::array<int, 3 * kStack> rows;
    return Distance(a, b, limit, rows.data(), rows.data() + kStack, rows.data() + 2 * kStack);
  }
  std::vector<int> rows(3 * (b.size() + 1));
  const std::size_t row = b.size() + 1;
  return Distance(a, b, limit, rows.data(), rows.data() + row, rows.data() + 2 * row);
}

}  // namespace

int EditDistance(std::string_view a, std::string_view b) {
  return BoundedDistance(a, b, static_cast<int>(std::max(a.size(), b.size())));
}

namespace {

double WordSimilarity(const std::string& a, const std::string& b) {
  if (a == b) return 1;
  // An initial ("A. Müller" from a bank statement) stands for a first name with that letter.
  if ((a.size() == 1 && b.starts_with(a)) || (b.size() == 1 && a.starts_with(b))) return 0.8;
  // Short words ("Jo", "Li", "Ute") differ by one letter from too many others.
  if (std::min(a.size(), b.size()) < 4) return 0;
  if (std::max(a.size(), b.size()) - std::min(a.size(), b.size()) > 2) return 0;  // > 2 edits
  const int d = BoundedDistance(a, b, 2);
  if (d > 2) return 0;
  return 1.0 - static_cast<double>(d) / static_cast<double>(std::max(a.size(), b.size()));
}

bool ContainsAll(const std::vector<std::string>& larger, const std::vector<std::string>& smaller) {
  return std::includes(larger.begin(), larger.end(), smaller.begin(), smaller.end());
}

// The best pairing of equally many words (every order for up to 4 words; beyond that the sorted
// order): the weakest pair's similarity.
double PairedSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = a.size();
  if (n > 4) {
    double weakest = 1;
    for (std::size_t i = 0; i < n; ++i) weakest = std::min(weakest, WordSimilarity(a[i], b[i]));
    return weakest;
  }
  std::array<std::array<double, 4>, 4> similarity{};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) similarity[i][j] = WordSimilarity(a[i], b[j]);
  }
  std::array<std::size_t, 4> order = {0, 1, 2, 3};
  double best = 0;
  do {
    double weakest = 1;
    for (std::size_t i = 0; i < n; ++i) weakest = std::min(weakest, similarity[i][order[i]]);
    best = std::max(best, weakest);
  } while (best < 1 && std::next_permutation(order.begin(), order.begin() + static_cast<long>(n)));
  return best;
}

}  // namespace

double NameSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1;
  if (a.size() == b.size()) return PairedSimilarity(a, b);
  if (a.size() > b.size() ? ContainsAll(a, b) : ContainsAll(b, a)) return 0.8;
  return 0;
}

// ---------------------------------------------------------------- evidence and rules

std::string_view EvidenceText(Evidence evidence) {
  switch (evidence) {
    case Evidence::kCustomerNumber:
      return "gleiche Kundennummer";
    case Evidence::kSameEmail:
      return "gleiche E-Mail-Adresse";
    case Evidence::kSharedEmail:
      return "gleiche E-Mail-Adresse, die mehrfach vorkommt";
    case Evidence::kSameNameStreetZip:
      return "gleicher Name, Straße und PLZ";
    case Evidence::kSameNameZip:
      return "gleicher Name und PLZ";
    case Evidence::kSameName:
      return "gleicher Name";
    case Evidence::kNameVariant:
      return "gleicher Name in anderer Schreibweise";
    case Evidence::kSimilarName:
      return "ähnlicher Name";
    case Evidence::kSameStreetZip:
      return "gleiche Straße und PLZ";
    case Evidence::kSameZip:
      return "gleiche PLZ";
    case Evidence::kOtherZip:
      return "andere PLZ";
    case Evidence::kNoAddress:
      return "in sevdesk ohne Anschrift";
    case Evidence::kOtherName:
      return "anderer Name";
    case Evidence::kOtherEmail:
      return "andere E-Mail-Adresse";
    case Evidence::kOtherCustomerNumber:
      return "Kundennummer eines anderen Kunden";
  }
  return "";
}

namespace {

constexpr std::array<std::pair<Evidence, std::string_view>, 15> kEvidenceCodes = {{
    {Evidence::kCustomerNumber, "customer_number"},
    {Evidence::kSameEmail, "same_email"},
    {Evidence::kSharedEmail, "shared_email"},
    {Evidence::kSameNameStreetZip, "same_name_street_zip"},
    {Evidence::kSameNameZip, "same_name_zip"},
    {Evidence::kSameName, "same_name"},
    {Evidence::kNameVariant, "name_variant"},
    {Evidence::kSimilarName, "similar_name"},
    {Evidence::kSameStreetZip, "same_street_zip"},
    {Evidence::kSameZip, "same_zip"},
    {Evidence::kOtherZip, "other_zip"},
    {Evidence::kNoAddress, "no_address"},
    {Evidence::kOtherName, "other_name"},
    {Evidence::kOtherEmail, "other_email"},
    {Evidence::kOtherCustomerNumber, "other_customer_number"},
}};

}  // namespace

std::string_view EvidenceCode(Evidence evidence) {
  for (const auto& [e, code] : kEvidenceCodes) {
    if (e == evidence) return code;
  }
  return "";
}

std::optional<Evidence> ParseEvidenceCode(std::string_view code) {
  for (const auto& [e, c] : kEvidenceCodes) {
    if (c == code) return e;
  }
  return std::nullopt;
}

bool IsStrong(const PairFacts& f) {
  // Our key of another customer: the contact is that customer's, whatever else fits.
  if (f.other_number) return false;
  // Our own key is the strongest evidence, but it is trusted only together with something of
  // the person: a school that used hundeschule before (a deleted tenant, a second school on the
  // same sevdesk account) has contacts with the same keys for other people.
  if (f.same_number) {
    return f.name != NameMatch::kNone || f.email != EmailMatch::kNone ||
           f.address == AddressMatch::kStreetZip;
  }
  // A company is never linked to a person's contact by name.
  if (!f.kinds_fit) return false;
  // Same name in another town: another person, or one who moved; the school decides.
  if (f.address == AddressMatch::kOtherZip) return false;
  // The name and an e-mail address nobody else has (a shared family address is not enough).
  if (f.name == NameMatch::kExact && f.email == EmailMatch::kUnique) return true;
  // Name, street and postal code, unless both have e-mail addresses and none is the same: father
  // and son of one name in one house are rare but real; the mutual check catches the family whose
  // members are both customers.
  if (f.email_differs) return false;
  if (f.name == NameMatch::kExact && f.address == AddressMatch::kStreetZip) return true;
  // "Muller" for "Müller" only with the full address; a typo ("similar") is never strong.
  return f.name == NameMatch::kVariant && f.address == AddressMatch::kStreetZip;
}

int Score(const PairFacts& f) {
  // Living at the same address or sharing a family's e-mail is no evidence of being the same
  // person: a contact needs the name, an e-mail of its own or our key to be a candidate at all.
  if (!f.same_number && f.name == NameMatch::kNone && f.email != EmailMatch::kUnique) return 0;
  if (f.same_number) return IsStrong(f) ? 100 : 70;
  int score = 0;
  switch (f.name) {
    case NameMatch::kExact:
      score += 45;
      break;
    case NameMatch::kVariant:
      score += 40;
      break;
    case NameMatch::kSimilar:
      score += 15 + static_cast<int>(10 * f.name_similarity);
      break;
    case NameMatch::kNone:
      break;
  }
  switch (f.address) {
    case AddressMatch::kStreetZip:
      score += 35;
      break;
    case AddressMatch::kZip:
      score += 20;
      break;
    case AddressMatch::kUnknown:
      break;
    case AddressMatch::kOtherZip:
      score -= 15;
      break;
  }
  score += f.email == EmailMatch::kUnique ? 25 : f.email == EmailMatch::kShared ? 10 : 0;
  if (!f.kinds_fit) score -= 10;
  if (f.email_differs) score -= 5;
  if (f.other_number) score -= 30;
  return std::clamp(score, 0, 100);
}

std::vector<Evidence> EvidenceOf(const PairFacts& f) {
  std::vector<Evidence> out;
  if (f.same_number) out.push_back(Evidence::kCustomerNumber);
  if (f.email == EmailMatch::kUnique) out.push_back(Evidence::kSameEmail);
  if (f.email == EmailMatch::kShared) out.push_back(Evidence::kSharedEmail);
  if (f.name == NameMatch::kExact) {
    out.push_back(f.address == AddressMatch::kStreetZip ? Evidence::kSameNameStreetZip
                  : f.address == AddressMatch::kZip     ? Evidence::kSameNameZip
                                                        : Evidence::kSameName);
  } else {
    if (f.name == NameMatch::kVariant) out.push_back(Evidence::kNameVariant);
    if (f.name == NameMatch::kSimilar) out.push_back(Evidence::kSimilarName);
    if (f.address == AddressMatch::kStreetZip) out.push_back(Evidence::kSameStreetZip);
    if (f.address == AddressMatch::kZip) out.push_back(Evidence::kSameZip);
  }
  if (f.address == AddressMatch::kOtherZip) out.push_back(Evidence::kOtherZip);
  if (!f.contact_has_address) out.push_back(Evidence::kNoAddress);
  if (f.name == NameMatch::kNone) out.push_back(Evidence::kOtherName);
  if (f.email_differs) out.push_back(Evidence::kOtherEmail);
  if (f.other_number) out.push_back(Evidence::kOtherCustomerNumber);
  return out;
}

DecisionKind Decide(const DecisionFacts& f) {
  // No candidate at all: a new contact, as before matching existed, without asking.
  if (f.candidates == 0) return DecisionKind::kCreateNew;
  // Automatic only when one contact alone has strong evidence for this customer, that contact
  // has strong evidence for no other customer (two "Anna Müller" at one address, a family on
  // one e-mail), and no other contact comes close (the school's own duplicate of the person).
  if (f.auto_link_enabled && f.strong_candidates == 1 && f.customers_of_strong_candidate == 1 &&
      f.runner_up_score < kCompetingScore) {
    return DecisionKind::kAutoLink;
  }
  return DecisionKind::kReview;
}

// ---------------------------------------------------------------- matching

namespace {

struct Names {
  std::vector<std::string> folded;
  std::vector<std::string> plain;
};

struct CustomerProfile {
  std::string key;  // "HS-17"
  bool company = false;
  Names names;
  std::string street;
  std::string zip;
  std::string email;
};

struct ContactProfile {
  std::string number;  // upper case, trimmed
  bool organisation = false;
  Names names;
  std::vector<std::pair<std::string, std::string>> addresses;  // street key, zip key
  std::vector<std::string> emails;
};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

Names NamesOf(std::string_view text, bool company) {
  if (company) return {CompanyTokens(text), CompanyTokens(text, true)};
  return {NameTokens(text), NameTokens(text, true)};
}

CustomerProfile ProfileOf(const Customer& c) {
  const bool company = c.kind == CustomerKind::kCompany;
  return {Upper(CustomerKey(c.customer_number)),
          company,
          NamesOf(company ? c.company_name : c.first_name + " " + c.last_name, company),
          StreetKey(c.address.street),
          ZipKey(c.address.zip),
          EmailKey(c.email)};
}

ContactProfile ProfileOf(const SevdeskContact& c) {
  ContactProfile p;
  p.number = Upper(Trim(c.customer_number));
  p.organisation = c.organisation;
  // An organisation from a bank import may carry a person's name; the legal forms are stripped
  // either way, and "Müller, Anna" gives the same words as "Anna Müller".
  p.names =
      c.organisation ? NamesOf(c.name, true) : NamesOf(c.first_name + " " + c.last_name, false);
  for (const auto& a : c.addresses) {
    if (!ZipKey(a.zip).empty()) p.addresses.emplace_back(StreetKey(a.street), ZipKey(a.zip));
  }
  for (const auto& e : c.emails) {
    std::string key = EmailKey(e);
    if (!key.empty() && std::find(p.emails.begin(), p.emails.end(), key) == p.emails.end()) {
      p.emails.push_back(std::move(key));
    }
  }
  return p;
}

bool IsOurKey(std::string_view number) {
  if (!number.starts_with("HS-") || number.size() == 3) return false;
  return std::all_of(number.begin() + 3, number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

NameMatch CompareNames(const Names& a, const Names& b, double& similarity) {
  similarity = 0;
  if (a.folded.empty() || b.folded.empty()) return NameMatch::kNone;
  if (a.folded == b.folded || a.plain == b.plain) {
    similarity = 1;
    return a.folded == b.folded ? NameMatch::kExact : NameMatch::kVariant;
  }
  similarity = NameSimilarity(a.folded, b.folded);
  // The plain form differs only where a name has umlauts.
  if (a.plain != a.folded || b.plain != b.folded) {
    similarity = std::max(similarity, NameSimilarity(a.plain, b.plain));
  }
  return similarity >= 0.75 ? NameMatch::kSimilar : NameMatch::kNone;
}

AddressMatch CompareAddresses(const CustomerProfile& c, const ContactProfile& k) {
  // Only the postal code and street: the country is mostly empty or DE on both sides, and a
  // town's spelling ("Freiburg im Breisgau") adds nothing the postal code does not say.
  if (c.zip.empty() || k.addresses.empty()) return AddressMatch::kUnknown;
  AddressMatch best = AddressMatch::kOtherZip;
  for (const auto& [street, zip] : k.addresses) {
    if (zip != c.zip) continue;
    best = !street.empty() && street == c.street ? AddressMatch::kStreetZip
                                                 : std::max(best, AddressMatch::kZip);
    if (best == AddressMatch::kStreetZip) break;
  }
  return best;
}

// How many customers and how many contacts have each e-mail address.
struct EmailCounts {
  std::unordered_map<std::string, int> customers;
  std::unordered_map<std::string, int> contacts;
  bool Unique(const std::string& email) const {
    const auto a = customers.find(email);
    const auto b = contacts.find(email);
    return a != customers.end() && a->second == 1 && b != contacts.end() && b->second == 1;
  }
};

PairFacts FactsOf(const CustomerProfile& c, const ContactProfile& k, const EmailCounts& emails) {
  PairFacts f;
  f.same_number = !k.number.empty() && k.number == c.key;
  f.other_number = !f.same_number && IsOurKey(k.number);
  f.kinds_fit = !c.company || k.organisation;
  f.name = CompareNames(c.names, k.names, f.name_similarity);
  f.address = CompareAddresses(c, k);
  f.contact_has_address = !k.addresses.empty();
  if (!c.email.empty() && std::find(k.emails.begin(), k.emails.end(), c.email) != k.emails.end()) {
    f.email = emails.Unique(c.email) ? EmailMatch::kUnique : EmailMatch::kShared;
  }
  f.email_differs = f.email == EmailMatch::kNone && !c.email.empty() && !k.emails.empty();
  return f;
}

// The contacts that share anything with a customer: our key, an e-mail, a name word (folded or
// plain, so a typo in one word still finds the other) or the postal code. Only these are
// compared, which keeps 500 × 2,000 well under a second.
class ContactIndex {
 public:
  explicit ContactIndex(const std::vector<ContactProfile>& contacts) : seen_(contacts.size(), 0) {
    for (std::uint32_t i = 0; i < contacts.size(); ++i) {
      const auto& k = contacts[i];
      if (!k.number.empty()) Add("n:" + k.number, i);
      for (const auto& e : k.emails) Add("e:" + e, i);
      for (const auto& w : k.names.folded) Add("w:" + w, i);
      for (const auto& w : k.names.plain) Add("w:" + w, i);
      for (const auto& a : k.addresses) Add("z:" + a.second, i);
    }
  }

  std::vector<std::uint32_t> Candidates(const CustomerProfile& c) {
    ++stamp_;
    std::vector<std::uint32_t> out;
    auto take = [&](const std::string& key) {
      const auto it = index_.find(key);
      if (it == index_.end()) return;
      for (std::uint32_t i : it->second) {
        if (seen_[i] != stamp_) out.push_back(i), seen_[i] = stamp_;
      }
    };
    take("n:" + c.key);
    if (!c.email.empty()) take("e:" + c.email);
    for (const auto& w : c.names.folded) take("w:" + w);
    for (const auto& w : c.names.plain) take("w:" + w);
    if (!c.zip.empty()) take("z:" + c.zip);
    return out;
  }

 private:
  void Add(const std::string& key, std::uint32_t i) {
    auto& list = index_[key];
    if (list.empty() || list.back() != i) list.push_back(i);
  }
  std::unordered_map<std::string, std::vector<std::uint32_t>> index_;
  std::vector<std::uint32_t> seen_;
  std::uint32_t stamp_ = 0;
};

struct Scored {
  std::uint32_t contact = 0;
  PairFacts facts;
  int score = 0;
  bool strong = false;
};

std::vector<Scored> ScoreCandidates(const CustomerProfile& c,
                                    const std::vector<ContactProfile>& contacts,
                                    ContactIndex& index, const EmailCounts& emails) {
  std::vector<Scored> out;
  for (std::uint32_t i : index.Candidates(c)) {
    const PairFacts f = FactsOf(c, contacts[i], emails);
    const int score = Score(f);
    if (score >= kMinCandidateScore) out.push_back({i, f, score, IsStrong(f)});
  }
  return out;
}

EmailCounts CountEmails(const std::vector<CustomerProfile>& customers,
                        const std::vector<ContactProfile>& contacts) {
  EmailCounts counts;
  for (const auto& c : customers) {
    if (!c.email.empty()) ++counts.customers[c.email];
  }
  for (const auto& k : contacts) {
    for (const auto& e : k.emails) ++counts.contacts[e];
  }
  return counts;
}

MatchDecision DecisionFor(std::int64_t customer_id, std::vector<Scored> scored,
                          std::span<const SevdeskContact> contacts,
                          const std::vector<std::size_t>& strong_customers,
                          const MatchSettings& settings) {
  std::sort(scored.begin(), scored.end(), [&](const Scored& a, const Scored& b) {
    if (a.strong != b.strong) return a.strong;
    if (a.score != b.score) return a.score > b.score;
    return contacts[a.contact].id < contacts[b.contact].id;
  });
  DecisionFacts facts;
  facts.auto_link_enabled = settings.auto_link;
  facts.candidates = scored.size();
  facts.strong_candidates = static_cast<std::size_t>(
      std::count_if(scored.begin(), scored.end(), [](const Scored& s) { return s.strong; }));
  if (!scored.empty()) facts.customers_of_strong_candidate = strong_customers[scored[0].contact];
  if (scored.size() > 1) facts.runner_up_score = scored[1].score;

  MatchDecision decision;
  decision.customer_id = customer_id;
  decision.kind = Decide(facts);
  if (decision.kind == DecisionKind::kAutoLink)
    decision.contact_id = contacts[scored[0].contact].id;
  for (std::size_t i = 0; i < scored.size() && i < settings.max_candidates; ++i) {
    const Scored& s = scored[i];
    decision.candidates.push_back({contacts[s.contact].id, s.score, s.strong, EvidenceOf(s.facts)});
  }
  return decision;
}

}  // namespace

std::vector<MatchDecision> MatchCustomers(std::span<const Customer> customers,
                                          std::span<const SevdeskContact> contacts,
                                          const MatchSettings& settings) {
  std::vector<CustomerProfile> customer_profiles;
  customer_profiles.reserve(customers.size());
  for (const auto& c : customers) customer_profiles.push_back(ProfileOf(c));
  std::vector<ContactProfile> contact_profiles;
  contact_profiles.reserve(contacts.size());
  for (const auto& k : contacts) contact_profiles.push_back(ProfileOf(k));
  const EmailCounts emails = CountEmails(customer_profiles, contact_profiles);

  ContactIndex index(contact_profiles);
  std::vector<std::vector<Scored>> scored;
  scored.reserve(customers.size());
  // For the mutual check: how many customers each contact has strong evidence for.
  std::vector<std::size_t> strong_customers(contacts.size(), 0);
  for (const auto& c : customer_profiles) {
    scored.push_back(ScoreCandidates(c, contact_profiles, index, emails));
    for (const auto& s : scored.back()) strong_customers[s.contact] += s.strong ? 1 : 0;
  }

  std::vector<MatchDecision> decisions;
  decisions.reserve(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    decisions.push_back(
        DecisionFor(customers[i].id, std::move(scored[i]), contacts, strong_customers, settings));
  }
  return decisions;
}

}  // namespace hs::domain
