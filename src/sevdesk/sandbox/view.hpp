#pragma once
// The read-only HTML page at "/" (the demo links to it).
#include <string>

#include "sevdesk/sandbox/wire.hpp"

namespace hs::sevdesk::sandbox {

// `accounts`: AccountDetail() of each account.
std::string RenderView(const Json& accounts);

}  // namespace hs::sevdesk::sandbox
