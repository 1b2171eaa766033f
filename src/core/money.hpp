#pragma once
// Money is integer cents; quantities are integer thousandths (3 decimals). The one rounding rule
// of the product lives here: half away from zero on the exact rational value.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hs {

using Cents = std::int64_t;
using Milli = std::int64_t;  // quantity * 1000

// round(numerator / denominator), half away from zero; denominator > 0.
std::int64_t RoundDiv(std::int64_t numerator, std::int64_t denominator);

// Parses "1.5", "2", "0.125", "-1" (dot or comma as decimal separator) into thousandths.
// Rejects more than 3 decimals, empty strings, and values beyond +-1e9.
std::optional<Milli> ParseQuantity(std::string_view text);
std::string FormatQuantity(Milli quantity);    // "1.5", "2", "0.125" (API form)
std::string FormatQuantityDe(Milli quantity);  // "1,5", "2", "0,125"

// "1.234,56 €" / "-12,00 €"
std::string FormatEuroDe(Cents cents);
// "1234.56" (plain decimal, for sevdesk and machine formats)
std::string FormatDecimal(Cents cents);

}  // namespace hs
