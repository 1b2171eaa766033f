#pragma once
// sevdesk's wire conventions (legacy PHP backend): string ids and amounts, "0"/"1" flags, ISO dates
// with the Europe/Berlin offset, the {"objects": ...} envelope. Internal to the sandbox.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/date.hpp"
#include "core/money.hpp"
#include "http/http_types.hpp"

namespace hs::sevdesk::sandbox {

using Json = nlohmann::ordered_json;

// Offset of Europe/Berlin at a UTC instant, in minutes (60 or 120; EU rule since 1996).
int BerlinOffsetMinutes(Instant instant);
// "2026-10-01T16:35:22+02:00"
std::string FormatBerlin(Instant instant);
// Midnight in Berlin of a civil date, as a UTC instant.
Instant BerlinMidnight(Date date);

// Accepts what sevdesk accepts for document dates: Unix seconds (number or digit string),
// "dd.mm.yyyy", "yyyy-mm-dd" and ISO date-times with offset. Civil dates mean Berlin midnight.
std::optional<Instant> ParseSevdeskDate(const Json& value);

// Amounts arrive as JSON numbers or decimal strings ("19.00", "-57.49"); at most 2 decimals.
std::optional<Cents> ParseAmount(const Json& value);
// Tax rates like 19, "19", "19.00", 7.0 -> hundredths of a percent (1900).
std::optional<std::int64_t> ParseRate(const Json& value);
// sevdesk's amount strings: trailing zeros trimmed ("55", "10.45", "-18.4", "0").
std::string FormatAmount(Cents cents);
std::string FormatRate(std::int64_t rate_hundredths);  // 1900 -> "19"

// Scalar in -> sevdesk's string form: numbers and strings become strings, bools "1"/"0".
Json ToWireString(const Json& value);
Json ToWireFlag(const Json& value);
bool IsTruthy(const Json& value);
// {"id": 3, "objectName": "X"} -> {"id": "3", "objectName": "X"}; nullopt if not a reference.
std::optional<std::string> RefId(const Json& value);
Json Ref(const std::string& id, const std::string& object_name);
std::optional<std::int64_t> ToInt(const Json& value);

// {"objects": payload}
http::Response Objects(int status, const Json& payload);
// {"total": "N", "objects": [...]} when count_all.
http::Response ObjectList(const Json& items, bool count_all, std::size_t total);
// ObjectList of objects kept elsewhere, without copying them.
http::Response ObjectListOf(std::span<const Json* const> items, bool count_all, std::size_t total);
// {"error": {...}, "objects": null}
Json ErrorBody(int response_code, std::string_view message, std::optional<int> code);
http::Response Error(int status, std::string_view message, std::optional<int> code = std::nullopt);
http::Response NotFound151(std::string_view model, std::string_view id);

std::string Sha256Hex(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);
std::string HtmlEscape(std::string_view text);

}  // namespace hs::sevdesk::sandbox
