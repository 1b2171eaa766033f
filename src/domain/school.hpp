#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace hs::domain {

enum class TaxMode { kRegular, kKleinunternehmer };
enum class PriceEntry { kNet, kGross };

std::string ToString(TaxMode mode);  // "regular" | "kleinunternehmer"
std::optional<TaxMode> ParseTaxMode(std::string_view text);
std::string ToString(PriceEntry entry);  // "net" | "gross"
std::optional<PriceEntry> ParsePriceEntry(std::string_view text);

struct Address {
  std::string street;
  std::string zip;
  std::string city;
  std::string country = "DE";  // ISO 3166-1 alpha-2

  bool operator==(const Address&) const = default;
};

// The tenant.
struct School {
  std::int64_t id = 0;
  std::string name;
  Address address;
  std::string email;
  std::string phone;
  std::string contact_name;  // Ansprechpartner (XRechnung BT-41, BR-DE-5)
  std::string tax_number;    // Steuernummer
  std::string vat_id;        // USt-IdNr
  std::string iban;
  std::string bic;
  std::string bank_name;
  TaxMode tax_mode = TaxMode::kRegular;
  std::string invoice_number_format = "RE-{YYYY}-{NNNN}";
  int payment_term_days = 14;
  PriceEntry price_entry = PriceEntry::kNet;

  bool operator==(const School&) const = default;
};

// ISO 13616: two capital letters, two check digits, an alphanumeric account part of the
// country's length (the known countries of the IBAN registry; 15..34 characters for others) and
// the mod-97 check. Expects the compact form (no spaces, upper case).
bool IsValidIban(std::string_view iban);
// ISO 9362: 4 letters (bank), 2 letters (country), 2 letters/digits (location), optionally 3
// letters/digits (branch). Expects upper case without spaces.
bool IsValidBic(std::string_view bic);

// Field-level validation of school settings (used by PATCH /settings/school and tenant create).
Status ValidateSchool(const School& school);
Status ValidateAddress(const Address& address, const std::string& prefix,
                       std::vector<FieldError>& errors);

}  // namespace hs::domain
