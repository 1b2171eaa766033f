#include "sevdesk/sandbox/faults.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>

namespace hs::sevdesk::sandbox {

namespace {

struct KindName {
  FaultKind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {FaultKind::kNone, "none"},
    {FaultKind::kError500, "error_500"},
    {FaultKind::kError500AfterWrite, "error_500_after_write"},
    {FaultKind::kTimeout, "timeout"},
    {FaultKind::kTimeoutAfterWrite, "timeout_after_write"},
    {FaultKind::kRateLimited, "rate_limited"},
    {FaultKind::kRateLimitedNoRetryAfter, "rate_limited_no_retry_after"},
    {FaultKind::kReset, "reset"},
    {FaultKind::kResetAfterWrite, "reset_after_write"},
    {FaultKind::kErrorBody200, "error_body_200"},
    {FaultKind::kCloseAfterWrite, "close_after_write"},
    {FaultKind::kTruncatedAfterWrite, "truncated_after_write"},
};

// The probability fields, in draw order (new kinds go last, so a seed keeps its sequence).
struct ProbabilityField {
  FaultKind kind;
  double FaultSettings::*field;
};
constexpr ProbabilityField kProbabilities[] = {
    {FaultKind::kError500, &FaultSettings::error_500},
    {FaultKind::kError500AfterWrite, &FaultSettings::error_500_after_write},
    {FaultKind::kTimeout, &FaultSettings::timeout},
    {FaultKind::kTimeoutAfterWrite, &FaultSettings::timeout_after_write},
    {FaultKind::kRateLimited, &FaultSettings::rate_limited},
    {FaultKind::kRateLimitedNoRetryAfter, &FaultSettings::rate_limited_no_retry_after},
    {FaultKind::kReset, &FaultSettings::reset},
    {FaultKind::kResetAfterWrite, &FaultSettings::reset_after_write},
    {FaultKind::kErrorBody200, &FaultSettings::error_body_200},
    {FaultKind::kCloseAfterWrite, &FaultSettings::close_after_write},
    {FaultKind::kTruncatedAfterWrite, &FaultSettings::truncated_after_write},
};

struct MsField {
  std::string_view key;
  std::chrono::milliseconds FaultSettings::*field;
};
constexpr MsField kMsFields[] = {
    {"latency_ms", &FaultSettings::latency},
    {"jitter_ms", &FaultSettings::jitter},
    {"rate_limit_window_ms", &FaultSettings::rate_limit_window},
    {"timeout_ms", &FaultSettings::timeout_duration},
    {"search_lag_ms", &FaultSettings::search_lag},
};

struct IntField {
  std::string_view key;
  int FaultSettings::*field;
};
constexpr IntField kIntFields[] = {
    {"retry_after_seconds", &FaultSettings::retry_after_seconds},
    {"rate_limit_requests", &FaultSettings::rate_limit_requests},
};

// The keys whose values are words, not numbers.
constexpr std::string_view kTextKeys[] = {"scope", "endpoint", "rounding"};

Status Bad(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, "bad_fault", std::move(message));
}

// Each Apply...Key sets one key of the JSON form on `f`; nullopt when it is not its key.
std::optional<Status> ApplyMsKey(const std::string& key, const Json& value, FaultSettings& f) {
  for (const auto& m : kMsFields) {
    if (m.key != key) continue;
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
      return Bad(key + " must be a non-negative integer (milliseconds)");
    }
    f.*m.field = std::chrono::milliseconds{value.get<std::int64_t>()};
    return Status{};
  }
  return std::nullopt;
}

std::optional<Status> ApplyProbabilityKey(const std::string& key, const Json& value,
                                          FaultSettings& f) {
  for (const auto& p : kProbabilities) {
    if (FaultKindName(p.kind) != key) continue;
    if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1) {
      return Bad(key + " must be a probability between 0 and 1");
    }
    f.*p.field = value.get<double>();
    return Status{};
  }
  return std::nullopt;
}

std::optional<Status> ApplyIntKey(const std::string& key, const Json& value, FaultSettings& f) {
  for (const auto& i : kIntFields) {
    if (i.key != key) continue;
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
      return Bad(key + " must be a non-negative integer");
    }
    f.*i.field = static_cast<int>(value.get<std::int64_t>());
    return Status{};
  }
  return std::nullopt;
}

std::optional<Status> ApplyTextKey(const std::string& key, const Json& value, FaultSettings& f) {
  const std::string text = value.is_string() ? value.get<std::string>() : "";
  if (key == "scope") {
    auto scope = ParseFaultScope(text);
    if (!value.is_string() || !scope) return Bad("scope must be all, reads or writes");
    f.scope = *scope;
    return Status{};
  }
  if (key == "endpoint") {
    if (!value.is_string()) return Bad("endpoint must be a string");
    f.endpoint = text;
    return Status{};
  }
  if (key == "rounding") {
    auto rounding = ParseRounding(text);
    if (!value.is_string() || !rounding) return Bad("rounding must be decimal or binary");
    f.rounding = *rounding;
    return Status{};
  }
  return std::nullopt;
}

Status ApplyKey(const std::string& key, const Json& value, FaultSettings& f) {
  for (auto apply : {ApplyMsKey, ApplyProbabilityKey, ApplyIntKey, ApplyTextKey}) {
    if (auto applied = apply(key, value, f)) return *applied;
  }
  return Bad("unknown fault setting '" + key + "'");
}

