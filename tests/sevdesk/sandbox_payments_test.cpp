// Issue 16, sevdesk side: vouchers carry their payment state like in sevdesk (100 open, 750
// partially paid, 1000 paid, paidAmount, payDate, `update`), GET /Voucher honours updateAfter and
// status, the admin calls pay, change and delete vouchers as the bank import or a user would, and
// the production client reads the payment state with few requests. Driven by a fake clock.
#include <cstdio>

#include "core/clock.hpp"
#include "sandbox_fixture.hpp"
#include "sevdesk/client/sevdesk_client.hpp"

namespace hs::sevdesk::sandbox::testing {
namespace {

using std::chrono::seconds;

constexpr char kCash[] = "5012345";  // the first account's Kasse
constexpr char kBank[] = "5012346";  // its bank account (online: needs a transaction)

class PaymentsTest : public SandboxTest {
 protected:
  SandboxSettings Settings() override {
    SandboxSettings s = SandboxTest::Settings();
    s.clock = clock_;
    return s;
  }

  void SetUp() override {
    SandboxTest::SetUp();
    InitHttpClient();
    ClientSettings settings;
    settings.base_url = sandbox_->BaseUrl() + "/api/v1";
    gateway_ = MakeSevdeskClient(settings);
  }

  void TearDown() override {
    gateway_.reset();
    SandboxTest::TearDown();
  }

  void Advance(seconds by) { clock_->Advance(by); }
  std::int64_t NowUnix() const { return ToUnixMillis(clock_->Now()) / 1000; }

