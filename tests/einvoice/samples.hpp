#pragma once
// Finalized invoices of every kind the e-invoice generator must handle, shared by the unit test
// and the validation with the official rules (einvoice_validation_test.cpp).
#include <string>
#include <vector>

#include "domain/invoice.hpp"
#include "domain/school.hpp"
#include "einvoice/cii.hpp"

namespace hs::einvoice::testing {

domain::School RegularSchool();           // USt-IdNr and Steuernummer
domain::School KleinunternehmerSchool();  // Steuernummer only

domain::InvoiceLine Line(std::string text, Milli quantity, std::string unit, Cents price, int rate);
// Number, status, snapshot and totals as finalization sets them.
domain::Invoice Finalized(std::vector<domain::InvoiceLine> lines, domain::PriceEntry entry,
                          std::string number);

struct Sample {
  std::string name;  // file name without .xml
  domain::Invoice invoice;
  domain::School school;
  Options options;
};

std::vector<Sample> AllSamples();

}  // namespace hs::einvoice::testing
