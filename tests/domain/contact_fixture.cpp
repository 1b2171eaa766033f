#include "contact_fixture.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>
#include <span>
#include <string_view>

namespace hs::fixture {
namespace {

using domain::Address;
using domain::Customer;
using domain::CustomerKind;
using domain::SevdeskContact;

// ---------------------------------------------------------------- word lists

constexpr std::array<std::string_view, 60> kFemale = {
    "Anna",      "Lena",    "Laura",    "Julia",   "Sarah",    "Lisa",      "Katharina",
    "Hannah",    "Sophie",  "Marie",    "Johanna", "Lea",      "Jana",      "Miriam",
    "Sabine",    "Petra",   "Claudia",  "Andrea",  "Susanne",  "Birgit",    "Monika",
    "Renate",    "Ursula",  "Gabriele", "Heike",   "Kerstin",  "Stefanie",  "Nicole",
    "Christina", "Melanie", "Bärbel",   "Käthe",   "Jördis",   "Martina",   "Franziska",
    "Charlotte", "Emilia",  "Greta",    "Frieda",  "Mathilda", "Henriette", "Ilse",
    "Doris",     "Gudrun",  "Dörte",    "Maren",   "Wiebke",   "Silke",     "Anja",
    "Tanja",     "Yvonne",  "Carola",   "Elke",    "Annegret", "Svenja",    "Ronja",
    "Leonie",    "Theresa", "Veronika", "Zoé"};
constexpr std::array<std::string_view, 60> kMale = {
    "Peter",     "Thomas",   "Michael",  "Andreas",    "Stefan",     "Frank",      "Markus",
    "Christian", "Jürgen",   "Jörg",     "Günter",     "Björn",      "Sören",      "Uwe",
    "Klaus",     "Wolfgang", "Matthias", "Tobias",     "Florian",    "Sebastian",  "Alexander",
    "Daniel",    "Jan",      "Lukas",    "Jonas",      "Felix",      "Maximilian", "Paul",
    "Leon",      "Finn",     "Niklas",   "Moritz",     "Hendrik",    "Dieter",     "Horst",
    "Manfred",   "Rüdiger",  "Götz",     "Hans-Peter", "Karl-Heinz", "Bernd",      "Ralf",
    "Holger",    "Dirk",     "Heiko",    "Sven",       "Torsten",    "Volker",     "Jens",
    "Olaf",      "Joachim",  "Reinhard", "Helmut",     "Ulrich",     "Benedikt",   "Konstantin",
    "Jakob",     "Elias",    "Emil",     "René"};
constexpr std::array<std::string_view, 90> kSurnames = {
    "Schmidt",  "Schneider", "Fischer",    "Weber",    "Meyer",      "Wagner",      "Becker",
    "Schulz",   "Hoffmann",  "Koch",       "Bauer",    "Richter",    "Klein",       "Wolf",
    "Neumann",  "Schwarz",   "Zimmermann", "Braun",    "Hofmann",    "Hartmann",    "Lange",
    "Schmitt",  "Werner",    "Schmitz",    "Krause",   "Meier",      "Lehmann",     "Schmid",
    "Schulze",  "Maier",     "Herrmann",   "Walter",   "Mayer",      "Huber",       "Kaiser",
    "Fuchs",    "Peters",    "Lang",       "Scholz",   "Jung",       "Hahn",        "Schubert",
    "Vogel",    "Friedrich", "Keller",     "Frank",    "Berger",     "Winkler",     "Roth",
    "Beck",     "Lorenz",    "Baumann",    "Franke",   "Albrecht",   "Schuster",    "Simon",
    "Ludwig",   "Winter",    "Kraus",      "Martin",   "Schumacher", "Vogt",        "Stein",
    "Otto",     "Sommer",    "Seidel",     "Heinrich", "Brandt",     "Haas",        "Schreiber",
    "Graf",     "Schulte",   "Dietrich",   "Ziegler",  "Kuhn",       "Pohl",        "Engel",
    "Horn",     "Busch",     "Bergmann",   "Voigt",    "Sauer",      "Arnold",      "Wolff",
    "Pfeiffer", "Yılmaz",    "Kaya",       "Nowak",    "Kowalski",   "Papadopoulos"};
// Surnames with umlauts (dots) for the spelling cases; ß-names in kSharpS.
constexpr std::array<std::string_view, 30> kUmlaut = {
    "Müller",  "Schäfer", "Schröder", "Köhler",   "Krüger",    "König",   "Möller", "Jäger",
    "Böhm",    "Günther", "Krämer",   "Kühn",     "Hübner",    "Jürgens", "Wähner", "Göbel",
    "Höfer",   "Förster", "Brückner", "Fröhlich", "Lötzsch",   "Rößler",  "Bär",    "Dünnebier",
    "Nüßlein", "Schütz",  "Többen",   "Gärtner",  "Mühlbauer", "Löffler"};
constexpr std::array<std::string_view, 10> kSharpS = {"Groß",     "Weiß",      "Strauß",  "Fuß",
                                                      "Preuß",    "Voß",       "Meißner", "Nußbaum",
                                                      "Großmann", "Weißenborn"};
constexpr std::array<std::string_view, 40> kStreets = {
    "Hauptstraße",   "Bahnhofstraße",        "Gartenstraße",      "Schulstraße",
    "Dorfstraße",    "Bergstraße",           "Lindenstraße",      "Kirchstraße",
    "Waldstraße",    "Ringstraße",           "Mühlenweg",         "Am Sportplatz",
    "Birkenweg",     "Goethestraße",         "Schillerstraße",    "Wiesenweg",
    "Rosenweg",      "Feldstraße",           "Buchenweg",         "Mozartstraße",
    "Talstraße",     "Am Mühlbach",          "Eichendorffstraße", "Marktplatz",
    "Poststraße",    "Jahnstraße",           "Grüner Weg",        "Fliederweg",
    "Höhenweg",      "Kastanienallee",       "Lerchenweg",        "Schwarzwaldstraße",
    "Dreisamstraße", "Kaiser-Joseph-Straße", "Merianstraße",      "Habsburgerstraße",
    "Basler Straße", "Zähringer Straße",     "Im Grün",           "Sonnhalde"};
struct Town {
  std::string_view name;
  int zip;
  int zips;  // postal codes zip, zip + 2, ...
};
// The school is in Freiburg: most customers live around it.
constexpr std::array<Town, 16> kLocalTowns = {{{"Freiburg im Breisgau", 79098, 10},
                                               {"Emmendingen", 79312, 1},
                                               {"Waldkirch", 79183, 1},
                                               {"Denzlingen", 79211, 1},
                                               {"Gundelfingen", 79194, 1},
                                               {"Kirchzarten", 79199, 1},
                                               {"Breisach am Rhein", 79206, 1},
                                               {"Bad Krozingen", 79189, 1},
                                               {"Staufen im Breisgau", 79219, 1},
                                               {"Müllheim", 79379, 1},
                                               {"Titisee-Neustadt", 79822, 1},
                                               {"Lörrach", 79539, 3},
                                               {"Offenburg", 77652, 3},
                                               {"Lahr", 77933, 1},
                                               {"Merzhausen", 79249, 1},
                                               {"Umkirch", 79224, 1}}};
constexpr std::array<Town, 16> kFarTowns = {{{"Berlin", 10115, 12},
                                             {"Hamburg", 20095, 8},
                                             {"München", 80331, 8},
                                             {"Köln", 50667, 6},
                                             {"Frankfurt am Main", 60306, 6},
                                             {"Stuttgart", 70173, 5},
                                             {"Düsseldorf", 40210, 4},
                                             {"Leipzig", 4103, 4},
                                             {"Dresden", 1067, 3},
                                             {"Nürnberg", 90402, 4},
                                             {"Karlsruhe", 76131, 4},
                                             {"Göttingen", 37073, 2},
                                             {"Würzburg", 97070, 2},
                                             {"Lüneburg", 21335, 2},
                                             {"Tübingen", 72070, 2},
                                             {"Görlitz", 2826, 1}}};
constexpr std::array<std::string_view, 9> kMailDomains = {
    "web.de",     "gmx.de",     "t-online.de", "gmail.com",  "posteo.de",
    "icloud.com", "outlook.de", "freenet.de",  "mailbox.org"};
constexpr std::array<std::string_view, 20> kTrades = {"Tierarztpraxis",
                                                      "Hundesalon",
                                                      "Hundepension",
                                                      "Futterhaus",
                                                      "Zoohandlung",
                                                      "Reitstall",
                                                      "Hundehotel",
                                                      "Tierheilpraxis",
                                                      "Hundetagesstätte",
                                                      "Gassi-Service",
                                                      "Tierbestattung",
                                                      "Hofladen",
                                                      "Malerbetrieb",
                                                      "Autohaus",
                                                      "Bäckerei",
                                                      "Steuerbüro",
                                                      "Physiotherapie für Hunde",
                                                      "Gartenbau",
                                                      "Druckerei",
                                                      "Getränkehandel"};
constexpr std::array<std::string_view, 16> kTradeNames = {
    "am Park",    "Nord",     "Sonnenschein",   "Waldblick",    "Pfötchen",  "Fellnase",
    "Dreisamtal", "Breisgau", "Kaiserstuhl",    "Schauinsland", "Birkenhof", "Mühlental",
    "Bello",      "Süd",      "am Schlossberg", "Rheinblick"};
constexpr std::array<std::string_view, 8> kLegalForms = {
    "GmbH", "UG (haftungsbeschränkt)", "e.K.", "GbR", "GmbH & Co. KG", "OHG", "AG", "gGmbH"};

// ---------------------------------------------------------------- helpers

// splitmix64: the same numbers on every platform.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }
  bool Percent(int p) { return Below(100) < static_cast<std::size_t>(p); }
  template <typename T, std::size_t N>
  std::string Pick(const std::array<T, N>& a) {
    return std::string(a[Below(N)]);
  }

