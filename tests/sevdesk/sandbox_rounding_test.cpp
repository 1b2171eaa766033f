// rounding: saveVoucher computes a position's sums in exact decimal arithmetic (decimal, the
// default) or like naive code in IEEE double (binary): 100.50 EUR net at 19 % is
// 100.5 * 19 / 100 = 19.094999999999998863 in double, so tax 19.09 and gross 119.59 instead of
// 19.10 and 119.60. Gross positions (net = gross / 1.19) come out the same in both modes.
#include "sandbox_fixture.hpp"

namespace hs::sevdesk::sandbox::testing {
namespace {

class RoundingTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    file_ = UploadPdf(SamplePdf());
  }

  void UseRounding(const std::string& rounding) {
    auto r = Admin("PUT", "/faults", Json{{"rounding", rounding}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json["rounding"], rounding);
  }

  // A voucher with one 19 % position of 100.50 EUR, net or gross, plus `sums` sent besides it.
  Json Body(bool net, const Json& sums = Json::object()) const {
    Json body = VoucherBody(file_, "", "100.50");
    Json& pos = body["voucherPosSave"][0];
    if (net) {
      pos.erase("sumGross");
      pos["net"] = true;
      pos["sumNet"] = "100.50";
    }
    for (const auto& [key, value] : sums.items()) pos[key] = value;
    return body;
  }

  // Saves `body`; expects 201 with these position and voucher sums, and the same when read back.
  void ExpectSums(const Json& body, const std::string& net, const std::string& tax,
                  const std::string& gross) {
    auto r = Post("/Voucher/Factory/saveVoucher", body);
    ASSERT_EQ(r.status, 201) << r.body;
    const Json& voucher = r.json["objects"]["voucher"];
    const Json& pos = r.json["objects"]["voucherPos"][0];
    for (const Json* object : {&voucher, &pos}) {
      EXPECT_EQ((*object)["sumNet"], net);
      EXPECT_EQ((*object)["sumTax"], tax);
      EXPECT_EQ((*object)["sumGross"], gross);
    }
    const std::string id = voucher["id"];
    auto stored = Get("/Voucher/" + id).json["objects"][0];
    EXPECT_EQ(stored["sumTax"], tax);
    EXPECT_EQ(stored["sumGross"], gross);
    auto positions = Get("/VoucherPos?voucher[id]=" + id).json["objects"];
    ASSERT_EQ(positions.size(), 1u);
    EXPECT_EQ(positions[0]["sumTax"], tax);
    file_ = UploadPdf(SamplePdf());  // the next voucher needs its own file
  }

  std::string file_;
};

TEST_F(RoundingTest, DecimalIsTheDefaultAndRoundsExactly) {
  EXPECT_EQ(Admin("GET", "/faults").json["rounding"], "decimal");
  ExpectSums(Body(true), "100.5", "19.1", "119.6");
  ExpectSums(Body(false), "84.45", "16.05", "100.5");
}

TEST_F(RoundingTest, BinaryRoundsANetPositionLikeDoubleArithmetic) {
  UseRounding("binary");
  ExpectSums(Body(true), "100.5", "19.09", "119.59");
}

TEST_F(RoundingTest, BinaryGivesAGrossPositionTheSameSums) {
  UseRounding("binary");
  ExpectSums(Body(false), "84.45", "16.05", "100.5");
}

TEST_F(RoundingTest, BinaryAcceptsSumsSentWithExactDecimalRounding) {
  UseRounding("binary");
  // A client that rounds exactly sends 19.10/119.60; the sandbox keeps its own binary sums.
  ExpectSums(Body(true, Json{{"sumTax", "19.10"}, {"sumGross", "119.60"}}), "100.5", "19.09",
             "119.59");
  ExpectSums(Body(false, Json{{"sumNet", "84.45"}, {"sumTax", "16.05"}}), "84.45", "16.05",
             "100.5");
  // Its own binary sums are accepted in both modes, too.
  ExpectSums(Body(true, Json{{"sumTax", "19.09"}, {"sumGross", "119.59"}}), "100.5", "19.09",
             "119.59");
  UseRounding("decimal");
  ExpectSums(Body(true, Json{{"sumTax", "19.09"}, {"sumGross", "119.59"}}), "100.5", "19.1",
             "119.6");
}

TEST_F(RoundingTest, InconsistentSumsAreRefusedInBothModes) {
  for (const std::string rounding : {"decimal", "binary"}) {
    UseRounding(rounding);
    auto r = Post("/Voucher/Factory/saveVoucher", Body(true, Json{{"sumTax", "19.50"}}));
    EXPECT_EQ(r.status, 422) << rounding << " " << r.body;
    auto gross = Post("/Voucher/Factory/saveVoucher", Body(false, Json{{"sumNet", "84.00"}}));
    EXPECT_EQ(gross.status, 422) << rounding << " " << gross.body;
  }
}

TEST_F(RoundingTest, RoundingIsPerAccount) {
  const std::string b = std::string("/accounts/") + kTokenB + "/faults";
  ASSERT_EQ(Admin("PUT", b, Json{{"rounding", "binary"}}).status, 200);
  EXPECT_EQ(Admin("GET", b).json["rounding"], "binary");
  ExpectSums(Body(true), "100.5", "19.1", "119.6");  // account A: the global decimal
  Json body = Body(true);
  body["filename"] = UploadPdf(SamplePdf(), kTokenB);
  auto r = Post("/Voucher/Factory/saveVoucher", body, kTokenB);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["objects"]["voucher"]["sumTax"], "19.09");
  EXPECT_EQ(r.json["objects"]["voucher"]["sumGross"], "119.59");
  EXPECT_EQ(Admin("PUT", b, Json{{"rounding", "float"}}).status, 400);
  EXPECT_EQ(Admin("GET", b).json["rounding"], "binary");
}

}  // namespace
}  // namespace hs::sevdesk::sandbox::testing
