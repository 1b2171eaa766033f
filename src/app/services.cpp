#include "app/services.hpp"

#include <algorithm>

#include "core/text.hpp"
#include "domain/numbering.hpp"
#include "domain/payment_status.hpp"
#include "einvoice/cii.hpp"
#include "einvoice/facturx_pdf.hpp"

namespace hs::app {

std::string ToString(Role role) {
  return role == Role::kStaff ? "staff" : "owner";
}
std::optional<Role> ParseRole(std::string_view text) {
  if (text == "owner") return Role::kOwner;
  if (text == "staff") return Role::kStaff;
  return std::nullopt;
}

namespace {
template <class T>
tl::unexpected<Error> Propagate(const Result<T>& r) {
  return tl::unexpected(r.error());
}
}  // namespace

// ------------------------------------------------------------------ auth

namespace {
Error TooManyAttempts(std::chrono::milliseconds wait) {
  const auto seconds =
      std::max(std::chrono::seconds{1}, std::chrono::ceil<std::chrono::seconds>(wait));
  return Error{ErrorCode::kRateLimited,
               "too_many_attempts",
               "Zu viele fehlgeschlagene Anmeldeversuche. Bitte in " + GermanDuration(seconds) +
                   " erneut versuchen.",
               {},
               seconds};
}
}  // namespace

std::string GermanDuration(std::chrono::seconds duration) {
  const auto s = duration.count();
  if (s < 60) return std::to_string(s) + (s == 1 ? " Sekunde" : " Sekunden");
  const auto minutes = (s + 59) / 60;
  return std::to_string(minutes) + (minutes == 1 ? " Minute" : " Minuten");
}

Status CheckLoginInput(const std::string& email, const std::string& password) {
  std::vector<FieldError> errors;
  if (email.size() > kMaxLoginEmailBytes) {
    errors.push_back({"email", "Höchstens " + std::to_string(kMaxLoginEmailBytes) + " Zeichen."});
  }
  if (password.size() > kMaxPasswordBytes) {
    errors.push_back({"password", "Höchstens " + std::to_string(kMaxPasswordBytes) + " Zeichen."});
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return {};
}

AuthService::AuthService(Database& db, const Clock& clock, const Crypto& crypto,
                         AuthSettings settings)
    : db_(db),
      clock_(clock),
      crypto_(crypto),
      settings_(settings),
      throttle_(settings.throttle),
      password_checks_(settings.max_concurrent_password_checks) {}

Result<LoginResult> AuthService::Login(const std::string& email_in, const std::string& password,
                                       const std::string& client_address) {
  const std::string email = ToLowerAscii(Trim(email_in));
  HS_CHECK(CheckLoginInput(email, password));
  const Instant now = clock_.Now();
  // Admitting counts the attempt as failed at once, so parallel attempts cannot pass the limit.
  if (auto wait = throttle_.Admit(email, client_address, now); wait.count() > 0) {
    return tl::unexpected(TooManyAttempts(wait));
  }
  auto user = CheckCredentials(email, password);
  if (!user) {
    throttle_.Withdraw(email, client_address);
    return tl::unexpected(user.error());
  }
  if (!*user) {
    return Fail(ErrorCode::kUnauthenticated, "invalid_credentials",
                "E-Mail-Adresse oder Passwort ist falsch.");
  }
  throttle_.Succeeded(email, client_address);
  return StartSession(**user, now);
}

void AuthService::PrepareDummyHash() {
  (void)DummyHash();
}

const std::string& AuthService::DummyHash() {
  std::call_once(dummy_once_, [this] {
    ConcurrencyLimit::Slot slot(password_checks_, settings_.password_check_wait);
    auto hash = crypto_.HashPassword(crypto_.RandomToken());
    if (hash) dummy_hash_ = std::move(*hash);
  });
  return dummy_hash_;
}

// The user whose password matches; none for a wrong password and for an unknown e-mail alike.
// An unknown e-mail is checked against a dummy hash of the same cost, so both take equally long.
Result<std::optional<User>> AuthService::CheckCredentials(const std::string& email,
                                                          const std::string& password) {
  std::optional<User> user;
  {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    HS_TRY(found, (*uow)->Users().FindByEmail(email));
    user = *found;
  }
  HS_TRY(matches, VerifyLimited(user ? user->password_hash : DummyHash(), password));
  if (!*matches || !user) return std::optional<User>{};
  return user;
}

Result<bool> AuthService::VerifyLimited(const std::string& hash, const std::string& password) {
  ConcurrencyLimit::Slot slot(password_checks_, settings_.password_check_wait);
  if (!slot) {
    Error busy{ErrorCode::kUnavailable,
               "login_busy",
               "Gerade melden sich sehr viele an. Bitte in einigen Sekunden erneut versuchen.",
               {},
               std::chrono::seconds{2}};
    return tl::unexpected(busy);
  }
  return crypto_.VerifyPassword(hash, password);
}

Result<LoginResult> AuthService::StartSession(const User& user, Instant now) {
  LoginResult result;
  result.session_token = crypto_.RandomToken();
  result.csrf_token = crypto_.RandomToken();
  Session session{
      crypto_.Sha256Hex(result.session_token), user.id, user.school_id, result.csrf_token, now,
      now + settings_.session_lifetime};
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_CHECK((*uow)->Sessions().DeleteExpired(now));
  HS_CHECK((*uow)->Sessions().Create(session));
  HS_CHECK((*uow)->Commit());
  result.principal = Principal{user.id, user.school_id, user.role, user.email, result.csrf_token};
  return result;
}

Result<Principal> AuthService::Authenticate(const std::string& session_token) {
  auto unauthenticated = [] {
    return Fail(ErrorCode::kUnauthenticated, "not_logged_in", "Bitte melden Sie sich an.");
  };
  if (session_token.empty() || session_token.size() > 200) return unauthenticated();
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(session, (*uow)->Sessions().Find(crypto_.Sha256Hex(session_token)));
  if (!*session || (*session)->expires_at < clock_.Now()) return unauthenticated();
  HS_TRY(user, (*uow)->Users().Get((*session)->user_id));
  return Principal{user->id, user->school_id, user->role, user->email, (*session)->csrf_token};
}

Status AuthService::Logout(const std::string& session_token) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_CHECK((*uow)->Sessions().Delete(crypto_.Sha256Hex(session_token)));
  return (*uow)->Commit();
}

// ------------------------------------------------------------------ schools

SchoolService::SchoolService(Database& db, const Clock& clock, const Crypto& crypto)
    : db_(db), clock_(clock), crypto_(crypto) {}

Result<domain::School> SchoolService::Get(std::int64_t school_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Schools().Get(school_id);
}

Result<domain::School> SchoolService::Update(const Principal& who,
                                             const std::function<Status(domain::School&)>& apply) {
  if (who.role != Role::kOwner) {
    return Fail(ErrorCode::kForbidden, "owner_only",
                "Nur die Inhaberin oder der Inhaber darf die Schuldaten ändern.");
  }
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(school, (*uow)->Schools().Get(who.school_id));
  HS_CHECK(apply(*school));
  school->id = who.school_id;
  HS_CHECK(domain::ValidateSchool(*school));
  HS_CHECK((*uow)->Schools().Update(*school));
  HS_CHECK((*uow)->Commit());
  return *school;
}

Result<std::int64_t> SchoolService::CreateSchool(domain::School school) {
  HS_CHECK(domain::ValidateSchool(school));
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(id, (*uow)->Schools().Create(school));
  HS_CHECK((*uow)->Commit());
  return *id;
}

Result<std::int64_t> SchoolService::AddUser(std::int64_t school_id, const std::string& email_in,
                                            const std::string& password, Role role) {
  const std::string email = ToLowerAscii(Trim(email_in));
  std::vector<FieldError> errors;
  if (email.find('@') == std::string::npos || email.size() > 200) {
    errors.push_back({"email", "Bitte eine gültige E-Mail-Adresse angeben."});
  }
  if (password.size() < 10) errors.push_back({"password", "Mindestens 10 Zeichen."});
  if (password.size() > kMaxPasswordBytes) {
    errors.push_back({"password", "Höchstens " + std::to_string(kMaxPasswordBytes) + " Zeichen."});
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  HS_TRY(hash, crypto_.HashPassword(password));
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_CHECK((*uow)->Schools().Get(school_id));
  HS_TRY(id, (*uow)->Users().Create(User{0, school_id, email, *hash, role}));
  HS_CHECK((*uow)->Commit());
  (void)clock_;
  return *id;
}

Result<User> SchoolService::GetUser(std::int64_t user_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Users().Get(user_id);
}

// ------------------------------------------------------------------ customers

CustomerService::CustomerService(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

Result<CustomerPage> CustomerService::List(std::int64_t school_id, const CustomerQuery& query) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Customers().List(school_id, query);
}

Result<domain::Customer> CustomerService::Get(std::int64_t school_id, std::int64_t id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Customers().Get(school_id, id);
}

Result<domain::Customer> CustomerService::Create(std::int64_t school_id, domain::Customer c) {
  c.school_id = school_id;
  c.created_at = c.updated_at = clock_.Now();
  HS_CHECK(domain::ValidateCustomer(c));
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(created, (*uow)->Customers().Create(c));
  HS_CHECK((*uow)->Commit());
  return *created;
}

Result<domain::Customer> CustomerService::Update(
    std::int64_t school_id, std::int64_t id,
    const std::function<Status(domain::Customer&)>& apply) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(customer, (*uow)->Customers().Get(school_id, id));
  HS_CHECK(apply(*customer));
  customer->id = id;
  customer->school_id = school_id;
  customer->updated_at = clock_.Now();
  HS_CHECK(domain::ValidateCustomer(*customer));
  HS_TRY(updated, (*uow)->Customers().Update(*customer));
  HS_CHECK((*uow)->Commit());
  return *updated;
}

Status CustomerService::Delete(std::int64_t school_id, std::int64_t id) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_CHECK((*uow)->Customers().Get(school_id, id));
  HS_TRY(has, (*uow)->Customers().HasInvoices(school_id, id));
  if (*has) {
    return Fail(ErrorCode::kConflict, "customer_has_invoices",
                "Kunden mit Rechnungen können nicht gelöscht werden.");
  }
  HS_CHECK((*uow)->Customers().Delete(school_id, id));
  return (*uow)->Commit();
}

