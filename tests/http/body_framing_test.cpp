#include "http/body_framing.hpp"

#include <gtest/gtest.h>

namespace hs::http {
namespace {

struct FramingCase {
  const char* method;
  std::optional<std::string> transfer_encoding;
  std::optional<std::string> content_length;
  std::size_t content_length_count;
  int status;
};

TEST(BodyFraming, RefusesWhatCouldPassTheLimitBeforeReadingIt) {
  constexpr std::size_t kMax = 1000;
  const std::vector<FramingCase> cases = {
      {"POST", std::nullopt, "0", 1, 0},
      {"POST", std::nullopt, "1000", 1, 0},
      {"POST", std::nullopt, "1001", 1, 413},
      {"PUT", std::nullopt, "67108864", 1, 413},
      {"POST", std::nullopt, "99999999999999999999999", 1, 400},
      {"POST", std::nullopt, "-1", 1, 400},
      {"POST", std::nullopt, "12 ", 1, 400},
      {"POST", std::nullopt, "", 1, 400},
      {"POST", std::nullopt, "10", 2, 400},
      {"POST", "chunked", std::nullopt, 0, 411},
      {"POST", "chunked", "10", 1, 411},
      {"PATCH", "gzip, chunked", std::nullopt, 0, 411},
      {"GET", "chunked", std::nullopt, 0, 411},
      {"POST", std::nullopt, std::nullopt, 0, 411},
      {"PUT", std::nullopt, std::nullopt, 0, 411},
      {"PATCH", std::nullopt, std::nullopt, 0, 411},
      {"DELETE", std::nullopt, std::nullopt, 0, 0},
      {"GET", std::nullopt, std::nullopt, 0, 0},
      {"HEAD", std::nullopt, std::nullopt, 0, 0},
      {"OPTIONS", std::nullopt, std::nullopt, 0, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " te=" + c.transfer_encoding.value_or("-") +
                 " cl=" + c.content_length.value_or("-"));
    EXPECT_EQ(BodyRefusalStatus(c.method, c.transfer_encoding, c.content_length,
                                c.content_length_count, kMax),
              c.status);
  }
}

}  // namespace
}  // namespace hs::http