 private:
  std::uint64_t state_;
};

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// "Müller" → "Mueller", "Groß" → "Gross": how many systems write German names in ASCII.
std::string Transliterate(std::string s) {
  for (auto [from, to] : {std::pair{"ä", "ae"},
                          {"ö", "oe"},
                          {"ü", "ue"},
                          {"Ä", "Ae"},
                          {"Ö", "Oe"},
                          {"Ü", "Ue"},
                          {"ß", "ss"}}) {
    s = Replace(s, from, to);
  }
  return s;
}

// "Müller" → "Muller": the dots dropped.
std::string DropDots(std::string s) {
  for (auto [from, to] :
       {std::pair{"ä", "a"}, {"ö", "o"}, {"ü", "u"}, {"Ä", "A"}, {"Ö", "O"}, {"Ü", "U"}}) {
    s = Replace(s, from, to);
  }
  return s;
}

std::string UpperAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

struct Person {
  std::string first;
  std::string last;
};

struct Home {
  std::string street;  // "Hauptstraße"
  int number = 1;
  char letter = 0;  // 'a', or 0
  std::string zip;
  std::string city;
};

// The street as a customer or contact has it written: 0 "Hauptstraße 12a", 1 "Hauptstr. 12 A",
// 2 "Hauptstrasse 12a".
Address Written(const Home& h, int style) {
  std::string street = h.street;
  if (style == 1) street = Replace(Replace(street, "straße", "str."), "Straße", "Str.");
  if (style == 2) street = Replace(street, "ß", "ss");
  street += " " + std::to_string(h.number);
  if (h.letter != 0) {
    street += style == 1 ? std::string(" ") + static_cast<char>(h.letter - 'a' + 'A')
                         : std::string(1, h.letter);
  }
  return {street, h.zip, h.city, "DE"};
}

}  // namespace

