#pragma once
// Use cases of the office core. Each public call is one transaction; every call takes the
// school id of the authenticated session.
#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "app/login_throttle.hpp"
#include "app/ports.hpp"
#include "core/clock.hpp"
#include "einvoice/received.hpp"

namespace hs::app {

// Observers of business events (the sevdesk outbox hooks in here inside the same transaction).
class FinalizeHook {
 public:
  virtual ~FinalizeHook() = default;
  // Called inside the finalizing transaction after the income receipt was written.
  virtual Status OnIncomeReceipt(UnitOfWork& uow, const domain::Invoice& invoice,
                                 std::int64_t receipt_id) = 0;
  // Called after the transaction committed (wake workers).
  virtual void AfterCommit() = 0;
};

struct Principal {
  std::int64_t user_id = 0;
  std::int64_t school_id = 0;
  Role role = Role::kOwner;
  std::string email;
  std::string csrf_token;
};

struct LoginResult {
  std::string session_token;  // the cookie value
  std::string csrf_token;
  Principal principal;
};

// The longest e-mail address (RFC 5321) and password a login accepts.
inline constexpr std::size_t kMaxLoginEmailBytes = 254;
inline constexpr std::size_t kMaxPasswordBytes = 1000;

// "15 Sekunden", "1 Minute", "8 Minuten" (rounded up to whole minutes from one minute on).
std::string GermanDuration(std::chrono::seconds duration);

// Checks the lengths of login input: 422 naming the field that is too long.
Status CheckLoginInput(const std::string& email, const std::string& password);

struct AuthSettings {
  std::chrono::hours session_lifetime{24 * 14};
  ThrottleSettings throttle;
  // Password checks at once; each holds the argon2id memory of its hash (256 MiB at the moderate
  // cost) for its duration. A check that finds no free slot within the wait answers 503.
  int max_concurrent_password_checks = 2;
  std::chrono::milliseconds password_check_wait{10000};
};

class AuthService {
 public:
  AuthService(Database& db, const Clock& clock, const Crypto& crypto, AuthSettings settings = {});
  // `client_address` identifies the client for the throttling (the peer's IP address).
  Result<LoginResult> Login(const std::string& email, const std::string& password,
                            const std::string& client_address = {});
  Result<Principal> Authenticate(const std::string& session_token);
  Status Logout(const std::string& session_token);
  // Hashes the dummy password that unknown e-mails are checked against; the first login does it
  // otherwise (and then takes longer than later ones).
  void PrepareDummyHash();
  const ConcurrencyLimit& password_checks() const { return password_checks_; }

 private:
  Result<std::optional<User>> CheckCredentials(const std::string& email,
                                               const std::string& password);
  Result<bool> VerifyLimited(const std::string& hash, const std::string& password);
  Result<LoginResult> StartSession(const User& user, Instant now);
  const std::string& DummyHash();

  Database& db_;
  const Clock& clock_;
  const Crypto& crypto_;
  AuthSettings settings_;
  LoginThrottle throttle_;
  ConcurrencyLimit password_checks_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

class SchoolService {
 public:
  SchoolService(Database& db, const Clock& clock, const Crypto& crypto);
  Result<domain::School> Get(std::int64_t school_id);
  Result<domain::School> Update(const Principal& who,
                                const std::function<Status(domain::School&)>& apply);
  // Operator tasks.
  Result<std::int64_t> CreateSchool(domain::School school);
  Result<std::int64_t> AddUser(std::int64_t school_id, const std::string& email,
                               const std::string& password, Role role);
  Result<User> GetUser(std::int64_t user_id);

 private:
  Database& db_;
  const Clock& clock_;
  const Crypto& crypto_;
};

class CustomerService {
 public:
  CustomerService(Database& db, const Clock& clock);
  Result<CustomerPage> List(std::int64_t school_id, const CustomerQuery& query);
  Result<domain::Customer> Get(std::int64_t school_id, std::int64_t customer_id);
  Result<domain::Customer> Create(std::int64_t school_id, domain::Customer customer);
  Result<domain::Customer> Update(std::int64_t school_id, std::int64_t customer_id,
                                  const std::function<Status(domain::Customer&)>& apply);
  Status Delete(std::int64_t school_id, std::int64_t customer_id);

 private:
  Database& db_;
  const Clock& clock_;
};

class InvoiceService {
 public:
  InvoiceService(Database& db, const Clock& clock, const Crypto& crypto,
                 const InvoiceRenderer& renderer);
  void SetFinalizeHook(FinalizeHook* hook) { hook_ = hook; }
  // The renderer of the PDF a ZUGFeRD invoice is built from (every font embedded, as PDF/A-3
  // requires). Without one, finalizing for a ZUGFeRD customer is refused.
  void SetPdfARenderer(const InvoiceRenderer* renderer) { pdfa_renderer_ = renderer; }

