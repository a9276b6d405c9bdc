//===- Passes.h - fusion passes --------------------------------*- C++ -*-===//
#ifndef LPUC_PASSES_FUSION_PASSES_H
#define LPUC_PASSES_FUSION_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace lpuc {

#define GEN_PASS_DECL
#include "passes/fusion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/fusion/Passes.h.inc"

} // namespace lpuc

#endif // LPUC_PASSES_FUSION_PASSES_H
