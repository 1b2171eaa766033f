#include "sevdesk/sandbox/sandbox.hpp"

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <shared_mutex>
#include <span>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "http/router.hpp"
#include "http/server.hpp"
#include "sevdesk/sandbox/account.hpp"
#include "sevdesk/sandbox/faults.hpp"
#include "sevdesk/sandbox/view.hpp"
#include "sevdesk/sandbox/wire.hpp"

namespace hs::sevdesk::sandbox {

namespace {

constexpr std::int64_t kFirstClientId = 1303847;
constexpr std::int64_t kFirstUserId = 1551095;
constexpr std::string_view kApiPrefix = "/api/v1";
constexpr std::string_view kAdminPrefix = "/__sandbox";

std::uint64_t Fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

http::Response AdminJson(int status, const Json& body) {
  return http::Response::Json(status, body.dump());
}

http::Response AdminError(int status, const std::string& message) {
  return AdminJson(status, Json{{"error", message}});
}

http::Response AdminStatus(const Status& status) {
  if (status) return AdminJson(200, Json{{"ok", true}});
  const int code = status.error().code == ErrorCode::kNotFound   ? 404
                   : status.error().code == ErrorCode::kConflict ? 409
                                                                 : 400;
  return AdminError(code, status.error().message);
}

Result<AccountSettings> AccountFromJson(const Json& j, AccountSettings base = {}) {
  auto bad = [](std::string m) { return Fail(ErrorCode::kInvalidArgument, "bad_account", m); };
  if (!j.is_object()) return bad("account must be a JSON object");
  auto get = [&](const char* snake, const char* camel) -> const Json* {
    if (j.contains(snake)) return &j[snake];
    if (j.contains(camel)) return &j[camel];
    return nullptr;
  };
  if (auto* t = get("token", "token")) {
    if (!t->is_string() || t->get<std::string>().empty()) return bad("token must be a string");
    base.token = t->get<std::string>();
  }
  if (auto* n = get("name", "name")) {
    if (!n->is_string()) return bad("name must be a string");
    base.name = n->get<std::string>();
  }
  if (auto* m = get("tax_mode", "taxMode")) {
    const std::string mode = m->is_string() ? m->get<std::string>() : "";
    if (mode == "regular") {
      base.tax_mode = TaxMode::kRegular;
    } else if (mode == "kleinunternehmer") {
      base.tax_mode = TaxMode::kKleinunternehmer;
    } else {
      return bad("tax_mode must be 'regular' or 'kleinunternehmer'");
    }
  }
  if (auto* v = get("bookkeeping_version", "bookkeepingVersion")) {
    const std::string version = v->is_string() ? v->get<std::string>() : "";
    if (version != "1.0" && version != "2.0") return bad("bookkeeping_version must be 1.0 or 2.0");
    base.bookkeeping_version = version;
  }
  if (auto* a = get("api_access", "apiAccess")) {
    if (!a->is_boolean()) return bad("api_access must be true or false");
    base.api_access = a->get<bool>();
  }
  if (auto* c = get("contacts", "contacts")) {
    if (!c->is_array()) return bad("contacts must be an array");
    base.seed_contacts = c->dump();
  }
  if (auto* f = get("faults", "faults")) {
    if (f->is_null()) {
      base.faults.reset();
    } else {
      FaultSettings faults = base.faults.value_or(FaultSettings{});
      if (auto s = FaultsFromJson(*f, faults); !s) return tl::unexpected(s.error());
      base.faults = faults;
    }
  }
  return base;
}

struct ScriptedFault {
  FaultKind kind;
  int remaining;
  FaultScope scope;
  std::string endpoint;
  std::string account;
};

using Stats = std::map<std::string, std::map<std::string, std::uint64_t>>;

Json StatsJson(const Stats& stats) {
  Json out = Json::object();
  for (const auto& [route, by_status] : stats) {
    Json s = Json::object();
    for (const auto& [status, count] : by_status) s[status] = count;
    out[route] = std::move(s);
  }
  return out;
}

struct ApiRoute {
  const char* method;
  const char* pattern;  // below /api/v1
  ApiHandler handler;
};

// The sevdesk API the sandbox answers (handlers in account.cpp and vouchers.cpp).
constexpr ApiRoute kApiRoutes[] = {
    {"GET", "/Tools/bookkeepingSystemVersion", GetBookkeepingVersion},
    {"GET", "/SevUser", GetSevUsers},
    {"GET", "/ReceiptGuidance/forRevenue", GetRevenueGuidance},
    {"GET", "/ReceiptGuidance/forExpense", GetExpenseGuidance},
    {"GET", "/StaticCountry", GetStaticCountries},
    {"GET", "/PaymentMethod", GetPaymentMethods},
    {"GET", "/Contact", ListContacts},
    {"POST", "/Contact", CreateContact},
    {"GET", "/Contact/Factory/getNextCustomerNumber", NextCustomerNumber},
    {"GET", "/Contact/Factory/checkCustomerNumberAvailability", CheckCustomerNumber},
    {"GET", "/Contact/Mapper/checkCustomerNumberAvailability", CheckCustomerNumber},
    {"GET", "/Contact/{contactId}", GetContact},
    {"PUT", "/Contact/{contactId}", UpdateContact},
    {"GET", "/ContactAddress", ListAddresses},
    {"POST", "/ContactAddress", CreateAddress},
    {"GET", "/ContactAddress/{contactAddressId}", GetAddress},
    {"PUT", "/ContactAddress/{contactAddressId}", UpdateAddress},
    {"GET", "/CommunicationWay", ListCommWays},
    {"POST", "/CommunicationWay", CreateCommWay},
    {"GET", "/CommunicationWay/{communicationWayId}", GetCommWay},
    {"PUT", "/CommunicationWay/{communicationWayId}", UpdateCommWay},
    {"POST", "/Voucher/Factory/uploadTempFile", UploadTempFile},
    {"POST", "/Voucher/Factory/saveVoucher", SaveVoucher},
    {"GET", "/Voucher", ListVouchers},
    {"GET", "/Voucher/{voucherId}", GetVoucher},
    {"PUT", "/Voucher/{voucherId}/bookAmount", BookVoucherAmount},
    {"GET", "/VoucherPos", ListVoucherPositions},
    {"GET", "/CheckAccount", ListCheckAccounts},
};

}  // namespace

class Sandbox::Impl {
 public:
  explicit Impl(SandboxSettings settings) : settings_(std::move(settings)) {
    clock_ = settings_.clock ? settings_.clock : std::make_shared<SystemClock>();
    global_faults_ = std::make_shared<const FaultSettings>(settings_.faults);
    RegisterApiRoutes();
    RegisterAdminRoutes();
  }

