#include "storage/internal/head_log.h"

#include <bit>
#include <cstring>

namespace plumbline::storage {
namespace {

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0, i = 0; i < 10 && i < static_cast<int>(in->size()); ++i, shift += 7) {
    const uint64_t byte = static_cast<unsigned char>((*in)[i]);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      in->remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

void HeadLogWriter::Add(uint64_t ref, int64_t t, double v) {
  PutVarint64(&body_, ref);
  PutVarint64(&body_, ZigZag(static_cast<int64_t>(static_cast<uint64_t>(t) -
                                                  static_cast<uint64_t>(prev_t_))));
  prev_t_ = t;
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(bits >> (8 * i));
  body_.append(buf, 8);
  ++count_;
}

std::string HeadLogWriter::Finish() {
  std::string out;
  PutVarint64(&out, count_);
  out.append(body_);
  body_.clear();
  count_ = 0;
  prev_t_ = 0;
  return out;
}

absl::Status HeadLogReader::Init() {
  if (!GetVarint64(&in_, &remaining_)) {
    status_ = absl::DataLossError("corrupt head log record: count");
  }
  return status_;
}

bool HeadLogReader::Next(uint64_t* ref, int64_t* t, double* v) {
  if (!status_.ok() || remaining_ == 0) return false;
  uint64_t delta = 0;
  if (!GetVarint64(&in_, ref) || !GetVarint64(&in_, &delta) || in_.size() < 8) {
    status_ = absl::DataLossError("corrupt head log record: truncated sample");
    return false;
  }
  prev_t_ =
      static_cast<int64_t>(static_cast<uint64_t>(prev_t_) + static_cast<uint64_t>(UnZigZag(delta)));
  *t = prev_t_;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i)
    bits |= static_cast<uint64_t>(static_cast<unsigned char>(in_[i])) << (8 * i);
  *v = std::bit_cast<double>(bits);
  in_.remove_prefix(8);
  --remaining_;
  return true;
}

}  // namespace plumbline::storage
