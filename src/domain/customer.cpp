#include "domain/customer.hpp"

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
           {&c.phone, "phone"}}) {
    CheckTextInput(*value, TextShape::kSingleLine, field, errors);
  }
  CheckTextInput(c.notes, TextShape::kMultiLine, "notes", errors);
  for (std::size_t i = 0; i < c.dogs.size(); ++i) {
    const std::string prefix = "dogs[" + std::to_string(i) + "].";
    CheckTextInput(c.dogs[i].name, TextShape::kSingleLine, prefix + "name", errors);
    CheckTextInput(c.dogs[i].breed, TextShape::kSingleLine, prefix + "breed", errors);
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
  if (!c.email.empty()) {
    const auto at = c.email.find('@');
    if (at == std::string::npos || at == 0 || c.email.find('.', at) == std::string::npos ||
        c.email.find(' ') != std::string::npos) {
      errors.push_back({"email", "Bitte eine gültige E-Mail-Adresse angeben."});
    }
  }
  CheckCustomerTexts(c, errors);
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
