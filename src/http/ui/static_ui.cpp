#include "http/ui/static_ui.hpp"

#include <string_view>
#include <utility>

namespace hs::embedded {
const std::pair<std::string_view, std::string_view>* ui_files_begin();
const std::pair<std::string_view, std::string_view>* ui_files_end();
}  // namespace hs::embedded

namespace hs::http::ui {

namespace {

std::string ContentType(std::string_view path) {
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

const std::string_view* Find(std::string_view path) {
  for (auto* it = embedded::ui_files_begin(); it != embedded::ui_files_end(); ++it) {
    if (it->first == path) return &it->second;
  }
  return nullptr;
}

}  // namespace

Handler MakeStaticUiHandler() {
  return [](const Request& req) {
    if (req.method != "GET" && req.method != "HEAD") {
      return Response::Json(
          405, R"({"code":"method_not_allowed","message":"Nicht erlaubt.","details":[]})");
    }
    std::string path = req.path;
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    if (path.empty()) path = "index.html";
    const std::string_view* file = Find(path);
    const bool has_extension = path.find('.') != std::string::npos;
    if (!file && !has_extension) {
      path = "index.html";
      file = Find(path);
    }
    if (!file) {
      return Response::Json(404,
                            R"({"code":"not_found","message":"Nicht gefunden.","details":[]})");
    }
    Response res = Response::Text(200, std::string(*file), ContentType(path));
    res.AddHeader("Cache-Control", path == "index.html" ? "no-cache" : "public, max-age=300");
    res.AddHeader("Content-Security-Policy",
                  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                  "connect-src 'self'; frame-ancestors 'none'");
    return res;
  };
}

}  // namespace hs::http::ui
