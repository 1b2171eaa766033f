// Prints a seed for the sevdesk sandbox: the labelled contact fixture's sevdesk contacts as
// {"contacts":[...]} (docs/sevdesk-sandbox.md, "Seeding contacts").
//   sandbox_contact_seed [CONTACTS=2000] > seed.json
//   curl -X POST localhost:8090/__sandbox/accounts/TOKEN/contacts --data-binary @seed.json
#include <cstdio>
#include <cstdlib>
#include <string>

#include "contact_fixture.hpp"
#include "contact_seed.hpp"

int main(int argc, char** argv) {
  const long contacts = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 2000;
  if (contacts < 4) {
    std::fprintf(stderr, "usage: sandbox_contact_seed [CONTACTS >= 4]\n");
    return 2;
  }
  const auto count = static_cast<std::size_t>(contacts);
  const auto fixture = hs::fixture::MakeContactFixture(count / 4, count);
  std::puts(hs::sevdesk::sandbox::testing::SeedJson(fixture.contacts).dump(1).c_str());
  return 0;
}