// ---------------------------------------------------------------- the generator

namespace {

class Generator {
 public:
  Generator(std::uint64_t seed, std::size_t customers) : random_(seed), wanted_(customers) {
    fixture_.seed = seed;
    fixture_.customers.reserve(customers);  // the cases hold references while they add contacts
  }

  ContactFixture Make(std::size_t contacts);

 private:
  // Cases. Each adds one or two customers and their contacts, and the truth.
  void Exact();
  void OurCustomerNumber();
  void UmlautSpelling();
  void UmlautDotsDropped();
  void SwappedNames();
  void Typo();
  void CompanyLegalForm();
  void ContactWithoutAddress();
  void OtherEmail();
  void Moved();
  void DuplicateInSevdesk();
  void MiddleName();
  void Initial();
  void NewLastName();
  void TypoWithoutAddress();
  void New();
  void NamesakeElsewhere();
  void FamilyEmail();
  void SimilarNeighbour();
  void SameNameSameHouse();
  void NamesakeCustomers();
  void Filler();

  // Building blocks.
  Person UniquePerson(std::span<const std::string_view> surnames = kSurnames,
                      std::span<const std::string_view> first_names = {});
  std::string UniqueCompany();
  Home NewHome(bool local);
  Home HomeElsewhere(const Home& not_here);
  std::string NewEmail(const Person& p);
  Customer& AddCustomer(const Person& p, const Home& h, std::string email, const char* case_name);
  SevdeskContact& AddContact(const Person& p, std::vector<Address> addresses,
                             std::vector<std::string> emails);
  SevdeskContact& AddOrganisation(std::string name, std::vector<Address> addresses,
                                  std::vector<std::string> emails);
  void Truth(const Customer& c, const SevdeskContact& k) { fixture_.truth[c.id].push_back(k.id); }
  std::string MaybeEmail(const Person& p) { return random_.Percent(85) ? NewEmail(p) : ""; }
  bool Claim(const std::string& key) { return used_names_.insert(key).second; }
  std::string NameKey(const std::string& text) const;

