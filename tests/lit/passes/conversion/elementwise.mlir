// Add / Sub / Mul with numpy broadcasting, Relu, Identity, Constant and
// onnx.constant.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// Both operands broadcast: [3,1] and [4] give [3,4].
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<3x1xf32> {onnx.name = "a"}, %[[B:.*]]: tensor<4xf32> {onnx.name = "b"}) -> (tensor<3x4xf32> {onnx.name = "y"})
// CHECK-NEXT: %[[BA:.*]] = lpu.broadcast %[[A]] : tensor<3x1xf32> -> tensor<3x4xf32>
// CHECK-NEXT: %[[BB:.*]] = lpu.broadcast %[[B]] : tensor<4xf32> -> tensor<3x4xf32>
// CHECK-NEXT: %[[Y:.*]] = lpu.add %[[BA]], %[[BB]] : tensor<3x4xf32>
// CHECK-NEXT: return %[[Y]]
func.func @add_broadcast(%a: tensor<3x1xf32> {onnx.name = "a"}, %b: tensor<4xf32> {onnx.name = "b"}) -> (tensor<3x4xf32> {onnx.name = "y"}) {
  %0 = onnx.node "Add"(%a, %b) {opset = 14 : i64} : (tensor<3x1xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Same shapes: no broadcast. An unknown result type is computed, and the
// function result type follows.
// CHECK-LABEL: func.func @sub_mul_relu
// CHECK-SAME: -> tensor<2x3xf32>
// CHECK-NEXT: %[[S:.*]] = lpu.sub %{{.*}}, %{{.*}} : tensor<2x3xf32>
// CHECK-NEXT: %[[M:.*]] = lpu.mul %[[S]], %{{.*}} : tensor<2x3xf32>
// CHECK-NEXT: %[[R:.*]] = lpu.relu %[[M]] : tensor<2x3xf32>
// CHECK-NEXT: return %[[R]] : tensor<2x3xf32>
func.func @sub_mul_relu(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<*x!onnx.unknown> {
  %0 = onnx.node "Sub"(%a, %b) {opset = 7 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<*x!onnx.unknown>
  %1 = onnx.node "Mul"(%0, %b) {opset = 13 : i64} : (tensor<*x!onnx.unknown>, tensor<2x3xf32>) -> tensor<*x!onnx.unknown>
  %2 = onnx.node "Relu"(%1) {opset = 6 : i64} : (tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  %3 = onnx.node "Identity"(%2) {opset = 16 : i64} : (tensor<*x!onnx.unknown>) -> tensor<*x!onnx.unknown>
  return %3 : tensor<*x!onnx.unknown>
}

// -----

// Integer elementwise ops are converted too; a scalar operand broadcasts.
// CHECK-LABEL: func.func @int_mul
// CHECK-NEXT: %[[BS:.*]] = lpu.broadcast %{{.*}} : tensor<i64> -> tensor<2x2xi64>
// CHECK-NEXT: lpu.mul %{{.*}}, %[[BS]] : tensor<2x2xi64>
func.func @int_mul(%a: tensor<2x2xi64>, %s: tensor<i64>) -> tensor<2x2xi64> {
  %0 = onnx.node "Mul"(%a, %s) {opset = 14 : i64} : (tensor<2x2xi64>, tensor<i64>) -> tensor<2x2xi64>
  return %0 : tensor<2x2xi64>
}

// -----

// Initializers keep their resource (no copy); Constant nodes become
// arith.constant, including the opset-12 scalar forms.
// CHECK-LABEL: func.func @constants
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<fc.weight> : tensor<2x2xf32>
// CHECK-DAG: %[[C:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[F:.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[I:.*]] = arith.constant dense<[3, 4]> : tensor<2xi64>
// CHECK: return %[[W]], %[[C]], %[[F]], %[[I]]
// CHECK: fc.weight: "0x04000000
func.func @constants() -> (tensor<2x2xf32>, tensor<2xf32>, tensor<f32>, tensor<2xi64>) {
  %w = onnx.constant "fc.weight" dense_resource<fc.weight> : tensor<2x2xf32>
  %c = onnx.node "Constant"() {attrs = {value = dense<[1.0, 2.0]> : tensor<2xf32>}, opset = 11 : i64} : () -> tensor<2xf32>
  %f = onnx.node "Constant"() {attrs = {value_float = 0.5 : f32}, opset = 13 : i64} : () -> tensor<f32>
  %i = onnx.node "Constant"() {attrs = {value_ints = array<i64: 3, 4>}, opset = 13 : i64} : () -> tensor<2xi64>
  return %w, %c, %f, %i : tensor<2x2xf32>, tensor<2xf32>, tensor<f32>, tensor<2xi64>
}

{-#
  dialect_resources: {
    builtin: {
      fc.weight: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
