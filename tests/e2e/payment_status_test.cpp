// The paid status of invoices through the API (issue 16): open and overdue by the due date fixed
// at finalization, an invoice and its cancellation settled together, the invoices list's payment
// filters and the start page's totals. Payments themselves come from the payment sync and from
// "Zahlung erfassen", tested with those.
#include <gtest/gtest.h>

#include <chrono>

#include "core/date.hpp"
#include "support/binary_fixture.hpp"

namespace hs::testing {
namespace {

std::string DaysFromToday(int days) {
  return FormatIsoDate(AddDays(ParseIsoDate(TodayInBerlin()).value(), days));
}

Json Must(const Reply& reply, int status, const std::string& what) {
  if (reply.status != status) {
    throw std::runtime_error(what + ": expected " + std::to_string(status) + ", got " +
                             reply.Describe());
  }
  return reply.json;
}

class PaymentStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owner_ = office_.CreateSchool("Hundeschule Pfote");
    office_.Start();
    c_ = office_.LoginAs(owner_);
    customer_ = Must(c_->Post("/api/v1/customers", {{"kind", "person"}, {"last_name", "Bello"}}),
                     201, "customer")["id"]
                    .get<std::int64_t>();
  }
  void TearDown() override {
    c_.reset();
    if (office_.running()) {
      EXPECT_EQ(office_.Stop(), 0) << office_.ServerLog();
    }
  }

  // A finalized invoice dated `date` over `cents` (no VAT lines: the school is regular, 19 %).
  Json Finalized(const std::string& date, std::int64_t cents) {
    const Json draft = {{"customer_id", customer_},
                        {"invoice_date", date},
                        {"lines",
                         {{{"text", "Kurs"},
                           {"quantity", "1"},
                           {"unit", "Kurs"},
                           {"unit_price_cents", cents},
                           {"vat_rate", 19}}}}};
    const auto id =
        Must(c_->Post("/api/v1/invoices", draft), 201, "draft")["id"].get<std::int64_t>();
    return Must(c_->Post("/api/v1/invoices/" + std::to_string(id) + "/finalize", Json::object()),
                200, "finalize");
  }

  std::vector<std::int64_t> Listed(const std::string& filter) {
    const Json page = Must(c_->Get("/api/v1/invoices?payment=" + filter), 200, "list " + filter);
    std::vector<std::int64_t> ids;
    for (const auto& i : page["items"]) ids.push_back(i["id"].get<std::int64_t>());
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  BinaryFixture office_;
  Account owner_;
  std::unique_ptr<ApiClient> c_;
  std::int64_t customer_ = 0;
};

TEST_F(PaymentStatusTest, OpenOverdueAndSettledWithFiltersAndTotals) {
  // The school's default term is 14 days: 40 days ago is overdue, today is open.
  const Json overdue = Finalized(DaysFromToday(-40), 10000);
  const Json open = Finalized(DaysFromToday(0), 5000);
  const Json cancelled = Finalized(DaysFromToday(-30), 7000);
  const auto cancelled_id = cancelled["id"].get<std::int64_t>();
  const Json cancellation =
      Must(c_->Post("/api/v1/invoices/" + std::to_string(cancelled_id) + "/cancel", Json::object()),
           201, "cancel");

  EXPECT_EQ(open["payment"]["state"], "open");
  EXPECT_EQ(open["payment"]["open_cents"], 5950);
  EXPECT_TRUE(open["payment"]["label"].get<std::string>().starts_with("offen (fällig am "))
      << open.dump();
  const Json overdue_now =
      Must(c_->Get("/api/v1/invoices/" + std::to_string(overdue["id"].get<std::int64_t>())), 200,
           "get overdue");
  EXPECT_EQ(overdue_now["payment"]["state"], "overdue");
  EXPECT_TRUE(overdue_now["payment"]["label"].get<std::string>().starts_with("überfällig seit "))
      << overdue_now.dump();
  EXPECT_EQ(overdue_now["payment"]["overdue_since"], DaysFromToday(-40 + 14 + 1));
  for (const Json* settled : {&cancellation}) {
    const Json got =
        Must(c_->Get("/api/v1/invoices/" + std::to_string((*settled)["id"].get<std::int64_t>())),
             200, "get settled");
    EXPECT_EQ(got["payment"]["state"], "settled");
    EXPECT_EQ(got["payment"]["label"], "storniert – ausgeglichen");
  }
  EXPECT_EQ(Must(c_->Get("/api/v1/invoices/" + std::to_string(cancelled_id)), 200,
                 "get original")["payment"]["state"],
            "settled");

  EXPECT_EQ(Listed("overdue"), std::vector<std::int64_t>{overdue["id"].get<std::int64_t>()});
  EXPECT_EQ(Listed("open"), (std::vector<std::int64_t>{overdue["id"].get<std::int64_t>(),
                                                       open["id"].get<std::int64_t>()}));
  EXPECT_TRUE(Listed("paid").empty());
  EXPECT_EQ(Listed("all").size(), 4u);

  const Json page = Must(c_->Get("/api/v1/invoices"), 200, "list");
  EXPECT_EQ(page["payment_totals"]["overdue_count"], 1);
  EXPECT_EQ(page["payment_totals"]["overdue_cents"], 11900);
  EXPECT_EQ(page["payment_totals"]["open_count"], 2);
  EXPECT_EQ(page["payment_totals"]["open_cents"], 11900 + 5950);
  for (const auto& item : page["items"]) EXPECT_TRUE(item.contains("payment")) << item.dump();

  const Reply bad = c_->Get("/api/v1/invoices?payment=bezahlt");
  EXPECT_EQ(bad.status, 400) << bad.Describe();  // like every bad query parameter
  EXPECT_TRUE(bad.HasDetail("payment")) << bad.body;
}

}  // namespace
}  // namespace hs::testing