  Random random_;
  std::size_t wanted_;
  ContactFixture fixture_;
  std::set<std::string> used_names_;  // folded name keys of everybody generated so far
  std::set<std::string> used_emails_;
  std::set<std::string> used_ids_;
};

std::string Generator::NameKey(const std::string& text) const {
  std::string key;
  for (const auto& w : domain::NameTokens(text, true)) key += w + " ";
  return key;
}

Person Generator::UniquePerson(std::span<const std::string_view> surnames,
                               std::span<const std::string_view> first_names) {
  for (;;) {
    Person p{!first_names.empty()  ? std::string(first_names[random_.Below(first_names.size())])
             : random_.Percent(55) ? random_.Pick(kFemale)
                                   : random_.Pick(kMale),
             std::string(surnames[random_.Below(surnames.size())])};
    if (random_.Percent(8)) {
      p.last += "-" + std::string(kSurnames[random_.Below(kSurnames.size())]);
    }
    if (Claim(NameKey(p.first + " " + p.last))) return p;
  }
}

std::string Generator::UniqueCompany() {
  for (;;) {
    std::string base = random_.Pick(kTrades) + " " +
                       (random_.Percent(50) ? random_.Pick(kTradeNames) : random_.Pick(kSurnames));
    if (Claim(NameKey(base))) return base;
  }
}

Home Generator::NewHome(bool local) {
  const Town& t = local ? kLocalTowns[random_.Below(kLocalTowns.size())]
                        : kFarTowns[random_.Below(kFarTowns.size())];
  char zip[8];
  std::snprintf(zip, sizeof zip, "%05d",
                t.zip + 2 * static_cast<int>(random_.Below(static_cast<std::size_t>(t.zips))));
  Home h{random_.Pick(kStreets), 1 + static_cast<int>(random_.Below(120)), 0, zip,
         std::string(t.name)};
  if (random_.Percent(15)) h.letter = static_cast<char>('a' + random_.Below(3));
  return h;
}

Home Generator::HomeElsewhere(const Home& not_here) {
  for (;;) {
    Home h = NewHome(random_.Percent(50));
    if (h.zip != not_here.zip) return h;
  }
}

std::string Generator::NewEmail(const Person& p) {
  const std::string first = LowerAscii(Transliterate(Replace(p.first, " ", "")));
  const std::string last = LowerAscii(Transliterate(Replace(p.last, " ", "")));
  std::string local;
  switch (random_.Below(5)) {
    case 0:
      local = first + "." + last;
      break;
    case 1:
      local = first.substr(0, 1) + "." + last;
      break;
    case 2:
      local = last + "." + first;
      break;
    case 3:
      local = first + last + std::to_string(60 + random_.Below(40));
      break;
    default:
      local = first + "_" + last;
      break;
  }
  local = Replace(Replace(Replace(local, "é", "e"), "ı", "i"), "ç", "c");
  std::string email = local + "@" + random_.Pick(kMailDomains);
  for (int n = 2; !used_emails_.insert(email).second; ++n) {
    email = local + std::to_string(n) + "@" + random_.Pick(kMailDomains);
  }
  return email;
}

Customer& Generator::AddCustomer(const Person& p, const Home& h, std::string email,
                                 const char* case_name) {
  Customer c;
  c.id = static_cast<std::int64_t>(fixture_.customers.size()) + 1;
  c.school_id = 1;
  c.customer_number = c.id;
  c.first_name = p.first;
  c.last_name = p.last;
  c.address = Written(h, 0);
  c.email = std::move(email);
  fixture_.case_of[c.id] = case_name;
  fixture_.truth[c.id];
  fixture_.customers.push_back(std::move(c));
  return fixture_.customers.back();
}

SevdeskContact& Generator::AddContact(const Person& p, std::vector<Address> addresses,
                                      std::vector<std::string> emails) {
  SevdeskContact k;
  do {
    k.id = std::to_string(138000000 + random_.Below(9000000));
  } while (!used_ids_.insert(k.id).second);
  // sevdesk numbers its customers itself ("1000", "1001", ...); ours are "HS-<n>".
  k.customer_number = std::to_string(1000 + fixture_.contacts.size());
  k.first_name = p.first;
  k.last_name = p.last;
  k.addresses = std::move(addresses);
  k.emails = std::move(emails);
  fixture_.contacts.push_back(std::move(k));
  return fixture_.contacts.back();
}

SevdeskContact& Generator::AddOrganisation(std::string name, std::vector<Address> addresses,
                                           std::vector<std::string> emails) {
  SevdeskContact& k = AddContact({}, std::move(addresses), std::move(emails));
  k.organisation = true;
  k.name = std::move(name);
  return k;
}

std::vector<std::string> Maybe(bool yes, const std::string& email) {
  if (!yes || email.empty()) return {};
  return {email};
}

// A one-letter typo: a letter swapped with its neighbour, left out, doubled or replaced.
std::string WithTypo(const std::string& word, Random& random) {
  for (;;) {
    std::string w = word;
    const std::size_t at = 1 + random.Below(w.size() - 2);
    if (static_cast<unsigned char>(w[at]) >= 0x80 || static_cast<unsigned char>(w[at + 1]) >= 0x80)
      continue;
    switch (random.Below(4)) {
      case 0:
        std::swap(w[at], w[at + 1]);
        break;
      case 1:
        w.erase(at, 1);
        break;
      case 2:
        w.insert(at, 1, w[at]);
        break;
      default:
        w[at] = w[at] == 'e' ? 'a' : 'e';
        break;
    }
    if (w != word) return w;
  }
}

}  // namespace

