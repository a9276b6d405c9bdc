//===- Passes.h - precision passes -----------------------------*- C++ -*-===//
#ifndef LPUC_PASSES_PRECISION_PASSES_H
#define LPUC_PASSES_PRECISION_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace lpuc {

#define GEN_PASS_DECL
#include "passes/precision/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/precision/Passes.h.inc"

} // namespace lpuc

#endif // LPUC_PASSES_PRECISION_PASSES_H
