#include "http/http_types.hpp"

#include <gtest/gtest.h>

namespace hs::http {
namespace {

TEST(HttpTypes, QueryStringDecoding) {
  auto q = ParseQueryString("q=M%C3%BCller&type=income&x&empty=&plus=a+b");
  EXPECT_EQ(q.find("q")->second, "Müller");
  EXPECT_EQ(q.find("type")->second, "income");
  EXPECT_EQ(q.find("x")->second, "");
  EXPECT_EQ(q.find("plus")->second, "a b");
  EXPECT_EQ(UrlDecode("%zz%4"), "%zz%4");
  EXPECT_EQ(UrlEncode("a b/ä"), "a%20b%2F%C3%A4");
}

TEST(HttpTypes, CookiesAndHeadersAreCaseInsensitive) {
  Request r;
  r.headers = {{"cookie", "a=1; hs_session=tok; b=2"}, {"X-Csrf-Token", "c"}};
  EXPECT_EQ(r.Cookie("hs_session"), "tok");
  EXPECT_EQ(r.Cookie("b"), "2");
  EXPECT_FALSE(r.Cookie("missing"));
  EXPECT_EQ(r.Header("X-CSRF-Token"), "c");
}

TEST(HttpTypes, ClientAddressTrustsForwardedForOnlyFromTrustedProxies) {
  const std::vector<std::string> proxies = {"127.0.0.1", "10.0.0.2"};
  struct Case {
    const char* what;
    std::string peer;
    std::vector<std::string> forwarded_for;  // one entry per header
    std::string client;
  };
  const std::vector<Case> cases = {
      {"no proxy", "203.0.113.7", {}, "203.0.113.7"},
      {"an untrusted peer cannot claim another address",
       "203.0.113.7",
       {"198.51.100.2"},
       "203.0.113.7"},
      {"the proxy names the client", "127.0.0.1", {"198.51.100.2"}, "198.51.100.2"},
      {"a forged entry left of the proxy's is ignored",
       "127.0.0.1",
       {"1.2.3.4, 198.51.100.2"},
       "198.51.100.2"},
      {"a chain of trusted proxies", "127.0.0.1", {"198.51.100.2, 10.0.0.2"}, "198.51.100.2"},
      {"several headers in order", "127.0.0.1", {"1.2.3.4", "198.51.100.2"}, "198.51.100.2"},
      {"IPv6", "127.0.0.1", {"2001:db8::1"}, "2001:db8::1"},
      {"the proxy without the header is the client", "127.0.0.1", {}, "127.0.0.1"},
      {"garbage from the proxy falls back to the peer", "127.0.0.1", {"<script>"}, "127.0.0.1"},
      {"only trusted proxies", "127.0.0.1", {"10.0.0.2"}, "127.0.0.1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Request r;
    r.remote_addr = c.peer;
    for (const auto& v : c.forwarded_for) r.headers.emplace_back("X-Forwarded-For", v);
    EXPECT_EQ(ClientAddress(r, proxies), c.client);
  }
  Request untrusted;
  untrusted.remote_addr = "127.0.0.1";
  untrusted.headers.emplace_back("x-forwarded-for", "198.51.100.2");
  EXPECT_EQ(ClientAddress(untrusted, {}), "127.0.0.1");
}

}  // namespace
}  // namespace hs::http
