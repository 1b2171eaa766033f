// The search index (issue 18, ADR 0021) on every engine: the customers, invoices and receipts
// lists find rows by folded words and word starts, every word of a query (AND), only in the
// school asked for; the index follows renames in the same transaction, and the rows of a
// database older than the index are indexed once when it is opened.
#include <gtest/gtest.h>

#include <algorithm>

#include "store/postgres/pg_connection.hpp"
#include "store/sql_search.hpp"
#include "store/sql_unit_of_work.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store_fixture.hpp"

namespace hs::store {
namespace {

using Ids = std::vector<std::int64_t>;

class SearchContract : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    school_a_ = CreateSchool("A");
    school_b_ = CreateSchool("B");
  }

  // The same customer, draft, finalized invoice and receipt in a school.
  struct Rows {
    std::int64_t customer = 0, company = 0, draft = 0, invoice = 0, receipt = 0;
  };
  Rows AddRows(std::int64_t school) {
    Rows out;
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto& customers = (*uow)->Customers();
    domain::Customer c;
    c.school_id = school;
    c.first_name = "Anna";
    c.last_name = "Müller";
    c.email = "anna.mueller@example.org";
    c.address.city = "Köln";
    c.dogs = {{"Bello", "Dackel"}};
    auto customer = customers.Create(c);
    EXPECT_TRUE(customer) << customer.error().message;
    out.customer = customer->id;
    domain::Customer firm;
    firm.school_id = school;
    firm.kind = domain::CustomerKind::kCompany;
    firm.company_name = "Hundefreunde Straße GmbH";
    out.company = customers.Create(firm)->id;

    domain::Invoice draft;
    draft.school_id = school;
    draft.customer_id = out.customer;
    draft.invoice_date = *ParseIsoDate("2026-03-01");
    draft.lines = {{"Welpenkurs Sommer", 1000, "Kurs", 5000, 19}};
    out.draft = *(*uow)->Invoices().CreateDraft(draft);

    domain::Invoice inv = draft;
    inv.customer_id = out.company;
    inv.lines = {{"Einzelstunde", 1000, "Stunde", 6000, 19}};
    inv.id = *(*uow)->Invoices().CreateDraft(inv);
    inv.status = domain::InvoiceStatus::kFinalized;
    inv.number = "RE-2026-0112";
    inv.number_year = 2026;
    inv.number_sequence = 112;
    inv.customer_snapshot.name = "Hundefreunde Straße GmbH";
    auto saved = (*uow)->Invoices().SaveFinalized(inv, "%PDF-1.4");
    EXPECT_TRUE(saved) << saved.error().message;
    out.invoice = inv.id;

    domain::Receipt r;
    r.school_id = school;
    r.type = domain::ReceiptType::kIncome;
    r.date = *ParseIsoDate("2026-03-01");
    r.number = "RE-2026-0112";
    r.counterparty = "Hundefreunde Straße GmbH";
    r.description = "Einzelstunde";
    auto receipt = (*uow)->Receipts().Create(r, "");
    EXPECT_TRUE(receipt) << receipt.error().message;
    out.receipt = *receipt;
    EXPECT_TRUE((*uow)->Commit());
    return out;
  }

