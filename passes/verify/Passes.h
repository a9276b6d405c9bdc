//===- Passes.h - schedule verification -------------------------*- C++ -*-===//
#ifndef LPUC_PASSES_VERIFY_PASSES_H
#define LPUC_PASSES_VERIFY_PASSES_H

#include "dialects/lpuhw/LpuhwDialect.h"
#include "passes/verify/ScheduleInfo.h"
#include "runtime/isa/Machine.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace lpuc {

#define GEN_PASS_DECL
#include "passes/verify/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/verify/Passes.h.inc"

namespace verify {

/// Checks the schedule of `module` for `machine` (the rules of
/// lpuhw-verify-schedule). Emits an error at every offending op (or at the
/// module for `lpuhw.cycles`) and fails if there was any.
mlir::LogicalResult verifySchedule(mlir::ModuleOp module,
                                   const isa::Machine &machine);

/// The same on instructions already collected (ScheduleInfo.h; their ops
/// may be gone): `module` gives the tensors and `lpuhw.cycles`.
mlir::LogicalResult verifySchedule(mlir::ModuleOp module,
                                   const isa::Machine &machine,
                                   const ChunkedVector<SchedInst> &insts);

} // namespace verify

} // namespace lpuc

#endif
