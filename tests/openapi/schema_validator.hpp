#pragma once
// A small validator for the JSON-schema subset OpenAPI 3.0.3 documents use: type (integer vs
// number), nullable, required, properties, additionalProperties, items, enum, $ref, allOf, oneOf,
// anyOf, pattern, format (date, date-time), minimum/maximum, minLength/maxLength,
// minItems/maxItems, readOnly and the vendor extension x-maxBytes (UTF-8 byte length).
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace hs::openapi_test {

using Json = nlohmann::json;

// Loads a YAML file into JSON. Quoted scalars stay strings; plain scalars become booleans, null,
// integers or floats when they look like one.
Json LoadYamlAsJson(const std::string& path);

enum class Direction {
  kResponse,  // readOnly properties are validated and required like any other
  kRequest,   // readOnly properties are accepted and ignored, and never required
};

class SchemaValidator {
 public:
  explicit SchemaValidator(const Json& document) : doc_(document) {}

  // Problems of `value` against `schema`, each prefixed with its JSON path ("$.lines[0].text").
  std::vector<std::string> Validate(const Json& schema, const Json& value, Direction direction,
                                    const std::string& root = "$") const;

  // Follows a local reference "#/components/schemas/X"; nullptr when it does not resolve.
  const Json* ResolveRef(const std::string& ref) const;
  // The schema itself, or the target of its $ref (followed repeatedly).
  const Json* Deref(const Json& schema) const;

  // Keywords Validate understands or knowingly ignores (annotations).
  static const std::set<std::string>& KnownKeywords();

 private:
  void Check(const Json& schema, const Json& value, const std::string& path, Direction direction,
             std::vector<std::string>& errors, int depth) const;
  bool IsReadOnly(const Json& schema) const;
  const Json& doc_;
};

// "a; b; c" for failure messages.
std::string Join(const std::vector<std::string>& parts, const std::string& separator = "\n  ");

}  // namespace hs::openapi_test