// ---------------------------------------------------------------- the cases (true pairs)

namespace {

void Generator::Exact() {
  const Person p = UniquePerson();
  const Home h = NewHome(random_.Percent(85));
  Customer& c = AddCustomer(p, h, MaybeEmail(p), "exact");
  std::vector<Address> addresses = {Written(h, 0)};
  // Some contacts keep an older address beside the current one.
  if (random_.Percent(10)) addresses.insert(addresses.begin(), Written(HomeElsewhere(h), 0));
  Truth(c, AddContact(p, addresses, Maybe(random_.Percent(60), c.email)));
}

void Generator::OurCustomerNumber() {
  // An earlier hundeschule (or a lost link) created the contact: it carries our key. Some
  // customers married since: another last name, the same e-mail.
  const Person p = UniquePerson();
  const Home h = NewHome(true);
  const bool renamed = random_.Percent(40);
  Customer& c = AddCustomer(p, h, renamed ? NewEmail(p) : MaybeEmail(p), "customer number");
  const Person before = renamed ? UniquePerson() : p;
  SevdeskContact& k =
      AddContact({p.first, before.last},
                 random_.Percent(50) ? std::vector{Written(h, 0)} : std::vector<Address>{},
                 Maybe(renamed || random_.Percent(50), c.email));
  k.customer_number = domain::CustomerKey(c.customer_number);
  Truth(c, k);
}

void Generator::UmlautSpelling() {
  const bool sharp = random_.Percent(30);
  const Person p = sharp ? UniquePerson(kSharpS) : UniquePerson(kUmlaut);
  const Home h = NewHome(true);
  Customer& c = AddCustomer(p, h, MaybeEmail(p), "umlaut spelling");
  Person written{Transliterate(p.first), Transliterate(p.last)};
  if (random_.Percent(50)) written = {UpperAscii(written.first), UpperAscii(written.last)};
  Truth(c, AddContact(written, {Written(h, 1 + static_cast<int>(random_.Below(2)))},
                      Maybe(random_.Percent(40), c.email)));
}

void Generator::UmlautDotsDropped() {
  const Person p = UniquePerson(kUmlaut);
  const Home h = NewHome(true);
  Customer& c = AddCustomer(p, h, MaybeEmail(p), "umlaut dots dropped");
  Truth(c, AddContact({DropDots(p.first), DropDots(p.last)}, {Written(h, 2)},
                      Maybe(random_.Percent(40), c.email)));
}

void Generator::SwappedNames() {
  const Person p = UniquePerson();
  const Home h = NewHome(true);
  Customer& c = AddCustomer(p, h, MaybeEmail(p), "swapped names");
  std::vector<Address> addresses;
  if (random_.Percent(70)) addresses.push_back(Written(h, 0));
  if (random_.Percent(50)) {
    Truth(c, AddContact({p.last, p.first}, addresses, Maybe(random_.Percent(50), c.email)));
  } else {  // a bank import: an organisation named "MUELLER, ANNA" or "Müller, Anna"
    const std::string name = p.last + ", " + p.first;
    Truth(c, AddOrganisation(random_.Percent(50) ? UpperAscii(Transliterate(name)) : name,
                             addresses, Maybe(random_.Percent(30), c.email)));
  }
}

void Generator::Typo() {
  Person p = UniquePerson();
  while (p.last.size() < 5) p = UniquePerson();
  const Home h = NewHome(true);
  Customer& c = AddCustomer(p, h, MaybeEmail(p), "typo");
  Person typed = p;
  if (random_.Percent(70) || p.first.size() < 5) {
    typed.last = WithTypo(p.last, random_);
  } else {
    typed.first = WithTypo(p.first, random_);
  }
  Truth(c, AddContact(typed, {Written(h, 0)}, Maybe(random_.Percent(50), c.email)));
}

void Generator::CompanyLegalForm() {
  const std::string base = UniqueCompany();
  const Home h = NewHome(true);
  const std::string form = random_.Pick(kLegalForms);
  // One side with its legal form, the other without, or both with their own way of writing it.
  std::string ours = base + " " + form;
  std::string theirs = base;
  switch (random_.Below(4)) {
    case 0:
      std::swap(ours, theirs);
      break;
    case 1:
      theirs = base + " " + Replace(form, ".", ". ");
      break;
    case 2:
      theirs = base + " Inh. " + random_.Pick(kFemale) + " " + random_.Pick(kSurnames);
      break;
    default:
      break;
  }
  Customer& c = AddCustomer({}, h, "", "company legal form");
  c.kind = CustomerKind::kCompany;
  c.company_name = ours;
  c.contact_person = random_.Pick(kMale) + " " + random_.Pick(kSurnames);
  Truth(c, AddOrganisation(theirs, {Written(h, static_cast<int>(random_.Below(3)))}, {}));
}

void Generator::ContactWithoutAddress() {
  const Person p = UniquePerson();
  Customer& c = AddCustomer(p, NewHome(true), MaybeEmail(p), "contact without address");
  Truth(c, AddContact(p, {}, Maybe(random_.Percent(50), c.email)));
}

void Generator::OtherEmail() {
  const Person p = UniquePerson();
  const Home h = NewHome(true);
  Customer& c = AddCustomer(p, h, NewEmail(p), "other e-mail");
  Truth(c, AddContact(p, {Written(h, 0)}, {NewEmail(p)}));
}

void Generator::Moved() {
  const Person p = UniquePerson();
  const Home now = NewHome(true);
  Customer& c = AddCustomer(p, now, NewEmail(p), "moved");
  Truth(c, AddContact(p, {Written(HomeElsewhere(now), 0)}, {c.email}));
}

void Generator::DuplicateInSevdesk() {
  // The school typed the person in twice; both contacts are the customer.
  const Person p = UniquePerson();
  const Home h = NewHome(true);
  const bool identical = random_.Percent(50);
  Customer& c = AddCustomer(
      p, h, MaybeEmail(p),
      identical ? "duplicate in sevdesk (identical)" : "duplicate in sevdesk (without address)");
  Truth(c, AddContact(p, {Written(h, 0)}, Maybe(random_.Percent(50), c.email)));
  Truth(c, AddContact(p, identical ? std::vector{Written(h, 1)} : std::vector<Address>{}, {}));
}

void Generator::Initial() {
  // A bank import: "A. Mueller", with or without the address.
  const Person p = UniquePerson();
  const Home h = NewHome(true);
  Customer& c = AddCustomer(p, h, MaybeEmail(p), "initial");
  const std::string name = p.first.substr(0, 1) + ". " + p.last;
  std::vector<Address> addresses;
  if (random_.Percent(60)) addresses.push_back(Written(h, 2));
  Truth(c, AddOrganisation(random_.Percent(50) ? UpperAscii(Transliterate(name)) : name, addresses,
                           {}));
}

void Generator::NewLastName() {
  // Married since the school typed her in: the old last name, the same address and e-mail.
  const Person p = UniquePerson();
  const Home h = NewHome(true);
  Customer& c = AddCustomer(p, h, NewEmail(p), "new last name");
  Truth(c, AddContact({p.first, UniquePerson().last}, {Written(h, 0)}, {c.email}));
}

void Generator::TypoWithoutAddress() {
  Person p = UniquePerson();
  while (p.last.size() < 5) p = UniquePerson();
  Customer& c = AddCustomer(p, NewHome(true), MaybeEmail(p), "typo, contact without address");
  Truth(c, AddContact({p.first, WithTypo(p.last, random_)}, {}, {}));
}

void Generator::MiddleName() {
  const Person p = UniquePerson();
  const Home h = NewHome(true);
  const std::string second = p.first == "Anna" ? "Maria" : "Anna";
  Customer& c = AddCustomer(p, h, MaybeEmail(p), "middle name");
  Truth(c, AddContact({p.first + " " + second, p.last}, {Written(h, 0)}, {}));
}

}  // namespace