// ------------------------------------------------------------------ invoices

InvoiceService::InvoiceService(Database& db, const Clock& clock, const Crypto& crypto,
                               const InvoiceRenderer& renderer)
    : db_(db), clock_(clock), crypto_(crypto), renderer_(renderer) {}

namespace {

domain::PaymentFacts FactsOf(domain::InvoiceKind kind, domain::InvoiceStatus status, Cents gross,
                             Date invoice_date, const InvoicePaid& paid) {
  domain::PaymentFacts f;
  f.kind = kind;
  f.status = status;
  f.gross_cents = gross;
  // Drafts and cancellations have no due date of their own; neither is ever overdue.
  f.due_date = paid.due_date.value_or(invoice_date);
  f.paid_cents = paid.paid_cents;
  f.paid_on = paid.paid_on;
  return f;
}

}  // namespace

Result<InvoicePage> InvoiceService::List(std::int64_t school_id, const InvoiceQuery& query) {
  InvoiceQuery q = query;
  q.today = BerlinDateOf(clock_.Now());
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(page, (*uow)->Invoices().List(school_id, q));
  for (auto& item : page->items) {
    item.payment = domain::DerivePaymentStatus(
        FactsOf(item.kind, item.status, item.gross_cents, item.invoice_date, item.paid), q.today);
  }
  return std::move(*page);
}