  ~Impl() { Stop(); }

  Result<int> Start() {
    if (server_) return Fail(ErrorCode::kConflict, "started", "The sandbox is running already");
    if (auto loaded = LoadState(); !loaded) return tl::unexpected(loaded.error());
    for (const auto& account : settings_.accounts) {
      if (auto added = AddAccount(account, /*save=*/false); !added) {
        // Accounts from the state file keep their data; the settings still win.
        if (added.error().code != ErrorCode::kConflict) return tl::unexpected(added.error());
        auto existing = FindAccount(account.token);
        std::lock_guard lock(existing->mu);
        existing->settings = account;
        existing->settings.seed_contacts.clear();
      }
    }
    http::ServerSettings server_settings;
    server_settings.host = settings_.host;
    server_settings.port = settings_.port;
    server_settings.threads = settings_.server_threads;
    server_settings.keep_alive_timeout = std::chrono::seconds{2};
    server_ = std::make_unique<http::Server>(
        server_settings, [this](const http::Request& request) { return Handle(request); });
    auto port = server_->Bind();
    if (!port) {
      server_.reset();
      return port;
    }
    {
      std::lock_guard lock(sleep_mu_);
      stopping_ = false;
    }
    serving_done_ = false;
    thread_ = std::thread([this] {
      server_->Serve();
      serving_done_ = true;
    });
    SaveState();
    return *port;
  }

  void Stop() {
    if (!server_) return;
    {
      std::lock_guard lock(sleep_mu_);
      stopping_ = true;
    }
    sleep_cv_.notify_all();
    // httplib ignores stop() until its accept loop runs, so repeat until Serve() returns.
    while (!serving_done_) {
      server_->Stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    thread_.join();
    server_.reset();
    SaveState();
  }

  int port() const { return server_ ? server_->port() : 0; }

  std::string BaseUrl() const {
    const std::string host = settings_.host == "0.0.0.0" ? "127.0.0.1" : settings_.host;
    return "http://" + host + ":" + std::to_string(port());
  }

  Status AddAccount(const AccountSettings& settings, bool save = true) {
    if (settings.token.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "bad_account", "An account needs a token");
    }
    {
      std::unique_lock lock(accounts_mu_);
      if (by_token_.contains(settings.token)) {
        return Fail(ErrorCode::kConflict, "exists", "An account with this token exists");
      }
      std::int64_t client = kFirstClientId;
      for (const auto& a : accounts_) client = std::max(client, a->client_id + 1);
      auto account =
          std::make_shared<Account>(settings, client, kFirstUserId + (client - kFirstClientId),
                                    settings_.seed * 0x9E3779B97F4A7C15ULL ^ Fnv1a(settings.token));
      account->created_at = FormatBerlin(clock_->Now());
      account->settings.seed_contacts.clear();
      if (!settings.seed_contacts.empty()) {
        std::lock_guard account_lock(account->mu);
        const Json seed = Json::parse(settings.seed_contacts, nullptr, false);
        if (auto s = SeedContacts(*account, ids_, clock_->Now(), seed); !s) return s;
      }
      accounts_.push_back(account);
      by_token_[settings.token] = account;
    }
    if (save) SaveState();
    return {};
  }

  std::shared_ptr<Account> FindAccount(std::string_view token_or_id) const {
    std::shared_lock lock(accounts_mu_);
    if (auto it = by_token_.find(std::string(token_or_id)); it != by_token_.end()) {
      return it->second;
    }
    for (const auto& a : accounts_) {
      if (std::to_string(a->client_id) == token_or_id) return a;
    }
    return nullptr;
  }

  std::shared_ptr<Account> FindByToken(const std::string& token) const {
    std::shared_lock lock(accounts_mu_);
    auto it = by_token_.find(token);
    return it == by_token_.end() ? nullptr : it->second;
  }

