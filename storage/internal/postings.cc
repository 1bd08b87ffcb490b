#include "storage/internal/postings.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>

#include "common/status_macros.h"
#include "storage/internal/keys.h"
#include "storage/internal/rocks_status.h"

namespace plumbline::storage {
namespace {

void SortUnique(std::vector<uint64_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

std::vector<uint64_t> Intersect(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint64_t> Subtract(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

bool HasPrefix(const rocksdb::Slice& key, const std::string& prefix) {
  return key.size() >= prefix.size() && std::memcmp(key.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

absl::Status PostingsReader::ReadList(const std::string& prefix, std::vector<uint64_t>* out) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, cf_));
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 8) continue;
    out->push_back(keys::GetFixed64BE(it->key().data() + prefix.size()));
  }
  return FromRocks(it->status(), "read postings");
}

absl::StatusOr<std::vector<uint64_t>> PostingsReader::UnionValues(uint32_t day,
                                                                  std::string_view name,
                                                                  const LabelMatcher* filter,
                                                                  bool keep_when_matching) const {
  std::vector<uint64_t> out;
  const std::string name_prefix = keys::PostingsNamePrefix(day, name);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, cf_));
  it->Seek(name_prefix);
  while (it->Valid() && HasPrefix(it->key(), name_prefix)) {
    const rocksdb::Slice key = it->key();
    const char* value_begin = key.data() + name_prefix.size();
    const size_t rest = key.size() - name_prefix.size();
    if (rest < 9 || value_begin[rest - 9] != '\0') {
      it->Next();  // not a well-formed postings key; skip it
      continue;
    }
    const std::string_view value(value_begin, rest - 9);
    const bool keep = filter == nullptr || filter->Matches(value) == keep_when_matching;
    const std::string value_prefix = keys::PostingsValuePrefix(day, name, value);
    if (keep) {
      for (; it->Valid() && HasPrefix(it->key(), value_prefix); it->Next()) {
        if (it->key().size() == value_prefix.size() + 8) {
          out.push_back(keys::GetFixed64BE(it->key().data() + value_prefix.size()));
        }
      }
    } else {
      // Skip every ref of this value in one seek: the next key is past "value\0\xff...".
      std::string next = value_prefix;
      next.back() = '\x01';
      it->Seek(next);
    }
  }
  PL_RETURN_IF_ERROR(FromRocks(it->status(), "read postings"));
  SortUnique(&out);
  return out;
}

absl::StatusOr<std::vector<uint64_t>> PostingsReader::Select(
    uint32_t day, absl::Span<const LabelMatcher> matchers) const {
  std::vector<std::vector<uint64_t>> intersect;
  std::vector<uint64_t> subtract;
  for (const LabelMatcher& m : matchers) {
    using Type = LabelMatcher::Type;
    const bool plain_equal = m.type() == Type::kEqual && !m.value().empty();
    if (plain_equal) {
      std::vector<uint64_t> list;
      PL_RETURN_IF_ERROR(ReadList(keys::PostingsValuePrefix(day, m.name(), m.value()), &list));
      intersect.push_back(std::move(list));
    } else if (m.type() == Type::kNotEqual && !m.value().empty()) {
      std::vector<uint64_t> list;
      PL_RETURN_IF_ERROR(ReadList(keys::PostingsValuePrefix(day, m.name(), m.value()), &list));
      subtract.insert(subtract.end(), list.begin(), list.end());
    } else if (!m.MatchesEmpty()) {
      // Only series that have the label with a matching value.
      PL_ASSIGN_OR_RETURN(std::vector<uint64_t> list,
                          UnionValues(day, m.name(), &m, /*keep_when_matching=*/true));
      intersect.push_back(std::move(list));
    } else {
      // Matches the empty value: everything except series whose value does not match.
      PL_ASSIGN_OR_RETURN(std::vector<uint64_t> list,
                          UnionValues(day, m.name(), &m, /*keep_when_matching=*/false));
      subtract.insert(subtract.end(), list.begin(), list.end());
    }
    if (!intersect.empty() && intersect.back().empty()) return std::vector<uint64_t>{};
  }
  std::vector<uint64_t> result;
  if (intersect.empty()) {
    PL_RETURN_IF_ERROR(ReadList(keys::AllPostingsPrefix(day), &result));
  } else {
    std::sort(intersect.begin(), intersect.end(),
              [](const auto& a, const auto& b) { return a.size() < b.size(); });
    result = std::move(intersect[0]);
    for (size_t i = 1; i < intersect.size() && !result.empty(); ++i) {
      result = Intersect(result, intersect[i]);
    }
  }
  if (!subtract.empty() && !result.empty()) {
    SortUnique(&subtract);
    result = Subtract(result, subtract);
  }
  return result;
}

absl::Status PostingsReader::LabelNames(uint32_t day, std::set<std::string>* out) const {
  const std::string day_prefix = keys::DayPrefix(day);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, cf_));
  it->Seek(day_prefix);
  while (it->Valid() && HasPrefix(it->key(), day_prefix)) {
    const rocksdb::Slice key = it->key();
    const char* name_begin = key.data() + 4;
    const void* nul = std::memchr(name_begin, '\0', key.size() - 4);
    if (nul == nullptr) {
      it->Next();
      continue;
    }
    const std::string_view name(name_begin, static_cast<const char*>(nul) - name_begin);
    if (!name.empty()) out->emplace(name);
    std::string next = keys::PostingsNamePrefix(day, name);
    next.back() = '\x01';
    it->Seek(next);
  }
  return FromRocks(it->status(), "read label names");
}

absl::Status PostingsReader::LabelValues(uint32_t day, std::string_view name,
                                         std::set<std::string>* out) const {
  if (name.empty()) return absl::OkStatus();
  const std::string name_prefix = keys::PostingsNamePrefix(day, name);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, cf_));
  it->Seek(name_prefix);
  while (it->Valid() && HasPrefix(it->key(), name_prefix)) {
    const rocksdb::Slice key = it->key();
    const size_t rest = key.size() - name_prefix.size();
    if (rest < 9) {
      it->Next();
      continue;
    }
    const std::string_view value(key.data() + name_prefix.size(), rest - 9);
    out->emplace(value);
    std::string next = keys::PostingsValuePrefix(day, name, value);
    next.back() = '\x01';
    it->Seek(next);
  }
  return FromRocks(it->status(), "read label values");
}

}  // namespace plumbline::storage
