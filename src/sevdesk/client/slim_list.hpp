#pragma once

// Reading a sevdesk list answer ({"objects": [...], "total": ...}) without building the whole
// document. A page of 1,000 vouchers is about 2 MB with some 60 fields per voucher; the payment
// sync needs 8 of them. Building the full tree for every page cost more CPU than the transfers
// running beside the sync (bench: hs_transfer_bench --section sync), so list pages whose callers
// name their fields are read with a SAX pass that keeps only those.

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

namespace hs::sevdesk {

struct SlimList {
  // Each object of "objects" with only the named fields that hold a scalar; objects that are
  // not JSON objects are left out, as the full reading does.
  std::vector<nlohmann::json> objects;
  std::size_t listed = 0;  // elements of "objects" of any kind: a page's length
  bool objects_is_array = false;
  nlohmann::json total;  // null when absent or not a scalar
  bool error = false;    // a top-level "error" that is not null
};

// Nothing when `body` is not a JSON object (malformed, cut off, an array, too deep): the caller
// then reads it the full way, which classifies what went wrong.
std::optional<SlimList> ParseSlimList(std::string_view body,
                                      const std::vector<std::string_view>& fields);

}  // namespace hs::sevdesk
