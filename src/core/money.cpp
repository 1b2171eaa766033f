#include "core/money.hpp"

#include <cstdlib>

namespace hs {

std::int64_t RoundDiv(std::int64_t numerator, std::int64_t denominator) {
  const std::int64_t q = numerator / denominator;
  const std::int64_t r = numerator % denominator;
  if (2 * std::llabs(r) >= denominator) return numerator < 0 ? q - 1 : q + 1;
  return q;
}

std::optional<Milli> ParseQuantity(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (text[0] == '-') {
    negative = true;
    i = 1;
  }
  std::int64_t whole = 0;
  int whole_digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    whole = whole * 10 + (text[i] - '0');
    if (++whole_digits > 9) return std::nullopt;
  }
  std::int64_t frac = 0;
  int frac_digits = 0;
  if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (++frac_digits > 3) return std::nullopt;
      frac = frac * 10 + (text[i] - '0');
    }
    if (frac_digits == 0) return std::nullopt;
  }
  if (i != text.size() || whole_digits == 0) return std::nullopt;
  for (int d = frac_digits; d < 3; ++d) frac *= 10;
  const Milli value = whole * 1000 + frac;
  return negative ? -value : value;
}

namespace {
std::string FormatQuantityWith(Milli quantity, char separator) {
  std::string out;
  if (quantity < 0) {
    out += '-';
    quantity = -quantity;
  }
  out += std::to_string(quantity / 1000);
  Milli frac = quantity % 1000;
  if (frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 3 - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += separator;
    out += digits;
  }
  return out;
}
}  // namespace

std::string FormatQuantity(Milli quantity) {
  return FormatQuantityWith(quantity, '.');
}
std::string FormatQuantityDe(Milli quantity) {
  return FormatQuantityWith(quantity, ',');
}

std::string FormatEuroDe(Cents cents) {
  const bool negative = cents < 0;
  const std::uint64_t abs =
      negative ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  std::string euros = std::to_string(abs / 100);
  std::string grouped;
  for (std::size_t i = 0; i < euros.size(); ++i) {
    if (i > 0 && (euros.size() - i) % 3 == 0) grouped += '.';
    grouped += euros[i];
  }
  // Built with append: g++ 12 -O3 reports a false -Wrestrict on chained operator+.
  std::string out = negative ? "-" : "";
  out.append(grouped).append(",");
  if (abs % 100 < 10) out.append("0");
  out.append(std::to_string(abs % 100)).append(" €");
  return out;
}

std::string FormatDecimal(Cents cents) {
  const bool negative = cents < 0;
  const std::uint64_t abs =
      negative ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  std::string out = negative ? "-" : "";
  out.append(std::to_string(abs / 100)).append(".");
  if (abs % 100 < 10) out.append("0");
  out.append(std::to_string(abs % 100));
  return out;
}

}  // namespace hs
