//===- Passes.td - conversion passes -----------------------*- tablegen -*-===//

#ifndef LPUC_PASSES_CONVERSION_PASSES_TD
#define LPUC_PASSES_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def OnnxToLpu : Pass<"onnx-to-lpu", "::mlir::ModuleOp"> {
  let summary = "convert onnx.node / onnx.constant to the lpu dialect";
  let description = [{
    Rewrites every `onnx.node` of the default (`ai.onnx`) domain into `lpu`
    ops and `arith.constant`, using conversion functions keyed by
    (op type, since-version): for a node of opset `N` the entry with the
    largest since-version `<= N` is used, so opset differences are table
    data. `onnx.constant` becomes `arith.constant` with the same attribute
    (a `dense_resource` keeps its blob: weights are never copied).

    Before converting anything, the pass reports every node it cannot
    convert (unknown op type, opset below every since-version, or a domain
    other than `ai.onnx`) with `unsupported ONNX op 'Foo' (opset N)` at the
    node's location, and fails. Shapes must be static; a static result type
    on the `onnx.node` must agree with the computed one. Function result
    types are updated to the converted (static) types.

    Supported: Add, Sub, Mul (7+, numpy broadcasting), MatMul (1+, N-D with
    batch broadcasting and 1-D operands), Gemm (7+; C optional from 11),
    Relu (6+), Constant (1+; value_* attributes from 12), Identity (1+),
    Reshape (5+; allowzero from 14; the shape must be a constant).
  }];
  let dependentDialects = ["::lpuc::lpu::LpuDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // LPUC_PASSES_CONVERSION_PASSES_TD
