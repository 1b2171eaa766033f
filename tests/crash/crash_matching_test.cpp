// Crash test of the Kundenabgleich (issue 15), against the real binary: exactly once still holds
// while the school decides links and the app is killed.
//
//   * the sandbox account starts with existing contacts: for 14 customers two namesakes each in
//     other towns (ambiguous: they wait in the review list), for 3 customers one contact with the
//     same name, address and e-mail (linked automatically), and 3 customers have none (created
//     new); plus two unrelated contacts;
//   * sevdesk is connected and enabled over the API, then 8 invoices per customer are finalized
//     (live transfers), with the harness's fault mix on;
//   * meanwhile a decision client works through the review list over the HTTP API: "Verknüpfen"
//     for three, "Neu in sevdesk anlegen" for two, "Später" then "Verknüpfen" for three, for
//     four "Neu in sevdesk anlegen" and 0-1.2 s later "Verknüpfen" (the woken transfer may
//     create the contact first: then 409 already_linked and the contact is ours), and for two a
//     link, an undo once a voucher used it (409 transfer_in_flight while one is on its way), and
//     a link to the other namesake (then two more invoices each); it retries across restarts,
//     re-reads the list after a 409, and a decision answered 200 must show in the list;
//   * serve is killed with SIGKILL at progress-based kill points (6 by default) and restarted;
//   * then: every receipt transferred with exactly one voucher; a contact "HS-<n>" exists once
//     for every customer the school or the matching left without a link and for no other
//     customer; every voucher points at the customer's linked contact (undone links: vouchers in
//     sevdesk before the undo at the first, invoices after the new link at the second, the rest
//     at one of the two); the final review list shows every link; the seeded contacts, their
//     addresses and e-mails are unchanged (update_contacts is off).
//
// Environment: HS_CRASH_SEED (default 1), HS_CRASH_MATCH_INVOICES (per customer, default 8),
// HS_CRASH_MATCH_KILLS (default 6).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "crash/crash_harness.hpp"

namespace hs::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// What the school (or the matching) does with a customer.
enum class Plan {
  kLink,
  kCreate,
  kLaterThenLink,
  kUndoRelink,
  kCreateThenLink,  // "Neu in sevdesk anlegen", at once "Verknüpfen": races the engine's create
  kAutoLinked,
  kNoContact
};

constexpr int kReviewCustomers = 14;
constexpr int kUniqueCustomers = 3;
constexpr int kNewCustomers = 3;
constexpr int kCustomers = kReviewCustomers + kUniqueCustomers + kNewCustomers;
constexpr int kExtraInvoices = 2;  // per undone link, after the new link

const char* const kFirst[kCustomers] = {
    "Anna", "Bernd", "Clara", "Dieter", "Elif",  "Frieda", "Gustav", "Hanna", "Ingo", "Jana",
    "Karl", "Luise", "Malte", "Nora",   "Oskar", "Paula",  "Quirin", "Rosa",  "Sven", "Tilda"};
const char* const kLast[kCustomers] = {"Albrecht", "Brandt", "Conrad",  "Dorn",   "Engel",
                                       "Falk",     "Gerber", "Hartung", "Imhof",  "Jäger",
                                       "Kessler",  "Lorenz", "Mertens", "Nowak",  "Ostertag",
                                       "Pfeiffer", "Quast",  "Rieger",  "Seidel", "Trautmann"};

Plan PlanOf(int i) {
  if (i >= kReviewCustomers + kUniqueCustomers) return Plan::kNoContact;
  if (i >= kReviewCustomers) return Plan::kAutoLinked;
  if (i < 2) return Plan::kCreate;
  if (i < 5) return Plan::kLaterThenLink;
  if (i < 7) return Plan::kUndoRelink;
  if (i < 11) return Plan::kCreateThenLink;
  return Plan::kLink;
}

std::string Str(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return v.dump();
}

