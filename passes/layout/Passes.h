//===- Passes.h - layout and lowering to lpuhw ------------------*- C++ -*-===//
#ifndef LPUC_PASSES_LAYOUT_PASSES_H
#define LPUC_PASSES_LAYOUT_PASSES_H

#include "dialects/lpuhw/LpuhwDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace lpuc {

#define GEN_PASS_DECL
#include "passes/layout/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/layout/Passes.h.inc"

} // namespace lpuc

#endif
