//===- Scheduler.h - Bundle list scheduler of lpuhw-schedule ----*- C++ -*-===//
//
// Plain C++ (no MLIR), so gtests can drive it. The caller describes every
// instruction (OpSpec: its isa::Instruction for timing, candidate queues,
// position, stream operands) and the dependences not carried by streams
// (addDep). run() then
//  1. decides each value's direction and ties values into stream groups
//     (results of one op; operands of one input group; mxm_load lanes),
//  2. joins ops connected by stream edges into rigid bundles with fixed
//     cycle offsets (an error if two paths disagree),
//  3. list-schedules the bundles in critical-path order, each at its earliest
//     start where every op finds a free queue and every stream group a free
//     stream id range along its values' paths (ReservationTable).
// Deterministic: no decision depends on pointer values or hash order.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_PASSES_SCHEDULE_SCHEDULER_H
#define LPUC_PASSES_SCHEDULE_SCHEDULER_H

#include "passes/schedule/ReservationTable.h"
#include "runtime/isa/Isa.h"
#include "runtime/isa/Machine.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lpuc::sched {

/// A read-only view of `size` contiguous elements (C++17 has no std::span;
/// this library stays free of LLVM so that gtests can link it alone).
template <typename T> class Span {
public:
  Span() = default;
  Span(const T *data, size_t size) : data_(data), size_(size) {}
  Span(const T *begin, const T *end) : data_(begin), size_(end - begin) {}
  const T *begin() const { return data_; }
  const T *end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T &operator[](size_t i) const { return data_[i]; }
  const T &front() const { return data_[0]; }

private:
  const T *data_ = nullptr;
  size_t size_ = 0;
};

/// One stream operand of an op: result `result` of op `producer`. It is read
/// `readDelay` cycles after the consumer issues, on stream `base(group) +
/// lane`, where base(group) is shared by the operands of one input group.
struct Operand {
  uint32_t producer = 0;
  uint32_t result = 0;
  uint32_t readDelay = 0;
  uint32_t group = 0;
  uint32_t lane = 0;
};

/// A directed C2C link an op holds for c2c_vector_cycles from `offset`
/// cycles after it issues (a send's hops).
struct LinkUse {
  uint32_t chip = 0, link = 0;
  int64_t offset = 0;
};

struct OpSpec {
  /// Opcode, dtype, fn, flags, a, b: what Machine's timing functions need.
  isa::Instruction inst;
  /// The chip whose queues, ports and streams the op uses.
  uint32_t chip = 0;
  /// C2C links held (c2c sends).
  std::vector<LinkUse> links;
  /// Candidate queues (all at `position`); the lowest free one is taken.
  std::vector<uint32_t> queues;
  /// Queues held as well, for the same cycles (the partner plane of a wide
  /// MXM operation).
  std::vector<uint32_t> extraQueues;
  int position = 0;
  /// MEM ops: slice and bank for the port rule (memSlice < 0 otherwise).
  int memSlice = -1;
  uint32_t bank = 0;
  unsigned numResults = 0;
  std::vector<Operand> operands;
};

struct ScheduledOp {
  int64_t cycle = -1;
  uint32_t queue = 0;
  /// First output stream id (0..S-1 east, S..2S-1 west); -1 without results.
  int stream = -1;
};

struct ScheduleError {
  uint32_t op = 0;
  std::string message;
};

class Scheduler {
public:
  explicit Scheduler(const isa::Machine &machine);

  /// Room for `n` ops (addOp) without reallocating.
  void reserve(size_t n) { ops_.reserve(n); }
  /// Adds an op; it is kept in a compact form (no allocation per op).
  uint32_t addOp(const OpSpec &spec);
  /// The instruction of an op added earlier.
  const isa::Instruction &inst(uint32_t op) const { return ops_[op].inst; }
  /// `to` issues at least `delta` cycles after `from`.
  void addDep(uint32_t from, uint32_t to, int64_t delta);
  /// `to` issues exactly `delta` cycles after `from` (a c2c receive after
  /// its send): both are in one bundle.
  void addRigid(uint32_t from, uint32_t to, int64_t delta);
  /// `op` issues at cycle `cycle` or later: a dependence on an instruction
  /// scheduled before this scheduler ran (an earlier window of the program),
  /// whose bundle has the global id `source` (for the critical path).
  void addRelease(uint32_t op, int64_t cycle, int64_t source);

