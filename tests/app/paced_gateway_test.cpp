// The paced gateway (src/app/paced_gateway.hpp): the school's token bucket and the waiting for
// it, with a sleeper that moves a fake clock on, so pacing costs no wall time.
#include "app/paced_gateway.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "app/transfer_policy.hpp"

namespace hs::app {
namespace {

using namespace std::chrono_literals;

const Instant kStart = *ParseIsoInstant("2026-11-20T09:00:00.000Z");

class ClockSleeper final : public Sleeper {
 public:
  explicit ClockSleeper(FakeClock& clock) : clock_(clock) {}
  bool Stopping() const override {
    return stop_after_ >= 0 && sleeps_.size() >= static_cast<std::size_t>(stop_after_);
  }
  void Sleep(std::chrono::milliseconds how_long) override {
    sleeps_.push_back(how_long);
    clock_.Advance(how_long);
  }
  std::vector<std::chrono::milliseconds> sleeps_;
  int stop_after_ = -1;  // sleeps before the engine stops; -1: never

 private:
  FakeClock& clock_;
};

// Answers every call at once and counts them; creates record whether their mark came first.
class CountingGateway final : public SevdeskGateway {
 public:
  Result<std::string> BookkeepingVersion(const std::string&) override { return "2.0"; }
  Result<SevdeskAccountInfo> Inspect(const std::string&) override { return SevdeskAccountInfo{}; }
  Result<std::optional<ContactRef>> FindContact(const std::string& token,
                                                const std::string&) override {
    tokens.push_back(token);
    return std::nullopt;
  }
  Result<std::string> CreateContact(const std::string&, const ContactData&) override {
    calls.push_back("CreateContact");
    return "1";
  }
  Status UpdateContact(const std::string&, const std::string&, const ContactData&) override {
    return {};
  }
  Result<std::vector<FoundAddress>> FindAddresses(const std::string&, const std::string&) override {
    return std::vector<FoundAddress>{};
  }
  Result<std::string> CreateAddress(const std::string&, const std::string&,
                                    const ContactData&) override {
    return "2";
  }
  Status UpdateAddress(const std::string&, const std::string&, const ContactData&) override {
    return {};
  }
  Result<std::vector<FoundEmail>> FindEmails(const std::string&, const std::string&) override {
    return std::vector<FoundEmail>{};
  }
  Result<std::string> CreateEmail(const std::string&, const std::string&,
                                  const std::string&) override {
    return "3";
  }
  Status UpdateEmail(const std::string&, const std::string&, const std::string&) override {
    return {};
  }
  Result<std::string> UploadDocument(const std::string&, const std::string&,
                                     const std::string&) override {
    return "f.pdf";
  }
  Result<SavedVoucher> SaveVoucher(const std::string&, const VoucherData&) override {
    calls.push_back("SaveVoucher");
    return SavedVoucher{"4", {}, {}, {}};
  }
  Result<std::vector<FoundVoucher>> FindVouchers(const std::string&, const std::string&) override {
    return std::vector<FoundVoucher>{};
  }
  std::vector<std::string> calls;
  std::vector<std::string> tokens;
};

TEST(RateLimiter, BurstThenPacedPerSchool) {
  RateLimiter limiter(5, 2);
  EXPECT_EQ(limiter.Reserve(1, kStart).count(), 0);
  EXPECT_EQ(limiter.Reserve(1, kStart).count(), 0);
  const auto wait = limiter.Reserve(1, kStart);
  EXPECT_GT(wait.count(), 0);
  EXPECT_LE(wait.count(), 201);
  EXPECT_EQ(limiter.Reserve(2, kStart).count(), 0);  // another school's bucket
  EXPECT_EQ(limiter.Reserve(1, kStart + 200ms).count(), 0);
  EXPECT_GT(limiter.Reserve(1, kStart + 200ms).count(), 0);
}

// A school's gateway on a fake clock: `rate` calls per second with a burst of `burst`.
class PacedGatewayTest : public ::testing::Test {
 protected:
  PacedGateway Gateway(double rate, double burst) {
    limiter_ = std::make_unique<RateLimiter>(rate, burst);
    return PacedGateway(inner_, *limiter_, clock_, sleeper_, 1, "token-a");
  }
  FakeClock clock_{kStart};
  ClockSleeper sleeper_{clock_};
  CountingGateway inner_;
  std::unique_ptr<RateLimiter> limiter_;
};

TEST_F(PacedGatewayTest, CallsAfterTheBurstWaitForTheirTokenOnTheFakeClock) {
  PacedGateway gateway = Gateway(10, 1);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(gateway.FindContact("HS-1"));
  // The first call goes out at once; each further one waits about 100 ms.
  ASSERT_EQ(sleeper_.sleeps_.size(), 4u);
  for (auto s : sleeper_.sleeps_) EXPECT_NEAR(static_cast<double>(s.count()), 100.0, 1.0);
  EXPECT_GE(clock_.Now() - kStart, 400ms);
  EXPECT_EQ(inner_.tokens, std::vector<std::string>(5, "token-a"));
}

TEST_F(PacedGatewayTest, ACreateIsPacedThenMarkedThenSent) {
  PacedGateway gateway = Gateway(10, 1);
  ASSERT_TRUE(gateway.FindContact("HS-1"));  // uses the burst
  const PacedGateway::Mark mark = [&]() -> Status {
    // The mark is written after the wait for the turn, right before the request.
    EXPECT_EQ(sleeper_.sleeps_.size(), 1u);
    inner_.calls.push_back("mark");
    return {};
  };
  ASSERT_TRUE(gateway.CreateContact(mark, ContactData{}));
  EXPECT_EQ(inner_.calls, (std::vector<std::string>{"mark", "CreateContact"}));
}

TEST_F(PacedGatewayTest, AFailedMarkSendsNothing) {
  PacedGateway gateway = Gateway(10, 5);
  const PacedGateway::Mark lost = [] {
    return Status(Fail(ErrorCode::kConflict, std::string(kLeaseLostReason), "weg"));
  };
  auto saved = gateway.SaveVoucher(lost, VoucherData{});
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().reason, kLeaseLostReason);
  EXPECT_TRUE(inner_.calls.empty());
}

TEST_F(PacedGatewayTest, AStopWhileWaitingEndsTheCallUnsent) {
  PacedGateway gateway = Gateway(1, 1);
  sleeper_.stop_after_ = 1;
  ASSERT_TRUE(gateway.SaveVoucher([] { return Status{}; }, VoucherData{}));
  bool marked = false;
  auto second = gateway.SaveVoucher(
      [&] {
        marked = true;
        return Status{};
      },
      VoucherData{});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().reason, kStoppingReason);
  EXPECT_FALSE(marked);
  EXPECT_EQ(inner_.calls.size(), 1u);
}

}  // namespace
}  // namespace hs::app