Result<domain::PaymentStatus> InvoiceService::PaymentStatusOf(const domain::Invoice& invoice) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(paid, (*uow)->Invoices().GetPaid(invoice.school_id, invoice.id));
  return domain::DerivePaymentStatus(
      FactsOf(invoice.kind, invoice.status, invoice.totals.gross_cents, invoice.invoice_date,
              *paid),
      BerlinDateOf(clock_.Now()));
}

Result<PaymentTotals> InvoiceService::GetPaymentTotals(std::int64_t school_id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Invoices().GetPaymentTotals(school_id, BerlinDateOf(clock_.Now()));
}

Result<domain::Invoice> InvoiceService::Get(std::int64_t school_id, std::int64_t id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Invoices().Get(school_id, id);
}

namespace {
// A format stored before formats needed the year (issue 13) would repeat numbers next year: such
// a school must correct it before it finalizes again.
Status CheckNumberFormat(const domain::School& school) {
  auto st = domain::ValidateNumberFormat(school.invoice_number_format);
  if (st) return {};
  return Fail(ErrorCode::kConflict, "invoice_number_format_invalid",
              "Das Format der Rechnungsnummer „" + school.invoice_number_format +
                  "“ ist nicht mehr zulässig: " + st.error().message +
                  " Bitte unter Einstellungen > Schule korrigieren.",
              {{"invoice_number_format", st.error().message}});
}

// A number that is already taken (possible after a change of the format within a year) is
// refused with its own reason; other errors pass unchanged.
tl::unexpected<Error> NumberTakenOr(const Error& error, const std::string& number) {
  if (error.reason != "constraint") return tl::unexpected(error);
  return Fail(ErrorCode::kConflict, "invoice_number_taken",
              "Die Rechnungsnummer " + number +
                  " ist schon vergeben (das Nummernformat wurde in diesem Jahr geändert). "
                  "Bitte unter Einstellungen > Schule ein Format wählen, das andere Nummern "
                  "ergibt.");
}

// The income receipt of a finalized invoice (its document is the invoice's PDF).
domain::Receipt IncomeReceiptOf(const domain::Invoice& invoice, std::size_t pdf_size, Instant now) {
  domain::Receipt receipt;
  receipt.school_id = invoice.school_id;
  receipt.type = domain::ReceiptType::kIncome;
  receipt.date = invoice.invoice_date;
  receipt.number = *invoice.number;
  receipt.counterparty = invoice.customer_snapshot.name;
  receipt.description = invoice.kind == domain::InvoiceKind::kCancellation
                            ? "Stornorechnung zu " + invoice.cancels_invoice_number.value_or("")
                            : (invoice.lines.empty() ? "Rechnung" : invoice.lines.front().text);
  if (receipt.description.size() > 500) receipt.description.resize(500);
  receipt.amount_gross_cents = invoice.totals.gross_cents;
  receipt.amount_net_cents = invoice.totals.net_cents;
  receipt.amount_tax_cents = invoice.totals.tax_cents;
  if (invoice.totals.groups.size() == 1) receipt.vat_rate = invoice.totals.groups.front().rate;
  receipt.invoice_id = invoice.id;
  receipt.customer_id = invoice.customer_id;
  receipt.file_name = *invoice.number + ".pdf";
  receipt.file_content_type = "application/pdf";
  receipt.file_sha256 = invoice.pdf_sha256;
  receipt.file_size = static_cast<std::int64_t>(pdf_size);
  receipt.created_at = now;
  return receipt;
}

// The customer must exist in the same school; an unknown id is a field error, not a 404 of the
// invoice itself.
Status CheckCustomer(UnitOfWork& uow, std::int64_t school_id, std::int64_t customer_id) {
  auto c = uow.Customers().Get(school_id, customer_id);
  if (!c) {
    if (c.error().code == ErrorCode::kNotFound) {
      return Invalid({{"customer_id", "Diesen Kunden gibt es nicht."}});
    }
    return tl::unexpected(c.error());
  }
  return {};
}
}  // namespace

