#include "einvoice/cii.hpp"

#include <gtest/gtest.h>

#include "einvoice/amounts.hpp"
#include "samples.hpp"

namespace hs::einvoice {
namespace {

using testing::Finalized;
using testing::Line;

TEST(Cii, Placeholder) {
  EXPECT_EQ(FormatPrice(125000), "12.50");
}

}  // namespace
}  // namespace hs::einvoice
