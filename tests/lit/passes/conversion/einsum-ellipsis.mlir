// Einsum with an ellipsis (what torch.einsum exports for batched products):
// the dimensions the ellipsis covers get fresh labels (A, B, ...),
// right-aligned across operands (numpy semantics), and lead an implicit
// output. Then the usual forms apply: a batched matmul, a matmul whose
// left-only ellipsis dimension is folded into rows, a transpose.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// '...ij,...jk->...ik' = 'Aij,Ajk->Aik'.
// CHECK-LABEL: func.func @batched
// CHECK-NEXT: %0 = lpu.matmul %arg0, %arg1 : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
// CHECK-NEXT: return %0
func.func @batched(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<*x!onnx.unknown> {
  %0 = onnx.node "Einsum"(%a, %b) {attrs = {equation = "...ij, ...jk -> ...ik"}, opset = 12 : i64} : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

// Implicit output, ellipses of different ranks: '...id,...jd' =
// 'ABid,Bjd->ABij' (B batches, A is free on the left, d contracted).
// CHECK-LABEL: func.func @implicit
// CHECK-NEXT: %0 = lpu.transpose %arg0 [1, 0, 2, 3] : tensor<2x6x3x4xf32> -> tensor<6x2x3x4xf32>
// CHECK-NEXT: %1 = lpu.transpose %arg1 [0, 2, 1] : tensor<6x5x4xf32> -> tensor<6x4x5xf32>
// CHECK-NEXT: %2 = lpu.reshape %0 : tensor<6x2x3x4xf32> -> tensor<6x6x4xf32>
// CHECK-NEXT: %3 = lpu.matmul %2, %1 : tensor<6x6x4xf32>, tensor<6x4x5xf32> -> tensor<6x6x5xf32>
// CHECK-NEXT: %4 = lpu.reshape %3 : tensor<6x6x5xf32> -> tensor<6x2x3x5xf32>
// CHECK-NEXT: %5 = lpu.transpose %4 [1, 0, 2, 3] : tensor<6x2x3x5xf32> -> tensor<2x6x3x5xf32>
// CHECK-NEXT: return %5 : tensor<2x6x3x5xf32>
func.func @implicit(%a: tensor<2x6x3x4xf32>, %b: tensor<6x5x4xf32>) -> tensor<*x!onnx.unknown> {
  %0 = onnx.node "Einsum"(%a, %b) {attrs = {equation = "...id,...jd"}, opset = 12 : i64} : (tensor<2x6x3x4xf32>, tensor<6x5x4xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

// One operand: '...ij->...ji' = 'Aij->Aji'; an ellipsis covering nothing
// ('...ij->...ji' on a matrix) is a plain transpose.
// CHECK-LABEL: func.func @transposes
// CHECK-NEXT: %0 = lpu.transpose %arg0 [0, 2, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
// CHECK-NEXT: %1 = lpu.transpose %arg1 [1, 0] : tensor<3x4xf32> -> tensor<4x3xf32>
// CHECK-NEXT: return %0, %1
func.func @transposes(%a: tensor<2x3x4xf32>, %m: tensor<3x4xf32>) -> (tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>) {
  %0 = onnx.node "Einsum"(%a) {attrs = {equation = "...ij->...ji"}, opset = 12 : i64} : (tensor<2x3x4xf32>) -> tensor<*x!onnx.unknown>
  %1 = onnx.node "Einsum"(%m) {attrs = {equation = "...ij->...ji"}, opset = 12 : i64} : (tensor<3x4xf32>) -> tensor<*x!onnx.unknown>
  return %0, %1 : tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>
}
