#pragma once
// Ports of the sevdesk integration: the gateway to sevdesk (domain-shaped, no JSON, no HTTP) and
// the repository of connections, contact links, transfers, events and batches.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "core/money.hpp"
#include "core/result.hpp"
#include "domain/customer.hpp"
#include "domain/school.hpp"
#include "domain/sevdesk_contact.hpp"

namespace hs::app {

// ---------------------------------------------------------------- gateway

struct RevenueAccount {
  std::int64_t id = 0;  // accountDatev id
  std::string number;   // "4400"
  std::string name;
  struct Rule {
    int tax_rule = 0;
    std::vector<int> rates;  // 0, 7, 19
  };
  std::vector<Rule> rules;
  bool Allows(int tax_rule, int rate) const;
};

struct SevdeskAccountInfo {
  std::string bookkeeping_version;  // "2.0" | "1.0"
  std::string user_id;
  std::string user_name;
  std::vector<RevenueAccount> revenue_accounts;
  // Derived from the revenue guidance: rule 1 offered -> regular, only 11 -> Kleinunternehmer.
  std::optional<domain::TaxMode> tax_mode;
};

struct ContactData {
  domain::CustomerKind kind = domain::CustomerKind::kPerson;
  std::string name;  // company
  std::string first_name;
  std::string last_name;
  std::string customer_number;  // stable key, e.g. "HS-17"
  domain::Address address;
  std::string email;
};

struct ContactRef {
  std::string id;
  std::string customer_number;
};

struct VoucherPosition {
  std::int64_t account_id = 0;
  int rate = 0;
  // Positions are always sent gross: sevdesk derives net = gross / (1 + rate), which every sane
  // rounding brings back to the invoice's own net per rate (ADR 0010).
  Cents gross_cents = 0;
  std::string comment;
};

struct VoucherData {
  Date voucher_date{};
  std::optional<Date> delivery_date;
  std::optional<Date> delivery_date_until;
  std::string description;  // our invoice number: the business key for reconciliation
  std::string contact_id;
  int tax_rule = 1;
  std::string filename;  // from UploadDocument
  std::vector<VoucherPosition> positions;
};

// What sevdesk answered to saveVoucher: the voucher's id and the sums sevdesk computed itself
// (absent when the answer did not carry them).
struct SavedVoucher {
  std::string id;
  std::optional<Cents> net_cents;
  std::optional<Cents> tax_cents;
  std::optional<Cents> gross_cents;
};

struct FoundAddress {
  std::string id;
  domain::Address address;  // country as ISO code ("" when sevdesk's country is unknown to us)
};

struct FoundEmail {
  std::string id;
  std::string value;
};

// Every contact of the account with its addresses and e-mail addresses, for the Kundenabgleich
// (ADR 0013), and how many requests reading them took.
struct ContactDirectory {
  std::vector<domain::SevdeskContact> contacts;
  int requests = 0;
};
inline constexpr int kContactPageSize = 1000;  // the largest page sevdesk serves

struct FoundVoucher {
  std::string id;
  std::string description;
  Cents gross_cents = 0;
  std::string contact_id;
  std::string credit_debit;
};

// ---- Payment state (issue 16)

// sevdesk's voucher status codes. Others (e.g. 150 "transferred") are kept as they come.
inline constexpr int kVoucherDraft = 50;
inline constexpr int kVoucherOpen = 100;
inline constexpr int kVoucherPartiallyPaid = 750;
inline constexpr int kVoucherPaid = 1000;

// The payment state of one revenue voucher as sevdesk has it now. A sync compares it with what
// it knows: another gross sum or description means a user changed the voucher in sevdesk.
struct VoucherPayment {
  std::string id;
  std::string description;  // our invoice number (VoucherData::description)
  int status = 0;           // kVoucherOpen, kVoucherPartiallyPaid, kVoucherPaid, ...
  Cents gross_cents = 0;
  Cents paid_cents = 0;
  std::optional<Date> pay_date;  // the civil date in Berlin; none while nothing is paid
  Instant updated{};             // sevdesk's `update`: changes with every change (seconds)
};

// Revenue vouchers read in one call, and how many requests that took.
struct VoucherPayments {
  std::vector<VoucherPayment> vouchers;
  int requests = 0;
};
inline constexpr int kVoucherPageSize = 1000;  // the largest page sevdesk serves
// Runs before each request of a paged read (pacing); an error ends the read with it.
using BeforeRequest = std::function<Status()>;

// A payment account (CheckAccount): "register" (a Kasse), "offline", or "online" (a bank account
// with an import; booking on it needs a bank transaction, so cash goes on a register/offline one).
struct PaymentAccount {
  std::string id;
  std::string name;
  std::string type;
};

// One booking of a payment on a voucher (PUT /Voucher/{id}/bookAmount).
struct VoucherBooking {
  std::string voucher_id;
  Cents amount_cents = 0;  // may be part of the open amount
  Date date{};             // the day the money came in
  std::string check_account_id;
};

// What sevdesk answered to a booking: the voucher's status before and after (VoucherLog).
struct BookedAmount {
  int from_status = 0;
  int to_status = 0;
  Cents amount_cents = 0;
};

// The reasons the gateway gives its errors (Error::reason). The engine decides on the code and
// these reasons alone, never on sevdesk's message text, which only the client reads.
namespace sevdesk_reason {
inline constexpr std::string_view kAuth = "sevdesk_auth";                 // 401
inline constexpr std::string_view kForbidden = "sevdesk_forbidden";       // 403
inline constexpr std::string_view kRateLimited = "sevdesk_rate_limited";  // 429
inline constexpr std::string_view kRejected = "sevdesk_rejected";         // another 4xx
// A 4xx because the contact the request names does not exist (any more) in sevdesk.
inline constexpr std::string_view kContactGone = "sevdesk_contact_gone";
// A 4xx because the address or e-mail (ContactAddress, CommunicationWay) an update names does not
// exist (any more) in sevdesk, e.g. the school deleted it there.
inline constexpr std::string_view kDetailGone = "sevdesk_detail_gone";
// A 4xx because the voucher a booking names does not exist (any more) in sevdesk.
inline constexpr std::string_view kVoucherGone = "sevdesk_voucher_gone";
// saveVoucher refused because the uploaded temporary file is gone (it expires).
inline constexpr std::string_view kFileGone = "sevdesk_file_gone";
inline constexpr std::string_view kUnreachable = "sevdesk_unreachable";
inline constexpr std::string_view kTimeout = "sevdesk_timeout";
inline constexpr std::string_view kError = "sevdesk_error";
inline constexpr std::string_view kUncertain = "sevdesk_uncertain";
}  // namespace sevdesk_reason

// Errors are classified for the engine:
//  kUnauthenticated / kForbidden: token wrong or plan without API -> pause the school;
//  kInvalidArgument: sevdesk rejected the request (400/404/422) -> permanent, message kept;
//  reason kContactGone, kDetailGone or kFileGone when the client recognised the missing object,
//  else
//  kRejected;
//  kRateLimited: 429, retry_after when sent;
//  kUnavailable with reason kUnreachable: certainly not applied (connect failed, or a read
//  without an answer); kTimeout: a read without an answer in time; kError: a read answered with
//  a 5xx, an error body or an unreadable body;
//  kUnavailable with reason kUncertain: may have been applied (time-out after sending, 5xx,
//  connection reset, 200 with an error body) -> look up before creating again.
class SevdeskGateway {
 public:
  virtual ~SevdeskGateway() = default;
  virtual Result<std::string> BookkeepingVersion(const std::string& token) = 0;
  virtual Result<SevdeskAccountInfo> Inspect(const std::string& token) = 0;
  // Exact customerNumber match, persons included (depth=1); verified client-side.
  virtual Result<std::optional<ContactRef>> FindContact(const std::string& token,
                                                        const std::string& customer_number) = 0;
  virtual Result<std::string> CreateContact(const std::string& token, const ContactData& c) = 0;
  virtual Status UpdateContact(const std::string& token, const std::string& contact_id,
                               const ContactData& c) = 0;
  virtual Result<std::vector<FoundAddress>> FindAddresses(const std::string& token,
                                                          const std::string& contact_id) = 0;
  virtual Result<std::string> CreateAddress(const std::string& token, const std::string& contact_id,
                                            const ContactData& c) = 0;
  // Changes the address `address_id` in place (street, postcode, city, country; PUT is partial
  // in sevdesk, so nothing else of it changes). Idempotent: sent again, it changes nothing more.
  virtual Status UpdateAddress(const std::string& token, const std::string& address_id,
                               const ContactData& c) = 0;
  virtual Result<std::vector<FoundEmail>> FindEmails(const std::string& token,
                                                     const std::string& contact_id) = 0;
  virtual Result<std::string> CreateEmail(const std::string& token, const std::string& contact_id,
                                          const std::string& email) = 0;
  // Changes the e-mail address of the communication way `email_id` in place; idempotent.
  virtual Status UpdateEmail(const std::string& token, const std::string& email_id,
                             const std::string& email) = 0;
  // Reads all contacts (persons too), all addresses and all e-mail communication ways page by
  // page, `page_size` objects per request, and joins them by contact. Not pure: a test double
  // that models no contacts of the school's own answers an account without any, so that the
  // Kundenabgleich finds no candidate and the transfer creates the contact, as before.
  virtual Result<ContactDirectory> ListContacts(const std::string& /*token*/, int /*page_size*/) {
    return ContactDirectory{};
  }
  // Uploads a document; returns the temporary file name for SaveVoucher.
  virtual Result<std::string> UploadDocument(const std::string& token, const std::string& file_name,
                                             const std::string& bytes) = 0;
  virtual Result<SavedVoucher> SaveVoucher(const std::string& token, const VoucherData& v) = 0;
  // Revenue vouchers whose description contains `description` (verify exactly yourself).
  virtual Result<std::vector<FoundVoucher>> FindVouchers(const std::string& token,
                                                         const std::string& description) = 0;