  std::vector<std::shared_ptr<Account>> Accounts() const {
    std::shared_lock lock(accounts_mu_);
    return accounts_;
  }

  void SetGlobalFaults(const FaultSettings& faults) {
    std::lock_guard lock(faults_mu_);
    global_faults_ = std::make_shared<const FaultSettings>(faults);
  }

  std::shared_ptr<const FaultSettings> GlobalFaults() const {
    std::lock_guard lock(faults_mu_);
    return global_faults_;
  }

  Status SetAccountFaults(std::string_view ref, std::optional<FaultSettings> faults) {
    auto account = FindAccount(ref);
    if (!account) return NotFound("Unknown sandbox account");
    std::lock_guard lock(account->mu);
    account->settings.faults = std::move(faults);
    return {};
  }

  void InjectNext(FaultKind kind, int count, FaultScope scope, std::string endpoint,
                  std::string account) {
    std::lock_guard lock(faults_mu_);
    scripted_.push_back(ScriptedFault{kind, count, scope, std::move(endpoint), std::move(account)});
  }

 private:
  // ---- Routing ---------------------------------------------------------------------------------

  void RegisterApiRoutes() {
    for (const ApiRoute& route : kApiRoutes) {
      // The router finds the pattern; the handler runs by "METHOD pattern" under the lock.
      api_router_.Add(route.method, route.pattern,
                      [](const http::Request&) { return http::Response{}; });
      api_handlers_[std::string(route.method) + " " + route.pattern] = route.handler;
    }
  }

  http::Response Handle(const http::Request& request) {
    const std::string_view path = request.path;
    if (path == kApiPrefix || StartsWith(path, std::string(kApiPrefix) + "/")) {
      return HandleApi(request);
    }
    if (path == kAdminPrefix || StartsWith(path, std::string(kAdminPrefix) + "/")) {
      return HandleAdmin(request);
    }
    if (path == "/" || path == "/index.html") {
      if (request.method != "GET" && request.method != "HEAD") {
        auto refused = http::Response::Text(405, "Die Ansicht ist schreibgeschützt.\n",
                                            "text/plain; charset=utf-8");
        refused.AddHeader("Allow", "GET, HEAD");
        return refused;
      }
      Json details = Json::array();
      for (const auto& a : Accounts()) {
        std::lock_guard lock(a->mu);
        details.push_back(AccountDetail(*a));
      }
      return http::Response::Text(200, RenderView(details, request.Query("voucher").value_or("")),
                                  "text/html; charset=utf-8");
    }
    return http::Response::Text(404, "Not found\n", "text/plain; charset=utf-8");
  }

  // ---- The API: auth, rate limit, faults, handler
  // ------------------------------------------------

  http::Response HandleApi(const http::Request& request) {
    http::Request probe;
    probe.method = request.method;
    probe.path = request.path.substr(kApiPrefix.size());
    const auto match = api_router_.Find(probe);
    const bool matched = match.handler != nullptr;
    const std::string method = request.method == "HEAD" ? "GET" : request.method;
    const std::string route = method + " " + (matched ? match.pattern : std::string("(unknown)"));
    const bool is_write = request.method != "GET" && request.method != "HEAD";

    const auto token = request.Header("Authorization");
    // Only an exact token authenticates (never the numeric account id).
    auto account = token ? FindByToken(*token) : nullptr;
    if (!account) {
      CountGlobal(route, "401");
      return Unauthenticated();
    }
    const Admission admission = Admit(*account, is_write, route, matched);
    if (auto refused = Refuse(admission, matched, request.method, probe.path)) {
      return Count(*account, route, std::move(*refused));
    }
    if (admission.delay.count() > 0) SleepFor(admission.delay);
    if (auto faulted = FaultBeforeWrite(admission.kind, admission.faults)) {
      return Count(*account, route, std::move(*faulted));
    }
    http::Response response =
        RunHandler(*account, request, probe.path_params, route, admission.faults);
    if (is_write && response.status < 300) SaveState();
    return Count(*account, route,
                 AfterWrite(admission.kind, admission.faults, std::move(response)));
  }

  // What the sandbox decided about a request before its handler runs.
  struct Admission {
    bool revoked = false;
    bool api_access = true;
    std::optional<int> limited_retry_after;  // set: the account's rate limit is exceeded
    FaultSettings faults;                    // the account's, else the global ones
    FaultKind kind = FaultKind::kNone;       // the fault this request meets
    std::chrono::milliseconds delay{0};
  };

  // Under the account's lock: its state, its rate limit and the fault this request meets.
  Admission Admit(Account& account, bool is_write, const std::string& route, bool matched) {
    Admission admission;
    std::lock_guard lock(account.mu);
    admission.revoked = account.revoked;
    admission.api_access = account.settings.api_access;
    admission.faults = account.settings.faults ? *account.settings.faults : *GlobalFaults();
    if (admission.faults.rate_limit_requests > 0 && !admission.revoked && admission.api_access) {
      admission.limited_retry_after = CountInWindow(account, admission.faults);
    }
    if (!admission.revoked && admission.api_access && !admission.limited_retry_after && matched) {
      ChooseFault(account, is_write, route, admission);
    }
    if (admission.kind != FaultKind::kNone) {
      ++account.faults_injected[std::string(FaultKindName(admission.kind))];
    }
    return admission;
  }