// One customer of the test and what happened to it.
struct Person {
  int index = 0;
  Plan plan = Plan::kLink;
  std::int64_t id = 0;
  std::int64_t number = 0;
  std::string first_link;              // kUndoRelink: the contact linked first
  std::string final_link;              // the contact linked at the end (empty: a contact of ours)
  bool ours = false;                   // a contact of ours, created by a transfer
  std::set<std::string> before_undo;   // kUndoRelink: invoice numbers in sevdesk at the undo
  std::set<std::string> after_relink;  // kUndoRelink: invoices finalized after the new link
};

class CrashMatchingTest : public CrashHarness {
 protected:
  void SetUp() override {
    Init(fx_.dir(), 0, EnvInt("HS_CRASH_MATCH_KILLS", 6));
    per_customer_ = EnvInt("HS_CRASH_MATCH_INVOICES", 8);
    receipts_ = kCustomers * per_customer_;
    customers_ = kCustomers;
  }

  void TearDown() override {
    stop_ = true;
    if (decider_.joinable()) decider_.join();
    serve_.reset();
    sandbox_.reset();
    if (HasFailure()) {
      std::cerr << "[crash-match] serve log (tail):\n"
                << Tail(ReadAll(fx_.dir() + "/serve.log"), 8000) << "\n[crash-match] sandbox log:\n"
                << Tail(ReadAll(fx_.dir() + "/sandbox.log"), 3000) << std::endl;
    }
  }

  void StartServe() {
    const std::string port_file = fx_.dir() + "/serve.port";
    std::filesystem::remove(port_file);
    const std::string log = fx_.dir() + "/serve.log";
    std::vector<std::string> args{"serve",
                                  "--database",
                                  fx_.database_url(),
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--port-file",
                                  port_file,
                                  "--password-cost",
                                  "minimum",
                                  "--key-file",
                                  fx_.dir() + "/secret.key",
                                  "--workers",
                                  "4"};
    for (auto& a : SevdeskFlags()) args.push_back(a);
    serve_ = std::make_unique<ChildProcess>(args, log);
    const std::string url =
        "http://127.0.0.1:" + std::to_string(WaitForPort(*serve_, port_file, log));
    std::lock_guard lock(url_mutex_);
    app_url_ = url;
  }

