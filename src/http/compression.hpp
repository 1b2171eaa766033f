#pragma once
// gzip for answers, as the previous library gave them to clients that ask for it: the UI's
// scripts and the API's JSON lists shrink several-fold on slow links. Runs on the worker
// thread after the handler, never on the event loop.
#include <optional>
#include <string>
#include <string_view>

#include "http/http_types.hpp"

namespace hs::http::compression {

// True when an Accept-Encoding value admits gzip (and not with q=0).
bool AcceptsGzip(std::string_view accept_encoding);
// Text, JSON, JavaScript, XML and SVG; images and PDFs are compressed already.
bool Compressible(std::string_view content_type);
std::optional<std::string> Gzip(std::string_view data);
// Compresses `res` in place when the request admits gzip and it is worth it.
void CompressIfWorthIt(const Request& request, Response& res);

}  // namespace hs::http::compression