  // Counts a request in the account's rate-limit window; over the limit: Retry-After seconds.
  static std::optional<int> CountInWindow(Account& account, const FaultSettings& faults) {
    const auto now = std::chrono::steady_clock::now();
    if (now - account.window_start >= faults.rate_limit_window) {
      account.window_start = now;
      account.window_count = 0;
    }
    if (++account.window_count <= faults.rate_limit_requests) return std::nullopt;
    const auto left = account.window_start + faults.rate_limit_window - now;
    return static_cast<int>(std::max<std::int64_t>(
        1, (std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 999) / 1000));
  }

  // A scripted fault first, else a drawn one; the latency of the faults that apply.
  void ChooseFault(Account& account, bool is_write, const std::string& route,
                   Admission& admission) {
    const FaultSettings& faults = admission.faults;
    admission.kind = TakeScripted(account, is_write, route);
    const bool applies = FaultApplies(faults, is_write, route);
    if (admission.kind == FaultKind::kNone && applies) {
      admission.kind = DrawFault(faults, *account.random);
    }
    if (!applies) return;
    admission.delay = faults.latency;
    if (faults.jitter.count() > 0) {
      admission.delay += std::chrono::milliseconds(
          account.random->Below(static_cast<std::uint64_t>(faults.jitter.count()) + 1));
    }
  }

  // The answer to an account that may not call now, or to an unknown resource; none: go on.
  static std::optional<http::Response> Refuse(const Admission& admission, bool matched,
                                              const std::string& method, const std::string& path) {
    if (admission.revoked) return Unauthenticated();
    if (!admission.api_access) {
      // Assumption (undocumented in sevdesk): a plan below Buchhaltung Pro gets 403.
      return Error(403,
                   "Your sevdesk plan does not include API access. API access "
                   "requires the plan Buchhaltung Pro or higher.");
    }
    if (admission.limited_retry_after) {
      auto response = Error(429, "Too Many Requests");
      response.AddHeader("Retry-After", std::to_string(*admission.limited_retry_after));
      return response;
    }
    if (!matched) return Error(404, "Resource " + path + " not found for " + method);
    return std::nullopt;
  }

  // The answer of a fault that strikes before the handler runs; none: run the handler.
  std::optional<http::Response> FaultBeforeWrite(FaultKind kind, const FaultSettings& faults) {
    switch (kind) {
      case FaultKind::kError500:
        return InternalError();
      case FaultKind::kTimeout:
        SleepFor(faults.timeout_duration);
        return Error(504, "Gateway Timeout");
      case FaultKind::kRateLimited: {
        auto response = Error(429, "Too Many Requests");
        response.AddHeader("Retry-After", std::to_string(faults.retry_after_seconds));
        return response;
      }
      case FaultKind::kRateLimitedNoRetryAfter:
        return Error(429, "Too Many Requests");
      case FaultKind::kReset:
        return DroppedConnection(http::Response::Json(200, ""));
      case FaultKind::kErrorBody200: {
        // Like sevdesk's refusals that arrive as HTTP 200 (e.g. code 390): nothing was changed.
        Json body = ErrorBody(200, "The request could not be processed", 390);
        return http::Response::Json(200, body.dump());
      }
      default:
        return std::nullopt;
    }
  }

  http::Response RunHandler(Account& account, const http::Request& request,
                            const std::map<std::string, std::string>& params,
                            const std::string& route, const FaultSettings& faults) {
    std::lock_guard lock(account.mu);
    Ctx ctx{.account = account,
            .request = request,
            .params = params,
            .ids = ids_,
            .now = clock_->Now(),
            .search_lag = faults.search_lag,
            .rounding = faults.rounding};
    return api_handlers_.at(route)(ctx);
  }

  // The answer of a request whose change was applied, spoilt by an "after write" fault.
  http::Response AfterWrite(FaultKind kind, const FaultSettings& faults, http::Response response) {
    switch (kind) {
      case FaultKind::kError500AfterWrite:
        return InternalError();
      case FaultKind::kTimeoutAfterWrite:
        SleepFor(faults.timeout_duration);
        return response;
      case FaultKind::kResetAfterWrite:
        return DroppedConnection(std::move(response));
      case FaultKind::kCloseAfterWrite:
        response.close_without_answer = true;
        return response;
      case FaultKind::kTruncatedAfterWrite:
        // Half of the real answer; the HTTP layer announces its full length.
        response.truncate_body_at = response.body.size() / 2;
        return response;
      default:
        return response;
    }
  }

  static http::Response Unauthenticated() {
    // Assumption: the live 401 body is not captured anywhere; the message is the spec's text.
    return Error(401, "Authentication required");
  }

  // The status line and headers go out, the body never completes. The status must be below 400:
  // the HTTP layer fills empty bodies of error statuses (httplib's error handler), which would
  // turn the drop into a complete answer.
  static http::Response DroppedConnection(http::Response response) {
    if (response.status >= 400) response.status = 200;
    response.body.clear();
    response.drop_connection = true;
    return response;
  }

  static http::Response InternalError() {
    return Error(500, "An internal error occurred. Please try again later.");
  }

