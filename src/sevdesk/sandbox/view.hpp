#pragma once
// The read-only HTML page at "/" (the demo links to it).
#include <string>

#include "sevdesk/sandbox/wire.hpp"

namespace hs::sevdesk::sandbox {

// `accounts`: AccountDetail() of each account. `highlight`: a voucher id to mark and scroll to
// (the application links to "/?voucher={id}").
std::string RenderView(const Json& accounts, const std::string& highlight = {});

}  // namespace hs::sevdesk::sandbox
