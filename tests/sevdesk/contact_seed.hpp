#pragma once
// Turns sevdesk contacts (e.g. the labelled fixture of tests/domain/contact_fixture.hpp) into the
// sandbox's seed JSON (docs/sevdesk-sandbox.md, "Seeding contacts").
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "domain/sevdesk_contact.hpp"

namespace hs::sevdesk::sandbox::testing {

// sevdesk's StaticCountry id of an ISO code (the ones the fixture uses; others: Deutschland).
inline int StaticCountryId(const std::string& iso) {
  if (iso == "CH") return 2;
  if (iso == "AT") return 3;
  if (iso == "FR") return 11;
  return 1;
}

inline nlohmann::ordered_json SeedContactJson(const domain::SevdeskContact& contact) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (contact.organisation) {
    out["name"] = contact.name;
  } else {
    out["surename"] = contact.first_name;
    out["familyname"] = contact.last_name;
  }
  if (!contact.customer_number.empty()) out["customerNumber"] = contact.customer_number;
  out["addresses"] = nlohmann::ordered_json::array();
  for (const auto& address : contact.addresses) {
    out["addresses"].push_back(
        {{"street", address.street},
         {"zip", address.zip},
         {"city", address.city},
         {"country", {{"id", StaticCountryId(address.country)}, {"objectName", "StaticCountry"}}}});
  }
  out["communicationWays"] = nlohmann::ordered_json::array();
  for (const auto& email : contact.emails) {
    out["communicationWays"].push_back({{"type", "EMAIL"}, {"value", email}});
  }
  return out;
}

// {"contacts":[...]}, the body of POST /__sandbox/accounts/{account}/contacts.
inline nlohmann::ordered_json SeedJson(const std::vector<domain::SevdeskContact>& contacts) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& contact : contacts) list.push_back(SeedContactJson(contact));
  return {{"contacts", std::move(list)}};
}

}  // namespace hs::sevdesk::sandbox::testing
