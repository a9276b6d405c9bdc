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

int64_t BusyBits::firstBusy(int64_t lo, int64_t hi) const {
  for (int64_t t = lo; t < hi && t < end(); t += 64) {
    uint64_t w = word(t);
    if (hi - t < 64)
      w &= (uint64_t(1) << (hi - t)) - 1;
    if (w)
      return t + __builtin_ctzll(w);
  }
  return hi;
}

int64_t BusyBits::firstFree(int64_t t) const {
  while (true) {
    uint64_t w = ~word(t);
    if (w)
      return t + __builtin_ctzll(w);
    t += 64;
  }
}

void BusyBits::set(int64_t lo, int64_t hi) {
  assert(lo >= 0 && "reservations start at cycle 0");
  lo = std::max<int64_t>(lo, 0); // schedules start at cycle 0
  if (lo >= hi)
    return;
  size_t last = size_t((hi - 1) >> 6);
  if (last >= w_.size())
    w_.resize(std::max(last + 1, w_.size() + w_.size() / 2), 0);
  for (int64_t t = lo; t < hi; ++t)
    w_[size_t(t >> 6)] |= uint64_t(1) << (t & 63);
}

ReservationTable::ReservationTable(unsigned numQueues,
                                   unsigned streamsPerDirection)
    : queues_(numQueues), streams_(streamsPerDirection) {}

int64_t ReservationTable::firstFreeStart(const std::vector<FixedUse> &uses,
                                         int64_t t0, int64_t limit) const {
  // The bitsets of the uses (a MEM port is two: its own port taken by any
  // bank, the other port taken by the same bank), each with its offset.
  struct Probe {
    const BusyBits *bits;
    int64_t offset;
    uint32_t len;
  };
  std::vector<Probe> probes;
  int64_t end = 0; // past every busy bit of every probe
  for (const FixedUse &u : uses) {
    auto add = [&](const BusyBits *b, uint32_t len) {
      if (!b || b->end() == 0)
        return;
      probes.push_back({b, u.offset, len});
      end = std::max(end, b->end() - u.offset);
    };
    if (u.memSlice < 0) {
      if (u.len <= 64)
        add(&queues_[u.queue], u.len);
      continue;
    }
    if (size_t(u.memSlice) >= memPorts_.size())
      continue;
    const SlicePorts &p = memPorts_[size_t(u.memSlice)];
    add(&p.any[u.write], 1);
    const std::vector<BusyBits> &other = p.bank[!u.write];
    if (u.bank < other.size())
      add(&other[u.bank], 1);
  }
  for (int64_t t = t0; t <= limit; t += 64) {
    if (t >= end)
      return t;
    uint64_t busy = 0;
    for (const Probe &p : probes)
      for (uint32_t j = 0; j < p.len && busy != ~uint64_t(0); ++j)
        busy |= p.bits->word(t + p.offset + j);
    if (busy != ~uint64_t(0))
      return t + __builtin_ctzll(~busy);
  }
  return limit + 1;
}

std::optional<int64_t> ReservationTable::queueConflictEnd(uint32_t q, int64_t t,
                                                          uint32_t len) const {
  // The end of the busy run that overlaps [t, t + len) first.
  const BusyBits &b = queues_[q];
  int64_t busy = b.firstBusy(t, t + len);
  if (busy == t + len)
    return std::nullopt;
  return b.firstFree(busy);
}

int64_t ReservationTable::queueNextFree(uint32_t q, int64_t t,
                                        uint32_t len) const {
  // Each step skips a whole busy run.
  while (std::optional<int64_t> end = queueConflictEnd(q, t, len))
    t = *end;
  return t;
}

void ReservationTable::reserveQueue(uint32_t q, int64_t t, uint32_t len) {
  queues_[q].set(t, t + len);
}

std::optional<int64_t>
ReservationTable::memPortConflictEnd(uint32_t slice, int64_t cycle, bool write,
                                     uint32_t bank) const {
  if (slice >= memPorts_.size())
    return std::nullopt;
  const SlicePorts &p = memPorts_[slice];
  // Its own port taken by any bank, or the other port by the same bank: the
  // end of that run of taken cycles (the later one if both).
  std::optional<int64_t> end;
  if (p.any[write].word(cycle) & 1)
    end = p.any[write].firstFree(cycle);
  const std::vector<BusyBits> &other = p.bank[!write];
  if (bank < other.size() && (other[bank].word(cycle) & 1))
    end = std::max(end.value_or(0), other[bank].firstFree(cycle));
  return end;
}