  FaultKind TakeScripted(const Account& account, bool is_write, const std::string& route) {
    std::lock_guard lock(faults_mu_);
    for (auto it = scripted_.begin(); it != scripted_.end(); ++it) {
      if (!ScopeMatches(it->scope, is_write)) continue;
      if (!it->endpoint.empty() && route.find(it->endpoint) == std::string::npos) continue;
      if (!it->account.empty() && it->account != account.settings.token &&
          it->account != std::to_string(account.client_id)) {
        continue;
      }
      const FaultKind kind = it->kind;
      if (--it->remaining <= 0) scripted_.erase(it);
      return kind;
    }
    return FaultKind::kNone;
  }

  void SleepFor(std::chrono::milliseconds duration) {
    std::unique_lock lock(sleep_mu_);
    sleep_cv_.wait_for(lock, duration, [this] { return stopping_; });
  }

  // The status an answer is counted under: its HTTP status, or what the client met instead.
  static std::string StatsStatus(const http::Response& response) {
    if (response.close_without_answer) return "closed";
    if (response.drop_connection) return "reset";
    if (response.truncate_body_at) return "truncated";
    return std::to_string(response.status);
  }

  http::Response Count(Account& account, const std::string& route, http::Response response) {
    const std::string status = StatsStatus(response);
    {
      std::lock_guard lock(account.mu);
      ++account.stats[route][status];
    }
    CountGlobal(route, status);
    return response;
  }

  void CountGlobal(const std::string& route, const std::string& status) {
    std::lock_guard lock(stats_mu_);
    ++global_stats_[route][status];
  }

  // ---- Admin API
  // ---------------------------------------------------------------------------------

  using AdminMethod = http::Response (Impl::*)(const http::Request&);

  struct AdminRoute {
    const char* method;
    const char* pattern;  // below /__sandbox
    AdminMethod handler;
  };

  // The admin API of tests and demo (docs: the sandbox's README).
  static std::span<const AdminRoute> AdminRoutes() {
    static constexpr AdminRoute kRoutes[] = {
        {"GET", "", &Impl::Overview},
        {"GET", "/accounts", &Impl::ListAccounts},
        {"POST", "/accounts", &Impl::CreateAccount},
        {"GET", "/accounts/{account}", &Impl::GetAccount},
        {"PUT", "/accounts/{account}/settings", &Impl::UpdateAccountSettings},
        {"POST", "/accounts/{account}/reset", &Impl::ResetAccount},
        {"POST", "/accounts/{account}/revoke", &Impl::Revoke},
        {"POST", "/accounts/{account}/reinstate", &Impl::Reinstate},
        {"POST", "/accounts/{account}/token", &Impl::RotateToken},
        {"POST", "/accounts/{account}/contacts", &Impl::SeedAccountContacts},
        {"GET", "/accounts/{account}/stats", &Impl::GetAccountStats},
        {"GET", "/accounts/{account}/faults", &Impl::GetAccountFaults},
        {"PUT", "/accounts/{account}/faults", &Impl::PutAccountFaults},
        {"DELETE", "/accounts/{account}/faults", &Impl::DeleteAccountFaults},
        {"GET", "/accounts/{account}/vouchers/{voucherId}/document", &Impl::VoucherDocument},
        {"POST", "/accounts/{account}/vouchers", &Impl::SeedAccountVouchers},
        {"POST", "/accounts/{account}/vouchers/{voucherId}/payment", &Impl::PayVoucher},
        {"PUT", "/accounts/{account}/vouchers/{voucherId}", &Impl::ChangeVoucher},
        {"DELETE", "/accounts/{account}/vouchers/{voucherId}", &Impl::DeleteVoucher},
        {"GET", "/accounts/{account}/documents/{documentId}", &Impl::Document},
        {"GET", "/faults", &Impl::GetFaults},
        {"PUT", "/faults", &Impl::PutFaults},
        {"DELETE", "/faults", &Impl::DeleteFaults},
        {"POST", "/faults/next", &Impl::InjectNextFault},
        {"GET", "/stats", &Impl::GetStats},
        {"POST", "/reset", &Impl::ResetAll},
    };
    return kRoutes;
  }

  void RegisterAdminRoutes() {
    for (const AdminRoute& route : AdminRoutes()) {
      admin_router_.Add(route.method, std::string(kAdminPrefix) + route.pattern,
                        [this, handler = route.handler](const http::Request& request) {
                          return (this->*handler)(request);
                        });
    }
  }

  std::shared_ptr<Account> AccountParam(const http::Request& request) const {
    return FindAccount(request.PathParam("account"));
  }

  // Runs a voucher admin call (payments.cpp, vouchers.cpp) on the account like an API handler:
  // under its lock, with the sandbox's clock and the account's search lag; stores the state.
  http::Response VoucherAdmin(const http::Request& request, Result<Json> (*call)(Ctx&)) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    Result<Json> result;
    {
      std::lock_guard lock(account->mu);
      const FaultSettings faults =
          account->settings.faults ? *account->settings.faults : *GlobalFaults();
      Ctx ctx{.account = *account,
              .request = request,
              .params = request.path_params,
              .ids = ids_,
              .now = clock_->Now(),
              .search_lag = faults.search_lag,
              .rounding = faults.rounding};
      result = call(ctx);
    }
    if (!result) return AdminStatus(tl::unexpected(result.error()));
    SaveState();
    return AdminJson(200, *result);
  }
  http::Response SeedAccountVouchers(const http::Request& r) {
    return VoucherAdmin(r, SeedVouchers);
  }
  http::Response PayVoucher(const http::Request& r) { return VoucherAdmin(r, PayVoucherAsBank); }
  http::Response ChangeVoucher(const http::Request& r) {
    return VoucherAdmin(r, ChangeVoucherAsUser);
  }
  http::Response DeleteVoucher(const http::Request& r) {
    return VoucherAdmin(r, DeleteVoucherAsUser);
  }