  /// Cycles past a bundle's dependence bound searched before giving up.
  int64_t horizon = int64_t(1) << 24;

  /// Per chip: no op of that chip issues before this cycle (a window
  /// scheduled after others: WindowScheduler::floors()); chips past the
  /// end have 0. A bundle that waits for it shows on the critical path as
  /// waiting.
  std::vector<int64_t> floors;

  /// Global id of this scheduler's first bundle: bundle b is `bundleBase +
  /// b` in trace() (a program scheduled window by window numbers its bundles
  /// across windows).
  int64_t bundleBase = 0;

  /// Reservation-table rows for `chips` chips: per chip its queues, then
  /// one write port per MEM slice.
  static uint32_t tableRows(const isa::Machine &m, uint32_t chips) {
    return chips * (m.numQueues() + m.memSlices());
  }

  /// Schedules everything; false with error() set if impossible. With
  /// `table` (at least tableRows() rows for the ops' chips), bundles are
  /// placed around what it already holds and stay in it: a program
  /// scheduled window by window passes one table to every window.
  bool run(ReservationTable *table = nullptr);

  const ScheduleError &error() const { return error_; }
  const ScheduledOp &result(uint32_t op) const { return results_[op]; }
  size_t numOps() const { return ops_.size(); }
  /// max(cycle + busyCycles) over all ops (0 if none).
  int64_t length() const { return length_; }
  unsigned numBundles() const { return unsigned(bundleSpan_.size()); }

  /// One stretch of the critical path (after run()): [begin, end) is spent
  /// in bundle `bundle` (from its start to where the next bundle on the
  /// path may start, or to the program's end), or, with bundle = -1,
  /// waiting: a bundle started later than its dependences allowed because
  /// a queue, MEM port or stream was taken.
  struct PathSegment {
    int bundle = -1;
    int64_t begin = 0, end = 0;
  };
  /// What the critical path needs of a placed bundle: its start, its
  /// dependence bound (max(0, start(pred) + weight, release)), and the
  /// global id of the predecessor that gives that bound when it is positive
  /// (the lowest id on ties; -1 otherwise).
  struct BundleTrace {
    int64_t start = -1, bound = 0, next = -1;
  };
  /// Bundle b's trace (after run()); `next` is a global id (bundleBase).
  const BundleTrace &trace(unsigned b) const { return traces_[b]; }
  /// The op that ends last (cycle + busyCycles == length(); the lowest
  /// index on ties), after run() with at least one op.
  uint32_t lastOp() const { return lastOp_; }
  /// The critical path, in time order, covering [0, length()): from the
  /// instruction that ends last back through tight dependences (a
  /// predecessor bundle whose start + dependence weight is exactly the
  /// bound of its successor; ties to the lowest index). Deterministic.
  /// For a scheduler run alone (bundleBase 0, no releases).
  std::vector<PathSegment> criticalPath() const;
  /// The same over the traces of a whole program indexed by global bundle
  /// id, from bundle `last` (that of the op ending last) back.
  static std::vector<PathSegment>
  criticalPath(const std::vector<BundleTrace> &traces, int64_t last,
               int64_t length);
  /// The instructions of a bundle.
  Span<uint32_t> bundleOps(unsigned b) const {
    return {bundleOps_.data() + bundleOpsBegin_[b],
            bundleOps_.data() + bundleOpsBegin_[b + 1]};
  }
  /// Bundle of an op and its fixed offset inside it (after run()).
  unsigned bundleOf(uint32_t op) const { return bundleOf_[op]; }
  int64_t offsetOf(uint32_t op) const { return offset_[op]; }

private:
  /// An OpSpec as kept: its lists (queues, extra queues, operands, links)
  /// are ranges of shared arrays. About 100 bytes per op with no allocation
  /// of its own, where an OpSpec's four vectors cost about 300 (the 55M
  /// GPT-2 has 1.7M instructions).
  struct Op {
    isa::Instruction inst;
    uint32_t chip = 0;
    int32_t position = 0;
    int32_t memSlice = -1;
    uint32_t bank = 0;
    uint32_t numResults = 0;
    uint32_t queuesBegin = 0, operandsBegin = 0, linksBegin = 0;
    uint16_t numQueues = 0, numExtraQueues = 0;
    uint16_t numOperands = 0, numLinks = 0;
  };
  Span<uint32_t> queues(const Op &op) const {
    return {queuePool_.data() + op.queuesBegin, op.numQueues};
  }
  Span<uint32_t> extraQueues(const Op &op) const {
    return {queuePool_.data() + op.queuesBegin + op.numQueues,
            op.numExtraQueues};
  }
  Span<Operand> operands(const Op &op) const {
    return {operandPool_.data() + op.operandsBegin, op.numOperands};
  }
  Span<LinkUse> links(const Op &op) const {
    return {linkPool_.data() + op.linksBegin, op.numLinks};
  }