  std::string SaveVoucher(const std::string& description, const std::string& gross) {
    Json body = VoucherBody("", "", gross);
    body["voucher"]["description"] = description;
    auto r = Post("/Voucher/Factory/saveVoucher", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json["objects"]["voucher"]["id"].get<std::string>();
  }

  Reply Pay(const std::string& id, const std::string& amount, const std::string& date) {
    return Admin("POST", "/accounts/" + std::string(kTokenA) + "/vouchers/" + id + "/payment",
                 Json{{"amount", amount}, {"date", date}});
  }

  Json Voucher(const std::string& id) { return Get("/Voucher/" + id).json["objects"][0]; }

  Json Booking(const std::string& amount, const std::string& account) {
    return Json{{"amount", amount},
                {"date", "2026-09-29T12:00:00+02:00"},
                {"type", "N"},
                {"checkAccount", {{"id", std::stoll(account)}, {"objectName", "CheckAccount"}}}};
  }

  // `count` open revenue vouchers "RE-<n>" of 10.00 + n cents, saved through the admin seed.
  void Seed(int count) {
    // Batches small enough for the fixture's 5 s client deadline on a loaded machine.
    for (int first = 0; first < count; first += 250) {
      Json list = Json::array();
      for (int n = first; n < std::min(count, first + 250); ++n) {
        Json body = VoucherBody("", "", FormatDecimal(1000 + n));
        body["voucher"]["description"] = "RE-" + std::to_string(n);
        list.push_back(std::move(body));
      }
      auto r = Admin("POST", "/accounts/" + std::string(kTokenA) + "/vouchers",
                     Json{{"vouchers", list}});
      ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    }
  }

  std::shared_ptr<FakeClock> clock_ =
      std::make_shared<FakeClock>(FromUnixMillis(1790000000000));  // 2026-09-21
  std::unique_ptr<app::SevdeskGateway> gateway_;
};

// ---- The sandbox

TEST_F(PaymentsTest, APaymentMovesTheVoucherFromOpenOverPartiallyPaidToPaid) {
  const std::string id = SaveVoucher("HS-2026-0001", "178.50");
  Json v = Voucher(id);
  EXPECT_EQ(v["status"], "100");
  EXPECT_EQ(v["paidAmount"], 0);
  EXPECT_TRUE(v["payDate"].is_null());
  const std::string created = v["update"];

  Advance(seconds(60));
  ASSERT_EQ(Pay(id, "100.01", "2026-09-21").status, 200);
  v = Voucher(id);
  EXPECT_EQ(v["status"], "750");
  EXPECT_EQ(v["paidAmount"], 100.01);  // a JSON number, as recorded
  EXPECT_EQ(v["payDate"], "2026-09-21T12:00:00+02:00");
  EXPECT_NE(v["update"], created);

  Advance(seconds(60));
  ASSERT_EQ(Pay(id, "78.49", "2026-10-30").status, 200);
  v = Voucher(id);
  EXPECT_EQ(v["status"], "1000");
  EXPECT_EQ(v["paidAmount"], 178.5);
  EXPECT_EQ(v["payDate"], "2026-10-30T12:00:00+01:00");  // winter time by then
  // A paid voucher takes no further payment.
  EXPECT_EQ(Pay(id, "1.00", "2026-10-30").status, 409);
  EXPECT_EQ(Put("/Voucher/" + id + "/bookAmount", Booking("1", kCash)).json["error"]["code"], 751);
}

TEST_F(PaymentsTest, TheListHonoursUpdateAfterStatusAndPagingAndIgnoresUnknownFilters) {
  const std::string a = SaveVoucher("HS-A", "10.00");
  const std::string b = SaveVoucher("HS-B", "20.00");
  SaveVoucher("HS-C", "30.00");
  const std::int64_t before_payments = NowUnix();
  Advance(seconds(10));
  ASSERT_EQ(Pay(a, "10.00", "2026-09-21").status, 200);
  ASSERT_EQ(Pay(b, "5.00", "2026-09-21").status, 200);
  const std::string after = std::to_string(before_payments);
  EXPECT_EQ(Get("/Voucher?updateAfter=" + after).json["objects"].size(), 2u);
  // Strictly after: the second of the change itself is not "after" it.
  EXPECT_EQ(Get("/Voucher?updateAfter=" + std::to_string(NowUnix())).json["objects"].size(), 0u);
  EXPECT_EQ(
      Get("/Voucher?updateBefore=" + std::to_string(before_payments + 1)).json["objects"].size(),
      1u);
  EXPECT_EQ(Get("/Voucher?status=1000").json["objects"][0]["id"], a);
  EXPECT_EQ(Get("/Voucher?status=750").json["objects"][0]["id"], b);
  EXPECT_EQ(Get("/Voucher?status=100").json["objects"].size(), 1u);
  // Paging and the total.
  auto page = Get("/Voucher?limit=2&offset=2&countAll=true");
  EXPECT_EQ(page.json["objects"].size(), 1u);
  EXPECT_EQ(page.json["total"], "3");
  // Unknown filters (and depth, which means nothing for vouchers) return everything.
  EXPECT_EQ(Get("/Voucher?paidAfter=" + after).json["objects"].size(), 3u);
  EXPECT_EQ(Get("/Voucher?depth=1").json["objects"].size(), 3u);
  EXPECT_EQ(Get("/Voucher?updateAfter=" + after + "&depth=1").json["objects"].size(), 2u);
}

TEST_F(PaymentsTest, CheckAccountsAreAKasseAndABankAccountPerAccount) {
  auto mine = Get("/CheckAccount").json["objects"];
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0]["id"], kCash);
  EXPECT_EQ(mine[0]["name"], "Kasse");
  EXPECT_EQ(mine[0]["type"], "register");
  EXPECT_EQ(mine[1]["id"], kBank);
  EXPECT_EQ(mine[1]["type"], "online");
  auto theirs = Get("/CheckAccount", kTokenB).json["objects"];
  ASSERT_EQ(theirs.size(), 2u);
  EXPECT_NE(theirs[0]["id"], kCash);
  // Another account's Kasse is unknown here.
  const std::string id = SaveVoucher("HS-X", "10.00");
  auto foreign =
      Put("/Voucher/" + id + "/bookAmount", Booking("1", theirs[0]["id"].get<std::string>()));
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.json["error"]["code"], 151);
}

TEST_F(PaymentsTest, BookAmountChecksTheBodyLikeSevdesk) {
  const std::string id = SaveVoucher("HS-Y", "50.00");
  EXPECT_EQ(Put("/Voucher/" + id + "/bookAmount", Booking("10", kBank)).status, 422);
  Json with_transaction = Booking("10", kBank);
  with_transaction["checkAccountTransaction"] = {{"id", 1},
                                                 {"objectName", "CheckAccountTransaction"}};
  auto unknown = Put("/Voucher/" + id + "/bookAmount", with_transaction);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json["error"]["message"],
            "No Model_CheckAccountTransaction with the id 1 was found");
  Json bad_type = Booking("10", kCash);
  bad_type["type"] = "PAID";
  EXPECT_EQ(Put("/Voucher/" + id + "/bookAmount", bad_type).status, 422);
  EXPECT_EQ(Put("/Voucher/999/bookAmount", Booking("10", kCash)).status, 404);
  EXPECT_EQ(Voucher(id)["status"], "100");
  auto booked = Put("/Voucher/" + id + "/bookAmount", Booking("10", kCash));
  ASSERT_EQ(booked.status, 200) << booked.body;
  EXPECT_EQ(booked.json["objects"]["toStatus"], "750");
  EXPECT_EQ(booked.json["objects"]["amountPayed"], "10");
}

