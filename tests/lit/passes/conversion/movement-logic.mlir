// Data movement, indexing and logic. Gather: embeddings (runtime indices)
// and index selection (negative index). Split: `split` attribute (11), input
// (13), even split, num_outputs (18, last part smaller). Slice: negative
// ends, INT64_MIN-like ends with negative steps, clamping, optional axes.
// Squeeze/Unsqueeze: attribute axes (11) vs input axes (13). Einsum: the
// matmul and transpose forms exporters emit. Where/Less/Equal broadcast.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @gather_embedding
// CHECK-NEXT: %cst = arith.constant dense<1.000000e+00> : tensor<16x8xf32>
// CHECK-NEXT: %0 = lpu.gather %cst[%arg0] axis = 0 : tensor<16x8xf32>, tensor<1x4xi64> -> tensor<1x4x8xf32>
// CHECK-NEXT: return %0 : tensor<1x4x8xf32>
func.func @gather_embedding(%ids: tensor<1x4xi64>) -> tensor<1x4x8xf32> {
  %w = onnx.constant "wte" dense<1.0> : tensor<16x8xf32>
  %0 = onnx.node "Gather"(%w, %ids) {opset = 13 : i64} : (tensor<16x8xf32>, tensor<1x4xi64>) -> tensor<1x4x8xf32>
  return %0 : tensor<1x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @gather_index_axis1
// CHECK-NEXT: %cst = arith.constant dense<-1> : tensor<i64>
// CHECK-NEXT: %0 = lpu.gather %arg0[%cst] axis = 1 : tensor<2x5x3xf32>, tensor<i64> -> tensor<2x3xf32>
// CHECK-NEXT: return %0 : tensor<2x3xf32>
func.func @gather_index_axis1(%x: tensor<2x5x3xf32>) -> tensor<2x3xf32> {
  %i = onnx.constant "i" dense<-1> : tensor<i64>
  %0 = onnx.node "Gather"(%x, %i) {attrs = {axis = 1 : i64}, opset = 13 : i64} : (tensor<2x5x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @split11
// CHECK-NEXT: %0 = lpu.slice %arg0 starts [0, 0] steps [1, 1] : tensor<2x6xf32> -> tensor<2x2xf32>
// CHECK-NEXT: %1 = lpu.slice %arg0 starts [0, 2] steps [1, 1] : tensor<2x6xf32> -> tensor<2x4xf32>
// CHECK-NEXT: return %0, %1 : tensor<2x2xf32>, tensor<2x4xf32>
func.func @split11(%x: tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>) {
  %0:2 = onnx.node "Split"(%x) {attrs = {axis = 1 : i64, split = array<i64: 2, 4>}, opset = 11 : i64} : (tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>)
  return %0#0, %0#1 : tensor<2x2xf32>, tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @split13
// CHECK-NEXT: %0 = lpu.slice %arg0 starts [0, 0] steps [1, 1] : tensor<2x6xf32> -> tensor<2x1xf32>
// CHECK-NEXT: %1 = lpu.slice %arg0 starts [0, 1] steps [1, 1] : tensor<2x6xf32> -> tensor<2x5xf32>
// CHECK-NEXT: return %0, %1 : tensor<2x1xf32>, tensor<2x5xf32>
func.func @split13(%x: tensor<2x6xf32>) -> (tensor<2x1xf32>, tensor<2x5xf32>) {
  %s = onnx.constant "s" dense<[1, 5]> : tensor<2xi64>
  %0:2 = onnx.node "Split"(%x, %s) {attrs = {axis = -1 : i64}, opset = 13 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x1xf32>, tensor<2x5xf32>)
  return %0#0, %0#1 : tensor<2x1xf32>, tensor<2x5xf32>
}

// -----

// CHECK-LABEL: func.func @split13_even
// CHECK-NEXT: %0 = lpu.slice %arg0 starts [0, 0] steps [1, 1] : tensor<6x2xf32> -> tensor<2x2xf32>
// CHECK-NEXT: %1 = lpu.slice %arg0 starts [2, 0] steps [1, 1] : tensor<6x2xf32> -> tensor<2x2xf32>
// CHECK-NEXT: %2 = lpu.slice %arg0 starts [4, 0] steps [1, 1] : tensor<6x2xf32> -> tensor<2x2xf32>
// CHECK-NEXT: return %0, %1, %2 : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
func.func @split13_even(%x: tensor<6x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %0:3 = onnx.node "Split"(%x) {opset = 13 : i64} : (tensor<6x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>)
  return %0#0, %0#1, %0#2 : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// CHECK-LABEL: func.func @split18_num_outputs
// CHECK-NEXT: %0 = lpu.slice %arg0 starts [0] steps [1] : tensor<7xf32> -> tensor<3xf32>
// CHECK-NEXT: %1 = lpu.slice %arg0 starts [3] steps [1] : tensor<7xf32> -> tensor<3xf32>
// CHECK-NEXT: %2 = lpu.slice %arg0 starts [6] steps [1] : tensor<7xf32> -> tensor<1xf32>
// CHECK-NEXT: return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<1xf32>
func.func @split18_num_outputs(%x: tensor<7xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<1xf32>) {
  %0:3 = onnx.node "Split"(%x) {attrs = {num_outputs = 3 : i64}, opset = 18 : i64} : (tensor<7xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<1xf32>)
  return %0#0, %0#1, %0#2 : tensor<3xf32>, tensor<3xf32>, tensor<1xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK-NEXT: %0 = lpu.slice %arg0 starts [0, 1] steps [1, 1] : tensor<4x10xf32> -> tensor<4x3xf32>
// CHECK-NEXT: %1 = lpu.slice %arg0 starts [3, 0] steps [-2, 1] : tensor<4x10xf32> -> tensor<2x10xf32>
// CHECK-NEXT: %2 = lpu.slice %arg0 starts [0, 2] steps [1, 2] : tensor<4x10xf32> -> tensor<4x4xf32>
// CHECK-NEXT: return %0, %1, %2 : tensor<4x3xf32>, tensor<2x10xf32>, tensor<4x4xf32>
func.func @slice(%x: tensor<4x10xf32>) -> (tensor<4x3xf32>, tensor<2x10xf32>, tensor<4x4xf32>) {
  %s = onnx.constant "s" dense<[1]> : tensor<1xi64>
  %e = onnx.constant "e" dense<[-6]> : tensor<1xi64>
  %a = onnx.constant "a" dense<[1]> : tensor<1xi64>
  %0 = onnx.node "Slice"(%x, %s, %e, %a) {opset = 13 : i64} : (tensor<4x10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x3xf32>
  %s1 = onnx.constant "s1" dense<[-1]> : tensor<1xi64>
  %e1 = onnx.constant "e1" dense<[-9223372036854775807]> : tensor<1xi64>
  %a1 = onnx.constant "a1" dense<[0]> : tensor<1xi64>
  %st1 = onnx.constant "st1" dense<[-2]> : tensor<1xi64>
  %1 = onnx.node "Slice"(%x, %s1, %e1, %a1, %st1) {opset = 13 : i64} : (tensor<4x10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x10xf32>
  %s2 = onnx.constant "s2" dense<[0, 2]> : tensor<2xi64>
  %e2 = onnx.constant "e2" dense<[100, 100]> : tensor<2xi64>
  %st2 = onnx.constant "st2" dense<[1, 2]> : tensor<2xi64>
  %none = onnx.none
  %2 = onnx.node "Slice"(%x, %s2, %e2, %none, %st2) {opset = 13 : i64} : (tensor<4x10xf32>, tensor<2xi64>, tensor<2xi64>, none, tensor<2xi64>) -> tensor<4x4xf32>
  return %0, %1, %2 : tensor<4x3xf32>, tensor<2x10xf32>, tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func.func @squeeze_unsqueeze
// CHECK-NEXT: %0 = lpu.reshape %arg0 : tensor<2x1x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT: %1 = lpu.reshape %arg0 : tensor<2x1x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT: %2 = lpu.reshape %arg0 : tensor<2x1x3xf32> -> tensor<1x2x1x3x1xf32>
// CHECK-NEXT: %3 = lpu.reshape %arg0 : tensor<2x1x3xf32> -> tensor<2x1x1x3xf32>
// CHECK-NEXT: return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<1x2x1x3x1xf32>, tensor<2x1x1x3xf32>
func.func @squeeze_unsqueeze(%x: tensor<2x1x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<1x2x1x3x1xf32>, tensor<2x1x1x3xf32>) {
  %0 = onnx.node "Squeeze"(%x) {attrs = {axes = array<i64: 1>}, opset = 11 : i64} : (tensor<2x1x3xf32>) -> tensor<2x3xf32>
  %none = onnx.none
  %1 = onnx.node "Squeeze"(%x, %none) {opset = 13 : i64} : (tensor<2x1x3xf32>, none) -> tensor<2x3xf32>
  %a = onnx.constant "a" dense<[0, -1]> : tensor<2xi64>
  %2 = onnx.node "Unsqueeze"(%x, %a) {opset = 13 : i64} : (tensor<2x1x3xf32>, tensor<2xi64>) -> tensor<1x2x1x3x1xf32>
  %3 = onnx.node "Unsqueeze"(%x) {attrs = {axes = array<i64: 2>}, opset = 11 : i64} : (tensor<2x1x3xf32>) -> tensor<2x1x1x3xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<1x2x1x3x1xf32>, tensor<2x1x1x3xf32>
}

// -----

// CHECK-LABEL: func.func @concat_transpose_expand
// CHECK-NEXT: %0 = lpu.concat %arg0, %arg1 axis = 2 : tensor<1x2x3x4xf32>, tensor<1x2x1x4xf32> -> tensor<1x2x4x4xf32>
// CHECK-NEXT: %1 = lpu.transpose %arg0 [3, 2, 1, 0] : tensor<1x2x3x4xf32> -> tensor<4x3x2x1xf32>
// CHECK-NEXT: %2 = lpu.broadcast %arg2 : tensor<3x1xf32> -> tensor<2x3x5xf32>
// CHECK-NEXT: return %0, %1, %2 : tensor<1x2x4x4xf32>, tensor<4x3x2x1xf32>, tensor<2x3x5xf32>
func.func @concat_transpose_expand(%k: tensor<1x2x3x4xf32>, %n: tensor<1x2x1x4xf32>, %b: tensor<3x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<4x3x2x1xf32>, tensor<2x3x5xf32>) {
  %0 = onnx.node "Concat"(%k, %n) {attrs = {axis = -2 : i64}, opset = 13 : i64} : (tensor<1x2x3x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x4x4xf32>
  %1 = onnx.node "Transpose"(%k) {opset = 13 : i64} : (tensor<1x2x3x4xf32>) -> tensor<4x3x2x1xf32>
  %s = onnx.constant "s" dense<[2, 1, 5]> : tensor<3xi64>
  %2 = onnx.node "Expand"(%b, %s) {opset = 13 : i64} : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<2x3x5xf32>
  return %0, %1, %2 : tensor<1x2x4x4xf32>, tensor<4x3x2x1xf32>, tensor<2x3x5xf32>
}

// -----

// CHECK-LABEL: func.func @einsum
// CHECK-NEXT: %0 = lpu.matmul %arg0, %arg1 : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
// CHECK-NEXT: %1 = lpu.transpose %arg3 [0, 1, 3, 2] : tensor<1x2x6x8xf32> -> tensor<1x2x8x6xf32>
// CHECK-NEXT: %2 = lpu.reshape %arg2 : tensor<1x2x3x8xf32> -> tensor<2x3x8xf32>
// CHECK-NEXT: %3 = lpu.reshape %1 : tensor<1x2x8x6xf32> -> tensor<2x8x6xf32>
// CHECK-NEXT: %4 = lpu.matmul %2, %3 : tensor<2x3x8xf32>, tensor<2x8x6xf32> -> tensor<2x3x6xf32>
// CHECK-NEXT: %5 = lpu.reshape %4 : tensor<2x3x6xf32> -> tensor<1x2x3x6xf32>
// CHECK-NEXT: %6 = lpu.transpose %arg4 [1, 0] : tensor<3x4xf32> -> tensor<4x3xf32>
// CHECK-NEXT: return %0, %5, %6 : tensor<2x3x5xf32>, tensor<1x2x3x6xf32>, tensor<4x3xf32>
func.func @einsum(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>, %q: tensor<1x2x3x8xf32>, %k: tensor<1x2x6x8xf32>, %m: tensor<3x4xf32>) -> (tensor<2x3x5xf32>, tensor<1x2x3x6xf32>, tensor<4x3xf32>) {
  %0 = onnx.node "Einsum"(%a, %b) {attrs = {equation = "bij,bjk->bik"}, opset = 12 : i64} : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %1 = onnx.node "Einsum"(%q, %k) {attrs = {equation = "bhid,bhjd->bhij"}, opset = 12 : i64} : (tensor<1x2x3x8xf32>, tensor<1x2x6x8xf32>) -> tensor<1x2x3x6xf32>
  %2 = onnx.node "Einsum"(%m) {attrs = {equation = "ij->ji"}, opset = 12 : i64} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  return %0, %1, %2 : tensor<2x3x5xf32>, tensor<1x2x3x6xf32>, tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func.func @logic
// CHECK-NEXT: %0 = lpu.broadcast %arg1 : tensor<4xf32> -> tensor<2x4xf32>
// CHECK-NEXT: %1 = lpu.compare lt %arg0, %0 : tensor<2x4xf32> -> tensor<2x4xi1>
// CHECK-NEXT: %2 = lpu.broadcast %arg1 : tensor<4xf32> -> tensor<2x4xf32>
// CHECK-NEXT: %3 = lpu.select %1, %arg0, %2 : tensor<2x4xi1>, tensor<2x4xf32>
// CHECK-NEXT: %4 = lpu.broadcast %arg1 : tensor<4xf32> -> tensor<2x4xf32>
// CHECK-NEXT: %5 = lpu.compare eq %arg0, %4 : tensor<2x4xf32> -> tensor<2x4xi1>
// CHECK-NEXT: %6 = lpu.not %arg2 : tensor<1x4xi1>
// CHECK-NEXT: %7 = lpu.cast %arg0 : tensor<2x4xf32> to tensor<2x4xi64>
// CHECK-NEXT: %8 = lpu.cast %6 : tensor<1x4xi1> to tensor<1x4xf32>
// CHECK-NEXT: return %3, %5, %6, %7, %8 : tensor<2x4xf32>, tensor<2x4xi1>, tensor<1x4xi1>, tensor<2x4xi64>, tensor<1x4xf32>
func.func @logic(%x: tensor<2x4xf32>, %y: tensor<4xf32>, %m: tensor<1x4xi1>) -> (tensor<2x4xf32>, tensor<2x4xi1>, tensor<1x4xi1>, tensor<2x4xi64>, tensor<1x4xf32>) {
  %lt = onnx.node "Less"(%x, %y) {opset = 13 : i64} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xi1>
  %w = onnx.node "Where"(%lt, %x, %y) {opset = 16 : i64} : (tensor<2x4xi1>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %eq = onnx.node "Equal"(%x, %y) {opset = 13 : i64} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xi1>
  %n = onnx.node "Not"(%m) {opset = 1 : i64} : (tensor<1x4xi1>) -> tensor<1x4xi1>
  %c = onnx.node "Cast"(%x) {attrs = {to = 7 : i64}, opset = 13 : i64} : (tensor<2x4xf32>) -> tensor<2x4xi64>
  %f = onnx.node "Cast"(%n) {attrs = {to = 1 : i64}, opset = 13 : i64} : (tensor<1x4xi1>) -> tensor<1x4xf32>
  return %w, %eq, %n, %c, %f : tensor<2x4xf32>, tensor<2x4xi1>, tensor<1x4xi1>, tensor<2x4xi64>, tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @trilu
// CHECK-NEXT: %0 = lpu.trilu upper %arg0 k = 1 : tensor<4x4xf32>
// CHECK-NEXT: %1 = lpu.trilu %arg0 k = 0 : tensor<4x4xf32>
// CHECK-NEXT: return %0, %1 : tensor<4x4xf32>, tensor<4x4xf32>
func.func @trilu(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %k = onnx.constant "k" dense<1> : tensor<i64>
  %0 = onnx.node "Trilu"(%x, %k) {opset = 14 : i64} : (tensor<4x4xf32>, tensor<i64>) -> tensor<4x4xf32>
  %1 = onnx.node "Trilu"(%x) {attrs = {upper = 0 : i64}, opset = 14 : i64} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0, %1 : tensor<4x4xf32>, tensor<4x4xf32>
}