  // ---- Payment state (issue 16). Not pure: a test double that models no payments answers an
  // account where nothing is paid and nothing can be booked.

  // The payment state of the account's revenue vouchers changed after `changed_since` (all of
  // them when none), `page_size` per request. sevdesk compares whole seconds and its lists may
  // show a change only a while later (search lag), so a sync should ask from a little before its
  // last read (an overlap) and accept vouchers it has seen. A voucher deleted in sevdesk is simply
  // absent: deletions show only in a read of all vouchers, and a voucher missing from it should
  // be confirmed with GetVoucherPayment (paging by offset can skip a row when another is deleted
  // during the read). `before_request` (may be empty) runs before each page's request: the
  // caller's pacing; its error ends the read with that error.
  virtual Result<VoucherPayments> ListVoucherPayments(const std::string& /*token*/,
                                                      std::optional<Instant> /*changed_since*/,
                                                      int /*page_size*/,
                                                      const BeforeRequest& /*before_request*/) {
    return VoucherPayments{};
  }
  // One voucher's payment state; nothing when sevdesk does not have it (deleted).
  virtual Result<std::optional<VoucherPayment>> GetVoucherPayment(
      const std::string& /*token*/, const std::string& /*voucher_id*/) {
    return std::optional<VoucherPayment>{};
  }
  virtual Result<std::vector<PaymentAccount>> ListPaymentAccounts(const std::string& /*token*/) {
    return std::vector<PaymentAccount>{};
  }
  // Books a payment on a voucher. A write like SaveVoucher: sent at most once; reason
  // kUncertain means it may have been booked, so read the voucher's paid amount before booking
  // again (a second booking pays twice). kVoucherGone: the voucher no longer exists.
  virtual Result<BookedAmount> BookAmount(const std::string& /*token*/,
                                          const VoucherBooking& /*booking*/) {
    return Fail(ErrorCode::kInvalidArgument, std::string(sevdesk_reason::kRejected),
                "Diese Verbindung kann keine Zahlungen buchen.");
  }
};

// ---------------------------------------------------------------- storage

enum class ConnectionState { kOk, kPausedAuth };

struct SevdeskConnection {
  std::int64_t school_id = 0;
  std::string token_sealed;  // encrypted at rest; empty when none
  std::string token_last4;
  bool enabled = false;
  std::optional<std::int64_t> revenue_account_id;
  std::optional<Date> transfer_start_date;
  ConnectionState state = ConnectionState::kOk;
  std::string paused_reason;
  // The last "Verbindung testen" result.
  std::optional<Instant> last_test_at;
  bool last_test_ok = false;
  std::string last_test_outcome;
  std::string last_test_message;
  // SecretSealer::Fingerprint of the token the last successful test used ("tf1:…")
  std::string token_fingerprint_tested;
  std::string bookkeeping_version;
  std::string sevdesk_user;
  std::string sevdesk_tax_mode;
  std::string revenue_accounts_text;  // "id|number|name|rule:rates;rule:rates\n..." cache
  // Kundenabgleich (ADR 0015): link unambiguous matches without asking; create a contact for a
  // customer without a decision instead of waiting (the old behaviour); change a linked
  // existing contact in sevdesk (name, address, e-mail) to our data.
  bool match_auto_link = true;
  bool create_without_asking = false;
  bool update_linked_contacts = false;
  // Issue 16: the payment account ("Kasse") payments recorded here are booked on; empty: none,
  // payments are recorded here only (ADR 0019).
  std::string payment_account_id;
  std::string payment_account_name;
  // Engine bookkeeping.
  std::optional<Instant> throttled_until;
  int consecutive_rejections = 0;
  std::optional<Instant> breaker_until;
  Instant updated_at{};
};

// How a link came about: we created the contact in sevdesk, or the Kundenabgleich linked the
// customer to a contact that was there before (which we change only with the school's consent).
enum class LinkOrigin { kCreated, kMatched };

struct ContactLink {
  std::int64_t school_id = 0;
  std::int64_t customer_id = 0;
  std::string customer_number;  // key sent to sevdesk
  std::string contact_id;       // empty while creating
  std::string address_id;
  std::string email_id;
  std::string synced_email;
  std::string synced_address;  // fingerprint of street|zip|city|country
  std::int64_t synced_version = 0;
  bool creating = false;  // a POST /Contact may be in flight: look up before creating again
  // When the last create of the contact, its address or its e-mail was sent ("creating" or a
  // "pending:" mark): a look-up finds nothing conclusive before the settle time has passed.
  std::optional<Instant> create_sent_at;
  LinkOrigin origin = LinkOrigin::kCreated;
  // Counts the link's writes: 0 for a link not stored yet. SaveLink writes only over the
  // revision it was read with, so that the engine and a user's decision in the Kundenabgleich
  // never overwrite each other (a contact created for a customer the school just linked).
  std::int64_t revision = 0;
};

// The reason of SaveLink's conflict: the link changed since it was read.
inline constexpr std::string_view kLinkChangedReason = "contact_link_changed";

// ---------------------------------------------------------------- Kundenabgleich

// The state of a customer without a confirmed contact in the Kundenabgleich (ADR 0015).
enum class MatchState {
  kReview,     // candidates wait for the school's decision; transfers wait
  kLater,      // "Später": still undecided; transfers wait
  kCreateNew,  // no candidate, or "Neu in sevdesk anlegen": the transfer creates the contact
  kLinked,     // linked to an existing contact (automatically or by the school)
};
std::string_view ToString(MatchState state);
std::optional<MatchState> ParseMatchState(std::string_view text);

// A candidate as the review list shows it (a snapshot of the contact when it was matched).
struct MatchCandidate {
  std::string contact_id;
  int score = 0;
  bool strong = false;
  std::vector<std::string> evidence;  // codes (domain::EvidenceCode), strongest first
  std::string name;
  std::string customer_number;
  std::string address;  // "Hauptstraße 1, 79098 Freiburg"; empty when none
  std::vector<std::string> emails;
};

struct ContactMatch {
  std::int64_t school_id = 0;
  std::int64_t customer_id = 0;
  MatchState state = MatchState::kReview;
  bool by_user = false;    // decided by the school (else by the matching)
  std::string contact_id;  // kLinked
  // One candidate with strong evidence and none competing: what the automatic link takes, and
  // "Alle eindeutigen übernehmen".
  bool unambiguous = false;
  std::vector<MatchCandidate> candidates;  // ranked, best first
  Instant updated_at{};
};

// The last run of the matching of a school.
struct MatchRun {
  std::int64_t school_id = 0;
  Instant at{};
  std::int64_t contacts = 0;   // read from sevdesk
  std::int64_t requests = 0;   // that reading them took
  std::int64_t customers = 0;  // matched (customers without a link)
  std::int64_t auto_linked = 0;
  std::int64_t review = 0;
  std::int64_t create_new = 0;
};

enum class TransferState { kQueued, kRunning, kRetryWait, kFailed, kTransferred };
std::string ToString(TransferState state);
std::optional<TransferState> ParseTransferState(std::string_view text);

enum class TransferPhase { kNone, kPosting };
enum class TransferPriority { kLive = 0, kBackfill = 1 };

struct Transfer {
  std::int64_t id = 0;
  std::int64_t school_id = 0;
  std::int64_t receipt_id = 0;
  std::int64_t customer_id = 0;
  TransferState state = TransferState::kQueued;
  TransferPhase phase = TransferPhase::kNone;
  TransferPriority priority = TransferPriority::kLive;
  std::optional<std::int64_t> batch_id;
  int attempts = 0;
  Instant next_attempt_at{};
  std::string lease_owner;
  std::optional<Instant> lease_until;
  // Fencing token: counts the claims of this transfer. A claim's writes carry it, so a process
  // whose lease was taken over (even by itself, after a pause) cannot overwrite the new claim.
  std::int64_t lease_claim = 0;
  std::string uploaded_filename;
  std::string voucher_id;
  std::string last_error_code;
  std::string last_error_message;
  std::string last_error_hint;
  Instant created_at{};
  Instant updated_at{};
  std::optional<Instant> transferred_at;
  // When the voucher's create (phase kPosting) was sent; see ContactLink::create_sent_at.
  std::optional<Instant> create_sent_at;
};

struct TransferEvent {
  std::int64_t id = 0;
  std::int64_t transfer_id = 0;
  Instant at{};
  std::string kind;     // queued, started, contact_created, uploaded, posted, transferred, ...
  std::string message;  // German
};

struct Batch {
  std::int64_t id = 0;
  std::int64_t school_id = 0;
  Instant created_at{};
  std::int64_t requested = 0;
  std::int64_t skipped_already = 0;  // transferred or queued before
  std::int64_t skipped_expense = 0;
  std::int64_t skipped_other = 0;
};

struct BatchProgress {
  Batch batch;
  std::int64_t queued = 0;
  std::int64_t running = 0;
  std::int64_t retry_wait = 0;
  std::int64_t failed = 0;
  std::int64_t transferred = 0;
};

struct ClaimOptions {
  std::string owner;
  Instant now{};
  Instant lease_until{};
  int max_in_flight_per_school = 2;
  bool live_only = false;  // the claimer's backfill share is used up: live transfers only
  // Set to true when due work was passed over because another claimer held it right then (SKIP
  // LOCKED, several processes or workers on PostgreSQL): nothing claimed does not mean nothing
  // claimable, so the caller tries again soon instead of sleeping until the poll.
  bool* contended = nullptr;
  // Recorded as the claimed transfer's "started" event in the claim's transaction when not
  // empty; "{attempt}" is replaced by its attempt number.
  std::string started_message = {};
};

// The receipt as the engine needs it.
struct TransferWork {
  Transfer transfer;
  std::int64_t invoice_id = 0;
};

// What /metrics reads from the database at scrape time (all schools; cheap queries on small
// tables and the queue's partial indexes).
struct TransferGauges {
  struct Count {
    std::string state;         // queued | running | retry_wait | failed
    std::string school_class;  // the school's tax mode
    std::int64_t count = 0;
  };
  std::vector<Count> unfinished;             // transferred ones are not counted
  std::optional<Instant> oldest_unfinished;  // created_at of the oldest not done (not failed)
  std::int64_t paused_auth = 0;              // enabled connections paused for the token/plan
  std::int64_t breaker_open = 0;             // ... paused by the breaker
  std::int64_t throttled = 0;                // ... throttled after a 429
  std::int64_t sum_mismatches = 0;           // as CountSumMismatches
};

// ---- Payment sync (issue 16, ADR 0018): what the sync stores of each transferred voucher

enum class VoucherPresence { kPresent, kDeleted, kChanged };
std::string_view ToString(VoucherPresence presence);
VoucherPresence ParseVoucherPresence(std::string_view text);

// What the payment sync last read of a transferred receipt's voucher (sevdesk_voucher_states).
struct VoucherState {
  std::int64_t school_id = 0;
  std::int64_t receipt_id = 0;
  std::string voucher_id;
  int status = 0;
  Cents gross_cents = 0;  // as sevdesk has it
  Cents paid_cents = 0;
  std::optional<Date> pay_date;
  VoucherPresence presence = VoucherPresence::kPresent;
  std::string change_note;  // German: what differs in sevdesk
  Instant sevdesk_updated{};
  Instant synced_at{};
  bool operator==(const VoucherState&) const = default;
};

// A receipt transferred to sevdesk as the sync matches it: its voucher, the invoice number it
// was sent with (the voucher's description) and our gross sum, with the state stored so far.
struct TransferredVoucher {
  std::int64_t receipt_id = 0;
  std::string voucher_id;
  std::string invoice_number;
  Cents gross_cents = 0;
  std::optional<VoucherState> state;
};

// The payment sync of one school (sevdesk_payment_syncs); defaults for a school without a row.
struct PaymentSyncState {
  std::int64_t school_id = 0;
  int interval_minutes = 60;
  std::optional<Instant> last_read_started_at;
  std::optional<Instant> last_full_read_at;
  std::optional<Instant> last_sync_at;
  bool last_sync_ok = false;
  int last_requests = 0;
  int last_vouchers = 0;
  std::string last_error;  // German
  std::optional<Instant> requested_at;
  std::string lease_owner;
  std::optional<Instant> lease_until;
};

class SevdeskRepository {
 public:
  virtual ~SevdeskRepository() = default;
  virtual Result<std::optional<SevdeskConnection>> GetConnection(std::int64_t school_id) = 0;
  virtual Status SaveConnection(const SevdeskConnection& c) = 0;

