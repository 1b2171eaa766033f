#include "sevdesk/sandbox/wire.hpp"

#include <sodium.h>

#include <atomic>
#include <cmath>
#include <cstdio>

#include "core/date.hpp"

namespace hs::sevdesk::sandbox {

namespace {

using std::chrono::sys_days;

sys_days LastSunday(int year, unsigned month) {
  const sys_days last{std::chrono::year{year} / std::chrono::month{month} / std::chrono::last};
  const std::chrono::weekday wd{last};
  return last - (wd - std::chrono::Sunday);
}

std::optional<Date> MakeDate(int y, int m, int d) {
  const Date date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok() || y < 1900 || y > 2999) return std::nullopt;
  return date;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Strict decimal: optional sign, digits, optional '.' and up to `max_decimals` digits.
std::optional<std::int64_t> ParseScaled(std::string_view text, int max_decimals) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (!AllDigits(whole) || whole.size() > 12) return std::nullopt;
  if (dot != std::string_view::npos && !AllDigits(frac)) return std::nullopt;
  // Trailing zeros beyond the allowed precision are harmless ("19.000").
  while (static_cast<int>(frac.size()) > max_decimals && frac.back() == '0') frac.remove_suffix(1);
  if (static_cast<int>(frac.size()) > max_decimals) return std::nullopt;
  std::int64_t value = 0;
  for (char c : whole) value = value * 10 + (c - '0');
  for (int i = 0; i < max_decimals; ++i) {
    value = value * 10 + (i < static_cast<int>(frac.size()) ? frac[i] - '0' : 0);
  }
  return negative ? -value : value;
}

std::optional<std::int64_t> ParseScaledJson(const Json& value, int decimals) {
  if (value.is_number_integer()) {
    std::int64_t v = value.get<std::int64_t>();
    for (int i = 0; i < decimals; ++i) v *= 10;
    return v;
  }
  if (value.is_number_float()) {
    const double scaled = value.get<double>() * std::pow(10.0, decimals);
    const double rounded = std::round(scaled);
    if (std::abs(scaled - rounded) > 1e-6 || std::abs(rounded) > 1e15) return std::nullopt;
    return static_cast<std::int64_t>(rounded);
  }
  if (value.is_string()) return ParseScaled(value.get<std::string>(), decimals);
  return std::nullopt;
}

std::string FormatScaled(std::int64_t value, int decimals) {
  const bool negative = value < 0;
  std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(value + 1)) + 1 : static_cast<std::uint64_t>(value);
  std::uint64_t div = 1;
  for (int i = 0; i < decimals; ++i) div *= 10;
  std::string out = (negative ? "-" : "") + std::to_string(magnitude / div);
  std::string frac = std::to_string(magnitude % div);
  frac.insert(0, static_cast<std::size_t>(decimals) - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out;
}

std::string ExceptionUuid() {
  // Unique, not random: keeps fault sequences independent of error bodies.
  static std::atomic<std::uint64_t> counter{0x5eedf00dULL};
  std::uint64_t x = counter.fetch_add(0x9E3779B97F4A7C15ULL);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(x >> 32),
                static_cast<unsigned>((x >> 16) & 0xffff), static_cast<unsigned>(x & 0xfff),
                static_cast<unsigned>((x >> 12) & 0xfff),
                static_cast<unsigned long long>((x * 31) & 0xffffffffffffULL));
  return buf;
}

}  // namespace

int BerlinOffsetMinutes(Instant instant) {
  const auto day = std::chrono::floor<std::chrono::days>(instant);
  const int year = static_cast<int>(Date{day}.year());
  const auto start = LastSunday(year, 3) + std::chrono::hours{1};
  const auto end = LastSunday(year, 10) + std::chrono::hours{1};
  return (instant >= start && instant < end) ? 120 : 60;
}