Result<domain::Invoice> InvoiceService::CreateDraft(std::int64_t school_id, domain::Invoice draft) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(school, (*uow)->Schools().Get(school_id));
  draft.school_id = school_id;
  draft.status = domain::InvoiceStatus::kDraft;
  draft.kind = domain::InvoiceKind::kInvoice;
  draft.created_at = draft.updated_at = clock_.Now();
  HS_CHECK(domain::ValidateDraft(draft, *school));
  HS_CHECK(CheckCustomer(**uow, school_id, draft.customer_id));
  draft.totals = domain::ComputeTotals(draft.lines, draft.price_entry);
  HS_TRY(id, (*uow)->Invoices().CreateDraft(draft));
  HS_CHECK((*uow)->Commit());
  draft.id = *id;
  return draft;
}

Result<domain::Invoice> InvoiceService::UpdateDraft(
    std::int64_t school_id, std::int64_t id, const std::function<Status(domain::Invoice&)>& apply) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(school, (*uow)->Schools().Get(school_id));
  HS_TRY(invoice, (*uow)->Invoices().Get(school_id, id));
  HS_CHECK(domain::CanEdit(*invoice));
  HS_CHECK(apply(*invoice));
  invoice->id = id;
  invoice->school_id = school_id;
  invoice->updated_at = clock_.Now();
  HS_CHECK(domain::ValidateDraft(*invoice, *school));
  HS_CHECK(CheckCustomer(**uow, school_id, invoice->customer_id));
  invoice->totals = domain::ComputeTotals(invoice->lines, invoice->price_entry);
  HS_CHECK((*uow)->Invoices().UpdateDraft(*invoice));
  HS_CHECK((*uow)->Commit());
  return *invoice;
}

Status InvoiceService::DeleteDraft(std::int64_t school_id, std::int64_t id) {
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(invoice, (*uow)->Invoices().Get(school_id, id));
  if (invoice->status != domain::InvoiceStatus::kDraft) {
    return Fail(ErrorCode::kConflict, "invoice_not_draft",
                "Festgeschriebene Rechnungen können nicht gelöscht werden. Bitte stornieren.");
  }
  HS_CHECK((*uow)->Invoices().DeleteDraft(school_id, id));
  return (*uow)->Commit();
}

Status InvoiceService::CheckBeforeFinalizing(const domain::School& school,
                                             const domain::Invoice& invoice) const {
  // A Kleinunternehmer school never charges VAT; re-check in case the mode changed since the
  // draft was written. A cancellation mirrors its already validated original (negative
  // quantities are intended there).
  if (invoice.kind == domain::InvoiceKind::kInvoice) {
    HS_CHECK(domain::ValidateDraft(invoice, school));
    HS_CHECK(domain::CheckPlausibility(invoice, BerlinDateOf(clock_.Now())));
  }
  return CheckNumberFormat(school);
}

// Number, status, totals and the customer's snapshot: everything the documents show.
Status InvoiceService::NumberAndSnapshot(UnitOfWork& uow, const domain::School& school,
                                         domain::Invoice& invoice, std::int64_t sequence,
                                         Instant now) const {
  const int year = YearOf(invoice.invoice_date);
  invoice.number = domain::FormatInvoiceNumber(school.invoice_number_format, year, sequence);
  invoice.number_year = year;
  invoice.number_sequence = sequence;
  invoice.status = domain::InvoiceStatus::kFinalized;
  invoice.finalized_at = now;
  invoice.updated_at = now;
  invoice.totals = domain::ComputeTotals(invoice.lines, invoice.price_entry);
  if (invoice.kind != domain::InvoiceKind::kInvoice) return {};
  HS_TRY(customer, uow.Customers().Get(school.id, invoice.customer_id));
  invoice.customer_snapshot = domain::PartySnapshot{
      customer->DisplayName(),
      customer->kind == domain::CustomerKind::kCompany ? customer->contact_person : std::string{},
      customer->address,
      customer->email,
      customer->customer_number,
      customer->e_invoice,
      customer->buyer_reference,
      customer->vat_id};
  invoice.customer_version_at_finalize = customer->version;
  invoice.due_date = domain::DueDateOf(invoice.invoice_date, school.payment_term_days);
  return {};
}