// ---------------------------------------------------------------- the traps (no true pair)

namespace {

void Generator::New() {
  const Person p = UniquePerson();
  AddCustomer(p, NewHome(random_.Percent(85)), MaybeEmail(p), "new");
}

void Generator::NamesakeElsewhere() {
  // Another person of the same name in another town, with an e-mail of their own.
  const Person p = UniquePerson();
  const Home h = NewHome(true);
  AddCustomer(p, h, MaybeEmail(p), "namesake elsewhere");
  AddContact(p, {Written(HomeElsewhere(h), 0)}, Maybe(random_.Percent(50), NewEmail(p)));
}

void Generator::FamilyEmail() {
  // Anna has the contact; Peter, her husband, shares the family's e-mail and address. Every other
  // time Anna is a customer too.
  const Person anna = UniquePerson();
  Person peter{random_.Pick(kMale), anna.last};
  while (!Claim(NameKey(peter.first + " " + peter.last))) peter.first = random_.Pick(kMale);
  const Home h = NewHome(true);
  const std::string family = NewEmail({"familie", anna.last});
  SevdeskContact& k = AddContact(anna, {Written(h, 0)}, {family});
  const std::string contact_id = k.id;
  if (fixture_.customers.size() + 2 <= wanted_ && random_.Percent(50)) {
    fixture_.truth[AddCustomer(anna, h, family, "family e-mail (in sevdesk)").id].push_back(
        contact_id);
  }
  AddCustomer(peter, h, family, "family e-mail (other member)");
}

void Generator::SameNameSameHouse() {
  // Father and son of one name in one house, each with his own e-mail; the father is in sevdesk.
  const Person p = UniquePerson(kSurnames, kMale);
  const Home h = NewHome(true);
  AddCustomer(p, h, NewEmail(p), "same name in the same house");
  AddContact(p, {Written(h, 0)}, {NewEmail(p)});
}

void Generator::SimilarNeighbour() {
  // "Anne Schmidt" two streets from "Anna Schmidt": another person, same postal code.
  Person p = UniquePerson();
  while (p.last.size() < 5) p = UniquePerson();
  const Home h = NewHome(true);
  AddCustomer(p, h, MaybeEmail(p), "similar neighbour");
  Home next = h;
  next.street = random_.Pick(kStreets);
  if (next.street == h.street) next.number += 7;
  Person neighbour{p.first, WithTypo(p.last, random_)};
  Claim(NameKey(neighbour.first + " " + neighbour.last));
  AddContact(neighbour, {Written(next, 0)}, {NewEmail(neighbour)});
}

void Generator::NamesakeCustomers() {
  // Two customers of the same name in two towns; only one is in sevdesk.
  const Person p = UniquePerson();
  const Home here = NewHome(true);
  Customer& c = AddCustomer(p, here, MaybeEmail(p), "namesake customers (in sevdesk)");
  Truth(c, AddContact(p, {Written(here, 0)}, Maybe(random_.Percent(50), c.email)));
  if (fixture_.customers.size() < wanted_) {
    AddCustomer(p, HomeElsewhere(here), MaybeEmail(p), "namesake customers (not in sevdesk)");
  }
}

void Generator::Filler() {
  // The rest of the school's accounting: other customers, suppliers, the vet, the tax office.
  std::vector<Address> addresses;
  if (random_.Percent(85)) addresses.push_back(Written(NewHome(random_.Percent(60)), 0));
  if (random_.Percent(35)) {
    const std::string name = UniqueCompany();
    const std::string form = random_.Percent(60) ? " " + random_.Pick(kLegalForms) : "";
    const std::string email = "info@" + LowerAscii(Transliterate(Replace(name, " ", "-"))) + ".de";
    AddOrganisation(name + form, addresses, Maybe(random_.Percent(50), email));
    return;
  }
  const Person p = UniquePerson();
  AddContact(p, addresses, Maybe(random_.Percent(50), NewEmail(p)));
}

ContactFixture Generator::Make(std::size_t contacts) {
  struct Case {
    void (Generator::*make)();
    int per_mille;
  };
  const std::array<Case, 20> cases = {{{&Generator::Exact, 110},
                                       {&Generator::Initial, 15},
                                       {&Generator::NewLastName, 10},
                                       {&Generator::TypoWithoutAddress, 15},
                                       {&Generator::OurCustomerNumber, 40},
                                       {&Generator::UmlautSpelling, 80},
                                       {&Generator::UmlautDotsDropped, 30},
                                       {&Generator::SwappedNames, 50},
                                       {&Generator::Typo, 60},
                                       {&Generator::CompanyLegalForm, 60},
                                       {&Generator::ContactWithoutAddress, 60},
                                       {&Generator::OtherEmail, 30},
                                       {&Generator::Moved, 20},
                                       {&Generator::DuplicateInSevdesk, 40},
                                       {&Generator::MiddleName, 20},
                                       {&Generator::NamesakeElsewhere, 80},
                                       {&Generator::FamilyEmail, 50},
                                       {&Generator::SimilarNeighbour, 40},
                                       {&Generator::SameNameSameHouse, 15},
                                       {&Generator::NamesakeCustomers, 30}}};
  for (const auto& c : cases) {
    const std::size_t until =
        fixture_.customers.size() + wanted_ * static_cast<std::size_t>(c.per_mille) / 1000;
    while (fixture_.customers.size() < std::min(until, wanted_)) (this->*c.make)();
  }
  while (fixture_.customers.size() < wanted_) New();
  while (fixture_.contacts.size() < contacts) Filler();
  // sevdesk lists contacts in its own order, not ours.
  for (std::size_t i = fixture_.contacts.size(); i > 1; --i) {
    std::swap(fixture_.contacts[i - 1], fixture_.contacts[random_.Below(i)]);
  }
  return std::move(fixture_);
}

}  // namespace

