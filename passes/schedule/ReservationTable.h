//===- ReservationTable.h - Resource occupancy for the scheduler -*- C++
//-*-===//
//
// Plain C++ (no MLIR): the reservation table of lpuhw-schedule. It records,
// per resource, the cycles or positions already taken:
//  - queues (MEM slices, VXM ALUs, MXM load/compute queues, SXM units): the
//    busy cycles of each, an instruction holding its queue for
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
// Queues and MEM ports are bitsets of busy cycles from cycle 0 (one bit per
// cycle and resource: a program of L cycles costs about rows x L / 8 bytes,
// small beside its instructions since L is far below their number), so a
// search tests 64 start cycles in a few word operations and skips a busy run
// with a bit scan (firstFreeStart). Streams and C2C links are sparse (the
// ranges taken on each diagonal, for all stream ids together, and ordered
// interval maps per link, in hash maps that are only looked up, never
// iterated, so hash order cannot reach a decision).
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

/// Busy cycles of one resource as a bitset from cycle 0 (grown on demand):
/// an index beside the interval sets that lets the scheduler test 64
/// consecutive start cycles with a few word operations.
class BusyBits {
public:
  /// Bit j set iff cycle t + j is busy (cycles < 0 are never busy).
  uint64_t word(int64_t t) const {
    if (t < 0) {
      if (t <= -64)
        return 0;
      return word(0) << (-t);
    }
    size_t i = size_t(t >> 6);
    unsigned s = unsigned(t & 63);
    uint64_t lo = i < w_.size() ? w_[i] : 0;
    if (s == 0)
      return lo;
    uint64_t hi = i + 1 < w_.size() ? w_[i + 1] : 0;
    return (lo >> s) | (hi << (64 - s));
  }
  /// Marks [lo, hi) busy (0 <= lo).
  void set(int64_t lo, int64_t hi);
  /// The first busy cycle in [lo, hi), or hi if all are free.
  int64_t firstBusy(int64_t lo, int64_t hi) const;
  /// The first free cycle >= t (t itself if it is free).
  int64_t firstFree(int64_t t) const;
  /// One past the last word that can hold a busy bit, in cycles.
  int64_t end() const { return int64_t(w_.size()) * 64; }

private:
  std::vector<uint64_t> w_;
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
                   uint32_t bank) const {
    return !memPortConflictEnd(slice, cycle, write, bank);
  }
  /// nullopt if the port is free; else a cycle e > `cycle` such that the
  /// port stays unavailable (to this bank) in every cycle of [cycle, e): the
  /// end of the run of reservations that blocks it.
  std::optional<int64_t> memPortConflictEnd(uint32_t slice, int64_t cycle,
                                            bool write, uint32_t bank) const;
  /// Takes the port, which must be free (memPortFree).
  void reserveMemPort(uint32_t slice, int64_t cycle, bool write, uint32_t bank);

  /// Whether a value can travel along `p` without ending or being ended by
  /// another value on the same stream.
  bool streamFree(const StreamPath &p) const;
  void reserveStream(const StreamPath &p);
  /// Undoes a `reserveStream` of exactly `p`.
  void releaseStream(const StreamPath &p);
  /// Frees the spare capacity of the per-diagonal stream lists (they grow
  /// by doubling and are kept all program long): between scheduler windows.
  void shrinkStreams();
  /// Forgets the stream ranges that every cycle from `floor` on is past:
  /// once nothing can be placed before `floor` (a window scheduled after
  /// the earlier ones, WindowScheduler::floor()), they can meet no new
  /// path (two paths conflict only at a shared position and cycle). Queue
  /// and port bits stay (a bit per cycle). Returns the ranges forgotten.
  size_t forgetStreamsBefore(int64_t floor) {
    return forgetStreamsBefore(std::vector<int64_t>(), floor);
  }
  /// The same with a floor per chip: `floors[chip]`, or `otherwise` for the
  /// chips past its end.
  size_t forgetStreamsBefore(const std::vector<int64_t> &floors,
                             int64_t otherwise = 0);
  /// The stream ranges held (one per value put and not forgotten).
  size_t streamRanges() const;
  /// The streams (bit s: stream s of p.dir, whatever p.stream says) on
  /// which a value travelling along `p` would conflict: one diagonal lookup
  /// answers for every stream id.
  using StreamMask = unsigned __int128; // streams_per_direction <= 127
  StreamMask streamsTaken(const StreamPath &p) const;

  /// A resource a bundle's op needs at a fixed offset from the bundle's
  /// start: a reservation-table queue row held for `len` cycles, or (with
  /// memSlice >= 0) a MEM port under the port rule.
  struct FixedUse {
    uint32_t queue = 0;
    uint32_t len = 1;
    int64_t offset = 0;
    int64_t memSlice = -1;
    bool write = false;
    uint32_t bank = 0;
  };
  /// The first start t in [t0, limit] at which every use is free (queue
  /// rows for [t + offset, t + offset + len), MEM ports per memPortFree),
  /// or a value > limit if there is none. Uses longer than 64 cycles are
  /// not looked at (the caller checks them).
  int64_t firstFreeStart(const std::vector<FixedUse> &uses, int64_t t0,
                         int64_t limit) const;

  /// A directed C2C link (leaving `chip` on `link`) held in [t, t + len):
  /// the end of the first reservation in the way, or nullopt if free.
  std::optional<int64_t> linkConflictEnd(uint32_t chip, uint32_t link,
                                         int64_t t, uint32_t len) const;
  void reserveLink(uint32_t chip, uint32_t link, int64_t t, uint32_t len);

private:
  static uint64_t diagonalKey(const StreamPath &p);
  static void streamRange(const StreamPath &p, int64_t &lo, int64_t &hi);
  std::vector<BusyBits> queues_;
  unsigned streams_;
  /// The cycles a slice's read ([0]) and write ([1]) port is taken, by any
  /// bank and per bank.
  struct SlicePorts {
    BusyBits any[2];
    std::vector<BusyBits> bank[2];
  };
  std::vector<SlicePorts> memPorts_; // by slice (chip * slices + slice)
  /// Per (chip, direction, diagonal): the position ranges [lo, hi) taken,
  /// with their stream (disjoint per stream; in no particular order).
  struct StreamUse { // 12 bytes: one per value put, kept all program long
    uint32_t stream;
    int32_t lo, hi; // positions
  };
  std::unordered_map<uint64_t, std::vector<StreamUse>> streamPaths_;
  std::unordered_map<uint64_t, IntervalSet> links_;
};

} // namespace lpuc::sched

#endif
