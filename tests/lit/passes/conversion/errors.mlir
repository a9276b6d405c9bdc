// Conversion errors, at the ONNX node's location. Nodes here have file
// locations (no name), so they are '<unnamed>'; errors-named.mlir shows names.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file --verify-diagnostics

// Every node without a pattern is reported, before anything is converted:
// unknown op types, opsets below every since-version, foreign domains.
func.func @unsupported(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{unsupported ONNX op 'Softplus' (opset 13)}}
  %0 = onnx.node "Softplus"(%x) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-error @+1 {{unsupported ONNX op 'Add' (opset 6): supported from opset 7}}
  %1 = onnx.node "Add"(%0, %x) {opset = 6 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-error @+1 {{unsupported ONNX op 'FusedGemm' (opset 1) in domain 'com.microsoft'}}
  %2 = onnx.node "FusedGemm"(%1, %x) {domain = "com.microsoft", opset = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = onnx.node "Relu"(%2) {opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-error @+1 {{unsupported ONNX op 'Frobnicate' (opset 14)}}
  %4 = onnx.node "Frobnicate"(%3) {opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %4 : tensor<2x3xf32>
}

// -----

// A Reshape whose shape is a graph input cannot be compiled statically.
func.func @shape_input(%x: tensor<2x3xf32> {onnx.name = "x"}, %s: tensor<2xi64> {onnx.name = "shape"}) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Reshape '<unnamed>': input 'shape' decides the output shape but is not a constant; freeze it with --freeze shape=FILE}}
  %0 = onnx.node "Reshape"(%x, %s) {opset = 14 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

// The input name in the hint is the graph input's name.
func.func @shape_input_named(%x: tensor<2x3xf32>, %s: tensor<2xi64> {onnx.name = "target_dims"}) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Reshape '<unnamed>': input 'shape' decides the output shape but is not a constant; freeze it with --freeze target_dims=FILE}}
  %0 = onnx.node "Reshape"(%x, %s) {opset = 13 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @reshape_two_minus_one(%x: tensor<2x3xf32>) -> tensor<*x!onnx.unknown> {
  %s = onnx.constant "s" dense<[-1, -1]> : tensor<2xi64>
  // expected-error @+1 {{Reshape '<unnamed>': shape [-1, -1] has more than one -1}}
  %0 = onnx.node "Reshape"(%x, %s) {opset = 14 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<*x!onnx.unknown> {
  %s = onnx.constant "s" dense<[4, 2]> : tensor<2xi64>
  // expected-error @+1 {{Reshape '<unnamed>': cannot reshape [2, 3] (6 elements) to [4, 2]}}
  %0 = onnx.node "Reshape"(%x, %s) {opset = 14 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @reshape_zero_and_minus_one(%x: tensor<2x3xf32>) -> tensor<*x!onnx.unknown> {
  %s = onnx.constant "s" dense<[0, -1]> : tensor<2xi64>
  // expected-error @+1 {{Reshape '<unnamed>': shape [0, -1] has both 0 and -1 with allowzero = 1}}
  %0 = onnx.node "Reshape"(%x, %s) {attrs = {allowzero = 1 : i64}, opset = 14 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Add '<unnamed>': shapes [2, 3] and [4] do not broadcast}}
  %0 = onnx.node "Add"(%a, %b) {opset = 14 : i64} : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{MatMul '<unnamed>': contracting dimensions differ: 3 vs 4 (shapes [2, 3] and [4, 5])}}
  %0 = onnx.node "MatMul"(%a, %b) {opset = 13 : i64} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @dynamic(%a: tensor<?x3xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Relu '<unnamed>': input #0 has type 'tensor<?x3xf32>'; a static shape and a known element type are required (bind symbolic dimensions with --dim NAME=VALUE)}}
  %0 = onnx.node "Relu"(%a) {opset = 14 : i64} : (tensor<?x3xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @wrong_recorded_type(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{Relu '<unnamed>': output #0 has type 'tensor<3x2xf32>' but the conversion computes 'tensor<2x3xf32>'}}
  %0 = onnx.node "Relu"(%a) {opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @gemm_c_required(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Gemm '<unnamed>': input C is required before opset 11}}
  %0 = onnx.node "Gemm"(%a, %b) {opset = 9 : i64} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @gemm_bad_c(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<3xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Gemm '<unnamed>': C of shape [3] does not broadcast to [2, 4]}}
  %0 = onnx.node "Gemm"(%a, %b, %c) {opset = 13 : i64} : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}