  Ids Customers(std::int64_t school, const std::string& text) {
    auto read = db_->Begin(app::TxKind::kRead);
    auto page = (*read)->Customers().List(school, {text, 50, 0});
    EXPECT_TRUE(page) << page.error().message;
    Ids ids;
    for (const auto& c : page->items) ids.push_back(c.id);
    EXPECT_EQ(page->total, static_cast<std::int64_t>(ids.size())) << text;
    return Sorted(ids);
  }
  Ids Invoices(std::int64_t school, const std::string& text) {
    auto read = db_->Begin(app::TxKind::kRead);
    app::InvoiceQuery q;
    q.text = text;
    auto page = (*read)->Invoices().List(school, q);
    EXPECT_TRUE(page) << page.error().message;
    Ids ids;
    for (const auto& i : page->items) ids.push_back(i.id);
    EXPECT_EQ(page->total, static_cast<std::int64_t>(ids.size())) << text;
    return Sorted(ids);
  }
  Ids Receipts(std::int64_t school, const std::string& text) {
    auto read = db_->Begin(app::TxKind::kRead);
    app::ReceiptQuery q;
    q.text = text;
    auto page = (*read)->Receipts().List(school, q);
    EXPECT_TRUE(page) << page.error().message;
    Ids ids;
    for (const auto& r : page->items) ids.push_back(r.id);
    EXPECT_EQ(page->total, static_cast<std::int64_t>(ids.size())) << text;
    return Sorted(ids);
  }
  // A connection of its own on the database of `config` (default: this test's).
  std::unique_ptr<sql::Connection> RawConnection(const DatabaseConfig* config = nullptr) {
    const DatabaseConfig& cfg = config ? *config : config_;
    if (IsPostgres()) {
      auto pg = PgConnection::Open(cfg.postgres.url);
      EXPECT_TRUE(pg) << pg.error().message;
      return pg ? std::move(*pg) : nullptr;
    }
    auto lite = SqliteConnection::Open(cfg.sqlite.path, 5000);
    EXPECT_TRUE(lite) << lite.error().message;
    return lite ? std::move(*lite) : nullptr;
  }

  // A second, empty database beside this test's (dropped by TearDown on PostgreSQL).
  DatabaseConfig EmptyDatabase() {
    DatabaseConfig cfg = config_;
    if (IsPostgres()) {
      old_db_ = db_name_ + "_old";
      auto admin = PgConnection::Open(admin_url_);
      EXPECT_TRUE(admin) << admin.error().message;
      EXPECT_TRUE((*admin)->ExecScript("DROP DATABASE IF EXISTS " + old_db_));
      EXPECT_TRUE((*admin)->ExecScript("CREATE DATABASE " + old_db_));
      cfg.postgres.url = testing::WithDatabase(admin_url_, old_db_);
    } else {
      cfg.sqlite.path = (dir_ / "old.sqlite").string();
    }
    return cfg;
  }

  void TearDown() override {
    db_.reset();
    if (!old_db_.empty()) {
      if (auto admin = PgConnection::Open(admin_url_)) {
        (void)(*admin)->ExecScript("DROP DATABASE IF EXISTS " + old_db_ + " WITH (FORCE)");
      }
    }
    StoreTest::TearDown();
  }

  void ExpectRankedReceipts(std::vector<std::pair<Date, std::int64_t>> dogs);
  void ExpectRankedInvoices();

