#include "web/import_api.h"

#include <memory>

#include "common/strings.h"
#include "query/api_error.h"
#include "storage/importer.h"
#include "web/api_envelope.h"
#include "web/form.h"

namespace plumbline::web {
namespace {

class ImportConsumer final : public BodyConsumer {
 public:
  ImportConsumer(storage::Engine* engine, const storage::ImportOptions& options)
      : importer_(engine, options) {}

  absl::Status Consume(std::string_view piece) override { return importer_.Feed(piece); }

  void Finish(const absl::Status& status, HttpResponse& response) override {
    if (!status.ok()) {
      const bool store = absl::IsUnavailable(status) || absl::IsDataLoss(status);
      AnswerError(store ? query::ApiErrorType::kUnavailable : query::ApiErrorType::kBadData,
                  StrCat(status.message(), " (batches written before this are kept)"), response);
      return;
    }
    absl::StatusOr<storage::ImportSummary> summary = importer_.Finish();
    if (!summary.ok()) {
      AnswerError(query::ApiErrorType::kUnavailable,
                  StrCat(summary.status().message(), " (batches written before this are kept)"),
                  response);
      return;
    }
    if (summary->rejected() > 0) {
      AnswerError(query::ApiErrorType::kBadData, summary->ToString(), response);
      return;
    }
    response.status = 204;
    response.body.clear();
  }

 private:
  storage::Importer importer_;
};

}  // namespace

Route ImportRoute(const std::atomic<storage::Engine*>* engine_slot, const AuthConfig* auth) {
  Route route;
  route.pattern = "/api/v1/import/prometheus";
  route.methods = {"POST", "PUT"};
  route.name = "/api/v1/import/prometheus";
  route.streaming = [engine_slot, auth](const HttpRequest& request,
                                        HttpResponse& response) -> std::unique_ptr<BodyConsumer> {
    const AuthDecision decision = AuthorizeWrite(auth, request, Role::kDeployer);
    if (!decision.allowed) {
      Refuse(decision, response);
      return nullptr;
    }
    // Written once by serve when storage is open; acquire pairs with that release store.
    storage::Engine* engine = engine_slot->load(std::memory_order_acquire);
    if (engine == nullptr) {
      AnswerError(query::ApiErrorType::kUnavailable, "storage is not open yet", response);
      return nullptr;
    }
    absl::StatusOr<FormParams> params = ParseForm(request.query);
    if (!params.ok()) {
      AnswerError(query::ApiErrorType::kBadData, ToStd(params.status().message()), response);
      return nullptr;
    }
    storage::ImportOptions options;
    if (const std::string* format = FindParam(*params, "format")) {
      if (*format == "prometheus") {
        options.timestamp_unit = storage::import::TimestampUnit::kMilliseconds;
      } else if (*format == "openmetrics") {
        options.timestamp_unit = storage::import::TimestampUnit::kSeconds;
      } else if (*format != "auto") {
        AnswerError(
            query::ApiErrorType::kBadData,
            StrCat("invalid parameter \"format\": expected auto, prometheus or openmetrics, got \"",
                   *format, "\""),
            response);
        return nullptr;
      }
    }
    return std::make_unique<ImportConsumer>(engine, options);
  };
  return route;
}

}  // namespace plumbline::web
