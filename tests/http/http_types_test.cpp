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

}  // namespace
}  // namespace hs::http
