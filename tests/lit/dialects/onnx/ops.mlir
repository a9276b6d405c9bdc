// RUN: lpuc-opt %s | lpuc-opt | FileCheck %s
// RUN: lpuc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// CHECK-LABEL: func.func @main
// CHECK: %[[N:.*]] = onnx.none
// CHECK: %[[W:.*]] = onnx.constant "w" dense<1.000000e+00> : tensor<4x3xf32>
// CHECK: onnx.node "Gemm"(%arg0, %[[W]], %[[N]]) {attrs = {alpha = 2.500000e-01 : f32, transA = 1 : i64}, opset = 13 : i64} : (tensor<4x3xf32>, tensor<4x3xf32>, none) -> tensor<3x3xf32>
// CHECK: onnx.node "Foo"(%{{.*}}) {domain = "com.example", opset = 2 : i64} : (tensor<3x3xf32>) -> tensor<*x!onnx.unknown>
// GENERIC: "onnx.node"(%arg0, %{{.*}}, %{{.*}}) <{attrs = {alpha = 2.500000e-01 : f32, transA = 1 : i64}, domain = "", op_type = "Gemm", opset = 13 : i64}>
func.func @main(%a: tensor<4x3xf32>) -> tensor<3x3xf32> {
  %n = onnx.none
  %w = onnx.constant "w" dense<1.0> : tensor<4x3xf32>
  %0 = onnx.node "Gemm"(%a, %w, %n) {attrs = {alpha = 0.25 : f32, transA = 1 : i64}, opset = 13 : i64} : (tensor<4x3xf32>, tensor<4x3xf32>, none) -> tensor<3x3xf32>
  %1 = onnx.node "Foo"(%0) {domain = "com.example", opset = 2 : i64} : (tensor<3x3xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<3x3xf32>
}