  virtual Result<std::optional<ContactLink>> GetLink(std::int64_t school_id,
                                                     std::int64_t customer_id) = 0;
  // Writes the link over the revision it was read with (0: inserts it, unless one exists) and
  // counts the revision on; fails with kConflict / kLinkChangedReason when it changed meanwhile.
  virtual Status SaveLink(ContactLink& link) = 0;
  // Removes the link stored with `revision` (false when it changed or is gone).
  virtual Result<bool> DeleteLink(std::int64_t school_id, std::int64_t customer_id,
                                  std::int64_t revision) = 0;
  // The school's customers without a link (Kundenabgleich) and the contacts linked to others.
  virtual Result<std::vector<std::int64_t>> CustomersWithoutLink(std::int64_t school_id) = 0;
  virtual Result<std::vector<std::string>> LinkedContactIds(std::int64_t school_id) = 0;
  // The links the Kundenabgleich made to existing contacts (for the "Verknüpft" list).
  virtual Result<std::vector<ContactLink>> MatchedLinks(std::int64_t school_id) = 0;

  virtual Result<std::optional<ContactMatch>> GetMatch(std::int64_t school_id,
                                                       std::int64_t customer_id) = 0;
  virtual Result<std::vector<ContactMatch>> ListMatches(std::int64_t school_id) = 0;
  // Writes the match with its candidates (replacing the stored ones).
  virtual Status SaveMatch(const ContactMatch& match) = 0;
  // The contact the transfer's voucher save was sent with (written with its posting mark).
  virtual Status SavePostedContact(std::int64_t transfer_id, const std::string& contact_id) = 0;
  virtual Result<std::optional<std::string>> GetPostedContact(std::int64_t transfer_id) = 0;
  virtual Result<std::optional<MatchRun>> GetMatchRun(std::int64_t school_id) = 0;
  virtual Status SaveMatchRun(const MatchRun& run) = 0;
  // Transfers of the customer that wait for the Kundenabgleich: due now (after a decision).
  virtual Status WakeAwaitingMatch(std::int64_t school_id, std::int64_t customer_id,
                                   Instant now) = 0;
  // Per customer, how many transfers wait for the Kundenabgleich.
  virtual Result<std::map<std::int64_t, std::int64_t>> CountAwaitingMatch(
      std::int64_t school_id) = 0;
  // Whether a transfer of the customer runs now or has sent a voucher whose outcome is not known
  // yet (phase posting): its voucher may carry the customer's current contact.
  virtual Result<bool> HasTransferInFlight(std::int64_t school_id, std::int64_t customer_id) = 0;

