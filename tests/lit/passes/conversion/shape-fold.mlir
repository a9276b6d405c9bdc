// Shape subgraphs of dynamic-axes exports fold to constants during the
// conversion (each converted node is folded before the next one needs its
// value), so Reshape / Expand / Slice get constant shapes. The values below
// were computed by hand from the input shape [2, 8, 64].
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s
// RUN: lpuc-opt %s --onnx-to-lpu --canonicalize --split-input-file | FileCheck %s --check-prefix=CANON

// x.view(B, T, 4, 16) with B, T from Shape + Gather + Unsqueeze + Concat;
// position ids Range(0, T) and the positions where id == 1 replaced by 0.
// CHECK-LABEL: func.func @view_heads
// CHECK-SAME: -> (tensor<2x8x4x16xf32>, tensor<8xi64>, tensor<8xi64>, tensor<2x8x4x16xi64>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense<[0, 0, 2, 3, 4, 5, 6, 7]> : tensor<8xi64>
// CHECK-DAG: %[[R:.*]] = lpu.reshape %{{.*}} : tensor<2x8x64xf32> -> tensor<2x8x4x16xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi64>
// CHECK-DAG: %[[C:.*]] = arith.constant dense<1> : tensor<2x8x4x16xi64>
// CHECK-NOT: lpu.gather
// CHECK-NOT: lpu.concat
// CHECK: return %[[R]], %[[Z]], %[[W]], %[[C]]
func.func @view_heads(%x: tensor<2x8x64xf32>) -> (tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>) {
  %s = onnx.node "Shape"(%x) {opset = 13 : i64} : (tensor<2x8x64xf32>) -> tensor<*x!onnx.unknown>
  %i0 = onnx.constant "i0" dense<0> : tensor<i64>
  %i1 = onnx.constant "i1" dense<1> : tensor<i64>
  %b = onnx.node "Gather"(%s, %i0) {opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<i64>) -> tensor<*x!onnx.unknown>
  %t = onnx.node "Gather"(%s, %i1) {opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<i64>) -> tensor<*x!onnx.unknown>
  %ax = onnx.constant "ax" dense<[0]> : tensor<1xi64>
  %bu = onnx.node "Unsqueeze"(%b, %ax) {opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<1xi64>) -> tensor<*x!onnx.unknown>
  %tu = onnx.node "Unsqueeze"(%t, %ax) {opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<1xi64>) -> tensor<*x!onnx.unknown>
  %h = onnx.constant "h" dense<[4, 16]> : tensor<2xi64>
  %cat = onnx.node "Concat"(%bu, %tu, %h) {attrs = {axis = 0 : i64}, opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  %r = onnx.node "Reshape"(%x, %cat) {opset = 14 : i64} : (tensor<2x8x64xf32>, tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %z = onnx.node "Range"(%i0, %t, %i1) {opset = 11 : i64} : (tensor<i64>, tensor<*x!onnx.unknown>, tensor<i64>) -> tensor<*x!onnx.unknown>
  %c = onnx.node "ConstantOfShape"(%cat) {attrs = {value = dense<1> : tensor<1xi64>}, opset = 9 : i64} : (tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %eq = onnx.node "Equal"(%z, %i1) {opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<i64>) -> tensor<*x!onnx.unknown>
  %w = onnx.node "Where"(%eq, %i0, %z) {opset = 16 : i64} : (tensor<*x!onnx.unknown>, tensor<i64>, tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  return %r, %z, %w, %c : tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>
}

// -----

// GPT-2's causal mask for T = 4: ones(T, T) -> Trilu (lower) -> Cast to
// bool -> Not (masked positions) -> Where(mask, -inf-like, 0) in f32, and
// the position embeddings wpe[Range(0, T)] from a constant table: the
// whole model is constants.
// CANON-LABEL: func.func @causal_mask
// CANON-DAG: %[[M:.*]] = arith.constant dense<{{\[}}[0.000000e+00, -1.000000e+04, -1.000000e+04, -1.000000e+04], [0.000000e+00, 0.000000e+00, -1.000000e+04, -1.000000e+04], [0.000000e+00, 0.000000e+00, 0.000000e+00, -1.000000e+04], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<4x4xf32>
// CANON-DAG: %[[P:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00], [7.000000e+00, 8.000000e+00]]> : tensor<4x2xf32>
// CANON-NOT: lpu.
// CANON: return %[[M]], %[[P]]
func.func @causal_mask(%x: tensor<1x4x2xf32>) -> (tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>) {
  %s = onnx.node "Shape"(%x) {attrs = {start = 1 : i64, end = 2 : i64}, opset = 15 : i64} : (tensor<1x4x2xf32>) -> tensor<*x!onnx.unknown>
  %tt = onnx.node "Concat"(%s, %s) {attrs = {axis = 0 : i64}, opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %ones = onnx.node "ConstantOfShape"(%tt) {attrs = {value = dense<1.0> : tensor<1xf32>}, opset = 9 : i64} : (tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %low = onnx.node "Trilu"(%ones) {attrs = {upper = 0 : i64}, opset = 14 : i64} : (tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %bool = onnx.node "Cast"(%low) {attrs = {to = 9 : i64}, opset = 13 : i64} : (tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %masked = onnx.node "Not"(%bool) {opset = 1 : i64} : (tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %neg = onnx.constant "neg" dense<-10000.0> : tensor<f32>
  %zero = onnx.constant "zero" dense<0.0> : tensor<f32>
  %mask = onnx.node "Where"(%masked, %neg, %zero) {opset = 16 : i64} : (tensor<*x!onnx.unknown>, tensor<f32>, tensor<f32>) -> tensor<*x!onnx.unknown>
  %wpe = onnx.constant "wpe" dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]> : tensor<5x2xf32>
  %i0 = onnx.constant "i0" dense<0> : tensor<i64>
  %i1 = onnx.constant "i1" dense<1> : tensor<i64>
  %sq = onnx.node "Squeeze"(%s) {opset = 13 : i64} : (tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %pos = onnx.node "Range"(%i0, %sq, %i1) {opset = 11 : i64} : (tensor<i64>, tensor<*x!onnx.unknown>, tensor<i64>) -> tensor<*x!onnx.unknown>
  %pe = onnx.node "Gather"(%wpe, %pos) {opset = 13 : i64} : (tensor<5x2xf32>, tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  return %mask, %pe : tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>
}

// -----

// Slice on a constant shape tensor (Shape(x)[-2:]) and Expand to it.
// CHECK-LABEL: func.func @expand_to_tail
// CHECK-NEXT: %[[B:.*]] = lpu.broadcast %{{.*}} : tensor<3xf32> -> tensor<4x3xf32>
// CHECK-NEXT: return %[[B]]
func.func @expand_to_tail(%x: tensor<2x4x3xf32>, %v: tensor<3xf32>) -> tensor<*x!onnx.unknown> {
  %s = onnx.node "Shape"(%x) {opset = 13 : i64} : (tensor<2x4x3xf32>) -> tensor<*x!onnx.unknown>
  %st = onnx.constant "st" dense<[-2]> : tensor<1xi64>
  %en = onnx.constant "en" dense<[9223372036854775807]> : tensor<1xi64>
  %tail = onnx.node "Slice"(%s, %st, %en) {opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<1xi64>, tensor<1xi64>) -> tensor<*x!onnx.unknown>
  %0 = onnx.node "Expand"(%v, %tail) {opset = 13 : i64} : (tensor<3xf32>, tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}
