#include "sevdesk/client/slim_list.hpp"

#include <algorithm>
#include <string>

namespace hs::sevdesk {

namespace {

using Json = nlohmann::json;

// Where a value sits decides what happens to it. The depth is that of the container the value
// is in: 1 the answer object, 2 the "objects" array, 3 one listed object.
class SlimSax {
 public:
  explicit SlimSax(const std::vector<std::string_view>& fields) : fields_(fields) {}

  // Most values are not wanted: they are only counted, and never copied into a Json.
  bool null() {
    return Scalar([] { return Json(); });
  }
  bool boolean(bool v) {
    return Scalar([v] { return Json(v); });
  }
  bool number_integer(Json::number_integer_t v) {
    return Scalar([v] { return Json(v); });
  }
  bool number_unsigned(Json::number_unsigned_t v) {
    return Scalar([v] { return Json(v); });
  }
  bool number_float(Json::number_float_t v, const Json::string_t& /*text*/) {
    return Scalar([v] { return Json(v); });
  }
  bool string(Json::string_t& v) {
    return Scalar([&v] { return Json(std::move(v)); });
  }
  bool binary(Json::binary_t& /*v*/) {
    return Scalar([] { return Json(); });
  }

  // Copied, not moved: the lexer keeps its buffer, and ours keep their capacity.
  bool key(Json::string_t& k) {
    if (depth_ == 1) key1_.assign(k);
    if (depth_ == 3) key3_.assign(k);
    return true;
  }

  bool start_object(std::size_t /*size*/) {
    if (depth_ == 0) {
      top_is_object_ = true;
    } else {
      OpenContainer();
      if (InObjects()) {
        out_.objects.push_back(Json::object());
        element_open_ = true;
        key3_.clear();
      }
    }
    ++depth_;
    return true;
  }

  bool start_array(std::size_t /*size*/) {
    if (depth_ == 0) return false;  // not a list answer
    OpenContainer();
    if (depth_ == 1 && key1_ == "objects") {
      if (objects_seen_) return false;  // twice: let the full reading decide
      objects_seen_ = in_objects_ = true;
      out_.objects_is_array = true;
    }
    ++depth_;
    return true;
  }

  bool end_object() { return Close(); }
  bool end_array() {
    if (depth_ == 2 && in_objects_) in_objects_ = false;
    return Close();
  }

  bool parse_error(std::size_t /*pos*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*e*/) {
    return false;
  }

  bool TopWasObject() const { return top_is_object_; }
  SlimList Take() { return std::move(out_); }

 private:
  bool InObjects() const { return depth_ == 2 && in_objects_; }

  // A container as a value: at the top it marks an error or is skipped; in a listed object it
  // is not a scalar and is left out.
  void OpenContainer() {
    if (depth_ == 1 && key1_ == "error") out_.error = true;
    if (InObjects()) ++out_.listed;
  }

  template <typename MakeJson>
  bool Scalar(MakeJson make) {
    if (depth_ == 0) return false;  // a bare scalar is not a list answer
    if (InObjects()) ++out_.listed;
    if (depth_ == 1) {
      if (key1_ == "total") out_.total = make();
      if (key1_ == "error" && !make().is_null()) out_.error = true;
    } else if (depth_ == 3 && element_open_ && Wanted(key3_)) {
      out_.objects.back()[key3_] = make();
    }
    return true;
  }

  bool Close() {
    --depth_;
    if (depth_ == 2) element_open_ = false;
    return true;
  }

  bool Wanted(const std::string& k) const {
    return std::find(fields_.begin(), fields_.end(), k) != fields_.end();
  }

  const std::vector<std::string_view>& fields_;
  SlimList out_;
  int depth_ = 0;
  bool top_is_object_ = false;
  bool in_objects_ = false;
  bool objects_seen_ = false;
  bool element_open_ = false;  // the container at depth 3 is a listed object
  std::string key1_, key3_;
};

}  // namespace

std::optional<SlimList> ParseSlimList(std::string_view body,
                                      const std::vector<std::string_view>& fields) {
  SlimSax sax(fields);
  if (!Json::sax_parse(body, &sax) || !sax.TopWasObject()) return std::nullopt;
  return sax.Take();
}

}  // namespace hs::sevdesk
