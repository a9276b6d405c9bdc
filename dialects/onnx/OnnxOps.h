//===- OnnxOps.h - onnx dialect operations ----------------------*- C++ -*-===//

#ifndef LPUC_DIALECTS_ONNX_ONNXOPS_H
#define LPUC_DIALECTS_ONNX_ONNXOPS_H

#include "dialects/onnx/OnnxDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include <optional>

#define GET_OP_CLASSES
#include "dialects/onnx/OnnxOps.h.inc"

#endif // LPUC_DIALECTS_ONNX_ONNXOPS_H