ContactFixture MakeContactFixture(std::size_t customers, std::size_t contacts, std::uint64_t seed) {
  return Generator(seed, customers).Make(contacts);
}

// ---------------------------------------------------------------- scoring and the baseline

double FixtureScore::RecallPercent() const {
  if (true_pairs == 0) return 100;
  return 100.0 * static_cast<double>(true_auto_links + ranked_first) /
         static_cast<double>(true_pairs);
}

FixtureScore ScoreDecisions(const ContactFixture& fixture,
                            const std::vector<domain::MatchDecision>& decisions) {
  FixtureScore s;
  for (const auto& d : decisions) {
    const auto& truth = fixture.truth.at(d.customer_id);
    auto is_true = [&](const std::string& id) {
      return std::find(truth.begin(), truth.end(), id) != truth.end();
    };
    CaseScore& c = s.by_case[fixture.case_of.at(d.customer_id)];
    ++s.customers, ++c.customers;
    s.true_pairs += truth.empty() ? 0 : 1;
    switch (d.kind) {
      case domain::DecisionKind::kAutoLink:
        ++s.auto_links, ++c.auto_links;
        if (is_true(d.contact_id)) ++s.true_auto_links;
        if (!is_true(d.contact_id)) ++s.wrong_auto_links, ++c.wrong_auto_links;
        break;
      case domain::DecisionKind::kReview:
        ++s.review, ++c.review;
        if (!d.candidates.empty() && is_true(d.candidates[0].contact_id)) {
          ++s.ranked_first, ++c.ranked_first;
        }
        break;
      case domain::DecisionKind::kCreateNew:
        ++s.create_new, ++c.create_new;
        s.duplicates_created += truth.empty() ? 0 : 1;
        break;
    }
  }
  return s;
}

std::vector<domain::MatchDecision> NaiveExactNameMatch(
    const std::vector<domain::Customer>& customers,
    const std::vector<domain::SevdeskContact>& contacts) {
  std::vector<domain::MatchDecision> out;
  for (const auto& c : customers) {
    domain::MatchDecision d;
    d.customer_id = c.id;
    for (const auto& k : contacts) {
      const bool same =
          c.kind == CustomerKind::kCompany
              ? k.organisation && k.name == c.company_name
              : !k.organisation && k.first_name == c.first_name && k.last_name == c.last_name;
      if (!same) continue;
      d.kind = domain::DecisionKind::kAutoLink;
      d.contact_id = k.id;
      d.candidates.push_back({k.id, 100, true, {domain::Evidence::kSameName}});
      break;
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace hs::fixture