TEST_F(PaymentsTest, FaultsStrikeBookAmountLikeTheOtherWrites) {
  const std::string id = SaveVoucher("HS-F", "50.00");
  const Json next = {{"kind", "error_500"}, {"count", 1}, {"endpoint", "bookAmount"}};
  ASSERT_EQ(Admin("POST", "/faults/next", next).status, 200);
  EXPECT_EQ(Put("/Voucher/" + id + "/bookAmount", Booking("10", kCash)).status, 500);
  EXPECT_EQ(Voucher(id)["paidAmount"], 0);  // not booked
  Json after = next;
  after["kind"] = "error_500_after_write";
  ASSERT_EQ(Admin("POST", "/faults/next", after).status, 200);
  EXPECT_EQ(Put("/Voucher/" + id + "/bookAmount", Booking("10", kCash)).status, 500);
  EXPECT_EQ(Voucher(id)["paidAmount"], 10);  // booked although the answer was a 500
}

TEST_F(PaymentsTest, AUserChangesOrDeletesAVoucher) {
  const std::string id = SaveVoucher("HS-2026-0007", "119.00");
  const std::string account = "/accounts/" + std::string(kTokenA) + "/vouchers/" + id;
  Advance(seconds(5));
  auto changed = Admin("PUT", account, Json{{"sumGross", "238.00"}, {"description", "HS-7b"}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  Json v = Voucher(id);
  EXPECT_EQ(v["sumGross"], "238");
  EXPECT_EQ(v["sumNet"], "200");
  EXPECT_EQ(v["sumTax"], "38");
  EXPECT_EQ(v["description"], "HS-7b");
  EXPECT_EQ(Get("/VoucherPos?voucher[id]=" + id).json["objects"][0]["sumGross"], "238");
  EXPECT_EQ(Get("/Voucher?updateAfter=" + std::to_string(NowUnix() - 1)).json["objects"].size(),
            1u);

  ASSERT_EQ(Admin("DELETE", account).status, 200);
  EXPECT_EQ(Get("/Voucher/" + id).status, 404);
  EXPECT_EQ(Get("/Voucher/" + id).json["error"]["code"], 151);
  EXPECT_EQ(Get("/Voucher").json["objects"].size(), 0u);
  EXPECT_EQ(Admin("DELETE", account).status, 404);
}

// ---- The client against the sandbox

TEST_F(PaymentsTest, TenThousandVouchersWithFiveHundredPaidTakeFewRequests) {
  ASSERT_NO_FATAL_FAILURE(Seed(10000));
  Advance(seconds(60));
  auto first = gateway_->ListVoucherPayments(kTokenA, std::nullopt, app::kVoucherPageSize, {});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->vouchers.size(), 10000u);
  const Instant synced = clock_->Now();

  Advance(seconds(60));
  const auto all = Get("/Voucher?limit=1000&offset=0").json["objects"];
  for (int i = 0; i < 500; ++i) {
    const std::string id = all[static_cast<std::size_t>(i)]["id"];
    const std::string gross = all[static_cast<std::size_t>(i)]["sumGross"];
    ASSERT_EQ(Pay(id, gross, "2026-11-27").status, 200);
  }
  Advance(seconds(60));
  auto changed = gateway_->ListVoucherPayments(kTokenA, synced, app::kVoucherPageSize, {});
  ASSERT_TRUE(changed) << changed.error().message;
  ASSERT_EQ(changed->vouchers.size(), 500u);
  for (const auto& p : changed->vouchers) {
    EXPECT_EQ(p.status, app::kVoucherPaid);
    EXPECT_EQ(p.paid_cents, p.gross_cents);
    EXPECT_EQ(p.pay_date, Date{std::chrono::year{2026} / 11 / 27});
  }
  std::printf("payment sync: first read of 10000 vouchers: %d requests; changed since: %d\n",
              first->requests, changed->requests);
  EXPECT_EQ(first->requests, 10);  // countAll's total spares the empty last page
  EXPECT_EQ(changed->requests, 1);
}

TEST_F(PaymentsTest, PartialPaymentsAreReadToTheCent) {
  const std::string id = SaveVoucher("HS-2026-0042", "178.51");
  ASSERT_EQ(Pay(id, "0.01", "2026-03-28").status, 200);
  ASSERT_EQ(Pay(id, "33.33", "2026-03-29").status, 200);  // the day summer time starts
  auto read = gateway_->GetVoucherPayment(kTokenA, id);
  ASSERT_TRUE(read && *read) << (read ? "gone" : read.error().message);
  const app::VoucherPayment& p = **read;
  EXPECT_EQ(p.description, "HS-2026-0042");
  EXPECT_EQ(p.status, app::kVoucherPartiallyPaid);
  EXPECT_EQ(p.gross_cents, 17851);
  EXPECT_EQ(p.paid_cents, 3334);
  EXPECT_EQ(p.pay_date, Date{std::chrono::year{2026} / 3 / 29});
  EXPECT_EQ(ToUnixMillis(p.updated), ToUnixMillis(clock_->Now()) / 1000 * 1000);
}

TEST_F(PaymentsTest, ADeletedVoucherIsMissingFromTheFullReadAndConfirmedGone) {
  const std::string kept = SaveVoucher("HS-1", "10.00");
  const std::string deleted = SaveVoucher("HS-2", "20.00");
  ASSERT_EQ(Admin("DELETE", "/accounts/" + std::string(kTokenA) + "/vouchers/" + deleted).status,
            200);
  auto all = gateway_->ListVoucherPayments(kTokenA, std::nullopt, 1, {});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->vouchers.size(), 1u);
  EXPECT_EQ(all->vouchers[0].id, kept);
  EXPECT_EQ(all->requests, 1);  // the total (1) ends the reading after one page of 1
  auto gone = gateway_->GetVoucherPayment(kTokenA, deleted);
  ASSERT_TRUE(gone) << gone.error().message;
  EXPECT_FALSE(gone->has_value());
}

