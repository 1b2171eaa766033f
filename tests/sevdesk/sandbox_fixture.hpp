#pragma once
// Runs the sandbox in-process on a free port and talks to it over real HTTP.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "http/client.hpp"
#include "sevdesk/sandbox/sandbox.hpp"

namespace hs::sevdesk::sandbox::testing {

using Json = nlohmann::ordered_json;

inline constexpr char kTokenA[] = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
inline constexpr char kTokenB[] = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";
inline constexpr char kTokenKlein[] = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";
inline constexpr char kTokenV1[] = "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3";
inline constexpr char kTokenNoApi[] = "e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4";

struct Reply {
  int status = 0;     // 0: no answer (reset, time-out)
  std::string error;  // client error when status == 0
  std::string body;
  Json json;  // discarded when the body is not JSON
  std::optional<std::string> retry_after;
};

// A small PDF with a NUL and high bytes, so byte-identity checks mean something.
std::string SamplePdf(const std::string& marker = "HS-2026-0042");

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  virtual SandboxSettings Settings();
  void Restart();  // stop and start again with the same settings (keeps the state file)

  Reply Get(const std::string& path, const std::string& token = kTokenA);
  Reply Post(const std::string& path, const Json& body, const std::string& token = kTokenA);
  Reply Put(const std::string& path, const Json& body, const std::string& token = kTokenA);
  Reply Send(const std::string& method, const std::string& path, const std::string& body,
             const std::optional<std::string>& token);
  Reply Upload(const std::string& bytes, const std::string& filename = "rechnung.pdf",
               const std::string& token = kTokenA);
  Reply Admin(const std::string& method, const std::string& path, const Json& body = nullptr);
  // Over a fresh connection with its own deadline (time-out and reset tests).
  Reply SendWithTimeout(const std::string& method, const std::string& path, const std::string& body,
                        const std::string& token, std::chrono::milliseconds timeout);
  // How many contacts (persons included) carry this customer number.
  std::size_t CountContacts(const std::string& customer_number, const std::string& token = kTokenA);
  // A contact create body for a person with this customer number.
  static Json PersonBody(const std::string& customer_number);

  // Helpers for the common happy path.
  std::string CreatePerson(const std::string& customer_number, const std::string& token = kTokenA);
  std::string UploadPdf(const std::string& bytes, const std::string& token = kTokenA);
  static Json VoucherBody(const std::string& filename, const std::string& supplier_id,
                          const std::string& gross = "178.50");
  std::int64_t DatevId(int rule, const std::string& rate_name, const std::string& token = kTokenA);

  SandboxSettings settings_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<http::Client> client_;
  std::string state_file_;
};

}  // namespace hs::sevdesk::sandbox::testing
