// Kundenabgleich (issue 15): the review list, the school's decisions and settings, "Kundenabgleich
// starten". Every answer is the whole list, so that the page re-renders from it.
#include "domain/contact_matching.hpp"
#include "http/api/handlers.hpp"
#include "http/api/request_parsing.hpp"

namespace hs::http::api {

namespace {

Json EvidenceJson(const std::vector<std::string>& codes) {
  Json out = Json::array();
  for (const auto& code : codes) {
    if (auto e = domain::ParseEvidenceCode(code)) out.push_back(domain::EvidenceText(*e));
  }
  return out;
}

Json CandidateJson(const app::MatchCandidate& c) {
  return {{"contact_id", c.contact_id},
          {"name", c.name},
          {"customer_number", c.customer_number},
          {"address", c.address},
          {"emails", c.emails},
          {"score", c.score},
          {"strong", c.strong},
          {"evidence", EvidenceJson(c.evidence)}};
}

Json CustomerJson(const domain::Customer& c) {
  const domain::Address& a = c.address;
  std::string place = a.zip + (a.zip.empty() || a.city.empty() ? "" : " ") + a.city;
  std::string address = a.street + (a.street.empty() || place.empty() ? "" : ", ") + place;
  return {{"id", c.id},
          {"number", c.customer_number},
          {"name", c.DisplayName()},
          {"address", address},
          {"email", c.email}};
}

Json ItemJson(const app::MatchItem& item) {
  const app::ContactMatch& m = item.match;
  Json candidates = Json::array();
  for (const auto& c : m.candidates) candidates.push_back(CandidateJson(c));
  const bool linked = m.state == app::MatchState::kLinked;
  return {{"customer", CustomerJson(item.customer)},
          {"state", std::string(app::ToString(m.state))},
          {"decided_by", linked ? Json(m.by_user ? "user" : "auto") : Json(nullptr)},
          {"linked_contact_id", linked ? Json(m.contact_id) : Json(nullptr)},
          {"unambiguous", m.unambiguous},
          {"waiting_receipts", item.waiting_receipts},
          {"candidates", candidates}};
}

Json RunJson(const std::optional<app::MatchRun>& run) {
  if (!run) return nullptr;
  return {{"at", FormatIsoInstant(run->at)}, {"contacts", run->contacts},
          {"requests", run->requests},       {"customers", run->customers},
          {"auto_linked", run->auto_linked}, {"review", run->review},
          {"create_new", run->create_new}};
}

Json OverviewJson(const app::MatchOverview& o) {
  Json items = Json::array();
  for (const auto& item : o.items) items.push_back(ItemJson(item));
  return {{"settings",
           {{"auto_link", o.auto_link},
            {"create_without_asking", o.create_without_asking},
            {"update_contacts", o.update_contacts}}},
          {"last_run", RunJson(o.last_run)},
          {"counts",
           {{"review", o.review},
            {"later", o.later},
            {"linked", o.linked},
            {"unambiguous", o.unambiguous}}},
          {"items", items}};
}

Response OverviewResponse(const Result<app::MatchOverview>& o) {
  if (!o) return ErrorResponse(o.error());
  return Ok(200, OverviewJson(*o));
}

Result<app::MatchSettingsUpdate> ParseMatchSettings(const Json& body) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors);
  app::MatchSettingsUpdate u;
  u.auto_link = r.Bool("auto_link");
  u.create_without_asking = r.Bool("create_without_asking");
  u.update_contacts = r.Bool("update_contacts");
  r.Finish();
  if (!errors.empty()) return BadRequest(std::move(errors));
  return u;
}

Result<std::string> ParseLinkBody(const Json& body) {
  std::vector<FieldError> errors;
  ObjectReader r(body, "", errors);
  auto contact_id = r.String("contact_id");
  r.Finish();
  if (!errors.empty()) return BadRequest(std::move(errors));
  if (!contact_id || contact_id->empty()) {
    return Invalid({{"contact_id", "Bitte einen sevdesk-Kontakt wählen."}});
  }
  return *contact_id;
}

}  // namespace

Response Handlers::GetMatching(const Request&, const app::Principal& p) {
  return OverviewResponse(s_.sevdesk->Matching().Overview(p.school_id));
}

Response Handlers::UpdateMatchingSettings(const Request& req, const app::Principal& p) {
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto u = ParseMatchSettings(*body);
  if (!u) return ErrorResponse(u.error());
  return OverviewResponse(s_.sevdesk->Matching().UpdateSettings(p, *u));
}

Response Handlers::RunMatching(const Request&, const app::Principal& p) {
  return OverviewResponse(s_.sevdesk->Matching().Run(p));
}

Response Handlers::AcceptUnambiguousMatches(const Request&, const app::Principal& p) {
  auto o = s_.sevdesk->Matching().AcceptUnambiguous(p);
  if (!o) return ErrorResponse(o.error());
  Json out = OverviewJson(*o);
  out["accepted"] = o->accepted;
  return Ok(200, out);
}

Response Handlers::LinkMatch(const Request& req, const app::Principal& p) {
  auto customer_id = ParseId(req.PathParam("customer"));
  if (!customer_id) return NotFoundResponse();
  auto body = JsonBody(req);
  if (!body) return ErrorResponse(body.error());
  auto contact_id = ParseLinkBody(*body);
  if (!contact_id) return ErrorResponse(contact_id.error());
  return OverviewResponse(
      s_.sevdesk->Matching().Decide(p, *customer_id, app::MatchAction::kLink, *contact_id));
}

Response Handlers::CreateForMatch(const Request& req, const app::Principal& p) {
  return Decide(req, p, app::MatchAction::kCreateNew);
}

Response Handlers::PostponeMatch(const Request& req, const app::Principal& p) {
  return Decide(req, p, app::MatchAction::kLater);
}

Response Handlers::UnlinkMatch(const Request& req, const app::Principal& p) {
  return Decide(req, p, app::MatchAction::kUnlink);
}

Response Handlers::Decide(const Request& req, const app::Principal& p, app::MatchAction action) {
  auto customer_id = ParseId(req.PathParam("customer"));
  if (!customer_id) return NotFoundResponse();
  return OverviewResponse(s_.sevdesk->Matching().Decide(p, *customer_id, action));
}

}  // namespace hs::http::api
