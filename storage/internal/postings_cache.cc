#include "storage/internal/postings_cache.h"

#include <iterator>

#include "absl/strings/str_cat.h"

namespace plumbline::storage {

std::string PostingsCache::Key(absl::Span<const LabelMatcher> matchers) {
  std::string key;
  for (const LabelMatcher& m : matchers) {
    // Lengths first: a regex may hold any byte.
    absl::StrAppend(&key, static_cast<int>(m.type()), ":", m.name().size(), ":", m.name(),
                    m.value().size(), ":", m.value());
  }
  return key;
}

uint64_t PostingsCache::GenerationLocked(uint32_t day) const {
  auto it = generations_.find(day);
  return it == generations_.end() ? base_generation_ : it->second;
}

void PostingsCache::EraseLocked(absl::flat_hash_map<EntryKey, Entry>::iterator it) {
  refs_ -= it->second.refs->size();
  entries_.erase(it);
}

PostingsCache::Refs PostingsCache::Lookup(uint32_t day, const std::string& key) {
  if (max_refs_ == 0) return nullptr;
  absl::MutexLock lock(&mu_);
  if (day < first_day_) return nullptr;
  auto it = entries_.find(EntryKey(day, key));
  if (it == entries_.end()) {
    ++misses_;
    return nullptr;
  }
  if (it->second.generation != GenerationLocked(day)) {
    EraseLocked(it);
    ++misses_;
    return nullptr;
  }
  ++hits_;
  return it->second.refs;
}

uint64_t PostingsCache::Generation(uint32_t day) {
  absl::MutexLock lock(&mu_);
  return GenerationLocked(day);
}

void PostingsCache::Insert(uint32_t day, std::string key, uint64_t generation,
                           std::vector<uint64_t> refs) {
  if (max_refs_ == 0 || refs.size() > max_refs_) return;
  auto shared = std::make_shared<const std::vector<uint64_t>>(std::move(refs));
  absl::MutexLock lock(&mu_);
  // Written (or dropped) meanwhile: the list may be stale.
  if (generation != GenerationLocked(day) || day < first_day_) return;
  EntryKey entry_key(day, std::move(key));
  auto old = entries_.find(entry_key);
  if (old != entries_.end()) EraseLocked(old);
  const uint64_t serial = next_serial_++;
  refs_ += shared->size();
  order_.emplace_back(entry_key, serial);
  entries_.emplace(std::move(entry_key), Entry{generation, serial, std::move(shared)});
  // Oldest first; records of replaced or erased entries go too, so order_ stays within
  // twice the entries.
  while (!order_.empty() && (refs_ > max_refs_ || entries_.size() > kMaxEntries ||
                             order_.size() > 2 * entries_.size() + 16)) {
    auto it = entries_.find(order_.front().first);
    if (it != entries_.end() && it->second.serial == order_.front().second) EraseLocked(it);
    order_.pop_front();
  }
}

void PostingsCache::Invalidate(uint32_t day) {
  if (max_refs_ == 0) return;
  absl::MutexLock lock(&mu_);
  // Entries of the day are dropped when next looked up or by age.
  generations_[day] = next_generation_++;
}

void PostingsCache::DropBefore(uint32_t day) {
  absl::MutexLock lock(&mu_);
  if (day <= first_day_) return;
  first_day_ = day;
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->first.first < day) EraseLocked(it);
    it = next;
  }
}

void PostingsCache::Clear() {
  absl::MutexLock lock(&mu_);
  base_generation_ = next_generation_++;
  generations_.clear();
  entries_.clear();
  order_.clear();
  refs_ = 0;
}

PostingsCache::Stats PostingsCache::stats() const {
  absl::MutexLock lock(&mu_);
  return Stats{hits_, misses_, entries_.size(), refs_};
}

}  // namespace plumbline::storage
