// The repository contract, written against app::Database so every engine runs the same suite:
// each test runs on SQLite and on PostgreSQL (skipped without $HS_TEST_POSTGRES_URL).
#include <gtest/gtest.h>

#include <set>

#include "store_fixture.hpp"

namespace hs::store {
namespace {

class RepositoryContract : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    school_a_ = CreateSchool("A");
    school_b_ = CreateSchool("B");
  }

  std::int64_t CreateSchool(const std::string& name) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    domain::School s;
    s.name = name;
    auto id = (*uow)->Schools().Create(s);
    EXPECT_TRUE(id);
    EXPECT_TRUE((*uow)->Commit());
    return *id;
  }

  domain::Customer NewCustomer(std::int64_t school, const std::string& last) {
    domain::Customer c;
    c.school_id = school;
    c.last_name = last;
    c.dogs = {{"Bello", "Dackel"}};
    return c;
  }

  std::int64_t AddReceipt(app::UnitOfWork& uow, std::int64_t school, const std::string& date,
                          domain::ReceiptType type, const std::string& who) {
    domain::Receipt r;
    r.school_id = school;
    r.type = type;
    r.date = *ParseIsoDate(date);
    r.counterparty = who;
    r.amount_gross_cents = 100;
    auto id = uow.Receipts().Create(r, type == domain::ReceiptType::kExpense ? "%PDF-1" : "");
    EXPECT_TRUE(id) << id.error().message;
    return *id;
  }

  std::int64_t school_a_ = 0;
  std::int64_t school_b_ = 0;
};

TEST_P(RepositoryContract, CustomerNumbersArePerSchoolAndVersionsIncrement) {
  auto uow = db_->Begin(app::TxKind::kWrite);
  auto a1 = (*uow)->Customers().Create(NewCustomer(school_a_, "Müller"));
  auto a2 = (*uow)->Customers().Create(NewCustomer(school_a_, "Schmidt"));
  auto b1 = (*uow)->Customers().Create(NewCustomer(school_b_, "Weber"));
  ASSERT_TRUE(a1 && a2 && b1);
  EXPECT_EQ(a1->customer_number, 1);
  EXPECT_EQ(a2->customer_number, 2);
  EXPECT_EQ(b1->customer_number, 1);
  domain::Customer changed = *a1;
  changed.first_name = "Anna";
  changed.dogs.push_back({"Luna", "Pudel"});
  auto updated = (*uow)->Customers().Update(changed);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->version, 2);
  ASSERT_TRUE((*uow)->Commit());

  auto read = db_->Begin(app::TxKind::kRead);
  auto got = (*read)->Customers().Get(school_a_, a1->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first_name, "Anna");
  EXPECT_EQ(got->version, 2);
  ASSERT_EQ(got->dogs.size(), 2u);
  EXPECT_EQ(got->dogs[1].name, "Luna");
  // Another school's id is simply not found.
  EXPECT_EQ((*read)->Customers().Get(school_b_, a1->id).error().code, ErrorCode::kNotFound);
  auto page = (*read)->Customers().List(school_a_, {"müll", 50, 0});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 1);
  auto all_b = (*read)->Customers().List(school_b_, {"", 50, 0});
  EXPECT_EQ(all_b->total, 1);
}

TEST_P(RepositoryContract, RollbackWithoutCommit) {
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    ASSERT_TRUE((*uow)->Customers().Create(NewCustomer(school_a_, "Temp")));
  }
  auto read = db_->Begin(app::TxKind::kRead);
  EXPECT_EQ((*read)->Customers().List(school_a_, {"", 50, 0})->total, 0);
}

TEST_P(RepositoryContract, SequencesAreGaplessPerSchoolAndYear) {
  auto uow = db_->Begin(app::TxKind::kWrite);
  auto& inv = (*uow)->Invoices();
  EXPECT_EQ(inv.NextSequence(school_a_, 2026), 1);
  EXPECT_EQ(inv.NextSequence(school_a_, 2026), 2);
  EXPECT_EQ(inv.NextSequence(school_a_, 2027), 1);
  EXPECT_EQ(inv.NextSequence(school_b_, 2026), 1);
  EXPECT_EQ(inv.NextSequence(school_a_, 2026), 3);
  // A rolled-back transaction gives its number back: no gap.
  uow->reset();
  {
    auto tx = db_->Begin(app::TxKind::kWrite);
    EXPECT_EQ((*tx)->Invoices().NextSequence(school_a_, 2026), 1);
  }
  auto tx = db_->Begin(app::TxKind::kWrite);
  EXPECT_EQ((*tx)->Invoices().NextSequence(school_a_, 2026), 1);
}

