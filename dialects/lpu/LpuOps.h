//===- LpuOps.h - lpu dialect operations ------------------------*- C++ -*-===//
#ifndef LPUC_DIALECTS_LPU_LPUOPS_H
#define LPUC_DIALECTS_LPU_LPUOPS_H

#include "dialects/lpu/LpuDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/lpu/LpuEnums.h.inc"

#define GET_OP_CLASSES
#include "dialects/lpu/LpuOps.h.inc"

namespace lpuc::lpu {

/// The numpy broadcast of two static shapes, or failure when they are not
/// broadcast-compatible.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// True when `from` broadcasts to `to` with numpy rules (unidirectional).
bool isBroadcastableTo(llvm::ArrayRef<int64_t> from,
                       llvm::ArrayRef<int64_t> to);

/// Shapes only (`lpuc plan` without the weights' data): whether `attr` is a
/// dense_resource without a blob, and a new one of `type`. Folds that copy
/// elements of such a constant give one of their result's shape.
bool isWithoutData(mlir::Attribute attr);
mlir::Attribute constantWithoutData(mlir::ShapedType type,
                                    llvm::StringRef name = "folded");

} // namespace lpuc::lpu

#endif // LPUC_DIALECTS_LPU_LPUOPS_H
