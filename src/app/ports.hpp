#pragma once
// Ports: the interfaces the use cases need from the outside world. Adapters (store, crypto, pdf)
// implement them; apps/hundeschule/main.cpp wires them. No third-party types here.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/payment_ports.hpp"
#include "app/sevdesk_ports.hpp"
#include "core/date.hpp"
#include "core/result.hpp"
#include "domain/customer.hpp"
#include "domain/invoice.hpp"
#include "domain/payment_status.hpp"
#include "domain/receipt.hpp"
#include "domain/school.hpp"

namespace hs::app {

enum class Role { kOwner, kStaff };
std::string ToString(Role role);
std::optional<Role> ParseRole(std::string_view text);

struct User {
  std::int64_t id = 0;
  std::int64_t school_id = 0;
  std::string email;
  std::string password_hash;
  Role role = Role::kOwner;
};

struct Session {
  std::string token_hash;  // sha256 of the cookie value; the value itself is never stored
  std::int64_t user_id = 0;
  std::int64_t school_id = 0;
  std::string csrf_token;
  Instant created_at{};
  Instant expires_at{};
};

struct CustomerQuery {
  std::string text;  // words or word starts of name, company, e-mail, number, city, dogs
  int limit = 50;
  int offset = 0;
};

struct CustomerPage {
  std::vector<domain::Customer> items;
  std::int64_t total = 0;
};

// The invoices list's payment filter (issue 16): finalized invoices (not cancelled, no
// cancellations) with something open, with something open after their due date (before
// `today`), or paid in full.
enum class PaymentFilter { kOpen, kOverdue, kPaid };

struct InvoiceQuery {
  std::optional<domain::InvoiceStatus> status;
  std::optional<std::int64_t> customer_id;
  std::string text;  // words or word starts of number, customer name, line texts
  std::optional<PaymentFilter> payment;
  Date today{};  // the school's civil date, for kOverdue
  int limit = 50;
  int offset = 0;
};

// What is paid of an invoice, by the rule of migration 0010: sevdesk's paid amount (the payment
// sync's last read, or a booking made here) plus the payments recorded here and not booked there.
struct InvoicePaid {
  Cents paid_cents = 0;
  std::optional<Date> paid_on;  // the later of sevdesk's pay date and the last payment here
  std::optional<Date> due_date;
};

// The start page's counts: invoices with something open, and of them the overdue ones.
struct PaymentTotals {
  std::int64_t open_count = 0;
  Cents open_cents = 0;
  std::int64_t overdue_count = 0;
  Cents overdue_cents = 0;
};

struct InvoiceSummary {
  std::int64_t id = 0;
  domain::InvoiceKind kind = domain::InvoiceKind::kInvoice;
  domain::InvoiceStatus status = domain::InvoiceStatus::kDraft;
  std::optional<std::string> number;
  Date invoice_date{};
  std::int64_t customer_id = 0;
  std::string customer_name;
  Cents net_cents = 0;
  Cents tax_cents = 0;
  Cents gross_cents = 0;
  InvoicePaid paid;
  domain::PaymentStatus payment;  // derived by the service from `paid` and today
};

struct InvoicePage {
  std::vector<InvoiceSummary> items;
  std::int64_t total = 0;
};

enum class SortOrder { kDateDesc, kDateAsc };

struct ReceiptQuery {
  std::optional<domain::ReceiptType> type;
  std::optional<Date> from;
  std::optional<Date> to;
  std::string text;  // words or word starts of number, counterparty, description (ADR 0021)
  SortOrder order = SortOrder::kDateDesc;
  int limit = 50;
  // Keyset position: the (date, id) of the last row of the previous page.
  std::optional<std::pair<Date, std::int64_t>> after;
  std::optional<int> offset;  // page-based alternative to the cursor
  // sevdesk status filter: not_transferred, queued, in_progress, transferred, failed, waiting.
  // "waiting" needs `sevdesk_paused` (the school's connection is paused or disabled).
  std::optional<std::string> sevdesk_status;
  bool sevdesk_paused = false;
};

// A list row: the receipt and, when it has one, its sevdesk transfer.
struct ReceiptListItem : domain::Receipt {
  std::optional<Transfer> transfer;
  std::optional<VoucherState> voucher_state;     // what the payment sync last saw in sevdesk
  std::optional<domain::PaymentStatus> payment;  // income receipts: their invoice's
};

struct ReceiptPage {
  std::vector<ReceiptListItem> items;
  std::int64_t total = 0;
  bool has_more = false;
};

struct StoredFile {
  std::string name;
  std::string content_type;
  std::string content;
};

// All repositories take the school id: a row of another school is "not found".
class SchoolRepository {
 public:
  virtual ~SchoolRepository() = default;
  virtual Result<std::int64_t> Create(const domain::School& school) = 0;
  virtual Result<domain::School> Get(std::int64_t school_id) = 0;
  virtual Status Update(const domain::School& school) = 0;
  virtual Result<std::vector<domain::School>> ListAll() = 0;
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  virtual Result<std::int64_t> Create(const User& user) = 0;
  virtual Result<std::optional<User>> FindByEmail(const std::string& email) = 0;
  virtual Result<User> Get(std::int64_t user_id) = 0;
};

class SessionRepository {
 public:
  virtual ~SessionRepository() = default;
  virtual Status Create(const Session& session) = 0;
  virtual Result<std::optional<Session>> Find(const std::string& token_hash) = 0;
  virtual Status Delete(const std::string& token_hash) = 0;
  virtual Status DeleteExpired(Instant now) = 0;
};

class CustomerRepository {
 public:
  virtual ~CustomerRepository() = default;
  // Assigns id and the next customer number of the school.
  virtual Result<domain::Customer> Create(const domain::Customer& customer) = 0;
  virtual Result<domain::Customer> Get(std::int64_t school_id, std::int64_t customer_id) = 0;
  virtual Result<CustomerPage> List(std::int64_t school_id, const CustomerQuery& query) = 0;
  // Writes all fields and increments the version.
  virtual Result<domain::Customer> Update(const domain::Customer& customer) = 0;
  virtual Status Delete(std::int64_t school_id, std::int64_t customer_id) = 0;
  virtual Result<bool> HasInvoices(std::int64_t school_id, std::int64_t customer_id) = 0;
};

class InvoiceRepository {
 public:
  virtual ~InvoiceRepository() = default;
  virtual Result<std::int64_t> CreateDraft(const domain::Invoice& invoice) = 0;
  virtual Result<domain::Invoice> Get(std::int64_t school_id, std::int64_t invoice_id) = 0;
  virtual Result<InvoicePage> List(std::int64_t school_id, const InvoiceQuery& query) = 0;
  virtual Status UpdateDraft(const domain::Invoice& invoice) = 0;
  virtual Status DeleteDraft(std::int64_t school_id, std::int64_t invoice_id) = 0;
  // Increments and returns the school's sequence for the year (gapless inside a transaction).
  virtual Result<std::int64_t> NextSequence(std::int64_t school_id, int year) = 0;
  // The number NextSequence would return now, without taking it (a finalization prepares its
  // documents with it outside the write lock and checks it again inside).
  virtual Result<std::int64_t> PeekNextSequence(std::int64_t school_id, int year) = 0;
  // Persists number, snapshot, totals, status and the document of a finalized invoice.
  virtual Status SaveFinalized(const domain::Invoice& invoice, const std::string& pdf) = 0;
  // Inserts a finalized cancellation and marks the original cancelled.
  virtual Result<std::int64_t> InsertFinalized(const domain::Invoice& invoice,
                                               const std::string& pdf) = 0;
  virtual Status MarkCancelled(std::int64_t school_id, std::int64_t invoice_id,
                               std::int64_t cancellation_id) = 0;
  virtual Result<std::optional<std::string>> GetPdf(std::int64_t school_id,
                                                    std::int64_t invoice_id) = 0;
  // The XRechnung XML kept beside the PDF of a finalized invoice (after SaveFinalized).
  virtual Status SaveXRechnung(std::int64_t invoice_id, const std::string& xml) = 0;
  // nullopt when the invoice has no XRechnung (a draft, or not issued as XRechnung).
  // The paid amount of one invoice (InvoicePaid), and the open amounts of the school.
  virtual Result<InvoicePaid> GetPaid(std::int64_t school_id, std::int64_t invoice_id) = 0;
  // The summaries (with InvoicePaid) of the school's invoices among `invoice_ids`, in no order.
  virtual Result<std::vector<InvoiceSummary>> GetSummaries(
      std::int64_t school_id, const std::vector<std::int64_t>& invoice_ids) = 0;
  virtual Result<PaymentTotals> GetPaymentTotals(std::int64_t school_id, Date today) = 0;
  virtual Result<std::optional<std::string>> GetXRechnung(std::int64_t school_id,
                                                          std::int64_t invoice_id) = 0;
};

class ReceiptRepository {
 public:
  virtual ~ReceiptRepository() = default;
  // `file` may be empty for income receipts (their document is the invoice PDF).
  virtual Result<std::int64_t> Create(const domain::Receipt& receipt,
                                      const std::string& file_content) = 0;
  virtual Result<domain::Receipt> Get(std::int64_t school_id, std::int64_t receipt_id) = 0;
  virtual Result<ReceiptPage> List(std::int64_t school_id, const ReceiptQuery& query) = 0;
  virtual Result<StoredFile> GetFile(std::int64_t school_id, std::int64_t receipt_id) = 0;
};

// One database transaction with repositories bound to it. Rolled back unless committed.
class UnitOfWork {
 public:
  virtual ~UnitOfWork() = default;
  virtual SchoolRepository& Schools() = 0;
  virtual UserRepository& Users() = 0;
  virtual SessionRepository& Sessions() = 0;
  virtual CustomerRepository& Customers() = 0;
  virtual InvoiceRepository& Invoices() = 0;
  virtual ReceiptRepository& Receipts() = 0;
  virtual SevdeskRepository& Sevdesk() = 0;
  virtual PaymentRepository& Payments() = 0;  // issue 16: payments recorded here
  virtual Status Commit() = 0;
};

// Durability by role (ADR 0007). Both engines commit in one log (PostgreSQL WAL, SQLite WAL), so
// the commits that survive a crash of the database server are always a prefix: a durable commit
// also makes every earlier commit durable.
enum class TxKind {
  kRead,
  kWrite,         // the server's default durability (business writes)
  kDurableWrite,  // flushed before Commit returns (finalizations, marks before a sevdesk create)
  // May be lost in a crash of the database server (never reordered): bookkeeping whose loss
  // only repeats work, e.g. the transfer engine's claims, progress and results, because every
  // external effect is preceded by a kDurableWrite mark.
  kRelaxedWrite,
};

// The database adapters never put SQL or driver text into an Error's message (it may reach an
// answer or a stored transfer message); they log it and use these German texts. A violated
// constraint is ErrorCode::kConflict with reason "constraint".
inline constexpr std::string_view kConstraintMessage =
    "Die Änderung passt nicht zu den gespeicherten Daten (ein Eintrag ist schon vorhanden oder "
    "wird noch verwendet). Bitte die Seite neu laden und erneut versuchen.";
inline constexpr std::string_view kBusyMessage =
    "Die Datenbank ist gerade ausgelastet. Bitte gleich noch einmal versuchen.";
inline constexpr std::string_view kUnavailableMessage =
    "Die Datenbank ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.";
inline constexpr std::string_view kDatabaseErrorMessage =
    "Die Datenbank hat einen Fehler gemeldet. Bitte später erneut versuchen.";

class Database {
 public:
  virtual ~Database() = default;
  virtual Result<std::unique_ptr<UnitOfWork>> Begin(TxKind kind) = 0;
};

// Cryptographic helpers the use cases need.
class Crypto {
 public:
  virtual ~Crypto() = default;
  virtual Result<std::string> HashPassword(const std::string& password) const = 0;
  virtual bool VerifyPassword(const std::string& hash, const std::string& password) const = 0;
  virtual std::string RandomToken() const = 0;  // 32 random bytes, url-safe
  virtual std::string Sha256Hex(std::string_view bytes) const = 0;
};

// Authenticated encryption of secrets at rest; `owner` (e.g. "school:7") is bound to the
// ciphertext so it cannot be moved to another tenant.
class SecretSealer {
 public:
  virtual ~SecretSealer() = default;
  virtual std::string Seal(std::string_view plaintext, std::string_view owner) const = 0;
  virtual Result<std::string> Open(std::string_view sealed, std::string_view owner) const = 0;
  // A keyed fingerprint of a secret (e.g. which token was tested): equal secrets of one owner
  // give equal fingerprints, and without the key nobody can check a guessed secret against it.
  virtual std::string Fingerprint(std::string_view secret, std::string_view owner) const = 0;
};

class InvoiceRenderer {
 public:
  virtual ~InvoiceRenderer() = default;
  virtual Result<std::string> Render(const domain::School& school,
                                     const domain::Invoice& invoice) const = 0;
};

}  // namespace hs::app