// Writes the finalized invoice, its documents and its income receipt.
Status InvoiceService::StoreFinalized(UnitOfWork& uow, domain::Invoice& invoice,
                                      const IssuedDocuments& docs, Instant now) {
  const std::string& pdf = docs.pdf;
  invoice.pdf_sha256 = crypto_.Sha256Hex(pdf);
  if (invoice.id == 0) {
    auto id = uow.Invoices().InsertFinalized(invoice, pdf);
    if (!id) return NumberTakenOr(id.error(), *invoice.number);
    invoice.id = *id;
  } else if (auto st = uow.Invoices().SaveFinalized(invoice, pdf); !st) {
    return NumberTakenOr(st.error(), *invoice.number);
  }
  if (docs.xrechnung) HS_CHECK(uow.Invoices().SaveXRechnung(invoice.id, *docs.xrechnung));
  const domain::Receipt receipt = IncomeReceiptOf(invoice, pdf.size(), now);
  HS_TRY(receipt_id, uow.Receipts().Create(receipt, {}));
  if (hook_) HS_CHECK(hook_->OnIncomeReceipt(uow, invoice, *receipt_id));
  return {};
}

Status InvoiceService::FinalizeInTransaction(UnitOfWork& uow, const domain::School& school,
                                             domain::Invoice& invoice) {
  HS_CHECK(CheckBeforeFinalizing(school, invoice));
  HS_TRY(sequence, uow.Invoices().NextSequence(school.id, YearOf(invoice.invoice_date)));
  return FinalizeWithSequence(uow, school, invoice, *sequence);
}

Status InvoiceService::FinalizeWithSequence(UnitOfWork& uow, const domain::School& school,
                                            domain::Invoice& invoice, std::int64_t sequence) {
  const Instant now = clock_.Now();
  HS_CHECK(NumberAndSnapshot(uow, school, invoice, sequence, now));
  // A refusal here (missing data for the e-invoice) rolls the transaction back, so the number
  // drawn by the caller is not consumed.
  HS_TRY(docs, IssueDocuments(school, invoice));
  return StoreFinalized(uow, invoice, *docs, now);
}

// The documents of the snapshot's e-invoice kind (docs/e-invoice.md): none -> the readable PDF;
// ZUGFeRD -> the Factur-X PDF (EN 16931 CII embedded) is the document; XRechnung -> the readable
// PDF stays the document and the XRechnung CII is kept beside it.
Result<InvoiceService::IssuedDocuments> InvoiceService::IssueDocuments(
    const domain::School& school, const domain::Invoice& invoice) const {
  const auto kind = invoice.customer_snapshot.e_invoice;
  if (kind == domain::EInvoiceKind::kNone) {
    HS_TRY(pdf, renderer_.Render(school, invoice));
    return IssuedDocuments{std::move(*pdf), std::nullopt};
  }
  einvoice::Options options;
  options.profile = kind == domain::EInvoiceKind::kXRechnung ? einvoice::Profile::kXRechnung
                                                             : einvoice::Profile::kEn16931;
  options.buyer_reference = invoice.customer_snapshot.buyer_reference;
  options.seller_contact_name = school.contact_name;
  HS_TRY(cii, einvoice::GenerateCii(invoice, school, options));
  if (kind == domain::EInvoiceKind::kXRechnung) {
    HS_TRY(pdf, renderer_.Render(school, invoice));
    return IssuedDocuments{std::move(*pdf), std::move(*cii)};
  }
  HS_TRY(pdf, MakeZugferdPdf(school, invoice, *cii));
  return IssuedDocuments{std::move(*pdf), std::nullopt};
}

