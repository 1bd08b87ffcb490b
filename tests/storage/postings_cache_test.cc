#include "storage/internal/postings_cache.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/engine_test_util.h"

namespace plumbline::storage {
namespace {

using ::testing::ElementsAre;
using Type = LabelMatcher::Type;

TEST(PostingsCacheTest, KeysTellMatchersApart) {
  const std::string a = PostingsCache::Key({Eq("job", "api"), Eq("env", "prod")});
  EXPECT_EQ(a, PostingsCache::Key({Eq("job", "api"), Eq("env", "prod")}));
  EXPECT_NE(a, PostingsCache::Key({Eq("job", "api")}));
  EXPECT_NE(a, PostingsCache::Key({Eq("job", "api"), M(Type::kNotEqual, "env", "prod")}));
  EXPECT_NE(PostingsCache::Key({Eq("a", "b0:1:c1:d")}),
            PostingsCache::Key({Eq("a", "b"), Eq("c", "d")}));
  EXPECT_NE(PostingsCache::Key({M(Type::kRegexMatch, "a", "x")}),
            PostingsCache::Key({M(Type::kRegexMatch, "a", "x"), M(Type::kRegexMatch, "b", "")}));
}

TEST(PostingsCacheTest, HitsUntilTheDayIsInvalidated) {
  PostingsCache cache(100);
  EXPECT_EQ(cache.Lookup(7, "k"), nullptr);
  cache.Insert(7, "k", cache.Generation(7), {1, 2, 3});
  ASSERT_NE(cache.Lookup(7, "k"), nullptr);
  EXPECT_THAT(*cache.Lookup(7, "k"), ElementsAre(1, 2, 3));
  EXPECT_EQ(cache.Lookup(8, "k"), nullptr);  // another day
  EXPECT_EQ(cache.Lookup(7, "j"), nullptr);  // other matchers
  cache.Invalidate(8);
  EXPECT_NE(cache.Lookup(7, "k"), nullptr);
  cache.Invalidate(7);
  EXPECT_EQ(cache.Lookup(7, "k"), nullptr);
  const PostingsCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits, 3u);
  EXPECT_EQ(stats.misses, 4u);
  EXPECT_EQ(stats.entries, 0u);  // the stale entry went at its lookup
  EXPECT_EQ(stats.refs, 0u);
}

// A reader that read the postings before a write, and inserts after the writer invalidated
// the day, must not leave its list behind.
TEST(PostingsCacheTest, ListsReadBeforeAWriteAreNotKept) {
  PostingsCache cache(100);
  const uint64_t before = cache.Generation(3);
  cache.Invalidate(3);
  cache.Insert(3, "k", before, {1});
  EXPECT_EQ(cache.Lookup(3, "k"), nullptr);
  cache.Insert(3, "k", cache.Generation(3), {1, 2});
  EXPECT_THAT(*cache.Lookup(3, "k"), ElementsAre(1, 2));

  // The same across Clear (the store reopened) and DropBefore (retention).
  const uint64_t old = cache.Generation(4);
  cache.Clear();
  EXPECT_EQ(cache.Lookup(3, "k"), nullptr);
  cache.Insert(4, "k", old, {1});
  EXPECT_EQ(cache.Lookup(4, "k"), nullptr);
  cache.Insert(4, "k", cache.Generation(4), {9});
  cache.Insert(5, "k", cache.Generation(5), {10});
  cache.DropBefore(5);
  EXPECT_EQ(cache.Lookup(4, "k"), nullptr);
  EXPECT_THAT(*cache.Lookup(5, "k"), ElementsAre(10));
  cache.Insert(4, "k", cache.Generation(4), {9});
  EXPECT_EQ(cache.Lookup(4, "k"), nullptr);
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(PostingsCacheTest, HoldsAtMostMaxRefsDroppingTheOldestFirst) {
  PostingsCache cache(10);
  cache.Insert(1, "a", cache.Generation(1), {1, 2, 3, 4});
  cache.Insert(1, "b", cache.Generation(1), {1, 2, 3, 4});
  cache.Insert(1, "c", cache.Generation(1), {1, 2, 3, 4});  // 12 > 10: "a" goes
  EXPECT_EQ(cache.Lookup(1, "a"), nullptr);
  EXPECT_NE(cache.Lookup(1, "b"), nullptr);
  EXPECT_NE(cache.Lookup(1, "c"), nullptr);
  EXPECT_EQ(cache.stats().refs, 8u);
  cache.Insert(1, "big", cache.Generation(1), std::vector<uint64_t>(11, 5));  // alone too big
  EXPECT_EQ(cache.Lookup(1, "big"), nullptr);
  EXPECT_EQ(cache.stats().refs, 8u);
  // Inserting the same key again replaces it, also after invalidations.
  for (int i = 0; i < 1000; ++i) {
    cache.Invalidate(2);
    cache.Insert(2, "d", cache.Generation(2), {static_cast<uint64_t>(i)});
  }
  EXPECT_THAT(*cache.Lookup(2, "d"), ElementsAre(999));
  EXPECT_LE(cache.stats().refs, 10u);
  EXPECT_LE(cache.stats().entries, 3u);
}

TEST(PostingsCacheTest, EntryCountIsBoundedToo) {
  PostingsCache cache(1 << 20);
  for (size_t i = 0; i < PostingsCache::kMaxEntries + 10; ++i) {
    cache.Insert(1, std::to_string(i), cache.Generation(1), {});
  }
  EXPECT_EQ(cache.stats().entries, PostingsCache::kMaxEntries);
  EXPECT_EQ(cache.Lookup(1, "0"), nullptr);
  EXPECT_NE(cache.Lookup(1, std::to_string(PostingsCache::kMaxEntries + 9)), nullptr);
}

TEST(PostingsCacheTest, ZeroRefsTurnsItOff) {
  PostingsCache cache(0);
  cache.Insert(1, "k", cache.Generation(1), {});
  EXPECT_EQ(cache.Lookup(1, "k"), nullptr);
  EXPECT_EQ(cache.stats().entries, 0u);
}

}  // namespace
}  // namespace plumbline::storage
