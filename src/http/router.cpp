#include "http/router.hpp"

namespace hs::http {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

void Router::Add(std::string method, std::string pattern, Handler handler) {
  auto segments = SplitPath(pattern);
  routes_.push_back(
      Route{std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::Find(Request& request) const {
  const auto segments = SplitPath(request.path);
  Match result;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const auto& want = route.segments[i];
      if (want.size() >= 2 && want.front() == '{' && want.back() == '}') {
        params[want.substr(1, want.size() - 2)] = UrlDecode(segments[i]);
      } else {
        ok = want == segments[i];
      }
    }
    if (!ok) continue;
    const bool method_ok =
        route.method == request.method || (route.method == "GET" && request.method == "HEAD");
    if (!method_ok) {
      result.path_known = true;
      continue;
    }
    request.path_params = std::move(params);
    result.handler = &route.handler;
    result.pattern = route.pattern;
    return result;
  }
  return result;
}

}  // namespace hs::http