  /// The reservation-table row an op occupies on queue `q`: the queue, or
  /// for a MEM write the slice's write port (a row after the queues).
  uint32_t tableQueue(const Op &op, uint32_t q) const;
  std::string queueLabel(uint32_t tableQueue) const;
  struct Edge {
    uint32_t to;
    int64_t weight; // start(to) >= start(from) + weight
  };
  struct Group {
    unsigned width = 0;
    isa::Direction dir = isa::Direction::East;
  };
  /// The values of group `g` (ascending); their lanes are valueLane_.
  Span<uint32_t> groupValues(size_t g) const {
    return {groupValues_.data() + groupValuesBegin_[g],
            groupValues_.data() + groupValuesBegin_[g + 1]};
  }
  /// The stream groups whose first value a bundle's op produces.
  Span<uint32_t> bundleGroups(size_t b) const {
    return {bundleGroups_.data() + bundleGroupsBegin_[b],
            bundleGroups_.data() + bundleGroupsBegin_[b + 1]};
  }
  Span<Edge> succ(size_t b) const {
    return {succ_.data() + succBegin_[b], succ_.data() + succBegin_[b + 1]};
  }
  Span<Edge> pred(size_t b) const {
    return {pred_.data() + predBegin_[b], pred_.data() + predBegin_[b + 1]};
  }

  bool fail(uint32_t op, std::string message);
  uint32_t valueId(uint32_t op, uint32_t result) const {
    return valueBase_[op] + result;
  }
  bool analyzeValues();
  bool buildGroups();
  bool buildBundles();
  bool buildBundleGraph(std::vector<uint32_t> &topo);
  bool place(unsigned b, int64_t earliest, ReservationTable &table);

  const isa::Machine &machine_;
  std::vector<Op> ops_;
  std::vector<uint32_t> queuePool_;
  std::vector<Operand> operandPool_;
  std::vector<LinkUse> linkPool_;
  struct Dep {
    uint32_t from, to;
    int64_t delta;
  };
  std::vector<Dep> deps_, rigid_;
  struct Release {
    uint32_t op;
    int64_t cycle, source;
  };
  std::vector<Release> releases_;
  /// Reservation-table rows per chip: queues, then MEM write ports.
  uint32_t rowsPerChip() const { return tableRows(machine_, 1); }

  // Derived. Lists per group, bundle and edge source/target are compressed
  // (one array and the start of each list).
  std::vector<uint32_t> valueBase_;
  std::vector<uint32_t> valueOp_;
  std::vector<int> valueLastPos_;
  std::vector<int8_t> valueDir_; // -1 free, 0 east, 1 west
  std::vector<uint32_t> valueGroup_;
  std::vector<int64_t> valueLane_;
  std::vector<Group> groups_;
  std::vector<uint32_t> groupValues_, groupValuesBegin_;
  std::vector<int64_t> bundleSpan_;
  std::vector<uint32_t> bundleOps_, bundleOpsBegin_; // by offset, then index
  std::vector<uint32_t> bundleGroups_, bundleGroupsBegin_;
  std::vector<unsigned> bundleOf_;
  std::vector<int64_t> offset_;
  std::vector<Edge> succ_, pred_;
  std::vector<uint32_t> succBegin_, predBegin_;
  std::vector<BundleTrace> traces_;

  std::vector<ScheduledOp> results_;
  ScheduleError error_;
  int64_t length_ = 0;
  uint32_t lastOp_ = 0;
};

} // namespace lpuc::sched

#endif
