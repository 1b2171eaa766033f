#include "crash/crash_harness.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hs::testing {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

double Seconds(steady_clock::time_point since) {
  return std::chrono::duration<double>(steady_clock::now() - since).count();
}

// Waits for a complete port file ("<port>\n") of `child`.
int WaitForPort(ChildProcess& child, const std::string& port_file, const std::string& log) {
  const auto deadline = steady_clock::now() + std::chrono::seconds(60);
  while (steady_clock::now() < deadline) {
    if (child.Exited()) {
      throw std::runtime_error("child exited with " + std::to_string(child.code()) + ":\n" +
                               Tail(ReadAll(log), 4000));
    }
    const std::string text = ReadAll(port_file);
    if (!text.empty() && text.back() == '\n' && std::atoi(text.c_str()) > 0) {
      return std::atoi(text.c_str());
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  throw std::runtime_error("no port file " + port_file + ":\n" + Tail(ReadAll(log), 4000));
}

Json Must(const Reply& reply, int status, const std::string& what) {
  if (reply.status != status) {
    throw std::runtime_error(what + ": expected " + std::to_string(status) + ", got " +
                             reply.Describe());
  }
  return reply.json;
}

namespace {

// sevdesk amounts come as "119.00" (or numbers); answers cents.
std::int64_t Cents(const Json& v) {
  std::string s;
  if (v.is_string()) s = v.get<std::string>();
  if (v.is_number_integer()) return v.get<std::int64_t>() * 100;
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", v.get<double>());
    s = buf;
  }
  if (s.empty()) throw std::runtime_error("not an amount: " + v.dump());
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '-') negative = true, i = 1;
  std::int64_t whole = 0, frac = 0;
  int digits = 0;
  for (; i < s.size() && s[i] != '.'; ++i) whole = whole * 10 + (s[i] - '0');
  if (i < s.size()) {
    for (++i; i < s.size(); ++i, ++digits) {
      if (digits < 2) frac = frac * 10 + (s[i] - '0');
    }
  }
  if (digits == 1) frac *= 10;
  const std::int64_t c = whole * 100 + frac;
  return negative ? -c : c;
}

std::string Str(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return v.dump();
}

}  // namespace

void CrashHarness::Init(const std::string& dir, int receipts, int kills) {
  dir_ = dir;
  // A fixed seed by default, printed: a failing run is replayed with HS_CRASH_SEED.
  seed_ = static_cast<std::uint64_t>(EnvInt("HS_CRASH_SEED", 1));
  receipts_ = receipts;
  kills_ = kills;
  customers_ = EnvInt("HS_CRASH_CUSTOMERS", 50);
  search_lag_ms_ = EnvInt("HS_CRASH_SEARCH_LAG_MS", 3000);
  rng_.seed(seed_);
  std::cout << "[crash] seed " << seed_ << " (HS_CRASH_SEED), dir " << dir_ << std::endl;
}

void CrashHarness::StartSandbox() {
  const std::string port_file = dir_ + "/sandbox.port";
  const std::string log = dir_ + "/sandbox.log";
  sandbox_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"sevdesk-sandbox", "--listen", "127.0.0.1:0", "--port-file",
                               port_file, "--account", kToken, "--seed", std::to_string(seed_)},
      log);
  sandbox_url_ = "http://127.0.0.1:" + std::to_string(WaitForPort(*sandbox_, port_file, log));
  sandbox_client_ = std::make_unique<ApiClient>(sandbox_url_);
}

std::vector<std::string> CrashHarness::SevdeskFlags() const {
  return {"--sevdesk-base-url",
          sandbox_url_ + "/api/v1",
          "--sevdesk-rate",
          "500",
          "--sevdesk-burst",
          "50",
          "--sevdesk-timeout-ms",
          "600",
          "--sevdesk-max-attempts",
          "60",
          "--sevdesk-backoff-base-ms",
          "20",
          "--sevdesk-settle-ms",
          std::to_string(search_lag_ms_ + 1000)};
}

