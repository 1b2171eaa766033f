#include "schema_validator.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <chrono>
#include <regex>

namespace hs::openapi_test {

namespace {

Json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "Null" || text == "NULL" || text == "~") return nullptr;
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat("^[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$");
  if (std::regex_match(text, kInt)) {
    std::int64_t v = 0;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), v);
    if (ec == std::errc() && ptr == text.data() + text.size()) return v;
  }
  if (std::regex_match(text, kFloat)) return std::stod(text);
  return text;
}

Json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

std::string TypeName(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool TypeMatches(const std::string& type, const Json& v) {
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  return false;
}

std::size_t CodePoints(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsValidDate(const std::string& s) {
  static const std::regex kDate("^([0-9]{4})-([0-9]{2})-([0-9]{2})$");
  std::smatch m;
  if (!std::regex_match(s, m, kDate)) return false;
  const std::chrono::year_month_day d{
      std::chrono::year{std::stoi(m[1].str())},
      std::chrono::month{static_cast<unsigned>(std::stoi(m[2].str()))},
      std::chrono::day{static_cast<unsigned>(std::stoi(m[3].str()))}};
  return d.ok();
}

bool IsValidDateTime(const std::string& s) {
  static const std::regex kDateTime(
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?"
      "(Z|[+-][0-9]{2}:[0-9]{2})$");
  return s.size() >= 10 && IsValidDate(s.substr(0, 10)) && std::regex_match(s, kDateTime);
}

// An empty schema (only annotations) accepts anything, null included.
bool IsAnySchema(const Json& schema) {
  for (const auto& [key, _] : schema.items()) {
    if (key == "description" || key == "readOnly" || key == "writeOnly" || key == "example" ||
        key == "title" || key == "default" || key.rfind("x-", 0) == 0) {
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

Json LoadYamlAsJson(const std::string& path) {
  return YamlToJson(YAML::LoadFile(path));
}

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

const std::set<std::string>& SchemaValidator::KnownKeywords() {
  static const std::set<std::string> kKnown = {
      "$ref",     "type",     "nullable",  "required",   "properties",  "additionalProperties",
      "items",    "enum",     "allOf",     "oneOf",      "anyOf",       "pattern",
      "format",   "minimum",  "maximum",   "minLength",  "maxLength",   "minItems",
      "maxItems", "readOnly", "writeOnly", "x-maxBytes", "description", "example",
      "title",    "default",  "deprecated"};
  return kKnown;
}

const Json* SchemaValidator::ResolveRef(const std::string& ref) const {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  try {
    const Json::json_pointer pointer(ref.substr(1));
    if (!doc_.contains(pointer)) return nullptr;
    return &doc_.at(pointer);
  } catch (const Json::exception&) {
    return nullptr;
  }
}

const Json* SchemaValidator::Deref(const Json& schema) const {
  const Json* s = &schema;
  for (int i = 0; i < 32 && s && s->is_object() && s->contains("$ref"); ++i) {
    const auto& ref = (*s)["$ref"];
    s = ref.is_string() ? ResolveRef(ref.get<std::string>()) : nullptr;
  }
  return s;
}

bool SchemaValidator::IsReadOnly(const Json& schema) const {
  const Json* s = Deref(schema);
  if (schema.is_object() && schema.value("readOnly", false)) return true;
  return s && s->is_object() && s->value("readOnly", false);
}

std::vector<std::string> SchemaValidator::Validate(const Json& schema, const Json& value,
                                                   Direction direction,
                                                   const std::string& root) const {
  std::vector<std::string> errors;
  Check(schema, value, root, direction, errors, 0);
  return errors;
}

void SchemaValidator::Check(const Json& schema, const Json& value, const std::string& path,
                            Direction direction, std::vector<std::string>& errors,
                            int depth) const {
  if (depth > 64) {
    errors.push_back(path + ": schema nesting deeper than 64 (reference cycle?)");
    return;
  }
  if (!schema.is_object()) {
    errors.push_back(path + ": the schema is not an object");
    return;
  }
  if (auto ref = schema.find("$ref"); ref != schema.end()) {
    // OpenAPI 3.0: siblings of $ref are ignored.
    const Json* target = ref->is_string() ? ResolveRef(ref->get<std::string>()) : nullptr;
    if (!target) {
      errors.push_back(path + ": unresolvable $ref " + ref->dump());
      return;
    }
    Check(*target, value, path, direction, errors, depth + 1);
    return;
  }
  if (value.is_null()) {
    if (schema.value("nullable", false) || IsAnySchema(schema)) return;
    errors.push_back(path + ": null is not allowed here (the schema is not nullable)");
    return;
  }
  if (auto type = schema.find("type"); type != schema.end()) {
    const std::string want = type->get<std::string>();
    if (!TypeMatches(want, value)) {
      errors.push_back(path + ": expected " + want + ", got " + TypeName(value) + " " +
                       value.dump());
      return;
    }
  }
  if (auto e = schema.find("enum"); e != schema.end()) {
    bool found = false;
    for (const auto& option : *e) found = found || option == value;
    if (!found) errors.push_back(path + ": " + value.dump() + " is not one of " + e->dump());
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (auto p = schema.find("pattern"); p != schema.end()) {
      if (!std::regex_search(s, std::regex(p->get<std::string>()))) {
        errors.push_back(path + ": \"" + s + "\" does not match pattern " + p->dump());
      }
    }
    if (auto f = schema.find("format"); f != schema.end()) {
      if (*f == "date" && !IsValidDate(s)) {
        errors.push_back(path + ": \"" + s + "\" is not a date YYYY-MM-DD");
      } else if (*f == "date-time" && !IsValidDateTime(s)) {
        errors.push_back(path + ": \"" + s + "\" is not an RFC 3339 date-time");
      }
    }
    if (auto m = schema.find("minLength");
        m != schema.end() && CodePoints(s) < m->get<std::size_t>()) {
      errors.push_back(path + ": shorter than minLength " + m->dump());
    }
    if (auto m = schema.find("maxLength");
        m != schema.end() && CodePoints(s) > m->get<std::size_t>()) {
      errors.push_back(path + ": longer than maxLength " + m->dump());
    }
    if (auto m = schema.find("x-maxBytes");
        direction == Direction::kRequest && m != schema.end() && s.size() > m->get<std::size_t>()) {
      errors.push_back(path + ": more than x-maxBytes " + m->dump() + " bytes");
    }
  }
  if (value.is_number()) {
    const double v = value.get<double>();
    if (auto m = schema.find("minimum"); m != schema.end() && v < m->get<double>()) {
      errors.push_back(path + ": " + value.dump() + " is below minimum " + m->dump());
    }
    if (auto m = schema.find("maximum"); m != schema.end() && v > m->get<double>()) {
      errors.push_back(path + ": " + value.dump() + " is above maximum " + m->dump());
    }
  }
  if (value.is_array()) {
    if (auto m = schema.find("minItems");
        m != schema.end() && value.size() < m->get<std::size_t>()) {
      errors.push_back(path + ": fewer than minItems " + m->dump());
    }
    if (auto m = schema.find("maxItems");
        m != schema.end() && value.size() > m->get<std::size_t>()) {
      errors.push_back(path + ": more than maxItems " + m->dump());
    }
    if (auto items = schema.find("items"); items != schema.end()) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        Check(*items, value[i], path + "[" + std::to_string(i) + "]", direction, errors, depth + 1);
      }
    }
  }
  if (value.is_object()) {
    const Json empty = Json::object();
    const auto props_it = schema.find("properties");
    const Json& props = props_it != schema.end() ? *props_it : empty;
    if (auto req = schema.find("required"); req != schema.end()) {
      for (const auto& name_json : *req) {
        const std::string name = name_json.get<std::string>();
        if (value.contains(name)) continue;
        if (direction == Direction::kRequest && props.contains(name) && IsReadOnly(props[name])) {
          continue;
        }
        errors.push_back(path + ": required property \"" + name + "\" is missing");
      }
    }
    const auto additional = schema.find("additionalProperties");
    for (const auto& [key, member] : value.items()) {
      const std::string member_path = path + "." + key;
      if (props.contains(key)) {
        if (direction == Direction::kRequest && IsReadOnly(props[key])) continue;  // ignored
        Check(props[key], member, member_path, direction, errors, depth + 1);
      } else if (additional != schema.end()) {
        if (additional->is_boolean() && !additional->get<bool>()) {
          errors.push_back(member_path +
                           ": property is not documented (additionalProperties "
                           "is false)");
        } else if (additional->is_object()) {
          Check(*additional, member, member_path, direction, errors, depth + 1);
        }
      }
    }
  }
  if (auto all = schema.find("allOf"); all != schema.end()) {
    for (const auto& sub : *all) Check(sub, value, path, direction, errors, depth + 1);
  }
  auto count_matches = [&](const Json& list, std::vector<std::string>& why) {
    int matches = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::vector<std::string> sub_errors;
      Check(list[i], value, path, direction, sub_errors, depth + 1);
      if (sub_errors.empty()) {
        ++matches;
      } else {
        why.push_back("alternative " + std::to_string(i) + ": " + Join(sub_errors, "; "));
      }
    }
    return matches;
  };
  if (auto one = schema.find("oneOf"); one != schema.end()) {
    std::vector<std::string> why;
    const int matches = count_matches(*one, why);
    if (matches != 1) {
      errors.push_back(path + ": must match exactly one oneOf alternative, matches " +
                       std::to_string(matches) +
                       (why.empty() ? "" : " (" + Join(why, " | ") + ")"));
    }
  }
  if (auto any = schema.find("anyOf"); any != schema.end()) {
    std::vector<std::string> why;
    if (count_matches(*any, why) == 0) {
      errors.push_back(path + ": matches no anyOf alternative (" + Join(why, " | ") + ")");
    }
  }
}

}  // namespace hs::openapi_test
