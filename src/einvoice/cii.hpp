#pragma once
// E-invoices (issue 17): the UN/CEFACT Cross Industry Invoice (CII D16B) XML of a finalized
// invoice, in the EN 16931 profile (ZUGFeRD / Factur-X "EN 16931") or as XRechnung 3.0 for
// public authorities. docs/e-invoice.md says what is written and how the test suite validates
// it with the official rules.
//
// Pure: the same invoice, school and options give the same bytes. Data the rules require but
// the school or the customer did not give is refused with a German message naming the missing
// field; the generator never writes an invoice that a validator would reject.
#include <string>

#include "core/result.hpp"
#include "domain/invoice.hpp"
#include "domain/school.hpp"

namespace hs::einvoice {

enum class Profile {
  kEn16931,    // urn:cen.eu:en16931:2017
  kXRechnung,  // urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0
};

inline constexpr const char* kEn16931Guideline = "urn:cen.eu:en16931:2017";
inline constexpr const char* kXRechnungGuideline =
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0";

// The German exemption reason written for a Kleinunternehmer (BT-120). There is no VATEX code
// for § 19 UStG (the VATEX list names EU directive articles), so no BT-121 is written.
inline constexpr const char* kKleinunternehmerReason = "Kleinunternehmer gemäß § 19 UStG";

struct Options {
  Profile profile = Profile::kEn16931;
  // BT-10, the buyer reference; for an authority its Leitweg-ID. Required for XRechnung.
  std::string buyer_reference;
  // BT-41, the seller's contact person; the finalization passes School::contact_name. Required
  // for XRechnung (BR-DE-5).
  std::string seller_contact_name;
};

// The CII XML (UTF-8) of a finalized invoice or cancellation. kInvalidArgument with one
// FieldError per missing or unusable field ("school.phone", "customer.address.zip", ...);
// kInternal when the stored totals do not match the lines.
Result<std::string> GenerateCii(const domain::Invoice& invoice, const domain::School& school,
                                const Options& options);

// What the school's settings lack for an e-invoice of this profile (the school checks of
// GenerateCii, with the school's contact_name as the seller contact), named by the settings'
// fields ("phone", "address.zip", "contact_name"). Empty when nothing is missing.
std::vector<FieldError> MissingSchoolData(const domain::School& school, Profile profile);

// UN/ECE Recommendation 20 unit code for the product's free-text units ("Stunde" -> HUR, ...);
// C62 ("one") for anything unknown, which is always valid.
std::string UnitCode(std::string_view unit);

// "12.50", "-0.05": cents as a plain decimal with two digits.
std::string FormatAmount(Cents cents);
// A price in 1/10000 euro with at least two and at most four decimals: "12.50", "8.4034".
std::string FormatPrice(std::int64_t ten_thousandths);

}  // namespace hs::einvoice
