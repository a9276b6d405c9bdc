//===- Passes.h - layout and lowering to lpuhw ------------------*- C++ -*-===//
#ifndef LPUC_PASSES_LAYOUT_PASSES_H
#define LPUC_PASSES_LAYOUT_PASSES_H

#include "dialects/lpuhw/LpuhwDialect.h"
#include "runtime/isa/Machine.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <functional>
#include <memory>

namespace lpuc {

#define GEN_PASS_DECL
#include "passes/layout/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/layout/Passes.h.inc"

namespace layout {

/// A chunk of lowered instructions (Lowering::ChunkSink).
using InstructionSink =
    std::function<mlir::LogicalResult(llvm::ArrayRef<mlir::Operation *>)>;

/// lpu-to-lpuhw on `module` for `machine` (both lowerings). Without a sink
/// the new @main holds the program; with one, the program is handed to
/// `sink` in chunks of at least `minChunk` instructions (0: one chunk),
/// each erased after it, and @main is left with only its return.
mlir::LogicalResult lowerToLpuhw(mlir::ModuleOp module,
                                 const isa::Machine &machine,
                                 InstructionSink sink = {},
                                 size_t minChunk = 0);

/// A sink that keeps nothing (the chunks are only erased): for lowerings
/// whose instructions are not wanted (lpu-partition's costs).
mlir::LogicalResult dropInstructions(llvm::ArrayRef<mlir::Operation *>);

/// Chunk size of the lowerings whose instructions are dropped.
constexpr size_t kDropChunk = size_t(1) << 16;

} // namespace layout

} // namespace lpuc

#endif