  http::Response ListAccounts(const http::Request&) {
    Json out = Json::array();
    for (const auto& a : Accounts()) {
      std::lock_guard lock(a->mu);
      out.push_back(AccountSummary(*a));
    }
    return AdminJson(200, out);
  }

  http::Response CreateAccount(const http::Request& request) {
    Json body = Json::parse(request.body, nullptr, false);
    auto settings = AccountFromJson(body);
    if (!settings) return AdminError(400, settings.error().message);
    if (auto s = AddAccount(*settings); !s) return AdminStatus(s);
    auto account = FindAccount(settings->token);
    std::lock_guard lock(account->mu);
    return AdminJson(201, AccountSummary(*account));
  }

  http::Response GetAccount(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    std::lock_guard lock(account->mu);
    return AdminJson(200, AccountDetail(*account));
  }

  http::Response UpdateAccountSettings(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    Json body = Json::parse(request.body, nullptr, false);
    if (body.is_object() && body.contains("token")) {
      return AdminError(400, "The token of an account cannot be changed");
    }
    if (body.is_object() && body.contains("contacts")) {
      return AdminError(400,
                        "Contacts are seeded with POST /__sandbox/accounts/{account}/contacts");
    }
    {
      std::lock_guard lock(account->mu);
      auto settings = AccountFromJson(body, account->settings);
      if (!settings) return AdminError(400, settings.error().message);
      account->settings = *settings;
    }
    SaveState();
    std::lock_guard lock(account->mu);
    return AdminJson(200, AccountSummary(*account));
  }

  http::Response ResetAccount(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    {
      std::lock_guard lock(account->mu);
      account->ClearData();
    }
    SaveState();
    return AdminJson(200, Json{{"ok", true}});
  }