  static Ids Sorted(Ids ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::int64_t school_a_ = 0;
  std::int64_t school_b_ = 0;
  std::string old_db_;
};

TEST_P(SearchContract, CustomersAreFoundByFoldedWordsAndWordStarts) {
  const Rows a = AddRows(school_a_);
  const Rows b = AddRows(school_b_);
  EXPECT_EQ(Customers(school_a_, "mueller"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "Müller"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "muller"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "mül"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "MÜL"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "ller"), Ids{});  // word starts only
  EXPECT_EQ(Customers(school_a_, "anna mül"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "anna schmidt"), Ids{});
  EXPECT_EQ(Customers(school_a_, "koeln"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "bello"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "anna.mueller@example"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "strasse"), Ids{a.company});
  EXPECT_EQ(Customers(school_a_, "2"), Ids{a.company});  // customer number
  EXPECT_EQ(Customers(school_a_, "%"), Ids{});
  EXPECT_EQ(Customers(school_a_, ""), Sorted({a.customer, a.company}));
  // The other school's identical rows are never found from this one, and the other way round.
  EXPECT_EQ(Customers(school_b_, "mueller"), Ids{b.customer});
}

TEST_P(SearchContract, InvoicesAndReceiptsAreFoundByNumberNameAndText) {
  const Rows a = AddRows(school_a_);
  const Rows b = AddRows(school_b_);
  EXPECT_EQ(Invoices(school_a_, "112"), Ids{a.invoice});
  EXPECT_EQ(Invoices(school_a_, "0112"), Ids{a.invoice});
  EXPECT_EQ(Invoices(school_a_, "RE-2026-0112"), Ids{a.invoice});
  EXPECT_EQ(Invoices(school_a_, "re 2026 0113"), Ids{});
  EXPECT_EQ(Invoices(school_a_, "strasse"), Ids{a.invoice});      // the customer it was issued to
  EXPECT_EQ(Invoices(school_a_, "mueller"), Ids{a.draft});        // a draft's customer
  EXPECT_EQ(Invoices(school_a_, "welpen sommer"), Ids{a.draft});  // line texts
  EXPECT_EQ(Invoices(school_a_, "welpen einzel"), Ids{});
  EXPECT_EQ(Invoices(school_b_, "112"), Ids{b.invoice});

  EXPECT_EQ(Receipts(school_a_, "112"), Ids{a.receipt});
  EXPECT_EQ(Receipts(school_a_, "RE-2026-0112"), Ids{a.receipt});
  EXPECT_EQ(Receipts(school_a_, "strasse"), Ids{a.receipt});
  EXPECT_EQ(Receipts(school_a_, "Straße einzelst"), Ids{a.receipt});
  EXPECT_EQ(Receipts(school_a_, "straße futter"), Ids{});
  EXPECT_EQ(Receipts(school_b_, "hundefreunde"), Ids{b.receipt});
}

// A cancellation is written finalized at once (InsertFinalized): found by its own number.
TEST_P(SearchContract, ACancellationIsFoundByItsNumberAndTheCustomer) {
  const Rows a = AddRows(school_a_);
  std::int64_t storno = 0;
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto original = (*uow)->Invoices().Get(school_a_, a.invoice);
    ASSERT_TRUE(original) << original.error().message;
    domain::Invoice c = *original;
    c.id = 0;
    c.kind = domain::InvoiceKind::kCancellation;
    c.number = "RE-2026-0113";
    c.number_sequence = 113;
    c.cancels_invoice_id = a.invoice;
    c.cancels_invoice_number = original->number;
    auto id = (*uow)->Invoices().InsertFinalized(c, "%PDF-1.4");
    ASSERT_TRUE(id) << id.error().message;
    storno = *id;
    ASSERT_TRUE((*uow)->Invoices().MarkCancelled(school_a_, a.invoice, storno));
    ASSERT_TRUE((*uow)->Commit());
  }
  EXPECT_EQ(Invoices(school_a_, "113"), Ids{storno});
  EXPECT_EQ(Invoices(school_a_, "112"), Ids{a.invoice});
  EXPECT_EQ(Invoices(school_a_, "hundefreunde einzel"), Sorted({a.invoice, storno}));
}

TEST_P(SearchContract, ARenamedCustomerIsFoundByTheNewNameOnlyAndSoAreItsDrafts) {
  const Rows a = AddRows(school_a_);
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto c = (*uow)->Customers().Get(school_a_, a.customer);
    ASSERT_TRUE(c);
    c->last_name = "Schulze";
    c->email = "anna@schulze.example";
    c->dogs = {{"Luna", "Pudel"}};
    ASSERT_TRUE((*uow)->Customers().Update(*c));
    auto firm = (*uow)->Customers().Get(school_a_, a.company);
    firm->company_name = "Pfotenhilfe GmbH";
    ASSERT_TRUE((*uow)->Customers().Update(*firm));
    ASSERT_TRUE((*uow)->Commit());
  }
  EXPECT_EQ(Customers(school_a_, "schulze"), Ids{a.customer});
  EXPECT_EQ(Customers(school_a_, "mueller"), Ids{});
  EXPECT_EQ(Customers(school_a_, "bello"), Ids{});
  EXPECT_EQ(Customers(school_a_, "luna"), Ids{a.customer});
  EXPECT_EQ(Invoices(school_a_, "schulze"), Ids{a.draft});
  EXPECT_EQ(Invoices(school_a_, "mueller"), Ids{});
  // A finalized invoice keeps the name it was issued to.
  EXPECT_EQ(Invoices(school_a_, "pfotenhilfe"), Ids{});
  EXPECT_EQ(Invoices(school_a_, "hundefreunde"), Ids{a.invoice});
}

