// The generated e-invoices checked by the official rules, not by our own reading of them:
// xmllint against the EN 16931 CII schema, and Saxon-HE running the compiled EN 16931 and
// XRechnung 3.0 schematrons (../shared/einvoice/SOURCE.md). Every sample is written to a
// temporary directory; one xmllint call and one JVM per rule set check them all.
//
// Fails on a schema error, on any SVRL failed-assert flagged fatal (or without a flag), on a
// warning that is not in kAcceptedWarnings, and when a tool or the rule files are missing.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "samples.hpp"

namespace fs = std::filesystem;
using hs::einvoice::Profile;

namespace {

// Warnings that may stay, each with the reason. Anything else fails the test.
const std::map<std::string, std::string> kAcceptedWarnings = {};

constexpr const char* kInstallHint = "run scripts/install-deps.sh (as root) to install it";

struct Assert {
  std::string id;
  std::string flag;
  std::string text;
};

struct Tally {
  int files = 0;
  int errors = 0;
  int warnings = 0;
  int unaccepted = 0;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The value of attribute `name` inside one start tag.
std::string Attribute(const std::string& tag, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const auto pos = tag.find(key);
  if (pos == std::string::npos) return "";
  const auto start = pos + key.size();
  return tag.substr(start, tag.find('"', start) - start);
}

std::string Collapse(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

std::vector<Assert> FailedAsserts(const std::string& svrl) {
  std::vector<Assert> out;
  for (auto pos = svrl.find("<svrl:failed-assert"); pos != std::string::npos;
       pos = svrl.find("<svrl:failed-assert", pos + 1)) {
    const std::string tag = svrl.substr(pos, svrl.find('>', pos) - pos);
    const auto text_start = svrl.find("<svrl:text>", pos);
    const auto text_end = svrl.find("</svrl:text>", text_start);
    std::string text;
    if (text_start != std::string::npos && text_end != std::string::npos) {
      text = Collapse(svrl.substr(text_start + 11, text_end - text_start - 11));
    }
    out.push_back({Attribute(tag, "id"), Attribute(tag, "flag"), text});
  }
  return out;
}

}  // namespace

namespace {

bool CheckTools() {
  bool ok = true;
  for (const std::string tool : {HS_XMLLINT, HS_JAVA, HS_SAXON_JAR}) {
    if (tool.empty() || tool.ends_with("NOTFOUND") || !fs::exists(tool)) {
      std::cerr << "missing: " << (tool.empty() ? "?" : tool)
                << " (xmllint, java or Saxon-HE.jar): " << kInstallHint << "\n";
      ok = false;
    }
  }
  const fs::path rules = HS_EINVOICE_SHARED_DIR;
  if (!fs::exists(rules / "SOURCE.md")) {
    std::cerr << "missing: the validation artifacts at " << rules
              << " (shared/einvoice beside the repository)\n";
    ok = false;
  }
  return ok;
}

// The Factur-X rules accept only the plain EN 16931 guideline id (FX-SCH-A-000556). An
// XRechnung is an EN 16931 invoice with a stricter id, so its EN 16931 check reads a copy with
// the plain id; the XRechnung rules check the original, id included (BR-DE-21).
std::string AsEn16931(std::string xml) {
  const std::string from = hs::einvoice::kXRechnungGuideline;
  const auto pos = xml.find(from);
  if (pos != std::string::npos) xml.replace(pos, from.size(), hs::einvoice::kEn16931Guideline);
  return xml;
}

// A negative control: a valid XRechnung with a wrong grand total (BR-CO-15) and without its
// Leitweg-ID (BR-DE-15). Both rule sets must report it, or the pipeline checks nothing (an
// SVRL read wrongly, a rule file that never fires) and a green run would mean nothing.
constexpr const char* kControlFile = "control-broken.xml";
const std::map<std::string, std::string> kControlExpects = {{"en16931", "BR-CO-15"},
                                                            {"xrechnung", "BR-DE-15"}};

std::string Broken(std::string xml) {
  const std::string total = "<ram:GrandTotalAmount>";
  const auto pos = xml.find(total);
  if (pos != std::string::npos) xml.insert(pos + total.size(), "1");
  const auto ref = xml.find("<ram:BuyerReference>");
  const std::string end = "</ram:BuyerReference>\n";
  if (ref != std::string::npos) xml.erase(ref, xml.find(end, ref) + end.size() - ref);
  return xml;
}

// Writes every sample to dir/all and the XRechnung ones also to dir/xrechnung; false when the
// generator refused one (it must not, all samples are complete).
bool WriteSamples(const fs::path& dir, int& xrechnung_count) {
  fs::create_directories(dir / "all");
  fs::create_directories(dir / "xrechnung");
  for (const auto& sample : hs::einvoice::testing::AllSamples()) {
    const auto xml = hs::einvoice::GenerateCii(sample.invoice, sample.school, sample.options);
    if (!xml) {
      std::cerr << sample.name << ": generator refused: " << xml.error().message << "\n";
      for (const auto& d : xml.error().details)
        std::cerr << "  " << d.field << ": " << d.message << "\n";
      return false;
    }
    if (sample.options.profile == Profile::kXRechnung) {
      std::ofstream(dir / "xrechnung" / (sample.name + ".xml"), std::ios::binary) << *xml;
      ++xrechnung_count;
    }
    std::ofstream(dir / "all" / (sample.name + ".xml"), std::ios::binary) << AsEn16931(*xml);
    if (sample.name == "xrechnung-authority") {
      std::ofstream(dir / "xrechnung" / kControlFile, std::ios::binary) << Broken(*xml);
      std::ofstream(dir / "all" / kControlFile, std::ios::binary) << AsEn16931(Broken(*xml));
    }
  }
  return true;
}

bool RunSchema(const fs::path& dir) {
  const fs::path xsd =
      fs::path(HS_EINVOICE_SHARED_DIR) / "schema/ZF_250/EN16931/FACTUR-X_EN16931.xsd";
  std::string command = Quote(HS_XMLLINT) + " --noout --schema " + Quote(xsd.string());
  for (const auto& entry : fs::directory_iterator(dir / "all")) {
    command += " " + Quote(entry.path().string());
  }
  command += " > " + Quote((dir / "xmllint.log").string()) + " 2>&1";
  const int rc = std::system(command.c_str());
  const std::string log = ReadFile(dir / "xmllint.log");
  std::cout << "[schema] xmllint exit " << rc << "\n" << log;
  return rc == 0;
}

bool RunSaxon(const fs::path& input, const fs::path& xslt, const fs::path& output) {
  fs::create_directories(output);
  const std::string command = Quote(HS_JAVA) + " -cp " + Quote(HS_SAXON_JAR) +
                              " net.sf.saxon.Transform -s:" + Quote(input.string()) +
                              " -xsl:" + Quote(xslt.string()) + " -o:" + Quote(output.string()) +
                              " > " + Quote(output.string() + ".log") + " 2>&1";
  const int rc = std::system(command.c_str());
  if (rc != 0) std::cerr << "Saxon exit " << rc << ":\n" << ReadFile(output.string() + ".log");
  return rc == 0;
}

void Judge(const std::string& rules, const std::string& file, const Assert& a, Tally& tally) {
  const bool warning = a.flag == "warning" || a.flag == "information";
  const auto accepted = kAcceptedWarnings.find(a.id);
  if (!warning) {
    ++tally.errors;
    std::cout << "  ERROR   " << rules << " " << file << " " << a.id << ": " << a.text << "\n";
  } else if (accepted != kAcceptedWarnings.end()) {
    ++tally.warnings;
    std::cout << "  warning " << rules << " " << file << " " << a.id
              << " (accepted: " << accepted->second << ")\n";
  } else {
    ++tally.warnings;
    ++tally.unaccepted;
    std::cout << "  WARNING " << rules << " " << file << " " << a.id
              << " (not in kAcceptedWarnings): " << a.text << "\n";
  }
}

void CheckControl(const std::string& rules, const std::vector<Assert>& asserts, Tally& tally) {
  const std::string& expected = kControlExpects.at(rules);
  for (const auto& a : asserts) {
    if (a.id == expected && a.flag != "warning") {
      std::cout << "  control " << rules << " " << kControlFile << " reported " << a.id
                << " as expected\n";
      return;
    }
  }
  ++tally.errors;
  std::cout << "  ERROR   " << rules << " " << kControlFile << " was not reported as " << expected
            << ": the validation does not work\n";
}

// Every input needs its SVRL; a missing one would otherwise pass as "no findings".
Tally ReadSvrl(const std::string& rules, const fs::path& input, const fs::path& output) {
  Tally tally;
  for (const auto& entry : fs::directory_iterator(input)) {
    ++tally.files;
    const fs::path svrl = output / entry.path().filename();
    if (!fs::exists(svrl)) {
      ++tally.errors;
      std::cout << "  ERROR   " << rules << " no SVRL for " << entry.path().filename() << "\n";
      continue;
    }
    const auto asserts = FailedAsserts(ReadFile(svrl));
    if (entry.path().filename() == kControlFile) {
      CheckControl(rules, asserts, tally);
      continue;
    }
    for (const auto& a : asserts) Judge(rules, entry.path().filename().string(), a, tally);
  }
  std::cout << "[" << rules << "] " << tally.files << " files, " << tally.errors << " errors, "
            << tally.warnings << " warnings (" << tally.unaccepted << " not accepted)\n";
  return tally;
}

}  // namespace

int main() {
  if (!CheckTools()) return 1;
  std::string pattern = (fs::temp_directory_path() / "hs-einvoice-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return 1;
  const fs::path dir = pattern;
  std::cout << "e-invoices in " << dir << "\n";
  int xrechnung_count = 0;
  if (!WriteSamples(dir, xrechnung_count) || xrechnung_count == 0) return 1;
  bool ok = RunSchema(dir);
  const fs::path xslt = fs::path(HS_EINVOICE_SHARED_DIR) / "xslt";
  ok = RunSaxon(dir / "all", xslt / "ZF_250/FACTUR-X_EN16931.xslt", dir / "svrl-en16931") && ok;
  ok = RunSaxon(dir / "xrechnung", xslt / "XR_30/XRechnung-CII-validation.xslt",
                dir / "svrl-xrechnung") &&
       ok;
  for (const auto& [rules, input, output] :
       {std::tuple{"en16931", dir / "all", dir / "svrl-en16931"},
        std::tuple{"xrechnung", dir / "xrechnung", dir / "svrl-xrechnung"}}) {
    const Tally tally = ReadSvrl(rules, input, output);
    ok = ok && tally.errors == 0 && tally.unaccepted == 0 && tally.files > 0;
  }
  if (!ok) {
    std::cout << "FAILED; the files stay in " << dir << "\n";
    return 1;
  }
  if (std::getenv("HS_KEEP_EINVOICES") == nullptr) fs::remove_all(dir);
  std::cout << "all e-invoices valid\n";
  return 0;
}
