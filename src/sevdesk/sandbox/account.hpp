#pragma once
// One sevdesk account ("SevClient") of the sandbox: its settings, data and counters, and the API
// handlers that work on it. Every handler runs with Account::mu held by the caller.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/clock.hpp"
#include "http/http_types.hpp"
#include "sevdesk/sandbox/sandbox.hpp"
#include "sevdesk/sandbox/wire.hpp"

namespace hs::sevdesk::sandbox {

// Ids are global across accounts like in the real database, so an id of another account is
// simply unknown (404/151) here.
struct IdCounters {
  std::atomic<std::int64_t> contact{138810400};
  std::atomic<std::int64_t> address{120178900};
  std::atomic<std::int64_t> comm_way{115440700};
  std::atomic<std::int64_t> voucher{156270700};
  std::atomic<std::int64_t> voucher_pos{412000100};
  std::atomic<std::int64_t> document{300881700};
  std::atomic<std::int64_t> voucher_log{148586900};
  std::int64_t Next(std::atomic<std::int64_t>& counter) { return ++counter; }
  Json ToJson() const;
  void FromJson(const Json& json);
};

// search_lag_ms: list and search answers show a create or change of a record only from
// `visible_from` on; until then they show `before`, the version it replaced (null: none, the
// record was created then; `before` may itself still be lagging). GET /X/{id} reads the record.
template <typename Rec>
struct Listing {
  Instant visible_from{};
  std::shared_ptr<const Rec> before;
};

struct ContactRec {
  Json wire;  // reference-valued fields hold {"id","objectName"}
  bool person = false;
  Listing<ContactRec> listing = {};
};

struct AddressRec {
  Json wire;  // "contact" as a reference
  std::int64_t contact_id = 0;
  Listing<AddressRec> listing = {};
};

struct CommWayRec {
  Json wire;
  std::int64_t contact_id = 0;
  Listing<CommWayRec> listing = {};
};

struct StoredFile {
  std::string filename;  // sevdesk's name (temp file) or the original upload name
  std::string mime;      // origin mime type
  std::string bytes;
  std::string sha256;
  std::string uploaded_at;  // Berlin ISO
};

struct DocumentRec {
  std::int64_t id = 0;
  StoredFile file;
};

struct VoucherRec {
  Json wire;
  std::vector<Json> positions;
  std::optional<std::int64_t> document_id;
  std::optional<std::int64_t> supplier_id;
  std::optional<std::int64_t> voucher_date_unix;
  Listing<VoucherRec> listing = {};
};

// The version of `rec` that list and search answers show at `now`; nullptr: none yet.
template <typename Rec>
const Rec* ListedVersion(const Rec& rec, Instant now) {
  const Rec* version = &rec;
  while (version != nullptr && now < version->listing.visible_from) {
    version = version->listing.before.get();
  }
  return version;
}

// Notes that `rec` was just created (`before` null) or changed from `*before` at `now`.
template <typename Rec>
void NoteChange(Rec& rec, std::type_identity_t<const Rec*> before, Instant now,
                std::chrono::milliseconds lag) {
  rec.listing.visible_from = now + lag;
  rec.listing.before = nullptr;
  if (before == nullptr || lag.count() <= 0) return;
  auto previous = std::make_shared<Rec>(*before);
  // Once a version is listed, what it replaced is never shown again.
  if (now >= previous->listing.visible_from) previous->listing.before = nullptr;
  rec.listing.before = std::move(previous);
}

struct Account {
  Account(AccountSettings s, std::int64_t client, std::int64_t user, std::uint64_t fault_seed)
      : settings(std::move(s)),
        client_id(client),
        user_id(user),
        seed(fault_seed),
        random(std::make_unique<SeededRandom>(fault_seed)) {}

  std::mutex mu;
  AccountSettings settings;
  std::int64_t client_id;
  std::int64_t user_id;
  bool revoked = false;
  std::string created_at;

  std::map<std::int64_t, ContactRec> contacts;
  std::map<std::int64_t, AddressRec> addresses;
  std::map<std::int64_t, CommWayRec> comm_ways;
  std::map<std::string, StoredFile> temp_files;
  std::map<std::int64_t, VoucherRec> vouchers;
  std::map<std::int64_t, DocumentRec> documents;
  std::uint64_t upload_counter = 0;

