//===- OnnxDialect.h - onnx dialect -----------------------------*- C++ -*-===//

#ifndef LPUC_DIALECTS_ONNX_ONNXDIALECT_H
#define LPUC_DIALECTS_ONNX_ONNXDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "dialects/onnx/OnnxDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/onnx/OnnxTypes.h.inc"

#endif // LPUC_DIALECTS_ONNX_ONNXDIALECT_H