  Result<InvoicePage> List(std::int64_t school_id, const InvoiceQuery& query);
  Result<domain::Invoice> Get(std::int64_t school_id, std::int64_t invoice_id);
  // The paid status of an invoice today (issue 16), and the school's open and overdue totals.
  Result<domain::PaymentStatus> PaymentStatusOf(const domain::Invoice& invoice);
  Result<PaymentTotals> GetPaymentTotals(std::int64_t school_id);
  Result<domain::Invoice> CreateDraft(std::int64_t school_id, domain::Invoice draft);
  Result<domain::Invoice> UpdateDraft(std::int64_t school_id, std::int64_t invoice_id,
                                      const std::function<Status(domain::Invoice&)>& apply);
  Status DeleteDraft(std::int64_t school_id, std::int64_t invoice_id);
  Result<domain::Invoice> Finalize(std::int64_t school_id, std::int64_t invoice_id);
  // Returns the cancellation invoice.
  Result<domain::Invoice> Cancel(std::int64_t school_id, std::int64_t invoice_id);
  Result<std::string> GetPdf(std::int64_t school_id, std::int64_t invoice_id);
  // The XRechnung XML of an invoice issued as XRechnung; 404 otherwise.
  Result<std::string> GetXRechnung(std::int64_t school_id, std::int64_t invoice_id);

 private:
  // The stored document (a ZUGFeRD invoice's is the Factur-X PDF) and, for XRechnung, its XML.
  struct IssuedDocuments {
    std::string pdf;
    std::optional<std::string> xrechnung;
  };
  // A finalization whose documents were rendered outside the write lock.
  struct PreparedFinalization {
    domain::School school;    // as read
    domain::Invoice draft;    // as read
    domain::Invoice invoice;  // numbered, with the customer's snapshot
    IssuedDocuments docs;
    Instant now{};
  };
  Result<PreparedFinalization> PrepareFinalization(std::int64_t school_id,
                                                   std::int64_t invoice_id) const;
  Result<bool> StillCurrent(UnitOfWork& uow, const domain::School& school,
                            const domain::Invoice& draft, std::int64_t sequence,
                            const PreparedFinalization& prepared) const;
  Status CheckBeforeFinalizing(const domain::School& school, const domain::Invoice& invoice) const;
  Status NumberAndSnapshot(UnitOfWork& uow, const domain::School& school, domain::Invoice& invoice,
                           std::int64_t sequence, Instant now) const;
  Status StoreFinalized(UnitOfWork& uow, domain::Invoice& invoice, const IssuedDocuments& docs,
                        Instant now);
  Status FinalizeInTransaction(UnitOfWork& uow, const domain::School& school,
                               domain::Invoice& invoice);
  Status FinalizeWithSequence(UnitOfWork& uow, const domain::School& school,
                              domain::Invoice& invoice, std::int64_t sequence);
  Result<IssuedDocuments> IssueDocuments(const domain::School& school,
                                         const domain::Invoice& invoice) const;
  Result<std::string> MakeZugferdPdf(const domain::School& school, const domain::Invoice& invoice,
                                     const std::string& cii) const;
  Database& db_;
  const Clock& clock_;
  const Crypto& crypto_;
  const InvoiceRenderer& renderer_;
  const InvoiceRenderer* pdfa_renderer_ = nullptr;
  FinalizeHook* hook_ = nullptr;
  // One school's finalizations in this process run one after the other from preparation to
  // commit: they draw from the same sequence, so prepared in parallel, all but one would find
  // their number taken and render again. Schools hash onto stripes; other schools' writes,
  // and the schools of other stripes, go on while a document renders.
  std::mutex& NumberingStripe(std::int64_t school_id) {
    return numbering_stripes_[static_cast<std::size_t>(school_id) % numbering_stripes_.size()];
  }
  std::array<std::mutex, 64> numbering_stripes_;
};

class ReceiptService {
 public:
  ReceiptService(Database& db, const Clock& clock, const Crypto& crypto);
  Result<ReceiptPage> List(std::int64_t school_id, const ReceiptQuery& query);
  Result<domain::Receipt> Get(std::int64_t school_id, std::int64_t receipt_id);
  Result<domain::Receipt> CreateExpense(std::int64_t school_id, const domain::NewExpense& expense,
                                        const std::string& file_name, const std::string& content);
  Result<StoredFile> GetFile(std::int64_t school_id, std::int64_t receipt_id);
  // The e-invoice an expense's document is (XRechnung / CII XML, ZUGFeRD / Factur-X PDF), read
  // from the stored bytes, with notes where the receipt differs from it; nullopt for any other
  // receipt or document.
  Result<std::optional<einvoice::ReceivedEInvoice>> EInvoice(const domain::Receipt& receipt);

 private:
  Database& db_;
  const Clock& clock_;
  const Crypto& crypto_;
};

}  // namespace hs::app