void CrashHarness::FaultsOn() {
  Must(sandbox_client_->Send("PUT", "/__sandbox/faults",
                             Json{{"error_500", 0.05},
                                  {"error_500_after_write", 0.05},
                                  {"timeout", 0.025},
                                  {"timeout_after_write", 0.025},
                                  {"rate_limited", 0.02},
                                  {"reset", 0.01},
                                  {"reset_after_write", 0.01},
                                  {"close_after_write", 0.05},
                                  {"truncated_after_write", 0.02},
                                  {"error_body_200", 0.01},
                                  {"retry_after_seconds", 1},
                                  {"timeout_ms", 2000},
                                  {"search_lag_ms", search_lag_ms_},
                                  {"rounding", "binary"}}
                                 .dump()),
       200, "set faults");
}

void CrashHarness::FaultsOff() {
  Must(sandbox_client_->Delete("/__sandbox/faults"), 200, "faults off");
}

Json CrashHarness::SandboxAccount() {
  return Must(sandbox_client_->Get(std::string("/__sandbox/accounts/") + kToken), 200,
              "sandbox account");
}

std::int64_t CrashHarness::SandboxVoucherCount() {
  const Reply r = sandbox_client_->Get("/__sandbox/accounts");
  if (r.status != 200 || !r.json.is_array() || r.json.empty()) return -1;
  return r.json[0]["counts"]["vouchers"].get<std::int64_t>();
}

std::unique_ptr<ApiClient> CrashHarness::Client() {
  auto c = std::make_unique<ApiClient>(app_url_);
  if (!session_.session_cookie().empty()) {
    c->ShareSessionFrom(session_);
    return c;
  }
  Must(c->Login(account_.email, account_.password), 200, "login");
  session_.ShareSessionFrom(*c);
  return c;
}

