#pragma once
// multipart/form-data (RFC 7578) for the event-driven server: the whole body is in memory already
// (bounded by ServerSettings::max_body_bytes), so this is a parser over one string, not a stream.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_types.hpp"

namespace hs::http::multipart {

// The boundary of a "multipart/form-data; boundary=..." Content-Type, or nullopt for any other
// type or a missing boundary.
std::optional<std::string> Boundary(std::string_view content_type);

// Every part, files and plain fields alike, in the order they were sent; nullopt when the body is
// not a complete multipart body for `boundary` (no closing delimiter, a part without headers end).
std::optional<std::vector<UploadedFile>> Parse(std::string_view boundary, std::string_view body);

}  // namespace hs::http::multipart
