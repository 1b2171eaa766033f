#include "http/router.hpp"

#include <gtest/gtest.h>

namespace hs::http {
namespace {

TEST(Router, MatchesSegmentsAndCapturesParams) {
  Router r;
  int hit = 0;
  r.Add("GET", "/api/v1/invoices/{id}", [&](const Request&) {
    hit = 1;
    return Response{};
  });
  r.Add("POST", "/api/v1/invoices/{id}/finalize", [&](const Request&) {
    hit = 2;
    return Response{};
  });
  Request req;
  req.method = "GET";
  req.path = "/api/v1/invoices/42";
  auto m = r.Find(req);
  ASSERT_TRUE(m.handler);
  (*m.handler)(req);
  EXPECT_EQ(hit, 1);
  EXPECT_EQ(req.PathParam("id"), "42");
  EXPECT_EQ(m.pattern, "/api/v1/invoices/{id}");

  req.method = "DELETE";
  m = r.Find(req);
  EXPECT_FALSE(m.handler);
  EXPECT_TRUE(m.path_known);  // -> 405

  req.method = "GET";
  req.path = "/api/v1/invoices/42/other";
  m = r.Find(req);
  EXPECT_FALSE(m.handler);
  EXPECT_FALSE(m.path_known);
}

}  // namespace
}  // namespace hs::http