void CrashHarness::Seed() {
  auto c = Client();
  std::vector<std::int64_t> customers;
  for (int i = 0; i < customers_; ++i) {
    Json body;
    if (i % 5 == 0) {
      body = {{"kind", "company"}, {"company_name", "Hundeverein " + std::to_string(i) + " e.V."}};
    } else {
      body = {
          {"kind", "person"}, {"first_name", "Kim" + std::to_string(i)}, {"last_name", "Muster"}};
    }
    body["email"] = "kunde" + std::to_string(i) + "@example.org";
    body["address"] = {{"street", "Waldweg " + std::to_string(i + 1)},
                       {"zip", std::to_string(10000 + i)},
                       {"city", "Berlin"}};
    customers.push_back(
        Must(c->Post("/api/v1/customers", body), 201, "create customer")["id"].get<std::int64_t>());
  }
  const std::string today = TodayInBerlin();
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mutex;
  auto seeder = [&] {
    auto client = Client();
    for (int i = next++; i < receipts_ && !failed; i = next++) {
      try {
        Json lines = Json::array();
        lines.push_back({{"text", "Gruppenstunde"},
                         {"quantity", i % 4 == 0 ? "1.5" : "1"},
                         {"unit", "Std"},
                         {"unit_price_cents", 1999 + (i * 37) % 5000},
                         {"vat_rate", 19}});
        if (i % 3 == 0) {
          lines.push_back({{"text", "Leckerli"},
                           {"quantity", "3"},
                           {"unit", "Stk"},
                           {"unit_price_cents", 133 + i % 97},
                           {"vat_rate", 7}});
        }
        const Json draft = {
            {"customer_id", customers[static_cast<std::size_t>(i) % customers.size()]},
            {"invoice_date", today},
            {"lines", lines}};
        const std::int64_t id =
            Must(client->Post("/api/v1/invoices", draft), 201, "draft")["id"].get<std::int64_t>();
        Must(client->Post("/api/v1/invoices/" + std::to_string(id) + "/finalize", Json::object()),
             200, "finalize");
      } catch (const std::exception& e) {
        std::lock_guard lock(failure_mutex);
        failure = e.what();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(seeder);
  for (auto& t : threads) t.join();
  if (failed) throw std::runtime_error("seeding: " + failure);
}

std::vector<Expected> CrashHarness::LoadReceipts(bool with_groups) {
  auto c = Client();
  std::map<std::int64_t, std::int64_t> customer_numbers;
  for (int page = 1;; ++page) {
    const Json list =
        Must(c->Get("/api/v1/customers?limit=200&offset=" + std::to_string((page - 1) * 200)), 200,
             "customers");
    const Json& items = list["items"];
    for (const auto& cu : items) {
      customer_numbers[cu["id"].get<std::int64_t>()] = cu["customer_number"].get<std::int64_t>();
    }
    if (items.size() < 200) break;
  }
  std::vector<Expected> out;
  for (int page = 1;; ++page) {
    const Json list = Must(
        c->Get("/api/v1/receipts?type=income&sort=date&limit=500&page=" + std::to_string(page)),
        200, "receipts");
    for (const auto& r : list["items"]) {
      Expected e;
      e.receipt_id = r["id"].get<std::int64_t>();
      e.invoice_id = r["invoice_id"].get<std::int64_t>();
      e.number = r["number"].get<std::string>();
      e.customer_number = customer_numbers.at(r["customer_id"].get<std::int64_t>());
      e.net = r["amount_net_cents"].get<std::int64_t>();
      e.tax = r["amount_tax_cents"].get<std::int64_t>();
      e.gross = r["amount_gross_cents"].get<std::int64_t>();
      e.file_sha256 = r["file"]["sha256"].get<std::string>();
      e.status = r["sevdesk"]["status"].get<std::string>();
      if (r["sevdesk"].contains("voucher_id")) e.voucher_id = Str(r["sevdesk"]["voucher_id"]);
      out.push_back(std::move(e));
    }
    if (list["items"].size() < 500) break;
  }
  if (with_groups) {
    // The invoices' VAT groups of every 10th receipt (one request each).
    for (std::size_t i = 0; i < out.size(); i += 10) {
      auto& e = out[i];
      const Json inv =
          Must(c->Get("/api/v1/invoices/" + std::to_string(e.invoice_id)), 200, "invoice");
      for (const auto& g : inv["vat_groups"]) {
        e.groups[g["rate"].get<int>()] = {g["net_cents"].get<std::int64_t>(),
                                          g["tax_cents"].get<std::int64_t>(),
                                          g["gross_cents"].get<std::int64_t>()};
      }
    }
  }
  return out;
}

void CrashHarness::ConnectSevdesk() {
  auto c = Client();
  Must(c->Send("PUT", "/api/v1/integrations/sevdesk", Json{{"api_token", kToken}}.dump()), 200,
       "set token");
  const Json tested =
      Must(c->Post("/api/v1/integrations/sevdesk/test", Json::object()), 200, "test connection");
  ASSERT_TRUE(tested["ok"].get<bool>()) << tested.dump();
  Must(c->Send("PUT", "/api/v1/integrations/sevdesk", Json{{"enabled", true}}.dump()), 200,
       "enable");
}

std::int64_t CrashHarness::StartBackfill() {
  auto c = Client();
  const Json batch =
      Must(c->Post("/api/v1/integrations/sevdesk/transfers", {{"filter", {{"type", "income"}}}}),
           202, "start backfill");
  EXPECT_EQ(batch["queued"].get<int>(), receipts_) << batch.dump();
  return batch["batch_id"].get<std::int64_t>();
}

Json CrashHarness::WaitForBatch(std::int64_t batch_id, const std::function<bool()>& alive) {
  const auto deadline =
      steady_clock::now() + std::chrono::seconds(EnvInt("HS_CRASH_BATCH_TIMEOUT_S", 240));
  for (;;) {
    auto c = Client();
    Json progress =
        Must(c->Get("/api/v1/integrations/sevdesk/transfers/" + std::to_string(batch_id)), 200,
             "batch progress");
    if (progress["finished"].get<bool>()) return progress;
    if (steady_clock::now() > deadline) {
      throw std::runtime_error("backfill did not finish: " + progress.dump());
    }
    if (!alive()) throw std::runtime_error("a process died by itself");
    std::this_thread::sleep_for(milliseconds(250));
  }
}

std::chrono::milliseconds CrashHarness::NextPause(int min_ms, int max_ms) {
  return milliseconds(std::uniform_int_distribution<int>(min_ms, max_ms)(rng_));
}

bool CrashHarness::WaitForKillPoint(int index, int max_pause_ms,
                                    const std::function<bool()>& alive) {
  const std::int64_t target =
      static_cast<std::int64_t>(receipts_) * 9 * (index + 1) / (10 * (kills_ + 1));
  std::this_thread::sleep_for(NextPause(0, max_pause_ms));
  std::int64_t seen = -1;
  auto last_move = steady_clock::now();
  while (alive()) {
    const std::int64_t now = SandboxVoucherCount();
    if (now >= target) return true;
    if (now != seen) {
      seen = now;
      last_move = steady_clock::now();
    } else if (steady_clock::now() - last_move > std::chrono::minutes(2)) {
      std::cout << "[crash] no progress for two minutes at " << now << " vouchers (kill point "
                << index + 1 << " at " << target << ")" << std::endl;
      return false;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

void CrashHarness::VerifyExactlyOnce() {
  // ---- The app's view: every receipt transferred.
  const std::vector<Expected> receipts = LoadReceipts(true);
  ASSERT_EQ(receipts.size(), static_cast<std::size_t>(receipts_));
  Tally tally;
  tally.receipts = static_cast<int>(receipts.size());
  for (const auto& e : receipts) {
    EXPECT_EQ(e.status, "transferred") << e.number;
    EXPECT_FALSE(e.voucher_id.empty()) << e.number;
    if (e.status != "transferred" || e.voucher_id.empty()) ++tally.lost;
  }

  // ---- The sandbox's view: one contact per customer, one voucher per receipt.
  const Json acc = SandboxAccount();
  const Json stats =
      Must(sandbox_client_->Get(std::string("/__sandbox/accounts/") + kToken + "/stats"), 200,
           "sandbox stats");
  std::cout << "[crash] sandbox stats: " << stats.dump() << std::endl;
  const auto contact_by_number = VerifyContacts(acc, tally);

  std::map<std::string, std::vector<const Json*>> vouchers_by_description;
  for (const auto& v : acc["vouchers"]) {
    vouchers_by_description[Str(v["voucher"]["description"])].push_back(&v);
  }
  EXPECT_EQ(acc["vouchers"].size(), static_cast<std::size_t>(receipts_));

  auto app = Client();
  for (const auto& e : receipts) {
    const auto it = vouchers_by_description.find(e.number);
    if (it == vouchers_by_description.end()) {
      ADD_FAILURE() << "no voucher for " << e.number;
      ++tally.lost;
      continue;
    }
    EXPECT_EQ(it->second.size(), 1u) << "vouchers for " << e.number;
    tally.duplicate_vouchers += static_cast<int>(it->second.size()) - 1;
    VerifyVoucher(e, *it->second.front(), contact_by_number, *app, tally);
  }
  EXPECT_EQ(tally.pdfs_checked, receipts_);
  std::cout << "[verify] receipts " << tally.receipts << ", lost " << tally.lost
            << ", duplicate vouchers " << tally.duplicate_vouchers << ", duplicate contacts "
            << tally.duplicate_contacts << ", duplicate addresses " << tally.duplicate_addresses
            << ", duplicate e-mails " << tally.duplicate_emails << ", sums differing "
            << tally.sums_differing << ", PDFs differing " << tally.pdfs_differing << " (of "
            << tally.pdfs_checked << " checked, " << tally.pdfs_compared
            << " compared byte for byte)" << std::endl;
}

std::map<std::string, std::string> CrashHarness::VerifyContacts(const Json& acc, Tally& tally) {
  std::map<std::string, std::string> contact_by_number;  // customerNumber -> id
  std::map<std::string, int> per_number;
  for (const auto& c : acc["contacts"]) {
    const std::string number = Str(c["customerNumber"]);
    ++per_number[number];
    contact_by_number[number] = Str(c["id"]);
  }
  EXPECT_EQ(acc["contacts"].size(), static_cast<std::size_t>(customers_));
  for (const auto& [number, n] : per_number) {
    EXPECT_EQ(n, 1) << "contacts with number " << number;
    tally.duplicate_contacts += n - 1;
  }
  EXPECT_EQ(per_number.size(), static_cast<std::size_t>(customers_));
  std::map<std::string, int> addresses, emails;
  for (const auto& a : acc["contactAddresses"]) ++addresses[Str(a["contact"]["id"])];
  for (const auto& w : acc["communicationWays"]) ++emails[Str(w["contact"]["id"])];
  for (const auto& [number, id] : contact_by_number) {
    EXPECT_EQ(addresses[id], 1) << "addresses of contact " << number;
    EXPECT_EQ(emails[id], 1) << "e-mails of contact " << number;
    tally.duplicate_addresses += std::max(0, addresses[id] - 1);
    tally.duplicate_emails += std::max(0, emails[id] - 1);
  }
  return contact_by_number;
}

void CrashHarness::VerifyVoucher(const Expected& e, const Json& item,
                                 const std::map<std::string, std::string>& contact_by_number,
                                 ApiClient& app, Tally& tally) {
  const Json& v = item["voucher"];
  EXPECT_EQ(Str(v["id"]), e.voucher_id) << e.number;
  EXPECT_EQ(Str(v["creditDebit"]), "D") << e.number;
  const auto contact = contact_by_number.find("HS-" + std::to_string(e.customer_number));
  EXPECT_TRUE(contact != contact_by_number.end() && Str(v["supplier"]["id"]) == contact->second)
      << e.number;
  std::map<int, std::array<std::int64_t, 3>> positions;
  for (const auto& p : item["voucherPos"]) {
    const int rate = static_cast<int>(Cents(p["taxRate"]) / 100);
    auto& sums = positions[rate];
    sums[0] += Cents(p["sumNet"]);
    sums[1] += Cents(p["sumTax"]);
    sums[2] += Cents(p["sumGross"]);
  }
  std::array<std::int64_t, 3> total{0, 0, 0};
  for (const auto& [rate, sums] : positions) {
    for (int k = 0; k < 3; ++k) total[k] += sums[k];
  }
  const std::array<std::int64_t, 3> expected{e.net, e.tax, e.gross};
  const std::array<std::int64_t, 3> stored{Cents(v["sumNet"]), Cents(v["sumTax"]),
                                           Cents(v["sumGross"])};
  const bool sums_equal =
      stored == expected && total == expected && (e.groups.empty() || positions == e.groups);
  EXPECT_TRUE(sums_equal) << "sums of " << e.number;
  if (!sums_equal) ++tally.sums_differing;
  // The PDF: the sandbox's document has the sha256 of the app's stored file; every 10th is
  // also downloaded on both sides and compared byte for byte.
  if (item["document"].is_null()) {
    ADD_FAILURE() << "voucher of " << e.number << " has no document";
    ++tally.pdfs_differing;
    return;
  }
  ++tally.pdfs_checked;
  const bool same_hash = item["document"]["sha256"].get<std::string>() == e.file_sha256;
  EXPECT_TRUE(same_hash) << e.number;
  if (e.groups.empty()) {
    if (!same_hash) ++tally.pdfs_differing;
    return;
  }
  const Reply mine = app.Get("/api/v1/receipts/" + std::to_string(e.receipt_id) + "/file");
  const Reply theirs = sandbox_client_->Get(item["document"]["url"].get<std::string>());
  ASSERT_EQ(mine.status, 200) << mine.Describe();
  ASSERT_EQ(theirs.status, 200) << theirs.Describe();
  ++tally.pdfs_compared;
  const bool same_bytes = theirs.body == mine.body && Sha256Hex(mine.body) == e.file_sha256;
  EXPECT_TRUE(same_bytes) << "PDF of " << e.number;
  if (!same_hash || !same_bytes) ++tally.pdfs_differing;
}

std::unique_ptr<ChildProcess> CrashHarness::StartPostgresProcess(const std::string& name,
                                                                 const std::string& database_url) {
  std::vector<std::string> common = SevdeskFlags();
  for (const std::string& a : std::vector<std::string>{
           "--database", database_url, "--db-pool-size", "6", "--key-file", dir_ + "/secret.key",
           "--sevdesk-lease-ms", "2000", "--workers", "2"}) {
    common.push_back(a);
  }
  const std::string log = dir_ + "/" + name + ".log";
  if (name == "worker") {
    std::vector<std::string> args{"worker"};
    for (auto& a : common) args.push_back(a);
    return std::make_unique<ChildProcess>(args, log);
  }
  const std::string port_file = dir_ + "/" + name + ".port";
  std::filesystem::remove(port_file);
  std::vector<std::string> args{"serve",       "--listen",  "127.0.0.1:0",
                                "--port-file", port_file,   "--password-cost",
                                "minimum",     "--threads", "8"};
  for (auto& a : common) args.push_back(a);
  auto process = std::make_unique<ChildProcess>(args, log);
  const std::string url =
      "http://127.0.0.1:" + std::to_string(WaitForPort(*process, port_file, log));
  ApiClient c(url);
  const auto deadline = steady_clock::now() + std::chrono::seconds(60);
  while (c.Get("/healthz", {.with_cookie = false, .with_csrf = false}).status != 200) {
    if (steady_clock::now() > deadline || process->Exited()) {
      throw std::runtime_error(name + " is not healthy:\n" + Tail(ReadAll(log), 4000));
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  app_url_ = url;
  return process;
}

}  // namespace hs::testing