  // Inserts a transfer unless the receipt has one; returns the id or nullopt when it existed.
  virtual Result<std::optional<std::int64_t>> InsertTransfer(const Transfer& t) = 0;
  virtual Result<std::optional<Transfer>> GetTransferByReceipt(std::int64_t school_id,
                                                               std::int64_t receipt_id) = 0;
  virtual Result<std::optional<Transfer>> GetTransfer(std::int64_t transfer_id) = 0;
  virtual Status UpdateTransfer(const Transfer& t) = 0;
  // The engine's write of a transfer it claimed: applied only while the transfer is still
  // running under that claim (`owner` and `t.lease_claim` as ClaimNext answered them). Answers
  // false, writing nothing, when the lease was lost (expired and taken over meanwhile).
  virtual Result<bool> UpdateClaimedTransfer(const Transfer& t, const std::string& owner) = 0;
  // The engine's last write of a transfer it claimed, with its events: fenced as
  // UpdateClaimedTransfer, the events written only with it. Whether it applied is not answered
  // (PostgreSQL sends it without waiting, ADR 0008): after a lost lease the new owner carries on.
  virtual Status CompleteClaimedTransfer(const Transfer& t, const std::string& owner,
                                         const std::vector<TransferEvent>& events) = 0;
  // Claims the next due transfer: live before backfill, round-robin over schools, at most
  // `max_in_flight_per_school` running per school and one per customer; skips paused, throttled
  // and disabled schools.
  virtual Result<std::optional<Transfer>> ClaimNext(const ClaimOptions& options) = 0;
  // Up to `limit` claims as ClaimNext's in a row in this transaction, of them at most
  // `backfill_limit` backfill (`options.live_only` is not read): one claimer takes work for all
  // free workers at once (ADR 0009). Stops at the first claim that finds nothing.
  virtual Result<std::vector<Transfer>> ClaimSeveral(const ClaimOptions& options, int limit,
                                                     int backfill_limit) = 0;
  // Releases the leases of other owners that expired or belong to a dead process (start-up).
  virtual Result<std::int64_t> RecoverRunning(const std::string& except_owner, Instant now,
                                              bool all_other_owners) = 0;
  // Heartbeat: extends the leases `owner` holds on the running transfers `ids` (those its
  // workers run right now) to `until`. A transfer the owner no longer runs (its completion lost
  // in a crash of the database server) keeps its old lease, which expires.
  virtual Result<std::int64_t> RenewLeases(const std::string& owner, Instant until,
                                           const std::vector<std::int64_t>& ids) = 0;
  virtual Result<std::optional<Instant>> NextDueAt() = 0;
  // Transferred receipts whose sums in sevdesk differ from the invoice (all schools; /metrics).
  virtual Result<std::int64_t> CountSumMismatches() = 0;
  virtual Result<TransferGauges> ReadTransferGauges(Instant now) = 0;
  virtual Status AddEvent(const TransferEvent& e) = 0;
  virtual Result<std::vector<TransferEvent>> Events(std::int64_t transfer_id) = 0;

