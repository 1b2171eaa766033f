#include "pdf/invoice_pdf.hpp"

#include <hpdf.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "core/date.hpp"
#include "core/money.hpp"
#include "core/text.hpp"
#include "pdf/pdf_layout.hpp"
#include "pdf/printable.hpp"

namespace hs::pdf {

namespace {

using domain::Invoice;
using domain::InvoiceKind;
using domain::School;

// Geometry in points; "top" coordinates are measured from the upper page edge like DIN 5008 does,
// and converted to PDF's bottom-up y only when drawing.
constexpr double kMm = 72.0 / 25.4;
constexpr double kPageHeight = 297 * kMm;
constexpr double kLeft = 25 * kMm;  // DIN 5008: 25 mm left margin
constexpr double kRight = 190 * kMm;
constexpr double kContentWidth = kRight - kLeft;
constexpr double kBodyBottom = 258 * kMm;   // nothing but the footer below this line
constexpr double kInfoLeft = 125 * kMm;     // DIN 5008 form B information block
constexpr double kAddressWidth = 80 * kMm;  // address window 85 mm minus 5 mm inset

constexpr const char* kRegularFile = "DejaVuSans.ttf";
constexpr const char* kBoldFile = "DejaVuSans-Bold.ttf";
// Text in Windows-1252, which covers German text including €, the typographic quotes and the
// dashes, uses the PDF base-14 fonts with the standard WinAnsiEncoding: every viewer has them,
// nothing is embedded, and a typical invoice is a few KB instead of ~290 KB with embedded DejaVu
// (render time ~8 ms -> well under 1 ms, bench/pdf_bench.cpp). Only words outside it (e.g.
// "Łukasz", "Yılmaz") need the embedded DejaVu through libharu's UTF-8 Type0 font, which costs
// ~5 ms to create (it maps all 65536 code points), so it is lazy.
constexpr std::array<const char*, 2> kStandardFonts = {"Helvetica", "Helvetica-Bold"};
constexpr const char* kAnsiEncoding = "WinAnsiEncoding";
constexpr const char* kUnicodeEncoding = "UTF-8";

enum class Weight { kRegular = 0, kBold = 1 };

struct Gray {
  double level = 0;
};
constexpr Gray kBlack{0.0};
constexpr Gray kDark{0.3};
constexpr Gray kMuted{0.45};
constexpr Gray kRuleGray{0.65};
constexpr Gray kHairline{0.82};
constexpr Gray kHeaderFill{0.92};

// ---------------------------------------------------------------------------------------------
// libharu handle

struct HpdfError {
  HPDF_STATUS code = HPDF_OK;
  HPDF_STATUS detail = 0;
};

// Called by C code: it must not throw (an exception would unwind through libharu's frames).
// Keeps the first error; later ones are mostly consequences of it.
void OnHpdfError(HPDF_STATUS code, HPDF_STATUS detail, void* user_data) noexcept {
  auto* error = static_cast<HpdfError*>(user_data);
  if (error->code == HPDF_OK) {
    error->code = code;
    error->detail = detail;
  }
}

std::string DescribeHpdfError(const HpdfError& error) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "libharu-Fehler 0x%04X/%u", static_cast<unsigned>(error.code),
                static_cast<unsigned>(error.detail));
  return buf;
}

// libharu 2.3 dereferences NULL on a file that is not a TrueType font, so the table directory
// is checked first. Font files are configuration, not user input; this catches a wrong font_dir
// or a truncated file, not a crafted font.
Status CheckTrueTypeFile(const std::filesystem::path& path) {
  const auto invalid = [&](const std::string& why) {
    return Fail(ErrorCode::kInternal, "pdf_font_invalid",
                "Keine gültige TrueType-Schrift: " + path.string() + " (" + why + ")");
  };
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return invalid("nicht lesbar");
  const auto u16 = [](const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0] << 8 | p[1]);
  };
  const auto u32 = [](const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
  };
  std::array<unsigned char, 12> header{};
  if (size < header.size() || !in.read(reinterpret_cast<char*>(header.data()), header.size())) {
    return invalid("zu kurz");
  }
  const std::uint32_t version = u32(header.data());
  if (version != 0x00010000 && version != 0x74727565 /* "true" */) return invalid("kein sfnt");
  const std::uint32_t tables = u16(header.data() + 4);
  if (tables == 0 || tables > 100 || 12 + 16 * std::uintmax_t{tables} > size) {
    return invalid("Tabellenverzeichnis defekt");
  }
  std::vector<unsigned char> directory(16 * tables);
  if (!in.read(reinterpret_cast<char*>(directory.data()),
               static_cast<std::streamsize>(directory.size()))) {
    return invalid("Tabellenverzeichnis defekt");
  }
  std::vector<std::string> tags;
  for (std::uint32_t i = 0; i < tables; ++i) {
    const unsigned char* entry = directory.data() + 16 * i;
    if (std::uintmax_t{u32(entry + 8)} + u32(entry + 12) > size)
      return invalid("Tabelle abgeschnitten");
    tags.emplace_back(reinterpret_cast<const char*>(entry), 4);
  }
  for (const char* required :
       {"OS/2", "cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name", "post"}) {
    if (std::find(tags.begin(), tags.end(), required) == tags.end()) {
      return invalid(std::string("Tabelle ") + required + " fehlt");
    }
  }
  return {};
}

// A whole TrueType file as the FontFile2 stream of a PDF: flate-compressed once per handle, so
// a document pays for neither subsetting nor compression (ADR 0017, "Font programs").
struct FontProgram {
  std::string flate;          // the stream data, /Filter /FlateDecode
  std::uint32_t length1 = 0;  // the uncompressed length, /Length1
};

