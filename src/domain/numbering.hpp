#pragma once
// Invoice numbers: a format with placeholders, gapless sequence per school and year.
//   {YYYY} four-digit year, {YY} two-digit year, {N...} the sequence zero-padded to the count of
//   N (at least one), e.g. "RE-{YYYY}-{NNNN}" -> "RE-2026-0001".
// A valid format has exactly one sequence placeholder and at least one year placeholder: the
// sequence restarts every year, so only the year keeps the numbers of different years apart.
// With one variable-width part (the sequence) between fixed-width ones, the number determines
// year and sequence, so the numbers of one format are unique ({YY}: within a century).
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace hs::domain {

Status ValidateNumberFormat(const std::string& format);
std::string FormatInvoiceNumber(const std::string& format, int year, std::int64_t sequence);

}  // namespace hs::domain