  // Body: {"contacts":[...]} (docs: "Seeding contacts"); refused whole on the first bad object.
  http::Response SeedAccountContacts(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    const Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("contacts")) {
      return AdminError(400, "Expected a JSON object with a contacts array");
    }
    std::size_t before = 0;
    std::size_t after = 0;
    {
      std::lock_guard lock(account->mu);
      before = account->contacts.size();
      if (auto s = SeedContacts(*account, ids_, clock_->Now(), body["contacts"]); !s) {
        return AdminStatus(s);
      }
      after = account->contacts.size();
    }
    SaveState();
    return AdminJson(201, Json{{"seeded", after - before}, {"contacts", after}});
  }

  http::Response Revoke(const http::Request& request) { return SetRevoked(request, true); }
  http::Response Reinstate(const http::Request& request) { return SetRevoked(request, false); }

  http::Response GetAccountStats(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    std::lock_guard lock(account->mu);
    return AdminJson(200, AccountStats(*account));
  }

  http::Response GetAccountFaults(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    std::lock_guard lock(account->mu);
    return AdminJson(
        200, account->settings.faults ? FaultsToJson(*account->settings.faults) : Json(nullptr));
  }

  http::Response PutAccountFaults(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    Json body = Json::parse(request.body, nullptr, false);
    FaultSettings faults;  // a PUT replaces: unspecified keys are off
    if (auto s = FaultsFromJson(body, faults); !s) return AdminStatus(s);
    std::lock_guard lock(account->mu);
    account->settings.faults = faults;
    return AdminJson(200, FaultsToJson(faults));
  }

  http::Response DeleteAccountFaults(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    std::lock_guard lock(account->mu);
    account->settings.faults.reset();
    return AdminJson(200, Json{{"ok", true}});
  }

  http::Response VoucherDocument(const http::Request& request) {
    return DocumentBytes(request, true);
  }
  http::Response Document(const http::Request& request) { return DocumentBytes(request, false); }

  http::Response GetFaults(const http::Request&) {
    Json out = FaultsToJson(*GlobalFaults());
    std::lock_guard lock(faults_mu_);
    Json next = Json::array();
    for (const auto& s : scripted_) {
      next.push_back(Json{{"kind", FaultKindName(s.kind)},
                          {"count", s.remaining},
                          {"scope", FaultScopeName(s.scope)},
                          {"endpoint", s.endpoint},
                          {"account", s.account}});
    }
    out["next"] = std::move(next);
    return AdminJson(200, out);
  }

  http::Response PutFaults(const http::Request& request) {
    Json body = Json::parse(request.body, nullptr, false);
    FaultSettings faults;
    if (auto s = FaultsFromJson(body, faults); !s) return AdminStatus(s);
    SetGlobalFaults(faults);
    return AdminJson(200, FaultsToJson(faults));
  }

  http::Response DeleteFaults(const http::Request&) {
    SetGlobalFaults(FaultSettings{});
    std::lock_guard lock(faults_mu_);
    scripted_.clear();
    return AdminJson(200, Json{{"ok", true}});
  }

  http::Response InjectNextFault(const http::Request& request) {
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object()) return AdminError(400, "Expected a JSON object");
    auto kind = ParseFaultKind(body.value("kind", ""));
    if (!kind || *kind == FaultKind::kNone) return AdminError(400, "Unknown fault kind");
    auto scope = ParseFaultScope(body.value("scope", "all"));
    if (!scope) return AdminError(400, "scope must be all, reads or writes");
    const int count = body.value("count", 1);
    if (count < 1) return AdminError(400, "count must be at least 1");
    InjectNext(*kind, count, *scope, body.value("endpoint", ""), body.value("account", ""));
    return AdminJson(200, Json{{"ok", true}});
  }

  http::Response GetStats(const http::Request&) {
    Json out = Json::object();
    {
      std::lock_guard lock(stats_mu_);
      out["global"] = StatsJson(global_stats_);
    }
    Json accounts = Json::object();
    for (const auto& a : Accounts()) {
      std::lock_guard lock(a->mu);
      accounts[std::to_string(a->client_id)] = AccountStats(*a);
    }
    out["accounts"] = std::move(accounts);
    return AdminJson(200, out);
  }

  http::Response ResetAll(const http::Request&) {
    for (const auto& a : Accounts()) {
      std::lock_guard lock(a->mu);
      a->ClearData();
    }
    SetGlobalFaults(settings_.faults);
    {
      std::lock_guard lock(faults_mu_);
      scripted_.clear();
    }
    {
      std::lock_guard lock(stats_mu_);
      global_stats_.clear();
    }
    SaveState();
    return AdminJson(200, Json{{"ok", true}});
  }

  http::Response HandleAdmin(const http::Request& request) {
    http::Request copy = request;
    if (copy.path.size() > kAdminPrefix.size() && copy.path.back() == '/') copy.path.pop_back();
    const auto match = admin_router_.Find(copy);
    if (!match.handler) {
      return AdminError(match.path_known ? 405 : 404, "Unknown sandbox admin endpoint");
    }
    return (*match.handler)(copy);
  }

  http::Response Overview(const http::Request&) {
    Json out = Json::object();
    Json accounts = Json::array();
    for (const auto& a : Accounts()) {
      std::lock_guard lock(a->mu);
      accounts.push_back(AccountDetail(*a));
    }
    out["accounts"] = std::move(accounts);
    out["faults"] = FaultsToJson(*GlobalFaults());
    out["stateFile"] = settings_.state_file;
    return AdminJson(200, out);
  }

  http::Response SetRevoked(const http::Request& request, bool revoked) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    {
      std::lock_guard lock(account->mu);
      account->revoked = revoked;
    }
    SaveState();
    return AdminJson(200, Json{{"ok", true}, {"revoked", revoked}});
  }

  // The owner regenerates the token in sevdesk: the account keeps its data, the old token answers
  // 401 from now on, the new one works (and un-revokes the account).
  http::Response RotateToken(const http::Request& request) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body["token"].is_string() ||
        body["token"].get<std::string>().empty()) {
      return AdminError(400, "Expected {\"token\": \"NEW_TOKEN\"}");
    }
    const std::string token = body["token"].get<std::string>();
    {
      std::unique_lock lock(accounts_mu_);
      if (by_token_.contains(token)) return AdminError(409, "Token already in use");
      for (auto it = by_token_.begin(); it != by_token_.end();) {
        it = it->second == account ? by_token_.erase(it) : std::next(it);
      }
      by_token_[token] = account;
    }
    {
      std::scoped_lock lock(account->mu, faults_mu_);
      account->settings.token = token;
      account->revoked = false;
    }
    SaveState();
    return AdminJson(200, Json{{"ok", true}});
  }

  static Json AccountStats(const Account& a) {
    Json out = Json::object();
    out["requests"] = StatsJson(a.stats);
    Json faults = Json::object();
    for (const auto& [kind, count] : a.faults_injected) faults[kind] = count;
    out["faultsInjected"] = std::move(faults);
    out["counts"] = AccountSummary(a)["counts"];
    return out;
  }

  http::Response DocumentBytes(const http::Request& request, bool by_voucher) {
    auto account = AccountParam(request);
    if (!account) return AdminError(404, "Unknown sandbox account");
    std::lock_guard lock(account->mu);
    std::optional<std::int64_t> doc_id;
    if (by_voucher) {
      auto id = ToInt(Json(request.PathParam("voucherId")));
      auto it = id ? account->vouchers.find(*id) : account->vouchers.end();
      if (it == account->vouchers.end()) return AdminError(404, "Unknown voucher");
      doc_id = it->second.document_id;
      if (!doc_id) return AdminError(404, "The voucher has no document");
    } else {
      doc_id = ToInt(Json(request.PathParam("documentId")));
    }
    auto it = doc_id ? account->documents.find(*doc_id) : account->documents.end();
    if (it == account->documents.end()) return AdminError(404, "Unknown document");
    auto response = http::Response::Text(200, it->second.file.bytes, it->second.file.mime);
    response.AddHeader("Content-Disposition",
                       "inline; filename=\"" + it->second.file.filename + "\"");
    response.AddHeader("X-Content-SHA256", it->second.file.sha256);
    return response;
  }

  // ---- Persistence
  // -------------------------------------------------------------------------------

  Status LoadState() {
    if (settings_.state_file.empty() || !std::filesystem::exists(settings_.state_file)) return {};
    std::ifstream in(settings_.state_file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    Json state = Json::parse(buffer.str(), nullptr, false);
    if (state.is_discarded() || !state.is_object() || !state.contains("accounts")) {
      return Fail(ErrorCode::kInvalidArgument, "bad_state",
                  "The sandbox state file " + settings_.state_file + " is not valid");
    }
    if (state.contains("ids")) ids_.FromJson(state["ids"]);
    for (const auto& s : state["accounts"]) {
      auto settings = AccountFromJson(s);
      if (!settings) return tl::unexpected(settings.error());
      const std::int64_t client = s.value("clientId", kFirstClientId);
      auto account = std::make_shared<Account>(
          *settings, client, s.value("userId", kFirstUserId),
          settings_.seed * 0x9E3779B97F4A7C15ULL ^ Fnv1a(settings->token));
      if (auto restored = RestoreAccountState(*account, s); !restored) return restored;
      std::unique_lock lock(accounts_mu_);
      accounts_.push_back(account);
      by_token_[account->settings.token] = account;
    }
    return {};
  }

  void SaveState() {
    if (settings_.state_file.empty()) return;
    std::lock_guard save_lock(save_mu_);
    Json state = Json::object();
    state["format"] = "hundeschule-sevdesk-sandbox/1";
    state["ids"] = ids_.ToJson();
    Json accounts = Json::array();
    for (const auto& a : Accounts()) {
      std::lock_guard lock(a->mu);
      accounts.push_back(AccountState(*a));
    }
    state["accounts"] = std::move(accounts);
    const std::string tmp = settings_.state_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << state.dump();
      if (!out) {
        std::fprintf(stderr, "sevdesk sandbox: cannot write %s\n", tmp.c_str());
        return;
      }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, settings_.state_file, ec);
    if (ec) {
      std::fprintf(stderr, "sevdesk sandbox: cannot replace %s: %s\n", settings_.state_file.c_str(),
                   ec.message().c_str());
    }
  }

  SandboxSettings settings_;
  std::shared_ptr<const Clock> clock_;
  IdCounters ids_;

  mutable std::shared_mutex accounts_mu_;
  std::vector<std::shared_ptr<Account>> accounts_;
  std::unordered_map<std::string, std::shared_ptr<Account>> by_token_;

  mutable std::mutex faults_mu_;
  std::shared_ptr<const FaultSettings> global_faults_;
  std::vector<ScriptedFault> scripted_;

  std::mutex stats_mu_;
  Stats global_stats_;

  std::mutex save_mu_;

  http::Router api_router_;
  std::unordered_map<std::string, ApiHandler> api_handlers_;
  http::Router admin_router_;

  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  bool stopping_ = false;

  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::atomic<bool> serving_done_{false};
};

