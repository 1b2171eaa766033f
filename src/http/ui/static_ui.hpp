#pragma once
// The German web UI: static HTML/CSS/JS embedded into the binary at build time (no build step,
// no files beside the binary). Unknown paths without a file extension answer index.html so the
// client-side routes (#/belege, ...) and deep links work.
#include "http/http_types.hpp"

namespace hs::http::ui {

Handler MakeStaticUiHandler();

}  // namespace hs::http::ui
