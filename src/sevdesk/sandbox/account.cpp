#include "sevdesk/sandbox/account.hpp"

#include <algorithm>

#include "core/text.hpp"
#include "sevdesk/sandbox/static_data.hpp"

namespace hs::sevdesk::sandbox {

namespace {

enum class Kind { kString, kFlag, kRef, kDate, kSevClient };

struct FieldSpec {
  const char* key;
  Kind kind;
  const char* ref_name;  // for kRef
  const char* fallback;  // default on create; nullptr = JSON null
  bool omit_when_null;   // PHP serializer drops unset relations (e.g. "parent")
};

// Output order of GET /Contact/{id} (recorded contact.json), after the system fields.
constexpr FieldSpec kContactFields[] = {
    {"name", Kind::kString, nullptr, nullptr, false},
    {"status", Kind::kString, nullptr, "100", false},
    {"customerNumber", Kind::kString, nullptr, nullptr, false},
    {"parent", Kind::kRef, "Contact", nullptr, true},
    {"surename", Kind::kString, nullptr, nullptr, false},
    {"familyname", Kind::kString, nullptr, nullptr, false},
    {"titel", Kind::kString, nullptr, nullptr, false},
    {"category", Kind::kRef, "Category", nullptr, false},
    {"description", Kind::kString, nullptr, nullptr, false},
    {"academicTitle", Kind::kString, nullptr, nullptr, false},
    {"gender", Kind::kString, nullptr, nullptr, false},
    {"sevClient", Kind::kSevClient, nullptr, nullptr, false},
    {"name2", Kind::kString, nullptr, nullptr, false},
    {"birthday", Kind::kDate, nullptr, nullptr, false},
    {"vatNumber", Kind::kString, nullptr, nullptr, false},
    {"bankAccount", Kind::kString, nullptr, nullptr, false},
    {"bankNumber", Kind::kString, nullptr, nullptr, false},
    {"mandateReference", Kind::kString, nullptr, nullptr, false},
    {"defaultCashbackTime", Kind::kString, nullptr, nullptr, false},
    {"defaultCashbackPercent", Kind::kString, nullptr, nullptr, false},
    {"defaultTimeToPay", Kind::kString, nullptr, nullptr, false},
    {"taxNumber", Kind::kString, nullptr, nullptr, false},
    {"taxOffice", Kind::kString, nullptr, nullptr, false},
    {"exemptVat", Kind::kFlag, nullptr, "0", false},
    {"taxType", Kind::kString, nullptr, nullptr, false},
    {"defaultDiscountAmount", Kind::kString, nullptr, nullptr, false},
    {"defaultDiscountPercentage", Kind::kFlag, nullptr, "1", false},
    {"buyerReference", Kind::kString, nullptr, nullptr, false},
    {"governmentAgency", Kind::kFlag, nullptr, "0", false},
    {"defaultShowVat", Kind::kFlag, nullptr, "1", false},
};

// Converts one input value to its wire form; nullopt + message when it cannot be.
std::optional<Json> Convert(const FieldSpec& spec, const Json& value, std::string& error) {
  if (value.is_null()) return Json(nullptr);
  switch (spec.kind) {
    case Kind::kString:
      if (value.is_object() || value.is_array()) {
        error = std::string(spec.key) + " expected a scalar value";
        return std::nullopt;
      }
      return ToWireString(value);
    case Kind::kFlag:
      return ToWireFlag(value);
    case Kind::kRef: {
      auto id = RefId(value);
      if (!id) {
        error = std::string(spec.key) + " expected array with 'id' and 'objectName'. " +
                (value.is_object() ? "array" : std::string(value.type_name())) + " given";
        return std::nullopt;
      }
      return Ref(*id, spec.ref_name);
    }
    case Kind::kDate: {
      auto when = ParseSevdeskDate(value);
      if (!when) {
        error = "Invalid date for " + std::string(spec.key);
        return std::nullopt;
      }
      return FormatBerlin(*when);
    }
    case Kind::kSevClient:
      break;
  }
  return std::nullopt;
}

Json BuildContactWire(const std::string& id, const std::string& create, const std::string& update,
                      const Json& client_ref, const Json& values) {
  Json wire = Json::object();
  wire["id"] = id;
  wire["objectName"] = "Contact";
  wire["additionalInformation"] = nullptr;
  wire["create"] = create;
  wire["update"] = update;
  for (const auto& spec : kContactFields) {
    if (spec.kind == Kind::kSevClient) {
      wire["sevClient"] = client_ref;
      continue;
    }
    const Json value = values.contains(spec.key) ? values[spec.key] : Json(nullptr);
    if (value.is_null() && spec.omit_when_null) continue;
    wire[spec.key] = value;
  }
  return wire;
}

// Applies the writable fields of `input` onto `values`; returns an error message on bad input.
std::string OverlayContactFields(const Json& input, Json& values) {
  for (const auto& spec : kContactFields) {
    if (spec.kind == Kind::kSevClient || !input.contains(spec.key)) continue;
    std::string error;
    auto converted = Convert(spec, input[spec.key], error);
    if (!converted) return error;
    values[spec.key] = std::move(*converted);
  }
  return {};
}

bool IsBlank(const Json& value) {
  return value.is_null() || (value.is_string() && Trim(value.get<std::string>()).empty());
}

std::optional<std::int64_t> ParamId(const Ctx& ctx, const char* name) {
  auto it = ctx.params.find(name);
  if (it == ctx.params.end()) return std::nullopt;
  return ToInt(Json(it->second));
}

bool ContainsIgnoreCase(const std::string& haystack, const std::string& needle) {
  return ToLowerAscii(haystack).find(ToLowerAscii(needle)) != std::string::npos;
}

std::string StrOr(const Json& value, const std::string& fallback = {}) {
  return value.is_string() ? value.get<std::string>() : fallback;
}

std::optional<std::int64_t> QueryInt(const http::Request& request, const char* name) {
  auto value = request.Query(name);
  if (!value) return std::nullopt;
  return ToInt(Json(*value));
}

std::string NextCustomerNumberFor(const Account& account) {
  std::int64_t highest = 999;
  for (const auto& [id, contact] : account.contacts) {
    if (auto n = ToInt(contact.wire["customerNumber"])) highest = std::max(highest, *n);
  }
  return std::to_string(highest + 1);
}

const ContactRec* FindContact(const Account& account, const std::optional<std::string>& id) {
  if (!id) return nullptr;
  auto n = ToInt(Json(*id));
  if (!n) return nullptr;
  auto it = account.contacts.find(*n);
  return it == account.contacts.end() ? nullptr : &it->second;
}

}  // namespace

Json IdCounters::ToJson() const {
  Json out = Json::object();
  out["contact"] = contact.load();
  out["address"] = address.load();
  out["comm_way"] = comm_way.load();
  out["voucher"] = voucher.load();
  out["voucher_pos"] = voucher_pos.load();
  out["document"] = document.load();
  out["voucher_log"] = voucher_log.load();
  return out;
}

void IdCounters::FromJson(const Json& json) {
  auto take = [&](const char* key, std::atomic<std::int64_t>& counter) {
    if (json.contains(key) && json[key].is_number_integer()) {
      counter = std::max(counter.load(), json[key].get<std::int64_t>());
    }
  };
  take("contact", contact);
  take("address", address);
  take("comm_way", comm_way);
  take("voucher", voucher);
  take("voucher_pos", voucher_pos);
  take("document", document);
  take("voucher_log", voucher_log);
}

void Account::ClearData() {
  contacts.clear();
  addresses.clear();
  comm_ways.clear();
  temp_files.clear();
  vouchers.clear();
  documents.clear();
  upload_counter = 0;
  stats.clear();
  faults_injected.clear();
  window_count = 0;
  revoked = false;
  random = std::make_unique<SeededRandom>(seed);
}

std::optional<Json> ParseJsonBody(const http::Request& request) {
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  return body;
}

http::Response Page(const http::Request& request, std::vector<Json> items) {
  // Default page size: the FAQ only says "limited"; 100 is the commonly observed value.
  std::int64_t limit = QueryInt(request, "limit").value_or(100);
  limit = std::clamp<std::int64_t>(limit, 1, 1000);
  const std::int64_t offset = std::max<std::int64_t>(0, QueryInt(request, "offset").value_or(0));
  const bool count_all = request.Query("countAll").value_or("") == "true";
  const std::size_t total = items.size();
  Json page = Json::array();
  for (std::size_t i = static_cast<std::size_t>(offset);
       i < items.size() && page.size() < static_cast<std::size_t>(limit); ++i) {
    page.push_back(std::move(items[i]));
  }
  return ObjectList(page, count_all, total);
}

http::Response PageOf(const http::Request& request, const std::vector<const Json*>& items) {
  std::int64_t limit = QueryInt(request, "limit").value_or(100);
  limit = std::clamp<std::int64_t>(limit, 1, 1000);
  const std::int64_t offset = std::max<std::int64_t>(0, QueryInt(request, "offset").value_or(0));
  const std::size_t begin = std::min(items.size(), static_cast<std::size_t>(offset));
  const std::size_t end = std::min(items.size(), begin + static_cast<std::size_t>(limit));
  return ObjectListOf(std::span(items).subspan(begin, end - begin),
                      request.Query("countAll").value_or("") == "true", items.size());
}

std::string ContactDisplayName(const ContactRec& contact) {
  if (!contact.person && contact.wire["name"].is_string()) return contact.wire["name"];
  std::string out = StrOr(contact.wire["surename"]);
  const std::string family = StrOr(contact.wire["familyname"]);
  if (!out.empty() && !family.empty()) out += " ";
  out += family;
  if (out.empty()) out = StrOr(contact.wire["name"]);
  return out;
}

// ---- Basics ----------------------------------------------------------------------------------

http::Response GetBookkeepingVersion(Ctx& ctx) {
  Json payload = Json::object();
  payload["version"] = ctx.account.settings.bookkeeping_version;
  return Objects(200, payload);
}

http::Response GetSevUsers(Ctx& ctx) {
  const Account& a = ctx.account;
  Json user = Json::object();
  user["id"] = std::to_string(a.user_id);
  user["objectName"] = "SevUser";
  user["additionalInformation"] = nullptr;
  user["create"] = a.created_at;
  user["update"] = a.created_at;
  user["username"] = "sandbox-" + std::to_string(a.client_id) + "@example.com";
  user["firstName"] = "Sandra";
  user["lastName"] = "Sandbox";
  user["fullname"] = "Sandra Sandbox";
  user["email"] = "sandbox-" + std::to_string(a.client_id) + "@example.com";
  user["gender"] = nullptr;
  user["role"] = "admin";
  user["memberCode"] = nullptr;
  user["lastLogin"] = a.created_at;
  user["lastLoginIp"] = "127.0.0.1";
  user["sevClient"] = a.SevClientRef();
  user["status"] = "1";
  user["languageCode"] = "de";
  return ObjectList(Json::array({user}), false, 1);
}

http::Response GetRevenueGuidance(Ctx& ctx) {
  return Objects(200, GuidanceJson(true, ctx.account.settings.tax_mode));
}

http::Response GetExpenseGuidance(Ctx& ctx) {
  return Objects(200, GuidanceJson(false, ctx.account.settings.tax_mode));
}

http::Response GetStaticCountries(Ctx& ctx) {
  std::vector<Json> items;
  for (const auto& c : StaticCountries()) items.push_back(c);
  return Page(ctx.request, std::move(items));
}

http::Response GetPaymentMethods(Ctx& ctx) {
  std::vector<Json> items;
  for (const auto& m : PaymentMethods()) items.push_back(m);
  return Page(ctx.request, std::move(items));
}

// ---- Contacts --------------------------------------------------------------------------------

http::Response ListContacts(Ctx& ctx) {
  const auto& req = ctx.request;
  const auto customer_number = req.Query("customerNumber");
  // depth=0 (default): organisations only; depth=1: persons too.
  const bool with_persons = req.Query("depth").value_or("0") == "1";
  const auto name = req.Query("name");
  const auto category = req.Query("category[id]");
  const auto parent = req.Query("parent[id]");
  std::vector<Json> items;
  for (const auto& [id, current] : ctx.account.contacts) {
    const ContactRec* listed = ListedVersion(current, ctx.now);
    if (listed == nullptr) continue;
    const ContactRec& contact = *listed;
    const Json& w = contact.wire;
    if (contact.person && !with_persons) continue;
    if (customer_number && StrOr(w["customerNumber"]) != *customer_number) continue;
    if (name && !(ContainsIgnoreCase(StrOr(w["name"]), *name) ||
                  ContainsIgnoreCase(StrOr(w["surename"]), *name) ||
                  ContainsIgnoreCase(StrOr(w["familyname"]), *name))) {
      continue;
    }
    if (category && RefId(w["category"]).value_or("") != *category) continue;
    if (parent && (!w.contains("parent") || RefId(w["parent"]).value_or("") != *parent)) continue;
    items.push_back(w);
  }
  return Page(req, std::move(items));
}

http::Response GetContact(Ctx& ctx) {
  const std::string raw = ctx.params.at("contactId");
  const ContactRec* contact = FindContact(ctx.account, raw);
  if (contact == nullptr) return NotFound151("Contact", raw);
  return Objects(200, Json::array({contact->wire}));
}

http::Response CreateContact(Ctx& ctx) {
  auto body = ParseJsonBody(ctx.request);
  if (!body) return Error(400, "Request body must be a JSON object");
  if (!body->contains("category") || (*body)["category"].is_null()) {
    return Error(400, "Contact expected category");
  }
  Json values = Json::object();
  for (const auto& spec : kContactFields) {
    if (spec.fallback != nullptr) values[spec.key] = spec.fallback;
  }
  if (std::string error = OverlayContactFields(*body, values); !error.empty()) {
    return Error(400, error);
  }
  if (IsBlank(values["customerNumber"])) {
    values["customerNumber"] = NextCustomerNumberFor(ctx.account);
  }
  if (values.contains("parent") && !values["parent"].is_null() &&
      FindContact(ctx.account, RefId(values["parent"])) == nullptr) {
    return Error(
        400, "No Model_Contact with the id " + RefId(values["parent"]).value_or("") + " was found",
        151);
  }
  ContactRec rec;
  rec.person =
      IsBlank(values["name"]) && (!IsBlank(values["surename"]) || !IsBlank(values["familyname"]));
  const std::int64_t id = ctx.ids.Next(ctx.ids.contact);
  rec.wire = BuildContactWire(std::to_string(id), ctx.NowIso(), ctx.NowIso(),
                              ctx.account.SevClientRef(), values);
  NoteChange(rec, nullptr, ctx.now, ctx.search_lag);
  Json answer = rec.wire;
  ctx.account.contacts.emplace(id, std::move(rec));
  return Objects(201, answer);
}

http::Response UpdateContact(Ctx& ctx) {
  const std::string raw = ctx.params.at("contactId");
  auto n = ToInt(Json(raw));
  auto it = n ? ctx.account.contacts.find(*n) : ctx.account.contacts.end();
  if (it == ctx.account.contacts.end()) return NotFound151("Contact", raw);
  auto body = ParseJsonBody(ctx.request);
  if (!body) return Error(400, "Request body must be a JSON object");
  Json values = it->second.wire;
  if (std::string error = OverlayContactFields(*body, values); !error.empty()) {
    return Error(400, error);
  }
  const ContactRec before = it->second;
  // Sending "name" on a person sets it, but the contact stays a person (measured).
  it->second.wire = BuildContactWire(raw, StrOr(values["create"]), ctx.NowIso(),
                                     ctx.account.SevClientRef(), values);
  NoteChange(it->second, &before, ctx.now, ctx.search_lag);
  return Objects(200, it->second.wire);
}

http::Response NextCustomerNumber(Ctx& ctx) {
  return Objects(200, NextCustomerNumberFor(ctx.account));
}

http::Response CheckCustomerNumber(Ctx& ctx) {
  const auto number = ctx.request.Query("customerNumber");
  // Quirk: the live API answers 500 without the parameter although the spec marks it optional.
  if (!number) return Error(500, "Internal Server Error");
  for (const auto& [id, contact] : ctx.account.contacts) {
    if (StrOr(contact.wire["customerNumber"]) == *number) return Objects(200, false);
  }
  return Objects(200, true);
}

// ---- Addresses and communication ways ----------------------------------------------------------

namespace {

// Validates {"contact":{...}} against this account; returns the contact id or an error answer.
std::optional<std::int64_t> RequireContact(Ctx& ctx, const Json& body, const char* model,
                                           http::Response& error) {
  if (!body.contains("contact") || body["contact"].is_null()) {
    error = Error(400, std::string(model) + " expected contact");
    return std::nullopt;
  }
  auto id = RefId(body["contact"]);
  if (!id) {
    error = Error(400, "contact expected array with 'id' and 'objectName'");
    return std::nullopt;
  }
  if (FindContact(ctx.account, id) == nullptr) {
    error = Error(400, "No Model_Contact with the id " + *id + " was found", 151);
    return std::nullopt;
  }
  return std::stoll(*id);
}

std::vector<Json> FilterByContact(const Ctx& ctx, const auto& records) {
  const auto contact = ctx.request.Query("contact[id]");
  std::vector<Json> out;
  for (const auto& [id, current] : records) {
    const auto* listed = ListedVersion(current, ctx.now);
    if (listed == nullptr) continue;
    if (contact && std::to_string(listed->contact_id) != *contact) continue;
    out.push_back(listed->wire);
  }
  return out;
}

}  // namespace

http::Response CreateAddress(Ctx& ctx) {
  auto body = ParseJsonBody(ctx.request);
  if (!body) return Error(400, "Request body must be a JSON object");
  http::Response error;
  auto contact_id = RequireContact(ctx, *body, "ContactAddress", error);
  if (!contact_id) return error;
  for (const char* key : {"country", "category"}) {
    if (!body->contains(key) || !RefId((*body)[key])) {
      return Error(400, std::string("ContactAddress expected ") + key);
    }
  }
  const auto country = ToInt(Json(*RefId((*body)["country"])));
  if (!IsKnownCountry(*country)) {
    return Error(
        400, "No Model_StaticCountry with the id " + std::to_string(*country) + " was found", 151);
  }
  const std::int64_t id = ctx.ids.Next(ctx.ids.address);
  auto text = [&](const char* key) -> Json {
    return body->contains(key) ? ToWireString((*body)[key]) : Json(nullptr);
  };
  Json wire = Json::object();
  wire["id"] = std::to_string(id);
  wire["objectName"] = "ContactAddress";
  wire["additionalInformation"] = nullptr;
  wire["create"] = ctx.NowIso();
  wire["update"] = ctx.NowIso();
  wire["contact"] = Ref(std::to_string(*contact_id), "Contact");
  wire["street"] = text("street");
  wire["zip"] = text("zip");
  wire["city"] = text("city");
  wire["country"] = Ref(*RefId((*body)["country"]), "StaticCountry");
  wire["category"] = Ref(*RefId((*body)["category"]), "Category");
  wire["name"] = text("name");
  for (const char* key : {"name2", "name3", "name4"}) {
    if (body->contains(key)) wire[key] = text(key);
  }
  wire["sevClient"] = ctx.account.SevClientRef();
  AddressRec rec{wire, *contact_id};
  NoteChange(rec, nullptr, ctx.now, ctx.search_lag);
  ctx.account.addresses.emplace(id, std::move(rec));
  // The create answer embeds the full contact (recorded write_contact_address_create.json).
  Json answer = wire;
  answer["contact"] = ctx.account.contacts.at(*contact_id).wire;
  return Objects(201, answer);
}

http::Response ListAddresses(Ctx& ctx) {
  return Page(ctx.request, FilterByContact(ctx, ctx.account.addresses));
}

http::Response GetAddress(Ctx& ctx) {
  const std::string raw = ctx.params.at("contactAddressId");
  auto n = ParamId(ctx, "contactAddressId");
  auto it = n ? ctx.account.addresses.find(*n) : ctx.account.addresses.end();
  if (it == ctx.account.addresses.end()) return NotFound151("ContactAddress", raw);
  return Objects(200, Json::array({it->second.wire}));
}

namespace {

// A PUT that names a contact moves the address or communication way to it; it must be a contact
// of this account like on create. None: nothing to move, or moved.
std::optional<http::Response> MoveToContact(Ctx& ctx, const Json& body, const char* model,
                                            std::int64_t& contact_id, Json& wire) {
  if (!body.contains("contact")) return std::nullopt;
  http::Response error;
  auto id = RequireContact(ctx, body, model, error);
  if (!id) return error;
  contact_id = *id;
  wire["contact"] = Ref(std::to_string(*id), "Contact");
  return std::nullopt;
}

// The fields of a ContactAddress a PUT sent, checked as on create, onto `wire`.
std::optional<http::Response> OverlayAddressFields(const Json& body, Json& wire) {
  for (const char* key : {"street", "zip", "city", "name", "name2", "name3", "name4"}) {
    if (!body.contains(key)) continue;
    if (body[key].is_object() || body[key].is_array()) {
      return Error(400, std::string(key) + " expected a scalar value");
    }
    wire[key] = ToWireString(body[key]);
  }
  for (const char* key : {"country", "category"}) {
    if (body.contains(key) && !RefId(body[key])) {
      return Error(400, std::string("ContactAddress expected ") + key);
    }
  }
  if (body.contains("country")) {
    const auto country = ToInt(Json(*RefId(body["country"])));
    if (!country || !IsKnownCountry(*country)) {
      return Error(
          400, "No Model_StaticCountry with the id " + *RefId(body["country"]) + " was found", 151);
    }
    wire["country"] = Ref(*RefId(body["country"]), "StaticCountry");
  }
  if (body.contains("category")) wire["category"] = Ref(*RefId(body["category"]), "Category");
  return std::nullopt;
}

}  // namespace

// PUT /ContactAddress/{id}: partial, only the fields sent change (measured). An id of another
// account is unknown here (ids are global, the maps per account): 404/151 as for GET. The spec
// lists 201 as its success status, copied from the create's text; PUTs answer 200 in sevdesk.
http::Response UpdateAddress(Ctx& ctx) {
  const std::string raw = ctx.params.at("contactAddressId");
  auto n = ParamId(ctx, "contactAddressId");
  auto it = n ? ctx.account.addresses.find(*n) : ctx.account.addresses.end();
  if (it == ctx.account.addresses.end()) return NotFound151("ContactAddress", raw);
  auto body = ParseJsonBody(ctx.request);
  if (!body) return Error(400, "Request body must be a JSON object");
  Json wire = it->second.wire;
  std::int64_t contact_id = it->second.contact_id;
  if (auto error = MoveToContact(ctx, *body, "ContactAddress", contact_id, wire)) return *error;
  if (auto error = OverlayAddressFields(*body, wire)) return *error;
  wire["update"] = ctx.NowIso();
  const AddressRec before = it->second;
  it->second.wire = wire;
  it->second.contact_id = contact_id;
  NoteChange(it->second, &before, ctx.now, ctx.search_lag);
  return Objects(200, wire);
}

http::Response CreateCommWay(Ctx& ctx) {
  auto body = ParseJsonBody(ctx.request);
  if (!body) return Error(400, "Request body must be a JSON object");
  http::Response error;
  auto contact_id = RequireContact(ctx, *body, "CommunicationWay", error);
  if (!contact_id) return error;
  const std::string type = StrOr(body->value("type", Json(nullptr)));
  if (type != "EMAIL" && type != "PHONE" && type != "WEB" && type != "MOBILE") {
    return Error(400, "CommunicationWay type must be one of EMAIL, PHONE, WEB, MOBILE");
  }
  if (!body->contains("value") || IsBlank((*body)["value"])) {
    return Error(400, "CommunicationWay expected value");
  }
  if (!body->contains("key") || !RefId((*body)["key"])) {
    return Error(400, "CommunicationWay expected key");
  }
  const auto key = ToInt(Json(*RefId((*body)["key"])));
  if (*key < 1 || *key > 8) {
    return Error(400,
                 "No Model_CommunicationWayKey with the id " + std::to_string(*key) + " was found",
                 151);
  }
  const std::int64_t id = ctx.ids.Next(ctx.ids.comm_way);
  Json wire = Json::object();
  wire["id"] = std::to_string(id);
  wire["objectName"] = "CommunicationWay";
  wire["additionalInformation"] = nullptr;
  wire["create"] = ctx.NowIso();
  wire["update"] = ctx.NowIso();
  wire["contact"] = Ref(std::to_string(*contact_id), "Contact");
  wire["type"] = type;
  wire["value"] = ToWireString((*body)["value"]);
  wire["key"] = Ref(std::to_string(*key), "CommunicationWayKey");
  wire["main"] = ToWireFlag(body->value("main", Json(false)));
  wire["sevClient"] = ctx.account.SevClientRef();
  CommWayRec rec{wire, *contact_id};
  NoteChange(rec, nullptr, ctx.now, ctx.search_lag);
  ctx.account.comm_ways.emplace(id, std::move(rec));
  return Objects(201, wire);
}

http::Response ListCommWays(Ctx& ctx) {
  auto items = FilterByContact(ctx, ctx.account.comm_ways);
  const auto type = ctx.request.Query("type");
  const auto main = ctx.request.Query("main");
  std::erase_if(items, [&](const Json& w) {
    return (type && StrOr(w["type"]) != *type) || (main && StrOr(w["main"]) != *main);
  });
  return Page(ctx.request, std::move(items));
}

http::Response GetCommWay(Ctx& ctx) {
  const std::string raw = ctx.params.at("communicationWayId");
  auto n = ParamId(ctx, "communicationWayId");
  auto it = n ? ctx.account.comm_ways.find(*n) : ctx.account.comm_ways.end();
  if (it == ctx.account.comm_ways.end()) return NotFound151("CommunicationWay", raw);
  return Objects(200, Json::array({it->second.wire}));
}

namespace {

// The fields of a CommunicationWay a PUT sent, checked as on create, onto `wire`.
std::optional<http::Response> OverlayCommWayFields(const Json& body, Json& wire) {
  if (body.contains("type")) {
    const std::string type = StrOr(body["type"]);
    if (type != "EMAIL" && type != "PHONE" && type != "WEB" && type != "MOBILE") {
      return Error(400, "CommunicationWay type must be one of EMAIL, PHONE, WEB, MOBILE");
    }
    wire["type"] = type;
  }
  if (body.contains("value")) {
    if (IsBlank(body["value"]) || body["value"].is_object() || body["value"].is_array()) {
      return Error(400, "CommunicationWay expected value");
    }
    wire["value"] = ToWireString(body["value"]);
  }
  if (body.contains("key")) {
    const auto key = RefId(body["key"]) ? ToInt(Json(*RefId(body["key"]))) : std::nullopt;
    if (!key) return Error(400, "CommunicationWay expected key");
    if (*key < 1 || *key > 8) {
      return Error(
          400, "No Model_CommunicationWayKey with the id " + std::to_string(*key) + " was found",
          151);
    }
    wire["key"] = Ref(std::to_string(*key), "CommunicationWayKey");
  }
  if (body.contains("main")) wire["main"] = ToWireFlag(body["main"]);
  return std::nullopt;
}

}  // namespace

// PUT /CommunicationWay/{id}: partial like PUT /ContactAddress/{id}; 200 with the changed way.
http::Response UpdateCommWay(Ctx& ctx) {
  const std::string raw = ctx.params.at("communicationWayId");
  auto n = ParamId(ctx, "communicationWayId");
  auto it = n ? ctx.account.comm_ways.find(*n) : ctx.account.comm_ways.end();
  if (it == ctx.account.comm_ways.end()) return NotFound151("CommunicationWay", raw);
  auto body = ParseJsonBody(ctx.request);
  if (!body) return Error(400, "Request body must be a JSON object");
  Json wire = it->second.wire;
  std::int64_t contact_id = it->second.contact_id;
  if (auto error = MoveToContact(ctx, *body, "CommunicationWay", contact_id, wire)) return *error;
  if (auto error = OverlayCommWayFields(*body, wire)) return *error;
  wire["update"] = ctx.NowIso();
  const CommWayRec before = it->second;
  it->second.wire = wire;
  it->second.contact_id = contact_id;
  NoteChange(it->second, &before, ctx.now, ctx.search_lag);
  return Objects(200, wire);
}

// ---- Admin views and persistence ---------------------------------------------------------------

namespace {

std::string_view TaxModeName(TaxMode mode) {
  return mode == TaxMode::kKleinunternehmer ? "kleinunternehmer" : "regular";
}

Json FileMeta(const StoredFile& file) {
  Json out = Json::object();
  out["filename"] = file.filename;
  out["mimeType"] = file.mime;
  out["size"] = file.bytes.size();
  out["sha256"] = file.sha256;
  out["uploaded"] = file.uploaded_at;
  return out;
}

}  // namespace

Json AccountSummary(const Account& a) {
  Json out = Json::object();
  out["id"] = std::to_string(a.client_id);
  out["token"] = a.settings.token;
  out["name"] = a.settings.name;
  out["taxMode"] = TaxModeName(a.settings.tax_mode);
  out["bookkeepingVersion"] = a.settings.bookkeeping_version;
  out["apiAccess"] = a.settings.api_access;
  out["revoked"] = a.revoked;
  out["sevUser"] = std::to_string(a.user_id);
  Json counts = Json::object();
  counts["contacts"] = a.contacts.size();
  counts["contactAddresses"] = a.addresses.size();
  counts["communicationWays"] = a.comm_ways.size();
  counts["tempFiles"] = a.temp_files.size();
  counts["vouchers"] = a.vouchers.size();
  counts["documents"] = a.documents.size();
  out["counts"] = std::move(counts);
  return out;
}

Json AccountDetail(const Account& a) {
  Json out = AccountSummary(a);
  Json contacts = Json::array();
  for (const auto& [id, c] : a.contacts) contacts.push_back(c.wire);
  Json addresses = Json::array();
  for (const auto& [id, r] : a.addresses) addresses.push_back(r.wire);
  Json ways = Json::array();
  for (const auto& [id, r] : a.comm_ways) ways.push_back(r.wire);
  Json vouchers = Json::array();
  for (const auto& [id, v] : a.vouchers) {
    Json item = Json::object();
    item["voucher"] = v.wire;
    item["voucherPos"] = v.positions;
    if (v.document_id) {
      const auto& doc = a.documents.at(*v.document_id);
      Json meta = FileMeta(doc.file);
      meta["id"] = std::to_string(doc.id);
      meta["url"] = "/__sandbox/accounts/" + std::to_string(a.client_id) + "/vouchers/" +
                    std::to_string(id) + "/document";
      item["document"] = std::move(meta);
    } else {
      item["document"] = nullptr;
    }
    vouchers.push_back(std::move(item));
  }
  Json temp = Json::array();
  for (const auto& [name, f] : a.temp_files) temp.push_back(FileMeta(f));
  out["contacts"] = std::move(contacts);
  out["contactAddresses"] = std::move(addresses);
  out["communicationWays"] = std::move(ways);
  out["vouchers"] = std::move(vouchers);
  out["tempFiles"] = std::move(temp);
  return out;
}

namespace {
Json FileState(const StoredFile& f) {
  Json out = FileMeta(f);
  out["base64"] = Base64Encode(f.bytes);
  return out;
}
std::optional<StoredFile> FileFromState(const Json& j) {
  StoredFile f;
  f.filename = j.value("filename", "");
  f.mime = j.value("mimeType", "");
  f.sha256 = j.value("sha256", "");
  f.uploaded_at = j.value("uploaded", "");
  auto bytes = Base64Decode(j.value("base64", ""));
  if (!bytes) return std::nullopt;
  f.bytes = std::move(*bytes);
  return f;
}
}  // namespace

Json AccountState(const Account& a) {
  Json out = Json::object();
  out["clientId"] = a.client_id;
  out["userId"] = a.user_id;
  out["token"] = a.settings.token;
  out["name"] = a.settings.name;
  out["taxMode"] = TaxModeName(a.settings.tax_mode);
  out["bookkeepingVersion"] = a.settings.bookkeeping_version;
  out["apiAccess"] = a.settings.api_access;
  out["revoked"] = a.revoked;
  out["created"] = a.created_at;
  out["uploadCounter"] = a.upload_counter;
  Json contacts = Json::array();
  for (const auto& [id, c] : a.contacts) {
    contacts.push_back(Json{{"person", c.person}, {"wire", c.wire}});
  }
  Json addresses = Json::array();
  for (const auto& [id, r] : a.addresses) {
    addresses.push_back(Json{{"contactId", r.contact_id}, {"wire", r.wire}});
  }
  Json ways = Json::array();
  for (const auto& [id, r] : a.comm_ways) {
    ways.push_back(Json{{"contactId", r.contact_id}, {"wire", r.wire}});
  }
  Json temp = Json::array();
  for (const auto& [name, f] : a.temp_files) temp.push_back(FileState(f));
  Json docs = Json::array();
  for (const auto& [id, d] : a.documents) {
    Json j = FileState(d.file);
    j["id"] = d.id;
    docs.push_back(std::move(j));
  }
  Json vouchers = Json::array();
  for (const auto& [id, v] : a.vouchers) {
    Json j = Json::object();
    j["wire"] = v.wire;
    j["positions"] = v.positions;
    j["documentId"] = v.document_id ? Json(*v.document_id) : Json(nullptr);
    j["supplierId"] = v.supplier_id ? Json(*v.supplier_id) : Json(nullptr);
    j["voucherDateUnix"] = v.voucher_date_unix ? Json(*v.voucher_date_unix) : Json(nullptr);
    vouchers.push_back(std::move(j));
  }
  out["contacts"] = std::move(contacts);
  out["addresses"] = std::move(addresses);
  out["communicationWays"] = std::move(ways);
  out["tempFiles"] = std::move(temp);
  out["documents"] = std::move(docs);
  out["vouchers"] = std::move(vouchers);
  return out;
}

Status RestoreAccountState(Account& a, const Json& s) {
  try {
    a.revoked = s.value("revoked", false);
    a.created_at = s.value("created", a.created_at);
    a.upload_counter = s.value("uploadCounter", std::uint64_t{0});
    for (const auto& c : s.at("contacts")) {
      ContactRec rec{c.at("wire"), c.value("person", false)};
      a.contacts.emplace(std::stoll(rec.wire.at("id").get<std::string>()), std::move(rec));
    }
    for (const auto& r : s.at("addresses")) {
      AddressRec rec{r.at("wire"), r.at("contactId").get<std::int64_t>()};
      a.addresses.emplace(std::stoll(rec.wire.at("id").get<std::string>()), std::move(rec));
    }
    for (const auto& r : s.at("communicationWays")) {
      CommWayRec rec{r.at("wire"), r.at("contactId").get<std::int64_t>()};
      a.comm_ways.emplace(std::stoll(rec.wire.at("id").get<std::string>()), std::move(rec));
    }
    for (const auto& f : s.at("tempFiles")) {
      auto file = FileFromState(f);
      if (!file) return Fail(ErrorCode::kInvalidArgument, "bad_state", "Corrupt temp file");
      a.temp_files.emplace(file->filename, std::move(*file));
    }
    for (const auto& d : s.at("documents")) {
      auto file = FileFromState(d);
      if (!file) return Fail(ErrorCode::kInvalidArgument, "bad_state", "Corrupt document");
      const auto id = d.at("id").get<std::int64_t>();
      a.documents.emplace(id, DocumentRec{id, std::move(*file)});
    }
    for (const auto& v : s.at("vouchers")) {
      VoucherRec rec;
      rec.wire = v.at("wire");
      for (const auto& p : v.at("positions")) rec.positions.push_back(p);
      if (v["documentId"].is_number_integer())
        rec.document_id = v["documentId"].get<std::int64_t>();
      if (v["supplierId"].is_number_integer())
        rec.supplier_id = v["supplierId"].get<std::int64_t>();
      if (v["voucherDateUnix"].is_number_integer()) {
        rec.voucher_date_unix = v["voucherDateUnix"].get<std::int64_t>();
      }
      a.vouchers.emplace(std::stoll(rec.wire.at("id").get<std::string>()), std::move(rec));
    }
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInvalidArgument, "bad_state",
                std::string("Cannot read the sandbox state: ") + e.what());
  }
  return {};
}

}  // namespace hs::sevdesk::sandbox
