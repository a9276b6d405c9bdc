//===- Passes.h - instruction scheduling ------------------------*- C++ -*-===//
#ifndef LPUC_PASSES_SCHEDULE_PASSES_H
#define LPUC_PASSES_SCHEDULE_PASSES_H

#include "dialects/lpuhw/LpuhwDialect.h"
#include "runtime/isa/Machine.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace lpuc {

namespace sched {
/// Cycles past a bundle's dependences searched before giving up (the
/// lpuhw-schedule option `horizon`, and lpuc's streamed back end).
constexpr int64_t kDefaultHorizon = int64_t(1) << 24;
} // namespace sched

#define GEN_PASS_DECL
#include "passes/schedule/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/schedule/Passes.h.inc"

/// The module attribute holding the schedule length in cycles (I64).
constexpr const char *kCyclesAttrName = "lpuhw.cycles";
/// The module attribute holding the critical path: an array of [stage,
/// unit, cycles] in order of first appearance (unit: mem, vxm, mxm, sxm or
/// wait), summing to the schedule length.
constexpr const char *kCriticalPathAttrName = "lpuhw.path";

namespace sched {

/// lpuhw-schedule's algorithm, fed one window of the program at a time (the
/// pass cuts @main into windows; lpuc's streaming back end hands it the
/// instructions of each chunk the lowering produced, and erases them once
/// scheduled). What crosses windows is small and kept here: the reservation
/// table, each scheduled instruction's cycle and bundle (12 bytes), the
/// bundles' traces, and the SRAM row, MXM plane and send states. See
/// docs/passes/lpuhw-schedule.md, *Windows*.
class WindowScheduler {
public:
  /// `module` gives the chip count (lpuhw.chips) and receives lpuhw.cycles
  /// and the critical path (finish()).
  WindowScheduler(mlir::ModuleOp module, const isa::Machine &m,
                  int64_t horizon);
  ~WindowScheduler();
  /// Checks the chip count and builds the topology (errors at the module).
  mlir::LogicalResult init();
  /// Schedules `ops` (lpuhw instructions in program order, after every
  /// earlier window's; no stream value of an earlier window reaches them)
  /// and writes their `cycle`, `stream`, `alu`, `unit` and `link`.
  /// Errors are emitted at the offending op.
  mlir::LogicalResult schedule(llvm::ArrayRef<mlir::Operation *> ops);
  /// No instruction of a later window will issue before this cycle (it
  /// never decreases): the program's length before the last window
  /// scheduled. A window may overlap the one before it, not earlier ones,
  /// so the instructions before the floor are final.
  int64_t floor() const;
  /// Sets the module's lpuhw.cycles and critical path.
  void finish();

private:
  struct State;
  std::unique_ptr<State> s_;
};

} // namespace sched

} // namespace lpuc

#endif