  virtual Result<std::int64_t> CreateBatch(const Batch& b) = 0;
  virtual Result<std::optional<BatchProgress>> GetBatch(std::int64_t school_id,
                                                        std::int64_t batch_id) = 0;
  // Receipt ids of a school matching a filter (income only), for bulk transfers.
  virtual Result<std::vector<std::int64_t>> IncomeReceiptIds(std::int64_t school_id,
                                                             std::optional<Date> from,
                                                             std::optional<Date> to,
                                                             bool only_not_transferred) = 0;
  // Requeues every waiting transfer of a school (after a successful test).
  virtual Status ResumeSchool(std::int64_t school_id, Instant now) = 0;
  // Schools with an enabled connection (for the worker's rate limiters).
  virtual Result<std::vector<SevdeskConnection>> EnabledConnections() = 0;

  // The check value of the key that seals the tokens (one per database), or nullopt before the
  // first process stored one.
  virtual Result<std::optional<std::string>> GetKeyCheck() = 0;
  // Stores `check_value` unless one is stored already; answers the stored one (so two processes
  // starting at once with different keys cannot both win).
  virtual Result<std::string> EnsureKeyCheck(const std::string& check_value, Instant now) = 0;

  // ---- Payment sync (issue 16, ADR 0018)
  // The school's sync state (defaults when it has no row yet).
  virtual Result<PaymentSyncState> GetPaymentSync(std::int64_t school_id) = 0;
  virtual Status SetPaymentSyncInterval(std::int64_t school_id, int minutes) = 0;
  // "Jetzt abgleichen": due at once (kept when already requested earlier).
  virtual Status RequestPaymentSync(std::int64_t school_id, Instant at) = 0;
  // Takes the school's sync lease when it is free or expired (compare-and-set on lease_until,
  // so that of several processes only one syncs a school at a time). False when held.
  virtual Result<bool> TakePaymentSyncLease(std::int64_t school_id, const std::string& owner,
                                            Instant now, Instant until) = 0;
  // Stores a run's outcome and releases the lease, only while `owner` holds it (false else).
  // A request made after `started` stays set (it asks for another run).
  virtual Result<bool> FinishPaymentSync(const PaymentSyncState& outcome, const std::string& owner,
                                         Instant started) = 0;
  // The sync states of the schools whose sync may run: an enabled connection with a token, not
  // paused.
  virtual Result<std::vector<PaymentSyncState>> PaymentSyncCandidates() = 0;
  // The school's transferred receipts with their vouchers and stored states.
  virtual Result<std::vector<TransferredVoucher>> TransferredVouchers(std::int64_t school_id) = 0;
  virtual Result<std::optional<VoucherState>> GetVoucherState(std::int64_t school_id,
                                                              std::int64_t receipt_id) = 0;
  // The stored states of these receipts (those that have one), for a list page.
  virtual Result<std::vector<VoucherState>> GetVoucherStates(
      std::int64_t school_id, const std::vector<std::int64_t>& receipt_ids) = 0;
  virtual Status SaveVoucherState(const VoucherState& state) = 0;
  virtual Status DeleteVoucherState(std::int64_t school_id, std::int64_t receipt_id) = 0;
  // ---- end payment sync
};

}  // namespace hs::app
