#include "http/api/json_mapping.hpp"

#include <map>

#include "core/money.hpp"
#include "core/text.hpp"
#include "einvoice/cii.hpp"

namespace hs::http::api {

ObjectReader::ObjectReader(const Json& object, std::string prefix, std::vector<FieldError>& errors,
                           std::set<std::string> ignored)
    : object_(object), prefix_(std::move(prefix)), errors_(errors), ignored_(std::move(ignored)) {}

bool ObjectReader::Has(const std::string& key) const {
  return object_.contains(key);
}

const Json* ObjectReader::Field(const std::string& key) {
  seen_.insert(key);
  auto it = object_.find(key);
  if (it == object_.end()) return nullptr;
  return &*it;
}

void ObjectReader::Error(const std::string& key, const std::string& message) {
  errors_.push_back({prefix_ + key, message});
}

std::optional<std::string> ObjectReader::String(const std::string& key) {
  const Json* v = Field(key);
  if (!v) return std::nullopt;
  if (v->is_null()) return std::string{};
  if (!v->is_string()) {
    Error(key, "Text erwartet.");
    return std::nullopt;
  }
  return Trim(v->get<std::string>());
}

std::optional<std::string> ObjectReader::RawString(const std::string& key) {
  const Json* v = Field(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    Error(key, "Text erwartet.");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<std::int64_t> ObjectReader::Int(const std::string& key) {
  const Json* v = Field(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    Error(key, "Ganze Zahl erwartet.");
    return std::nullopt;
  }
  return v->get<std::int64_t>();
}

std::optional<bool> ObjectReader::Bool(const std::string& key) {
  const Json* v = Field(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    Error(key, "true oder false erwartet.");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::string> ObjectReader::Decimal(const std::string& key) {
  const Json* v = Field(key);
  if (!v) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return std::to_string(v->get<std::int64_t>());
  if (v->is_number_float()) return v->dump();
  Error(key, "Zahl erwartet, z. B. \"1.5\".");
  return std::nullopt;
}

std::pair<bool, std::optional<Date>> ObjectReader::OptionalDate(const std::string& key) {
  const Json* v = Field(key);
  if (!v) return {false, std::nullopt};
  if (v->is_null()) return {true, std::nullopt};
  if (v->is_string()) {
    if (auto d = ParseIsoDate(v->get<std::string>())) return {true, d};
  }
  Error(key, "Datum im Format JJJJ-MM-TT erwartet.");
  return {false, std::nullopt};
}

const Json* ObjectReader::Object(const std::string& key) {
  const Json* v = Field(key);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_object()) {
    Error(key, "Objekt erwartet.");
    return nullptr;
  }
  return v;
}

const Json* ObjectReader::Array(const std::string& key) {
  const Json* v = Field(key);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_array()) {
    Error(key, "Liste erwartet.");
    return nullptr;
  }
  return v;
}

void ObjectReader::Finish() {
  for (const auto& [key, _] : object_.items()) {
    if (!seen_.count(key) && !ignored_.count(key)) {
      errors_.push_back({prefix_ + key, "Unbekanntes Feld."});
    }
  }
}

tl::unexpected<hs::Error> BadRequest(std::vector<FieldError> details, std::string message) {
  return tl::unexpected<hs::Error>(
      hs::Error{ErrorCode::kBadRequest, "bad_request", std::move(message), std::move(details), {}});
}

Result<Json> ParseObject(const std::string& body) {
  if (!IsValidUtf8(body)) {
    return BadRequest({}, "Die Anfrage ist kein gültiges UTF-8.");
  }
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return BadRequest({}, "Die Anfrage ist kein gültiges JSON.");
  }
  if (!j.is_object()) return BadRequest({}, "Ein JSON-Objekt wird erwartet.");
  return j;
}

namespace {
Json AddressJson(const domain::Address& a) {
  return {{"street", a.street}, {"zip", a.zip}, {"city", a.city}, {"country", a.country}};
}
Json DateOrNull(const std::optional<Date>& d) {
  return d ? Json(FormatIsoDate(*d)) : Json(nullptr);
}
template <class T>
Json OrNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

void ReadAddress(ObjectReader& r, domain::Address& address) {
  const Json* a = r.Object("address");
  if (!a) return;
  ObjectReader nested(*a, r.Path("address."), r.errors());
  if (auto v = nested.String("street")) address.street = *v;
  if (auto v = nested.String("zip")) address.zip = *v;
  if (auto v = nested.String("city")) address.city = *v;
  if (auto v = nested.String("country")) {
    std::string upper = *v;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    address.country = upper.empty() ? std::string("DE") : upper;
  }
  nested.Finish();
}
}  // namespace

namespace {
Json FieldErrorsJson(const std::vector<FieldError>& errors) {
  Json out = Json::array();
  for (const auto& e : errors) out.push_back({{"field", e.field}, {"message", e.message}});
  return out;
}
}  // namespace

Json ToJson(const domain::School& s) {
  // What the settings lack for each e-invoice kind, so the settings page can say so.
  const Json missing = {
      {"zugferd", FieldErrorsJson(einvoice::MissingSchoolData(s, einvoice::Profile::kEn16931))},
      {"xrechnung",
       FieldErrorsJson(einvoice::MissingSchoolData(s, einvoice::Profile::kXRechnung))}};
  return {{"id", s.id},
          {"name", s.name},
          {"address", AddressJson(s.address)},
          {"email", s.email},
          {"phone", s.phone},
          {"contact_name", s.contact_name},
          {"tax_number", s.tax_number},
          {"vat_id", s.vat_id},
          {"iban", s.iban},
          {"bic", s.bic},
          {"bank_name", s.bank_name},
          {"tax_mode", domain::ToString(s.tax_mode)},
          {"invoice_number_format", s.invoice_number_format},
          {"payment_term_days", s.payment_term_days},
          {"price_entry", domain::ToString(s.price_entry)},
          {"e_invoice_missing", missing}};
}

Json ToJson(const domain::Customer& c) {
  Json dogs = Json::array();
  for (const auto& d : c.dogs) dogs.push_back({{"name", d.name}, {"breed", d.breed}});
  return {{"id", c.id},
          {"customer_number", c.customer_number},
          {"kind", domain::ToString(c.kind)},
          {"display_name", c.DisplayName()},
          {"salutation", c.salutation},
          {"first_name", c.first_name},
          {"last_name", c.last_name},
          {"company_name", c.company_name},
          {"contact_person", c.contact_person},
          {"address", AddressJson(c.address)},
          {"email", c.email},
          {"phone", c.phone},
          {"dogs", dogs},
          {"notes", c.notes},
          {"e_invoice", domain::ToString(c.e_invoice)},
          {"public_authority", c.public_authority},
          {"buyer_reference", c.buyer_reference},
          {"vat_id", c.vat_id},
          {"version", c.version},
          {"created_at", FormatIsoInstant(c.created_at)},
          {"updated_at", FormatIsoInstant(c.updated_at)}};
}

namespace {

Json InvoiceLinesJson(const std::vector<domain::InvoiceLine>& lines) {
  Json out = Json::array();
  for (const auto& l : lines) {
    out.push_back({{"text", l.text},
                   {"quantity", FormatQuantity(l.quantity)},
                   {"unit", l.unit},
                   {"unit_price_cents", l.unit_price_cents},
                   {"vat_rate", l.vat_rate},
                   {"amount_cents", domain::LineAmount(l)}});
  }
  return out;
}

Json VatGroupsJson(const domain::Totals& totals) {
  Json out = Json::array();
  for (const auto& g : totals.groups) {
    out.push_back({{"rate", g.rate},
                   {"net_cents", g.net_cents},
                   {"tax_cents", g.tax_cents},
                   {"gross_cents", g.gross_cents}});
  }
  return out;
}

// What only an issued (finalized or cancellation) invoice has: the customer as it was issued
// to, its PDF and e-invoice; null on a draft.
void AddIssuedFields(const domain::Invoice& inv, Json& out) {
  if (inv.status == domain::InvoiceStatus::kDraft) {
    for (const char* key : {"customer", "pdf_sha256", "pdf_url", "e_invoice", "xrechnung_url"}) {
      out[key] = nullptr;
    }
    return;
  }
  const auto& s = inv.customer_snapshot;
  const std::string url = "/api/v1/invoices/" + std::to_string(inv.id);
  out["customer"] = {{"name", s.name},
                     {"contact_person", s.contact_person},
                     {"address", AddressJson(s.address)},
                     {"email", s.email},
                     {"customer_number", s.customer_number},
                     {"buyer_reference", s.buyer_reference},
                     {"vat_id", s.vat_id}};
  out["pdf_sha256"] = inv.pdf_sha256;
  out["pdf_url"] = url + "/pdf";
  out["e_invoice"] = domain::ToString(s.e_invoice);
  out["xrechnung_url"] =
      s.e_invoice == domain::EInvoiceKind::kXRechnung ? Json(url + "/xrechnung") : Json(nullptr);
}

}  // namespace

Json ToJson(const domain::Invoice& inv) {
  Json out = {{"id", inv.id},
              {"kind", domain::ToString(inv.kind)},
              {"status", domain::ToString(inv.status)},
              {"number", OrNull(inv.number)},
              {"customer_id", inv.customer_id},
              {"invoice_date", FormatIsoDate(inv.invoice_date)},
              {"service_date", DateOrNull(inv.service_date)},
              {"service_period_end", DateOrNull(inv.service_period_end)},
              {"price_entry", domain::ToString(inv.price_entry)},
              {"lines", InvoiceLinesJson(inv.lines)},
              {"vat_groups", VatGroupsJson(inv.totals)},
              {"total_net_cents", inv.totals.net_cents},
              {"total_tax_cents", inv.totals.tax_cents},
              {"total_gross_cents", inv.totals.gross_cents},
              {"notes", inv.notes},
              {"cancels_invoice_id", OrNull(inv.cancels_invoice_id)},
              {"cancels_invoice_number", OrNull(inv.cancels_invoice_number)},
              {"cancelled_by_invoice_id", OrNull(inv.cancelled_by_invoice_id)},
              {"created_at", FormatIsoInstant(inv.created_at)},
              {"updated_at", FormatIsoInstant(inv.updated_at)},
              {"finalized_at",
               inv.finalized_at ? Json(FormatIsoInstant(*inv.finalized_at)) : Json(nullptr)}};
  AddIssuedFields(inv, out);
  return out;
}

Json ToJson(const app::InvoiceSummary& s) {
  return {{"id", s.id},
          {"kind", domain::ToString(s.kind)},
          {"status", domain::ToString(s.status)},
          {"number", OrNull(s.number)},
          {"invoice_date", FormatIsoDate(s.invoice_date)},
          {"customer_id", s.customer_id},
          {"customer_name", s.customer_name},
          {"total_net_cents", s.net_cents},
          {"total_tax_cents", s.tax_cents},
          {"total_gross_cents", s.gross_cents},
          {"payment", ToJson(s.payment)}};
}

Json ToJson(const domain::PaymentStatus& p) {
  return {{"state", std::string(domain::ToString(p.state))},
          {"paid_cents", p.paid_cents},
          {"open_cents", p.open_cents},
          {"paid_on", DateOrNull(p.paid_on)},
          {"due_date", DateOrNull(p.due_date)},
          {"overdue_since", DateOrNull(p.overdue_since)},
          {"label", p.label}};
}

Json ToJson(const app::PaymentTotals& t) {
  return {{"open_count", t.open_count},
          {"open_cents", t.open_cents},
          {"overdue_count", t.overdue_count},
          {"overdue_cents", t.overdue_cents}};
}

Json ToJson(const domain::Receipt& r) {
  return {{"id", r.id},
          {"type", domain::ToString(r.type)},
          {"date", FormatIsoDate(r.date)},
          {"number", r.number},
          {"counterparty", r.counterparty},
          {"description", r.description},
          {"amount_gross_cents", r.amount_gross_cents},
          {"amount_net_cents", r.amount_net_cents},
          {"amount_tax_cents", r.amount_tax_cents},
          {"vat_rate", OrNull(r.vat_rate)},
          {"invoice_id", OrNull(r.invoice_id)},
          {"customer_id", OrNull(r.customer_id)},
          {"file",
           {{"name", r.file_name},
            {"content_type", r.file_content_type},
            {"size", r.file_size},
            {"sha256", r.file_sha256},
            {"url", "/api/v1/receipts/" + std::to_string(r.id) + "/file"}}},
          {"created_at", FormatIsoInstant(r.created_at)}};
}

namespace {

Json RateJson(std::int64_t rate_bp) {
  return {{"rate_basis_points", rate_bp}, {"label", einvoice::FormatRateDe(rate_bp)}};
}

}  // namespace

Json ToJson(const einvoice::ReceivedEInvoice& e) {
  Json lines = Json::array();
  for (const auto& l : e.lines) {
    lines.push_back({{"id", l.id},
                     {"name", l.name},
                     {"quantity", l.quantity},
                     {"unit_code", l.unit_code},
                     {"net_cents", l.net_cents},
                     {"vat_category", l.vat_category},
                     {"vat_rate", RateJson(l.vat_rate_bp)}});
  }
  Json groups = Json::array();
  for (const auto& g : e.tax_groups) {
    groups.push_back({{"category", g.category},
                      {"vat_rate", RateJson(g.rate_bp)},
                      {"basis_cents", g.basis_cents},
                      {"tax_cents", g.tax_cents},
                      {"exemption_reason", g.exemption_reason}});
  }
  return {{"format", e.format},
          {"container", e.container == einvoice::Container::kPdf ? "pdf" : "xml"},
          {"syntax", e.syntax == einvoice::Syntax::kUbl ? "ubl" : "cii"},
          {"guideline", e.guideline},
          {"supplier",
           {{"name", e.supplier_name},
            {"vat_id", e.supplier_vat_id},
            {"tax_number", e.supplier_tax_number}}},
          {"buyer_name", e.buyer_name},
          {"number", e.number},
          {"type_code", e.type_code},
          {"type_label", einvoice::TypeCodeLabel(e.type_code)},
          {"issue_date", DateOrNull(e.issue_date)},
          {"due_date", DateOrNull(e.due_date)},
          {"currency", e.currency},
          {"lines", lines},
          {"tax_groups", groups},
          {"totals",
           {{"line_total_cents", e.line_total_cents},
            {"allowance_total_cents", e.allowance_total_cents},
            {"charge_total_cents", e.charge_total_cents},
            {"net_cents", e.tax_basis_cents},
            {"tax_cents", e.tax_total_cents},
            {"gross_cents", e.gross_cents},
            {"prepaid_cents", e.prepaid_cents},
            {"due_payable_cents", e.due_payable_cents}}},
          {"warnings", e.warnings}};
}

Json ToJson(const app::ReceiptSevdeskStatus& s) {
  static const std::map<std::string, std::string> kLabels = {
      {"not_transferred", "nicht übertragen"},
      {"queued", "in Warteschlange"},
      {"in_progress", "wird übertragen"},
      {"transferred", "übertragen"},
      {"failed", "fehlgeschlagen"},
      {"waiting", "wartet auf Verbindung"},
      {"awaiting_match", "wartet auf Kundenabgleich"}};
  Json out = {{"status", s.status}, {"label", kLabels.at(s.status)}};
  if (!s.transfer) return out;
  const auto& t = *s.transfer;
  out["attempts"] = t.attempts;
  out["batch_id"] = OrNull(t.batch_id);
  out["queued_at"] = FormatIsoInstant(t.created_at);
  if (s.status == "transferred") {
    out["voucher_id"] = t.voucher_id;
    out["link"] = s.voucher_link;
    out["transferred_at"] =
        t.transferred_at ? Json(FormatIsoInstant(*t.transferred_at)) : Json(nullptr);
  }
  if (!t.last_error_message.empty() && s.status != "transferred") {
    out["reason"] = t.last_error_message;
    out["hint"] = t.last_error_hint;
  }
  if (s.status == "transferred" && t.last_error_code == "sum_mismatch") {
    // In sevdesk, but with other sums than the invoice: never silent (ADR 0010).
    out["warning"] = t.last_error_message;
    out["hint"] = t.last_error_hint;
  }
  // ---- Payment sync (issue 16): the voucher as sevdesk last showed it.
  if (s.status == "transferred" && s.voucher_state) {
    const auto& v = *s.voucher_state;
    out["voucher_state"] = {
        {"presence", std::string(app::ToString(v.presence))},
        {"change_note", v.change_note.empty() ? Json(nullptr) : Json(v.change_note)},
        {"status", v.status},
        {"gross_cents", v.gross_cents},
        {"paid_cents", v.paid_cents},
        {"pay_date", v.pay_date ? Json(FormatIsoDate(*v.pay_date)) : Json(nullptr)},
        {"synced_at", FormatIsoInstant(v.synced_at)}};
    if (!s.hint.empty()) out["hint"] = s.hint;
    out["retransferable"] = s.retransferable;
  }
  // ---- end payment sync
  if (s.status == "failed") {
    out["next_retry_at"] = t.state == app::TransferState::kRetryWait
                               ? Json(FormatIsoInstant(t.next_attempt_at))
                               : Json(nullptr);
    out["retryable"] = true;
  }
  return out;
}

Json ErrorToJson(const hs::Error& e) {
  Json details = Json::array();
  for (const auto& d : e.details) details.push_back({{"field", d.field}, {"message", d.message}});
  return {{"code", e.reason.empty() ? "error" : e.reason},
          {"message", e.message},
          {"details", details}};
}

namespace {
// The e-invoice fields; the VAT id is stored compact and in capitals, the way it is checked.
void ReadCustomerEInvoice(ObjectReader& r, domain::Customer& c) {
  if (auto v = r.String("e_invoice")) {
    if (auto k = domain::ParseEInvoiceKind(v->empty() ? "none" : *v)) {
      c.e_invoice = *k;
    } else {
      r.Error("e_invoice", "Erlaubt: none, zugferd oder xrechnung.");
    }
  }
  if (auto v = r.Bool("public_authority")) c.public_authority = *v;
  if (auto v = r.String("buyer_reference")) c.buyer_reference = *v;
  if (auto v = r.String("vat_id")) {
    std::string compact;
    for (char ch : *v) {
      if (ch != ' ') compact += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    c.vat_id = compact;
  }
}
}  // namespace

Status ApplyCustomer(const Json& body, domain::Customer& c, bool creating) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors,
                 {"id", "customer_number", "version", "display_name", "created_at", "updated_at"});
  if (auto v = r.String("kind")) {
    if (auto k = domain::ParseCustomerKind(*v)) {
      c.kind = *k;
    } else {
      r.Error("kind", "Erlaubt: person oder company.");
    }
  } else if (creating && !r.Has("kind")) {
    r.Error("kind", "Bitte angeben: person oder company.");
  }
  if (auto v = r.String("salutation")) c.salutation = *v;
  if (auto v = r.String("first_name")) c.first_name = *v;
  if (auto v = r.String("last_name")) c.last_name = *v;
  if (auto v = r.String("company_name")) c.company_name = *v;
  if (auto v = r.String("contact_person")) c.contact_person = *v;
  if (auto v = r.String("email")) c.email = ToLowerAscii(*v);
  if (auto v = r.String("phone")) c.phone = *v;
  if (auto v = r.String("notes")) c.notes = *v;
  ReadCustomerEInvoice(r, c);
  ReadAddress(r, c.address);
  if (const Json* dogs = r.Array("dogs")) {
    c.dogs.clear();
    for (std::size_t i = 0; i < dogs->size(); ++i) {
      const Json& d = (*dogs)[i];
      const std::string p = "dogs[" + std::to_string(i) + "].";
      if (!d.is_object()) {
        errors.push_back({p.substr(0, p.size() - 1), "Objekt erwartet."});
        continue;
      }
      ObjectReader dr(d, p, errors);
      domain::Dog dog;
      if (auto v = dr.String("name")) dog.name = *v;
      if (auto v = dr.String("breed")) dog.breed = *v;
      dr.Finish();
      c.dogs.push_back(std::move(dog));
    }
  }
  r.Finish();
  if (!errors.empty()) return BadRequest(std::move(errors));
  return {};
}

namespace {

// One entry of "lines" (`p`: "lines[i]."); errors are recorded.
domain::InvoiceLine ReadInvoiceLine(const Json& l, const std::string& p,
                                    std::vector<FieldError>& errors) {
  ObjectReader lr(l, p, errors, {"amount_cents"});
  domain::InvoiceLine line;
  if (auto v = lr.String("text")) line.text = *v;
  if (auto v = lr.Decimal("quantity")) {
    if (auto q = ParseQuantity(*v)) {
      line.quantity = *q;
    } else {
      lr.Error("quantity", "Menge mit höchstens 3 Nachkommastellen erwartet, z. B. \"1.5\".");
    }
  }
  if (auto v = lr.String("unit")) line.unit = *v;
  if (auto v = lr.Int("unit_price_cents")) {
    line.unit_price_cents = *v;
  } else if (!lr.Has("unit_price_cents")) {
    lr.Error("unit_price_cents", "Bitte einen Einzelpreis in Cent angeben.");
  }
  if (auto v = lr.Int("vat_rate")) {
    line.vat_rate = static_cast<int>(std::clamp<std::int64_t>(*v, -1, 1000));
  } else if (!lr.Has("vat_rate")) {
    lr.Error("vat_rate", "Bitte einen Steuersatz angeben (0, 7 oder 19).");
  }
  lr.Finish();
  return line;
}

}  // namespace

namespace {

// The fields of an invoice's JSON that a client may send back but not change.
const std::set<std::string> kInvoiceReadOnlyFields = {"id",
                                                      "kind",
                                                      "status",
                                                      "number",
                                                      "vat_groups",
                                                      "total_net_cents",
                                                      "total_tax_cents",
                                                      "total_gross_cents",
                                                      "customer",
                                                      "cancels_invoice_id",
                                                      "cancels_invoice_number",
                                                      "cancelled_by_invoice_id",
                                                      "created_at",
                                                      "updated_at",
                                                      "finalized_at",
                                                      "pdf_sha256",
                                                      "pdf_url",
                                                      "e_invoice",
                                                      "xrechnung_url",
                                                      "payment"};

void ReadInvoiceDates(ObjectReader& r, domain::Invoice& inv, bool creating) {
  auto [has_date, date] = r.OptionalDate("invoice_date");
  if (has_date) {
    if (date) {
      inv.invoice_date = *date;
    } else {
      r.Error("invoice_date", "Bitte ein Rechnungsdatum angeben.");
    }
  } else if (creating && !r.Has("invoice_date")) {
    r.Error("invoice_date", "Bitte ein Rechnungsdatum angeben.");
  }
  if (auto [has, d] = r.OptionalDate("service_date"); has) inv.service_date = d;
  if (auto [has, d] = r.OptionalDate("service_period_end"); has) inv.service_period_end = d;
}

// "lines", when sent, replaces all lines; errors are recorded.
void ReadInvoiceLines(ObjectReader& r, std::vector<FieldError>& errors, domain::Invoice& inv) {
  const Json* lines = r.Array("lines");
  if (!lines) return;
  inv.lines.clear();
  if (lines->size() > domain::kMaxLines) {
    r.Error("lines", "Höchstens " + std::to_string(domain::kMaxLines) + " Positionen.");
    return;
  }
  for (std::size_t i = 0; i < lines->size(); ++i) {
    const Json& l = (*lines)[i];
    const std::string p = "lines[" + std::to_string(i) + "].";
    if (!l.is_object()) {
      errors.push_back({p.substr(0, p.size() - 1), "Objekt erwartet."});
      continue;
    }
    inv.lines.push_back(ReadInvoiceLine(l, p, errors));
  }
}

}  // namespace

Status ApplyInvoice(const Json& body, domain::Invoice& inv, bool creating) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors, kInvoiceReadOnlyFields);
  if (auto v = r.Int("customer_id")) {
    inv.customer_id = *v;
  } else if (creating && !r.Has("customer_id")) {
    r.Error("customer_id", "Bitte einen Kunden wählen.");
  }
  ReadInvoiceDates(r, inv, creating);
  if (auto v = r.String("price_entry")) {
    if (auto p = domain::ParsePriceEntry(*v)) {
      inv.price_entry = *p;
    } else {
      r.Error("price_entry", "Erlaubt: net oder gross.");
    }
  }
  if (auto v = r.String("notes")) inv.notes = *v;
  ReadInvoiceLines(r, errors, inv);
  r.Finish();
  if (!errors.empty()) return BadRequest(std::move(errors));
  return {};
}

