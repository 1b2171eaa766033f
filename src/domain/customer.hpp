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

// Which e-invoice (E-Rechnung, issue 17) the customer receives with each finalized invoice.
enum class EInvoiceKind { kNone, kZugferd, kXRechnung };
std::string ToString(EInvoiceKind kind);  // "none" | "zugferd" | "xrechnung"
std::optional<EInvoiceKind> ParseEInvoiceKind(std::string_view text);

// A Leitweg-ID (KoSIT "Formatspezifikation Leitweg-ID" 2.0): a coarse address of 2 to 12 digits,
// optionally a fine address of 1 to 30 letters and digits, and two check digits, joined by
// hyphens ("04011000-1234512345-06"). The check digits follow ISO/IEC 7064 Modulo 97-10 over the
// whole ID without hyphens, letters counting 10..35 (case-insensitive): the remainder must be 1.
bool IsValidLeitwegId(std::string_view id);
// A USt-IdNr.: a German one is DE and nine digits; others two capital letters and 2..13 capital
// letters or digits (the formats differ per EU state and are not checked further).
bool IsValidVatId(std::string_view vat_id);

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
  EInvoiceKind e_invoice = EInvoiceKind::kNone;
  bool public_authority = false;  // Behörde: XRechnung with a Leitweg-ID is mandatory
  std::string buyer_reference;    // BT-10; an authority's Leitweg-ID
  std::string vat_id;             // USt-IdNr. of the customer (BT-48)
  std::int64_t version = 1;       // incremented on every change
  Instant created_at{};
  Instant updated_at{};

  // "Erika Mustermann" or the company name.
  std::string DisplayName() const;
};

Status ValidateCustomer(const Customer& customer);

}  // namespace hs::domain