// The Windows-1252 fonts of PdfSettings::embed_all_fonts: the PDF font names of the regular and
// bold weight and, when libharu does not embed them itself, their programs.
struct AnsiFonts {
  std::array<std::string, 2> names;
  std::array<FontProgram, 2> programs;  // empty flate: libharu embeds the font
};

Result<FontProgram> CompressedFontProgram(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream read;
  read << in.rdbuf();
  const std::string bytes = in ? read.str() : std::string();
  if (bytes.empty()) {
    return Fail(ErrorCode::kInternal, "pdf_font_invalid",
                "Schriftdatei nicht lesbar: " + path.string());
  }
  // Level 9: compressed once per thread, stored with every e-invoice.
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string flate(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(flate.data()), &size,
                reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uLong>(bytes.size()),
                Z_BEST_COMPRESSION) != Z_OK) {
    return Internal("Schrift konnte nicht komprimiert werden: " + path.string());
  }
  flate.resize(size);
  return FontProgram{std::move(flate), static_cast<std::uint32_t>(bytes.size())};
}

// libharu writes a stream's /Filter only for the filters it applies itself; the font program is
// compressed already, so its dictionary names the filter here (HPDF_Dict::write_fn runs after
// the dictionary's own entries).
HPDF_STATUS WriteFlateFilter(HPDF_Dict /*dict*/, HPDF_Stream stream) noexcept {
  return HPDF_Stream_WriteStr(stream, "/Filter /FlateDecode\012");
}

// Gives a font that libharu loaded without embedding its whole program as /FontFile2. libharu
// creates a font's descriptor only while saving (the font's before_write_fn); it is created
// here already, and saving then keeps it.
HPDF_STATUS AttachFontProgram(HPDF_Doc doc, HPDF_Font font, const FontProgram& program) {
  if (font->before_write_fn == nullptr) return HPDF_INVALID_OBJECT;
  if (HPDF_STATUS status = font->before_write_fn(font); status != HPDF_OK) return status;
  auto* descriptor =
      static_cast<HPDF_Dict>(HPDF_Dict_GetItem(font, "FontDescriptor", HPDF_OCLASS_DICT));
  if (descriptor == nullptr) return HPDF_INVALID_OBJECT;
  HPDF_Dict file = HPDF_DictStream_New(doc->mmgr, doc->xref);
  if (file == nullptr) return HPDF_FAILD_TO_ALLOC_MEM;
  file->filter = HPDF_STREAM_FILTER_NONE;
  file->write_fn = WriteFlateFilter;
  HPDF_STATUS status =
      HPDF_Stream_Write(file->stream, reinterpret_cast<const HPDF_BYTE*>(program.flate.data()),
                        static_cast<HPDF_UINT>(program.flate.size()));
  if (status == HPDF_OK) status = HPDF_Dict_AddNumber(file, "Length1", program.length1);
  if (status == HPDF_OK) status = HPDF_Dict_Add(descriptor, "FontFile2", file);
  return status;
}

// One libharu handle per thread. HPDF_NewDoc keeps the parsed font definitions of the handle
// (it only resets their glyph usage), so the TTF files are parsed once per thread instead of
// once per invoice; the font subset tags restart at "HPDFAA" for every document, which keeps
// the output independent of what the thread rendered before.
class Engine {
 public:
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() { HPDF_Free(doc_); }

  static Result<std::unique_ptr<Engine>> Create(const std::string& font_dir) {
    std::unique_ptr<Engine> engine(new Engine());
    engine->font_dir_ = font_dir;
    engine->doc_ = HPDF_New(OnHpdfError, &engine->error_);
    if (engine->doc_ == nullptr) return Internal("libharu konnte nicht initialisiert werden.");
    HPDF_UseUTFEncodings(engine->doc_);
    auto names = engine->LoadFontPair(font_dir, HPDF_TRUE);
    if (!names) return tl::unexpected(names.error());
    engine->font_names_ = *names;
    engine->full_dejavu_.names = *names;
    return engine;
  }

  // The embedded fonts for the Windows-1252 text (PdfSettings::embed_all_fonts): from
  // `ansi_font_dir`, loaded once per handle, or the full DejaVu when it is empty.
  Result<const AnsiFonts*> EmbeddedAnsiFonts(const std::string& ansi_font_dir) {
    if (ansi_font_dir.empty()) return &full_dejavu_;
    if (auto it = ansi_fonts_.find(ansi_font_dir); it != ansi_fonts_.end()) return &it->second;
    // libharu gets the reduced fonts without embedding (no per-document subsetting); their
    // whole program is attached to each document from here (AttachFontPrograms).
    auto names = LoadFontPair(ansi_font_dir, HPDF_FALSE);
    if (!names) return tl::unexpected(names.error());
    AnsiFonts fonts{*names, {}};
    const std::filesystem::path dir(ansi_font_dir);
    for (std::size_t i = 0; i < fonts.programs.size(); ++i) {
      auto program = CompressedFontProgram(dir / (i == 0 ? kRegularFile : kBoldFile));
      if (!program) return tl::unexpected(program.error());
      fonts.programs[i] = std::move(*program);
    }
    return &ansi_fonts_.emplace(ansi_font_dir, std::move(fonts)).first->second;
  }

  HPDF_Doc doc() const { return doc_; }
  HpdfError& error() { return error_; }
  const std::string& font_dir() const { return font_dir_; }
  const char* FontName(Weight weight) const {
    return font_names_[static_cast<int>(weight)].c_str();
  }

 private:
  Engine() = default;