TEST_P(SearchContract, TokensFollowTheTransactionAndDeletions) {
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    domain::Customer c;
    c.school_id = school_a_;
    c.last_name = "Zurückgerollt";
    ASSERT_TRUE((*uow)->Customers().Create(c));
  }
  EXPECT_EQ(Customers(school_a_, "zurueck"), Ids{});
  const Rows a = AddRows(school_a_);
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    ASSERT_TRUE((*uow)->Invoices().DeleteDraft(school_a_, a.draft));
    ASSERT_TRUE((*uow)->Commit());
  }
  EXPECT_EQ(Invoices(school_a_, "welpenkurs"), Ids{});
  // A receipt an operator deletes by hand: gone from the search and from its total.
  ASSERT_TRUE(RawConnection()->Exec("DELETE FROM receipts WHERE id = $1", {a.receipt}));
  EXPECT_EQ(Receipts(school_a_, "hundefreunde"), Ids{});
  auto left = sql::QueryOne(*RawConnection(),
                            "SELECT COUNT(*) FROM search_tokens WHERE kind = "
                            "'invoice' AND entity_id = $1",
                            {a.draft});
  ASSERT_TRUE(left && *left);
  EXPECT_EQ((**left).Int(0), 0);
}

// Every way a search finds its page (by id up to kSearchByIdLimit matches with other filters,
// ranked in the index up to kSearchRankLimit without, walking the list's order above) gives the
// same rows in the same order, with the same totals, page after page.
TEST_P(SearchContract, ManyMatchesFindTheSameRowsAndTotalsAsFewDo) {
  constexpr int kTier = static_cast<int>(kSearchRankLimit) + 1;
  Ids tier;
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    for (int i = 0; i < kTier + 2; ++i) {
      domain::Receipt r;
      r.school_id = school_a_;
      r.type = i % 2 ? domain::ReceiptType::kIncome : domain::ReceiptType::kExpense;
      r.date = *ParseIsoDate(i % 3 ? "2026-02-01" : "2026-03-01");
      r.counterparty = i < kTier ? "Tierbedarf Nord" : "Katze";
      auto id = (*uow)->Receipts().Create(r, "");
      ASSERT_TRUE(id) << id.error().message;
      if (i < kTier) tier.push_back(*id);
    }
    ASSERT_TRUE((*uow)->Commit());
  }
  auto read = db_->Begin(app::TxKind::kRead);
  auto& receipts = (*read)->Receipts();
  app::ReceiptQuery q;
  q.text = "tier";
  q.limit = 1000;
  std::vector<std::pair<Date, std::int64_t>> seen;
  for (int pages = 0; pages < 20; ++pages) {
    auto page = receipts.List(school_a_, q);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->total, kTier);
    for (const auto& r : page->items) seen.emplace_back(r.date, r.id);
    if (!page->has_more) break;
    q.after = seen.back();
  }
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  Ids ids;
  for (const auto& [date, id] : seen) ids.push_back(id);
  EXPECT_EQ(Sorted(ids), tier);
  app::ReceiptQuery income;
  income.text = "Tierbedarf";
  income.type = domain::ReceiptType::kIncome;
  EXPECT_EQ(receipts.List(school_a_, income)->total, kTier / 2);
  app::ReceiptQuery march;
  march.text = "nord tier";
  march.from = *ParseIsoDate("2026-03-01");
  EXPECT_EQ(receipts.List(school_a_, march)->total, (kTier + 2) / 3);
  EXPECT_EQ(Receipts(school_a_, "katze").size(), 2u);
  EXPECT_EQ(Receipts(school_b_, "tier"), Ids{});
}

