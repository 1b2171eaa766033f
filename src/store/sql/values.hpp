#pragma once
// The small conversions every repository needs between C++ values and SQL values, in one place.
#include <optional>

#include "core/date.hpp"
#include "core/result.hpp"
#include "store/sql/connection.hpp"

namespace hs::store::sql {

// A failed Result's error, for a function that answers another Result type.
template <class T>
tl::unexpected<Error> Propagate(const Result<T>& r) {
  return tl::unexpected(r.error());
}

// An optional instant as unix milliseconds, or NULL.
inline Value OptMs(const std::optional<Instant>& i) {
  if (!i) return nullptr;
  return Value{ToUnixMillis(*i)};
}

// Column `i` (unix milliseconds or NULL) as an optional instant.
inline std::optional<Instant> OptInstant(const Row& r, std::size_t i) {
  if (auto ms = r.OptInt(i)) return FromUnixMillis(*ms);
  return std::nullopt;
}

// An optional civil date as "YYYY-MM-DD", or NULL.
inline Value OptDate(const std::optional<Date>& d) {
  if (!d) return nullptr;
  return Value{FormatIsoDate(*d)};
}

}  // namespace hs::store::sql
