// The Kundenabgleich on the labelled fixture (issue 15, ADR 0013): 500 customers against 2,000
// sevdesk contacts with known truth. Prints the decisions (automatic links, wrong ones, true pairs
// ranked first in the review list, recall) and the matching's wall time (median of the runs),
// beside two baselines in the same run: no matching (today: every customer a new contact) and a
// matcher by exact first and last name (what some tools do).
//
//   build/rel/bench/hs_contact_matching_bench [--customers 500] [--contacts 2000] [--runs 21]
//                                             [--seed N] [--cases]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "contact_fixture.hpp"
#include "domain/contact_matching.hpp"

namespace {

using hs::domain::MatchDecision;
using hs::fixture::ContactFixture;
using hs::fixture::FixtureScore;

struct Options {
  std::size_t customers = 500;
  std::size_t contacts = 2000;
  int runs = 21;
  std::uint64_t seed = hs::fixture::kContactFixtureSeed;
  bool cases = false;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--customers") && has_value) {
      o.customers = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--contacts") && has_value) {
      o.contacts = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--runs") && has_value) {
      o.runs = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--seed") && has_value) {
      o.seed = std::strtoull(argv[++i], nullptr, 0);
    } else if (!std::strcmp(argv[i], "--cases")) {
      o.cases = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--customers N] [--contacts N] [--runs N] [--seed N] [--cases]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

// Runs `match` `runs` times; returns the last decisions and the median wall time in ms.
std::vector<MatchDecision> Timed(int runs, const std::function<std::vector<MatchDecision>()>& match,
                                 double& median_ms) {
  std::vector<double> times;
  std::vector<MatchDecision> decisions;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    decisions = match();
    const auto stop = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
  }
  std::sort(times.begin(), times.end());
  median_ms = times[times.size() / 2];
  return decisions;
}

void PrintRow(const char* name, const FixtureScore& s, double median_ms) {
  std::printf("%-26s %6zu %6zu %8zu %8zu %8zu %8zu %7.1f %% %9.2f\n", name, s.auto_links,
              s.wrong_auto_links, s.ranked_first, s.review, s.create_new, s.duplicates_created,
              s.RecallPercent(), median_ms);
}

void PrintCases(const FixtureScore& s) {
  std::printf("\nper case (matching)                        n   auto wrong  first review    new\n");
  for (const auto& [name, c] : s.by_case) {
    std::printf("  %-38s %4zu %6zu %5zu %6zu %6zu %6zu\n", name.c_str(), c.customers, c.auto_links,
                c.wrong_auto_links, c.ranked_first, c.review, c.create_new);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  const auto generated = std::chrono::steady_clock::now();
  const ContactFixture f = hs::fixture::MakeContactFixture(o.customers, o.contacts, o.seed);
  const double generate_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - generated)
          .count();
  std::size_t true_pairs = 0;
  for (const auto& [id, contacts] : f.truth) true_pairs += contacts.empty() ? 0 : 1;
  std::printf(
      "fixture: seed 0x%llx, %zu customers, %zu sevdesk contacts, %zu true pairs "
      "(generated in %.1f ms); %d runs, median wall time\n\n",
      static_cast<unsigned long long>(f.seed), f.customers.size(), f.contacts.size(), true_pairs,
      generate_ms, o.runs);
  std::printf("%-26s %6s %6s %8s %8s %8s %8s %9s %9s\n", "matcher", "auto", "wrong", "first",
              "review", "new", "dupl.", "recall", "ms");

  double none_ms = 0;
  const auto none = Timed(
      o.runs,
      [&] {
        std::vector<MatchDecision> d(f.customers.size());
        for (std::size_t i = 0; i < d.size(); ++i) d[i].customer_id = f.customers[i].id;
        return d;
      },
      none_ms);
  PrintRow("no matching (today)", hs::fixture::ScoreDecisions(f, none), none_ms);

  double naive_ms = 0;
  const auto naive = Timed(
      o.runs, [&] { return hs::fixture::NaiveExactNameMatch(f.customers, f.contacts); }, naive_ms);
  PrintRow("exact first+last name", hs::fixture::ScoreDecisions(f, naive), naive_ms);

  double matching_ms = 0;
  const auto matched = Timed(
      o.runs,
      [&] {
        return hs::domain::MatchCustomers(f.customers, f.contacts, hs::domain::MatchSettings{});
      },
      matching_ms);
  const FixtureScore s = hs::fixture::ScoreDecisions(f, matched);
  PrintRow("MatchCustomers", s, matching_ms);

  std::printf(
      "\nauto = automatic links, wrong = to a contact that is not the customer, first = "
      "true pairs in review with a true contact ranked first, dupl. = true pairs given a "
      "new contact, recall = (correct auto + first) / true pairs\n");
  if (o.cases) PrintCases(s);
  const bool ok = s.wrong_auto_links == 0 && s.RecallPercent() >= 95.0 && matching_ms < 1000;
  std::printf("\ntarget (0 wrong, recall >= 95 %%, < 1 s): %s\n", ok ? "met" : "NOT MET");
  return ok ? 0 : 1;
}
