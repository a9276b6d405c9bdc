//===- LpuhwDialect.h - lpuhw dialect ---------------------------*- C++ -*-===//
#ifndef LPUC_DIALECTS_LPUHW_LPUHWDIALECT_H
#define LPUC_DIALECTS_LPUHW_LPUHWDIALECT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/Types.h"

#include "runtime/isa/Isa.h"
#include "runtime/isa/Machine.h"

#include <memory>
#include <string>

#include "dialects/lpuhw/LpuhwDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/lpuhw/LpuhwTypes.h.inc"

namespace lpuc::lpuhw {

/// The module attribute naming the target (built-in name or file path).
constexpr const char *kTargetAttrName = "lpu.target";

/// Chip element type of an MLIR type (f32, f16, bf16, i8, i32), or Invalid.
isa::DType toIsaType(mlir::Type t);
mlir::Type fromIsaType(mlir::MLIRContext *ctx, isa::DType t);

/// The machine of the module's `lpu.target` attribute (default lpu-v1).
/// Emits an error on `module` and fails if the target cannot be loaded.
mlir::FailureOr<std::unique_ptr<isa::Machine>>
getMachine(mlir::ModuleOp module);

/// The program stage of an instruction's location: its ONNX node name up to
/// the second '/' ("/h.0/attn/MatMul" -> "/h.0"), or the whole name
/// ("Gemm_0"); "(unnamed)" without a name.
std::string stageOf(mlir::Location loc);

} // namespace lpuc::lpuhw

#endif
