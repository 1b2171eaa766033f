// `hundeschule demo`: a demo school with sample data, its sevdesk account in the built-in sandbox.
#include <cstdio>
#include <filesystem>

#include "app/demo_data.hpp"
#include "composition/commands.hpp"
#include "composition/options.hpp"
#include "sevdesk/sandbox/sandbox.hpp"

namespace hs::composition {

namespace {

// The demo school's token in the built-in sandbox (not a real sevdesk token).
constexpr const char* kDemoSevdeskToken = "d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0";

int Die(const std::string& message) {
  std::fprintf(stderr, "hundeschule: %s\n", message.c_str());
  return 1;
}

sevdesk::sandbox::SandboxSettings DemoSandbox(const DemoArgs& demo, const std::string& host,
                                              const std::string& school_name) {
  sevdesk::sandbox::SandboxSettings settings;
  settings.host = host;
  settings.port = demo.sandbox_port;
  settings.state_file = demo.sandbox_state;
  sevdesk::sandbox::AccountSettings account;
  account.token = kDemoSevdeskToken;
  account.name = school_name;
  settings.accounts.push_back(account);
  if (auto parent = std::filesystem::path(demo.sandbox_state).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  return settings;
}

bool DemoSchoolExists(Office& office, const std::string& owner_email) {
  auto uow = office.db->Begin(app::TxKind::kRead);
  if (!uow) return false;
  auto u = (*uow)->Users().FindByEmail(owner_email);
  return u && u->has_value();
}

// The demo school with its data, connected to the sandbox: token, test, activate. Its receipts
// stay untransferred so the owner can try "Zu Sevdesk übertragen".
Status CreateDemoSchool(Office& office, const app::DemoSettings& demo) {
  std::printf("Creating the demo school (about 30 customers, 120 invoices) ...\n");
  const Services& s = office.services;
  auto created =
      app::CreateDemoSchool(*s.schools, *s.customers, *s.invoices, *s.receipts, office.clock, demo);
  if (!created) return tl::unexpected(created.error());
  app::Principal owner{0, created->school_id, app::Role::kOwner, demo.owner_email, ""};
  app::ConnectionUpdate set_token;
  set_token.token = kDemoSevdeskToken;
  if (auto up = s.sevdesk->UpdateConnection(owner, set_token); !up) {
    return tl::unexpected(up.error());
  }
  auto tested = s.sevdesk->Test(owner);
  if (!tested || !tested->ok) {
    return Fail(ErrorCode::kUnavailable, "demo_test", "demo: sevdesk sandbox test failed");
  }
  app::ConnectionUpdate enable;
  enable.enabled = true;
  if (auto on = s.sevdesk->UpdateConnection(owner, enable); !on) {
    return tl::unexpected(on.error());
  }
  return {};
}

}  // namespace

int RunDemo(const DemoArgs& args, HttpSettings http, const KeySettings& key,
            TransferSettings transfer, const sigset_t& signals) {
  DatabaseSettings db;
  db.url = args.database;
  http.listen = args.listen;
  http.password_cost = "interactive";
  const auto listen = ParseListen(http.listen);
  if (!listen) return Die(listen.error().message);
  const app::DemoSettings demo;
  // The built-in sevdesk sandbox stands in for the school's sevdesk account.
  sevdesk::sandbox::Sandbox sandbox(DemoSandbox(args, listen->first, demo.school_name));
  // The sandbox answers instantly, so the demo may pace faster than a real account.
  transfer.rate = 50;
  transfer.burst = 50;
  auto sandbox_port = sandbox.Start();
  if (!sandbox_port) return Die(sandbox_port.error().message);
  transfer.sevdesk_base_url = sandbox.BaseUrl() + "/api/v1";
  transfer.voucher_link_template = sandbox.BaseUrl() + "/?voucher={id}";
  auto office = BuildOffice(db, http, key, transfer);
  if (!office) return Die(office.error().message);
  if (!DemoSchoolExists(**office, demo.owner_email)) {
    if (auto st = CreateDemoSchool(**office, demo); !st) return Die(st.error().message);
  }
  const std::string sandbox_url = sandbox.BaseUrl() + "/";
  return RunServe(**office, http, true, signals, [&](int port) {
    std::printf(
        "\nhundeschule demo is running:\n  URL:      http://%s:%d/\n  Login:    %s\n  "
        "Password: %s\n  sevdesk sandbox (what arrived in \"sevdesk\"): %s\nStop with "
        "Ctrl+C.\n",
        listen->first.c_str(), port, demo.owner_email.c_str(), demo.owner_password.c_str(),
        sandbox_url.c_str());
    std::fflush(stdout);
  });
}

}  // namespace hs::composition
