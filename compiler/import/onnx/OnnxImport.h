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
  // Symbolic dimension NAME (an ONNX `dim_param`) -> its value, bound in
  // every graph input, output and value_info before shape inference. A NAME
  // that no graph input, output or value_info uses is an error.
  std::vector<std::pair<std::string, int64_t>> dims;
};

/// Imports the ONNX model at `path` into a new module in `ctx` (the onnx and
/// func dialects are loaded). The module has attributes `onnx.producer`,
/// `onnx.ir_version`, `onnx.opset` (domain -> version; the default domain is
/// spelt "ai.onnx") and, with frozen inputs, `lpuc.frozen_inputs`. Weights are
/// `dense_resource` blobs that reference the model's bytes in place: large
/// raw_data in a read-only mapping of the model file (at whatever alignment
/// the file gives it: the blob's alignment says which; readers copy the bytes
/// out), external data in mapped slices of its file. Releasing a blob returns
/// its pages; unreleased, they live as long as `ctx`. Graph inputs that keep
/// unbound symbolic dimensions are listed in the function attribute
/// `onnx.dim_params` (input name -> one string per dimension, "" where it is
/// not symbolic). Errors are one-line messages.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxModel(mlir::MLIRContext &ctx, llvm::StringRef path,
                const ImportOptions &opts);

} // namespace lpuc

#endif // LPUC_COMPILER_IMPORT_ONNX_ONNXIMPORT_H
