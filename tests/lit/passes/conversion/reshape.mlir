// Reshape: constant shape from an initializer or a Constant node, with the
// ONNX rules for 0 (copy, or a real 0 with allowzero = 1) and -1 (inferred).
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// 0 copies input dimension #0, -1 is inferred: [2,3,4] -> [2, 12].
// CHECK-LABEL: func.func @zero_and_minus_one
// CHECK-NEXT: %[[R:.*]] = lpu.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<2x12xf32>
// CHECK-NEXT: return %[[R]] : tensor<2x12xf32>
func.func @zero_and_minus_one(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %s = onnx.constant "shape" dense<[0, -1]> : tensor<2xi64>
  %0 = onnx.node "Reshape"(%x, %s) {opset = 14 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
}

// -----

// The shape comes from a Constant node; the result type is unknown and
// computed: [-1, 0, 2] on [2,3,4] copies dim #1 (3) -> [4, 3, 2].
// CHECK-LABEL: func.func @constant_node
// CHECK-SAME: -> tensor<4x3x2xf32>
// CHECK-NEXT: %[[R:.*]] = lpu.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[R]]
func.func @constant_node(%x: tensor<2x3x4xf32>) -> tensor<*x!onnx.unknown> {
  %s = onnx.node "Constant"() {attrs = {value = dense<[-1, 0, 2]> : tensor<3xi64>}, opset = 13 : i64} : () -> tensor<3xi64>
  %0 = onnx.node "Reshape"(%x, %s) {opset = 13 : i64} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

// allowzero = 1: a 0 is an empty dimension.
// CHECK-LABEL: func.func @allowzero
// CHECK-NEXT: %[[R:.*]] = lpu.reshape %{{.*}} : tensor<0x3xf32> -> tensor<3x0xf32>
func.func @allowzero(%x: tensor<0x3xf32>) -> tensor<3x0xf32> {
  %s = onnx.constant "shape" dense<[3, 0]> : tensor<2xi64>
  %0 = onnx.node "Reshape"(%x, %s) {attrs = {allowzero = 1 : i64}, opset = 14 : i64} : (tensor<0x3xf32>, tensor<2xi64>) -> tensor<3x0xf32>
  return %0 : tensor<3x0xf32>
}

// -----

// Before opset 14 there is no allowzero: the 0 copies dimension #1 (3).
// CHECK-LABEL: func.func @allowzero_ignored_before_14
// CHECK-NEXT: %[[R:.*]] = lpu.reshape %{{.*}} : tensor<3x2xf32> -> tensor<2x3xf32>
// CHECK-NEXT: return %[[R]] : tensor<2x3xf32>
func.func @allowzero_ignored_before_14(%x: tensor<3x2xf32>) -> tensor<*x!onnx.unknown> {
  %s0 = onnx.constant "s0" dense<[2, 3]> : tensor<2xi64>
  %t = onnx.node "Reshape"(%x, %s0) {opset = 13 : i64} : (tensor<3x2xf32>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  %s = onnx.constant "shape" dense<[2, 0]> : tensor<2xi64>
  %0 = onnx.node "Reshape"(%t, %s) {attrs = {allowzero = 1 : i64}, opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

// A shape that keeps the type is no op at all; the shape constant is dropped.
// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %s = onnx.constant "shape" dense<[2, 3]> : tensor<2xi64>
  %0 = onnx.node "Reshape"(%x, %s) {opset = 14 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