// A search's pages, ranked in the index (ADR 0021, amendment), follow the list's own order:
// receipts by date and then id, either way, by cursor or by page number; invoices by id. A row
// that matches by two tokens ("Müller" is "mueller" and "muller") is on one page once.
TEST_P(SearchContract, RankedPagesFollowTheListsOrder) {
  // Dates out of insertion order, several receipts a day; every third one is a cat's.
  std::vector<std::pair<Date, std::int64_t>> dogs;
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    unsigned seed = 7;
    for (int i = 0; i < 60; ++i) {
      seed = seed * 1103515245u + 12345u;
      domain::Receipt r;
      r.school_id = i % 10 == 9 ? school_b_ : school_a_;
      r.type = domain::ReceiptType::kExpense;
      r.date = AddDays(*ParseIsoDate("2026-01-01"), static_cast<int>((seed >> 16) % 20));
      r.counterparty = i % 3 ? "Hundebedarf Müller" : "Katzenbedarf";
      auto id = (*uow)->Receipts().Create(r, "");
      ASSERT_TRUE(id) << id.error().message;
      if (i % 3 && r.school_id == school_a_) dogs.emplace_back(r.date, *id);
    }
    ASSERT_TRUE((*uow)->Commit());
  }
  std::sort(dogs.begin(), dogs.end());
  ExpectRankedReceipts(dogs);
  ExpectRankedInvoices();
}

void SearchContract::ExpectRankedReceipts(std::vector<std::pair<Date, std::int64_t>> dogs) {
  auto read = db_->Begin(app::TxKind::kRead);
  auto& receipts = (*read)->Receipts();
  for (const auto order : {app::SortOrder::kDateDesc, app::SortOrder::kDateAsc}) {
    std::vector<std::pair<Date, std::int64_t>> expected = dogs;
    if (order == app::SortOrder::kDateDesc) std::reverse(expected.begin(), expected.end());
    for (const bool by_cursor : {true, false}) {
      app::ReceiptQuery q;
      q.text = "mu";
      q.order = order;
      q.limit = 7;
      std::vector<std::pair<Date, std::int64_t>> seen;
      for (int pages = 0; pages < 20; ++pages) {
        auto page = receipts.List(school_a_, q);
        ASSERT_TRUE(page) << page.error().message;
        EXPECT_EQ(page->total, static_cast<std::int64_t>(dogs.size()));
        for (const auto& r : page->items) seen.emplace_back(r.date, r.id);
        if (!page->has_more) break;
        if (by_cursor) q.after = seen.back();
        if (!by_cursor) q.offset = static_cast<int>(seen.size());
      }
      EXPECT_EQ(seen, expected) << (by_cursor ? "cursor" : "page=");
    }
  }
}

void SearchContract::ExpectRankedInvoices() {
  Ids drafts;
  {
    auto uow = db_->Begin(app::TxKind::kWrite);
    auto customer = (*uow)->Customers().Create([&] {
      domain::Customer c;
      c.school_id = school_a_;
      c.last_name = "Müller";
      return c;
    }());
    ASSERT_TRUE(customer) << customer.error().message;
    for (int i = 0; i < 12; ++i) {
      domain::Invoice draft;
      draft.school_id = school_a_;
      draft.customer_id = customer->id;
      draft.invoice_date = *ParseIsoDate("2026-03-01");
      draft.lines = {{i % 4 ? "Welpenkurs" : "Einzelstunde", 1000, "Kurs", 5000, 19}};
      auto id = (*uow)->Invoices().CreateDraft(draft);
      ASSERT_TRUE(id) << id.error().message;
      if (i % 4) drafts.push_back(*id);
    }
    ASSERT_TRUE((*uow)->Commit());
  }
  std::reverse(drafts.begin(), drafts.end());
  app::InvoiceQuery q;
  q.text = "welpen mu";
  q.limit = 5;
  Ids seen;
  auto read = db_->Begin(app::TxKind::kRead);
  for (q.offset = 0; q.offset < 20; q.offset += q.limit) {
    auto page = (*read)->Invoices().List(school_a_, q);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->total, static_cast<std::int64_t>(drafts.size()));
    for (const auto& i : page->items) seen.push_back(i.id);
  }
  EXPECT_EQ(seen, drafts);
}

