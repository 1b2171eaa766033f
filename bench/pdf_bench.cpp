// Invoice PDF rendering cost and size. The finalization target (>= 200/s on 2 cores, PDF
// included) leaves a few milliseconds per finalization, most of it for the durable commit; see
// src/pdf/invoice_pdf.hpp and docs/adr/0005-finalize-throughput.md for the choices this drove.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <thread>

#include "domain/invoice.hpp"
#include "domain/school.hpp"
#include "pdf/invoice_pdf.hpp"
#include "sample_school.hpp"

namespace {

using hs::domain::Invoice;
using hs::domain::InvoiceLine;
using hs::domain::School;

Invoice MakeInvoice(int lines) {
  Invoice invoice;
  invoice.number = "RE-2026-0042";
  invoice.invoice_date =
      hs::Date{std::chrono::year{2026}, std::chrono::November, std::chrono::day{27}};
  invoice.service_date = invoice.invoice_date;
  invoice.customer_snapshot.name = "Jürgen Groß";
  invoice.customer_snapshot.address = {"Hauptstraße 5", "79100", "Freiburg", "DE"};
  invoice.customer_snapshot.customer_number = 10023;
  for (int i = 0; i < lines; ++i) {
    char text[96];
    std::snprintf(text, sizeof text, "Einzelstunde Welpenerziehung und Rückruftraining, Termin %d",
                  i + 1);
    invoice.lines.push_back(InvoiceLine{text, 1500, "Stunde", 4500, i % 3 == 0 ? 7 : 19});
  }
  invoice.totals = hs::domain::ComputeTotals(invoice.lines, invoice.price_entry);
  return invoice;
}

void Render(benchmark::State& state, const hs::pdf::PdfSettings& settings, const Invoice& invoice) {
  const hs::pdf::InvoicePdfRenderer renderer(settings);
  const School school = hs::bench::SampleSchool();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto pdf = renderer.Render(school, invoice);
    if (!pdf) {
      state.SkipWithError(pdf.error().message.c_str());
      return;
    }
    bytes = pdf->size();
    benchmark::DoNotOptimize(pdf);
  }
  state.counters["pdf_kb"] = static_cast<double>(bytes) / 1024.0;
}

// Steady state, German text only: base-14 Helvetica with WinAnsiEncoding, no font embedded.
void BM_RenderInvoice(benchmark::State& state) {
  Render(state, hs::pdf::PdfSettings{}, MakeInvoice(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_RenderInvoice)->Arg(3)->Arg(40)->Unit(benchmark::kMillisecond);

// A customer name outside Windows-1252 adds libharu's UTF-8 Type0 font and embeds the DejaVu
// subset: this is what every invoice cost before base-14 fonts were used for German text
// (~8 ms, ~290 KB), plus ~5 ms for creating the Type0 font's UTF-8 encoder.
Invoice UnicodeNameInvoice() {
  Invoice invoice = MakeInvoice(3);
  invoice.customer_snapshot.name = "Łukasz Yılmaz";
  return invoice;
}

void BM_RenderInvoiceUnicodeName(benchmark::State& state) {
  Render(state, hs::pdf::PdfSettings{}, UnicodeNameInvoice());
}
BENCHMARK(BM_RenderInvoiceUnicodeName)->Unit(benchmark::kMillisecond);

void BM_RenderInvoiceUnicodeNameCompressedFonts(benchmark::State& state) {
  hs::pdf::PdfSettings settings;
  settings.compress_fonts = true;
  Render(state, settings, UnicodeNameInvoice());
}
BENCHMARK(BM_RenderInvoiceUnicodeNameCompressedFonts)->Unit(benchmark::kMillisecond);

// Cold start: every iteration runs on a new thread, which has to parse both TTF files first
// (thread creation itself is ~0.05 ms).
void BM_RenderInvoiceFreshThread(benchmark::State& state) {
  const hs::pdf::InvoicePdfRenderer renderer(hs::pdf::PdfSettings{});
  const School school = hs::bench::SampleSchool();
  const Invoice invoice = MakeInvoice(3);
  for (auto _ : state) {
    bool ok = false;
    std::thread([&] { ok = renderer.Render(school, invoice).has_value(); }).join();
    if (!ok) {
      state.SkipWithError("render failed");
      return;
    }
  }
}
BENCHMARK(BM_RenderInvoiceFreshThread)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
