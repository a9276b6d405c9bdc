//===- ScheduleChecker.h - The schedule verifier, one window at a time -*- C++
//-*-===//
//
// The rules of lpuhw-verify-schedule (docs/passes/lpuhw-verify-schedule.md)
// checked on a program given as consecutive windows of instructions, so that
// lpuc's back end can free each window's InstructionList once it is checked
// instead of holding every instruction of the program until the end.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_PASSES_VERIFY_SCHEDULECHECKER_H
#define LPUC_PASSES_VERIFY_SCHEDULECHECKER_H

#include "passes/verify/ScheduleInfo.h"
#include "runtime/isa/Machine.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <limits>
#include <memory>

namespace lpuc::verify {

/// Checks a scheduled program window by window.
///
/// Contract: windows are added in program order and together are the whole
/// program (the first window's base is 0, each next one's base is the number
/// of instructions added before it); every operand's producer is in the
/// reader's window (no stream value crosses windows, as appendInstructions
/// requires). `floors` holds one floor per chip: floors[c] promises that
/// every instruction ON CHIP c of every LATER window issues at cycle >=
/// floors[c] (each chip's floors never decrease; the checker takes the
/// largest seen per chip; a chip with no instruction yet may keep floor 0);
/// instructions of this and earlier windows may issue at or after it. State
/// of one chip (puts and reads on its streams, its queues, SRAM rows) is
/// kept or dropped by that chip's floor; state between chips (c2c sends and
/// link reservations) by the smallest floor of all chips. Pass
/// kNoLaterWindow for every chip with the last window (or any floors, then
/// finish() settles the rest). The scalar-floor overloads give every chip
/// that one floor. The lpuhw.tensor ops of `module` are read
/// progressively: each addWindow rescans the module body after the last
/// tensor it saw (lpu-to-lpuhw declares them as it lowers), so a write is
/// checked against the loaded tensors declared by the time its window is
/// added. The module (its tensors, lpuhw.cycles) must outlive the checker.
///
/// Errors are emitted (at the offending instruction's location, or the
/// module's for lpuhw.cycles) as soon as they are certain: an error between
/// instructions of two windows may be emitted by the later addWindow, or by
/// finish(); errors about writes into loaded tensors (one per tensor, with
/// the count of writes) and lpuhw.cycles are emitted by finish(). With one
/// window (verifySchedule) the diagnostics and their order are those of the
/// whole-program verifier. A loaded tensor declared after a window that
/// wrote its rows is checked against the rows written so far (kept as runs,
/// each with its first write): the error is the whole-program one when the
/// first write of the earliest run it meets is into its rows and the runs it
/// meets lie inside its rows; else the message says the first write or the
/// count is not exact.
///
/// Memory: between windows the checker keeps only per-resource state bounded
/// by the machine (per queue, SRAM row, MXM plane, link, runs of written
/// rows) and what it needs of
/// instructions that can still meet a later one (puts, reads and queue
/// occupancy at cycles >= their chip's floor, sends at cycles >= the
/// smallest floor), a few fields each (no reference into the window's
/// InstructionList is kept).
class ScheduleChecker {
public:
  /// The floor of the last window: no instruction follows it.
  static constexpr int64_t kNoLaterWindow = std::numeric_limits<int64_t>::max();

  ScheduleChecker(mlir::ModuleOp module, const isa::Machine &machine,
                  uint32_t chips);
  ~ScheduleChecker();
  ScheduleChecker(const ScheduleChecker &) = delete;
  ScheduleChecker &operator=(const ScheduleChecker &) = delete;

  /// Checks the next window (window.base == instructions added so far),
  /// after which no later instruction on chip c issues before floors[c]
  /// (floors.size() == chips). Fails if any error has been emitted so far.
  mlir::LogicalResult addWindow(const InstructionList &window,
                                llvm::ArrayRef<int64_t> floors);
  /// The same on a window's instructions, the first being program index
  /// `base`.
  mlir::LogicalResult addWindow(const ChunkedVector<SchedInst> &insts,
                                size_t base, llvm::ArrayRef<int64_t> floors);
  /// The same with one floor for every chip.
  mlir::LogicalResult addWindow(const InstructionList &window, int64_t floor);
  mlir::LogicalResult addWindow(const ChunkedVector<SchedInst> &insts,
                                size_t base, int64_t floor);
  /// After the last window: settles what is left (queue and link
  /// occupancy), reports writes into loaded tensors and checks the module's
  /// lpuhw.cycles against the program's length. Fails if any error has been
  /// emitted.
  mlir::LogicalResult finish();

  /// What the checker holds between windows (for tests and memory reports).
  struct Kept {
    size_t puts = 0;         // values put at cycles >= their chip's floor
    size_t reads = 0;        // reads at >= their chip's floor a put may end
    size_t queueEntries = 0; // instructions holding a queue at >= its floor
    size_t sends = 0;        // c2c sends at >= the smallest floor
    size_t linkSlots = 0;    // vectors on links that a later send may meet
    size_t rows = 0;         // SRAM rows a later read or write may meet
    /// Runs of rows written so far (per chip, slice, bank; rows written by
    /// one op merge): what a loaded tensor declared later is checked against.
    size_t writtenRuns = 0;
    /// Heap bytes of all the state kept (vector capacities, map nodes at
    /// their payload plus 32 bytes, the planes' accumulator-row sets).
    size_t bytes = 0;
    size_t instructions() const { return puts + reads + queueEntries + sends; }
  };
  Kept kept() const;

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace lpuc::verify

#endif