// A database written before the index: its rows are indexed when it is opened, once.
TEST_P(SearchContract, TheBackfillIndexesRowsOfAnOlderDatabaseOnce) {
  const int before = IsPostgres() ? 15 : 13;
  const DatabaseConfig old_config = EmptyDatabase();
  auto conn = RawConnection(&old_config);
  ASSERT_TRUE(conn);
  ASSERT_TRUE(ApplyMigrations(*conn, testing::EmbeddedMigrations(GetParam(), before)));
  auto id = [&](const std::string& sql, const std::vector<sql::Value>& params) {
    auto row = sql::QueryOne(*conn, sql + " RETURNING id", params);
    EXPECT_TRUE(row && *row) << (row ? "" : row.error().message);
    return (**row).Int(0);
  };
  const auto school =
      id("INSERT INTO schools (name, tax_mode, invoice_number_format, payment_term_days, "
         "price_entry, created_at) VALUES ('Alt', 'regular', 'RE-{YYYY}-{NNNN}', 14, 'net', 0)",
         {});
  const auto customer =
      id("INSERT INTO customers (school_id, customer_number, kind, first_name, last_name, city, "
         "created_at, updated_at) VALUES ($1, 7, 'person', 'Anna', 'Müller', 'Köln', 0, 0)",
         {school});
  ASSERT_TRUE(
      conn->Exec("INSERT INTO customer_dogs (customer_id, position, name) VALUES ($1, 0, 'Bello')",
                 {customer}));
  const auto draft =
      id("INSERT INTO invoices (school_id, customer_id, kind, status, invoice_date, price_entry, "
         "created_at, updated_at) VALUES ($1, $2, 'invoice', 'draft', '2026-03-01', 'net', 0, 0)",
         {school, customer});
  ASSERT_TRUE(
      conn->Exec("INSERT INTO invoice_lines (invoice_id, position, text, quantity_milli, "
                 "unit_price_cents, vat_rate) VALUES ($1, 0, 'Welpenkurs', 1000, 100, 19)",
                 {draft}));
  const auto invoice =
      id("INSERT INTO invoices (school_id, customer_id, kind, status, number, invoice_date, "
         "price_entry, customer_name, created_at, updated_at) VALUES ($1, $2, 'invoice', "
         "'finalized', 'RE-2026-0112', '2026-03-01', 'net', 'Anna Straße', 0, 0)",
         {school, customer});
  const auto receipt =
      id("INSERT INTO receipts (school_id, type, date, number, counterparty, description, "
         "amount_gross_cents, amount_net_cents, amount_tax_cents, created_at) VALUES ($1, "
         "'income', '2026-03-01', 'RE-2026-0112', 'Anna Straße', 'Kurs', 100, 100, 0, 0)",
         {school});
  // A receipt deleted by hand before the index came: nothing to index, no error.
  const auto gone =
      id("INSERT INTO receipts (school_id, type, date, counterparty, amount_gross_cents, "
         "amount_net_cents, amount_tax_cents, created_at) VALUES ($1, 'income', '2026-03-02', "
         "'Weg', 100, 100, 0, 0)",
         {school});
  ASSERT_TRUE(conn->Exec("DELETE FROM receipts WHERE id = $1", {gone}));
  conn.reset();

  // The lists below read db_: the old database from here on.
  auto db = OpenDatabase(old_config);
  ASSERT_TRUE(db) << db.error().message;
  db_ = std::move(*db);
  EXPECT_EQ(Customers(school, "mueller"), Ids{customer});
  EXPECT_EQ(Customers(school, "bello"), Ids{customer});
  EXPECT_EQ(Customers(school, "7"), Ids{customer});
  EXPECT_EQ(Invoices(school, "welpen"), Ids{draft});
  EXPECT_EQ(Invoices(school, "mül"), Ids{draft});
  EXPECT_EQ(Invoices(school, "112"), Ids{invoice});
  EXPECT_EQ(Invoices(school, "strasse"), Ids{invoice});
  EXPECT_EQ(Receipts(school, "112 strasse kurs"), Ids{receipt});

  // Once: the queue is empty, opening again indexes nothing and changes no token.
  conn = RawConnection(&old_config);
  auto count = [&](const std::string& table) {
    auto row = sql::QueryOne(*conn, "SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(row && *row);
    return (**row).Int(0);
  };
  EXPECT_EQ(count("search_backfill"), 0);
  const auto tokens = count("search_tokens");
  EXPECT_GT(tokens, 10);
  auto again = BackfillSearchTokens(*conn);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 0);
  db_.reset();
  auto reopened = OpenDatabase(old_config);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(count("search_tokens"), tokens);
}