Status ApplySchool(const Json& body, domain::School& s) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors, {"id", "e_invoice_missing"});
  if (auto v = r.String("name")) s.name = *v;
  ReadAddress(r, s.address);
  if (auto v = r.String("email")) s.email = *v;
  if (auto v = r.String("phone")) s.phone = *v;
  if (auto v = r.String("contact_name")) s.contact_name = *v;
  if (auto v = r.String("tax_number")) s.tax_number = *v;
  if (auto v = r.String("vat_id")) s.vat_id = *v;
  // IBAN and BIC are stored compact and in capitals, the way they are checked and printed.
  auto compact = [](const std::string& text) {
    std::string out;
    for (char ch : text) {
      if (ch != ' ') out += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return out;
  };
  if (auto v = r.String("iban")) s.iban = compact(*v);
  if (auto v = r.String("bic")) s.bic = compact(*v);
  if (auto v = r.String("bank_name")) s.bank_name = *v;
  if (auto v = r.String("tax_mode")) {
    if (auto m = domain::ParseTaxMode(*v)) {
      s.tax_mode = *m;
    } else {
      r.Error("tax_mode", "Erlaubt: regular oder kleinunternehmer.");
    }
  }
  if (auto v = r.String("invoice_number_format")) s.invoice_number_format = *v;
  if (auto v = r.Int("payment_term_days"))
    s.payment_term_days = static_cast<int>(std::clamp<std::int64_t>(*v, -1, 100000));
  if (auto v = r.String("price_entry")) {
    if (auto p = domain::ParsePriceEntry(*v)) {
      s.price_entry = *p;
    } else {
      r.Error("price_entry", "Erlaubt: net oder gross.");
    }
  }
  r.Finish();
  if (!errors.empty()) return BadRequest(std::move(errors));
  return {};
}

}  // namespace hs::http::api
