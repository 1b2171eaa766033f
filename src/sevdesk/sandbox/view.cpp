#include "sevdesk/sandbox/view.hpp"

namespace hs::sevdesk::sandbox {

namespace {

std::string Text(const Json& value) {
  if (value.is_null()) return "–";
  if (value.is_string()) return HtmlEscape(value.get<std::string>());
  return HtmlEscape(value.dump());
}

std::string MaskToken(const std::string& token) {
  if (token.size() <= 8) return "••••";
  return HtmlEscape(token.substr(0, 4)) + "…" + HtmlEscape(token.substr(token.size() - 4));
}

std::string ContactName(const Json& c) {
  if (c["name"].is_string()) return HtmlEscape(c["name"].get<std::string>());
  std::string out;
  if (c["surename"].is_string()) out += c["surename"].get<std::string>();
  if (c["familyname"].is_string())
    out += (out.empty() ? "" : " ") + c["familyname"].get<std::string>();
  return HtmlEscape(out);
}

constexpr std::string_view kHead = R"(<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sevdesk-Sandbox</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2733;background:#f7f8fa}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem}
section{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:1rem 1.5rem;margin-bottom:1.5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e8ebef;font-size:.9rem}
th{background:#f0f2f5}.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:99px;background:#e6eefc;font-size:.8rem;margin-right:.3rem}
.warn{background:#fde8e8}.muted{color:#6b7785}tr.hl td{background:#fff6d6}
</style></head><body>
<h1>sevdesk-Sandbox</h1>
<p class="muted">Nachbildung der sevdesk-API für Tests und Demo. Es werden keine echten Daten an sevdesk übertragen.
Die gleichen Daten als JSON: <a href="/__sandbox">/__sandbox</a></p>
)";

// The account's heading and its badges (bookkeeping, tax mode, API access, token).
std::string AccountHeading(const Json& a) {
  std::string html = "<h2>" + Text(a["name"]) + " <span class=\"muted\">(Konto " + Text(a["id"]) +
                     ", Token " + MaskToken(a["token"].get<std::string>()) + ")</span></h2><p>";
  html += "<span class=\"badge\">Buchhaltung " + Text(a["bookkeepingVersion"]) + "</span>";
  html += "<span class=\"badge\">" +
          std::string(a["taxMode"] == "kleinunternehmer" ? "Kleinunternehmer (§ 19 UStG)"
                                                         : "Regelbesteuerung") +
          "</span>";
  if (!a["apiAccess"].get<bool>()) {
    html += "<span class=\"badge warn\">Kein API-Zugriff (Tarif unter Buchhaltung Pro)</span>";
  }
  if (a["revoked"].get<bool>()) html += "<span class=\"badge warn\">Token widerrufen</span>";
  html += "</p>";
  return html;
}

std::string ContactRow(const Json& a, const Json& c) {
  std::string email, address;
  for (const auto& w : a["communicationWays"]) {
    if (w["contact"]["id"] == c["id"] && w["type"] == "EMAIL") email = Text(w["value"]);
  }
  for (const auto& ad : a["contactAddresses"]) {
    if (ad["contact"]["id"] == c["id"]) {
      address = Text(ad["street"]) + ", " + Text(ad["zip"]) + " " + Text(ad["city"]);
    }
  }
  return "<tr><td>" + Text(c["id"]) + "</td><td>" + Text(c["customerNumber"]) + "</td><td>" +
         ContactName(c) + "</td><td>" + (c["name"].is_string() ? "Organisation" : "Person") +
         "</td><td>" + email + "</td><td>" + address + "</td></tr>";
}

std::string ContactsTable(const Json& a) {
  std::string html = "<h3>Kontakte (" + std::to_string(a["contacts"].size()) + ")</h3>";
  if (a["contacts"].empty()) return html;
  html +=
      "<table><tr><th>ID</th><th>Kundennummer</th><th>Name</th><th>Art</th>"
      "<th>E-Mail</th><th>Anschrift</th></tr>";
  for (const auto& c : a["contacts"]) html += ContactRow(a, c);
  html += "</table>";
  return html;
}

std::string DocumentCell(const Json& item) {
  if (!item["document"].is_object()) return "–";
  return "<a href=\"" + Text(item["document"]["url"]) + "\">" + Text(item["document"]["filename"]) +
         "</a> (" + std::to_string(item["document"]["size"].get<std::size_t>()) + " Bytes)";
}

std::string StatusText(const std::string& status) {
  return status == "50"     ? "Entwurf"
         : status == "100"  ? "offen"
         : status == "750"  ? "teilbezahlt"
         : status == "1000" ? "bezahlt"
                            : status;
}

std::string VoucherRow(const Json& item, const std::string& highlight) {
  const Json& v = item["voucher"];
  std::string date = v["voucherDate"].is_string()
                         ? HtmlEscape(v["voucherDate"].get<std::string>().substr(0, 10))
                         : "–";
  const std::string status_text = StatusText(v["status"].get<std::string>());
  const std::string id = v["id"].is_string() ? v["id"].get<std::string>() : "";
  return "<tr id=\"voucher-" + HtmlEscape(id) + "\"" +
         (!highlight.empty() && id == highlight ? " class=\"hl\"" : "") + "><td>" + Text(v["id"]) +
         "</td><td>" + date + "</td><td>" + Text(v["description"]) + "</td><td>" +
         Text(v["supplierName"]) + "</td><td>" +
         (v["creditDebit"] == "D" ? "Einnahme" : "Ausgabe") + "</td><td>" + status_text +
         "</td><td class=\"num\">" + Text(v["sumNet"]) + "</td><td class=\"num\">" +
         Text(v["sumTax"]) + "</td><td class=\"num\">" + Text(v["sumGross"]) + "</td><td>" +
         DocumentCell(item) + "</td></tr>";
}

std::string VouchersTable(const Json& a, const std::string& highlight) {
  std::string html = "<h3>Belege (" + std::to_string(a["vouchers"].size()) + ")</h3>";
  if (a["vouchers"].empty()) return html;
  html +=
      "<table><tr><th>ID</th><th>Datum</th><th>Beschreibung</th><th>Kunde</th>"
      "<th>Art</th><th>Status</th><th class=\"num\">Netto</th><th class=\"num\">USt</th>"
      "<th class=\"num\">Brutto</th><th>Dokument</th></tr>";
  for (const auto& item : a["vouchers"]) html += VoucherRow(item, highlight);
  html += "</table>";
  return html;
}

}  // namespace

std::string RenderView(const Json& accounts, const std::string& highlight) {
  std::string html(kHead);
  if (accounts.empty()) html += "<p>Keine Konten eingerichtet.</p>";
  for (const auto& a : accounts) {
    html += "<section>" + AccountHeading(a) + ContactsTable(a) + VouchersTable(a, highlight) +
            "</section>";
  }
  if (!highlight.empty()) {
    html +=
        "<script>var r=document.querySelector('tr.hl');if(r)r.scrollIntoView({block:'center'});"
        "</script>";
  }
  html += "</body></html>\n";
  return html;
}

}  // namespace hs::sevdesk::sandbox
