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

    Each converted node is constant-folded right away (lpu folders), so
    shape subgraphs (Shape, Gather, Unsqueeze, Concat, Range, Slice, Cast,
    Equal, Where, ConstantOfShape ...) are constants by the time a Reshape,
    Expand, Slice or Split needs their values. Small integer and bool
    initializers and float scalars become `dense` constants for the same
    reason; float tensors keep their `dense_resource` blob. Symbolic
    dimensions must be bound at import (`lpuc --dim NAME=N`); an unbound one
    is named in the error of the first node that needs it.

    The supported set is the pattern table (`lpuc --list-ops` prints it):
    Add, Sub, Mul, Div (7+, numpy broadcasting), Pow (7+; integer
    exponents are cast to the base type), Sqrt, Reciprocal, Neg, Exp, Tanh,
    Sigmoid, Relu (6+), Erf (9+), Cos, Sin (7+), Equal (11+), Less (9+),
    Not (1+), Where (9+), Cast (6+), Softmax and LogSoftmax (1+; 2-D
    coercion before 13, single axis from 13), LayerNormalization (17),
    ReduceSum (axes input from 13), ReduceMean and ReduceMax (axes input
    from 18), MatMul (1+), Gemm (7+; C optional from 11), Einsum (12; the
    matmul and transpose forms), Gather (1+), Reshape (5+; allowzero from
    14), Transpose (1+), Split (2+; split input from 13, num_outputs from
    18), Slice (10+), Concat (4+), Squeeze and Unsqueeze (axes input from
    13), Expand (8+), Trilu (14), Identity (1+), Constant (1+), Shape (1+;
    start/end from 15), ConstantOfShape (9+) and Range (11+). Inputs that
    decide shapes (Reshape's shape, Slice's starts ..., Split's split, the
    axes inputs, Expand's shape, Range, Trilu's k) must be constants after
    folding.
  }];
  let dependentDialects = ["::lpuc::lpu::LpuDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // LPUC_PASSES_CONVERSION_PASSES_TD
