#pragma once
// Sample data for the demo school, created through the real use cases.
#include <cstdint>
#include <string>

#include "app/services.hpp"

namespace hs::app {

struct DemoSettings {
  std::string school_name = "Hundeschule Pfotenglück";
  std::string owner_email = "demo@hundeschule.example";
  std::string owner_password = "demo-passwort";
  int customers = 30;
  int invoices = 120;
  int cancellations = 4;
  int expenses = 12;
  std::uint64_t seed = 42;
};

struct DemoResult {
  std::int64_t school_id = 0;
  int customers = 0;
  int invoices = 0;
  int cancellations = 0;
  int expenses = 0;
};

Result<DemoResult> CreateDemoSchool(SchoolService& schools, CustomerService& customers,
                                    InvoiceService& invoices, ReceiptService& receipts,
                                    const Clock& clock, const DemoSettings& settings);

// A small valid one-page PDF with the given text line (used for sample expense receipts).
std::string MinimalPdf(const std::string& text);

}  // namespace hs::app
