#include "sevdesk_world.hpp"

#include <unistd.h>

#include <mutex>

#include "composition/office.hpp"
#include "sevdesk/client/sevdesk_client.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace hs::app::testing {

namespace fs = std::filesystem;

Cents ParseCents(const Json& amount) {
  std::string s;
  if (amount.is_string()) {
    s = amount.get<std::string>();
  } else if (amount.is_number()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", amount.get<double>());
    s = buf;
  }
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.erase(0, 1);
  const auto dot = s.find('.');
  std::string whole = dot == std::string::npos ? s : s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  frac = (frac + "00").substr(0, 2);
  const Cents c = std::stoll(whole.empty() ? "0" : whole) * 100 + std::stoll(frac);
  return negative ? -c : c;
}

void SevdeskWorld::SetUp() {
  static std::once_flag once;
  std::call_once(once, [] {
    ASSERT_TRUE(crypto::InitCrypto());
    sevdesk::InitHttpClient();
  });
  // Small, fast defaults; tests override in Configure.
  SevdeskSettings& s = options_.settings;
  s.workers = 2;
  s.lease = std::chrono::milliseconds(60'000);
  s.poll_interval = std::chrono::milliseconds(50);
  s.max_attempts = 4;
  s.backoff_base = std::chrono::milliseconds(1'000);
  s.backoff_cap = std::chrono::milliseconds(60'000);
  s.rate_per_second = 1e6;  // the bucket is tested on its own; a fake clock never refills it
  s.burst = 1e6;
  s.voucher_link_template = "https://my.sevdesk.de/#/ex/detail/id/{id}";
  Configure(options_);
  // Just past the client's time-out (a settle time must cover it), unless a test chose one.
  if (s.settle == SevdeskSettings{}.settle) {
    s.settle = options_.client_timeout + std::chrono::milliseconds(100);
  }

  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = fs::temp_directory_path() / ("hs-app-sevdesk-" + std::to_string(::getpid()) + "-" +
                                      info->test_suite_name() + "-" + info->name());
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  db_path_ = (dir_ / "db.sqlite").string();

  if (options_.fake_clock) {
    auto fake = std::make_unique<FakeClock>(*ParseIsoInstant("2026-11-20T09:00:00.000Z"));
    fake_ = fake.get();
    clock_ = std::move(fake);
  } else {
    clock_ = std::make_unique<SystemClock>();
  }
  random_ = std::make_unique<SeededRandom>(11);
  crypto_ = std::make_unique<crypto::SodiumCrypto>(crypto::PasswordCost::kMinimum);
  box_ = crypto::SecretBox::FromKeyBytes(std::string(32, 'k'));
  store::SqliteSettings st;
  st.path = db_path_;
  auto db = store::OpenSqlite(st);
  ASSERT_TRUE(db) << db.error().message;
  db_ = std::move(*db);
  renderer_ = std::make_unique<PdfRenderer>();

  sevdesk::sandbox::SandboxSettings ss;
  ss.seed = 42;
  ss.server_threads = 16;
  ss.faults.timeout_duration = options_.sandbox_hold;
  // The sandbox's search lag runs on the world's clock (not owned: the world outlives it).
  ss.clock = std::shared_ptr<const Clock>(clock_.get(), [](const Clock*) {});
  auto account = [](const char* token, const char* name) {
    sevdesk::sandbox::AccountSettings a;
    a.token = token;
    a.name = name;
    return a;
  };
  auto klein = account(kTokenKlein, "Welpenschule Klein");
  klein.tax_mode = sevdesk::sandbox::TaxMode::kKleinunternehmer;
  auto v1 = account(kTokenV1, "Alte Buchhaltung");
  v1.bookkeeping_version = "1.0";
  auto no_api = account(kTokenNoApi, "Ohne API");
  no_api.api_access = false;
  ss.accounts = {account(kTokenA, "Hundeschule Pfote"), account(kTokenB, "Hundeschule Bello"),
                 klein, v1, no_api};
  sandbox_ = std::make_unique<sevdesk::sandbox::Sandbox>(ss);
  auto port = sandbox_->Start();
  ASSERT_TRUE(port) << port.error().message;
  admin_ = std::make_unique<http::Client>(sandbox_->BaseUrl(), std::chrono::seconds(10));

  sevdesk::ClientSettings cs;
  cs.base_url = sandbox_->BaseUrl() + "/api/v1";
  cs.timeout = options_.client_timeout;
  cs.connect_timeout = std::chrono::milliseconds(1000);
  transfer_metrics_ = std::make_unique<TransferMetrics>(metrics_);
  cs.metrics = &transfer_metrics_->requests();
  gateway_ = sevdesk::MakeSevdeskClient(cs);

  // The services wired as `serve` wires them (the composition root's).
  composition::Services services = composition::WireServices(
      {*db_, *clock_, *random_, *crypto_, *box_, *gateway_, *renderer_, {}}, options_.settings,
      transfer_metrics_.get());
  auth_ = std::move(services.auth);
  schools_ = std::move(services.schools);
  customers_ = std::move(services.customers);
  invoices_ = std::move(services.invoices);
  receipts_ = std::move(services.receipts);
  sevdesk_ = std::move(services.sevdesk);
  SevdeskService* sevdesk = sevdesk_.get();
  metrics_.AddCollector([sevdesk] { (void)sevdesk->CollectMetrics(); });
  engine_ = std::make_unique<TransferEngine>(*sevdesk_);
}

void SevdeskWorld::TearDown() {
  if (sevdesk_) sevdesk_->StopWorkers();
  engine_.reset();
  sevdesk_.reset();
  invoices_.reset();
  receipts_.reset();
  customers_.reset();
  schools_.reset();
  auth_.reset();
  // Close the keep-alive connections first, so the sandbox stops at once.
  gateway_.reset();
  admin_.reset();
  if (sandbox_) sandbox_->Stop();
  sandbox_.reset();
  db_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Principal SevdeskWorld::NewSchool(const std::string& name, domain::TaxMode mode) {
  domain::School s;
  s.name = name;
  s.address = {"Bellostraße 12", "10115", "Berlin", "DE"};
  s.email = "info@schule.example";
  s.tax_number = "30/123/45678";
  s.iban = "DE02120300000000202051";
  s.bank_name = "Testbank";
  s.tax_mode = mode;
  auto id = schools_->CreateSchool(s);
  EXPECT_TRUE(id) << id.error().message;
  Principal p;
  p.school_id = id.value_or(0);
  p.user_id = 1;
  p.role = Role::kOwner;
  p.email = "inhaber@schule.example";
  return p;
}

void SevdeskWorld::Connect(const Principal& who, const std::string& token) {
  ConnectionUpdate u;
  u.token = token;
  auto saved = sevdesk_->UpdateConnection(who, u);
  ASSERT_TRUE(saved) << saved.error().message;
  auto tested = sevdesk_->Test(who);
  ASSERT_TRUE(tested) << tested.error().message;
  ASSERT_TRUE(tested->ok) << tested->outcome << ": " << tested->message;
  ConnectionUpdate enable;
  enable.enabled = true;
  auto enabled = sevdesk_->UpdateConnection(who, enable);
  ASSERT_TRUE(enabled) << enabled.error().message;
  ASSERT_TRUE(enabled->enabled);
}

domain::Customer SevdeskWorld::NewCustomer(std::int64_t school_id, const std::string& last_name,
                                           const std::string& email, domain::CustomerKind kind) {
  domain::Customer c;
  c.kind = kind;
  if (kind == domain::CustomerKind::kCompany) {
    c.company_name = last_name;
    c.contact_person = "Frau Berger";
  } else {
    c.salutation = "Frau";
    c.first_name = "Erika";
    c.last_name = last_name;
  }
  c.address = {"Hauptstraße 5", "20095", "Hamburg", "DE"};
  c.email = email;
  c.dogs = {{"Bello", "Dackel"}};
  auto created = customers_->Create(school_id, c);
  EXPECT_TRUE(created) << created.error().message;
  return created.value_or(domain::Customer{});
}

domain::Invoice SevdeskWorld::NewDraft(std::int64_t school_id, std::int64_t customer_id,
                                       const std::vector<Line>& lines, Date date) {
  domain::Invoice inv;
  inv.customer_id = customer_id;
  inv.invoice_date = date.ok() ? date : BerlinDateOf(clock_->Now());
  inv.service_date = AddDays(inv.invoice_date, -2);
  for (const auto& l : lines) {
    inv.lines.push_back({l.text, l.quantity, "Stk", l.unit_price_cents, l.vat_rate});
  }
  auto draft = invoices_->CreateDraft(school_id, inv);
  EXPECT_TRUE(draft) << draft.error().message;
  return draft.value_or(domain::Invoice{});
}

domain::Invoice SevdeskWorld::Finalize(std::int64_t school_id, std::int64_t customer_id,
                                       const std::vector<Line>& lines, Date date) {
  const auto draft = NewDraft(school_id, customer_id, lines, date);
  auto fin = invoices_->Finalize(school_id, draft.id);
  EXPECT_TRUE(fin) << fin.error().message;
  return fin.value_or(domain::Invoice{});
}

std::int64_t SevdeskWorld::ReceiptOf(std::int64_t school_id, const domain::Invoice& invoice) {
  ReceiptQuery q;
  q.text = invoice.number.value_or("?");
  q.limit = 100;
  auto page = receipts_->List(school_id, q);
  EXPECT_TRUE(page) << page.error().message;
  if (page) {
    for (const auto& r : page->items) {
      if (r.invoice_id == invoice.id) return r.id;
    }
  }
  ADD_FAILURE() << "no receipt for invoice " << invoice.id;
  return 0;
}

std::int64_t SevdeskWorld::AddExpense(std::int64_t school_id) {
  domain::NewExpense e;
  e.date = BerlinDateOf(clock_->Now());
  e.amount_gross_cents = 11900;
  e.vat_rate = 19;
  e.description = "Leckerlis";
  e.supplier = "Tierbedarf Nord GmbH";
  e.number = "ER-1";
  auto r = receipts_->CreateExpense(school_id, e, "beleg.pdf", "%PDF-1.4\n%%EOF\n");
  EXPECT_TRUE(r) << r.error().message;
  return r ? r->id : 0;
}

int SevdeskWorld::Drain() {
  return engine_->DrainOnce();
}

void SevdeskWorld::Settle(int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    Drain();
    auto uow = db_->Begin(TxKind::kRead);
    ASSERT_TRUE(uow);
    auto next = (*uow)->Sevdesk().NextDueAt();
    ASSERT_TRUE(next);
    if (!*next) return;
    if (!fake_) return;
    // Due but not claimable (throttled school): move on a little.
    fake_->Set(std::max(**next, clock_->Now() + std::chrono::milliseconds(500)));
  }
}

TransferHistory SevdeskWorld::History(std::int64_t school_id, std::int64_t receipt_id) {
  auto h = sevdesk_->History(school_id, receipt_id);
  EXPECT_TRUE(h) << h.error().message;
  return h.value_or(TransferHistory{});
}

std::string SevdeskWorld::StatusOf(std::int64_t school_id, std::int64_t receipt_id) {
  return History(school_id, receipt_id).status.status;
}

std::optional<Transfer> SevdeskWorld::TransferOf(std::int64_t school_id, std::int64_t receipt_id) {
  auto uow = db_->Begin(TxKind::kRead);
  EXPECT_TRUE(uow);
  auto t = (*uow)->Sevdesk().GetTransferByReceipt(school_id, receipt_id);
  EXPECT_TRUE(t);
  return t.value_or(std::nullopt);
}

void SevdeskWorld::SaveTransfer(const Transfer& t) {
  auto uow = db_->Begin(TxKind::kWrite);
  ASSERT_TRUE(uow);
  ASSERT_TRUE((*uow)->Sevdesk().UpdateTransfer(t));
  ASSERT_TRUE((*uow)->Commit());
}

std::optional<ContactLink> SevdeskWorld::LinkOf(std::int64_t school_id, std::int64_t customer_id) {
  auto uow = db_->Begin(TxKind::kRead);
  EXPECT_TRUE(uow);
  auto l = (*uow)->Sevdesk().GetLink(school_id, customer_id);
  EXPECT_TRUE(l);
  return l.value_or(std::nullopt);
}

// Stores the link as given, over whatever is stored (a test sets the scene).
void SevdeskWorld::SaveLink(const ContactLink& link) {
  auto uow = db_->Begin(TxKind::kWrite);
  ASSERT_TRUE(uow);
  auto stored = (*uow)->Sevdesk().GetLink(link.school_id, link.customer_id);
  ASSERT_TRUE(stored);
  ContactLink written = link;
  written.revision = *stored ? (*stored)->revision : 0;
  ASSERT_TRUE((*uow)->Sevdesk().SaveLink(written));
  ASSERT_TRUE((*uow)->Commit());
}

domain::Customer SevdeskWorld::DeletedContactCustomer(std::int64_t school_id,
                                                      const std::string& name) {
  auto c = NewCustomer(school_id, name);
  SaveLink({school_id,
            c.id,
            "HS-" + std::to_string(c.customer_number),
            std::to_string(900 + c.id),
            "",
            "",
            c.email,
            "Hauptstraße 5|20095|Hamburg|DE",
            c.version,
            false,
            {}});
  return c;
}

SevdeskConnection SevdeskWorld::ConnectionOf(std::int64_t school_id) {
  auto uow = db_->Begin(TxKind::kRead);
  EXPECT_TRUE(uow);
  auto c = (*uow)->Sevdesk().GetConnection(school_id);
  EXPECT_TRUE(c && *c);
  return c && *c ? **c : SevdeskConnection{};
}

void SevdeskWorld::SaveConnection(const SevdeskConnection& c) {
  auto uow = db_->Begin(TxKind::kWrite);
  ASSERT_TRUE(uow);
  ASSERT_TRUE((*uow)->Sevdesk().SaveConnection(c));
  ASSERT_TRUE((*uow)->Commit());
}

std::optional<Transfer> SevdeskWorld::ClaimAs(const std::string& owner) {
  auto uow = db_->Begin(TxKind::kWrite);
  EXPECT_TRUE(uow);
  const Instant now = clock_->Now();
  auto c = (*uow)->Sevdesk().ClaimNext({owner, now, now + options_.settings.lease, 2});
  EXPECT_TRUE(c);
  EXPECT_TRUE((*uow)->Commit());
  return c.value_or(std::nullopt);
}

Json SevdeskWorld::Admin(const std::string& method, const std::string& path, const Json& body) {
  auto r = admin_->Send(method, "/__sandbox" + path, {{"Accept", "application/json"}},
                        body.is_null() ? "" : body.dump());
  EXPECT_TRUE(r) << r.error().message;
  if (!r) return nullptr;
  EXPECT_LT(r->status, 300) << method << " " << path << ": " << r->body;
  return Json::parse(r->body, nullptr, false);
}

Json SevdeskWorld::Account(const std::string& token) {
  return Admin("GET", "/accounts/" + token);
}

std::vector<Json> SevdeskWorld::Vouchers(const std::string& token) {
  std::vector<Json> out;
  const Json account = Account(token);
  for (const auto& v : account["vouchers"]) out.push_back(v);
  return out;
}

std::vector<Json> SevdeskWorld::Contacts(const std::string& token) {
  std::vector<Json> out;
  const Json account = Account(token);
  for (const auto& c : account["contacts"]) out.push_back(c);
  return out;
}

std::string SevdeskWorld::VoucherDocument(const std::string& token, const std::string& voucher_id) {
  auto r = admin_->Send(
      "GET", "/__sandbox/accounts/" + token + "/vouchers/" + voucher_id + "/document", {}, "");
  EXPECT_TRUE(r) << r.error().message;
  if (!r) return {};
  EXPECT_EQ(r->status, 200) << r->body;
  return r->body;
}

std::map<std::string, long> SevdeskWorld::Calls(const std::string& token) {
  std::map<std::string, long> out;
  const Json stats = Admin("GET", "/accounts/" + token + "/stats");
  for (const auto& [route, by_status] : stats["requests"].items()) {
    for (const auto& [status, count] : by_status.items()) out[route] += count.get<long>();
  }
  return out;
}

long SevdeskWorld::TotalCalls(const std::string& token) {
  long n = 0;
  for (const auto& [route, count] : Calls(token)) n += count;
  return n;
}

void SevdeskWorld::Inject(sevdesk::sandbox::FaultKind kind, int count, const std::string& endpoint,
                          sevdesk::sandbox::FaultScope scope, const std::string& token) {
  sandbox_->InjectNext(kind, count, scope, endpoint, token);
}

void SevdeskWorld::SetAccountFaults(const std::string& token,
                                    std::optional<sevdesk::sandbox::FaultSettings> faults) {
  if (faults) faults->timeout_duration = options_.sandbox_hold;
  ASSERT_TRUE(sandbox_->SetAccountFaults(token, std::move(faults)));
}

void SevdeskWorld::AdvanceClock(std::chrono::milliseconds by) {
  ASSERT_NE(fake_, nullptr);
  fake_->Advance(by);
}

}  // namespace hs::app::testing