Result<std::string> InvoiceService::MakeZugferdPdf(const domain::School& school,
                                                   const domain::Invoice& invoice,
                                                   const std::string& cii) const {
  // Without a PDF/A renderer a plain PDF would be issued that the customer did not ask for.
  if (pdfa_renderer_ == nullptr) {
    return Fail(ErrorCode::kConflict, "zugferd_unavailable",
                "ZUGFeRD-Rechnungen kann diese Installation nicht erstellen. Bitte beim Kunden "
                "„keine E-Rechnung“ oder XRechnung wählen.");
  }
  HS_TRY(pdf, pdfa_renderer_->Render(school, invoice));
  einvoice::FacturXDocument doc;
  doc.title =
      (invoice.kind == domain::InvoiceKind::kCancellation ? "Stornorechnung " : "Rechnung ") +
      *invoice.number;
  doc.author = school.name;
  // The finalization instant, never "now": the stored document must be byte-stable.
  doc.created = invoice.finalized_at.value_or(Instant{});
  doc.document_id = std::to_string(school.id) + "/" + *invoice.number;
  doc.profile = einvoice::Profile::kEn16931;
  return einvoice::MakeFacturXPdf(*pdf, cii, doc);
}

// Reads what the documents need and renders them in a read transaction, so the write lock is
// not held while the PDF is rendered (ADR 0005, amendment): the number is the one the school's
// sequence would give now, checked again under the lock.
Result<InvoiceService::PreparedFinalization> InvoiceService::PrepareFinalization(
    std::int64_t school_id, std::int64_t id) const {
  PreparedFinalization p;
  {
    HS_TRY(uow, db_.Begin(TxKind::kRead));
    HS_TRY(school, (*uow)->Schools().Get(school_id));
    HS_TRY(draft, (*uow)->Invoices().Get(school_id, id));
    HS_CHECK(domain::CanFinalize(*draft));
    HS_CHECK(CheckBeforeFinalizing(*school, *draft));
    HS_TRY(sequence, (*uow)->Invoices().PeekNextSequence(school_id, YearOf(draft->invoice_date)));
    p.school = std::move(*school);
    p.draft = *draft;
    p.invoice = std::move(*draft);
    p.now = clock_.Now();
    HS_CHECK(NumberAndSnapshot(**uow, p.school, p.invoice, *sequence, p.now));
  }
  HS_TRY(docs, IssueDocuments(p.school, p.invoice));
  p.docs = std::move(*docs);
  return p;
}

// Whether the prepared documents are still the right ones under the write lock: the same school
// settings, the same draft, the number just drawn, the same version of the customer.
Result<bool> InvoiceService::StillCurrent(UnitOfWork& uow, const domain::School& school,
                                          const domain::Invoice& draft, std::int64_t sequence,
                                          const PreparedFinalization& prepared) const {
  if (school != prepared.school || draft != prepared.draft ||
      sequence != prepared.invoice.number_sequence) {
    return false;
  }
  if (draft.kind != domain::InvoiceKind::kInvoice) return true;
  HS_TRY(customer, uow.Customers().Get(school.id, draft.customer_id));
  return customer->version == prepared.invoice.customer_version_at_finalize;
}

Result<domain::Invoice> InvoiceService::Finalize(std::int64_t school_id, std::int64_t id) {
  std::lock_guard numbering(NumberingStripe(school_id));
  HS_TRY(prepared, PrepareFinalization(school_id, id));
  HS_TRY(uow, db_.Begin(TxKind::kDurableWrite));
  HS_TRY(school, (*uow)->Schools().Get(school_id));
  HS_TRY(invoice, (*uow)->Invoices().Get(school_id, id));
  HS_CHECK(domain::CanFinalize(*invoice));
  HS_CHECK(CheckBeforeFinalizing(*school, *invoice));
  HS_TRY(sequence, (*uow)->Invoices().NextSequence(school_id, YearOf(invoice->invoice_date)));
  HS_TRY(current, StillCurrent(**uow, *school, *invoice, *sequence, *prepared));
  if (*current) {
    *invoice = std::move(prepared->invoice);
    HS_CHECK(StoreFinalized(**uow, *invoice, prepared->docs, prepared->now));
  } else {
    // Something changed while rendering (another finalization took the number, the draft or
    // the school was edited): render again, this time under the lock.
    HS_CHECK(FinalizeWithSequence(**uow, *school, *invoice, *sequence));
  }
  HS_CHECK((*uow)->Commit());
  if (hook_) hook_->AfterCommit();
  return *invoice;
}

Result<domain::Invoice> InvoiceService::Cancel(std::int64_t school_id, std::int64_t id) {
  std::lock_guard numbering(NumberingStripe(school_id));
  HS_TRY(uow, db_.Begin(TxKind::kDurableWrite));
  HS_TRY(school, (*uow)->Schools().Get(school_id));
  HS_TRY(original, (*uow)->Invoices().Get(school_id, id));
  HS_CHECK(domain::CanCancel(*original));
  // The cancellation is dated today unless that lies before the original invoice.
  Date date = BerlinDateOf(clock_.Now());
  if (std::chrono::sys_days{date} < std::chrono::sys_days{original->invoice_date}) {
    date = original->invoice_date;
  }
  domain::Invoice cancellation = domain::MakeCancellation(*original, date);
  cancellation.created_at = clock_.Now();
  cancellation.customer_version_at_finalize = original->customer_version_at_finalize;
  HS_CHECK(FinalizeInTransaction(**uow, *school, cancellation));
  HS_CHECK((*uow)->Invoices().MarkCancelled(school_id, id, cancellation.id));
  HS_CHECK((*uow)->Commit());
  if (hook_) hook_->AfterCommit();
  return cancellation;
}