  // Checks and loads the regular and bold TrueType files of `font_dir`; their PDF font names.
  // `embed`: libharu embeds a subset of the font program into every document that uses it.
  Result<std::array<std::string, 2>> LoadFontPair(const std::string& font_dir, HPDF_BOOL embed) {
    const std::filesystem::path dir(font_dir);
    for (const char* file : {kRegularFile, kBoldFile}) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(dir / file, ec)) {
        return Fail(ErrorCode::kInternal, "pdf_font_missing",
                    "Schriftdatei für die PDF-Erzeugung fehlt: " + (dir / file).string());
      }
      if (auto checked = CheckTrueTypeFile(dir / file); !checked) {
        return tl::unexpected(checked.error());
      }
    }
    const char* regular = HPDF_LoadTTFontFromFile(doc_, (dir / kRegularFile).c_str(), embed);
    const char* bold = HPDF_LoadTTFontFromFile(doc_, (dir / kBoldFile).c_str(), embed);
    if (regular == nullptr || bold == nullptr || error_.code != HPDF_OK) {
      return Fail(ErrorCode::kInternal, "pdf_font_invalid",
                  "Schriften in " + font_dir +
                      " konnten nicht geladen werden: " + DescribeHpdfError(error_));
    }
    return std::array<std::string, 2>{regular, bold};
  }

  HPDF_Doc doc_ = nullptr;
  HpdfError error_;
  std::string font_dir_;
  std::array<std::string, 2> font_names_;
  AnsiFonts full_dejavu_;  // font_names_, embedded by libharu
  std::map<std::string, AnsiFonts> ansi_fonts_;
};

std::unique_ptr<Engine>& ThreadEngine() {
  thread_local std::unique_ptr<Engine> engine;
  return engine;
}

Result<Engine*> EngineForThisThread(const std::string& font_dir) {
  std::unique_ptr<Engine>& engine = ThreadEngine();
  if (!engine || engine->font_dir() != font_dir) {
    engine.reset();
    auto created = Engine::Create(font_dir);
    if (!created) return tl::unexpected(created.error());
    engine = std::move(*created);
  }
  return engine.get();
}

// ---------------------------------------------------------------------------------------------
// Text drawing over the WinAnsi/Unicode font pair

class Painter {
 public:
  // embedded_ansi (PDF/A, PdfSettings::embed_all_fonts): the font names the Windows-1252 text
  // is set in, embedded TrueType with the same WinAnsiEncoding; null: base-14 Helvetica.
  Painter(Engine& engine, const std::array<std::string, 2>* embedded_ansi) : engine_(engine) {
    for (Weight weight : {Weight::kRegular, Weight::kBold}) {
      const int index = static_cast<int>(weight);
      ansi_[index] = HPDF_GetFont(
          engine_.doc(),
          embedded_ansi != nullptr ? (*embedded_ansi)[index].c_str() : kStandardFonts[index],
          kAnsiEncoding);
    }
  }

  double Width(std::string_view utf8, Weight weight, double size) {
    double width = 0;
    for (const TextRun& run : SplitRuns(utf8)) width += RunWidth(run, weight, size);
    return width;
  }

  MeasureFn Measure(Weight weight, double size) {
    return [this, weight, size](std::string_view text) { return Width(text, weight, size); };
  }

  void Text(HPDF_Page page, double x, double top, std::string_view utf8, Weight weight, double size,
            Gray color = kBlack) {
    if (utf8.empty()) return;
    HPDF_Page_BeginText(page);
    HPDF_Page_SetGrayFill(page, color.level);
    double cursor = x;
    for (const TextRun& run : SplitRuns(utf8)) {
      HPDF_Page_SetFontAndSize(page, Font(weight, run.win_ansi), size);
      HPDF_Page_TextOut(page, cursor, kPageHeight - top, run.bytes.c_str());
      cursor += RunWidth(run, weight, size);
    }
    HPDF_Page_EndText(page);
  }

  void TextRight(HPDF_Page page, double right, double top, std::string_view utf8, Weight weight,
                 double size, Gray color = kBlack) {
    Text(page, right - Width(utf8, weight, size), top, utf8, weight, size, color);
  }

  // Right-aligned text that shrinks (down to 60 %) to stay inside its column, so an unusually
  // large amount never runs into the neighbouring column.
  void TextRightFit(HPDF_Page page, double right, double top, std::string_view utf8, Weight weight,
                    double size, double max_width, Gray color = kBlack) {
    double fitted = size;
    const double width = Width(utf8, weight, size);
    if (width > max_width) fitted = std::max(size * 0.6, size * max_width / width);
    TextRight(page, right, top, utf8, weight, fitted, color);
  }

  static void Rule(HPDF_Page page, double x1, double x2, double top, double line_width,
                   Gray color) {
    HPDF_Page_SetLineWidth(page, line_width);
    HPDF_Page_SetGrayStroke(page, color.level);
    HPDF_Page_MoveTo(page, x1, kPageHeight - top);
    HPDF_Page_LineTo(page, x2, kPageHeight - top);
    HPDF_Page_Stroke(page);
  }

  static void FillRect(HPDF_Page page, double x, double top, double width, double height,
                       Gray color) {
    HPDF_Page_SetGrayFill(page, color.level);
    HPDF_Page_Rectangle(page, x, kPageHeight - top - height, width, height);
    HPDF_Page_Fill(page);
  }

 private:
  HPDF_Font Font(Weight weight, bool win_ansi) {
    const int index = static_cast<int>(weight);
    if (win_ansi) return ansi_[index];
    if (unicode_[index] == nullptr) {
      unicode_[index] = HPDF_GetFont(engine_.doc(), engine_.FontName(weight), kUnicodeEncoding);
    }
    return unicode_[index];
  }