TEST_P(RepositoryContract, ReceiptsPageByKeysetWithFiltersAndIsolation) {
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    for (int i = 0; i < 57; ++i) {
      const std::string date = "2026-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10);
      AddReceipt(**uow, school_a_, date,
                 i % 3 == 0 ? domain::ReceiptType::kExpense : domain::ReceiptType::kIncome,
                 i % 5 == 0 ? "Tierbedarf Nord" : "Kunde " + std::to_string(i));
    }
    AddReceipt(**uow, school_b_, "2026-05-05", domain::ReceiptType::kIncome, "Fremd");
    ASSERT_TRUE((*uow)->Commit());
  }
  auto read = db_->Begin(app::TxKind::kRead);
  auto& receipts = (*read)->Receipts();
  for (auto order : {app::SortOrder::kDateDesc, app::SortOrder::kDateAsc}) {
    app::ReceiptQuery q;
    q.limit = 10;
    q.order = order;
    std::set<std::int64_t> seen;
    std::optional<std::pair<Date, std::int64_t>> last;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = receipts.List(school_a_, q);
      ASSERT_TRUE(page) << page.error().message;
      EXPECT_EQ(page->total, 57);
      for (const auto& r : page->items) {
        EXPECT_TRUE(seen.insert(r.id).second) << "row seen twice";
        if (last) {
          const auto key = std::make_pair(std::chrono::sys_days{r.date}, r.id);
          const auto prev = std::make_pair(std::chrono::sys_days{last->first}, last->second);
          EXPECT_TRUE(order == app::SortOrder::kDateDesc ? key < prev : prev < key);
        }
        last = std::make_pair(r.date, r.id);
      }
      if (!page->has_more) break;
      q.after = std::make_pair(page->items.back().date, page->items.back().id);
    }
    EXPECT_EQ(seen.size(), 57u);
  }
  app::ReceiptQuery expenses;
  expenses.type = domain::ReceiptType::kExpense;
  EXPECT_EQ(receipts.List(school_a_, expenses)->total, 19);
  app::ReceiptQuery text;
  text.text = "tierbedarf";
  EXPECT_EQ(receipts.List(school_a_, text)->total, 12);
  app::ReceiptQuery range;
  range.from = *ParseIsoDate("2026-02-01");
  range.to = *ParseIsoDate("2026-02-28");
  auto in_range = receipts.List(school_a_, range);
  for (const auto& r : in_range->items) EXPECT_EQ(static_cast<unsigned>(r.date.month()), 2u);
  EXPECT_GT(in_range->total, 0);
  app::ReceiptQuery offset;
  offset.limit = 10;
  offset.offset = 50;
  EXPECT_EQ(receipts.List(school_a_, offset)->items.size(), 7u);
  EXPECT_EQ(receipts.List(school_b_, {})->total, 1);
}

TEST_P(RepositoryContract, LikeWildcardsInSearchAreLiteral) {
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    AddReceipt(**uow, school_a_, "2026-01-01", domain::ReceiptType::kIncome, "100% Hund");
    AddReceipt(**uow, school_a_, "2026-01-02", domain::ReceiptType::kIncome, "Katze");
    ASSERT_TRUE((*uow)->Commit());
  }
  auto read = db_->Begin(app::TxKind::kRead);
  app::ReceiptQuery q;
  q.text = "%";
  EXPECT_EQ((*read)->Receipts().List(school_a_, q)->total, 1);
}

TEST_P(RepositoryContract, SecondProcessOnTheSameFileIsRefused) {
  auto second = OpenAgain();
  if (IsPostgres()) {
    // PostgreSQL is made for several processes: a second one opens (and migrates) fine.
    ASSERT_TRUE(second) << second.error().message;
    auto uow = (*second)->Begin(app::TxKind::kRead);
    ASSERT_TRUE(uow);
    EXPECT_EQ((*uow)->Schools().ListAll()->size(), 2u);
    return;
  }
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().reason, "database_in_use");
  EXPECT_NE(second.error().message.find("PostgreSQL"), std::string::npos);
}

TEST_P(RepositoryContract, MigrationsAreIdempotent) {
  auto again = MigrateDatabase(config_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 0);
}

TEST_P(RepositoryContract, BlobsAndTextRoundTripByteExact) {
  std::string pdf = "%PDF-1.4\n";
  for (int i = 0; i < 256; ++i) pdf += static_cast<char>(i);
  std::int64_t id = 0;
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    domain::Receipt r;
    r.school_id = school_a_;
    r.type = domain::ReceiptType::kExpense;
    r.date = *ParseIsoDate("2026-03-01");
    r.counterparty = "Fressnapf – Größe ÄÖÜ ß 🐕";
    r.file_name = "beleg.pdf";
    r.file_content_type = "application/pdf";
    auto created = (*uow)->Receipts().Create(r, pdf);
    ASSERT_TRUE(created) << created.error().message;
    id = *created;
    ASSERT_TRUE((*uow)->Commit());
  }
  auto read = db_->Begin(app::TxKind::kRead);
  auto got = (*read)->Receipts().Get(school_a_, id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->counterparty, "Fressnapf – Größe ÄÖÜ ß 🐕");
  auto file = (*read)->Receipts().GetFile(school_a_, id);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->content, pdf);
}

INSTANTIATE_TEST_SUITE_P(Engines, RepositoryContract,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

}  // namespace
}  // namespace hs::store
