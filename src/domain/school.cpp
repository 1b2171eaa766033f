#include "domain/school.hpp"

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
}  // namespace

Status ValidateAddress(const Address& address, const std::string& prefix,
                       std::vector<FieldError>& errors) {
  CheckLength(address.street, 200, prefix + "street", errors);
  CheckLength(address.zip, 20, prefix + "zip", errors);
  CheckLength(address.city, 100, prefix + "city", errors);
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
  CheckLength(school.tax_number, 50, "tax_number", errors);
  CheckLength(school.vat_id, 20, "vat_id", errors);
  if (!school.vat_id.empty() && !IsUpperAlpha2(school.vat_id.substr(0, 2))) {
    errors.push_back({"vat_id", "Die USt-IdNr beginnt mit dem Ländercode, z. B. DE123456789."});
  }
  CheckLength(school.iban, 34, "iban", errors);
  CheckLength(school.bic, 11, "bic", errors);
  CheckLength(school.bank_name, 100, "bank_name", errors);
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