bool IsTextKey(std::string_view key) {
  return std::find(std::begin(kTextKeys), std::end(kTextKeys), key) != std::end(kTextKeys);
}

}  // namespace

std::string_view FaultKindName(FaultKind kind) {
  for (const auto& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "none";
}

std::optional<FaultKind> ParseFaultKind(std::string_view name) {
  for (const auto& k : kKindNames) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::string_view RoundingName(Rounding rounding) {
  return rounding == Rounding::kBinary ? "binary" : "decimal";
}

std::optional<Rounding> ParseRounding(std::string_view name) {
  if (name == "decimal") return Rounding::kDecimal;
  if (name == "binary") return Rounding::kBinary;
  return std::nullopt;
}

std::string_view FaultScopeName(FaultScope scope) {
  switch (scope) {
    case FaultScope::kReads:
      return "reads";
    case FaultScope::kWrites:
      return "writes";
    case FaultScope::kAll:
      break;
  }
  return "all";
}

std::optional<FaultScope> ParseFaultScope(std::string_view name) {
  if (name == "all") return FaultScope::kAll;
  if (name == "reads") return FaultScope::kReads;
  if (name == "writes") return FaultScope::kWrites;
  return std::nullopt;
}

bool FaultSettings::AnyProbability() const {
  for (const auto& p : kProbabilities) {
    if (this->*p.field > 0) return true;
  }
  return false;
}

Json FaultsToJson(const FaultSettings& f) {
  Json out = Json::object();
  for (const auto& m : kMsFields) out[std::string(m.key)] = (f.*m.field).count();
  for (const auto& p : kProbabilities) out[std::string(FaultKindName(p.kind))] = f.*p.field;
  for (const auto& i : kIntFields) out[std::string(i.key)] = f.*i.field;
  out["scope"] = FaultScopeName(f.scope);
  out["endpoint"] = f.endpoint;
  out["rounding"] = RoundingName(f.rounding);
  return out;
}

Status FaultsFromJson(const Json& json, FaultSettings& f) {
  if (!json.is_object()) return Bad("faults must be a JSON object");
  FaultSettings next = f;
  for (const auto& [key, value] : json.items()) {
    if (auto applied = ApplyKey(key, value, next); !applied) return applied;
  }
  double total = 0;
  for (const auto& p : kProbabilities) total += next.*p.field;
  if (total > 1.0 + 1e-9) return Bad("the fault probabilities add up to more than 1");
  f = next;
  return {};
}

Status ApplyFaultAssignment(std::string_view key_value, FaultSettings& faults) {
  const auto eq = key_value.find('=');
  if (eq == std::string_view::npos)
    return Bad("expected key=value, got '" + std::string(key_value) + "'");
  const std::string key(key_value.substr(0, eq));
  const std::string value(key_value.substr(eq + 1));
  Json json = Json::object();
  if (IsTextKey(key)) {
    json[key] = value;
  } else {
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (value.empty() || end == nullptr || *end != '\0') {
      return Bad("'" + key + "' needs a number, got '" + value + "'");
    }
    const bool integral = value.find_first_of(".eE") == std::string::npos;
    json[key] = integral ? Json(static_cast<std::int64_t>(number)) : Json(number);
  }
  return FaultsFromJson(json, faults);
}

std::string FaultKeysHelp() {
  std::string out = "Probabilities 0..1:";
  for (const auto& p : kProbabilities) out += " " + std::string(FaultKindName(p.kind));
  out += ". Milliseconds:";
  for (const auto& m : kMsFields) {
    if (m.field != &FaultSettings::search_lag) out += " " + std::string(m.key);
  }
  out +=
      ". Integers: retry_after_seconds rate_limit_requests. scope=all|reads|writes, "
      "endpoint=TEXT (route substring, e.g. saveVoucher). Not limited by scope or endpoint: "
      "search_lag_ms=MS (lists and searches show creates and changes that late), "
      "rounding=decimal|binary (saveVoucher's sums: exact, or like naive IEEE double code).";
  return out;
}

bool ScopeMatches(FaultScope scope, bool is_write) {
  return scope == FaultScope::kAll || (scope == FaultScope::kWrites) == is_write;
}

bool FaultApplies(const FaultSettings& faults, bool is_write, std::string_view route) {
  return ScopeMatches(faults.scope, is_write) &&
         (faults.endpoint.empty() || route.find(faults.endpoint) != std::string_view::npos);
}

FaultKind DrawFault(const FaultSettings& faults, Random& random) {
  if (!faults.AnyProbability()) return FaultKind::kNone;
  constexpr std::uint64_t kScale = 1000000;
  const std::uint64_t draw = random.Below(kScale);
  std::uint64_t threshold = 0;
  for (const auto& p : kProbabilities) {
    threshold += static_cast<std::uint64_t>(faults.*p.field * kScale + 0.5);
    if (draw < threshold) return p.kind;
  }
  return FaultKind::kNone;
}

bool IsAfterWrite(FaultKind kind) {
  return kind == FaultKind::kError500AfterWrite || kind == FaultKind::kTimeoutAfterWrite ||
         kind == FaultKind::kResetAfterWrite || kind == FaultKind::kCloseAfterWrite ||
         kind == FaultKind::kTruncatedAfterWrite;
}

}  // namespace hs::sevdesk::sandbox
