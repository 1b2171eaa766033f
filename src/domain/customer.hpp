#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "core/result.hpp"
#include "domain/school.hpp"

namespace hs::domain {

enum class CustomerKind { kPerson, kCompany };
std::string ToString(CustomerKind kind);  // "person" | "company"
std::optional<CustomerKind> ParseCustomerKind(std::string_view text);

struct Dog {
  std::string name;
  std::string breed;
};

struct Customer {
  std::int64_t id = 0;
  std::int64_t school_id = 0;
  std::int64_t customer_number = 0;  // sequential per school
  CustomerKind kind = CustomerKind::kPerson;
  std::string salutation;  // "Frau", "Herr", "" ...
  std::string first_name;
  std::string last_name;
  std::string company_name;
  std::string contact_person;
  Address address;
  std::string email;
  std::string phone;
  std::vector<Dog> dogs;
  std::string notes;
  std::int64_t version = 1;  // incremented on every change
  Instant created_at{};
  Instant updated_at{};

  // "Erika Mustermann" or the company name.
  std::string DisplayName() const;
};

Status ValidateCustomer(const Customer& customer);

}  // namespace hs::domain