void ReservationTable::reserveMemPort(uint32_t slice, int64_t cycle, bool write,
                                      uint32_t bank) {
  if (slice >= memPorts_.size())
    memPorts_.resize(slice + 1);
  SlicePorts &p = memPorts_[slice];
  p.any[write].set(cycle, cycle + 1);
  if (bank >= p.bank[write].size())
    p.bank[write].resize(bank + 1);
  p.bank[write][bank].set(cycle, cycle + 1);
}

uint64_t ReservationTable::diagonalKey(const StreamPath &p) {
  int64_t diag = p.dir == isa::Direction::East ? p.putPos - p.putCycle
                                               : p.putPos + p.putCycle;
  return uint64_t(p.chip) << 42 | (uint64_t(diag + (int64_t(1) << 40)) << 1) |
         (p.dir == isa::Direction::East ? 0 : 1);
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
  auto it = streamPaths_.find(diagonalKey(p));
  if (it == streamPaths_.end())
    return true;
  int64_t lo, hi;
  streamRange(p, lo, hi);
  for (const StreamUse &u : it->second)
    if (u.stream == p.stream && u.lo < hi && lo < u.hi)
      return false;
  return true;
}

ReservationTable::StreamMask
ReservationTable::streamsTaken(const StreamPath &p) const {
  auto it = streamPaths_.find(diagonalKey(p));
  if (it == streamPaths_.end())
    return 0;
  int64_t lo, hi;
  streamRange(p, lo, hi);
  StreamMask taken = 0;
  for (const StreamUse &u : it->second)
    if (u.lo < hi && lo < u.hi)
      taken |= StreamMask(1) << u.stream;
  return taken;
}

void ReservationTable::reserveStream(const StreamPath &p) {
  assert(streamFree(p) && "reserving a taken stream range");
  int64_t lo, hi;
  streamRange(p, lo, hi);
  streamPaths_[diagonalKey(p)].push_back({p.stream, int32_t(lo), int32_t(hi)});
}

void ReservationTable::shrinkStreams() {
  // Visits every list once; the order cannot matter. (A copy, not
  // shrink_to_fit: without exceptions, libstdc++'s is a no-op.)
  for (auto &entry : streamPaths_) {
    std::vector<StreamUse> &uses = entry.second;
    if (uses.capacity() > uses.size())
      std::vector<StreamUse>(uses.begin(), uses.end()).swap(uses);
  }
}

size_t ReservationTable::forgetStreamsBefore(const std::vector<int64_t> &floors,
                                             int64_t otherwise) {
  // Each entry is decided alone, so the hash order cannot matter.
  size_t forgotten = 0;
  for (auto it = streamPaths_.begin(); it != streamPaths_.end();) {
    uint64_t key = it->first;
    uint64_t chip = key >> 42;
    int64_t floor = chip < floors.size() ? floors[chip] : otherwise;
    bool east = (key & 1) == 0;
    int64_t diag =
        int64_t((key >> 1) & ((uint64_t(1) << 41) - 1)) - (int64_t(1) << 40);
    std::vector<StreamUse> &uses = it->second;
    // A range [lo, hi) of a diagonal is passed in cycles lo - diag ..
    // hi - 1 - diag (east: cycle = position - diag) or diag - hi + 1 ..
    // diag - lo (west: cycle = diag - position); see diagonalKey.
    size_t kept = 0;
    for (const StreamUse &u : uses) {
      int64_t last = east ? int64_t(u.hi) - 1 - diag : diag - int64_t(u.lo);
      if (last >= floor)
        uses[kept++] = u;
    }
    forgotten += uses.size() - kept;
    if (kept == 0) {
      it = streamPaths_.erase(it);
      continue;
    }
    if (kept < uses.size())
      std::vector<StreamUse>(uses.begin(), uses.begin() + kept).swap(uses);
    ++it;
  }
  return forgotten;
}

size_t ReservationTable::streamRanges() const {
  size_t n = 0;
  for (const auto &entry : streamPaths_)
    n += entry.second.size();
  return n;
}

void ReservationTable::releaseStream(const StreamPath &p) {
  auto it = streamPaths_.find(diagonalKey(p));
  if (it == streamPaths_.end())
    return;
  int64_t lo, hi;
  streamRange(p, lo, hi);
  std::vector<StreamUse> &uses = it->second;
  for (size_t k = 0; k < uses.size(); ++k)
    if (uses[k].stream == p.stream && uses[k].lo == lo && uses[k].hi == hi) {
      uses[k] = uses.back();
      uses.pop_back();
      break;
    }
  if (uses.empty())
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
