//===- OnnxImport.h - ONNX model to the onnx dialect ------------*- C++ -*-===//
//
// Reads an ONNX ModelProto and builds a module with `func.func @main` made of
// `onnx.node`, `onnx.constant` and `onnx.none` ops. This header needs neither
// protobuf nor exceptions: code built with -fno-exceptions can include it.
//
//===----------------------------------------------------------------------===//

#ifndef LPUC_COMPILER_IMPORT_ONNX_ONNXIMPORT_H
#define LPUC_COMPILER_IMPORT_ONNX_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace lpuc {

struct ImportOptions {
  // NAME -> path of a TensorProto .pb (or .npy) file whose value is baked
  // into the model: the graph input NAME becomes an `onnx.constant`.
  std::vector<std::pair<std::string, std::string>> freeze;
  // false: weights may be absent (for `lpuc plan`): external data is not
  // read, and such constants become shape-only (a `dense_resource` without a
  // blob).
  bool requireWeights = true;
};

/// Imports the ONNX model at `path` into a new module in `ctx` (the onnx and
/// func dialects are loaded). The module has attributes `onnx.producer`,
/// `onnx.ir_version`, `onnx.opset` (domain -> version; the default domain is
/// spelt "ai.onnx") and, with frozen inputs, `lpuc.frozen_inputs`. Weights are
/// `dense_resource` blobs that reference the model's bytes (or mmapped external
/// data) and live as long as `ctx`. Errors are one-line messages.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxModel(mlir::MLIRContext &ctx, llvm::StringRef path,
                const ImportOptions &opts);

} // namespace lpuc

#endif // LPUC_COMPILER_IMPORT_ONNX_ONNXIMPORT_H