Result<std::string> InvoiceService::GetPdf(std::int64_t school_id, std::int64_t id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(invoice, (*uow)->Invoices().Get(school_id, id));
  HS_TRY(pdf, (*uow)->Invoices().GetPdf(school_id, id));
  if (!*pdf) {
    return Fail(ErrorCode::kConflict, "invoice_not_finalized",
                "Ein PDF gibt es erst, wenn die Rechnung festgeschrieben ist.");
  }
  return **pdf;
}

Result<std::string> InvoiceService::GetXRechnung(std::int64_t school_id, std::int64_t id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(invoice, (*uow)->Invoices().Get(school_id, id));
  HS_TRY(xml, (*uow)->Invoices().GetXRechnung(school_id, id));
  if (!*xml) {
    return NotFound("Zu dieser Rechnung gibt es keine XRechnung.");
  }
  return **xml;
}

// ------------------------------------------------------------------ receipts

ReceiptService::ReceiptService(Database& db, const Clock& clock, const Crypto& crypto)
    : db_(db), clock_(clock), crypto_(crypto) {}

namespace {

// The page's transferred receipts get what the payment sync last saw of their vouchers (deleted
// or changed in sevdesk shows in the list too): one query for the page.
Status AddVoucherStates(UnitOfWork& uow, std::int64_t school_id,
                        std::vector<ReceiptListItem>& items) {
  std::vector<std::int64_t> transferred;
  for (const auto& item : items) {
    if (item.transfer && !item.transfer->voucher_id.empty()) transferred.push_back(item.id);
  }
  HS_TRY(states, uow.Sevdesk().GetVoucherStates(school_id, transferred));
  std::map<std::int64_t, VoucherState> by_receipt;
  for (auto& s : *states) by_receipt.emplace(s.receipt_id, std::move(s));
  for (auto& item : items) {
    if (auto found = by_receipt.find(item.id); found != by_receipt.end()) {
      item.voucher_state = std::move(found->second);
    }
  }
  return {};
}

}  // namespace

Result<ReceiptPage> ReceiptService::List(std::int64_t school_id, const ReceiptQuery& query) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  HS_TRY(page, (*uow)->Receipts().List(school_id, query));
  // The income receipts' paid status: one query for the page's invoices.
  std::vector<std::int64_t> invoice_ids;
  for (const auto& item : page->items)
    if (item.invoice_id) invoice_ids.push_back(*item.invoice_id);
  HS_TRY(summaries, (*uow)->Invoices().GetSummaries(school_id, invoice_ids));
  HS_CHECK(AddVoucherStates(**uow, school_id, page->items));
  std::map<std::int64_t, const InvoiceSummary*> by_id;
  for (const auto& s : *summaries) by_id[s.id] = &s;
  const Date today = BerlinDateOf(clock_.Now());
  for (auto& item : page->items) {
    if (!item.invoice_id) continue;
    const auto found = by_id.find(*item.invoice_id);
    if (found == by_id.end()) continue;
    const InvoiceSummary& s = *found->second;
    item.payment = domain::DerivePaymentStatus(
        FactsOf(s.kind, s.status, s.gross_cents, s.invoice_date, s.paid), today);
  }
  return std::move(*page);
}

Result<domain::Receipt> ReceiptService::Get(std::int64_t school_id, std::int64_t id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Receipts().Get(school_id, id);
}

namespace {

// A received e-invoice read from an upload; nothing for an empty or oversized file (refused
// below with their own messages).
Result<std::optional<einvoice::ReceivedEInvoice>> ReadUpload(const std::string& content) {
  if (content.empty() || content.size() > domain::kMaxReceiptFileBytes) {
    return std::optional<einvoice::ReceivedEInvoice>();
  }
  return einvoice::ReadEInvoiceDocument(content);
}

tl::unexpected<Error> UnsupportedFileType() {
  return Fail(ErrorCode::kInvalidArgument, "unsupported_file_type",
              "Nur PDF-, JPG- oder PNG-Dateien und E-Rechnungen (XRechnung, ZUGFeRD) können "
              "hochgeladen werden. Die Datei ist keine vollständige PDF-, JPG- oder PNG-Datei.",
              {{"file", "Nur PDF, JPG, PNG oder E-Rechnung (XML)."}});
}

// An XML upload that is no e-invoice: the reader's German reason under the stable codes.
tl::unexpected<Error> RefusedXml(Error error) {
  if (error.code == ErrorCode::kPayloadTooLarge) {
    error.reason = "file_too_large";
  } else {
    error.code = ErrorCode::kInvalidArgument;
    error.reason = "unsupported_file_type";
  }
  return tl::unexpected<Error>(std::move(error));
}

}  // namespace

