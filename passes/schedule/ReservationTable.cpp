//===- ReservationTable.cpp - Resource occupancy for the scheduler --------===//
#include "passes/schedule/ReservationTable.h"

#include <algorithm>
#include <cassert>
#include <iterator>

namespace lpuc::sched {

std::optional<int64_t> IntervalSet::conflictEnd(int64_t lo, int64_t hi) const {
  if (lo >= hi)
    return std::nullopt;
  auto it = iv_.upper_bound(lo);
  if (it != iv_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > lo)
      return prev->second;
  }
  if (it != iv_.end() && it->first < hi)
    return it->second;
  return std::nullopt;
}

void IntervalSet::insert(int64_t lo, int64_t hi, bool merge) {
  if (lo >= hi)
    return;
  assert(isFree(lo, hi) && "inserting an overlapping interval");
  if (merge) {
    auto next = iv_.find(hi);
    if (next != iv_.end()) {
      hi = next->second;
      iv_.erase(next);
    }
    auto it = iv_.lower_bound(lo);
    if (it != iv_.begin()) {
      auto prev = std::prev(it);
      if (prev->second == lo) {
        prev->second = hi;
        return;
      }
    }
  }
  iv_.emplace(lo, hi);
}

bool IntervalSet::erase(int64_t lo, int64_t hi) {
  auto it = iv_.find(lo);
  if (it == iv_.end() || it->second != hi)
    return false;
  iv_.erase(it);
  return true;
}

ReservationTable::ReservationTable(unsigned numQueues,
                                   unsigned streamsPerDirection)
    : queues_(numQueues), streams_(streamsPerDirection) {}

std::optional<int64_t> ReservationTable::queueConflictEnd(uint32_t q, int64_t t,
                                                          uint32_t len) const {
  return queues_[q].conflictEnd(t, t + len);
}

int64_t ReservationTable::queueNextFree(uint32_t q, int64_t t,
                                        uint32_t len) const {
  // Queue intervals are merged, so each step skips a whole busy stretch.
  while (std::optional<int64_t> end = queueConflictEnd(q, t, len))
    t = *end;
  return t;
}

void ReservationTable::reserveQueue(uint32_t q, int64_t t, uint32_t len) {
  queues_[q].insert(t, t + len, /*merge=*/true);
}

static uint64_t portKey(uint32_t slice, int64_t cycle) {
  return (uint64_t(cycle) << 24) ^
         uint64_t(slice); // slice: chip * slices + slice
}

bool ReservationTable::memPortFree(uint32_t slice, int64_t cycle, bool write,
                                   uint32_t bank) const {
  auto it = memPorts_.find(portKey(slice, cycle));
  if (it == memPorts_.end())
    return true;
  const Ports &p = it->second;
  if (write)
    return p.writeBank < 0 && p.readBank != int32_t(bank);
  return p.readBank < 0 && p.writeBank != int32_t(bank);
}

void ReservationTable::reserveMemPort(uint32_t slice, int64_t cycle, bool write,
                                      uint32_t bank) {
  Ports &p = memPorts_[portKey(slice, cycle)];
  (write ? p.writeBank : p.readBank) = int32_t(bank);
}

uint64_t ReservationTable::streamKey(const StreamPath &p) {
  int64_t diag = p.dir == isa::Direction::East ? p.putPos - p.putCycle
                                               : p.putPos + p.putCycle;
  uint64_t id = (p.dir == isa::Direction::East ? 0 : 128) + p.stream;
  return uint64_t(p.chip) << 49 | (uint64_t(diag + (int64_t(1) << 40)) << 8) |
         id;
}

void ReservationTable::streamRange(const StreamPath &p, int64_t &lo,
                                   int64_t &hi) {
  if (p.dir == isa::Direction::East) {
    lo = p.putPos;
    hi = std::max(p.putPos, p.lastPos) + 1;
  } else {
    lo = std::min(p.putPos, p.lastPos);
    hi = p.putPos + 1;
  }
}

bool ReservationTable::streamFree(const StreamPath &p) const {
  auto it = streamPaths_.find(streamKey(p));
  if (it == streamPaths_.end())
    return true;
  int64_t lo, hi;
  streamRange(p, lo, hi);
  return it->second.isFree(lo, hi);
}

void ReservationTable::reserveStream(const StreamPath &p) {
  int64_t lo, hi;
  streamRange(p, lo, hi);
  streamPaths_[streamKey(p)].insert(lo, hi, /*merge=*/false);
}

void ReservationTable::releaseStream(const StreamPath &p) {
  auto it = streamPaths_.find(streamKey(p));
  if (it == streamPaths_.end())
    return;
  int64_t lo, hi;
  streamRange(p, lo, hi);
  it->second.erase(lo, hi);
  if (it->second.size() == 0)
    streamPaths_.erase(it);
}

} // namespace lpuc::sched

namespace lpuc::sched {

std::optional<int64_t> ReservationTable::linkConflictEnd(uint32_t chip,
                                                         uint32_t link,
                                                         int64_t t,
                                                         uint32_t len) const {
  auto it = links_.find(uint64_t(chip) << 32 | link);
  if (it == links_.end())
    return std::nullopt;
  return it->second.conflictEnd(t, t + len);
}

void ReservationTable::reserveLink(uint32_t chip, uint32_t link, int64_t t,
                                   uint32_t len) {
  links_[uint64_t(chip) << 32 | link].insert(t, t + len, /*merge=*/true);
}

} // namespace lpuc::sched