  double RunWidth(const TextRun& run, Weight weight, double size) {
    const HPDF_TextWidth width = HPDF_Font_TextWidth(
        Font(weight, run.win_ansi), reinterpret_cast<const HPDF_BYTE*>(run.bytes.data()),
        static_cast<HPDF_UINT>(run.bytes.size()));
    return width.width * size / 1000.0;
  }

  Engine& engine_;
  std::array<HPDF_Font, 2> ansi_{};
  std::array<HPDF_Font, 2> unicode_{};
};

// ---------------------------------------------------------------------------------------------
// Content helpers

std::string CountryLine(const std::string& code) {
  // DIN 5008: the destination country in capitals, in the sender's language.
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"AT", "ÖSTERREICH"}, {"BE", "BELGIEN"},
      {"CH", "SCHWEIZ"},    {"CZ", "TSCHECHIEN"},
      {"DK", "DÄNEMARK"},   {"ES", "SPANIEN"},
      {"FR", "FRANKREICH"}, {"GB", "VEREINIGTES KÖNIGREICH"},
      {"IT", "ITALIEN"},    {"LI", "LIECHTENSTEIN"},
      {"LU", "LUXEMBURG"},  {"NL", "NIEDERLANDE"},
      {"PL", "POLEN"},      {"SE", "SCHWEDEN"}};
  for (const auto& [iso, name] : kNames) {
    if (iso == code) return std::string(name);
  }
  return code;
}

std::vector<std::string> AddressLines(const domain::Address& address) {
  std::vector<std::string> lines;
  if (!address.street.empty()) lines.push_back(address.street);
  std::string city = address.zip;
  if (!city.empty() && !address.city.empty()) city += ' ';
  city += address.city;
  if (!city.empty()) lines.push_back(city);
  if (!address.country.empty() && address.country != "DE") {
    lines.push_back(CountryLine(address.country));
  }
  return lines;
}

