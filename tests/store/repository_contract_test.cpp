// The repository contract, written against app::Database so every engine runs the same suite:
// each test runs on SQLite and on PostgreSQL (skipped without $HS_TEST_POSTGRES_URL).
#include <gtest/gtest.h>

#include <set>

#include "store/postgres/pg_connection.hpp"
#include "store/sql_unit_of_work.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store_fixture.hpp"

namespace hs::store {
namespace {

// One receipt of the totals tests: school (0 = A, 1 = B), type, date.
struct ReceiptSpec {
  int school;
  domain::ReceiptType type;
  std::string date;
  std::string who;
};

std::vector<ReceiptSpec> TotalsReceipts() {
  std::vector<ReceiptSpec> out;
  for (int i = 0; i < 60; ++i) {
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", 2025 + i % 2, 1 + i % 12, 1 + i % 28);
    out.push_back({i % 4 == 3 ? 1 : 0,
                   i % 3 == 0 ? domain::ReceiptType::kExpense : domain::ReceiptType::kIncome, date,
                   i % 5 == 0 ? "Tierbedarf Nord" : "Kunde " + std::to_string(i)});
  }
  return out;
}

// The matching receipts of `specs`, counted the slow and obvious way.
std::int64_t Expected(const std::vector<ReceiptSpec>& specs, int school,
                      const app::ReceiptQuery& q) {
  std::int64_t n = 0;
  for (const auto& r : specs) {
    if (r.school != school || (q.type && r.type != *q.type)) continue;
    if (q.from && r.date < FormatIsoDate(*q.from)) continue;
    if (q.to && r.date > FormatIsoDate(*q.to)) continue;
    if (!q.text.empty() && r.who.find(q.text) == std::string::npos) continue;
    ++n;
  }
  return n;
}

// The queries the totals tests check: every combination of type, date and text filter.
std::vector<app::ReceiptQuery> TotalsQueries() {
  std::vector<app::ReceiptQuery> out;
  for (int type = 0; type < 3; ++type) {
    for (int dates = 0; dates < 4; ++dates) {
      for (const char* text : {"", "Tierbedarf"}) {
        app::ReceiptQuery q;
        if (type == 1) q.type = domain::ReceiptType::kIncome;
        if (type == 2) q.type = domain::ReceiptType::kExpense;
        if (dates & 1) q.from = *ParseIsoDate("2025-04-10");
        if (dates & 2) q.to = *ParseIsoDate("2026-02-03");
        q.text = text;
        q.limit = 500;
        out.push_back(q);
      }
    }
  }
  return out;
}

std::string Describe(const app::ReceiptQuery& q) {
  return std::string("type=") + (q.type ? domain::ToString(*q.type) : "-") +
         " from=" + (q.from ? FormatIsoDate(*q.from) : "-") +
         " to=" + (q.to ? FormatIsoDate(*q.to) : "-") + " text=" + q.text;
}

class RepositoryContract : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    school_a_ = CreateSchool("A");
    school_b_ = CreateSchool("B");
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

// `total` is kept apart from the receipts for the unfiltered and type/date-filtered lists: it
// must match the receipts after every committed insert, per school, and ignore rolled-back ones.
TEST_P(RepositoryContract, ReceiptTotalsFollowInsertsPerSchoolAndFilter) {
  const auto specs = TotalsReceipts();
  const std::int64_t schools[] = {school_a_, school_b_};
  std::vector<ReceiptSpec> committed;
  auto check = [&](const std::string& when) {
    auto read = db_->Begin(app::TxKind::kRead);
    ASSERT_TRUE(read);
    for (int school = 0; school < 2; ++school) {
      for (const auto& q : TotalsQueries()) {
        auto page = (*read)->Receipts().List(schools[school], q);
        ASSERT_TRUE(page) << page.error().message;
        const auto expected = Expected(committed, school, q);
        EXPECT_EQ(page->total, expected) << when << ", school " << school << ", " << Describe(q);
        EXPECT_EQ(static_cast<std::int64_t>(page->items.size()), expected)
            << when << ", school " << school << ", " << Describe(q);
      }
    }
  };
  check("empty");
  if (HasFailure()) return;
  // Three committed transactions of 20 receipts each, checked after each one.
  for (std::size_t start = 0; start < specs.size(); start += 20) {
    auto uow = db_->Begin(app::TxKind::kWrite);
    ASSERT_TRUE(uow);
    for (std::size_t i = start; i < start + 20; ++i) {
      const auto& r = specs[i];
      AddReceipt(**uow, schools[r.school], r.date, r.type, r.who);
      committed.push_back(r);
    }
    ASSERT_TRUE((*uow)->Commit());
    check("after " + std::to_string(committed.size()) + " receipts");
    if (HasFailure()) return;
  }
  // A rolled-back insert leaves every total as it was.
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    AddReceipt(**uow, school_a_, "2025-06-01", domain::ReceiptType::kIncome, "Tierbedarf Süd");
    AddReceipt(**uow, school_b_, "2026-01-01", domain::ReceiptType::kExpense, "Kunde X");
  }
  check("after a rollback");
}

// A database that already holds receipts when migration 0003 arrives: the counts are backfilled,
// follow later inserts, and even follow a correction or deletion made by hand in SQL.
TEST_P(RepositoryContract, ReceiptTotalsAfterMigratingADatabaseWithReceipts) {
  DatabaseConfig old_config = config_;
  std::unique_ptr<sql::Connection> conn;
  std::string old_db;
  if (IsPostgres()) {
    old_db = db_name_ + "_old";
    auto admin = PgConnection::Open(admin_url_);
    ASSERT_TRUE(admin) << admin.error().message;
    ASSERT_TRUE((*admin)->ExecScript("DROP DATABASE IF EXISTS " + old_db));
    ASSERT_TRUE((*admin)->ExecScript("CREATE DATABASE " + old_db));
    old_config.postgres.url = testing::WithDatabase(admin_url_, old_db);
    auto pg = PgConnection::Open(old_config.postgres.url);
    ASSERT_TRUE(pg) << pg.error().message;
    conn = std::move(*pg);
  } else {
    old_config.sqlite.path = (dir_ / "old.sqlite").string();
    auto lite = SqliteConnection::Open(old_config.sqlite.path, 5000);
    ASSERT_TRUE(lite) << lite.error().message;
    conn = std::move(*lite);
  }
  struct DropOld {
    std::string admin_url, db;
    ~DropOld() {
      if (db.empty()) return;
      if (auto admin = PgConnection::Open(admin_url)) {
        (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      }
    }
  } drop_old{admin_url_, old_db};

  // The schema before the counts, with receipts written by that version.
  auto applied = ApplyMigrations(*conn, testing::EmbeddedMigrations(GetParam(), 2));
  ASSERT_TRUE(applied) << applied.error().message;
  ASSERT_EQ(*applied, 2);
  const auto specs = TotalsReceipts();
  for (const char* name : {"Alt A", "Alt B"}) {
    ASSERT_TRUE(
        conn->Exec("INSERT INTO schools (name, tax_mode, invoice_number_format, "
                   "payment_term_days, price_entry, created_at) VALUES ($1, 'regular', "
                   "'RE-{YYYY}-{NNNN}', 14, 'net', 0)",
                   {std::string(name)}));
  }
  std::int64_t school_ids[2];
  for (int i = 0; i < 2; ++i) {
    auto row = sql::QueryOne(*conn, "SELECT id FROM schools WHERE name = $1",
                             {std::string(i == 0 ? "Alt A" : "Alt B")});
    ASSERT_TRUE(row && *row);
    school_ids[i] = (**row).Int(0);
  }
  for (const auto& r : specs) {
    ASSERT_TRUE(
        conn->Exec("INSERT INTO receipts (school_id, type, date, counterparty, "
                   "amount_gross_cents, amount_net_cents, amount_tax_cents, created_at) "
                   "VALUES ($1, $2, $3, $4, 100, 100, 0, 0)",
                   {school_ids[r.school], domain::ToString(r.type), r.date, r.who}));
  }
  conn.reset();

  // Opening with the current version migrates: backfill.
  auto db = OpenDatabase(old_config);
  ASSERT_TRUE(db) << db.error().message;
  std::vector<ReceiptSpec> expected = specs;
  auto check = [&](const std::string& when) {
    auto read = (*db)->Begin(app::TxKind::kRead);
    ASSERT_TRUE(read);
    for (int school = 0; school < 2; ++school) {
      for (const auto& q : TotalsQueries()) {
        auto page = (*read)->Receipts().List(school_ids[school], q);
        ASSERT_TRUE(page) << page.error().message;
        EXPECT_EQ(page->total, Expected(expected, school, q))
            << when << ", school " << school << ", " << Describe(q);
      }
    }
  };
  check("after the migration");
  {
    auto uow = (*db)->Begin(app::TxKind::kWrite);
    AddReceipt(**uow, school_ids[1], "2025-07-07", domain::ReceiptType::kExpense, "Tierbedarf Ost");
    ASSERT_TRUE((*uow)->Commit());
    expected.push_back({1, domain::ReceiptType::kExpense, "2025-07-07", "Tierbedarf Ost"});
  }
  check("after an insert");
  db->reset();

  // Hand-made corrections: the first receipt of school A moves to another type and day, the
  // first expense of school B is deleted.
  if (IsPostgres()) {
    auto pg = PgConnection::Open(old_config.postgres.url);
    ASSERT_TRUE(pg);
    conn = std::move(*pg);
  } else {
    auto lite = SqliteConnection::Open(old_config.sqlite.path, 5000);
    ASSERT_TRUE(lite);
    conn = std::move(*lite);
  }
  auto first_a =
      sql::QueryOne(*conn, "SELECT MIN(id) FROM receipts WHERE school_id = $1", {school_ids[0]});
  ASSERT_TRUE(first_a && *first_a);
  ASSERT_TRUE(conn->Exec("UPDATE receipts SET type = 'income', date = '2026-12-31' WHERE id = $1",
                         {(**first_a).Int(0)}));
  expected[0].type = domain::ReceiptType::kIncome;
  expected[0].date = "2026-12-31";
  auto first_b =
      sql::QueryOne(*conn, "SELECT MIN(id) FROM receipts WHERE school_id = $1 AND type = 'expense'",
                    {school_ids[1]});
  ASSERT_TRUE(first_b && *first_b);
  ASSERT_TRUE(conn->Exec("DELETE FROM receipts WHERE id = $1", {(**first_b).Int(0)}));
  const auto first_b_spec = std::find_if(expected.begin(), expected.end(), [](const auto& r) {
    return r.school == 1 && r.type == domain::ReceiptType::kExpense;
  });
  ASSERT_NE(first_b_spec, expected.end());
  expected.erase(first_b_spec);
  conn.reset();
  db = OpenDatabase(old_config);
  ASSERT_TRUE(db) << db.error().message;
  check("after corrections by hand");
}

// The search matches words (issue 18): LIKE's wildcards are separators like any punctuation, a
// query of nothing else finds nothing.
TEST_P(RepositoryContract, LikeWildcardsInSearchAreNoWildcards) {
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    AddReceipt(**uow, school_a_, "2026-01-01", domain::ReceiptType::kIncome, "100% Hund");
    AddReceipt(**uow, school_a_, "2026-01-02", domain::ReceiptType::kIncome, "Katze");
    ASSERT_TRUE((*uow)->Commit());
  }
  auto read = db_->Begin(app::TxKind::kRead);
  app::ReceiptQuery q;
  for (const auto& [text, total] : std::vector<std::pair<std::string, int>>{
           {"%", 0}, {"_", 0}, {"100%", 1}, {"K_tze", 0}, {"%atze", 0}, {"Kat%", 1}}) {
    q.text = text;
    EXPECT_EQ((*read)->Receipts().List(school_a_, q)->total, total) << text;
  }
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

// The e-invoice fields (issue 17): the customer's, the school's contact name, the snapshot
// frozen at finalization and the XRechnung XML beside the PDF.
TEST_P(RepositoryContract, EInvoiceFieldsAndTheXRechnungRoundTrip) {
  auto uow = db_->Begin(app::TxKind::kWrite);
  auto school = (*uow)->Schools().Get(school_a_);
  ASSERT_TRUE(school);
  school->contact_name = "Erika Pfote";
  ASSERT_TRUE((*uow)->Schools().Update(*school));
  domain::Customer c = NewCustomer(school_a_, "Amt");
  c.e_invoice = domain::EInvoiceKind::kXRechnung;
  c.public_authority = true;
  c.buyer_reference = "04011000-1234512345-06";
  c.vat_id = "DE123456789";
  auto customer = (*uow)->Customers().Create(c);
  ASSERT_TRUE(customer) << customer.error().message;
  domain::Invoice inv;
  inv.school_id = school_a_;
  inv.customer_id = customer->id;
  inv.invoice_date = *ParseIsoDate("2026-03-01");
  inv.lines = {{"Kurs", 1000, "Kurs", 5000, 19}};
  auto id = (*uow)->Invoices().CreateDraft(inv);
  ASSERT_TRUE(id) << id.error().message;
  inv.id = *id;
  inv.status = domain::InvoiceStatus::kFinalized;
  inv.number = "RE-2026-0001";
  inv.customer_snapshot = {
      "Amt",   "", {}, "a@amt.example", 1, domain::EInvoiceKind::kXRechnung, c.buyer_reference,
      c.vat_id};
  ASSERT_TRUE((*uow)->Invoices().SaveFinalized(inv, "%PDF-1.4"));
  EXPECT_FALSE(*(*uow)->Invoices().GetXRechnung(school_a_, inv.id));
  const std::string xml = "<?xml version=\"1.0\"?><a>Größe ÄÖÜ</a>";
  ASSERT_TRUE((*uow)->Invoices().SaveXRechnung(inv.id, xml));
  ASSERT_TRUE((*uow)->Commit());

  auto read = db_->Begin(app::TxKind::kRead);
  EXPECT_EQ((*read)->Schools().Get(school_a_)->contact_name, "Erika Pfote");
  auto got = (*read)->Customers().Get(school_a_, customer->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->e_invoice, domain::EInvoiceKind::kXRechnung);
  EXPECT_TRUE(got->public_authority);
  EXPECT_EQ(got->buyer_reference, c.buyer_reference);
  EXPECT_EQ(got->vat_id, "DE123456789");
  auto stored = (*read)->Invoices().Get(school_a_, inv.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->customer_snapshot.e_invoice, domain::EInvoiceKind::kXRechnung);
  EXPECT_EQ(stored->customer_snapshot.buyer_reference, c.buyer_reference);
  EXPECT_EQ(stored->customer_snapshot.vat_id, "DE123456789");
  EXPECT_EQ(*(*read)->Invoices().GetXRechnung(school_a_, inv.id), xml);
  EXPECT_FALSE(*(*read)->Invoices().GetXRechnung(school_b_, inv.id));  // other school: none
}

// A driver's error carries German text only; SQL and the driver's words go to the log (issue 13).
TEST_P(RepositoryContract, DriverErrorsCarryGermanTextAndNoSql) {
  std::int64_t user_id = 0;
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto id = (*uow)->Users().Create(app::User{0, school_a_, "a@example.org", "$hash", {}});
    ASSERT_TRUE(id) << id.error().message;
    user_id = *id;
    ASSERT_TRUE((*uow)->Commit());
  }
  const app::Session session{"same-hash", user_id,           school_a_,
                             "csrf",      FromUnixMillis(0), FromUnixMillis(1)};
  auto uow = db_->Begin(app::TxKind::kWrite);
  ASSERT_TRUE((*uow)->Sessions().Create(session));
  auto duplicate = (*uow)->Sessions().Create(session);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  EXPECT_EQ(duplicate.error().reason, "constraint");
  EXPECT_EQ(duplicate.error().message, std::string(app::kConstraintMessage));
  for (const char* leak : {"SQLite", "PostgreSQL", "UNIQUE", "unique", "INSERT", "sessions"}) {
    EXPECT_EQ(duplicate.error().message.find(leak), std::string::npos) << leak;
  }
}

// Migration 0006 (SQLite) / 0008 (PostgreSQL): plain SHA-256 fingerprints of sevdesk tokens are
// cleared, keyed ones and everything else of the connection stay.
TEST_P(RepositoryContract, PlainTokenFingerprintsAreClearedByTheMigration) {
  const int before = IsPostgres() ? 7 : 5;
  DatabaseConfig old_config = config_;
  std::unique_ptr<sql::Connection> conn;
  if (IsPostgres()) {
    auto admin = PgConnection::Open(admin_url_);
    ASSERT_TRUE(admin) << admin.error().message;
    ASSERT_TRUE((*admin)->ExecScript("DROP DATABASE IF EXISTS " + db_name_ + "_fp"));
    ASSERT_TRUE((*admin)->ExecScript("CREATE DATABASE " + db_name_ + "_fp"));
    old_config.postgres.url = testing::WithDatabase(admin_url_, db_name_ + "_fp");
    auto pg = PgConnection::Open(old_config.postgres.url);
    ASSERT_TRUE(pg) << pg.error().message;
    conn = std::move(*pg);
  } else {
    old_config.sqlite.path = (dir_ / "old_fp.sqlite").string();
    auto lite = SqliteConnection::Open(old_config.sqlite.path, 5000);
    ASSERT_TRUE(lite) << lite.error().message;
    conn = std::move(*lite);
  }
  ASSERT_TRUE(ApplyMigrations(*conn, testing::EmbeddedMigrations(GetParam(), before)));
  for (const char* name : {"Alt", "Neu"}) {
    ASSERT_TRUE(conn->Exec(
        "INSERT INTO schools (name, tax_mode, invoice_number_format, payment_term_days, "
        "price_entry, created_at) VALUES ($1, 'regular', 'RE-{YYYY}-{NNNN}', 14, 'net', 0)",
        {std::string(name)}));
  }
  const std::string plain(64, 'a');
  const std::string keyed = "tf1:" + std::string(64, 'b');
  ASSERT_TRUE(
      conn->Exec("INSERT INTO sevdesk_connections (school_id, token_sealed, enabled, last_test_ok, "
                 "token_fingerprint_tested, updated_at) SELECT id, 'v1:sealed', 1, 1, "
                 "CASE WHEN name = 'Alt' THEN $1 ELSE $2 END, 0 FROM schools",
                 {plain, keyed}));
  auto applied = ApplyMigrations(*conn, testing::EmbeddedMigrations(GetParam(), 1000));
  ASSERT_TRUE(applied) << applied.error().message;
  auto rows = conn->Query(
      "SELECT s.name, c.token_fingerprint_tested, c.enabled, c.last_test_ok, c.token_sealed "
      "FROM sevdesk_connections c JOIN schools s ON s.id = c.school_id ORDER BY s.name",
      {});
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Text(1), "");     // Alt: the plain fingerprint is gone
  EXPECT_EQ((*rows)[1].Text(1), keyed);  // Neu: kept
  for (const auto& row : *rows) {
    EXPECT_EQ(row.Int(2), 1);  // still enabled and tested: nothing decides on the fingerprint
    EXPECT_EQ(row.Int(3), 1);
    EXPECT_EQ(row.Text(4), "v1:sealed");
  }
  conn.reset();
  if (IsPostgres()) {
    if (auto admin = PgConnection::Open(admin_url_)) {
      (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + db_name_ + "_fp WITH (FORCE)");
    }
  }
}

TEST_P(RepositoryContract, NewSqliteFilesAreReadableByTheOwnerOnly) {
  if (IsPostgres()) GTEST_SKIP() << "SQLite files only";
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    ASSERT_TRUE((*uow)->Sessions().DeleteExpired(FromUnixMillis(0)));
    ASSERT_TRUE((*uow)->Commit());
  }
  using std::filesystem::perms;
  for (const std::string suffix : {"", "-wal", "-shm"}) {
    const auto mode = std::filesystem::status(config_.sqlite.path + suffix).permissions();
    EXPECT_EQ(mode & (perms::group_all | perms::others_all), perms::none) << suffix;
    EXPECT_EQ(mode & perms::owner_all, perms::owner_read | perms::owner_write) << suffix;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, RepositoryContract,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

}  // namespace
}  // namespace hs::store