// Tokens written before their sort key existed (migration search_sort_key) get their receipt's
// date from the migration: a search's pages are in date order at once.
TEST_P(SearchContract, TheSortKeyMigrationRanksTokensWrittenBefore) {
  const int before = IsPostgres() ? 16 : 14;
  const DatabaseConfig old_config = EmptyDatabase();
  auto conn = RawConnection(&old_config);
  ASSERT_TRUE(conn);
  ASSERT_TRUE(ApplyMigrations(*conn, testing::EmbeddedMigrations(GetParam(), before)));
  auto school = sql::QueryOne(
      *conn,
      "INSERT INTO schools (name, tax_mode, invoice_number_format, payment_term_days, "
      "price_entry, created_at) VALUES ('Alt', 'regular', 'RE-{YYYY}-{NNNN}', 14, 'net', 0) "
      "RETURNING id");
  ASSERT_TRUE(school && *school);
  const std::int64_t school_id = (**school).Int(0);
  std::vector<std::pair<Date, std::int64_t>> expected;
  for (const char* date : {"2026-05-02", "2025-12-31", "2026-05-02", "2026-01-15"}) {
    auto id = sql::QueryOne(
        *conn,
        "INSERT INTO receipts (school_id, type, date, counterparty, amount_gross_cents, "
        "amount_net_cents, amount_tax_cents, created_at) VALUES ($1, 'expense', $2, 'Futterhaus', "
        "100, 100, 0, 0) RETURNING id",
        {school_id, std::string(date)});
    ASSERT_TRUE(id && *id) << (id ? "" : id.error().message);
    ASSERT_TRUE(conn->Exec(
        "INSERT INTO search_tokens (school_id, kind, entity_id, token) VALUES ($1, 'receipt', "
        "$2, 'futterhaus')",
        {school_id, (**id).Int(0)}));
    expected.emplace_back(*ParseIsoDate(date), (**id).Int(0));
  }
  conn.reset();
  auto db = OpenDatabase(old_config);
  ASSERT_TRUE(db) << db.error().message;
  db_ = std::move(*db);
  std::sort(expected.rbegin(), expected.rend());
  auto read = db_->Begin(app::TxKind::kRead);
  app::ReceiptQuery q;
  q.text = "futter";
  q.limit = 3;
  auto first = (*read)->Receipts().List(school_id, q);
  ASSERT_TRUE(first) << first.error().message;
  q.after = std::make_pair(first->items.back().date, first->items.back().id);
  auto second = (*read)->Receipts().List(school_id, q);
  ASSERT_TRUE(second) << second.error().message;
  std::vector<std::pair<Date, std::int64_t>> seen;
  for (const auto* page : {&*first, &*second}) {
    EXPECT_EQ(page->total, 4);
    for (const auto& r : page->items) seen.emplace_back(r.date, r.id);
  }
  EXPECT_EQ(seen, expected);
}

INSTANTIATE_TEST_SUITE_P(Engines, SearchContract,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

}  // namespace
}  // namespace hs::store