std::string JoinNonEmpty(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (part.empty()) continue;
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::string Percent(int rate) {
  return std::to_string(rate) + " %";
}

// Info-dictionary strings are written without an encoder, i.e. as PDFDocEncoding, which agrees
// with Latin-1 for the printable range.
std::string ToPdfDocEncoding(std::string_view utf8) {
  std::string out;
  for (char32_t c : DecodeUtf8(SanitizeText(utf8, false))) {
    out.push_back(c < 0x80 || (c >= 0xA0 && c <= 0xFF) ? static_cast<char>(c) : '?');
  }
  return out;
}

HPDF_Date DocumentDate(const Invoice& invoice) {
  // The document dates must come from the invoice, never from the clock: re-rendering the same
  // invoice has to produce the same bytes.
  const Instant when = invoice.finalized_at.value_or(
      Instant{std::chrono::sys_days{invoice.invoice_date}.time_since_epoch()});
  const auto day = std::chrono::floor<std::chrono::days>(when);
  const Date date{day};
  const std::chrono::hh_mm_ss<std::chrono::seconds> time{
      std::chrono::floor<std::chrono::seconds>(when - day)};
  HPDF_Date out{};
  out.year = static_cast<int>(date.year());
  out.month = static_cast<int>(static_cast<unsigned>(date.month()));
  out.day = static_cast<int>(static_cast<unsigned>(date.day()));
  out.hour = static_cast<int>(time.hours().count());
  out.minutes = static_cast<int>(time.minutes().count());
  out.seconds = static_cast<int>(time.seconds().count());
  out.ind = '+';
  out.off_hour = 0;
  out.off_minutes = 0;
  return out;
}

struct Column {
  const char* title;
  const char* subtitle;  // second header line, may be empty
  double left;
  double right;
  bool align_right;
};

// ---------------------------------------------------------------------------------------------
// The document

class InvoiceDocument {
 public:
  InvoiceDocument(Engine& engine, const std::array<std::string, 2>* embedded_ansi,
                  const School& school, const Invoice& invoice)
      : engine_(engine),
        painter_(engine, embedded_ansi),
        school_(school),
        invoice_(invoice),
        small_business_(school.tax_mode == domain::TaxMode::kKleinunternehmer),
        cancellation_(invoice.kind == InvoiceKind::kCancellation),
        number_(invoice.number.value_or("")) {
    const char* price_note = small_business_                                     ? ""
                             : invoice.price_entry == domain::PriceEntry::kGross ? "(brutto)"
                                                                                 : "(netto)";
    if (small_business_) {
      columns_ = {Column{"Pos.", "", 25 * kMm, 35 * kMm, false},
                  Column{"Beschreibung", "", 35 * kMm, 114 * kMm, false},
                  Column{"Menge", "", 114 * kMm, 129 * kMm, true},
                  Column{"Einheit", "", 131 * kMm, 147 * kMm, false},
                  Column{"Einzelpreis", price_note, 147 * kMm, 168 * kMm, true},
                  Column{"Betrag", price_note, 168 * kMm, 190 * kMm, true}};
    } else {
      columns_ = {Column{"Pos.", "", 25 * kMm, 35 * kMm, false},
                  Column{"Beschreibung", "", 35 * kMm, 104 * kMm, false},
                  Column{"Menge", "", 104 * kMm, 119 * kMm, true},
                  Column{"Einheit", "", 121 * kMm, 137 * kMm, false},
                  Column{"Einzelpreis", price_note, 137 * kMm, 159 * kMm, true},
                  Column{"USt.", "", 159 * kMm, 169 * kMm, true},
                  Column{"Betrag", price_note, 169 * kMm, 190 * kMm, true}};
    }
  }

  void Build() {
    AddFirstPage();
    DrawIntro();
    DrawTable();
    DrawTotals();
    DrawClosing();
    DrawFooters();
  }

 private:
  static constexpr double kRowPad = 1.6 * kMm;
  static constexpr double kRowSize = 9;
  static constexpr double kRowLeading = 11;
  static constexpr double kTextSize = 9.5;
  static constexpr double kTextLeading = 13;
  static constexpr double kHeaderHeight = 9 * kMm;

  HPDF_Page Page() const { return pages_.back(); }

  HPDF_Page NewPage() {
    HPDF_Page page = HPDF_AddPage(engine_.doc());
    HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    pages_.push_back(page);
    return page;
  }

  std::string Title() const {
    return std::string(cancellation_ ? "Stornorechnung" : "Rechnung") + " Nr. " + number_;
  }

  void AddFirstPage() {
    HPDF_Page page = NewPage();

    // Letterhead: the school's name and contact line, no logo.
    painter_.Text(page, kLeft, 20 * kMm, school_.name, Weight::kBold, 17);
    std::vector<std::string> contact = {JoinNonEmpty(
        {school_.address.street, JoinNonEmpty({school_.address.zip, school_.address.city}, " ")},
        " · ")};
    if (!school_.phone.empty()) contact.push_back("Tel. " + school_.phone);
    if (!school_.email.empty()) contact.push_back(school_.email);
    painter_.Text(page, kLeft, 26.5 * kMm,
                  Ellipsize(JoinNonEmpty(contact, " · "), kContentWidth,
                            painter_.Measure(Weight::kRegular, 8.5)),
                  Weight::kRegular, 8.5, kMuted);
    Painter::Rule(page, kLeft, kRight, 30 * kMm, 0.6, kRuleGray);

    // Address window (DIN 5008 form B: 45 mm from the top, 85 x 45 mm): the return line at the
    // bottom of the endorsement zone, the recipient in the address zone below it.
    const std::string sender =
        JoinNonEmpty({school_.name, school_.address.street,
                      JoinNonEmpty({school_.address.zip, school_.address.city}, " ")},
                     " · ");
    const std::string sender_line =
        Ellipsize(sender, kAddressWidth, painter_.Measure(Weight::kRegular, 6.5));
    painter_.Text(page, kLeft, 58 * kMm, sender_line, Weight::kRegular, 6.5, kMuted);
    Painter::Rule(page, kLeft, kLeft + painter_.Width(sender_line, Weight::kRegular, 6.5), 59 * kMm,
                  0.4, kRuleGray);

    const domain::PartySnapshot& customer = invoice_.customer_snapshot;
    std::vector<std::string> recipient;
    for (std::string& line : WrapText(SanitizeText(customer.name, false), kAddressWidth,
                                      painter_.Measure(Weight::kRegular, 10))) {
      recipient.push_back(std::move(line));
    }
    if (!customer.contact_person.empty() && customer.contact_person != customer.name) {
      recipient.push_back(customer.contact_person);
    }
    for (std::string& line : AddressLines(customer.address)) recipient.push_back(std::move(line));
    double top = 66 * kMm;
    for (const std::string& line : recipient) {
      painter_.Text(page, kLeft, top,
                    Ellipsize(SanitizeText(line, false), kAddressWidth,
                              painter_.Measure(Weight::kRegular, 10)),
                    Weight::kRegular, 10);
      top += 12.5;
    }

    // Information block right of the window.
    std::vector<std::pair<std::string, std::string>> info = {
        {"Rechnungsnummer", number_}, {"Rechnungsdatum", FormatDateDe(invoice_.invoice_date)}};
    if (customer.customer_number != 0) {
      info.emplace_back("Kundennummer", std::to_string(customer.customer_number));
    }
    if (invoice_.service_date && invoice_.service_period_end &&
        *invoice_.service_period_end != *invoice_.service_date) {
      info.emplace_back("Leistungszeitraum", FormatDateDe(*invoice_.service_date) + " – " +
                                                 FormatDateDe(*invoice_.service_period_end));
    } else {
      // Without an explicit date the service was rendered on the invoice date (§ 14 UStG
      // allows stating that explicitly).
      info.emplace_back("Leistungsdatum",
                        FormatDateDe(invoice_.service_date.value_or(invoice_.invoice_date)));
    }
    if (cancellation_ && invoice_.cancels_invoice_number) {
      info.emplace_back("Storniert Rechnung", *invoice_.cancels_invoice_number);
    }
    top = 50 * kMm;
    for (const auto& [label, value] : info) {
      const double label_width = painter_.Width(label, Weight::kRegular, 8.5);
      painter_.Text(page, kInfoLeft, top, label, Weight::kRegular, 8.5, kMuted);
      painter_.TextRightFit(page, kRight, top, SanitizeText(value, false), Weight::kRegular, 8.5,
                            kRight - kInfoLeft - label_width - 3 * kMm);
      top += 12.5;
    }

    painter_.Text(page, kLeft, 103 * kMm, Title(), Weight::kBold, 14);
    y_ = 103 * kMm + 9 * kMm;
  }

  void NewContinuationPage() {
    HPDF_Page page = NewPage();
    painter_.Text(page, kLeft, 18 * kMm, school_.name, Weight::kBold, 10);
    painter_.TextRight(page, kRight, 18 * kMm, Title(), Weight::kRegular, 8.5, kMuted);
    Painter::Rule(page, kLeft, kRight, 21 * kMm, 0.6, kRuleGray);
    y_ = 28 * kMm;
  }

  // Flowing paragraph text; moves to a new page line by line.
  void Paragraph(std::string_view text, Weight weight = Weight::kRegular) {
    for (const std::string& line :
         WrapText(SanitizeText(text, true), kContentWidth, painter_.Measure(weight, kTextSize))) {
      if (y_ + kTextLeading > kBodyBottom) NewContinuationPage();
      painter_.Text(Page(), kLeft, y_ + kTextSize, line, weight, kTextSize);
      y_ += kTextLeading;
    }
  }

  void DrawIntro() {
    if (cancellation_) {
      Paragraph("Storno zur Rechnung " + invoice_.cancels_invoice_number.value_or("") + ".",
                Weight::kBold);
      Paragraph("Hiermit stornieren wir die oben genannte Rechnung vollständig.");
    } else {
      Paragraph("Vielen Dank für Ihren Auftrag. Wir berechnen Ihnen folgende Leistungen:");
    }
    if (!small_business_ && invoice_.price_entry == domain::PriceEntry::kGross) {
      Paragraph("Alle Preise sind Bruttopreise inkl. der gesetzlichen Umsatzsteuer.");
    }
    y_ += 3 * kMm;
  }

  void DrawTableHeader() {
    HPDF_Page page = Page();
    Painter::FillRect(page, kLeft, y_, kContentWidth, kHeaderHeight, kHeaderFill);
    for (const Column& column : columns_) {
      const double top = y_ + 3.9 * kMm;
      if (column.align_right) {
        painter_.TextRight(page, column.right, top, column.title, Weight::kBold, 8);
        painter_.TextRight(page, column.right, top + 9, column.subtitle, Weight::kRegular, 7,
                           kDark);
      } else {
        painter_.Text(page, column.left, top, column.title, Weight::kBold, 8);
        painter_.Text(page, column.left, top + 9, column.subtitle, Weight::kRegular, 7, kDark);
      }
    }
    y_ += kHeaderHeight;
  }

  void DrawTable() {
    DrawTableHeader();
    const Column& text_column = columns_[1];
    const MeasureFn measure = painter_.Measure(Weight::kRegular, kRowSize);
    const double text_width = text_column.right - text_column.left - 2 * kMm;
    // A row never starts on a page it cannot finish, unless it is taller than a whole page.
    const double page_capacity = kBodyBottom - (28 * kMm + kHeaderHeight) - 2 * kRowPad;

    for (std::size_t index = 0; index < invoice_.lines.size(); ++index) {
      const domain::InvoiceLine& line = invoice_.lines[index];
      const std::vector<std::string> text_lines =
          WrapText(SanitizeText(line.text, true), text_width, measure);
      std::size_t next_line = 0;
      bool first_chunk = true;
      while (first_chunk || next_line < text_lines.size()) {
        const std::size_t remaining = text_lines.size() - next_line;
        const double needed = 2 * kRowPad + static_cast<double>(remaining) * kRowLeading;
        const double available = kBodyBottom - y_ - 2 * kRowPad;
        std::size_t fitting = available > 0 ? static_cast<std::size_t>(available / kRowLeading) : 0;
        if (y_ + needed <= kBodyBottom) {
          fitting = remaining;
        } else if (fitting == 0 || static_cast<double>(remaining) * kRowLeading <= page_capacity) {
          NewContinuationPage();
          DrawTableHeader();
          continue;
        }
        fitting = std::min(fitting, remaining);
        DrawRowChunk(index, line, text_lines, next_line, fitting, first_chunk);
        next_line += fitting;
        first_chunk = false;
      }
    }
    Painter::Rule(Page(), kLeft, kRight, y_, 0.8, kDark);
    y_ += 3 * kMm;
  }

  void DrawRowChunk(std::size_t index, const domain::InvoiceLine& line,
                    const std::vector<std::string>& text_lines, std::size_t from, std::size_t count,
                    bool first_chunk) {
    HPDF_Page page = Page();
    const double baseline = y_ + kRowPad + kRowSize;
    for (std::size_t i = 0; i < count; ++i) {
      painter_.Text(page, columns_[1].left, baseline + static_cast<double>(i) * kRowLeading,
                    text_lines[from + i], Weight::kRegular, kRowSize);
    }
    if (first_chunk) {
      const std::size_t last = columns_.size() - 1;
      painter_.Text(page, columns_[0].left, baseline, std::to_string(index + 1), Weight::kRegular,
                    kRowSize);
      CellRight(page, columns_[2], baseline, FormatQuantityDe(line.quantity));
      painter_.Text(page, columns_[3].left, baseline,
                    Ellipsize(SanitizeText(line.unit, false), columns_[3].right - columns_[3].left,
                              painter_.Measure(Weight::kRegular, kRowSize)),
                    Weight::kRegular, kRowSize);
      CellRight(page, columns_[4], baseline, FormatEuroDe(line.unit_price_cents));
      if (!small_business_) CellRight(page, columns_[5], baseline, Percent(line.vat_rate));
      CellRight(page, columns_[last], baseline, FormatEuroDe(domain::LineAmount(line)));
    }
    y_ += 2 * kRowPad + static_cast<double>(count) * kRowLeading;
    Painter::Rule(page, kLeft, kRight, y_, 0.3, kHairline);
  }

  void CellRight(HPDF_Page page, const Column& column, double baseline, const std::string& text) {
    painter_.TextRightFit(page, column.right, baseline, text, Weight::kRegular, kRowSize,
                          column.right - column.left - 1 * kMm);
  }

  void DrawTotals() {
    // Amounts come from invoice.totals exactly as the domain computed them; the PDF must never
    // show a sum that differs from the API or sevdesk.
    const domain::Totals& totals = invoice_.totals;
    std::vector<std::pair<std::string, Cents>> rows;
    if (!small_business_) {
      rows.emplace_back("Nettobetrag", totals.net_cents);
      for (const domain::VatGroup& group : totals.groups) {
        rows.emplace_back(
            "zzgl. " + Percent(group.rate) + " USt. auf " + FormatEuroDe(group.net_cents),
            group.tax_cents);
      }
    }
    const double leading = 13;
    const double height = static_cast<double>(rows.size()) * leading + 4 * kMm + 14;
    if (y_ + height > kBodyBottom) NewContinuationPage();

    HPDF_Page page = Page();
    const double label_left = 100 * kMm;
    const double amount_width = 30 * kMm;
    for (const auto& [label, cents] : rows) {
      y_ += leading;
      painter_.Text(page, label_left, y_, label, Weight::kRegular, kTextSize);
      painter_.TextRightFit(page, kRight, y_, FormatEuroDe(cents), Weight::kRegular, kTextSize,
                            amount_width);
    }
    if (!rows.empty()) {
      y_ += 2 * kMm;
      Painter::Rule(page, label_left, kRight, y_, 0.5, kRuleGray);
    }
    y_ += 12;
    painter_.Text(page, label_left, y_, small_business_ ? "Gesamtbetrag" : "Gesamtbetrag brutto",
                  Weight::kBold, 10.5);
    painter_.TextRightFit(page, kRight, y_, FormatEuroDe(totals.gross_cents), Weight::kBold, 10.5,
                          amount_width);
    y_ += 2 * kMm;
    Painter::Rule(page, label_left, kRight, y_, 0.8, kDark);
    Painter::Rule(page, label_left, kRight, y_ + 1.5, 0.8, kDark);
    y_ += 8 * kMm;
  }

  void DrawClosing() {
    if (small_business_) {
      Paragraph("Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.");
      y_ += 2 * kMm;
    }
    // domain::MakeCancellation pre-fills the notes with the same "Storno zur Rechnung ..."
    // sentence the intro already prints; printing it twice would look sloppy.
    const bool notes_repeat_intro =
        cancellation_ && Trim(invoice_.notes) ==
                             "Storno zur Rechnung " + invoice_.cancels_invoice_number.value_or("");
    if (!invoice_.notes.empty() && !notes_repeat_intro) {
      Paragraph(invoice_.notes);
      y_ += 2 * kMm;
    }
    if (cancellation_) {
      Paragraph("Diese Stornorechnung hebt die Rechnung " +
                invoice_.cancels_invoice_number.value_or("") +
                " auf. Bereits gezahlte Beträge werden erstattet oder verrechnet.");
      return;
    }
    const int days = school_.payment_term_days;
    if (days > 0) {
      Paragraph("Zahlbar innerhalb von " + std::to_string(days) + (days == 1 ? " Tag" : " Tagen") +
                " bis zum " + FormatDateDe(AddDays(invoice_.invoice_date, days)) + " ohne Abzug.");
    } else {
      Paragraph("Zahlbar sofort ohne Abzug.");
    }
    if (!school_.iban.empty()) {
      Paragraph("Bitte überweisen Sie den Betrag unter Angabe der Rechnungsnummer " + number_ +
                " auf folgendes Konto:\n" +
                JoinNonEmpty({school_.bank_name, "IBAN " + FormatIban(school_.iban),
                              school_.bic.empty() ? std::string() : "BIC " + school_.bic},
                             " · "));
    }
  }

  void DrawFooters() {
    const std::string total = std::to_string(pages_.size());
    const double size = 7;
    const double leading = 8.8;
    const MeasureFn measure = painter_.Measure(Weight::kRegular, size);

    std::vector<std::string> left = {school_.name};
    for (std::string& line : AddressLines(school_.address)) left.push_back(std::move(line));
    std::vector<std::string> middle;
    if (!school_.phone.empty()) middle.push_back("Tel. " + school_.phone);
    if (!school_.email.empty()) middle.push_back("E-Mail " + school_.email);
    if (!school_.tax_number.empty()) middle.push_back("Steuernummer " + school_.tax_number);
    if (!school_.vat_id.empty()) middle.push_back("USt-IdNr. " + school_.vat_id);
    std::vector<std::string> right;
    if (!school_.bank_name.empty()) right.push_back(school_.bank_name);
    if (!school_.iban.empty()) right.push_back("IBAN " + FormatIban(school_.iban));
    if (!school_.bic.empty()) right.push_back("BIC " + school_.bic);

    const std::array<std::pair<double, const std::vector<std::string>*>, 3> columns = {
        std::pair{kLeft, &left}, std::pair{82 * kMm, &middle}, std::pair{137 * kMm, &right}};
    const std::array<double, 3> widths = {55 * kMm, 53 * kMm, 53 * kMm};

    for (std::size_t i = 0; i < pages_.size(); ++i) {
      HPDF_Page page = pages_[i];
      painter_.TextRight(page, kRight, 265 * kMm,
                         "Seite " + std::to_string(i + 1) + " von " + total, Weight::kRegular, 8,
                         kMuted);
      Painter::Rule(page, kLeft, kRight, 268 * kMm, 0.5, kRuleGray);
      for (std::size_t c = 0; c < columns.size(); ++c) {
        double top = 272 * kMm;
        bool first = true;
        for (const std::string& line : *columns[c].second) {
          const Weight weight = c == 0 && first ? Weight::kBold : Weight::kRegular;
          painter_.Text(
              page, columns[c].first, top,
              Ellipsize(SanitizeText(line, false), widths[c],
                        weight == Weight::kBold ? painter_.Measure(weight, size) : measure),
              weight, size, kDark);
          top += leading;
          first = false;
        }
      }
    }
  }

  Engine& engine_;
  Painter painter_;
  const School& school_;
  const Invoice& invoice_;
  const bool small_business_;
  const bool cancellation_;
  const std::string number_;
  std::vector<Column> columns_;
  std::vector<HPDF_Page> pages_;
  double y_ = 0;  // top of the free area on the current page
};

// The programs of the Windows-1252 fonts that libharu does not embed itself (EmbeddedAnsiFonts).
void AttachFontPrograms(Engine& engine, const AnsiFonts& fonts) {
  for (std::size_t i = 0; i < fonts.names.size(); ++i) {
    if (fonts.programs[i].flate.empty()) continue;
    HPDF_Font font = HPDF_GetFont(engine.doc(), fonts.names[i].c_str(), kAnsiEncoding);
    const HPDF_STATUS status = font == nullptr
                                   ? HPDF_INVALID_FONT
                                   : AttachFontProgram(engine.doc(), font, fonts.programs[i]);
    if (status != HPDF_OK) OnHpdfError(status, 0, &engine.error());
  }
}

Result<std::string> RenderWith(Engine& engine, const PdfSettings& settings, const School& school,
                               const Invoice& invoice) {
  HPDF_Doc doc = engine.doc();
  engine.error() = HpdfError{};
  const AnsiFonts* embedded_ansi = nullptr;
  if (settings.embed_all_fonts) {
    auto fonts = engine.EmbeddedAnsiFonts(settings.embedded_ansi_font_dir);
    if (!fonts) return tl::unexpected(fonts.error());
    embedded_ansi = *fonts;
  }
  if (HPDF_NewDoc(doc) != HPDF_OK) return Internal("PDF konnte nicht angelegt werden.");
  HPDF_SetCompressionMode(doc, settings.compress_fonts ? HPDF_COMP_ALL : HPDF_COMP_TEXT);

  const HPDF_Date date = DocumentDate(invoice);
  HPDF_SetInfoDateAttr(doc, HPDF_INFO_CREATION_DATE, date);
  HPDF_SetInfoDateAttr(doc, HPDF_INFO_MOD_DATE, date);
  const std::string title = ToPdfDocEncoding(
      (invoice.kind == InvoiceKind::kCancellation ? "Stornorechnung " : "Rechnung ") +
      invoice.number.value_or(""));
  HPDF_SetInfoAttr(doc, HPDF_INFO_TITLE, title.c_str());
  HPDF_SetInfoAttr(doc, HPDF_INFO_AUTHOR, ToPdfDocEncoding(school.name).c_str());
  HPDF_SetInfoAttr(doc, HPDF_INFO_CREATOR, "hundeschule");

  InvoiceDocument document(engine, embedded_ansi != nullptr ? &embedded_ansi->names : nullptr,
                           school, invoice);
  document.Build();
  if (embedded_ansi != nullptr) AttachFontPrograms(engine, *embedded_ansi);
  if (engine.error().code != HPDF_OK) {
    return Fail(ErrorCode::kInternal, "pdf_render_failed",
                "Die Rechnungs-PDF konnte nicht erzeugt werden (" +
                    DescribeHpdfError(engine.error()) + ").");
  }

  if (HPDF_SaveToStream(doc) != HPDF_OK) {
    return Fail(ErrorCode::kInternal, "pdf_render_failed",
                "Die Rechnungs-PDF konnte nicht gespeichert werden (" +
                    DescribeHpdfError(engine.error()) + ").");
  }
  const HPDF_UINT32 size = HPDF_GetStreamSize(doc);
  std::string bytes(size, '\0');
  HPDF_UINT32 read = size;
  const HPDF_STATUS status =
      HPDF_ReadFromStream(doc, reinterpret_cast<HPDF_BYTE*>(bytes.data()), &read);
  // Reading exactly to the end may report HPDF_STREAM_EOF; that is success.
  if ((status != HPDF_OK && status != HPDF_STREAM_EOF) || read != size) {
    return Fail(ErrorCode::kInternal, "pdf_render_failed",
                "Die Rechnungs-PDF konnte nicht gelesen werden (" +
                    DescribeHpdfError(engine.error()) + ").");
  }
  return bytes;
}

}  // namespace

