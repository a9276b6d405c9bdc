// RUN: lpuc-opt %s --split-input-file --verify-diagnostics

func.func @constant_type_mismatch() {
  // expected-error @+1 {{all of {value, result} have same type}}
  %w = "onnx.constant"() <{name = "w", value = dense<1.0> : tensor<4x3xf32>}> : () -> tensor<3x4xf32>
  return
}

// -----

func.func @empty_op_type(%a: tensor<2xf32>) {
  // expected-error @+1 {{op_type must not be empty}}
  %0 = onnx.node ""(%a) {opset = 13 : i64} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @bad_opset(%a: tensor<2xf32>) {
  // expected-error @+1 {{opset must be at least 1, got 0}}
  %0 = onnx.node "Relu"(%a) {opset = 0 : i64} : (tensor<2xf32>) -> tensor<2xf32>
  return
}