std::string FormatBerlin(Instant instant) {
  const int offset = BerlinOffsetMinutes(instant);
  const auto local =
      std::chrono::floor<std::chrono::seconds>(instant) + std::chrono::minutes{offset};
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::hh_mm_ss<std::chrono::seconds> tod{local - day};
  const Date date{day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+%02d:%02d",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                offset / 60, offset % 60);
  return buf;
}

Instant BerlinMidnight(Date date) {
  // Switches happen at 02:00/03:00 local, so midnight's offset follows from the date alone.
  const sys_days day{date};
  const int year = static_cast<int>(date.year());
  const bool summer = day > LastSunday(year, 3) && day <= LastSunday(year, 10);
  return Instant{day} - std::chrono::minutes{summer ? 120 : 60};
}

std::optional<Instant> ParseSevdeskDate(const Json& value) {
  if (value.is_number_integer()) {
    const auto seconds = value.get<std::int64_t>();
    if (seconds < 0 || seconds > 32503680000LL) return std::nullopt;
    return Instant{std::chrono::seconds{seconds}};
  }
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  if (AllDigits(text) && text.size() <= 11) {
    return Instant{std::chrono::seconds{std::stoll(text)}};
  }
  int y = 0, m = 0, d = 0;
  if (text.size() == 10 && text[2] == '.' && text[5] == '.' && ParseDigits(text, 0, 2, d) &&
      ParseDigits(text, 3, 2, m) && ParseDigits(text, 6, 4, y)) {
    if (auto date = MakeDate(y, m, d)) return BerlinMidnight(*date);
    return std::nullopt;
  }
  if (text.size() >= 10 && text[4] == '-' && text[7] == '-' && ParseDigits(text, 0, 4, y) &&
      ParseDigits(text, 5, 2, m) && ParseDigits(text, 8, 2, d)) {
    auto date = MakeDate(y, m, d);
    if (!date) return std::nullopt;
    if (text.size() == 10) return BerlinMidnight(*date);
    // yyyy-mm-ddTHH:MM:SS(+HH:MM|Z)
    int h = 0, mi = 0, s = 0, oh = 0, om = 0;
    if (text.size() < 20 || (text[10] != 'T' && text[10] != ' ') || !ParseDigits(text, 11, 2, h) ||
        text[13] != ':' || !ParseDigits(text, 14, 2, mi) || text[16] != ':' ||
        !ParseDigits(text, 17, 2, s) || h > 23 || mi > 59 || s > 59) {
      return std::nullopt;
    }
    const Instant local = Instant{sys_days{*date}} + std::chrono::hours{h} +
                          std::chrono::minutes{mi} + std::chrono::seconds{s};
    const std::string_view zone = std::string_view(text).substr(19);
    if (zone == "Z") return local;
    if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && ParseDigits(zone, 1, 2, oh) &&
        zone[3] == ':' && ParseDigits(zone, 4, 2, om)) {
      const auto offset = std::chrono::minutes{oh * 60 + om};
      return zone[0] == '+' ? local - offset : local + offset;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Cents> ParseAmount(const Json& value) {
  return ParseScaledJson(value, 2);
}
std::optional<std::int64_t> ParseRate(const Json& value) {
  return ParseScaledJson(value, 2);
}
std::string FormatAmount(Cents cents) {
  return FormatScaled(cents, 2);
}
std::string FormatRate(std::int64_t rate_hundredths) {
  return FormatScaled(rate_hundredths, 2);
}

Json ToWireString(const Json& value) {
  if (value.is_string() || value.is_null()) return value;
  if (value.is_boolean()) return value.get<bool>() ? "1" : "0";
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (value.is_number_float()) {
    if (auto scaled = ParseScaledJson(value, 6)) return FormatScaled(*scaled, 6);
    return value.dump();
  }
  return value.dump();
}

bool IsTruthy(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0;
  if (value.is_string()) {
    const auto s = value.get<std::string>();
    return s == "1" || s == "true";
  }
  return false;
}

Json ToWireFlag(const Json& value) {
  if (value.is_null()) return nullptr;
  return IsTruthy(value) ? "1" : "0";
}

std::optional<std::int64_t> ToInt(const Json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string()) {
    const auto s = value.get<std::string>();
    if (AllDigits(s) && s.size() < 18) return std::stoll(s);
  }
  return std::nullopt;
}

std::optional<std::string> RefId(const Json& value) {
  if (!value.is_object() || !value.contains("id")) return std::nullopt;
  auto id = ToInt(value["id"]);
  if (!id) return std::nullopt;
  return std::to_string(*id);
}

Json Ref(const std::string& id, const std::string& object_name) {
  Json out = Json::object();
  out["id"] = id;
  out["objectName"] = object_name;
  return out;
}

http::Response Objects(int status, const Json& payload) {
  Json body = Json::object();
  body["objects"] = payload;
  return http::Response::Json(status, body.dump());
}

// The same answer as ObjectList, written straight from the stored objects: copying a page of
// 1,000 vouchers twice into a new tree cost the sandbox more than writing it, and the sandbox
// shares the benchmark machine's cores with the product (hs_transfer_bench --section sync).
http::Response ObjectListOf(std::span<const Json* const> items, bool count_all, std::size_t total) {
  std::string body = "{";
  if (count_all) body += "\"total\":" + Json(std::to_string(total)).dump() + ",";
  body += "\"objects\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) body += ',';
    body += items[i]->dump();
  }
  body += "]}";
  return http::Response::Json(200, std::move(body));
}

http::Response ObjectList(const Json& items, bool count_all, std::size_t total) {
  Json body = Json::object();
  if (count_all) body["total"] = std::to_string(total);
  body["objects"] = items;
  return http::Response::Json(200, body.dump());
}

Json ErrorBody(int response_code, std::string_view message, std::optional<int> code) {
  Json error = Json::object();
  error["exceptionUUID"] = ExceptionUuid();
  error["message"] = std::string(message);
  error["errorCode"] = 0;
  error["code"] = code ? Json(*code) : Json(nullptr);
  error["data"] = Json::array();
  error["responseCode"] = response_code;
  Json body = Json::object();
  body["error"] = std::move(error);
  body["objects"] = nullptr;
  return body;
}

http::Response Error(int status, std::string_view message, std::optional<int> code) {
  return http::Response::Json(status, ErrorBody(status, message, code).dump());
}

http::Response NotFound151(std::string_view model, std::string_view id) {
  return Error(404,
               "No Model_" + std::string(model) + " with the id " + std::string(id) + " was found",
               151);
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  const std::size_t len = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(len - 1);  // drop the terminating NUL
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t written = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &written, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace hs::sevdesk::sandbox
