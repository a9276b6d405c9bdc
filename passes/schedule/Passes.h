//===- Passes.h - instruction scheduling ------------------------*- C++ -*-===//
#ifndef LPUC_PASSES_SCHEDULE_PASSES_H
#define LPUC_PASSES_SCHEDULE_PASSES_H

#include "dialects/lpuhw/LpuhwDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace lpuc {

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

} // namespace lpuc

#endif