TEST_F(PaymentsTest, AChangedSumShowsInTheNextChangedSinceRead) {
  const std::string id = SaveVoucher("HS-9", "100.00");
  const Instant synced = clock_->Now();
  Advance(seconds(30));
  ASSERT_EQ(Admin("PUT", "/accounts/" + std::string(kTokenA) + "/vouchers/" + id,
                  Json{{"sumGross", "90.00"}})
                .status,
            200);
  auto changed = gateway_->ListVoucherPayments(kTokenA, synced, app::kVoucherPageSize, {});
  ASSERT_TRUE(changed) << changed.error().message;
  ASSERT_EQ(changed->vouchers.size(), 1u);
  EXPECT_EQ(changed->vouchers[0].gross_cents, 9000);
  EXPECT_EQ(changed->vouchers[0].status, app::kVoucherOpen);
}

TEST_F(PaymentsTest, TheClientListsPaymentAccountsAndBooksACashPayment) {
  auto accounts = gateway_->ListPaymentAccounts(kTokenA);
  ASSERT_TRUE(accounts) << accounts.error().message;
  ASSERT_EQ(accounts->size(), 2u);
  EXPECT_EQ((*accounts)[0].id, kCash);
  EXPECT_EQ((*accounts)[0].type, "register");
  EXPECT_EQ((*accounts)[1].type, "online");

  const std::string id = SaveVoucher("HS-2026-0050", "60.00");
  app::VoucherBooking cash{id, 2000, Date{std::chrono::year{2026} / 7 / 4}, kCash};
  auto booked = gateway_->BookAmount(kTokenA, cash);
  ASSERT_TRUE(booked) << booked.error().message;
  EXPECT_EQ(booked->from_status, app::kVoucherOpen);
  EXPECT_EQ(booked->to_status, app::kVoucherPartiallyPaid);
  EXPECT_EQ(booked->amount_cents, 2000);
  EXPECT_EQ(Voucher(id)["payDate"], "2026-07-04T12:00:00+02:00");

  // On the bank account sevdesk wants a bank transaction: rejected, certainly not booked.
  app::VoucherBooking bank = cash;
  bank.check_account_id = kBank;
  auto refused = gateway_->BookAmount(kTokenA, bank);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().reason, app::sevdesk_reason::kRejected);

  // A 500 after the booking: uncertain, and the voucher shows it was booked.
  ASSERT_EQ(Admin("POST", "/faults/next",
                  Json{{"kind", "error_500_after_write"}, {"count", 1}, {"endpoint", "bookAmount"}})
                .status,
            200);
  auto uncertain = gateway_->BookAmount(kTokenA, cash);
  ASSERT_FALSE(uncertain);
  EXPECT_EQ(uncertain.error().reason, app::sevdesk_reason::kUncertain);
  EXPECT_EQ((*gateway_->GetVoucherPayment(kTokenA, id))->paid_cents, 4000);

  // The voucher deleted in sevdesk.
  ASSERT_EQ(Admin("DELETE", "/accounts/" + std::string(kTokenA) + "/vouchers/" + id).status, 200);
  auto gone = gateway_->BookAmount(kTokenA, cash);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().reason, app::sevdesk_reason::kVoucherGone);
}

}  // namespace
}  // namespace hs::sevdesk::sandbox::testing
