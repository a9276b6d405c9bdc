//===- ReservationTable.h - Resource occupancy for the scheduler -*- C++
//-*-===//
//
// Plain C++ (no MLIR): the reservation table of lpuhw-schedule. It records,
// per resource, the cycles or positions already taken:
//  - queues (MEM slices, VXM ALUs, MXM load/compute queues, SXM units): one
//    interval set of cycles each, an instruction holding its queue for
//    Machine::queueCycles cycles;
//  - MEM ports: per (slice, cycle) at most one read and one write, to
//    different banks;
//  - C2C links: one interval set of cycles per directed link;
//  - streams: a value put on stream s at position p in cycle t travels on the
//    "diagonal" p - t (east) or p + t (west); it occupies the positions from
//    its producer to its farthest consumer on that diagonal. Two values on
//    the same stream conflict exactly when their position intervals on the
//    same diagonal overlap (this covers both a put that would end a value
//    before it is read and two puts at the same position and cycle).
// Storage is sparse (ordered interval maps, hash maps keyed by resource and
// cycle or diagonal), so cost does not grow with the schedule's length.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_PASSES_SCHEDULE_RESERVATIONTABLE_H
#define LPUC_PASSES_SCHEDULE_RESERVATIONTABLE_H

#include "runtime/isa/Machine.h"

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

namespace lpuc::sched {

/// Disjoint half-open intervals [lo, hi) of integers.
class IntervalSet {
public:
  /// The end of an interval overlapping [lo, hi) (the leftmost one), or
  /// nullopt if [lo, hi) is free. An empty range is always free.
  std::optional<int64_t> conflictEnd(int64_t lo, int64_t hi) const;
  bool isFree(int64_t lo, int64_t hi) const { return !conflictEnd(lo, hi); }
  /// Adds [lo, hi), which must be free. With `merge`, touching neighbours are
  /// joined (then `erase` can no longer remove it alone).
  void insert(int64_t lo, int64_t hi, bool merge);
  /// Removes the interval [lo, hi) exactly as inserted; false if absent.
  bool erase(int64_t lo, int64_t hi);
  size_t size() const { return iv_.size(); }

private:
  std::map<int64_t, int64_t> iv_; // lo -> hi
};

/// The path of one stream value: put on `stream` (0..S-1 within `dir`) at
/// `putPos` in `putCycle`, read up to `lastPos` (its farthest consumer; the
/// put position itself if nobody reads it).
struct StreamPath {
  isa::Direction dir = isa::Direction::East;
  unsigned stream = 0;
  int putPos = 0;
  int64_t putCycle = 0;
  int lastPos = 0;
  uint32_t chip = 0;
};

class ReservationTable {
public:
  ReservationTable(unsigned numQueues, unsigned streamsPerDirection);

  unsigned numQueues() const { return unsigned(queues_.size()); }
  unsigned streamsPerDirection() const { return streams_; }

  /// Queue `q` held in cycles [t, t + len): the end of the first reservation
  /// in the way, or nullopt if free.
  std::optional<int64_t> queueConflictEnd(uint32_t q, int64_t t,
                                          uint32_t len) const;
  bool queueFree(uint32_t q, int64_t t, uint32_t len) const {
    return !queueConflictEnd(q, t, len);
  }
  /// The first cycle >= t at which `q` is free for `len` cycles.
  int64_t queueNextFree(uint32_t q, int64_t t, uint32_t len) const;
  void reserveQueue(uint32_t q, int64_t t, uint32_t len);

  /// MEM slice port rule: per (slice, cycle) one read and one write, not to
  /// the same bank.
  bool memPortFree(uint32_t slice, int64_t cycle, bool write,
                   uint32_t bank) const;
  void reserveMemPort(uint32_t slice, int64_t cycle, bool write, uint32_t bank);

  /// Whether a value can travel along `p` without ending or being ended by
  /// another value on the same stream.
  bool streamFree(const StreamPath &p) const;
  void reserveStream(const StreamPath &p);
  /// Undoes a `reserveStream` of exactly `p`.
  void releaseStream(const StreamPath &p);

  /// A directed C2C link (leaving `chip` on `link`) held in [t, t + len):
  /// the end of the first reservation in the way, or nullopt if free.
  std::optional<int64_t> linkConflictEnd(uint32_t chip, uint32_t link,
                                         int64_t t, uint32_t len) const;
  void reserveLink(uint32_t chip, uint32_t link, int64_t t, uint32_t len);

private:
  static uint64_t streamKey(const StreamPath &p);
  static void streamRange(const StreamPath &p, int64_t &lo, int64_t &hi);
  std::vector<IntervalSet> queues_;
  unsigned streams_;
  struct Ports {
    int32_t readBank = -1;
    int32_t writeBank = -1;
  };
  std::unordered_map<uint64_t, Ports> memPorts_;
  std::unordered_map<uint64_t, IntervalSet> streamPaths_;
  std::unordered_map<uint64_t, IntervalSet> links_;
};

} // namespace lpuc::sched

#endif
