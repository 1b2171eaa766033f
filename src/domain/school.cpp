#include "domain/school.hpp"

#include <initializer_list>
#include <utility>

#include "core/text.hpp"
#include "domain/numbering.hpp"

namespace hs::domain {

std::string ToString(TaxMode mode) {
  return mode == TaxMode::kKleinunternehmer ? "kleinunternehmer" : "regular";
}
std::optional<TaxMode> ParseTaxMode(std::string_view text) {
  if (text == "regular") return TaxMode::kRegular;
  if (text == "kleinunternehmer") return TaxMode::kKleinunternehmer;
  return std::nullopt;
}
std::string ToString(PriceEntry entry) {
  return entry == PriceEntry::kGross ? "gross" : "net";
}
std::optional<PriceEntry> ParsePriceEntry(std::string_view text) {
  if (text == "net") return PriceEntry::kNet;
  if (text == "gross") return PriceEntry::kGross;
  return std::nullopt;
}

namespace {
bool IsUpperAlpha2(const std::string& s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}
void CheckLength(const std::string& value, std::size_t max, const std::string& field,
                 std::vector<FieldError>& errors) {
  if (value.size() > max) {
    errors.push_back({field, "Höchstens " + std::to_string(max) + " Zeichen."});
  }
}
bool IsUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsUpperAlnum(char c) {
  return IsUpper(c) || IsDigit(c);
}

// IBAN lengths by country (SWIFT IBAN registry).
struct IbanLength {
  const char* country;
  std::size_t length;
};
constexpr IbanLength kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
    {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SC", 31},
    {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}};

bool IbanLengthFits(std::string_view iban) {
  for (const auto& entry : kIbanLengths) {
    if (iban.substr(0, 2) == entry.country) return iban.size() == entry.length;
  }
  return iban.size() >= 15 && iban.size() <= 34;
}

// The IBAN rotated by four characters, letters as 10..35, modulo 97 (ISO 7064 MOD 97-10).
int IbanRemainder(std::string_view iban) {
  int remainder = 0;
  for (std::size_t i = 0; i < iban.size(); ++i) {
    const char c = iban[(i + 4) % iban.size()];
    if (IsDigit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return remainder;
}

}  // namespace

bool IsValidIban(std::string_view iban) {
  if (iban.size() < 5 || !IsUpper(iban[0]) || !IsUpper(iban[1]) || !IsDigit(iban[2]) ||
      !IsDigit(iban[3])) {
    return false;
  }
  for (char c : iban) {
    if (!IsUpperAlnum(c)) return false;
  }
  return IbanLengthFits(iban) && IbanRemainder(iban) == 1;
}

bool IsValidBic(std::string_view bic) {
  if (bic.size() != 8 && bic.size() != 11) return false;
  for (std::size_t i = 0; i < bic.size(); ++i) {
    if (i < 6 ? !IsUpper(bic[i]) : !IsUpperAlnum(bic[i])) return false;
  }
  return true;
}

Status ValidateAddress(const Address& address, const std::string& prefix,
                       std::vector<FieldError>& errors) {
  CheckLength(address.street, 200, prefix + "street", errors);
  CheckLength(address.zip, 20, prefix + "zip", errors);
  CheckLength(address.city, 100, prefix + "city", errors);
  CheckTextInput(address.street, TextShape::kSingleLine, prefix + "street", errors);
  CheckTextInput(address.zip, TextShape::kSingleLine, prefix + "zip", errors);
  CheckTextInput(address.city, TextShape::kSingleLine, prefix + "city", errors);
  if (!IsUpperAlpha2(address.country)) {
    errors.push_back({prefix + "country", "Ländercode mit zwei Großbuchstaben, z. B. DE."});
  }
  if (address.country == "DE" && !address.zip.empty()) {
    bool five_digits = address.zip.size() == 5;
    for (char c : address.zip) five_digits = five_digits && c >= '0' && c <= '9';
    if (!five_digits) errors.push_back({prefix + "zip", "Eine deutsche PLZ hat fünf Ziffern."});
  }
  return {};
}

Status ValidateSchool(const School& school) {
  std::vector<FieldError> errors;
  if (Trim(school.name).empty()) errors.push_back({"name", "Bitte einen Namen angeben."});
  CheckLength(school.name, 200, "name", errors);
  (void)ValidateAddress(school.address, "address.", errors);
  CheckLength(school.email, 200, "email", errors);
  if (!school.email.empty() && school.email.find('@') == std::string::npos) {
    errors.push_back({"email", "Bitte eine gültige E-Mail-Adresse angeben."});
  }
  CheckLength(school.phone, 50, "phone", errors);
  CheckLength(school.contact_name, 200, "contact_name", errors);
  CheckLength(school.tax_number, 50, "tax_number", errors);
  CheckLength(school.vat_id, 20, "vat_id", errors);
  if (!school.vat_id.empty() && !IsUpperAlpha2(school.vat_id.substr(0, 2))) {
    errors.push_back({"vat_id", "Die USt-IdNr beginnt mit dem Ländercode, z. B. DE123456789."});
  }
  CheckLength(school.iban, 34, "iban", errors);
  CheckLength(school.bic, 11, "bic", errors);
  CheckLength(school.bank_name, 100, "bank_name", errors);
  for (const auto& [value, field] :
       std::initializer_list<std::pair<const std::string*, const char*>>{
           {&school.name, "name"},
           {&school.email, "email"},
           {&school.phone, "phone"},
           {&school.contact_name, "contact_name"},
           {&school.tax_number, "tax_number"},
           {&school.vat_id, "vat_id"},
           {&school.iban, "iban"},
           {&school.bic, "bic"},
           {&school.bank_name, "bank_name"},
           {&school.invoice_number_format, "invoice_number_format"}}) {
    CheckTextInput(*value, TextShape::kSingleLine, field, errors);
  }
  if (!school.iban.empty() && !IsValidIban(school.iban)) {
    errors.push_back({"iban",
                      "Die IBAN ist ungültig: Länge oder Prüfziffer stimmen nicht. Bitte die IBAN "
                      "von der Bankkarte oder dem Kontoauszug abschreiben."});
  }
  if (!school.bic.empty() && !IsValidBic(school.bic)) {
    errors.push_back({"bic", "Die BIC ist ungültig: 8 oder 11 Zeichen, z. B. COBADEFFXXX."});
  }
  if (auto st = ValidateNumberFormat(school.invoice_number_format); !st) {
    errors.push_back({"invoice_number_format", st.error().message});
  }
  if (school.payment_term_days < 0 || school.payment_term_days > 365) {
    errors.push_back({"payment_term_days", "Zahlungsziel zwischen 0 und 365 Tagen."});
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return {};
}

}  // namespace hs::domain
