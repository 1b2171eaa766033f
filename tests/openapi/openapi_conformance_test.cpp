// Proves that docs/openapi.yaml describes the JSON API exactly: every route of the server's route
// table is documented, and the real `hundeschule` binary answers every documented operation with
// statuses, headers and bodies that conform to the document.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/api/routes.hpp"
#include "http/client.hpp"
#include "schema_validator.hpp"
#include "server_process.hpp"

namespace hs::openapi_test {
namespace {

const char* const kMethods[] = {"get", "post", "put", "patch", "delete"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const Json& Doc() {
  static const Json doc = LoadYamlAsJson(HS_OPENAPI_YAML);
  return doc;
}

const SchemaValidator& Validator() {
  static const SchemaValidator validator(Doc());
  return validator;
}

struct Operation {
  std::string method;  // upper case
  std::string path;
  const Json* spec = nullptr;
};

std::vector<Operation> DocumentedOperations() {
  std::vector<Operation> out;
  for (const auto& [path, item] : Doc()["paths"].items()) {
    for (const char* m : kMethods) {
      if (item.contains(m)) out.push_back({Upper(m), path, &item[m]});
    }
  }
  return out;
}

const Json* FindOperation(const std::string& method, const std::string& path) {
  const Json& paths = Doc()["paths"];
  if (!paths.contains(path)) return nullptr;
  const std::string m = Lower(method);
  if (!paths[path].contains(m)) return nullptr;
  return &paths[path][m];
}

// The security requirement in force: the operation's own, else the document's.
const Json& EffectiveSecurity(const Json& op) {
  return op.contains("security") ? op["security"] : Doc()["security"];
}
bool RequiresScheme(const Json& op, const std::string& scheme) {
  const Json& security = EffectiveSecurity(op);
  if (security.empty()) return false;
  for (const auto& requirement : security) {
    if (!requirement.contains(scheme)) return false;  // every alternative needs it
  }
  return true;
}

// The operation's parameters (a reference into the document, never a temporary).
const Json& ParametersOf(const Json& op) {
  static const Json kNone = Json::array();
  return op.contains("parameters") ? op["parameters"] : kNone;
}

struct ServerRoute {
  std::string kind;     // "Public" or "Authed"
  std::string summary;  // the route table's summary of the operation
};

// The server's route table (http/api/routes.hpp): {"GET /api/v1/me" -> {"Authed", "..."}}.
std::map<std::string, ServerRoute> ServerRoutes() {
  std::map<std::string, ServerRoute> routes;
  for (const auto& route : http::api::ApiRoutes()) {
    const std::string key = std::string(route.method) + " " + std::string(route.pattern);
    EXPECT_FALSE(routes.count(key)) << "route " << key << " is in the route table twice";
    EXPECT_NE(route.handler, nullptr) << "route " << key << " has no handler";
    routes[key] = {route.access == http::api::Access::kPublic ? "Public" : "Authed",
                   std::string(route.summary)};
  }
  return routes;
}

// Every schema of the document (components and inline), with a location for messages.
void ForEachSchema(const Json& schema, const std::string& where,
                   const std::function<void(const Json&, const std::string&)>& fn) {
  if (!schema.is_object()) return;
  fn(schema, where);
  if (schema.contains("properties")) {
    for (const auto& [k, v] : schema["properties"].items()) {
      ForEachSchema(v, where + ".properties." + k, fn);
    }
  }
  if (schema.contains("items")) ForEachSchema(schema["items"], where + ".items", fn);
  if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
    ForEachSchema(schema["additionalProperties"], where + ".additionalProperties", fn);
  }
  for (const char* list : {"allOf", "oneOf", "anyOf"}) {
    if (!schema.contains(list)) continue;
    for (std::size_t i = 0; i < schema[list].size(); ++i) {
      ForEachSchema(schema[list][i], where + "." + list + "[" + std::to_string(i) + "]", fn);
    }
  }
}

void ForEachDocumentSchema(const std::function<void(const Json&, const std::string&)>& fn) {
  for (const auto& [name, s] : Doc()["components"]["schemas"].items()) {
    ForEachSchema(s, "components.schemas." + name, fn);
  }
  auto content_schemas = [&](const Json& holder, const std::string& where) {
    if (!holder.is_object() || !holder.contains("content")) return;
    for (const auto& [media, body] : holder["content"].items()) {
      if (body.contains("schema")) ForEachSchema(body["schema"], where + "." + media, fn);
    }
  };
  auto params = [&](const Json& list, const std::string& where) {
    for (const auto& p : list) {
      if (p.contains("schema")) ForEachSchema(p["schema"], where + ".parameters", fn);
    }
  };
  for (const auto& [name, p] : Doc()["components"]["parameters"].items()) {
    ForEachSchema(p["schema"], "components.parameters." + name, fn);
  }
  for (const auto& [name, r] : Doc()["components"]["responses"].items()) {
    content_schemas(r, "components.responses." + name);
  }
  for (const auto& op : DocumentedOperations()) {
    const std::string where = op.method + " " + op.path;
    if (op.spec->contains("parameters")) params((*op.spec)["parameters"], where);
    if (op.spec->contains("requestBody")) content_schemas((*op.spec)["requestBody"], where);
    for (const auto& [status, r] : (*op.spec)["responses"].items()) {
      content_schemas(r, where + " " + status);
    }
  }
}

void CollectRefs(const Json& node, std::vector<std::string>& refs) {
  if (node.is_object()) {
    for (const auto& [k, v] : node.items()) {
      if (k == "$ref" && v.is_string()) refs.push_back(v.get<std::string>());
      CollectRefs(v, refs);
    }
  } else if (node.is_array()) {
    for (const auto& v : node) CollectRefs(v, refs);
  }
}

// ---------------------------------------------------------------------------- static checks

TEST(OpenApiDocument, EveryServerRouteIsDocumentedAndNothingElse) {
  const auto routes = ServerRoutes();
  ASSERT_GE(routes.size(), 27u) << "the route table looks incomplete";
  std::set<std::string> documented;
  for (const auto& op : DocumentedOperations()) documented.insert(op.method + " " + op.path);
  for (const auto& [route, r] : routes) {
    EXPECT_TRUE(documented.count(route))
        << "route " << route << " (" << r.kind << ") is missing in docs/openapi.yaml";
  }
  for (const auto& op : documented) {
    EXPECT_TRUE(routes.count(op)) << "docs/openapi.yaml documents " << op
                                  << ", which the server does not register";
  }
}

TEST(OpenApiDocument, SecurityMatchesTheRouteTable) {
  for (const auto& [route, r] : ServerRoutes()) {
    const std::string& kind = r.kind;
    const auto space = route.find(' ');
    const std::string method = route.substr(0, space);
    const Json* op = FindOperation(method, route.substr(space + 1));
    if (!op) continue;  // reported by the test above
    const Json& responses = (*op)["responses"];
    if (kind == "Public") {
      EXPECT_TRUE(EffectiveSecurity(*op).empty()) << route << " is public: security must be []";
      continue;
    }
    EXPECT_TRUE(RequiresScheme(*op, "sessionCookie")) << route << " needs the session cookie";
    EXPECT_TRUE(responses.contains("401")) << route << " must document 401";
    const bool csrf = method != "GET";
    EXPECT_EQ(RequiresScheme(*op, "csrfToken"), csrf)
        << route << (csrf ? " must" : " must not") << " require X-CSRF-Token";
    if (csrf) {
      EXPECT_TRUE(responses.contains("403")) << route << " must document 403";
      bool has_param = false;
      for (const auto& p : ParametersOf(*op)) {
        const Json* param = Validator().Deref(p);
        has_param = has_param || (param && (*param)["name"] == "X-CSRF-Token");
      }
      EXPECT_TRUE(has_param) << route << " must list the X-CSRF-Token header parameter";
    }
  }
}

TEST(OpenApiDocument, SummariesMatchTheRouteTable) {
  for (const auto& [route, r] : ServerRoutes()) {
    const auto space = route.find(' ');
    const Json* op = FindOperation(route.substr(0, space), route.substr(space + 1));
    if (!op) continue;  // reported above
    EXPECT_EQ(op->value("summary", ""), r.summary) << route;
  }
}

TEST(OpenApiDocument, ReferencesResolveAndSchemasUseKnownKeywords) {
  EXPECT_EQ(Doc()["openapi"], "3.0.3");
  std::vector<std::string> refs;
  CollectRefs(Doc(), refs);
  EXPECT_GT(refs.size(), 50u);
  for (const auto& ref : refs) {
    EXPECT_NE(Validator().ResolveRef(ref), nullptr) << "unresolvable $ref " << ref;
  }
  int schemas = 0;
  ForEachDocumentSchema([&](const Json& schema, const std::string& where) {
    ++schemas;
    for (const auto& [key, _] : schema.items()) {
      EXPECT_TRUE(SchemaValidator::KnownKeywords().count(key) || key.rfind("x-", 0) == 0)
          << where << ": keyword \"" << key << "\" is not understood by the validator";
    }
    if (schema.contains("$ref")) {
      EXPECT_EQ(schema.size(), 1u) << where << ": siblings of $ref are ignored in OpenAPI 3.0";
    }
  });
  EXPECT_GT(schemas, 100);
  // Every error response is JSON with a schema that accepts a well-formed error body.
  for (const auto& op : DocumentedOperations()) {
    for (const auto& [status, r] : (*op.spec)["responses"].items()) {
      const Json* response = Validator().Deref(r);
      ASSERT_NE(response, nullptr);
      if (status[0] != '4') continue;
      ASSERT_TRUE(response->contains("content")) << op.method << " " << op.path << " " << status;
      ASSERT_TRUE((*response)["content"].contains("application/json"))
          << op.method << " " << op.path << " " << status;
      const Json& schema = (*response)["content"]["application/json"]["schema"];
      const auto errors = Validator().Validate(
          schema, Json{{"code", 1}, {"message", "x"}, {"details", Json::array()}},
          Direction::kResponse);
      EXPECT_FALSE(errors.empty()) << op.method << " " << op.path << " " << status
                                   << ": the error schema accepts a numeric code";
    }
  }
}

TEST(OpenApiDocument, ValidatorDistinguishesIntegerNumberAndNull) {
  const Json schema = {{"type", "object"},
                       {"additionalProperties", false},
                       {"required", {"a", "b"}},
                       {"properties",
                        {{"a", {{"type", "integer"}}},
                         {"b", {{"type", "string"}, {"nullable", true}}},
                         {"c", {{"$ref", "#/components/schemas/Date"}}}}}};
  EXPECT_TRUE(
      Validator().Validate(schema, {{"a", 1}, {"b", nullptr}}, Direction::kResponse).empty());
  const auto errors = Validator().Validate(schema, {{"a", 1.5}, {"c", "2025-02-30"}, {"d", true}},
                                           Direction::kResponse);
  const std::string all = Join(errors);
  EXPECT_NE(all.find("$.a: expected integer, got number"), std::string::npos) << all;
  EXPECT_NE(all.find("required property \"b\""), std::string::npos) << all;
  EXPECT_NE(all.find("$.c: \"2025-02-30\" is not a date"), std::string::npos) << all;
  EXPECT_NE(all.find("$.d: property is not documented"), std::string::npos) << all;
}

// ---------------------------------------------------------------------------- the live server

enum class Auth { kAsDocumented, kNone, kCookieOnly };

struct Call {
  std::string method;
  std::string path;  // as documented, e.g. "/api/v1/customers/{id}"
  std::string id;    // substituted for {id}
  std::string query;
  std::optional<Json> json;             // validated against the documented request body
  std::optional<std::string> raw_body;  // sent as is, not validated
  std::string content_type = "application/json";
  std::vector<http::MultipartPart> parts;  // multipart/form-data when not empty
  Auth auth = Auth::kAsDocumented;
};

struct Reply {
  int status = 0;
  Json json;  // parsed when the body is JSON
  std::string body;
  http::ClientResponse raw;
  std::string Code() const { return json.is_object() ? json.value("code", "") : ""; }
  bool HasDetail(const std::string& field) const {
    if (!json.is_object() || !json.contains("details")) return false;
    for (const auto& d : json["details"]) {
      if (d.value("field", "") == field) return true;
    }
    return false;
  }
};

std::string Describe(const Reply& r) {
  return std::to_string(r.status) + " " + r.body.substr(0, 600);
}

constexpr const char* kOwnerEmail = "inhaberin@example.de";
constexpr const char* kOwnerPassword = "geheimes-passwort-1";
constexpr const char* kStaffEmail = "mitarbeiter@example.de";
constexpr const char* kStaffPassword = "geheimes-passwort-2";
// The API token of the school's account in the sandbox (not a real sevdesk token).
constexpr const char* kSandboxToken = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

// A tiny PDF as the upload check wants it: the %PDF- header and the %%EOF trailer.
const std::string kPdfBytes = "%PDF-1.4\n% hundeschule test\n%%EOF\n";
// A small XRechnung (CII) of 23.80 EUR whose sums add up, for the e-invoice receipt.
const std::string kCiiBytes = R"(<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>F-124</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20250210</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>
<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct><ram:Name>Hundefutter</ram:Name></ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">2</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>20.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>
<ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Futterhaus</ram:Name><ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty><ram:BuyerTradeParty><ram:Name>Hundeschule</ram:Name></ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode><ram:ApplicableTradeTax><ram:CalculatedAmount>3.80</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>20.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax><ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">20250224</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms><ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>20.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>20.00</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID="EUR">3.80</ram:TaxTotalAmount><ram:GrandTotalAmount>23.80</ram:GrandTotalAmount><ram:DuePayableAmount>23.80</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>
</rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
)";

class OpenApiConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hs-openapi-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::string db = "sqlite:" + dir_ + "/hundeschule.db";
    auto tenant = RunCommand(HS_BINARY,
                             {"tenant", "create", "--name", "Hundeschule Pfote", "--database", db});
    ASSERT_EQ(tenant.exit_code, 0) << tenant.output;
    const std::string school = std::to_string(std::stoll(tenant.output));
    auto owner = RunCommand(HS_BINARY,
                            {"user", "add", "--tenant", school, "--email", kOwnerEmail,
                             "--password-stdin", "--password-cost", "minimum", "--database", db},
                            std::string(kOwnerPassword) + "\n");
    ASSERT_EQ(owner.exit_code, 0) << owner.output;
    auto staff =
        RunCommand(HS_BINARY,
                   {"user", "add", "--tenant", school, "--email", kStaffEmail, "--role", "staff",
                    "--password-stdin", "--password-cost", "minimum", "--database", db},
                   std::string(kStaffPassword) + "\n");
    ASSERT_EQ(staff.exit_code, 0) << staff.output;
    std::string error;
    // The school's sevdesk account: a `hundeschule sevdesk-sandbox` process on loopback.
    ASSERT_TRUE(sandbox_.Start(HS_BINARY,
                               {"sevdesk-sandbox", "--listen", "127.0.0.1:0", "--port-file",
                                dir_ + "/sandbox-port", "--account", kSandboxToken},
                               dir_ + "/sandbox-port", dir_ + "/sandbox.log",
                               std::chrono::seconds(30), error))
        << error;
    const std::string sandbox_url = "http://127.0.0.1:" + std::to_string(sandbox_.port());
    sandbox_client_ = std::make_unique<http::Client>(sandbox_url, std::chrono::seconds(20));
    // One attempt per transfer, so that an injected fault is a final "failed" at once.
    ASSERT_TRUE(server_.Start(HS_BINARY,
                              {"serve",
                               "--listen",
                               "127.0.0.1:0",
                               "--port-file",
                               dir_ + "/port",
                               "--password-cost",
                               "minimum",
                               "--threads",
                               "4",
                               "--database",
                               db,
                               "--key-file",
                               dir_ + "/secret.key",
                               "--sevdesk-base-url",
                               sandbox_url + "/api/v1",
                               "--sevdesk-max-attempts",
                               "1",
                               "--sevdesk-rate",
                               "100",
                               "--sevdesk-burst",
                               "100",
                               "--sevdesk-timeout-ms",
                               "10000",
                               "--workers",
                               "2"},
                              dir_ + "/port", dir_ + "/server.log", std::chrono::seconds(30),
                              error))
        << error;
    client_ = std::make_unique<http::Client>("http://127.0.0.1:" + std::to_string(server_.port()),
                                             std::chrono::seconds(20));
  }

  void TearDown() override {
    client_.reset();
    sandbox_client_.reset();
    const int status = server_.Stop();
    EXPECT_EQ(status, 0) << "the server did not shut down cleanly on SIGTERM; log:\n"
                         << ReadFile(dir_ + "/server.log");
    const int sandbox_status = sandbox_.Stop();
    EXPECT_EQ(sandbox_status, 0) << "the sandbox did not shut down cleanly on SIGTERM; log:\n"
                                 << ReadFile(dir_ + "/sandbox.log");
    if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // A call to the sandbox's admin API (fault injection, token revocation).
  void SandboxAdmin(const std::string& method, const std::string& target,
                    const Json& body = nullptr, int expected_status = 200) {
    auto res = sandbox_client_->Send(method, "/__sandbox" + target, {},
                                     body.is_null() ? "" : body.dump(), "application/json");
    ASSERT_TRUE(res.has_value()) << method << " " << target;
    ASSERT_EQ(res->status, expected_status) << method << " " << target << ": " << res->body;
  }

  // Sends a documented operation and checks the answer against the document.
  Reply Send(const Call& call) {
    Reply reply;
    const Json* op = FindOperation(call.method, call.path);
    if (!op) {
      ADD_FAILURE() << call.method << " " << call.path << " is not documented";
      return reply;
    }
    const std::string where = call.method + " " + call.path;
    std::string path = call.path;
    for (const std::string param : {"{id}", "{batch}", "{customer}"}) {
      if (auto pos = path.find(param); pos != std::string::npos) {
        path.replace(pos, param.size(), call.id);
      }
    }
    if (call.auth != Auth::kNone && call.json) CheckRequest(*op, where, call);
    if (call.auth == Auth::kAsDocumented && !call.query.empty()) CheckQuery(*op, where, call.query);

    std::vector<std::pair<std::string, std::string>> headers;
    const bool cookie = call.auth != Auth::kNone && RequiresScheme(*op, "sessionCookie");
    if (cookie && !session_.empty()) headers.emplace_back("Cookie", "hs_session=" + session_);
    if (call.auth == Auth::kAsDocumented && RequiresScheme(*op, "csrfToken")) {
      headers.emplace_back("X-CSRF-Token", csrf_);
    }
    const std::string target = path + (call.query.empty() ? "" : "?" + call.query);
    Result<http::ClientResponse> res =
        call.parts.empty()
            ? client_->Send(call.method, target, headers,
                            call.raw_body ? *call.raw_body : (call.json ? call.json->dump() : ""),
                            call.content_type)
            : client_->SendMultipart(target, headers, call.parts);
    if (!res) {
      ADD_FAILURE() << where << ": no answer: " << res.error().message;
      return reply;
    }
    reply.raw = *res;
    reply.status = res->status;
    reply.body = res->body;
    const auto ct = res->Header("Content-Type").value_or("");
    if (ct.rfind("application/json", 0) == 0 && !res->body.empty()) {
      reply.json = Json::parse(res->body, nullptr, false);
    }
    CheckResponse(*op, where, reply);
    exercised_.insert(call.method + " " + call.path + " " + std::to_string(reply.status));
    RecordSevdeskStatuses(reply);
    return reply;
  }

  void CheckRequest(const Json& op, const std::string& where, const Call& call) {
    ASSERT_TRUE(op.contains("requestBody")) << where << ": a body is sent, none is documented";
    const Json& content = op["requestBody"]["content"];
    ASSERT_TRUE(content.contains("application/json")) << where;
    const auto errors = Validator().Validate(content["application/json"]["schema"], *call.json,
                                             Direction::kRequest, "request");
    EXPECT_TRUE(errors.empty()) << where << ": the request body the test sends does not conform "
                                << "to the documented request schema:\n  " << Join(errors)
                                << "\nbody: " << call.json->dump();
  }

  void CheckQuery(const Json& op, const std::string& where, const std::string& query) {
    std::map<std::string, const Json*> documented;
    for (const auto& p : ParametersOf(op)) {
      const Json* param = Validator().Deref(p);
      if (param && (*param)["in"] == "query") documented[(*param)["name"]] = param;
    }
    std::stringstream parts(query);
    std::string pair;
    while (std::getline(parts, pair, '&')) {
      const auto eq = pair.find('=');
      const std::string name = pair.substr(0, eq);
      const std::string text = eq == std::string::npos ? "" : pair.substr(eq + 1);
      auto it = documented.find(name);
      if (it == documented.end()) {
        ADD_FAILURE() << where << ": query parameter \"" << name << "\" is not documented";
        continue;
      }
      const Json& schema = (*it->second)["schema"];
      Json value = text;
      const Json* resolved = Validator().Deref(schema);
      if (resolved && resolved->value("type", "") == "integer") {
        std::int64_t n = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec == std::errc() && ptr == text.data() + text.size()) value = n;
      }
      const auto errors = Validator().Validate(schema, value, Direction::kRequest, name);
      EXPECT_TRUE(errors.empty()) << where << ": query " << pair << " does not conform:\n  "
                                  << Join(errors);
    }
  }

  void CheckResponse(const Json& op, const std::string& where, const Reply& reply) {
    const std::string status = std::to_string(reply.status);
    const Json& responses = op["responses"];
    if (!responses.contains(status)) {
      ADD_FAILURE() << where << " answered " << status
                    << ", which docs/openapi.yaml does not document for it; body: " << reply.body;
      return;
    }
    const Json* response = Validator().Deref(responses[status]);
    ASSERT_NE(response, nullptr) << where << " " << status;
    // Headers every response carries.
    EXPECT_EQ(reply.raw.Header("X-Content-Type-Options").value_or(""), "nosniff") << where;
    EXPECT_EQ(reply.raw.Header("X-Frame-Options").value_or(""), "DENY") << where;
    EXPECT_EQ(reply.raw.Header("Cache-Control").value_or(""), "no-store") << where;
    const Json headers = response->value("headers", Json::object());
    for (const auto& [name, h] : headers.items()) {
      const Json* header = Validator().Deref(h);
      if (header && header->value("required", false)) {
        EXPECT_TRUE(reply.raw.Header(name).has_value())
            << where << " " << status << ": documented header " << name << " is missing";
      }
    }
    if (!response->contains("content")) {
      EXPECT_TRUE(reply.body.empty())
          << where << " " << status << ": documented without content, body: " << reply.body;
      return;
    }
    const std::string ct = reply.raw.Header("Content-Type").value_or("");
    const std::string media = Lower(ct.substr(0, ct.find(';')));
    const Json& content = (*response)["content"];
    if (!content.contains(media)) {
      ADD_FAILURE() << where << " " << status << ": Content-Type \"" << ct
                    << "\" is not documented (documented: " << content.dump() << ")";
      return;
    }
    if (media == "application/json") {
      if (reply.json.is_discarded() || reply.body.empty()) {
        ADD_FAILURE() << where << " " << status << ": body is not JSON: " << reply.body;
        return;
      }
      const auto errors =
          Validator().Validate(content[media]["schema"], reply.json, Direction::kResponse);
      EXPECT_TRUE(errors.empty()) << where << " " << status
                                  << ": the body does not conform to docs/openapi.yaml:\n  "
                                  << Join(errors) << "\nbody: " << reply.body.substr(0, 2000);
    } else if (media == "application/pdf") {
      EXPECT_EQ(reply.body.rfind("%PDF-", 0), 0u) << where << ": not a PDF";
    } else {
      EXPECT_FALSE(reply.body.empty()) << where << " " << status;
    }
  }

  // The documented request schema must reject what the server rejects as malformed.
  void ExpectDocumentRejects(const std::string& method, const std::string& path, const Json& body) {
    const Json* op = FindOperation(method, path);
    ASSERT_NE(op, nullptr);
    const auto errors =
        Validator().Validate((*op)["requestBody"]["content"]["application/json"]["schema"], body,
                             Direction::kRequest, "request");
    EXPECT_FALSE(errors.empty()) << method << " " << path << ": the server rejects " << body.dump()
                                 << " but the documented request schema accepts it";
  }

  // The parts the test uploads conform to the documented multipart schema (integers as text).
  void ExpectPartsConform(const std::string& path, const std::vector<http::MultipartPart>& parts) {
    const Json* op = FindOperation("POST", path);
    ASSERT_NE(op, nullptr);
    const Json& schema = (*op)["requestBody"]["content"]["multipart/form-data"]["schema"];
    const Json* resolved = Validator().Deref(schema);
    ASSERT_NE(resolved, nullptr);
    Json form = Json::object();
    for (const auto& part : parts) {
      Json value = part.content;
      const Json* prop = (*resolved)["properties"].contains(part.name)
                             ? Validator().Deref((*resolved)["properties"][part.name])
                             : nullptr;
      if (prop && prop->value("type", "") == "integer") {
        std::int64_t n = 0;
        auto [ptr, ec] =
            std::from_chars(part.content.data(), part.content.data() + part.content.size(), n);
        if (ec == std::errc() && ptr == part.content.data() + part.content.size()) value = n;
      }
      form[part.name] = value;
    }
    const auto errors = Validator().Validate(schema, form, Direction::kRequest, "form");
    EXPECT_TRUE(errors.empty()) << path << ": the uploaded form does not conform:\n  "
                                << Join(errors);
  }

  Reply Login(const std::string& email, const std::string& password) {
    Reply r = Send({.method = "POST",
                    .path = "/api/v1/session",
                    .json = Json{{"email", email}, {"password", password}}});
    if (r.status == 200) {
      const std::string cookie = r.raw.Header("Set-Cookie").value_or("");
      const auto start = cookie.find("hs_session=");
      EXPECT_EQ(start, 0u) << cookie;
      session_ = cookie.substr(11, cookie.find(';') - 11);
      csrf_ = r.json["csrf_token"];
    }
    return r;
  }

  void ExpectError(const Reply& r, int status, const std::string& code, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << Describe(r);
    EXPECT_EQ(r.Code(), code) << what << ": " << Describe(r);
  }

  Json CreateCustomer(const Json& body) {
    Reply r = Send({.method = "POST", .path = "/api/v1/customers", .json = body});
    EXPECT_EQ(r.status, 201) << Describe(r);
    return r.json;
  }
  Json CreateDraft(std::int64_t customer_id) {
    Reply r = Send({.method = "POST",
                    .path = "/api/v1/invoices",
                    .json = Json{{"customer_id", customer_id},
                                 {"invoice_date", "2025-03-01"},
                                 {"lines",
                                  {{{"text", "Welpenkurs"},
                                    {"quantity", "1"},
                                    {"unit_price_cents", 12000},
                                    {"vat_rate", 19}}}}}});
    EXPECT_EQ(r.status, 201) << Describe(r);
    return r.json;
  }
  static std::string Id(const Json& resource) {
    return resource.is_object() && resource.contains("id") ? resource["id"].dump() : "0";
  }

  std::vector<http::MultipartPart> ExpenseParts() const {
    return {{"date", "2025-02-10", "", ""},
            {"amount_gross_cents", "2380", "", ""},
            {"vat_rate", "19", "", ""},
            {"description", "Hundefutter", "", ""},
            {"supplier", "Futterhaus", "", ""},
            {"number", "F-123", "", ""},
            {"file", kPdfBytes, "beleg.pdf", "application/pdf"}};
  }

  // Remembers every receipt sevdesk status an answer carried (each was validated by Send).
  void RecordSevdeskStatuses(const Reply& reply) {
    if (reply.status / 100 != 2 || !reply.json.is_object()) return;
    auto record = [&](const Json& status) {
      if (status.is_object() && status.contains("status")) {
        sevdesk_seen_.insert(status["status"].get<std::string>());
      }
    };
    if (reply.json.contains("items") && reply.json["items"].is_array()) {
      for (const auto& item : reply.json["items"]) {
        if (item.is_object() && item.contains("sevdesk")) record(item["sevdesk"]);
      }
    }
    if (reply.json.contains("sevdesk")) record(reply.json["sevdesk"]);
  }

  // The income receipt of an invoice, from the receipts list.
  Json ReceiptOfInvoice(const Json& invoice_id) {
    Reply r = Send({.method = "GET", .path = "/api/v1/receipts", .query = "type=income&limit=500"});
    if (r.json.is_object() && r.json.contains("items")) {
      for (const auto& item : r.json["items"]) {
        if (item["invoice_id"] == invoice_id) return item;
      }
    }
    ADD_FAILURE() << "no receipt for invoice " << invoice_id << ": " << Describe(r);
    return Json::object();
  }

  // Kundenabgleich: contacts that exist in sevdesk already. One customer is linked automatically
  // (same e-mail, name and postal code); one has two namesakes in sevdesk and waits for the
  // school: "Später", "Verknüpfen", "Verknüpfung lösen", "Neu in sevdesk anlegen".
  void ExerciseKundenabgleich() {
    const Json seed = {
        {"contacts",
         {{{"surename", "Greta"},
           {"familyname", "Vorhanden"},
           {"customerNumber", "K-1001"},
           {"addresses", {{{"street", "Lindenweg 3"}, {"zip", "79098"}, {"city", "Freiburg"}}}},
           {"communicationWays", {{{"type", "EMAIL"}, {"value", "greta@vorhanden.example"}}}}},
          {{"surename", "Bruno"},
           {"familyname", "Zwilling"},
           {"addresses", {{{"street", "Am Bach 1"}, {"zip", "10115"}, {"city", "Berlin"}}}}},
          {{"surename", "Bruno"},
           {"familyname", "Zwilling"},
           {"addresses", {{{"street", "Bergstraße 9"}, {"zip", "80331"}, {"city", "München"}}}}}}}};
    SandboxAdmin("POST", std::string("/accounts/") + kSandboxToken + "/contacts", seed, 201);
    const Json greta = CreateCustomer(
        {{"kind", "person"},
         {"first_name", "Greta"},
         {"last_name", "Vorhanden"},
         {"email", "greta@vorhanden.example"},
         {"address",
          {{"street", "Lindenweg 3"}, {"zip", "79098"}, {"city", "Freiburg"}, {"country", "DE"}}}});
    const Json bruno = CreateCustomer({{"kind", "person"},
                                       {"first_name", "Bruno"},
                                       {"last_name", "Zwilling"},
                                       {"address",
                                        {{"street", "Elbchaussee 1"},
                                         {"zip", "22763"},
                                         {"city", "Hamburg"},
                                         {"country", "DE"}}}});
    const std::string bruno_id = Id(bruno);
    Reply settings = Send({.method = "PUT",
                           .path = "/api/v1/integrations/sevdesk/matching/settings",
                           .json = Json{{"auto_link", true}}});
    ASSERT_EQ(settings.status, 200) << Describe(settings);
    Reply run = Send({.method = "POST", .path = "/api/v1/integrations/sevdesk/matching/run"});
    ASSERT_EQ(run.status, 200) << Describe(run);
    EXPECT_EQ(run.json["counts"]["linked"], 1) << Describe(run);
    EXPECT_EQ(run.json["counts"]["review"], 1) << Describe(run);
    Reply list = Send({.method = "GET", .path = "/api/v1/integrations/sevdesk/matching"});
    ASSERT_EQ(list.status, 200) << Describe(list);
    const Json& item = list.json["items"][0];
    ASSERT_EQ(item["customer"]["id"], bruno["id"]) << Describe(list);
    ASSERT_EQ(item["candidates"].size(), 2u) << Describe(list);
    EXPECT_EQ(list.json["items"][1]["customer"]["id"], greta["id"]) << Describe(list);
    // Bruno's invoice waits for the school's decision.
    const Json waiting = ReceiptOfInvoice(FinalizeNewInvoice(bruno["id"])["id"])["id"];
    WaitForSevdesk(waiting, {"awaiting_match"});
    const std::string base = "/api/v1/integrations/sevdesk/matching/{customer}/";
    Reply later = Send({.method = "POST", .path = base + "later", .id = bruno_id});
    ASSERT_EQ(later.status, 200) << Describe(later);
    EXPECT_EQ(later.json["items"][0]["state"], "later");
    Reply linked = Send({.method = "POST",
                         .path = base + "link",
                         .id = bruno_id,
                         .json = Json{{"contact_id", item["candidates"][0]["contact_id"]}}});
    ASSERT_EQ(linked.status, 200) << Describe(linked);
    WaitForSevdesk(waiting, {"transferred"});
    Reply unlinked = Send({.method = "POST", .path = base + "unlink", .id = bruno_id});
    ASSERT_EQ(unlinked.status, 200) << Describe(unlinked);
    Reply created = Send({.method = "POST", .path = base + "create", .id = bruno_id});
    ASSERT_EQ(created.status, 200) << Describe(created);
    Reply accepted = Send(
        {.method = "POST", .path = "/api/v1/integrations/sevdesk/matching/accept-unambiguous"});
    ASSERT_EQ(accepted.status, 200) << Describe(accepted);
    EXPECT_EQ(accepted.json["accepted"], 0) << Describe(accepted);
  }

  // Zahlungsabgleich (issue 16): the interval, "Jetzt abgleichen", a voucher deleted in sevdesk
  // found by the sync and transferred again ("Erneut übertragen").
  void ExercisePaymentSync(const Json& receipt_id) {
    const std::string base = "/api/v1/integrations/sevdesk/payment-sync";
    Reply state = Send({.method = "GET", .path = base});
    ASSERT_EQ(state.status, 200) << Describe(state);
    EXPECT_TRUE(state.json["available"]) << Describe(state);
    Reply interval = Send({.method = "PUT", .path = base, .json = Json{{"interval_minutes", 30}}});
    ASSERT_EQ(interval.status, 200) << Describe(interval);
    EXPECT_EQ(interval.json["interval_minutes"], 30);
    Reply history =
        Send({.method = "GET", .path = "/api/v1/receipts/{id}/sevdesk", .id = receipt_id.dump()});
    const std::string voucher = history.json["sevdesk"]["voucher_id"];
    SandboxAdmin("DELETE", std::string("/accounts/") + kSandboxToken + "/vouchers/" + voucher);
    Reply run = Send({.method = "POST", .path = base + "/run"});
    ASSERT_EQ(run.status, 202) << Describe(run);
    Json sd;
    for (int i = 0; i < 300; ++i) {
      sd = Send({.method = "GET", .path = "/api/v1/receipts/{id}/sevdesk", .id = receipt_id.dump()})
               .json["sevdesk"];
      if (sd.value("retransferable", false)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(sd.value("retransferable", false)) << sd.dump();
    EXPECT_EQ(sd["voucher_state"]["presence"], "deleted") << sd.dump();
    Reply synced = Send({.method = "GET", .path = base});
    EXPECT_TRUE(synced.json["last_sync"]["ok"]) << Describe(synced);
    Reply again = Send(
        {.method = "POST", .path = "/api/v1/receipts/{id}/sevdesk/retry", .id = receipt_id.dump()});
    ASSERT_EQ(again.status, 200) << Describe(again);
    WaitForSevdesk(receipt_id, {"transferred"});
  }

  // Polls the receipts list until the receipt's `sevdesk.status` is one of `statuses`.
  Json WaitForSevdesk(const Json& receipt_id, const std::set<std::string>& statuses,
                      std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Json last;
    while (std::chrono::steady_clock::now() < deadline) {
      Reply r =
          Send({.method = "GET", .path = "/api/v1/receipts", .query = "type=income&limit=500"});
      if (r.status != 200) break;
      for (const auto& item : r.json["items"]) {
        if (item["id"] != receipt_id) continue;
        last = item["sevdesk"];
        if (last.is_object() && statuses.count(last.value("status", ""))) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
    std::string wanted;
    for (const auto& st : statuses) wanted += st + " ";
    ADD_FAILURE() << "receipt " << receipt_id << " never reached sevdesk status " << wanted
                  << "; last: " << last.dump() << "\nserver log:\n"
                  << ReadFile(dir_ + "/server.log");
    return last;
  }

  Json FinalizeNewInvoice(const Json& customer_id) {
    const Json created = CreateDraft(customer_id);
    Reply r = Send({.method = "POST", .path = "/api/v1/invoices/{id}/finalize", .id = Id(created)});
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.json;
  }

  std::string dir_;
  ServerProcess sandbox_;
  ServerProcess server_;
  std::unique_ptr<http::Client> sandbox_client_;
  std::unique_ptr<http::Client> client_;
  std::string session_;
  std::string csrf_;
  std::set<std::string> exercised_;     // "METHOD path status"
  std::set<std::string> sevdesk_seen_;  // receipt sevdesk statuses answered
};

TEST_F(OpenApiConformance, HappyPathsOfEveryDocumentedOperationConform) {
  EXPECT_EQ(Send({.method = "GET", .path = "/healthz"}).status, 200);
  ASSERT_EQ(Login(kOwnerEmail, kOwnerPassword).status, 200);
  Reply me = Send({.method = "GET", .path = "/api/v1/me"});
  EXPECT_EQ(me.status, 200) << Describe(me);
  EXPECT_EQ(me.json["csrf_token"], csrf_);

  // School settings: change some, then send back everything read (read-only id included).
  Reply school = Send({.method = "GET", .path = "/api/v1/settings/school"});
  ASSERT_EQ(school.status, 200) << Describe(school);
  Reply patched = Send(
      {.method = "PATCH",
       .path = "/api/v1/settings/school",
       .json = Json{{"address", {{"street", "Waldweg 1"}, {"zip", "12345"}, {"city", "Hundheim"}}},
                    {"iban", "de89 3704 0044 0532 0130 00"},
                    {"vat_id", "DE123456789"},
                    {"payment_term_days", 10},
                    {"bank_name", nullptr}}});
  ASSERT_EQ(patched.status, 200) << Describe(patched);
  EXPECT_EQ(patched.json["iban"], "DE89370400440532013000");
  Reply round = Send({.method = "PATCH", .path = "/api/v1/settings/school", .json = patched.json});
  EXPECT_EQ(round.status, 200) << Describe(round);
  EXPECT_EQ(round.json, patched.json);

  // Customers.
  Json person =
      CreateCustomer({{"kind", "person"},
                      {"salutation", "Frau"},
                      {"first_name", "Erika"},
                      {"last_name", "Mustermann"},
                      {"email", "Erika@Example.DE"},
                      {"address", {{"street", "Hauptstr. 5"}, {"zip", "54321"}, {"city", "Köln"}}},
                      {"dogs", {{{"name", "Bello"}, {"breed", "Labrador"}}}}});
  EXPECT_EQ(person["display_name"], "Erika Mustermann");
  EXPECT_EQ(person["email"], "erika@example.de");
  Json company = CreateCustomer({{"kind", "company"},
                                 {"company_name", "Tierhilfe GmbH"},
                                 {"contact_person", "Max Muster"},
                                 {"address", {{"country", "at"}, {"zip", "1010"}}}});
  EXPECT_EQ(company["address"]["country"], "AT");
  Reply list =
      Send({.method = "GET", .path = "/api/v1/customers", .query = "q=Muster&limit=10&offset=0"});
  EXPECT_EQ(list.status, 200) << Describe(list);
  EXPECT_EQ(Send({.method = "GET", .path = "/api/v1/customers/{id}", .id = Id(person)}).status,
            200);
  Json person_back = person;  // read-only fields are accepted and ignored
  person_back["phone"] = "0221 123456";
  Reply updated = Send(
      {.method = "PATCH", .path = "/api/v1/customers/{id}", .id = Id(person), .json = person_back});
  ASSERT_EQ(updated.status, 200) << Describe(updated);
  EXPECT_EQ(updated.json["version"], 2);
  EXPECT_EQ(updated.json["phone"], "0221 123456");

  // Invoices: a draft with mixed rates and a period, round-trip, finalize, PDF, cancel.
  Reply draft = Send({.method = "POST",
                      .path = "/api/v1/invoices",
                      .json = Json{{"customer_id", person["id"]},
                                   {"invoice_date", "2025-03-01"},
                                   {"service_date", "2025-02-01"},
                                   {"service_period_end", "2025-02-28"},
                                   {"notes", "Vielen Dank!"},
                                   {"lines",
                                    {{{"text", "Gruppenstunde"},
                                      {"quantity", "1.5"},
                                      {"unit", "Stunde"},
                                      {"unit_price_cents", 3333},
                                      {"vat_rate", 19}},
                                     {{"text", "Leckerli"},
                                      {"quantity", 2},
                                      {"unit_price_cents", 199},
                                      {"vat_rate", 7}}}}}});
  ASSERT_EQ(draft.status, 201) << Describe(draft);
  EXPECT_EQ(draft.raw.Header("Location").value_or(""), "/api/v1/invoices/" + Id(draft.json));
  EXPECT_EQ(draft.json["lines"][0]["amount_cents"], 5000);  // round(1.5 * 3333) = 4999.5 -> 5000
  EXPECT_EQ(draft.json["total_gross_cents"], 5950 + 426);   // 5000+950, 398+28
  Reply invoices =
      Send({.method = "GET", .path = "/api/v1/invoices", .query = "status=draft&limit=5"});
  EXPECT_EQ(invoices.status, 200) << Describe(invoices);
  Reply got = Send({.method = "GET", .path = "/api/v1/invoices/{id}", .id = Id(draft.json)});
  ASSERT_EQ(got.status, 200) << Describe(got);
  Reply resent = Send(
      {.method = "PATCH", .path = "/api/v1/invoices/{id}", .id = Id(got.json), .json = got.json});
  EXPECT_EQ(resent.status, 200) << Describe(resent);
  EXPECT_EQ(resent.json["total_gross_cents"], got.json["total_gross_cents"]);
  Json doomed = CreateDraft(company["id"]);
  EXPECT_EQ(Send({.method = "DELETE", .path = "/api/v1/invoices/{id}", .id = Id(doomed)}).status,
            204);

  Reply finalized =
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/finalize", .id = Id(draft.json)});
  ASSERT_EQ(finalized.status, 200) << Describe(finalized);
  EXPECT_EQ(finalized.json["status"], "finalized");
  EXPECT_EQ(finalized.json["number"], "RE-2025-0001");
  EXPECT_EQ(
      Send({.method = "GET", .path = "/api/v1/invoices/{id}/pdf", .id = Id(draft.json)}).status,
      200);
  Reply cancellation =
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/cancel", .id = Id(draft.json)});
  ASSERT_EQ(cancellation.status, 201) << Describe(cancellation);
  EXPECT_EQ(cancellation.json["kind"], "cancellation");
  EXPECT_EQ(cancellation.json["total_gross_cents"], -(5950 + 426));
  Reply original = Send({.method = "GET", .path = "/api/v1/invoices/{id}", .id = Id(draft.json)});
  EXPECT_EQ(original.json["status"], "cancelled");
  EXPECT_EQ(original.json["cancelled_by_invoice_id"], cancellation.json["id"]);

  // Receipts: two income receipts from the invoices, one uploaded expense.
  ExpectPartsConform("/api/v1/receipts", ExpenseParts());
  Reply expense = Send({.method = "POST", .path = "/api/v1/receipts", .parts = ExpenseParts()});
  ASSERT_EQ(expense.status, 201) << Describe(expense);
  EXPECT_EQ(expense.json["amount_net_cents"], 2000);
  EXPECT_EQ(expense.json["file"]["content_type"], "application/pdf");
  Reply page1 =
      Send({.method = "GET", .path = "/api/v1/receipts", .query = "type=all&sort=date&limit=1"});
  ASSERT_EQ(page1.status, 200) << Describe(page1);
  EXPECT_EQ(page1.json["total"], 3);
  ASSERT_TRUE(page1.json["next_cursor"].is_string()) << Describe(page1);
  Reply page2 =
      Send({.method = "GET",
            .path = "/api/v1/receipts",
            .query = "sort=date&limit=2&cursor=" + page1.json["next_cursor"].get<std::string>()});
  EXPECT_EQ(page2.status, 200) << Describe(page2);
  EXPECT_TRUE(page2.json["next_cursor"].is_null()) << Describe(page2);
  Reply filtered = Send({.method = "GET",
                         .path = "/api/v1/receipts",
                         .query = "type=income&from=2025-01-01&to=2030-12-31&q=&page=1&limit=50"});
  EXPECT_EQ(filtered.status, 200) << Describe(filtered);
  EXPECT_EQ(Send({.method = "GET", .path = "/api/v1/receipts/{id}", .id = Id(expense.json)}).status,
            200);
  Reply file =
      Send({.method = "GET", .path = "/api/v1/receipts/{id}/file", .id = Id(expense.json)});
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body, kPdfBytes);
  const Json& income = filtered.json["items"][0];
  EXPECT_EQ(Send({.method = "GET", .path = "/api/v1/receipts/{id}/file", .id = Id(income)}).status,
            200);
  // An e-invoice as expense: its data as `e_invoice`, the file an XML attachment.
  auto cii_parts = ExpenseParts();
  cii_parts.back() = {"file", kCiiBytes, "rechnung.xml", "application/xml"};
  Reply cii_expense = Send({.method = "POST", .path = "/api/v1/receipts", .parts = cii_parts});
  ASSERT_EQ(cii_expense.status, 201) << Describe(cii_expense);
  EXPECT_EQ(cii_expense.json["e_invoice"]["totals"]["gross_cents"], 2380);
  Reply cii_receipt =
      Send({.method = "GET", .path = "/api/v1/receipts/{id}", .id = Id(cii_expense.json)});
  ASSERT_EQ(cii_receipt.status, 200) << Describe(cii_receipt);
  EXPECT_EQ(cii_receipt.json["e_invoice"]["format"], "XRechnung 3.0");
  EXPECT_TRUE(cii_receipt.json["e_invoice"]["warnings"].empty()) << Describe(cii_receipt);
  Reply cii_file =
      Send({.method = "GET", .path = "/api/v1/receipts/{id}/file", .id = Id(cii_expense.json)});
  EXPECT_EQ(cii_file.status, 200);
  EXPECT_EQ(cii_file.body, kCiiBytes);

  // sevdesk: connect the sandbox account, transfer the older receipts, then see every status.
  Reply connection = Send({.method = "GET", .path = "/api/v1/integrations/sevdesk"});
  ASSERT_EQ(connection.status, 200) << Describe(connection);
  EXPECT_EQ(connection.json["state"], "not_configured");
  Reply untested = Send({.method = "POST", .path = "/api/v1/integrations/sevdesk/test"});
  ASSERT_EQ(untested.status, 200) << Describe(untested);
  EXPECT_EQ(untested.json["outcome"], "no_token");
  Reply with_token = Send({.method = "PUT",
                           .path = "/api/v1/integrations/sevdesk",
                           .json = Json{{"api_token", kSandboxToken}}});
  ASSERT_EQ(with_token.status, 200) << Describe(with_token);
  EXPECT_TRUE(with_token.json["has_token"]);
  EXPECT_NE(with_token.json["api_token"].dump().find("e8f9"), std::string::npos);
  EXPECT_EQ(with_token.json["api_token"].dump().find("0a1b"), std::string::npos);
  Reply tested = Send({.method = "POST", .path = "/api/v1/integrations/sevdesk/test"});
  ASSERT_EQ(tested.status, 200) << Describe(tested);
  ASSERT_EQ(tested.json["outcome"], "connected") << Describe(tested);
  ASSERT_FALSE(tested.json["revenue_accounts"].empty()) << Describe(tested);
  Json activate = Send({.method = "GET", .path = "/api/v1/integrations/sevdesk"}).json;
  activate["enabled"] = true;  // sent back as read: the masked token keeps the stored one
  activate["revenue_account_id"] = tested.json["revenue_accounts"][0]["id"];
  Reply active = Send({.method = "PUT", .path = "/api/v1/integrations/sevdesk", .json = activate});
  ASSERT_EQ(active.status, 200) << Describe(active);
  EXPECT_TRUE(active.json["enabled"]);
  EXPECT_EQ(active.json["state"], "ok");

  // "Zu Sevdesk übertragen" for the receipts from before the connection.
  const Json original_receipt = ReceiptOfInvoice(draft.json["id"])["id"];
  const Json cancellation_receipt = ReceiptOfInvoice(cancellation.json["id"])["id"];
  Reply batch =
      Send({.method = "POST",
            .path = "/api/v1/integrations/sevdesk/transfers",
            .json = Json{{"receipt_ids",
                          {original_receipt, cancellation_receipt, expense.json["id"], 999999}}}});
  ASSERT_EQ(batch.status, 202) << Describe(batch);
  EXPECT_EQ(batch.json["queued"], 2);
  EXPECT_EQ(batch.json["skipped_count"], 2);
  const std::string batch_id = batch.json["batch_id"].dump();
  EXPECT_EQ(batch.raw.Header("Location").value_or(""),
            "/api/v1/integrations/sevdesk/transfers/" + batch_id);
  Json transferred = WaitForSevdesk(original_receipt, {"transferred"});
  EXPECT_FALSE(transferred.value("voucher_id", "").empty()) << transferred.dump();
  WaitForSevdesk(cancellation_receipt, {"transferred"});
  Reply progress = Send(
      {.method = "GET", .path = "/api/v1/integrations/sevdesk/transfers/{batch}", .id = batch_id});
  ASSERT_EQ(progress.status, 200) << Describe(progress);
  EXPECT_EQ(progress.json["done"], 2);
  EXPECT_EQ(progress.json["skipped"], 2);
  EXPECT_TRUE(progress.json["finished"]);
  Reply history = Send(
      {.method = "GET", .path = "/api/v1/receipts/{id}/sevdesk", .id = original_receipt.dump()});
  ASSERT_EQ(history.status, 200) << Describe(history);
  EXPECT_EQ(history.json["sevdesk"]["status"], "transferred");
  EXPECT_FALSE(history.json["events"].empty());
  Reply only_transferred =
      Send({.method = "GET", .path = "/api/v1/receipts", .query = "sevdesk=transferred"});
  EXPECT_EQ(only_transferred.json["total"], 2) << Describe(only_transferred);
  Reply expense_history =
      Send({.method = "GET", .path = "/api/v1/receipts/{id}/sevdesk", .id = Id(expense.json)});
  EXPECT_EQ(expense_history.json["sevdesk"]["status"], "not_transferred");
  // A filter selection never sends anything twice: everything is skipped, nothing queued.
  Reply by_filter = Send({.method = "POST",
                          .path = "/api/v1/integrations/sevdesk/transfers",
                          .json = Json{{"filter",
                                        {{"type", "income"},
                                         {"from", "2025-01-01"},
                                         {"to", nullptr},
                                         {"only_not_transferred", true}}}}});
  ASSERT_EQ(by_filter.status, 202) << Describe(by_filter);
  EXPECT_EQ(by_filter.json["queued"], 0) << Describe(by_filter);

  // A failure: sevdesk answers 500 to the upload, the one allowed attempt is spent.
  SandboxAdmin("POST", "/faults/next",
               {{"kind", "error_500"}, {"count", 1}, {"endpoint", "uploadTempFile"}});
  const Json failing_receipt = ReceiptOfInvoice(FinalizeNewInvoice(person["id"])["id"])["id"];
  Json failed = WaitForSevdesk(failing_receipt, {"failed"});
  EXPECT_FALSE(failed.value("reason", "").empty()) << failed.dump();
  Reply retried = Send({.method = "POST",
                        .path = "/api/v1/receipts/{id}/sevdesk/retry",
                        .id = failing_receipt.dump()});
  ASSERT_EQ(retried.status, 200) << Describe(retried);
  WaitForSevdesk(failing_receipt, {"transferred"});

  // Waiting: sevdesk rejects the token; a successful test resumes the transfer.
  SandboxAdmin("POST", std::string("/accounts/") + kSandboxToken + "/revoke");
  const Json waiting_receipt = ReceiptOfInvoice(FinalizeNewInvoice(person["id"])["id"])["id"];
  WaitForSevdesk(waiting_receipt, {"waiting"});
  Reply paused = Send({.method = "GET", .path = "/api/v1/integrations/sevdesk"});
  EXPECT_EQ(paused.json["state"], "paused") << Describe(paused);
  Reply only_waiting =
      Send({.method = "GET", .path = "/api/v1/receipts", .query = "type=income&sevdesk=waiting"});
  EXPECT_EQ(only_waiting.json["total"], 1) << Describe(only_waiting);
  Reply rejected = Send({.method = "POST", .path = "/api/v1/integrations/sevdesk/test"});
  EXPECT_EQ(rejected.json["outcome"], "token_invalid") << Describe(rejected);
  SandboxAdmin("POST", std::string("/accounts/") + kSandboxToken + "/reinstate");
  Reply resumed = Send({.method = "POST", .path = "/api/v1/integrations/sevdesk/test"});
  EXPECT_EQ(resumed.json["outcome"], "connected") << Describe(resumed);
  WaitForSevdesk(waiting_receipt, {"transferred"});

  // Queued and in progress: a slow saveVoucher; one transfer per customer runs at a time.
  SandboxAdmin("PUT", "/faults", {{"latency_ms", 1500}, {"endpoint", "saveVoucher"}});
  const Json slow_a = ReceiptOfInvoice(FinalizeNewInvoice(company["id"])["id"])["id"];
  const Json slow_b = ReceiptOfInvoice(FinalizeNewInvoice(company["id"])["id"])["id"];
  for (int i = 0; i < 200 && !(sevdesk_seen_.count("queued") && sevdesk_seen_.count("in_progress"));
       ++i) {
    Send({.method = "GET", .path = "/api/v1/receipts", .query = "type=income&limit=500"});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  SandboxAdmin("DELETE", "/faults");
  WaitForSevdesk(slow_a, {"transferred"});
  WaitForSevdesk(slow_b, {"transferred"});
  ExerciseKundenabgleich();
  ExercisePaymentSync(original_receipt);
  for (const char* status : {"not_transferred", "queued", "in_progress", "transferred", "failed",
                             "waiting", "awaiting_match"}) {
    EXPECT_TRUE(sevdesk_seen_.count(status))
        << "no answer carried a receipt with sevdesk status " << status;
  }

  // ---- "Zahlung erfassen" (issue 16): the Kasse chosen, a payment booked in sevdesk at once.
  Reply accounts = Send({.method = "GET", .path = "/api/v1/integrations/sevdesk/payment-account"});
  ASSERT_EQ(accounts.status, 200) << Describe(accounts);
  ASSERT_FALSE(accounts.json["accounts"].empty()) << Describe(accounts);
  Reply chosen = Send({.method = "PUT",
                       .path = "/api/v1/integrations/sevdesk/payment-account",
                       .json = Json{{"payment_account_id", accounts.json["accounts"][0]["id"]}}});
  ASSERT_EQ(chosen.status, 200) << Describe(chosen);
  EXPECT_EQ(chosen.json["payment_account_id"], accounts.json["accounts"][0]["id"]);
  const Json to_pay = FinalizeNewInvoice(person["id"]);
  WaitForSevdesk(ReceiptOfInvoice(to_pay["id"])["id"], {"transferred"});
  Reply open = Send({.method = "GET", .path = "/api/v1/invoices/{id}/payments", .id = Id(to_pay)});
  ASSERT_EQ(open.status, 200) << Describe(open);
  EXPECT_TRUE(open.json["takes_payments"]);
  const std::string today = FormatIsoDate(BerlinDateOf(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now())));
  Reply recorded =
      Send({.method = "POST",
            .path = "/api/v1/invoices/{id}/payments",
            .id = Id(to_pay),
            .json = Json{
                {"amount_cents", open.json["open_cents"]}, {"date", today}, {"method", "cash"}}});
  ASSERT_EQ(recorded.status, 201) << Describe(recorded);
  EXPECT_EQ(recorded.json["payment"]["booking"], "booked") << Describe(recorded);
  EXPECT_EQ(recorded.json["open_cents"], 0);

  // An authority's invoice: issued as XRechnung, its XML beside the PDF.
  Reply contact = Send({.method = "PATCH",
                        .path = "/api/v1/settings/school",
                        .json = Json{{"contact_name", "Erika Pfote"},
                                     {"phone", "+49 30 1234567"},
                                     {"email", "info@pfote.example"}}});
  ASSERT_EQ(contact.status, 200) << Describe(contact);
  EXPECT_TRUE(contact.json["e_invoice_missing"]["xrechnung"].empty()) << Describe(contact);
  Json authority = CreateCustomer(
      {{"kind", "company"},
       {"company_name", "Stadt Musterhausen"},
       {"email", "rechnung@musterhausen.example"},
       {"address", {{"street", "Rathausplatz 1"}, {"zip", "12345"}, {"city", "Musterhausen"}}},
       {"public_authority", true},
       {"e_invoice", "xrechnung"},
       {"buyer_reference", "04011000-1234512345-06"},
       {"vat_id", "DE987654321"}});
  Json authority_draft = CreateDraft(authority["id"]);
  Reply issued =
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/finalize", .id = Id(authority_draft)});
  ASSERT_EQ(issued.status, 200) << Describe(issued);
  EXPECT_EQ(issued.json["e_invoice"], "xrechnung");
  Reply xml =
      Send({.method = "GET", .path = "/api/v1/invoices/{id}/xrechnung", .id = Id(issued.json)});
  EXPECT_EQ(xml.status, 200) << Describe(xml);
  EXPECT_EQ(xml.body.rfind("<?xml", 0), 0u) << xml.body.substr(0, 200);

  Json lonely = CreateCustomer({{"kind", "person"}, {"last_name", "Ohne Rechnung"}});
  EXPECT_EQ(Send({.method = "DELETE", .path = "/api/v1/customers/{id}", .id = Id(lonely)}).status,
            204);
  Reply metrics = Send({.method = "GET", .path = "/metrics"});
  EXPECT_NE(metrics.body.find("hs_http_requests_total"), std::string::npos);
  EXPECT_EQ(Send({.method = "DELETE", .path = "/api/v1/session"}).status, 204);

  // Every documented operation was answered with one of its documented 2xx statuses.
  for (const auto& op : DocumentedOperations()) {
    bool success = false;
    for (const auto& [status, _] : (*op.spec)["responses"].items()) {
      if (status[0] == '2')
        success = success || exercised_.count(op.method + " " + op.path + " " + status);
    }
    EXPECT_TRUE(success) << op.method << " " << op.path << " was not exercised with a 2xx answer";
  }
}

TEST_F(OpenApiConformance, AuthenticationAndCsrfErrorsConform) {
  // Without a session every protected operation answers 401 (before ids and bodies are read).
  for (const auto& op : DocumentedOperations()) {
    if (!RequiresScheme(*op.spec, "sessionCookie")) continue;
    Call call{.method = op.method, .path = op.path, .id = "1", .auth = Auth::kNone};
    if (op.method == "POST" || op.method == "PATCH") call.raw_body = "{}";
    ExpectError(Send(call), 401, "not_logged_in", op.method + " " + op.path);
  }
  ExpectError(Login(kOwnerEmail, "falsches-passwort"), 401, "invalid_credentials",
              "wrong password");
  ASSERT_EQ(Login(kOwnerEmail, kOwnerPassword).status, 200);
  // With the cookie but without X-CSRF-Token every state-changing operation answers 403.
  for (const auto& op : DocumentedOperations()) {
    if (!RequiresScheme(*op.spec, "csrfToken")) continue;
    Call call{.method = op.method, .path = op.path, .id = "1", .auth = Auth::kCookieOnly};
    if (op.method == "POST" || op.method == "PATCH") call.raw_body = "{}";
    ExpectError(Send(call), 403, "csrf_token_invalid", op.method + " " + op.path);
  }
  // A staff user may not change the school.
  ASSERT_EQ(Login(kStaffEmail, kStaffPassword).status, 200);
  ExpectError(
      Send({.method = "PATCH", .path = "/api/v1/settings/school", .json = Json{{"name", "X"}}}),
      403, "owner_only", "staff changes school");
  // Too many failed logins for one e-mail: 429 with Retry-After.
  Reply last;
  for (int i = 0; i < 6; ++i) last = Login("niemand@example.de", "falsches-passwort");
  ExpectError(last, 429, "too_many_attempts", "sixth failed login");
  EXPECT_TRUE(last.raw.Header("Retry-After").has_value());
}

TEST_F(OpenApiConformance, RequestErrorsConform) {
  ASSERT_EQ(Login(kOwnerEmail, kOwnerPassword).status, 200);
  const Json person = CreateCustomer({{"kind", "person"}, {"last_name", "Muster"}});
  const Json draft = CreateDraft(person["id"]);

  // Unknown fields: 400 naming the field; the document rejects them too.
  struct Unknown {
    std::string method, path, id;
    Json body;
    std::string field;
  };
  const std::vector<Unknown> unknown = {
      {"POST",
       "/api/v1/session",
       "",
       {{"email", "a@b.de"}, {"password", "x"}, {"remember", true}},
       "remember"},
      {"PATCH",
       "/api/v1/settings/school",
       "",
       {{"address", {{"planet", "Erde"}}}},
       "address.planet"},
      {"POST",
       "/api/v1/customers",
       "",
       {{"kind", "person"}, {"last_name", "A"}, {"age", 3}},
       "age"},
      {"PATCH",
       "/api/v1/customers/{id}",
       Id(person),
       {{"dogs", {{{"name", "Bello"}, {"size", "L"}}}}},
       "dogs[0].size"},
      {"POST",
       "/api/v1/invoices",
       "",
       {{"customer_id", person["id"]}, {"invoice_date", "2025-01-01"}, {"discount", 5}},
       "discount"},
      {"PATCH",
       "/api/v1/invoices/{id}",
       Id(draft),
       {{"lines", {{{"unit_price_cents", 1}, {"vat_rate", 19}, {"rabatt", 1}}}}},
       "lines[0].rabatt"},
  };
  for (const auto& u : unknown) {
    const std::string what = u.method + " " + u.path + " " + u.body.dump();
    Reply r = Send({.method = u.method, .path = u.path, .id = u.id, .raw_body = u.body.dump()});
    ExpectError(r, 400, "bad_request", what);
    EXPECT_TRUE(r.HasDetail(u.field)) << what << ": " << Describe(r);
    ExpectDocumentRejects(u.method, u.path, u.body);
  }
  // Malformed bodies and wrong types.
  ExpectError(Send({.method = "POST", .path = "/api/v1/customers", .raw_body = "{\"kind\":"}), 400,
              "bad_request", "broken JSON");
  ExpectError(Send({.method = "POST", .path = "/api/v1/customers", .raw_body = "[1,2]"}), 400,
              "bad_request", "JSON array");
  const Json wrong_type = {{"customer_id", "1"}, {"invoice_date", "2025-01-01"}};
  ExpectError(Send({.method = "POST", .path = "/api/v1/invoices", .raw_body = wrong_type.dump()}),
              400, "bad_request", "customer_id as string");
  ExpectDocumentRejects("POST", "/api/v1/invoices", wrong_type);
  const Json many_decimals = {
      {"lines", {{{"quantity", "1.2345"}, {"unit_price_cents", 1}, {"vat_rate", 19}}}}};
  ExpectError(Send({.method = "PATCH",
                    .path = "/api/v1/invoices/{id}",
                    .id = Id(draft),
                    .raw_body = many_decimals.dump()}),
              400, "bad_request", "quantity with 4 decimals");
  ExpectDocumentRejects("PATCH", "/api/v1/invoices/{id}", many_decimals);
  const Json empty_email = {{"email", ""}, {"password", "x"}};
  ExpectError(Send({.method = "POST", .path = "/api/v1/session", .raw_body = empty_email.dump()}),
              400, "bad_request", "empty e-mail");
  ExpectDocumentRejects("POST", "/api/v1/session", empty_email);
  const Json long_email = {{"email", std::string(250, 'a') + "@b.de"}, {"password", "x"}};
  ExpectError(Send({.method = "POST", .path = "/api/v1/session", .raw_body = long_email.dump()}),
              422, "validation_failed", "e-mail longer than 254 bytes");
  ExpectDocumentRejects("POST", "/api/v1/session", long_email);
  // Bad query parameters (Auth::kCookieOnly equals the documented security of a GET and skips
  // the check that the test's own query conforms).
  ExpectError(Send({.method = "GET",
                    .path = "/api/v1/customers",
                    .query = "limit=0",
                    .auth = Auth::kCookieOnly}),
              400, "bad_request", "limit=0");
  ExpectError(Send({.method = "GET",
                    .path = "/api/v1/invoices",
                    .query = "status=paid&limit=201",
                    .auth = Auth::kCookieOnly}),
              400, "bad_request", "status=paid");
  Reply bad_receipts = Send({.method = "GET",
                             .path = "/api/v1/receipts",
                             .query = "sort=amount&from=2025-13-01&cursor=x&page=0&type=other",
                             .auth = Auth::kCookieOnly});
  ExpectError(bad_receipts, 400, "bad_request", "receipt query");
  for (const char* field : {"sort", "from", "cursor", "page", "type"}) {
    EXPECT_TRUE(bad_receipts.HasDetail(field)) << field << ": " << Describe(bad_receipts);
  }
  // Media types and sizes.
  ExpectError(Send({.method = "POST",
                    .path = "/api/v1/customers",
                    .raw_body = "kind=person",
                    .content_type = "application/x-www-form-urlencoded"}),
              415, "unsupported_media_type", "form-encoded customer");
  ExpectError(Send({.method = "POST", .path = "/api/v1/receipts", .raw_body = "{}"}), 415,
              "unsupported_media_type", "JSON receipt");
  auto text_file = ExpenseParts();
  text_file.back() = {"file", "just text", "notiz.txt", "text/plain"};
  ExpectError(Send({.method = "POST", .path = "/api/v1/receipts", .parts = text_file}), 422,
              "unsupported_file_type", "text receipt");
  const std::string huge = Json{{"notes", std::string(1100 * 1024, 'x')}}.dump();
  ExpectError(Send({.method = "PATCH",
                    .path = "/api/v1/customers/{id}",
                    .id = Id(person),
                    .raw_body = huge}),
              413, "payload_too_large", "1.1 MB body");
  // Validation: 422 naming the fields.
  Reply invalid_customer =
      Send({.method = "POST",
            .path = "/api/v1/customers",
            .json = Json{{"kind", "person"}, {"email", "kein-at"}, {"address", {{"zip", "123"}}}}});
  ExpectError(invalid_customer, 422, "validation_failed", "customer without name");
  for (const char* field : {"last_name", "email", "address.zip"}) {
    EXPECT_TRUE(invalid_customer.HasDetail(field)) << field << ": " << Describe(invalid_customer);
  }
  Reply invalid_invoice = Send(
      {.method = "POST",
       .path = "/api/v1/invoices",
       .json = Json{
           {"customer_id", 999999},
           {"invoice_date", "2025-01-01"},
           {"lines",
            {{{"text", "X"}, {"unit_price_cents", 100}, {"vat_rate", 19}, {"quantity", "0"}}}}}});
  ExpectError(invalid_invoice, 422, "validation_failed", "invoice with bad line");
  EXPECT_TRUE(invalid_invoice.HasDetail("lines[0].quantity")) << Describe(invalid_invoice);
  Reply unknown_customer =
      Send({.method = "POST",
            .path = "/api/v1/invoices",
            .json = Json{{"customer_id", 999999}, {"invoice_date", "2025-01-01"}}});
  ExpectError(unknown_customer, 422, "validation_failed", "unknown customer");
  EXPECT_TRUE(unknown_customer.HasDetail("customer_id")) << Describe(unknown_customer);
  const Json long_term = {{"payment_term_days", 400}};
  ExpectError(
      Send({.method = "PATCH", .path = "/api/v1/settings/school", .raw_body = long_term.dump()}),
      422, "validation_failed", "payment term 400 days");
  ExpectDocumentRejects("PATCH", "/api/v1/settings/school", long_term);
  auto no_supplier = ExpenseParts();
  no_supplier.erase(no_supplier.begin() + 4);
  ExpectError(Send({.method = "POST", .path = "/api/v1/receipts", .parts = no_supplier}), 422,
              "validation_failed", "expense without supplier");
  auto unknown_part = ExpenseParts();
  unknown_part.push_back({"kategorie", "Futter", "", ""});
  ExpectError(Send({.method = "POST", .path = "/api/v1/receipts", .parts = unknown_part}), 400,
              "bad_request", "expense with unknown field");
  const Json empty_draft =
      Send({.method = "POST",
            .path = "/api/v1/invoices",
            .json = Json{{"customer_id", person["id"]}, {"invoice_date", "2025-01-01"}}})
          .json;
  ExpectError(
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/finalize", .id = Id(empty_draft)}),
      422, "invoice_without_lines", "finalize without lines");
  const Json line = {
      {"text", "Welpenkurs 🐕"}, {"quantity", "1"}, {"unit_price_cents", 5000}, {"vat_rate", 19}};
  const Json emoji_draft = Send({.method = "POST",
                                 .path = "/api/v1/invoices",
                                 .json = Json{{"customer_id", person["id"]},
                                              {"invoice_date", "2025-01-01"},
                                              {"lines", Json::array({line})}}})
                               .json;
  ExpectError(
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/finalize", .id = Id(emoji_draft)}),
      422, "unprintable_characters", "finalize with an emoji");
  Json far_line = line;
  far_line["text"] = "Welpenkurs";
  const Json far_draft = Send({.method = "POST",
                               .path = "/api/v1/invoices",
                               .json = Json{{"customer_id", person["id"]},
                                            {"invoice_date", "2999-12-31"},
                                            {"lines", Json::array({far_line})}}})
                             .json;
  ExpectError(
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/finalize", .id = Id(far_draft)}), 422,
      "validation_failed", "finalize dated 2999");
}

TEST_F(OpenApiConformance, SevdeskErrorsConform) {
  ASSERT_EQ(Login(kOwnerEmail, kOwnerPassword).status, 200);
  const std::string connection = "/api/v1/integrations/sevdesk";
  const std::string transfers = "/api/v1/integrations/sevdesk/transfers";
  ExpectError(Send({.method = "POST", .path = transfers, .json = Json{{"receipt_ids", {1}}}}), 409,
              "sevdesk_not_connected", "transfer without a token");
  Reply implausible =
      Send({.method = "PUT", .path = connection, .json = Json{{"api_token", "kurz!"}}});
  ExpectError(implausible, 422, "validation_failed", "implausible token");
  EXPECT_TRUE(implausible.HasDetail("api_token")) << Describe(implausible);
  ExpectError(Send({.method = "PUT", .path = connection, .json = Json{{"enabled", true}}}), 409,
              "test_required", "activate untested");
  ASSERT_EQ(Send({.method = "PUT", .path = connection, .json = Json{{"api_token", kSandboxToken}}})
                .status,
            200);
  ExpectError(Send({.method = "PUT", .path = connection, .json = Json{{"revenue_account_id", 7}}}),
              422, "validation_failed", "unknown revenue account");
  ExpectError(Send({.method = "POST", .path = transfers, .json = Json{{"receipt_ids", {1}}}}), 409,
              "sevdesk_disabled", "transfer while inactive");
  // Malformed bodies: unknown fields, wrong types, neither or both selections.
  const std::vector<std::pair<std::string, Json>> bad_put = {{"farbe", {{"farbe", "rot"}}},
                                                             {"enabled", {{"enabled", "ja"}}}};
  for (const auto& [field, body] : bad_put) {
    Reply r = Send({.method = "PUT", .path = connection, .raw_body = body.dump()});
    ExpectError(r, 400, "bad_request", "PUT " + body.dump());
    EXPECT_TRUE(r.HasDetail(field)) << Describe(r);
    ExpectDocumentRejects("PUT", connection, body);
  }
  const std::vector<std::pair<std::string, Json>> bad_batch = {
      {"receipt_ids[0]", {{"receipt_ids", {"a"}}}},
      {"filter.type", {{"filter", {{"type", "expense"}}}}},
      {"filter.only_not_transferred", {{"filter", {{"only_not_transferred", false}}}}},
      {"ids", {{"ids", {1}}}}};
  for (const auto& [field, body] : bad_batch) {
    Reply r = Send({.method = "POST", .path = transfers, .raw_body = body.dump()});
    ExpectError(r, 400, "bad_request", "POST " + body.dump());
    EXPECT_TRUE(r.HasDetail(field)) << Describe(r);
    ExpectDocumentRejects("POST", transfers, body);
  }
  ExpectError(Send({.method = "POST", .path = transfers, .raw_body = "{}"}), 400, "bad_request",
              "empty selection");
  ExpectError(Send({.method = "POST",
                    .path = transfers,
                    .raw_body = Json{{"receipt_ids", {1}}, {"filter", Json::object()}}.dump()}),
              400, "bad_request", "both selections");
  ExpectError(Send({.method = "POST", .path = transfers, .raw_body = "{\"receipt_ids\":"}), 400,
              "bad_request", "broken JSON");
  ExpectError(Send({.method = "PUT",
                    .path = connection,
                    .raw_body = "enabled=1",
                    .content_type = "application/x-www-form-urlencoded"}),
              415, "unsupported_media_type", "form-encoded connection");
  ExpectError(Send({.method = "PUT",
                    .path = connection,
                    .raw_body = Json{{"api_token", std::string(1100 * 1024, 'a')}}.dump()}),
              413, "payload_too_large", "1.1 MB token");
  Reply bad_filter = Send({.method = "GET",
                           .path = "/api/v1/receipts",
                           .query = "sevdesk=unterwegs",
                           .auth = Auth::kCookieOnly});
  ExpectError(bad_filter, 400, "bad_request", "unknown sevdesk filter");
  EXPECT_TRUE(bad_filter.HasDetail("sevdesk")) << Describe(bad_filter);
  // Retrying a receipt whose transfer has not failed.
  const Json person = CreateCustomer({{"kind", "person"}, {"last_name", "Muster"}});
  const Json receipt = ReceiptOfInvoice(FinalizeNewInvoice(person["id"])["id"]);
  ExpectError(
      Send({.method = "POST", .path = "/api/v1/receipts/{id}/sevdesk/retry", .id = Id(receipt)}),
      409, "not_failed", "retry without a failure");
  // Only the owner changes or tests the connection.
  ASSERT_EQ(Login(kStaffEmail, kStaffPassword).status, 200);
  EXPECT_EQ(Send({.method = "GET", .path = connection}).status, 200);
  ExpectError(Send({.method = "PUT", .path = connection, .json = Json{{"enabled", false}}}), 403,
              "owner_only", "staff changes sevdesk");
  ExpectError(Send({.method = "POST", .path = "/api/v1/integrations/sevdesk/test"}), 403,
              "owner_only", "staff tests sevdesk");
}

TEST_F(OpenApiConformance, NotFoundAndConflictsConform) {
  ASSERT_EQ(Login(kOwnerEmail, kOwnerPassword).status, 200);
  for (const auto& op : DocumentedOperations()) {
    if (op.path.find('{') == std::string::npos) continue;
    for (const char* id : {"999999", "abc"}) {
      Call call{.method = op.method, .path = op.path, .id = id};
      if (op.method == "PATCH") call.json = Json::object();
      ExpectError(Send(call), 404, "not_found", op.method + " " + op.path + " id " + id);
    }
  }
  const Json person = CreateCustomer({{"kind", "person"}, {"last_name", "Muster"}});
  const Json draft = CreateDraft(person["id"]);
  ExpectError(Send({.method = "GET", .path = "/api/v1/invoices/{id}/pdf", .id = Id(draft)}), 409,
              "invoice_not_finalized", "PDF of a draft");
  ExpectError(Send({.method = "POST", .path = "/api/v1/invoices/{id}/cancel", .id = Id(draft)}),
              409, "invoice_draft", "cancel a draft");
  ExpectError(Send({.method = "DELETE", .path = "/api/v1/customers/{id}", .id = Id(person)}), 409,
              "customer_has_invoices", "delete customer with invoice");
  ASSERT_EQ(
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/finalize", .id = Id(draft)}).status,
      200);
  ExpectError(Send({.method = "POST", .path = "/api/v1/invoices/{id}/finalize", .id = Id(draft)}),
              409, "invoice_not_draft", "finalize twice");
  ExpectError(Send({.method = "PATCH",
                    .path = "/api/v1/invoices/{id}",
                    .id = Id(draft),
                    .json = Json{{"notes", "zu spät"}}}),
              409, "invoice_not_draft", "edit finalized");
  ExpectError(Send({.method = "DELETE", .path = "/api/v1/invoices/{id}", .id = Id(draft)}), 409,
              "invoice_not_draft", "delete finalized");
  Reply cancellation =
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/cancel", .id = Id(draft)});
  ASSERT_EQ(cancellation.status, 201) << Describe(cancellation);
  ExpectError(Send({.method = "POST", .path = "/api/v1/invoices/{id}/cancel", .id = Id(draft)}),
              409, "invoice_already_cancelled", "cancel twice");
  ExpectError(
      Send({.method = "POST", .path = "/api/v1/invoices/{id}/cancel", .id = Id(cancellation.json)}),
      409, "cancellation_not_cancellable", "cancel a cancellation");
  // Unknown API paths answer the documented error body as well.
  auto res = client_->Send("GET", "/api/v1/unbekannt", {});
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 404);
  const auto errors =
      Validator().Validate(Json{{"$ref", "#/components/schemas/ErrorNotFound"}},
                           Json::parse(res->body, nullptr, false), Direction::kResponse);
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

}  // namespace
}  // namespace hs::openapi_test