  void WaitHealthy() {
    ApiClient c(app_url_);
    const auto deadline = steady_clock::now() + std::chrono::seconds(60);
    while (c.Get("/healthz", {.with_cookie = false, .with_csrf = false}).status != 200) {
      if (steady_clock::now() > deadline || serve_->Exited()) {
        throw std::runtime_error("serve is not healthy:\n" +
                                 Tail(ReadAll(fx_.dir() + "/serve.log"), 4000));
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  // A client of the app as it runs now (for the decision thread; the URL changes at restarts).
  std::unique_ptr<ApiClient> AppClient() {
    std::lock_guard lock(url_mutex_);
    auto c = std::make_unique<ApiClient>(app_url_);
    c->ShareSessionFrom(session_);
    return c;
  }

  // Sends until the app answers (not while it is down or starting); throws after two minutes.
  Reply Send(const std::function<Reply(ApiClient&)>& request) {
    const auto deadline = steady_clock::now() + std::chrono::minutes(2);
    for (;;) {
      auto c = AppClient();
      Reply r = request(*c);
      if (r.status != 0 && r.status != 502 && r.status != 503) return r;
      ++unanswered_;
      if (steady_clock::now() > deadline || stop_) {
        throw std::runtime_error("the app does not answer: " + r.Describe());
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

  Json SeededContact(const Person& p, const std::string& city, const std::string& zip,
                     const std::string& street, const std::string& email) const {
    return {{"surename", kFirst[p.index]},
            {"familyname", kLast[p.index]},
            {"addresses", Json::array({{{"street", street}, {"zip", zip}, {"city", city}}})},
            {"communicationWays", Json::array({{{"type", "EMAIL"}, {"value", email}}})}};
  }

  std::string CustomerEmail(int i) const { return "kunde" + std::to_string(i) + "@example.org"; }
  std::string CustomerStreet(int i) const { return "Waldweg " + std::to_string(i + 1); }
  std::string CustomerZip(int i) const { return std::to_string(10100 + i); }

  void CreateCustomers();
  void SeedContacts();
  // `count` finalized invoices of `customer_id`; retried across restarts (a draft whose answer
  // was lost stays a draft); answers the invoice numbers.
  std::vector<std::string> FinalizeInvoices(std::int64_t customer_id, int count, int salt);
  void FinalizeAll();

  // The decision client (runs in decider_).
  void Decide();
  Json MatchItem(std::int64_t customer_id, Json* all = nullptr);
  Json WaitForReview();
  // Brings the customer's item to the state `done` answers true for, with `action` (and
  // `body`); after a 409 the list is read again, and answers false when `settled` holds (another
  // legitimate outcome). After a 200 the decision must show: a confirmed decision is never lost.
  bool Reach(const Person& p, const std::string& action, const Json& body,
             const std::function<bool(const Json&)>& done,
             const std::function<bool(const Json&)>& settled = nullptr);
  // Answers false when a transfer created the customer's contact first (409 already_linked).
  bool LinkTo(const Person& p, const std::string& contact_id, bool may_be_created = false);
  void DecideOne(Person& p, const Json& item);
  void UndoAndRelink(Person& p, const Json& item);
  std::set<std::string> VouchersAt(const std::string& contact_id);
  // The decision thread's own seeded random pauses.
  milliseconds Pause(int min_ms, int max_ms) {
    return milliseconds(std::uniform_int_distribution<int>(min_ms, max_ms)(decider_rng_));
  }

  void RunKills();
  void WaitAllTransferred();
  void Verify();
  void VerifySeededUnchanged(const Json& acc);
  void VerifyLinks(const Json& matching);
  void VerifyVouchers(const Json& acc, std::map<std::string, std::vector<std::string>>& ours);

  BinaryFixture fx_;
  std::unique_ptr<ChildProcess> serve_;
  std::mutex url_mutex_;
  std::thread decider_;
  std::atomic<bool> stop_{false}, decided_{false}, decider_failed_{false};
  std::string decider_error_;
  std::mt19937_64 decider_rng_;
  int per_customer_ = 8;
  std::atomic<int> extra_receipts_{0};
  std::atomic<int> conflicts_{0};   // 409s the decision client met
  std::atomic<int> unanswered_{0};  // its requests while serve was down
  std::vector<Person> people_;
  Json seeded_;                                           // the sandbox account right after seeding
  std::map<std::string, std::string> number_by_receipt_;  // invoice number -> "HS-<n>" owner
};

void CrashMatchingTest::CreateCustomers() {
  auto c = Client();
  for (int i = 0; i < kCustomers; ++i) {
    Json body = {
        {"kind", "person"},
        {"first_name", kFirst[i]},
        {"last_name", kLast[i]},
        {"email", CustomerEmail(i)},
        {"address", {{"street", CustomerStreet(i)}, {"zip", CustomerZip(i)}, {"city", "Berlin"}}}};
    const Json created = Must(c->Post("/api/v1/customers", body), 201, "create customer");
    Person p;
    p.index = i;
    p.plan = PlanOf(i);
    p.ours = p.plan == Plan::kNoContact;
    p.id = created["id"].get<std::int64_t>();
    p.number = created["customer_number"].get<std::int64_t>();
    people_.push_back(p);
  }
}

void CrashMatchingTest::SeedContacts() {
  Json contacts = Json::array();
  for (const Person& p : people_) {
    const std::string n = std::to_string(p.index);
    if (p.plan == Plan::kNoContact) continue;
    if (p.plan == Plan::kAutoLinked) {
      contacts.push_back(SeededContact(p, "Berlin", CustomerZip(p.index), CustomerStreet(p.index),
                                       CustomerEmail(p.index)));
      continue;
    }
    // Namesakes in other towns: a name without postal code or e-mail is no strong evidence.
    contacts.push_back(SeededContact(p, "Hamburg", std::to_string(20100 + p.index),
                                     "Elbchaussee " + n, "hh" + n + "@namensvetter.example"));
    contacts.push_back(SeededContact(p, "München", std::to_string(80300 + p.index), "Isarweg " + n,
                                     "m" + n + "@namensvetter.example"));
  }
  contacts.push_back(
      {{"name", "Pfote GmbH"},
       {"addresses",
        Json::array({{{"street", "Am Hang 1"}, {"zip", "80331"}, {"city", "München"}}})},
       {"communicationWays", Json::array({{{"value", "info@pfote.example"}}})}});
  contacts.push_back({{"surename", "Waltraud"}, {"familyname", "Zieske"}});
  const Json seeded =
      Must(sandbox_client_->Post(std::string("/__sandbox/accounts/") + kToken + "/contacts",
                                 Json{{"contacts", contacts}}),
           201, "seed contacts");
  ASSERT_EQ(seeded["seeded"].get<std::size_t>(), contacts.size()) << seeded.dump();
  seeded_ = SandboxAccount();
}

std::vector<std::string> CrashMatchingTest::FinalizeInvoices(std::int64_t customer_id, int count,
                                                             int salt) {
  std::vector<std::string> numbers;
  while (static_cast<int>(numbers.size()) < count) {
    const int i = salt + static_cast<int>(numbers.size());
    Json lines = Json::array({{{"text", "Gruppenstunde"},
                               {"quantity", "1"},
                               {"unit", "Std"},
                               {"unit_price_cents", 1999 + (i * 37) % 5000},
                               {"vat_rate", 19}}});
    const Json draft = {
        {"customer_id", customer_id}, {"invoice_date", TodayInBerlin()}, {"lines", lines}};
    const Reply created = Send([&](ApiClient& c) { return c.Post("/api/v1/invoices", draft); });
    if (created.status != 201) throw std::runtime_error("draft: " + created.Describe());
    const std::string path = "/api/v1/invoices/" + Str(created.json["id"]);
    for (;;) {
      const Reply fin =
          Send([&](ApiClient& c) { return c.Post(path + "/finalize", Json::object()); });
      if (fin.status == 200) {
        numbers.push_back(fin.json["number"].get<std::string>());
        break;
      }
      // The answer of an applied finalize may have been lost in a kill: look.
      const Reply now = Send([&](ApiClient& c) { return c.Get(path); });
      if (now.status == 200 && now.json["status"] == "finalized") {
        numbers.push_back(now.json["number"].get<std::string>());
        break;
      }
      if (fin.status != 409) throw std::runtime_error("finalize: " + fin.Describe());
    }
  }
  return numbers;
}

void CrashMatchingTest::FinalizeAll() {
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex m;
  auto worker = [&] {
    for (int i = next++; i < kCustomers && !failed; i = next++) {
      try {
        FinalizeInvoices(people_[static_cast<std::size_t>(i)].id, per_customer_, i * 100);
      } catch (const std::exception& e) {
        std::lock_guard lock(m);
        failure = e.what();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (failed) throw std::runtime_error("invoices: " + failure);
}

// ---------------------------------------------------------------- the decision client

Json CrashMatchingTest::MatchItem(std::int64_t customer_id, Json* all) {
  const Reply r = Send([](ApiClient& c) { return c.Get("/api/v1/integrations/sevdesk/matching"); });
  if (r.status != 200) throw std::runtime_error("matching: " + r.Describe());
  if (all) *all = r.json;
  for (const auto& item : r.json["items"]) {
    if (item["customer"]["id"].get<std::int64_t>() == customer_id) return item;
  }
  return Json();  // not listed: a contact of ours (or none yet)
}

// Waits until the engine's run put every ambiguous customer in review with both namesakes.
Json CrashMatchingTest::WaitForReview() {
  const auto deadline = steady_clock::now() + std::chrono::seconds(90);
  for (;;) {
    Json all;
    MatchItem(0, &all);
    int ready = 0;
    for (const auto& item : all["items"]) {
      ready += item["state"] == "review" && item["candidates"].size() == 2 ? 1 : 0;
    }
    if (ready == kReviewCustomers) return all;
    if (steady_clock::now() > deadline) {
      throw std::runtime_error("the review list is not as seeded: " + all.dump());
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
}

bool CrashMatchingTest::Reach(const Person& p, const std::string& action, const Json& body,
                              const std::function<bool(const Json&)>& done,
                              const std::function<bool(const Json&)>& settled) {
  const std::string path =
      "/api/v1/integrations/sevdesk/matching/" + std::to_string(p.id) + "/" + action;
  bool confirmed = false;
  for (int tries = 0;; ++tries) {
    const Json item = MatchItem(p.id);
    if (done(item)) return true;
    if (confirmed) {
      throw std::runtime_error("lost decision: " + action + " of HS-" + std::to_string(p.number) +
                               " answered 200, now " + item.dump());
    }
    if (tries == 240) throw std::runtime_error(action + " of HS-" + std::to_string(p.number));
    const Reply r = Send([&](ApiClient& c) { return c.Post(path, body); });
    if (r.status == 200) {
      confirmed = true;
      continue;
    }
    // A 409 is an answer when the state changed (an earlier try applied but its answer was lost
    // in a kill, or a transfer created the contact) or a transfer of the customer is in flight
    // (unlink): the next read decides.
    if (r.status != 409) throw std::runtime_error(action + ": " + r.Describe());
    ++conflicts_;
    std::cout << "[crash-match] " << action << " of HS-" << p.number << ": 409 "
              << Str(r.json["code"]) << std::endl;
    if (settled && settled(MatchItem(p.id))) return false;
    std::this_thread::sleep_for(milliseconds(250));
  }
}

bool CrashMatchingTest::LinkTo(const Person& p, const std::string& contact_id,
                               bool may_be_created) {
  auto done = [&](const Json& item) {
    return item.is_object() && item["state"] == "linked" &&
           Str(item["linked_contact_id"]) == contact_id;
  };
  // Not listed any more: the customer has a contact of ours.
  auto created = [](const Json& item) { return item.is_null(); };
  return Reach(p, "link", Json{{"contact_id", contact_id}}, done,
               may_be_created ? std::function<bool(const Json&)>(created) : nullptr);
}

std::set<std::string> CrashMatchingTest::VouchersAt(const std::string& contact) {
  std::set<std::string> out;
  const Json acc = SandboxAccount();
  for (const auto& v : acc["vouchers"]) {
    if (Str(v["voucher"]["supplier"]["id"]) != contact) continue;
    out.insert(Str(v["voucher"]["description"]));
  }
  return out;
}

// Link the first namesake, wait for a voucher at it, undo, link the second, two more invoices.
void CrashMatchingTest::UndoAndRelink(Person& p, const Json& item) {
  p.first_link = Str(item["candidates"][0]["contact_id"]);
  p.final_link = Str(item["candidates"][1]["contact_id"]);
  LinkTo(p, p.first_link);
  const auto deadline = steady_clock::now() + std::chrono::seconds(60);
  while (VouchersAt(p.first_link).empty() && steady_clock::now() < deadline && !stop_) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  p.before_undo = VouchersAt(p.first_link);
  std::cout << "[crash-match] undo HS-" << p.number << " after " << p.before_undo.size()
            << " vouchers" << std::endl;
  Reach(p, "unlink", Json::object(), [&](const Json& i) {
    return i.is_object() && (i["state"] == "review" || i["state"] == "later");
  });
  LinkTo(p, p.final_link);
  const auto numbers = FinalizeInvoices(p.id, kExtraInvoices, 9000 + p.index * 10);
  p.after_relink.insert(numbers.begin(), numbers.end());
  extra_receipts_ += kExtraInvoices;
}

void CrashMatchingTest::DecideOne(Person& p, const Json& item) {
  switch (p.plan) {
    case Plan::kCreate:
      Reach(p, "create", Json::object(), [](const Json& i) { return i.is_null(); });
      p.ours = true;
      break;
    case Plan::kCreateThenLink:
      Reach(p, "create", Json::object(), [](const Json& i) { return i.is_null(); });
      // Sometimes before the woken transfer creates the contact, sometimes after (409).
      std::this_thread::sleep_for(Pause(0, 1200));
      p.final_link = Str(item["candidates"][Pause(0, 1).count()]["contact_id"]);
      if (!LinkTo(p, p.final_link, true)) {
        p.final_link.clear();
        p.ours = true;
      }
      break;
    case Plan::kLaterThenLink:
      Reach(p, "later", Json::object(),
            [](const Json& i) { return i.is_object() && i["state"] == "later"; });
      std::this_thread::sleep_for(Pause(200, 1000));
      [[fallthrough]];
    case Plan::kLink:
      p.final_link = Str(item["candidates"][Pause(0, 1).count()]["contact_id"]);
      LinkTo(p, p.final_link);
      break;
    case Plan::kUndoRelink:
      UndoAndRelink(p, item);
      break;
    default:
      return;
  }
  std::cout << "[crash-match] decided HS-" << p.number << ": "
            << (p.ours ? "new contact" : "linked to " + p.final_link) << std::endl;
}

void CrashMatchingTest::Decide() {
  const Json review = WaitForReview();
  std::map<std::int64_t, Json> items;
  for (const auto& item : review["items"]) items[item["customer"]["id"].get<std::int64_t>()] = item;
  for (Person& p : people_) {
    if (stop_) return;
    if (p.plan == Plan::kAutoLinked || p.plan == Plan::kNoContact) continue;
    std::this_thread::sleep_for(Pause(100, 600));
    DecideOne(p, items[p.id]);
  }
}

// ---------------------------------------------------------------- kills and checks

void CrashMatchingTest::RunKills() {
  const auto start = steady_clock::now();
  auto alive = [&] { return !serve_->Exited() && !decider_failed_; };
  for (int k = 0; k < kills_; ++k) {
    const bool reached = WaitForKillPoint(k, 1500, alive);
    ASSERT_FALSE(serve_->Exited()) << "serve died by itself (" << serve_->code() << ")";
    ASSERT_FALSE(decider_failed_) << decider_error_;
    ASSERT_TRUE(reached) << "the transfers stalled";
    EXPECT_EQ(serve_->Kill(SIGKILL), 128 + SIGKILL);
    std::cout << "[crash-match] kill " << k + 1 << " at " << Seconds(start)
              << " s, vouchers in sandbox: " << SandboxVoucherCount()
              << (decided_ ? "" : ", decisions still running") << std::endl;
    StartServe();
  }
}

void CrashMatchingTest::WaitAllTransferred() {
  const std::size_t expected = static_cast<std::size_t>(receipts_ + extra_receipts_);
  const auto deadline = steady_clock::now() + std::chrono::seconds(240);
  for (;;) {
    ASSERT_FALSE(serve_->Exited()) << "serve died by itself (" << serve_->code() << ")";
    const auto receipts = LoadReceipts(false);
    std::size_t done = 0;
    for (const auto& e : receipts) done += e.status == "transferred" ? 1 : 0;
    if (receipts.size() == expected && done == expected) return;
    if (steady_clock::now() > deadline) {
      FAIL() << done << " of " << expected << " receipts transferred after four minutes";
    }
    std::this_thread::sleep_for(milliseconds(500));
  }
}

// The seeded contacts, their addresses and e-mails: exactly as seeded (update_contacts is off).
void CrashMatchingTest::VerifySeededUnchanged(const Json& acc) {
  std::map<std::string, Json> now;
  for (const auto& c : acc["contacts"]) now[Str(c["id"])] = c;
  auto details = [](const Json& a, const char* list) {
    std::map<std::string, std::multiset<std::string>> out;  // contact id -> objects
    for (const auto& d : a[list]) out[Str(d["contact"]["id"])].insert(d.dump());
    return out;
  };
  const auto addresses_then = details(seeded_, "contactAddresses");
  const auto addresses_now = details(acc, "contactAddresses");
  const auto emails_then = details(seeded_, "communicationWays");
  const auto emails_now = details(acc, "communicationWays");
  for (const auto& c : seeded_["contacts"]) {
    const std::string id = Str(c["id"]);
    EXPECT_EQ(now[id], c) << "seeded contact " << id << " changed";
    const auto a0 = addresses_then.find(id), a1 = addresses_now.find(id);
    EXPECT_EQ(a0 == addresses_then.end(), a1 == addresses_now.end()) << "addresses of " << id;
    if (a0 != addresses_then.end() && a1 != addresses_now.end()) {
      EXPECT_EQ(a0->second, a1->second) << "addresses of seeded contact " << id;
    }
    const auto e0 = emails_then.find(id), e1 = emails_now.find(id);
    EXPECT_EQ(e0 == emails_then.end(), e1 == emails_now.end()) << "e-mails of " << id;
    if (e0 != emails_then.end() && e1 != emails_now.end()) {
      EXPECT_EQ(e0->second, e1->second) << "e-mails of seeded contact " << id;
    }
  }
}

// The final review list: nothing open, every link as decided (the automatic ones by "auto").
void CrashMatchingTest::VerifyLinks(const Json& matching) {
  EXPECT_EQ(matching["counts"]["review"].get<int>(), 0) << matching.dump();
  EXPECT_EQ(matching["counts"]["later"].get<int>(), 0) << matching.dump();
  std::map<std::int64_t, Json> items;
  for (const auto& i : matching["items"]) items[i["customer"]["id"].get<std::int64_t>()] = i;
  for (const Person& p : people_) {
    const auto it = items.find(p.id);
    if (p.ours) {
      EXPECT_TRUE(it == items.end()) << "HS-" << p.number << " is listed: " << it->second.dump();
      continue;
    }
    ASSERT_TRUE(it != items.end()) << "HS-" << p.number << " is not listed as linked";
    EXPECT_EQ(it->second["state"], "linked") << it->second.dump();
    EXPECT_EQ(it->second["decided_by"], p.plan == Plan::kAutoLinked ? "auto" : "user")
        << it->second.dump();
    EXPECT_EQ(Str(it->second["linked_contact_id"]), p.final_link) << it->second.dump();
  }
}

void CrashMatchingTest::Verify() {
  const Json acc = SandboxAccount();
  VerifySeededUnchanged(acc);
  std::set<std::string> seeded_ids;
  std::map<std::string, std::string> seeded_by_email;
  for (const auto& c : seeded_["contacts"]) seeded_ids.insert(Str(c["id"]));
  for (const auto& w : seeded_["communicationWays"]) {
    seeded_by_email[Str(w["value"])] = Str(w["contact"]["id"]);
  }
  // Contacts of ours: "HS-<n>" once for each customer left without a link, for no other.
  std::map<std::string, std::vector<std::string>> ours;
  for (const auto& c : acc["contacts"]) {
    if (!seeded_ids.contains(Str(c["id"]))) ours[Str(c["customerNumber"])].push_back(Str(c["id"]));
  }
  std::size_t created = 0;
  for (Person& p : people_) {
    const std::string key = "HS-" + std::to_string(p.number);
    if (p.plan == Plan::kAutoLinked) p.final_link = seeded_by_email[CustomerEmail(p.index)];
    if (!p.ours) {
      EXPECT_EQ(ours.count(key), 0u) << "a contact was created for linked customer " << key;
      continue;
    }
    ++created;
    EXPECT_EQ(ours[key].size(), 1u) << "contacts created for " << key;
  }
  EXPECT_EQ(ours.size(), created) << "contacts of ours with other numbers";
  EXPECT_EQ(acc["contacts"].size(), seeded_ids.size() + created);
  VerifyVouchers(acc, ours);
  VerifyLinks(Must(Client()->Get("/api/v1/integrations/sevdesk/matching"), 200, "matching"));
}

// One voucher per receipt, at the contact of the customer's decision.
void CrashMatchingTest::VerifyVouchers(const Json& acc,
                                       std::map<std::string, std::vector<std::string>>& ours) {
  const auto receipts = LoadReceipts(false);
  ASSERT_EQ(receipts.size(), static_cast<std::size_t>(receipts_ + extra_receipts_));
  EXPECT_EQ(acc["vouchers"].size(), receipts.size());
  std::map<std::string, std::vector<std::string>> suppliers;  // invoice number -> contact ids
  for (const auto& v : acc["vouchers"]) {
    suppliers[Str(v["voucher"]["description"])].push_back(Str(v["voucher"]["supplier"]["id"]));
  }
  std::map<std::int64_t, const Person*> by_number;
  for (const Person& p : people_) by_number[p.number] = &p;
  int checked = 0;
  for (const auto& e : receipts) {
    EXPECT_EQ(e.status, "transferred") << e.number;
    const auto& found = suppliers[e.number];
    EXPECT_EQ(found.size(), 1u) << "vouchers for " << e.number;
    if (found.empty()) continue;
    const Person& p = *by_number.at(e.customer_number);
    const std::string key = "HS-" + std::to_string(p.number);
    std::set<std::string> allowed;
    if (p.ours) {
      if (!ours[key].empty()) allowed.insert(ours[key].front());
    } else if (p.plan != Plan::kUndoRelink || p.after_relink.contains(e.number)) {
      allowed.insert(p.final_link);
    } else if (p.before_undo.contains(e.number)) {
      allowed.insert(p.first_link);
    } else {
      allowed = {p.first_link, p.final_link};  // in flight around the undo
    }
    EXPECT_TRUE(allowed.contains(found.front()))
        << e.number << " of " << key << " points at contact " << found.front();
    ++checked;
  }
  std::cout << "[verify] receipts " << receipts.size() << ", vouchers " << acc["vouchers"].size()
            << ", checked " << checked << ", contacts " << acc["contacts"].size() << " (seeded "
            << seeded_["contacts"].size() << ")" << std::endl;
}

TEST_F(CrashMatchingTest, DecisionsDuringTransfersAndSigkillsExactlyOnce) {
  const auto t0 = steady_clock::now();
  decider_rng_.seed(seed_ + 1);
  account_ = fx_.CreateSchool("Hundeschule Abgleich");
  StartSandbox();
  StartServe();
  WaitHealthy();
  CreateCustomers();
  SeedContacts();
  ConnectSevdesk();
  FaultsOn();
  FinalizeAll();
  std::cout << "[crash-match] " << kCustomers << " customers, " << receipts_
            << " invoices finalized in " << Seconds(t0) << " s" << std::endl;
  decider_ = std::thread([this] {
    try {
      Decide();
      decided_ = true;
    } catch (const std::exception& e) {
      decider_error_ = e.what();
      decider_failed_ = true;
    }
  });
  RunKills();
  decider_.join();
  ASSERT_FALSE(decider_failed_) << decider_error_;
  std::cout << "[crash-match] decisions done; 409s: " << conflicts_
            << ", requests without an answer (serve down): " << unanswered_ << std::endl;
  const std::int64_t at_last_kill = SandboxVoucherCount();
  EXPECT_LT(at_last_kill, receipts_) << "the transfers ended before the last kill: size it up";
  FaultsOff();
  WaitHealthy();
  WaitAllTransferred();
  std::cout << "[crash-match] all transferred at " << Seconds(t0) << " s" << std::endl;
  Verify();
  EXPECT_EQ(serve_->Kill(SIGTERM), 0) << Tail(ReadAll(fx_.dir() + "/serve.log"), 3000);
  EXPECT_EQ(sandbox_->Kill(SIGTERM), 0);
  std::cout << "[crash-match] total " << Seconds(t0) << " s" << std::endl;
}

}  // namespace
}  // namespace hs::testing
