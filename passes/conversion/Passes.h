//===- Passes.h - conversion passes -----------------------------*- C++ -*-===//
#ifndef LPUC_PASSES_CONVERSION_PASSES_H
#define LPUC_PASSES_CONVERSION_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lpuc {

#define GEN_PASS_DECL
#include "passes/conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/conversion/Passes.h.inc"

/// Every (ONNX op type, since-version) row of onnx-to-lpu's pattern table,
/// in table order (op types grouped, since-versions increasing). A node of
/// opset N converts when its op type has a row with since-version <= N.
std::vector<std::pair<std::string, int64_t>> supportedOnnxOps();

} // namespace lpuc

#endif // LPUC_PASSES_CONVERSION_PASSES_H
