// The encoder's model search: cheap models for sparse and for wide residuals.
#include "storage/codec/internal/model_choice.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace plumbline::storage::codec::internal {
namespace {

TEST(ModelChoiceTest, ChoosesCheapModels) {
  // Mostly zeros: far below a bit per residual.
  FineHistogram sparse;
  for (int i = 0; i < 720; ++i) sparse.Add(i % 50 == 0 ? 1 : 0);
  ModelDesc model;
  EXPECT_LT(sparse.Choose(&model, 65, 1), 720 * 0.25);
  // Gaussian-like noise of scale 30: near its entropy (about 6.9 bits).
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 30);
  FineHistogram wide;
  for (int i = 0; i < 720; ++i) wide.Add(std::llround(noise(rng)));
  EXPECT_LT(wide.Choose(&model, 65, 1), 720 * 7.2);
  EXPECT_EQ(model.kind, ModelKind::kParametric);
}

TEST(ModelChoiceTest, UniformJitterStaysNearItsEntropy) {
  std::mt19937_64 rng(6);
  std::uniform_int_distribution<int> jitter(-25, 25);
  FineHistogram h;
  for (int i = 0; i < 720; ++i) h.Add(jitter(rng));
  ModelDesc model;
  EXPECT_LT(h.Choose(&model, 0, 0), 720 * (std::log2(51.0) + 0.15));
}

TEST(ModelChoiceTest, ExceptionsTakeTheEscape) {
  FineHistogram h;
  for (int i = 0; i < 100; ++i) h.Add(i % 3);
  h.AddExceptions(5);
  ModelDesc model;
  h.Choose(&model, 65, 1);
  EXPECT_TRUE(model.has_escape);
  FineHistogram only;
  only.AddExceptions(10);
  only.Choose(&model, 65, 1);
  EXPECT_EQ(model.kind, ModelKind::kSingle);
  EXPECT_TRUE(model.has_escape);
}

}  // namespace
}  // namespace plumbline::storage::codec::internal