Result<domain::Receipt> ReceiptService::CreateExpense(std::int64_t school_id,
                                                      const domain::NewExpense& input,
                                                      const std::string& file_name,
                                                      const std::string& content) {
  const auto received = ReadUpload(content);
  const einvoice::ReceivedEInvoice* einvoice =
      received && received->has_value() ? &**received : nullptr;
  auto type = domain::DetectDocumentType(content);
  // An XML that is no readable e-invoice: the file's problem first, the fields it would have
  // filled are beside the point.
  if (!type && !received) return RefusedXml(received.error());
  domain::NewExpense e = input;
  if (einvoice != nullptr) einvoice::PrefillExpense(e, *einvoice);
  HS_CHECK(domain::ValidateExpense(e));
  HS_CHECK(domain::ValidateUploadFileName(file_name));
  if (content.empty()) return Invalid({{"file", "Bitte eine Datei hochladen."}});
  if (content.size() > domain::kMaxReceiptFileBytes) {
    return Fail(ErrorCode::kPayloadTooLarge, "file_too_large",
                "Die Datei ist zu groß (höchstens 10 MB).", {{"file", "Höchstens 10 MB."}});
  }
  if (!type) {
    // Not a PDF or image: only an XML e-invoice that the reader accepts and whose outline the
    // download check recognises again.
    if (einvoice == nullptr || !domain::IsXmlEInvoiceOutline(content)) {
      return UnsupportedFileType();
    }
    type = "application/xml";
  }
  domain::Receipt r;
  r.school_id = school_id;
  r.type = domain::ReceiptType::kExpense;
  r.date = e.date;
  r.number = e.number;
  r.counterparty = Trim(e.supplier);
  r.description = Trim(e.description);
  r.amount_gross_cents = e.amount_gross_cents;
  domain::SplitGross(e.amount_gross_cents, e.vat_rate, r.amount_net_cents, r.amount_tax_cents);
  r.vat_rate = e.vat_rate;
  if (einvoice != nullptr && einvoice->gross_cents == e.amount_gross_cents &&
      einvoice->tax_basis_cents + einvoice->tax_total_cents == e.amount_gross_cents) {
    // The amount is the e-invoice's: net and tax as it states them, exact for several rates.
    r.amount_net_cents = einvoice->tax_basis_cents;
    r.amount_tax_cents = einvoice->tax_total_cents;
    const auto& groups = einvoice->tax_groups;
    r.vat_rate = std::nullopt;  // several rates, as for a mixed income receipt
    if (groups.size() == 1 && groups.front().rate_bp % 100 == 0) {
      r.vat_rate = static_cast<int>(groups.front().rate_bp / 100);
    }
  }
  std::string name = file_name.empty() ? "beleg" : file_name;
  if (name.size() > 200) name = "beleg";
  std::replace(name.begin(), name.end(), '/', '_');
  std::replace(name.begin(), name.end(), '\\', '_');
  std::replace(name.begin(), name.end(), '"', '_');
  r.file_name = name;
  r.file_content_type = *type;
  r.file_sha256 = crypto_.Sha256Hex(content);
  r.file_size = static_cast<std::int64_t>(content.size());
  r.created_at = clock_.Now();
  HS_TRY(uow, db_.Begin(TxKind::kWrite));
  HS_TRY(id, (*uow)->Receipts().Create(r, content));
  HS_CHECK((*uow)->Commit());
  r.id = *id;
  return r;
}

Result<std::optional<einvoice::ReceivedEInvoice>> ReceiptService::EInvoice(
    const domain::Receipt& receipt) {
  using None = std::optional<einvoice::ReceivedEInvoice>;
  if (receipt.type != domain::ReceiptType::kExpense) return None();
  if (receipt.file_content_type != "application/xml" &&
      receipt.file_content_type != "application/pdf") {
    return None();
  }
  HS_TRY(file, GetFile(receipt.school_id, receipt.id));
  auto read = einvoice::ReadEInvoiceDocument(file->content);
  // A stored file that no longer reads (older checks, a reader change) is shown as a plain
  // document, never as an error on the receipt.
  if (!read || !read->has_value()) return None();
  einvoice::ReceivedEInvoice invoice = std::move(**read);
  for (auto& note :
       einvoice::CompareWithReceipt(invoice, receipt.date, receipt.amount_gross_cents)) {
    invoice.warnings.push_back(std::move(note));
  }
  return None(std::move(invoice));
}

Result<StoredFile> ReceiptService::GetFile(std::int64_t school_id, std::int64_t id) {
  HS_TRY(uow, db_.Begin(TxKind::kRead));
  return (*uow)->Receipts().GetFile(school_id, id);
}

}  // namespace hs::app
