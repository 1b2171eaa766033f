#pragma once
// The school every benchmark renders and stores: a full letterhead (tax number, VAT id, bank), so
// PDF and finalize figures include every block the real invoice has.
#include "domain/school.hpp"

namespace hs::bench {

inline domain::School SampleSchool() {
  domain::School school;
  school.name = "Hundeschule Pfotenglück";
  school.address = {"Wiesenweg 3", "79098", "Freiburg im Breisgau", "DE"};
  school.email = "info@pfotenglueck.example";
  school.phone = "0761 123456";
  school.tax_number = "07/123/45678";
  school.vat_id = "DE123456789";
  school.iban = "DE89370400440532013000";
  school.bic = "COBADEFFXXX";
  school.bank_name = "Commerzbank Freiburg";
  return school;
}

}  // namespace hs::bench
