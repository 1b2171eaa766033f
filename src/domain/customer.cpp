#include "domain/customer.hpp"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "core/text.hpp"

namespace hs::domain {

std::string ToString(CustomerKind kind) {
  return kind == CustomerKind::kCompany ? "company" : "person";
}
std::optional<CustomerKind> ParseCustomerKind(std::string_view text) {
  if (text == "person") return CustomerKind::kPerson;
  if (text == "company") return CustomerKind::kCompany;
  return std::nullopt;
}

std::string ToString(EInvoiceKind kind) {
  switch (kind) {
    case EInvoiceKind::kZugferd:
      return "zugferd";
    case EInvoiceKind::kXRechnung:
      return "xrechnung";
    case EInvoiceKind::kNone:
      break;
  }
  return "none";
}
std::optional<EInvoiceKind> ParseEInvoiceKind(std::string_view text) {
  if (text == "none") return EInvoiceKind::kNone;
  if (text == "zugferd") return EInvoiceKind::kZugferd;
  if (text == "xrechnung") return EInvoiceKind::kXRechnung;
  return std::nullopt;
}

namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsUpperLetter(char c) {
  return c >= 'A' && c <= 'Z';
}
char Upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
bool IsAlnum(char c) {
  return IsDigit(c) || IsUpperLetter(Upper(c));
}

std::vector<std::string_view> SplitHyphens(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t pos = text.find('-'); pos != std::string_view::npos;
       pos = text.find('-', start)) {
    parts.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

// ISO/IEC 7064 MOD 97-10: digits as they are, letters as 10..35, the whole number mod 97.
int Mod97(std::string_view alnum) {
  int rest = 0;
  auto add_digit = [&](int digit) { rest = (rest * 10 + digit) % 97; };
  for (char c : alnum) {
    if (c == '-') continue;
    if (IsDigit(c)) {
      add_digit(c - '0');
    } else {
      const int value = Upper(c) - 'A' + 10;
      add_digit(value / 10);
      add_digit(value % 10);
    }
  }
  return rest;
}

}  // namespace

bool IsValidLeitwegId(std::string_view id) {
  if (id.size() > 46) return false;
  const auto parts = SplitHyphens(id);
  if (parts.size() != 2 && parts.size() != 3) return false;
  const auto coarse = parts.front();
  const auto check = parts.back();
  if (coarse.size() < 2 || coarse.size() > 12 || !std::ranges::all_of(coarse, IsDigit)) {
    return false;
  }
  if (check.size() != 2 || !std::ranges::all_of(check, IsDigit)) return false;
  if (parts.size() == 3) {
    const auto fine = parts[1];
    if (fine.empty() || fine.size() > 30 || !std::ranges::all_of(fine, IsAlnum)) return false;
  }
  return Mod97(id) == 1;
}

bool IsValidVatId(std::string_view vat_id) {
  if (vat_id.size() < 4 || !IsUpperLetter(vat_id[0]) || !IsUpperLetter(vat_id[1])) return false;
  const auto rest = vat_id.substr(2);
  if (vat_id.starts_with("DE")) return rest.size() == 9 && std::ranges::all_of(rest, IsDigit);
  return rest.size() <= 13 &&
         std::ranges::all_of(rest, [](char c) { return IsDigit(c) || IsUpperLetter(c); });
}

std::string Customer::DisplayName() const {
  if (kind == CustomerKind::kCompany) return company_name;
  if (first_name.empty()) return last_name;
  return first_name + " " + last_name;
}

namespace {

// No control characters: one line each, the notes may break lines.
void CheckCustomerTexts(const Customer& c, std::vector<FieldError>& errors) {
  for (const auto& [value, field] :
       std::initializer_list<std::pair<const std::string*, const char*>>{
           {&c.salutation, "salutation"},
           {&c.first_name, "first_name"},
           {&c.last_name, "last_name"},
           {&c.company_name, "company_name"},
           {&c.contact_person, "contact_person"},
           {&c.email, "email"},
           {&c.phone, "phone"},
           {&c.buyer_reference, "buyer_reference"},
           {&c.vat_id, "vat_id"}}) {
    CheckTextInput(*value, TextShape::kSingleLine, field, errors);
  }
  CheckTextInput(c.notes, TextShape::kMultiLine, "notes", errors);
  for (std::size_t i = 0; i < c.dogs.size(); ++i) {
    const std::string prefix = "dogs[" + std::to_string(i) + "].";
    CheckTextInput(c.dogs[i].name, TextShape::kSingleLine, prefix + "name", errors);
    CheckTextInput(c.dogs[i].breed, TextShape::kSingleLine, prefix + "breed", errors);
  }
}

// The e-invoice rules (issue 17): an authority receives XRechnung with its Leitweg-ID; an
// XRechnung goes to an e-mail address (BT-49) and needs a buyer reference (BT-10).
void CheckEInvoice(const Customer& c, std::vector<FieldError>& errors) {
  if (!c.vat_id.empty() && !IsValidVatId(c.vat_id)) {
    errors.push_back({"vat_id",
                      "Die USt-IdNr. ist ungültig: Ländercode und Nummer, eine deutsche ist DE "
                      "und neun Ziffern, z. B. DE123456789."});
  }
  if (c.public_authority) {
    if (c.kind != CustomerKind::kCompany) {
      errors.push_back(
          {"kind", "Eine Behörde bitte als Firma/Organisation anlegen (mit ihrem Namen)."});
    }
    if (c.e_invoice != EInvoiceKind::kXRechnung) {
      errors.push_back({"e_invoice", "Behörden erhalten Rechnungen als XRechnung."});
    }
    if (Trim(c.buyer_reference).empty()) {
      errors.push_back({"buyer_reference", "Bitte die Leitweg-ID der Behörde angeben."});
    } else if (!IsValidLeitwegId(c.buyer_reference)) {
      errors.push_back({"buyer_reference",
                        "Die Leitweg-ID ist ungültig: Ziffern, optional Feinadressierung und "
                        "zwei Prüfziffern mit Bindestrichen, z. B. 04011000-1234512345-06; "
                        "bitte die Prüfziffern kontrollieren."});
    }
  } else if (c.e_invoice == EInvoiceKind::kXRechnung && Trim(c.buyer_reference).empty()) {
    errors.push_back(
        {"buyer_reference", "Eine XRechnung braucht eine Käuferreferenz (z. B. die Leitweg-ID)."});
  }
  if (c.e_invoice == EInvoiceKind::kXRechnung && Trim(c.email).empty()) {
    errors.push_back({"email", "Eine XRechnung braucht die E-Mail-Adresse des Kunden."});
  }
}

}  // namespace

Status ValidateCustomer(const Customer& c) {
  std::vector<FieldError> errors;
  auto check_len = [&](const std::string& v, std::size_t max, const char* field) {
    if (v.size() > max) errors.push_back({field, "Höchstens " + std::to_string(max) + " Zeichen."});
  };
  if (c.kind == CustomerKind::kPerson) {
    if (Trim(c.last_name).empty())
      errors.push_back({"last_name", "Bitte einen Nachnamen angeben."});
  } else {
    if (Trim(c.company_name).empty()) {
      errors.push_back({"company_name", "Bitte einen Firmennamen angeben."});
    }
  }
  check_len(c.salutation, 30, "salutation");
  check_len(c.first_name, 100, "first_name");
  check_len(c.last_name, 100, "last_name");
  check_len(c.company_name, 200, "company_name");
  check_len(c.contact_person, 200, "contact_person");
  check_len(c.email, 200, "email");
  check_len(c.phone, 50, "phone");
  check_len(c.notes, 5000, "notes");
  check_len(c.buyer_reference, 100, "buyer_reference");
  check_len(c.vat_id, 20, "vat_id");
  if (!c.email.empty()) {
    const auto at = c.email.find('@');
    if (at == std::string::npos || at == 0 || c.email.find('.', at) == std::string::npos ||
        c.email.find(' ') != std::string::npos) {
      errors.push_back({"email", "Bitte eine gültige E-Mail-Adresse angeben."});
    }
  }
  CheckCustomerTexts(c, errors);
  CheckEInvoice(c, errors);
  (void)ValidateAddress(c.address, "address.", errors);
  if (c.dogs.size() > 50) errors.push_back({"dogs", "Höchstens 50 Hunde."});
  for (std::size_t i = 0; i < c.dogs.size(); ++i) {
    const std::string prefix = "dogs[" + std::to_string(i) + "].";
    if (Trim(c.dogs[i].name).empty()) {
      errors.push_back({prefix + "name", "Bitte den Namen des Hundes angeben."});
    }
    if (c.dogs[i].name.size() > 100) errors.push_back({prefix + "name", "Höchstens 100 Zeichen."});
    if (c.dogs[i].breed.size() > 100) {
      errors.push_back({prefix + "breed", "Höchstens 100 Zeichen."});
    }
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return {};
}

}  // namespace hs::domain
