#pragma once
// A contact as the Kundenabgleich reads it from sevdesk (ADR 0013): filled by the gateway
// (app::SevdeskGateway::ListContacts), matched by domain/contact_matching.hpp.
#include <string>
#include <vector>

#include "domain/school.hpp"

namespace hs::domain {

// A contact as read from sevdesk (Contact with its ContactAddress and CommunicationWay EMAIL
// objects). sevdesk keeps a person as surename/familyname and an organisation as name; contacts
// from a bank import are often organisations named like a person ("Müller, Anna").
struct SevdeskContact {
  std::string id;
  std::string customer_number;  // customerNumber; ours look like "HS-17"
  bool organisation = false;
  std::string name;        // organisation
  std::string first_name;  // surename
  std::string last_name;   // familyname
  std::vector<Address> addresses;
  std::vector<std::string> emails;
};

}  // namespace hs::domain
