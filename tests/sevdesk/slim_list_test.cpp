// The slim reading of list pages (src/sevdesk/client/slim_list.hpp): the same fields as the full
// reading, or nothing so that the full reading decides.

#include "sevdesk/client/slim_list.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace hs::sevdesk {
namespace {

using Json = nlohmann::json;

const std::vector<std::string_view> kFields = {"id", "paidAmount", "payDate", "status"};

TEST(SlimListTest, KeepsTheNamedScalarsOfEachObject) {
  auto page =
      ParseSlimList(R"({"total":"2","objects":[)"
                    R"({"id":"5","supplier":{"id":"9","objectName":"Contact"},"paidAmount":87.49,)"
                    R"("payDate":null,"status":"1000","sumNet":"1.00","positions":[{"id":"77"}]},)"
                    R"({"supplier":{"id":"9"},"id":6,"status":true,"paidAmount":{"x":1}}]})",
                    kFields);
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->error);
  EXPECT_TRUE(page->objects_is_array);
  EXPECT_EQ(page->listed, 2u);
  EXPECT_EQ(page->total, "2");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0],
            Json({{"id", "5"}, {"paidAmount", 87.49}, {"payDate", nullptr}, {"status", "1000"}}));
  // A nested "id" never replaces the object's own; a field that is not a scalar is left out.
  EXPECT_EQ(page->objects[1], Json({{"id", 6}, {"status", true}}));
}

TEST(SlimListTest, RowsThatAreNoObjectsCountForThePageLengthOnly) {
  auto page =
      ParseSlimList(R"({"objects":[1,"x",null,[{"id":"7"}],{"id":"5"}],"total":5})", kFields);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->listed, 5u);
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0], Json({{"id", "5"}}));
  EXPECT_EQ(page->total, 5);
}

TEST(SlimListTest, ShapesThatAreNoListAreLeftToTheFullReading) {
  struct Row {
    const char* body;
    bool parsed;
    bool error;
    bool is_array;
  };
  const Row rows[] = {
      {R"({"objects":[]})", true, false, true},
      {R"({"objects":{"id":"1"}})", true, false, false},
      {R"({})", true, false, false},
      {R"({"objects":[],"error":null})", true, false, true},
      {R"({"objects":[],"error":{"message":"x"}})", true, true, true},
      {R"({"objects":null,"error":"x"})", true, true, false},
      {R"({"objects":[],"objects":[]})", false, false, false},  // twice
      {R"([{"id":"1"}])", false, false, false},
      {R"("objects")", false, false, false},
      {R"({"objects":[{"id":"1"})", false, false, false},  // cut off
      {R"({"objects":[{"id":"1"}]} trailing)", false, false, false},
      {"", false, false, false},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.body);
    auto page = ParseSlimList(r.body, kFields);
    ASSERT_EQ(page.has_value(), r.parsed);
    if (!page) continue;
    EXPECT_EQ(page->error, r.error);
    EXPECT_EQ(page->objects_is_array, r.is_array);
  }
}

// Random pages: the slim reading equals the full reading cut down to the named fields.
TEST(SlimListTest, EqualsTheFullReadingOnRandomPages) {
  std::mt19937 rng(16);
  auto scalar = [&](int kind) -> Json {
    switch (kind % 5) {
      case 0:
        return std::to_string(rng() % 100000);
      case 1:
        return static_cast<double>(rng() % 100000) / 100.0;
      case 2:
        return nullptr;
      case 3:
        return static_cast<int>(rng() % 1000);
      default:
        return "2026-12-0" + std::to_string(1 + rng() % 9) + "T12:00:00+01:00";
    }
  };
  for (int round = 0; round < 200; ++round) {
    Json objects = Json::array();
    const int n = static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      Json o = Json::object();
      for (const char* k : {"id", "paidAmount", "payDate", "status", "sumNet", "header"}) {
        if (rng() % 4 == 0) continue;
        o[k] = rng() % 7 == 0 ? Json({{"id", scalar(static_cast<int>(rng()))}})
                              : scalar(static_cast<int>(rng()));
      }
      objects.push_back(rng() % 10 == 0 ? Json(42) : o);
    }
    const Json answer = {{"total", n}, {"objects", objects}};
    auto page = ParseSlimList(answer.dump(), kFields);
    ASSERT_TRUE(page);
    std::vector<Json> expected;
    for (const Json& o : objects) {
      if (!o.is_object()) continue;
      Json cut = Json::object();
      for (auto f : kFields) {
        const std::string k(f);
        if (o.contains(k) && !o[k].is_structured()) cut[k] = o[k];
      }
      expected.push_back(cut);
    }
    EXPECT_EQ(page->objects, expected) << answer.dump();
    EXPECT_EQ(page->listed, objects.size());
  }
}

}  // namespace
}  // namespace hs::sevdesk
