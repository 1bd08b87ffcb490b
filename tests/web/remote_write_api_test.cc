// POST /api/v1/write over a real store in a temp dir: what is stored, what is refused and how
// a sender hears about it.
#include "web/remote_write_api.h"

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "remote/write_request.h"
#include "snappy.h"
#include "storage/engine.h"
#include "tests/storage/engine_test_util.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"
#include "web/auth.h"

namespace plumbline::web {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'764'130'000'000;

void AddSeries(prometheus::WriteRequest* w, std::vector<std::pair<std::string, std::string>> labels,
               std::vector<std::pair<int64_t, double>> samples) {
  prometheus::TimeSeries* ts = w->add_timeseries();
  for (auto& [name, value] : labels) {
    prometheus::Label* l = ts->add_labels();
    l->set_name(name);
    l->set_value(value);
  }
  for (auto [t, v] : samples) {
    prometheus::Sample* s = ts->add_samples();
    s->set_timestamp(t);
    s->set_value(v);
  }
}

class RemoteWriteApiTest : public ::testing::Test {
 protected:
  RemoteWriteApiTest() : clock_(kT0 + 60'000) {}

  void SetUp() override {
    storage::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.background_maintenance = false;
    options.clock = &clock_;
    auto engine = storage::Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    slot_.store(engine_.get());
    route_ = RemoteWriteRoute(&slot_, nullptr, &registry_);
  }

  HttpResponse Post(std::string body, bool loopback = true) {
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/write";
    request.path = "/api/v1/write";
    request.remote_is_loopback = loopback;
    request.remote_address = loopback ? "127.0.0.1" : "192.0.2.7";
    request.headers = {{"content-encoding", "snappy"},
                       {"content-type", "application/x-protobuf"},
                       {"x-prometheus-remote-write-version", "0.1.0"}};
    request.body = std::move(body);
    HttpResponse response;
    route_.handler(request, response);
    return response;
  }

  // Every sample of the series named `name`, as (t, v).
  std::vector<std::pair<int64_t, double>> Read(const std::string& name) {
    std::vector<std::pair<int64_t, double>> out;
    for (const auto& [labels, points] :
         storage::ReadAll(*engine_, {storage::Eq("__name__", name)}, 0, kT0 + 3'600'000)) {
      for (const storage::Point& p : points) out.emplace_back(p.t, p.v);
    }
    return out;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<storage::Engine> engine_;
  std::atomic<storage::Engine*> slot_{nullptr};
  prometheus::Registry registry_;
  Route route_;
};

TEST_F(RemoteWriteApiTest, StoresEverySampleWithItsLabelsAndMetadata) {
  prometheus::WriteRequest w;
  AddSeries(&w, {{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}},
            {{kT0, 1}, {kT0 + 15'000, 4}, {kT0 + 30'000, 9.5}});
  AddSeries(&w, {{"__name__", "up"}, {"job", "api"}, {"empty", ""}}, {{kT0, 1}});
  prometheus::MetricMetadata* md = w.add_metadata();
  md->set_type(prometheus::MetricMetadata::COUNTER);
  md->set_metric_family_name("http_requests_total");
  md->set_help("Requests served.");

  HttpResponse r = Post(remote::EncodeWriteRequest(w));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_THAT(Read("http_requests_total"),
              ::testing::ElementsAre(std::pair<int64_t, double>{kT0, 1},
                                     std::pair<int64_t, double>{kT0 + 15'000, 4},
                                     std::pair<int64_t, double>{kT0 + 30'000, 9.5}));
  EXPECT_EQ(Read("up").size(), 1u);
  auto meta = engine_->Metadata("http_requests_total");
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->size(), 1u);
  EXPECT_EQ((*meta)[0].type, "counter");
  EXPECT_EQ((*meta)[0].help, "Requests served.");
}

TEST_F(RemoteWriteApiTest, ARetriedRequestIsNotAnErrorButAnOlderSampleIs) {
  // A sender's retry of a request that did arrive: one sample per series, as a scraping
  // Prometheus sends them, duplicates the series' latest samples.
  prometheus::WriteRequest w;
  AddSeries(&w, {{"__name__", "g"}, {"i", "1"}}, {{kT0, 1}});
  AddSeries(&w, {{"__name__", "g"}, {"i", "2"}}, {{kT0, 2}});
  const std::string body = remote::EncodeWriteRequest(w);
  EXPECT_EQ(Post(body).status, 204);
  EXPECT_EQ(Post(body).status, 204);
  EXPECT_EQ(Read("g").size(), 2u);

  prometheus::WriteRequest older;
  AddSeries(&older, {{"__name__", "g"}, {"i", "1"}}, {{kT0 - 1000, 3}, {kT0 + 1000, 4}});
  HttpResponse r = Post(remote::EncodeWriteRequest(older));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("1 samples out of order"));
  EXPECT_THAT(r.body, HasSubstr("1 samples stored"));
  EXPECT_EQ(Read("g").size(), 3u);  // the in-order rest was stored
}

TEST_F(RemoteWriteApiTest, AnInvalidSeriesIsNamedAndTheOthersAreStored) {
  prometheus::WriteRequest w;
  AddSeries(&w, {{"__name__", "ok_metric"}}, {{kT0, 1}});
  AddSeries(&w, {{"__name__", "bad"}, {"1x", "v"}}, {{kT0, 1}});
  AddSeries(&w, {{"job", "no_name"}}, {{kT0, 1}});
  AddSeries(&w, {{"__name__", "m"}, {"v", "\xff\xfe"}}, {{kT0, 1}});  // not UTF-8
  HttpResponse r = Post(remote::EncodeWriteRequest(w));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("3 of 4 series refused (first: timeseries[1]: "));
  EXPECT_THAT(r.body, HasSubstr("1x"));
  EXPECT_EQ(Read("ok_metric").size(), 1u);
  EXPECT_TRUE(Read("m").empty());
}

TEST_F(RemoteWriteApiTest, BodiesThatAreNotAWriteRequestAreRefusedAndStoreNothing) {
  HttpResponse r = Post("this is not snappy");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("snappy"));
  EXPECT_THAT(r.body, HasSubstr("bad_data"));

  std::string compressed;
  const std::string junk = "\xff\xff\xff\xff\x0f garbage";
  snappy::Compress(junk.data(), junk.size(), &compressed);
  r = Post(compressed);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("protobuf"));

  r = Post("");  // not even a snappy block header
  EXPECT_EQ(r.status, 400);
}

TEST_F(RemoteWriteApiTest, StalenessMarkersTravelAsNaN) {
  prometheus::WriteRequest w;
  AddSeries(&w, {{"__name__", "s"}}, {{kT0, 1}, {kT0 + 1000, std::nan("")}});
  EXPECT_EQ(Post(remote::EncodeWriteRequest(w)).status, 204);
  auto samples = Read("s");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_TRUE(std::isnan(samples[1].second));
}

TEST_F(RemoteWriteApiTest, WritesFromOtherHostsNeedAToken) {
  prometheus::WriteRequest w;
  AddSeries(&w, {{"__name__", "x"}}, {{kT0, 1}});
  HttpResponse r = Post(remote::EncodeWriteRequest(w), /*loopback=*/false);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(Read("x").empty());
}

TEST_F(RemoteWriteApiTest, NothingIsStoredWhileTheStoreIsNotOpen) {
  slot_.store(nullptr);
  prometheus::WriteRequest w;
  AddSeries(&w, {{"__name__", "x"}}, {{kT0, 1}});
  EXPECT_EQ(Post(remote::EncodeWriteRequest(w)).status, 503);
}

TEST(RemoteWriteCodecTest, RoundTripsAndRefusesOversizedBodies) {
  prometheus::WriteRequest w;
  AddSeries(&w, {{"__name__", "m"}, {"a", "b"}}, {{kT0, 1.5}});
  const std::string body = remote::EncodeWriteRequest(w);
  prometheus::WriteRequest back;
  ASSERT_TRUE(remote::DecodeWriteRequest(body, 1 << 20, &back).ok());
  ASSERT_EQ(back.timeseries_size(), 1);
  EXPECT_EQ(back.timeseries(0).labels(1).value(), "b");
  EXPECT_EQ(back.timeseries(0).samples(0).value(), 1.5);
  absl::Status small = remote::DecodeWriteRequest(body, 4, &back);
  EXPECT_TRUE(absl::IsResourceExhausted(small)) << small;
}

}  // namespace
}  // namespace plumbline::web
