//===- Machine.h - Positions, queues and timing of one chip ---*- C++ -*-===//
//
// The single timing table of lpuc (ARCH.md section 6), derived from a target
// description. The scheduler, the schedule verifier and the emulator all ask
// this class; none of them keeps its own copy of a latency, a position or a
// port rule.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_ISA_MACHINE_H
#define LPUC_RUNTIME_ISA_MACHINE_H

#include "runtime/isa/Isa.h"
#include "runtime/schema/target.pb.h"

#include "absl/status/statusor.h"

#include <string>

namespace lpuc::isa {

enum class Unit : uint8_t { Mem, Vxm, Mxm, Sxm, C2c };
const char *unitName(Unit u);

enum class Direction : uint8_t { East, West };

struct QueueInfo {
  Unit unit;
  uint32_t index;  // slice, ALU, plane, SXM unit or link
  bool mxmWeights; // Mxm only: the plane's load_weights queue
  int position;    // slice position of the unit (C2C: the chip edge)
};

class Machine {
public:
  explicit Machine(const schema::Target &target);

  const schema::Target &target() const { return target_; }
  uint32_t lanes() const { return target_.lanes(); }
  uint32_t streamsPerDirection() const {
    return target_.streams_per_direction();
  }
  uint32_t memSlices() const { return 2 * target_.mem_slices_per_hemisphere(); }
  uint32_t banks() const { return target_.banks_per_slice(); }
  uint32_t rowsPerBank() const { return target_.rows_per_bank(); }
  uint64_t sramBytes() const {
    return uint64_t(memSlices()) * banks() * rowsPerBank() * lanes();
  }

  // Positions, west to east: MXM-W 0, SXM-W 1, MEM-W(n-1) .. MEM-W0,
  // VXM, MEM-E0 .. MEM-E(n-1), SXM-E, MXM-E. Slices 0..n-1 are MEM-W0..,
  // slices n..2n-1 are MEM-E0...
  int numPositions() const {
    return 2 * int(target_.mem_slices_per_hemisphere()) + 5;
  }
  int vxmPosition() const {
    return int(target_.mem_slices_per_hemisphere()) + 2;
  }
  int memPosition(uint32_t slice) const;
  int mxmPosition(uint32_t plane) const;
  int sxmPosition(uint32_t unit) const;
  bool sliceIsWest(uint32_t slice) const {
    return slice < target_.mem_slices_per_hemisphere();
  }

  // Queues: MEM slices, VXM ALUs, MXM (load, compute) per plane, SXM units,
  // C2C links, in that order.
  uint32_t numQueues() const { return numQueues_; }
  uint32_t memQueue(uint32_t slice) const { return slice; }
  uint32_t vxmQueue(uint32_t alu) const { return vxmBase_ + alu; }
  uint32_t mxmLoadQueue(uint32_t plane) const { return mxmBase_ + 2 * plane; }
  uint32_t mxmMulQueue(uint32_t plane) const {
    return mxmBase_ + 2 * plane + 1;
  }
  uint32_t sxmQueue(uint32_t unit) const { return sxmBase_ + unit; }
  uint32_t c2cQueue(uint32_t link) const { return c2cBase_ + link; }
  QueueInfo queue(uint32_t q) const;
  std::string queueName(uint32_t q) const;
  /// Whether `op` may be issued on queue `q` (e.g. MemRead only on MEM).
  bool opcodeAllowed(uint32_t q, Opcode op) const;

  // Streams.
  Direction direction(uint8_t stream) const {
    return stream < streamsPerDirection() ? Direction::East : Direction::West;
  }
  /// True if `width` consecutive ids from `first` stay in one direction.
  bool validGroup(uint8_t first, unsigned width) const;
  /// Cycle at which a value put at (fromPos, putCycle) passes toPos, or -1
  /// if it never does (wrong direction).
  int64_t arrival(Direction d, int fromPos, int64_t putCycle, int toPos) const;

  // Timing of an instruction issued at cycle t on its queue.
  /// Cycles the instruction holds its queue (next issue >= t + this).
  uint32_t queueCycles(const Instruction &inst) const;
  /// Output put on its stream(s) at t + outputLatency.
  uint32_t outputLatency(const Instruction &inst) const;
  /// Inputs are read at t + k for k in [0, inputCycles).
  uint32_t inputCycles(const Instruction &inst) const;
  /// MxmLoad: cycles to stream `rows` tile rows of `dtype`.
  uint32_t mxmLoadCycles(DType dtype, uint32_t rows) const;
  uint32_t mxmIssueInterval(DType dtype) const;
  /// MemWrite: the row holds the value from t + this.
  uint32_t memWriteLatency() const { return target_.mem_write_latency(); }
  /// Planes a tile of this type occupies (1 for 8-bit, else a pair).
  uint32_t mxmPlanesFor(DType dtype) const {
    return widthBytes(dtype) == 1 ? 1 : 2;
  }
  /// Cycles from issue until the instruction's last effect (queue held,
  /// inputs read, result put, row written). The program's length is the
  /// maximum of issue + busyCycles over all non-NOP instructions of all
  /// chips: the compiler predicts it and the emulator measures it.
  uint32_t busyCycles(const Instruction &inst) const;
  /// VxmChain: the latency of a chain of steps (sum of the ALU latencies);
  /// the instruction's `c` must equal it.
  uint32_t chainLatency(const ChainStep *steps, uint32_t n) const;
  /// Number of output streams of an instruction (group width).
  unsigned outputWidth(const Instruction &inst) const;
  /// Width of input group `i` (0, 1, or 2 for vxm select) of an
  /// instruction; 0 if unused.
  unsigned inputWidth(const Instruction &inst, unsigned i) const;

private:
  schema::Target target_;
  uint32_t vxmBase_, mxmBase_, sxmBase_, c2cBase_, numQueues_;
};

/// The built-in target descriptions (runtime/targets/*.textproto, compiled
/// in), or a target file by path.
absl::StatusOr<schema::Target> loadTarget(const std::string &nameOrPath);
/// Checks that a target's numbers are usable (non-zero, within encoding).
absl::Status validateTarget(const schema::Target &t);
std::vector<std::string> builtinTargetNames();

} // namespace lpuc::isa

#endif
