// Softmax / LogSoftmax before opset 13 coerce the input to 2-D at `axis`
// (default 1) and normalize over the flattened tail; from 13 they normalize
// along `axis` (default -1) alone. LayerNormalization (17) normalizes over
// [axis, rank) with Scale/B broadcast to that shape. Reductions: axes as an
// attribute (ReduceSum < 13, ReduceMean / ReduceMax < 18) or an input,
// keepdims = 0 as a reshape, noop_with_empty_axes, empty axes = all.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @softmax13
// CHECK-NEXT: %0 = lpu.softmax %arg0 axis = 2 : tensor<2x3x4xf32>
// CHECK-NEXT: return %0 : tensor<2x3x4xf32>
func.func @softmax13(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = onnx.node "Softmax"(%x) {opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @softmax13_axis1
// CHECK-NEXT: %0 = lpu.softmax %arg0 axis = 1 : tensor<2x3x4xf32>
// CHECK-NEXT: return %0 : tensor<2x3x4xf32>
func.func @softmax13_axis1(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = onnx.node "Softmax"(%x) {attrs = {axis = 1 : i64}, opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @softmax11
// CHECK-NEXT: %0 = lpu.reshape %arg0 : tensor<2x3x4xf32> -> tensor<2x12xf32>
// CHECK-NEXT: %1 = lpu.softmax %0 axis = 1 : tensor<2x12xf32>
// CHECK-NEXT: %2 = lpu.reshape %1 : tensor<2x12xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: return %2 : tensor<2x3x4xf32>
func.func @softmax11(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = onnx.node "Softmax"(%x) {opset = 11 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @logsoftmax11_last
// CHECK-NEXT: %0 = lpu.reshape %arg0 : tensor<2x3x4xf32> -> tensor<6x4xf32>
// CHECK-NEXT: %1 = lpu.log_softmax %0 axis = 1 : tensor<6x4xf32>
// CHECK-NEXT: %2 = lpu.reshape %1 : tensor<6x4xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: return %2 : tensor<2x3x4xf32>
func.func @logsoftmax11_last(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = onnx.node "LogSoftmax"(%x) {attrs = {axis = -1 : i64}, opset = 11 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @logsoftmax13
// CHECK-NEXT: %0 = lpu.log_softmax %arg0 axis = 0 : tensor<2x3x4xf32>
// CHECK-NEXT: return %0 : tensor<2x3x4xf32>
func.func @logsoftmax13(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = onnx.node "LogSoftmax"(%x) {attrs = {axis = 0 : i64}, opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @layernorm
// CHECK-NEXT: %0 = lpu.layer_norm %arg0 scale %arg1 bias %arg2 axis = 2 epsilon = 9.99999974E-6 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x4x8xf32>
// CHECK-NEXT: return %0 : tensor<2x4x8xf32>
func.func @layernorm(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %0 = onnx.node "LayerNormalization"(%x, %g, %b) {attrs = {epsilon = 9.99999974E-6 : f32}, opset = 17 : i64} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  return %0 : tensor<2x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @layernorm_axis1
// CHECK-NEXT: %0 = lpu.broadcast %arg1 : tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT: %1 = lpu.layer_norm %arg0 scale %0 axis = 1 epsilon = 9.99999974E-6 : tensor<2x4x8xf32>, tensor<4x8xf32> -> tensor<2x4x8xf32>
// CHECK-NEXT: return %1 : tensor<2x4x8xf32>
func.func @layernorm_axis1(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %0:3 = onnx.node "LayerNormalization"(%x, %g) {attrs = {axis = 1 : i64}, opset = 17 : i64} : (tensor<2x4x8xf32>, tensor<8xf32>) -> (tensor<2x4x8xf32>, tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>)
  return %0#0 : tensor<2x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @reduce
// CHECK-NEXT: %0 = lpu.reduce sum %arg0 [1] : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
// CHECK-NEXT: %1 = lpu.reduce sum %arg0 [1] : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
// CHECK-NEXT: %2 = lpu.reshape %1 : tensor<2x1x4xf32> -> tensor<2x4xf32>
// CHECK-NEXT: %3 = lpu.reduce sum %arg0 [0, 1, 2] : tensor<2x3x4xf32> -> tensor<1x1x1xf32>
// CHECK-NEXT: %4 = lpu.reduce mean %arg0 [2] : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
// CHECK-NEXT: %5 = lpu.reshape %4 : tensor<2x3x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: %6 = lpu.reduce mean %arg0 [0] : tensor<2x3x4xf32> -> tensor<1x3x4xf32>
// CHECK-NEXT: %7 = lpu.reshape %6 : tensor<1x3x4xf32> -> tensor<3x4xf32>
// CHECK-NEXT: %8 = lpu.reduce max %arg0 [2] : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
// CHECK-NEXT: return %0, %2, %arg0, %3, %5, %7, %8 : tensor<2x1x4xf32>, tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<1x1x1xf32>, tensor<2x3xf32>, tensor<3x4xf32>, tensor<2x3x1xf32>
func.func @reduce(%x: tensor<2x3x4xf32>) -> (tensor<2x1x4xf32>, tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<1x1x1xf32>, tensor<2x3xf32>, tensor<3x4xf32>, tensor<2x3x1xf32>) {
  %a = onnx.constant "a" dense<[1]> : tensor<1xi64>
  %none = onnx.none
  %e = onnx.constant "e" dense<> : tensor<0xi64>
  %0 = onnx.node "ReduceSum"(%x, %a) {opset = 13 : i64} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x1x4xf32>
  %1 = onnx.node "ReduceSum"(%x) {attrs = {axes = array<i64: -2>, keepdims = 0 : i64}, opset = 11 : i64} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  %2 = onnx.node "ReduceSum"(%x, %e) {attrs = {noop_with_empty_axes = 1 : i64}, opset = 13 : i64} : (tensor<2x3x4xf32>, tensor<0xi64>) -> tensor<2x3x4xf32>
  %3 = onnx.node "ReduceSum"(%x, %none) {opset = 13 : i64} : (tensor<2x3x4xf32>, none) -> tensor<1x1x1xf32>
  %4 = onnx.node "ReduceMean"(%x) {attrs = {axes = array<i64: -1>, keepdims = 0 : i64}, opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  %z = onnx.constant "z" dense<[0]> : tensor<1xi64>
  %5 = onnx.node "ReduceMean"(%x, %z) {attrs = {keepdims = 0 : i64}, opset = 18 : i64} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<3x4xf32>
  %6 = onnx.node "ReduceMax"(%x) {attrs = {axes = array<i64: 2>}, opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2x1x4xf32>, tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<1x1x1xf32>, tensor<2x3xf32>, tensor<3x4xf32>, tensor<2x3x1xf32>
}
