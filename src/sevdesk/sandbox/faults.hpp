#pragma once
// Fault configuration as JSON and the seeded choice of a fault for one request.
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "sevdesk/sandbox/sandbox.hpp"
#include "sevdesk/sandbox/wire.hpp"

namespace hs::sevdesk::sandbox {

Json FaultsToJson(const FaultSettings& faults);
// Applies the keys present in `json` onto `faults` (a partial update); unknown keys fail.
Status FaultsFromJson(const Json& json, FaultSettings& faults);

std::string_view FaultScopeName(FaultScope scope);
std::optional<FaultScope> ParseFaultScope(std::string_view name);

bool FaultApplies(const FaultSettings& faults, bool is_write, std::string_view route);
bool ScopeMatches(FaultScope scope, bool is_write);
// One draw in [0, 1e6) picks at most one of the probability faults.
FaultKind DrawFault(const FaultSettings& faults, Random& random);
bool IsAfterWrite(FaultKind kind);

}  // namespace hs::sevdesk::sandbox
