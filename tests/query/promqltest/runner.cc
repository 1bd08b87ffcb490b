#include "tests/query/promqltest/runner.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "query/ast.h"
#include "query/parser.h"
#include "query/value.h"
#include "re2/re2.h"
#include "storage/engine.h"
#include "storage/labels.h"
#include "tests/query/promqltest/compare.h"
#include "tests/query/promqltest/query_text.h"
#include "tests/query/promqltest/selector_reads.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace plumbline::promqltest {
namespace {

constexpr int64_t kMinuteMs = 60 * 1000;
constexpr size_t kMaxBatch = 50'000;
constexpr size_t kMaxKindLength = 90;

std::string ErrorText(const absl::Status& status) { return std::string(ToStd(status.message())); }

// Walks every node; `visit(node, under_subquery)`.
template <typename F>
void Walk(query::Expr& e, bool under_subquery, F& visit) {
  visit(e, under_subquery);
  auto child = [&](query::ExprPtr& p, bool sub) {
    if (p) Walk(*p, sub, visit);
  };
  switch (e.kind) {
    case query::ExprKind::kMatrixSelector:
      child(e.As<query::MatrixSelector>().vector_selector, under_subquery);
      break;
    case query::ExprKind::kSubquery:
      child(e.As<query::SubqueryExpr>().expr, true);
      break;
    case query::ExprKind::kParen:
      child(e.As<query::ParenExpr>().expr, under_subquery);
      break;
    case query::ExprKind::kUnary:
      child(e.As<query::UnaryExpr>().expr, under_subquery);
      break;
    case query::ExprKind::kBinary:
      child(e.As<query::BinaryExpr>().lhs, under_subquery);
      child(e.As<query::BinaryExpr>().rhs, under_subquery);
      break;
    case query::ExprKind::kAggregate:
      child(e.As<query::AggregateExpr>().expr, under_subquery);
      child(e.As<query::AggregateExpr>().param, under_subquery);
      break;
    case query::ExprKind::kCall:
      for (query::ExprPtr& arg : e.As<query::Call>().args) child(arg, under_subquery);
      break;
    default:
      break;
  }
}

struct InstantQuery {
  std::string expr;
  int64_t time_ms = 0;
  bool at_variant = false;
};

// test.go's atModifierTestCases on our AST: `@ ts` on every selector and subquery that is
// not inside a subquery (test.go stops below any subquery once it carries an @), then the
// printed expression at the extra times. None when an @-unsafe function is called.
std::vector<InstantQuery> AtModifierCases(query::Expr& root, int64_t ts) {
  bool unsafe = false;
  auto visit = [&](query::Expr& e, bool under_subquery) {
    if (under_subquery) return;
    switch (e.kind) {
      case query::ExprKind::kVectorSelector: {
        auto& vs = e.As<query::VectorSelector>();
        // Prometheus' parser leaves Timestamp unset for `@ start()` / `@ end()`, so the test
        // overrides those too.
        if (vs.at != query::AtKind::kTimestamp) {
          vs.at = query::AtKind::kTimestamp;
          vs.at_ms = ts;
        }
        break;
      }
      case query::ExprKind::kSubquery: {
        auto& sq = e.As<query::SubqueryExpr>();
        if (sq.at != query::AtKind::kTimestamp) {
          sq.at = query::AtKind::kTimestamp;
          sq.at_ms = ts;
        }
        break;
      }
      case query::ExprKind::kCall: {
        const auto& call = e.As<query::Call>();
        if (call.func != nullptr && IsAtModifierUnsafeFunction(call.func->name)) unsafe = true;
        break;
      }
      default:
        break;
    }
  };
  Walk(root, false, visit);
  if (unsafe) return {};
  const std::string printed = root.ToString();
  std::vector<int64_t> times = {-10 * ts, 0, ts / 5, ts, 10 * ts};
  if (ts == 0) times = {-1000, 0, 1000};
  std::vector<InstantQuery> cases;
  for (int64_t t : times) cases.push_back({printed, t, true});
  return cases;
}

bool Matches(const std::vector<storage::LabelMatcher>& matchers, const LabelSet& series) {
  for (const storage::LabelMatcher& m : matchers) {
    std::string_view value;
    for (const auto& [n, v] : series) {
      if (n == m.name()) value = v;
    }
    if (!m.Matches(value)) return false;
  }
  return true;
}

std::string Shorten(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return StrCat(text.substr(0, max), "...");
}

std::string FormatTimeMs(int64_t t_ms) {
  return StrCat(FormatFloat(static_cast<double>(t_ms) / 1000.0), "s");
}

// Native histogram series load_with_nhcb derives from a classic one: the name without
// _bucket/_count/_sum, without `le` (Prometheus' convertnhcb.GetHistogramMetricBase).
std::optional<LabelSet> NhcbSeries(const LabelSet& labels) {
  std::string name;
  bool has_le = false;
  for (const auto& [n, v] : labels) {
    if (n == "__name__") name = v;
    if (n == "le") has_le = true;
  }
  std::string base;
  for (std::string_view suffix : {"_bucket", "_count", "_sum"}) {
    if (name.size() > suffix.size() &&
        std::string_view(name).substr(name.size() - suffix.size()) == suffix) {
      if (suffix == "_bucket" && !has_le) return std::nullopt;
      base = name.substr(0, name.size() - suffix.size());
    }
  }
  if (base.empty()) return std::nullopt;
  LabelSet out;
  for (const auto& [n, v] : labels) {
    if (n == "le") continue;
    out.emplace_back(n, n == "__name__" ? base : v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SeriesName(const LabelSet& labels) {
  for (const auto& [n, v] : labels) {
    if (n == "__name__") return v;
  }
  return "";
}

class ScriptRunner {
 public:
  explicit ScriptRunner(const RunnerOptions& options) : options_(options) {}

  absl::StatusOr<FileResult> Run(const Script& script) {
    PL_RETURN_IF_ERROR(Reset());
    for (const Command& command : script.commands) {
      if (std::holds_alternative<ClearCmd>(command)) {
        PL_RETURN_IF_ERROR(Reset());
      } else if (const auto* load = std::get_if<LoadCmd>(&command)) {
        PL_RETURN_IF_ERROR(Load(*load));
      } else {
        const auto& eval = std::get<EvalCmd>(command);
        result_.annotation_expectations += eval.AnnotationExpectations();
        result_.evals.push_back(Eval(eval));
      }
    }
    Close();
    return std::move(result_);
  }

 private:
  void Close() {
    engine_.reset();
    storage_.reset();
    dir_.reset();
  }

  // test.go's clear(): a new, empty store.
  absl::Status Reset() {
    Close();
    unloaded_.clear();
    dir_ = std::make_unique<testing::TempDir>();
    storage::EngineOptions opts;
    opts.data_dir = dir_->Sub("data");
    opts.clock = &clock_;
    opts.retention_ms = 100 * 365 * storage::kDayMs;
    opts.background_maintenance = false;
    opts.block_cache_bytes = 8 << 20;
    auto opened = storage::Engine::Open(opts);
    if (!opened.ok()) {
      return absl::InternalError(StrCat("opening the store: ", ErrorText(opened.status())));
    }
    storage_ = *std::move(opened);
    engine_ = std::make_unique<query::PromqlEngine>(storage_.get());
    return absl::OkStatus();
  }

  absl::Status Append(const storage::AppendBatch& batch, int64_t max_t, int line) {
    if (batch.empty()) return absl::OkStatus();
    clock_.SetMs(std::max(clock_.NowMs(), max_t + storage::kDayMs));
    auto appended = storage_->Append(batch);
    if (!appended.ok()) {
      return absl::InternalError(
          StrCat("load at line ", line, ": append failed: ", ErrorText(appended.status())));
    }
    if (appended->refused() > 0 || appended->duplicate > 0) {
      result_.notes.push_back(StrCat("load at line ", line, ": the store refused ",
                                     appended->refused(), " samples (out of order ",
                                     appended->out_of_order, ", too old ", appended->too_old,
                                     ") and ignored ", appended->duplicate, " duplicates"));
    }
    return absl::OkStatus();
  }

  absl::Status Load(const LoadCmd& cmd) {
    storage::AppendBatch batch;
    int64_t max_t = 0;
    for (const SeriesDesc& series : cmd.series) {
      UnloadedSeries histograms{series.labels, {}};
      for (size_t i = 0; i < series.values.size(); ++i) {
        if (series.values[i].histogram) {
          histograms.times.push_back(static_cast<int64_t>(i) * cmd.interval_ms);
        }
      }
      if (!histograms.times.empty()) unloaded_.push_back(std::move(histograms));
      if (cmd.with_nhcb) {
        // The derived native histogram series has a sample wherever the classic one has.
        if (auto nhcb = NhcbSeries(series.labels)) {
          UnloadedSeries derived{*std::move(nhcb), {}};
          for (size_t i = 0; i < series.values.size(); ++i) {
            if (!series.values[i].omitted) {
              derived.times.push_back(static_cast<int64_t>(i) * cmd.interval_ms);
            }
          }
          unloaded_.push_back(std::move(derived));
        }
      }
      std::vector<storage::Label> pairs;
      for (const auto& [n, v] : series.labels) pairs.push_back({n, v});
      auto labels = storage::Labels::FromPairs(std::move(pairs));
      if (!labels.ok()) {
        result_.notes.push_back(StrCat("load at line ", cmd.line, ": the store refuses series ",
                                       FormatLabelSet(series.labels), ": ",
                                       ErrorText(labels.status())));
        continue;
      }
      // The float samples (of a series mixing floats and histograms too).
      for (size_t i = 0; i < series.values.size(); ++i) {
        if (series.values[i].omitted || series.values[i].histogram) continue;
        const int64_t t = static_cast<int64_t>(i) * cmd.interval_ms;
        batch.Add(*labels, t, series.values[i].value);
        max_t = std::max(max_t, t);
      }
      if (batch.size() >= kMaxBatch) {
        PL_RETURN_IF_ERROR(Append(batch, max_t, cmd.line));
        batch.Clear();
      }
    }
    return Append(batch, max_t, cmd.line);
  }

  // Why `cmd` reads native histogram samples the harness could not load, or "". With the
  // parsed expression: a selector matching such a series over a time span holding one of its
  // histogram samples; without: the series' name in the query text.
  std::string ReadsUnloaded(const query::Expr* expr, const EvalCmd& cmd) const {
    if (unloaded_.empty()) return "";
    if (expr == nullptr) {
      for (const UnloadedSeries& series : unloaded_) {
        if (MentionsMetric(cmd.expr, SeriesName(series.labels))) {
          return StrCat("reads native histogram series ", FormatLabelSet(series.labels));
        }
      }
      return "";
    }
    // Instant evals: only results at t are compared (the @ variants read at t; the range-mode
    // re-run from t-1m to t+1m is checked at t, and samples missing at other steps can only
    // remove series there, not add errors), but @ start() / @ end() of the re-run are t-1m
    // and t+1m.
    EvalSpan span;
    if (cmd.is_range) {
      span = {cmd.start_ms, cmd.end_ms, cmd.start_ms, cmd.end_ms};
    } else {
      span = {cmd.eval_ms, cmd.eval_ms, cmd.eval_ms - kMinuteMs, cmd.eval_ms + kMinuteMs};
    }
    ReadOptions read_options;
    read_options.lookback_ms = options_.query_options.lookback_delta_ms;
    read_options.default_subquery_step_ms = options_.query_options.default_subquery_step_ms;
    for (const SelectorRead& read : SelectorReads(*expr, span, read_options)) {
      for (const UnloadedSeries& series : unloaded_) {
        if (!Matches(read.selector->matchers, series.labels)) continue;
        for (int64_t t : series.times) {
          if (t >= read.from_ms && t <= read.to_ms) {
            return StrCat("reads native histogram series ", FormatLabelSet(series.labels),
                          " (sample at ", FormatTimeMs(t), ")");
          }
        }
      }
    }
    return "";
  }

  EvalOutcome Eval(const EvalCmd& cmd) {
    EvalOutcome out;
    out.line = cmd.line;
    out.expr = cmd.expr;
    auto skip = [&](std::string kind, std::string reason) {
      out.outcome = Outcome::kSkip;
      out.kind = std::move(kind);
      out.message = std::move(reason);
      return out;
    };
    constexpr std::string_view kReadsHistograms = "native histograms: reads them";
    if (cmd.expects_native_histogram) {
      return skip("native histograms: in the expected result",
                  "expected result holds native histograms");
    }
    auto parsed = query::ParseExpr(cmd.expr);
    if (!parsed.ok()) {
      if (std::string why = ReadsUnloaded(nullptr, cmd); !why.empty()) {
        return skip(std::string(kReadsHistograms), why);
      }
      const std::string error = ErrorText(parsed.status());
      if (std::string feature = ExperimentalFeature(cmd.expr); !feature.empty()) {
        return skip(StrCat("experimental ", feature),
                    StrCat("experimental ", feature, " (parser: ", Shorten(error, 100), ")"));
      }
      // Prometheus' own parser accepts every expression of its test files (test.go refuses
      // the file otherwise), so this is a failure even when the eval expects one.
      return Fail(std::move(out), Mismatch{StrCat("parser rejects query: ", Kind(error)),
                                           StrCat("parse failed: ", error),
                                           {}});
    }
    if (std::string why = ReadsUnloaded(parsed->get(), cmd); !why.empty()) {
      return skip(std::string(kReadsHistograms), why);
    }

    if (cmd.is_range) {
      if (auto m = RunRange(cmd)) return Fail(std::move(out), *std::move(m));
      out.outcome = Outcome::kPass;
      return out;
    }
    std::vector<InstantQuery> queries = {{cmd.expr, cmd.eval_ms, false}};
    for (InstantQuery& q : AtModifierCases(**parsed, cmd.eval_ms)) queries.push_back(std::move(q));
    for (const InstantQuery& q : queries) {
      if (auto m = RunInstant(cmd, q)) {
        if (q.at_variant) {
          m->kind = StrCat("@ variant: ", m->kind);
          m->message = StrCat("[`", q.expr, "` at ", FormatTimeMs(q.time_ms), "] ", m->message);
        }
        return Fail(std::move(out), *std::move(m));
      }
    }
    out.outcome = Outcome::kPass;
    return out;
  }

  static std::string Kind(std::string_view error) { return Shorten(error, kMaxKindLength); }

  static EvalOutcome Fail(EvalOutcome out, Mismatch m) {
    out.outcome = Outcome::kFail;
    out.kind = std::move(m.kind);
    out.message = std::move(m.message);
    out.diff = std::move(m.diff);
    return out;
  }

  // A query's answer; an exception out of the engine is a failure of its own kind, never an
  // expected error.
  struct Answer {
    absl::StatusOr<query::QueryResult> result = absl::UnknownError("not run");
    std::optional<Mismatch> thrown;
  };

  template <typename F>
  static Answer Guard(F&& query) {
    Answer answer;
    try {
      answer.result = query();
    } catch (const std::exception& e) {
      answer.thrown =
          Mismatch{"engine threw an exception", StrCat("the engine threw: ", e.what()), {}};
    } catch (...) {
      answer.thrown =
          Mismatch{"engine threw an exception", "the engine threw an unknown exception", {}};
    }
    return answer;
  }

  // True when an error (or the lack of an expected one) decides the eval; *outcome is then
  // its result. False: the value is to be compared.
  bool Settled(const EvalCmd& cmd, const absl::StatusOr<query::QueryResult>& res,
               std::optional<Mismatch>* outcome) {
    if (!res.ok()) {
      const std::string error = ErrorText(res.status());
      *outcome = cmd.IsFail() ? CheckExpectedFailure(cmd, error)
                              : Mismatch{StrCat("unexpected error: ", Kind(error)),
                                         StrCat("error evaluating query: ", error),
                                         {}};
      return true;
    }
    if (cmd.IsFail()) {
      *outcome = Mismatch{"expected an error, got none",
                          StrCat("expected error evaluating query but got none; result ",
                                 DescribeValue(res->value)),
                          {}};
      return true;
    }
    return false;
  }

  std::optional<Mismatch> RunRange(const EvalCmd& cmd) {
    ++result_.range_queries;
    Answer answer = Guard([&] {
      return engine_->Range(cmd.expr, cmd.start_ms, cmd.end_ms, cmd.step_ms,
                            options_.query_options);
    });
    if (answer.thrown) return answer.thrown;
    const auto& res = answer.result;
    if (std::optional<Mismatch> outcome; Settled(cmd, res, &outcome)) return outcome;
    return CompareResult(cmd, res->value);
  }

  std::optional<Mismatch> RunInstant(const EvalCmd& cmd, const InstantQuery& q) {
    ++result_.instant_queries;
    Answer answer =
        Guard([&] { return engine_->Instant(q.expr, q.time_ms, options_.query_options); });
    if (answer.thrown) return answer.thrown;
    const auto& res = answer.result;
    if (std::optional<Mismatch> outcome; Settled(cmd, res, &outcome)) return outcome;
    if (auto m = CompareResult(cmd, res->value)) return m;
    if (cmd.exclude_from_range_query) return std::nullopt;
    static const RE2 kQueryContextFuncs(R"((start|end|range|step)\(\))");
    if (RE2::PartialMatch(q.expr, kQueryContextFuncs)) return std::nullopt;

    // The same query as a range query, checked at its middle step.
    ++result_.range_queries;
    Answer range_answer = Guard([&] {
      return engine_->Range(q.expr, q.time_ms - kMinuteMs, q.time_ms + kMinuteMs, kMinuteMs,
                            options_.query_options);
    });
    auto range_mode = [](Mismatch m) {
      m.kind = StrCat("range mode: ", m.kind);
      m.message = StrCat("[range mode] ", m.message);
      return m;
    };
    if (range_answer.thrown) return range_mode(*std::move(range_answer.thrown));
    const auto& range = range_answer.result;
    if (!range.ok()) {
      const std::string error = ErrorText(range.status());
      return range_mode(Mismatch{StrCat("unexpected error: ", Kind(error)),
                                 StrCat("error evaluating query: ", error),
                                 {}});
    }
    // Range results are sorted by labels: an ordered expectation cannot hold.
    if (cmd.IsOrdered()) return std::nullopt;
    const auto* matrix = std::get_if<query::Matrix>(&range->value);
    if (matrix == nullptr) {
      return range_mode(Mismatch{
          "result type", StrCat("range query returned ", DescribeValue(range->value)), {}});
    }
    if (auto m = AssertMatrixSorted(*matrix)) return range_mode(*std::move(m));
    query::Vector vec;
    for (const query::Series& series : *matrix) {
      for (const query::FPoint& p : series.floats) {
        if (p.t == q.time_ms) {
          vec.push_back(query::Sample{series.metric, p.t, p.f});
          break;
        }
      }
    }
    std::optional<Mismatch> m;
    if (std::holds_alternative<query::Scalar>(res->value)) {
      if (vec.empty()) {
        return range_mode(Mismatch{
            "missing scalar point",
            StrCat("no point at ", FormatTimeMs(q.time_ms), " in ", DescribeValue(range->value)),
            {}});
      }
      m = CompareResult(cmd, query::Scalar{q.time_ms, vec[0].f});
    } else {
      m = CompareResult(cmd, vec);
    }
    if (m) return range_mode(*std::move(m));
    return std::nullopt;
  }

  const RunnerOptions options_;
  testing::FakeClock clock_{storage::kDayMs};
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<storage::Engine> storage_;
  std::unique_ptr<query::PromqlEngine> engine_;
  // Native histogram samples not in the store, since the last clear.
  struct UnloadedSeries {
    LabelSet labels;
    std::vector<int64_t> times;
  };
  std::vector<UnloadedSeries> unloaded_;
  FileResult result_;
};

}  // namespace

int FileResult::Count(Outcome outcome) const {
  return static_cast<int>(std::count_if(
      evals.begin(), evals.end(), [&](const EvalOutcome& e) { return e.outcome == outcome; }));
}

absl::StatusOr<FileResult> RunScript(const Script& script, const RunnerOptions& options) {
  ScriptRunner runner(options);
  return runner.Run(script);
}

}  // namespace plumbline::promqltest