  // endpoint -> status ("200", "429", "reset", ...) -> count
  std::map<std::string, std::map<std::string, std::uint64_t>> stats;
  std::map<std::string, std::uint64_t> faults_injected;
  std::chrono::steady_clock::time_point window_start{};
  int window_count = 0;
  std::uint64_t seed;
  std::unique_ptr<SeededRandom> random;  // fault draws of this account; reseeded on reset

  void ClearData();
  Json SevClientRef() const { return Ref(std::to_string(client_id), "SevClient"); }
};

struct Ctx {
  Account& account;
  const http::Request& request;
  const std::map<std::string, std::string>& params;
  IdCounters& ids;
  Instant now;
  std::chrono::milliseconds search_lag;  // FaultSettings::search_lag of this request
  Rounding rounding;                     // FaultSettings::rounding of this request
  std::string NowIso() const { return FormatBerlin(now); }
};

using ApiHandler = http::Response (*)(Ctx&);

// Basics
http::Response GetBookkeepingVersion(Ctx& ctx);
http::Response GetSevUsers(Ctx& ctx);
http::Response GetRevenueGuidance(Ctx& ctx);
http::Response GetExpenseGuidance(Ctx& ctx);
http::Response GetStaticCountries(Ctx& ctx);
http::Response GetPaymentMethods(Ctx& ctx);
// Contacts
http::Response ListContacts(Ctx& ctx);
http::Response GetContact(Ctx& ctx);
http::Response CreateContact(Ctx& ctx);
http::Response UpdateContact(Ctx& ctx);
http::Response NextCustomerNumber(Ctx& ctx);
http::Response CheckCustomerNumber(Ctx& ctx);
http::Response CreateAddress(Ctx& ctx);
http::Response ListAddresses(Ctx& ctx);
http::Response GetAddress(Ctx& ctx);
http::Response UpdateAddress(Ctx& ctx);
http::Response CreateCommWay(Ctx& ctx);
http::Response ListCommWays(Ctx& ctx);
http::Response GetCommWay(Ctx& ctx);
http::Response UpdateCommWay(Ctx& ctx);
// Vouchers (vouchers.cpp)
http::Response UploadTempFile(Ctx& ctx);
http::Response SaveVoucher(Ctx& ctx);
http::Response ListVouchers(Ctx& ctx);
http::Response GetVoucher(Ctx& ctx);
http::Response ListVoucherPositions(Ctx& ctx);
// Payments (payments.cpp)
http::Response ListCheckAccounts(Ctx& ctx);
http::Response BookVoucherAmount(Ctx& ctx);

// Admin calls on vouchers (ctx.params["voucherId"], the body in ctx.request): what the school's
// bank import or a user does in sevdesk. The answer is the admin API's JSON.
Result<Json> PayVoucherAsBank(Ctx& ctx);     // {amount, date}: partial payments add up
Result<Json> DeleteVoucherAsUser(Ctx& ctx);  // gone at once, lists included
Result<Json> ChangeVoucherAsUser(Ctx& ctx);  // {description?, sumGross?} (vouchers.cpp)
// {"vouchers": [<saveVoucher body>, ...]}: each saved exactly like saveVoucher; stops at the
// first refused one (the ones before it stay).
Result<Json> SeedVouchers(Ctx& ctx);

// Helpers shared by the handlers.
std::optional<Json> ParseJsonBody(const http::Request& request);
// limit/offset/countAll applied to a filtered list.
http::Response Page(const http::Request& request, std::vector<Json> items);
// The same over the matching objects, copying only the page (large voucher lists).
http::Response PageOf(const http::Request& request, const std::vector<const Json*>& items);
std::string ContactDisplayName(const ContactRec& contact);

// Seeds the account with existing contacts (each with optional "addresses" and
// "communicationWays"), created exactly like POST /Contact etc. (seed.cpp). All or nothing.
Status SeedContacts(Account& account, IdCounters& ids, Instant now, const Json& contacts);

// Admin views and persistence.
Json AccountSummary(const Account& account);
Json AccountDetail(const Account& account);  // everything except document bytes
Json AccountState(const Account& account);   // everything, documents base64
Status RestoreAccountState(Account& account, const Json& state);

}  // namespace hs::sevdesk::sandbox