Sandbox::Sandbox(SandboxSettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}
Sandbox::~Sandbox() = default;
Result<int> Sandbox::Start() {
  return impl_->Start();
}
void Sandbox::Stop() {
  impl_->Stop();
}
int Sandbox::port() const {
  return impl_->port();
}
std::string Sandbox::BaseUrl() const {
  return impl_->BaseUrl();
}
Status Sandbox::AddAccount(const AccountSettings& account) {
  return impl_->AddAccount(account);
}
Status Sandbox::SetGlobalFaults(const FaultSettings& faults) {
  impl_->SetGlobalFaults(faults);
  return {};
}
Status Sandbox::SetAccountFaults(std::string_view account, std::optional<FaultSettings> faults) {
  return impl_->SetAccountFaults(account, std::move(faults));
}
void Sandbox::InjectNext(FaultKind kind, int count, FaultScope scope, std::string endpoint,
                         std::string account) {
  impl_->InjectNext(kind, count, scope, std::move(endpoint), std::move(account));
}

Status LoadConfigFile(const std::string& path, SandboxSettings& settings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kNotFound, "no_config", "Cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  Json config = Json::parse(buffer.str(), nullptr, false);
  auto bad = [&](const std::string& m) {
    return Fail(ErrorCode::kInvalidArgument, "bad_config", path + ": " + m);
  };
  if (config.is_discarded() || !config.is_object()) return bad("not a JSON object");
  for (const auto& [key, value] : config.items()) {
    if (key == "accounts") {
      if (!value.is_array()) return bad("accounts must be an array");
      for (const auto& a : value) {
        auto account = AccountFromJson(a);
        if (!account) return bad(account.error().message);
        if (account->token.empty()) return bad("every account needs a token");
        settings.accounts.push_back(*account);
      }
    } else if (key == "faults") {
      if (auto s = FaultsFromJson(value, settings.faults); !s) return bad(s.error().message);
    } else if (key == "seed") {
      if (!value.is_number_unsigned()) return bad("seed must be a non-negative integer");
      settings.seed = value.get<std::uint64_t>();
    } else if (key == "state") {
      if (!value.is_string()) return bad("state must be a file name");
      settings.state_file = value.get<std::string>();
    } else {
      return bad("unknown key '" + key + "'");
    }
  }
  return {};
}

}  // namespace hs::sevdesk::sandbox
