#include "storage/importer.h"

#include "common/clock.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace plumbline::storage {
namespace {
// The series cache is cleared when it reaches this size, bounding memory on files with
// millions of series (sorted files hit the last-series fast path anyway).
constexpr size_t kMaxCachedSeries = 1 << 20;
}  // namespace

std::string ImportSummary::ToString() const {
  std::string out = StrCat("imported ", samples_imported, " samples of ", series, " series");
  if (rejected() > 0) {
    StrAppend(&out, "; rejected: ", lines_rejected, " bad lines, ", out_of_order,
              " samples out of order, ", too_old, " samples older than the retention");
  }
  for (size_t i = 0; i < first_errors.size(); ++i) {
    StrAppend(&out, i == 0 ? " (" : "; ", first_errors[i]);
    if (i + 1 == first_errors.size()) {
      StrAppend(&out, lines_rejected > first_errors.size() ? "; ...)" : ")");
    }
  }
  return out;
}

Importer::Importer(Engine* engine, const ImportOptions& options)
    : engine_(engine),
      options_(options),
      writer_(engine->NewBulkWriter()),
      parser_(this, options.timestamp_unit),
      now_ms_(SystemClock::Get()->NowMs()) {}

Importer::~Importer() = default;

absl::Status Importer::Feed(std::string_view bytes) {
  if (!status_.ok()) return status_;
  parser_.Feed(bytes);
  summary_.bytes = parser_.bytes();
  summary_.lines = parser_.lines();
  return status_;
}

absl::StatusOr<ImportSummary> Importer::Finish() {
  if (status_.ok()) parser_.Finish();
  if (status_.ok()) FlushBatch();
  PL_RETURN_IF_ERROR(status_);
  for (const auto& [metric, md] : metadata_) {
    PL_RETURN_IF_ERROR(engine_->PutMetadata(md));
  }
  summary_.bytes = parser_.bytes();
  summary_.lines = parser_.lines();
  return summary_;
}

void Importer::OnSample(const import::SampleLine& sample) {
  if (!status_.ok()) return;
  ++summary_.samples_parsed;
  if (!have_last_ || sample.series != last_series_) {
    auto it = series_cache_.find(ToAbsl(sample.series));
    if (it == series_cache_.end()) {
      absl::StatusOr<Labels> labels = import::ParseSeries(sample.series);
      if (!labels.ok()) {
        OnError(sample.line_number,
                StrCat("line ", sample.line_number, ": ", labels.status().message()));
        return;
      }
      if (series_cache_.size() >= kMaxCachedSeries) series_cache_.clear();
      const uint32_t handle = writer_->Intern(*labels);
      if (handle + 1 > summary_.series) summary_.series = handle + 1;
      it = series_cache_.emplace(std::string(sample.series), handle).first;
    }
    last_series_.assign(sample.series);
    last_handle_ = it->second;
    have_last_ = true;
  }
  writer_->Add(last_handle_, sample.has_timestamp ? sample.timestamp_ms : now_ms_, sample.value);
  if (writer_->buffered() >= options_.flush_samples) FlushBatch();
}

void Importer::OnMetadata(const import::MetadataLine& metadata) {
  MetricMetadata& md = metadata_[std::string(metadata.metric)];
  md.metric = std::string(metadata.metric);
  switch (metadata.kind) {
    case import::MetadataKind::kType:
      md.type = metadata.text;
      break;
    case import::MetadataKind::kHelp:
      md.help = metadata.text;
      break;
    case import::MetadataKind::kUnit:
      md.unit = metadata.text;
      break;
  }
  summary_.metadata = metadata_.size();
}

void Importer::OnError(uint64_t /*line_number*/, std::string_view message) {
  ++summary_.lines_rejected;
  if (summary_.first_errors.size() < options_.max_errors_kept) {
    summary_.first_errors.emplace_back(message);
  }
}

void Importer::FlushBatch() {
  if (writer_->buffered() == 0) return;
  absl::StatusOr<AppendResult> result = writer_->Flush();
  if (!result.ok()) {
    status_ = result.status();
    return;
  }
  summary_.samples_imported += result->appended;
  summary_.out_of_order += result->out_of_order;
  summary_.too_old += result->too_old;
}

}  // namespace plumbline::storage
