// Seeding an account with existing contacts, addresses and communication ways (admin API and
// config file). Every object goes through the same handler as POST /Contact, /ContactAddress and
// /CommunicationWay, so seeded objects are indistinguishable from created ones (ids, dates, wire
// shape, validation). A seed is applied whole or not at all.
#include <map>
#include <string>

#include "sevdesk/sandbox/account.hpp"

namespace hs::sevdesk::sandbox {

namespace {

struct SeedRun {
  Account& account;
  IdCounters& ids;
  Instant now;
};

// Runs one API create handler on `body`; returns the created object or the API's error message.
Result<Json> RunCreate(SeedRun& run, ApiHandler handler, const Json& body) {
  http::Request request;
  request.method = "POST";
  request.body = body.dump();
  const std::map<std::string, std::string> params;
  // Seeded objects exist before the test starts: no search lag.
  Ctx ctx{.account = run.account,
          .request = request,
          .params = params,
          .ids = run.ids,
          .now = run.now,
          .search_lag = std::chrono::milliseconds{0},
          .rounding = Rounding::kDecimal};
  const http::Response response = handler(ctx);
  const Json answer = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (response.status == 201 && answer.is_object() && answer["objects"].is_object()) {
    return answer["objects"];
  }
  std::string message = "refused";
  if (answer.is_object() && answer["error"].is_object() && answer["error"]["message"].is_string()) {
    message = answer["error"]["message"].get<std::string>();
  }
  return Fail(ErrorCode::kInvalidArgument, "bad_seed", message);
}

Status Refuse(const std::string& where, const std::string& message) {
  return Fail(ErrorCode::kInvalidArgument, "bad_seed", where + ": " + message);
}

void Default(Json& body, const char* key, const Json& value) {
  if (!body.contains(key) || body[key].is_null()) body[key] = value;
}

// Creates the children (addresses or communication ways) of one seeded contact.
Status SeedChildren(SeedRun& run, const Json& list, const std::string& where,
                    const std::string& contact_id, bool addresses) {
  if (!list.is_array()) return Refuse(where, "must be an array");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!list[i].is_object()) return Refuse(at, "must be a JSON object");
    if (list[i].contains("id")) return Refuse(at, "ids are assigned by the sandbox");
    Json body = list[i];
    body["contact"] = Ref(contact_id, "Contact");
    if (addresses) {
      Default(body, "country", Ref("1", "StaticCountry"));  // Deutschland
      Default(body, "category", Ref("47", "Category"));     // Rechnungsanschrift
    } else {
      Default(body, "type", "EMAIL");
      Default(body, "key", Ref("2", "CommunicationWayKey"));  // Arbeit
    }
    auto created = RunCreate(run, addresses ? CreateAddress : CreateCommWay, body);
    if (!created) return Refuse(at, created.error().message);
  }
  return {};
}

Status SeedContact(SeedRun& run, const Json& contact, const std::string& where) {
  if (!contact.is_object()) return Refuse(where, "must be a JSON object");
  if (contact.contains("id")) return Refuse(where, "ids are assigned by the sandbox");
  Json body = contact;
  body.erase("addresses");
  body.erase("communicationWays");
  Default(body, "category", Ref("3", "Category"));  // Kunde
  auto created = RunCreate(run, CreateContact, body);
  if (!created) return Refuse(where, created.error().message);
  const std::string id = (*created)["id"].get<std::string>();
  if (contact.contains("addresses")) {
    auto s = SeedChildren(run, contact["addresses"], where + ".addresses", id, true);
    if (!s) return s;
  }
  if (!contact.contains("communicationWays")) return {};
  return SeedChildren(run, contact["communicationWays"], where + ".communicationWays", id, false);
}

}  // namespace

Status SeedContacts(Account& account, IdCounters& ids, Instant now, const Json& contacts) {
  if (!contacts.is_array()) return Refuse("contacts", "must be an array");
  // Bad input loses nothing: the account's contact data is restored on the first refusal.
  auto saved_contacts = account.contacts;
  auto saved_addresses = account.addresses;
  auto saved_ways = account.comm_ways;
  SeedRun run{account, ids, now};
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    if (auto s = SeedContact(run, contacts[i], "contacts[" + std::to_string(i) + "]"); !s) {
      account.contacts = std::move(saved_contacts);
      account.addresses = std::move(saved_addresses);
      account.comm_ways = std::move(saved_ways);
      return s;
    }
  }
  return {};
}

}  // namespace hs::sevdesk::sandbox