InvoicePdfRenderer::InvoicePdfRenderer(PdfSettings settings) : settings_(std::move(settings)) {}

Result<std::string> InvoicePdfRenderer::Render(const School& school, const Invoice& invoice) const {
  if (!invoice.number || invoice.number->empty()) {
    return Fail(ErrorCode::kInvalidArgument, "invoice_not_finalized",
                "Die Rechnung hat noch keine Rechnungsnummer.");
  }
  // A cancellation repeats its original, which was checked (or is older than the check) and is
  // frozen already.
  if (invoice.kind == InvoiceKind::kInvoice) {
    if (auto fields = UnprintableFields(school, invoice); !fields.empty()) {
      return Fail(
          ErrorCode::kInvalidArgument, "unprintable_characters",
          "Die Rechnung enthält Zeichen, die die Rechnungs-PDF nicht so drucken kann, wie "
          "sie eingegeben sind (z. B. Emojis, hebräische oder arabische Schrift). Bitte die "
          "genannten Angaben ändern; festgeschrieben wird erst danach.",
          std::move(fields));
    }
  }
  auto engine = EngineForThisThread(settings_.font_dir);
  if (!engine) return tl::unexpected(engine.error());
  Result<std::string> result = Internal("Die Rechnungs-PDF konnte nicht erzeugt werden.");
  try {
    result = RenderWith(**engine, settings_, school, invoice);
  } catch (const std::exception& e) {
    result = Internal(std::string("Die Rechnungs-PDF konnte nicht erzeugt werden: ") + e.what());
  }
  // After a failure the handle's state is unknown; the next render starts from a fresh one.
  if (!result) ThreadEngine().reset();
  return result;
}

}  // namespace hs::pdf
