#pragma once
// One route table: "GET /api/v1/invoices/{id}/pdf" -> handler. Matching is by segments; a
// "{name}" segment captures one path segment into Request::path_params.
#include <string>
#include <vector>

#include "http/http_types.hpp"

namespace hs::http {

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;
    std::string pattern;      // the route pattern, for metrics labels
    bool path_known = false;  // some route matches the path with another method
  };
  // Fills request.path_params on a match.
  Match Find(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

std::vector<std::string> SplitPath(std::string_view path);

}  // namespace hs::http
