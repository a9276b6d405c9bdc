//===- Passes.h - instruction scheduling ------------------------*- C++ -*-===//
#ifndef LPUC_PASSES_SCHEDULE_PASSES_H
#define LPUC_PASSES_SCHEDULE_PASSES_H

#include "dialects/lpuhw/LpuhwDialect.h"
#include "runtime/isa/Machine.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>
#include <vector>

namespace lpuc {

namespace sched {
/// Cycles past a bundle's dependences searched before giving up (the
/// lpuhw-schedule option `horizon`, and lpuc's streamed back end).
constexpr int64_t kDefaultHorizon = int64_t(1) << 24;
/// How far back a window may reach before the end of the earlier ones on a
/// chip (the lpuhw-schedule option `floor-lag`, and lpuc's streamed back
/// end). Measured (fp16, windows of 2^18): the 55M GPT-2 on one chip loses
/// no cycle from 500 up (0: +1.7%); GPT-2-small on 3 chips 222,506 cycles
/// with 4,096, +0.4% with 2,048, +0.8% with 1,024. 4,096 held 1.48x the
/// 55M model's weights at the peak, 2,048 1.35x.
constexpr int64_t kDefaultFloorLag = 2048;
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
  WindowScheduler(mlir::ModuleOp module, const isa::Machine &m, int64_t horizon,
                  int64_t floorLag = kDefaultFloorLag);
  ~WindowScheduler();
  /// Checks the chip count and builds the topology (errors at the module).
  mlir::LogicalResult init();
  /// Schedules `ops` (lpuhw instructions in program order, after every
  /// earlier window's; no stream value of an earlier window reaches them)
  /// and writes their `cycle`, `stream`, `alu`, `unit` and `link`.
  /// Errors are emitted at the offending op.
  mlir::LogicalResult schedule(llvm::ArrayRef<mlir::Operation *> ops);
  /// Per chip (lpuhw.chips of them, after init()): no instruction of that
  /// chip in a later window will issue before this cycle. A chip's floor
  /// never decreases: it is the end of the chip's instructions so far minus
  /// `floorLag` (0 until its first instruction). A window may fill free
  /// cycles near the end of the earlier ones, not far before it, so each
  /// chip's instructions before its floor are final.
  const std::vector<int64_t> &floors() const;
  /// Sets the module's lpuhw.cycles and critical path.
  void finish();

private:
  struct State;
  std::unique_ptr<State> s_;
};

} // namespace sched

} // namespace lpuc

#endif
