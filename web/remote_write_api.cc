// The remote write receiver (see remote_write_api.h).
#include "web/remote_write_api.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/strings.h"
#include "google/protobuf/arena.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "query/api_error.h"
#include "remote/write_request.h"
#include "web/api_envelope.h"

namespace plumbline::web {
namespace {

struct ReceiverMetrics {
  prometheus::Counter* samples = nullptr;
  prometheus::Family<prometheus::Counter>* refused = nullptr;
  prometheus::Counter* bad_requests = nullptr;
};

ReceiverMetrics MakeMetrics(prometheus::Registry* registry) {
  ReceiverMetrics m;
  if (registry == nullptr) return m;
  m.samples = &prometheus::BuildCounter()
                   .Name("plumbline_remote_write_received_samples_total")
                   .Help("Samples stored from remote write requests (POST /api/v1/write)")
                   .Register(*registry)
                   .Add({});
  m.refused = &prometheus::BuildCounter()
                   .Name("plumbline_remote_write_refused_samples_total")
                   .Help("Samples of remote write requests refused, by reason")
                   .Register(*registry);
  m.bad_requests = &prometheus::BuildCounter()
                        .Name("plumbline_remote_write_bad_requests_total")
                        .Help("Remote write requests whose body was not a snappy WriteRequest")
                        .Register(*registry)
                        .Add({});
  return m;
}

void CountRefused(const ReceiverMetrics& m, const char* reason, uint64_t n) {
  if (m.refused != nullptr && n > 0) m.refused->Add({{"reason", reason}}).Increment(double(n));
}

void Handle(storage::Engine* engine, const ReceiverMetrics& metrics, remote::SeriesRefCache* cache,
            const HttpRequest& request, HttpResponse& response) {
  // The request's strings and repeated fields live in one arena, freed at once at the end
  // (a request holds thousands of small strings: malloc and free were most of the cost).
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = std::max<size_t>(64 << 10, request.body.size() * 4);
  arena_options.max_block_size = 8 << 20;
  google::protobuf::Arena arena(arena_options);
  prometheus::WriteRequest& write =
      *google::protobuf::Arena::CreateMessage<prometheus::WriteRequest>(&arena);
  absl::Status decoded =
      remote::DecodeWriteRequest(request.body, remote::kDefaultMaxDecodedBytes, &write);
  if (!decoded.ok()) {
    if (metrics.bad_requests != nullptr) metrics.bad_requests->Increment();
    AnswerError(query::ApiErrorType::kBadData,
                StrCat("remote write: ", decoded.message(), " (nothing was stored)"), response);
    return;
  }
  storage::AppendBatch batch;
  std::vector<storage::MetricMetadata> metadata;
  remote::CacheMisses misses;
  remote::ConvertReport report = remote::ToAppendBatch(write, &batch, &metadata, cache, &misses);
  storage::AppendResult result;
  for (int attempt = 0; !batch.empty(); ++attempt) {
    absl::StatusOr<storage::AppendResult> appended = engine->Append(batch);
    if (!appended.ok()) {
      AnswerError(query::ApiErrorType::kUnavailable,
                  StrCat("remote write: the store could not write: ", appended.status().message(),
                         " (nothing was stored; retry)"),
                  response);
      return;
    }
    result = *std::move(appended);
    if (result.unknown_ref == 0 || attempt == 1) break;
    // The store no longer knows a series the cache remembered (retention dropped it): forget
    // everything and send the request again by labels. What the first attempt stored comes
    // back as duplicates of the series' latest samples.
    cache->Clear();
    batch.Clear();
    metadata.clear();
    misses = remote::CacheMisses();
    report = remote::ToAppendBatch(write, &batch, &metadata, nullptr, nullptr);
  }
  if (misses.by_labels_entries > 0 && result.unknown_ref == 0) remote::Learn(misses, result, cache);
  for (const storage::MetricMetadata& md : metadata) {
    // Metadata is advisory: a failure to keep it does not fail the samples already stored.
    (void)engine->PutMetadata(md);
  }
  if (metrics.samples != nullptr) {
    metrics.samples->Increment(double(result.appended + result.duplicate));
  }
  CountRefused(metrics, "out_of_order", result.out_of_order);
  CountRefused(metrics, "too_old", result.too_old);
  if (report.series_refused > 0 || result.refused() > 0) {
    std::string message = "remote write: ";
    if (report.series_refused > 0) {
      CountRefused(metrics, "invalid_series", report.series_refused);
      StrAppend(&message, report.series_refused, " of ", report.series,
                " series refused (first: ", report.first_error, "); ");
    }
    if (result.out_of_order > 0) {
      StrAppend(&message, result.out_of_order,
                " samples out of order (at or before the series' last sample); ");
    }
    if (result.too_old > 0) {
      StrAppend(&message, result.too_old, " samples older than the retention; ");
    }
    StrAppend(&message, result.appended + result.duplicate, " samples stored");
    AnswerError(query::ApiErrorType::kBadData, message, response);
    return;
  }
  response.status = 204;
  response.body.clear();
}

}  // namespace

Route RemoteWriteRoute(const std::atomic<storage::Engine*>* engine_slot, const AuthConfig* auth,
                       prometheus::Registry* registry) {
  Route route;
  route.pattern = "/api/v1/write";
  route.methods = {"POST"};
  route.name = "/api/v1/write";
  route.max_body_bytes = kMaxRemoteWriteBodyBytes;
  auto metrics = std::make_shared<const ReceiverMetrics>(MakeMetrics(registry));
  auto cache = std::make_shared<remote::SeriesRefCache>();
  route.handler = [engine_slot, auth, metrics, cache](const HttpRequest& request,
                                                      HttpResponse& response) {
    const AuthDecision decision = AuthorizeWrite(auth, request, Role::kDeployer);
    if (!decision.allowed) {
      Refuse(decision, response);
      return;
    }
    // Written once by serve when storage is open; acquire pairs with that release store.
    storage::Engine* engine = engine_slot->load(std::memory_order_acquire);
    if (engine == nullptr) {
      AnswerError(query::ApiErrorType::kUnavailable, "storage is not open yet", response);
      return;
    }
    Handle(engine, *metrics, cache.get(), request, response);
  };
  return route;
}

}  // namespace plumbline::web
