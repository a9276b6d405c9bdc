// Diagnostics carry the ONNX node name, as location and in the message.
// RUN: not lpuc-opt %s --onnx-to-lpu --split-input-file --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s

// All unsupported nodes are listed at once, in order, with their names.
// CHECK: error: loc("softplus_0"): unsupported ONNX op 'Softplus' (opset 13)
// CHECK-NEXT: error: loc("add_legacy"): unsupported ONNX op 'Add' (opset 6): supported from opset 7
// CHECK-NEXT: error: loc("frob"): unsupported ONNX op 'Frobnicate' (opset 14)
// The Relu between them is fine; nothing else is reported for this graph.
// CHECK-NOT: relu_ok
func.func @unsupported(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = onnx.node "Softplus"(%x) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("softplus_0")
  %1 = onnx.node "Add"(%0, %x) {opset = 6 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32> loc("add_legacy")
  %2 = onnx.node "Relu"(%1) {opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("relu_ok")
  %3 = onnx.node "Frobnicate"(%2) {opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("frob")
  return %3 : tensor<2x3xf32>
}

// -----

// CHECK-NEXT: error: loc("reshape_1"): Reshape 'reshape_1': input 'shape' decides the output shape but is not a constant; freeze it with --freeze shape=FILE
func.func @shape_input(%x: tensor<2x3xf32> {onnx.name = "x"}, %s: tensor<2xi64> {onnx.name = "shape"}) -> tensor<*x!onnx.unknown> {
  %0 = onnx.node "Reshape"(%x, %s) {opset = 14 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*x!onnx.unknown> loc("reshape_1")
  return %0 : tensor<*x!onnx.unknown>
}
