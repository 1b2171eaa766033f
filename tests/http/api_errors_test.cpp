// What the school sees of an error: no SQL, driver text or internals in any answer (issue 13).
#include <gtest/gtest.h>

#include "app/ports.hpp"
#include "http/api/api.hpp"

namespace hs::http::api {
namespace {

TEST(ApiErrors, StorageAndInternalDetailsNeverReachTheAnswer) {
  const std::string sql_text =
      "SQLite: UNIQUE constraint failed: invoices.school_id, invoices.number in: UPDATE invoices "
      "SET status='finalized'";
  struct Case {
    hs::Error error;
    int status;
    std::string message;  // expected German text ("" = unchanged)
  };
  const std::vector<Case> cases = {
      {{ErrorCode::kConflict, "constraint", sql_text, {{"x", sql_text}}, {}},
       409,
       std::string(app::kConstraintMessage)},
      {{ErrorCode::kInternal, "database_error", sql_text, {}, {}},
       500,
       "Ein interner Fehler ist aufgetreten. Bitte später erneut versuchen."},
      {{ErrorCode::kUnavailable, "database_busy", sql_text, {}, {}},
       503,
       "Der Dienst ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen."},
      {{ErrorCode::kConflict,
        "invoice_not_draft",
        "Die Rechnung ist bereits festgeschrieben.",
        {},
        {}},
       409,
       ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error.reason);
    const Response r = ErrorResponse(c.error);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.body.find("SQLite"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("UPDATE"), std::string::npos) << r.body;
    const std::string expected = c.message.empty() ? c.error.message : c.message;
    EXPECT_EQ(ShownError(c.error).message, expected);
    EXPECT_EQ(ShownError(c.error).reason, c.error.reason);
  }
}

}  // namespace
}  // namespace hs::http::api
